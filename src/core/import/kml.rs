//! Territories from KML (Google Earth, My Maps, GIS exports) and the plan's
//! territories as KML (zipped KML, KMZ, is unpacked in [`super::kmz`]).
//!
//! Read with quick-xml event by event rather than into a typed tree, so
//! that one broken Placemark (a bad coordinate, an empty ring) is skipped
//! and reported by its number and name while the rest of the file is
//! imported. Polygons keep their holes (`innerBoundaryIs`); MultiGeometry
//! may nest. The name is the Placemark's `<name>`, or the ExtendedData
//! field chosen like GeoJSON's name property; ExtendedData fields become
//! properties (so `rep` and `color` are picked up), and a PolyStyle colour
//! (inline or through `styleUrl`) becomes `color` when there is none.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use geo::{Coord, LineString, Polygon};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

use super::imported::{ImportedTerritory, TerritoryImportReport};
use super::naming::{Collector, closed, ring_problem};
use crate::core::model::Project;
use crate::core::xml::escape_xml;
use crate::core::{Error, Result};

/// A Placemark being read.
#[derive(Default)]
struct Placemark {
    name: Option<String>,
    props: Map<String, Value>,
    style_url: Option<String>,
    inline_color: Option<String>,
    polygons: Vec<Polygon<f64>>,
    /// Problems with single polygons (the rest is still usable).
    problems: Vec<String>,
    /// Geometry kinds that are not polygons (Point, LineString…).
    other_geometry: Vec<String>,
}

/// A Polygon being read.
#[derive(Default)]
struct PolygonBuild {
    outer: Option<Vec<Coord<f64>>>,
    inner: Vec<Vec<Coord<f64>>>,
    problem: Option<String>,
}

/// Reads territories from KML text; `path` names the source in errors.
/// Only text that is not XML at all, or has no Placemark, is an error.
pub fn territories_from_kml_str(
    text: &str,
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let geo_err = |message: String| Error::Geo {
        path: path.to_path_buf(),
        feature: None,
        message,
    };
    let line_of = |pos: u64| {
        text[..(pos as usize).min(text.len())]
            .lines()
            .count()
            .max(1)
    };
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut doc = KmlDoc::default();
    loop {
        let event = reader.read_event().map_err(|e| {
            geo_err(format!(
                "not valid KML/XML at line {}: {e}",
                line_of(reader.error_position())
            ))
        })?;
        match event {
            Event::Start(e) => doc.start(&e),
            Event::Empty(e) => doc.empty(&e),
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| geo_err(format!("bad text encoding: {e}")))?;
                doc.text_buf.push_str(&s);
            }
            Event::CData(t) => {
                doc.text_buf
                    .push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .map(|c| c.into_owned())
                    .unwrap_or_default();
                doc.text_buf.push_str(&resolved);
            }
            Event::End(_) => doc.end(),
            Event::Eof => break,
            _ => {}
        }
    }
    if doc.placemarks.is_empty() {
        return Err(geo_err(if doc.saw_kml {
            "the KML file has no Placemark".into()
        } else {
            "not KML: no <kml> element and no Placemark".into()
        }));
    }
    Ok(collect_placemarks(doc.placemarks, &doc.styles, name_prop))
}

/// What has been read of a KML document so far, fed event by event.
#[derive(Default)]
struct KmlDoc {
    /// Open elements, outermost first.
    stack: Vec<String>,
    /// PolyStyle colour per shared Style id.
    styles: HashMap<String, String>,
    style_id: Option<String>,
    placemark: Option<Placemark>,
    polygon: Option<PolygonBuild>,
    data_name: Option<String>,
    text_buf: String,
    placemarks: Vec<Placemark>,
    saw_kml: bool,
}

impl KmlDoc {
    fn start(&mut self, e: &BytesStart) {
        let tag = local(e);
        self.saw_kml |= tag == "kml";
        self.text_buf.clear();
        match tag.as_str() {
            "Placemark" => self.placemark = Some(Placemark::default()),
            "Style" => self.style_id = attr(e, "id"),
            "Polygon" if self.placemark.is_some() => {
                self.polygon = Some(PolygonBuild::default());
            }
            "Data" | "SimpleData" => self.data_name = attr(e, "name"),
            "Point" | "LineString" | "Track" | "Model" => {
                if let Some(pm) = self.placemark.as_mut() {
                    pm.other_geometry.push(tag.clone());
                }
            }
            _ => {}
        }
        self.stack.push(tag);
    }

    fn empty(&mut self, e: &BytesStart) {
        let tag = local(e);
        if let ("Data" | "SimpleData", Some(pm), Some(n)) =
            (tag.as_str(), self.placemark.as_mut(), attr(e, "name"))
        {
            pm.props.insert(n, Value::from(""));
        }
    }

    fn end(&mut self) {
        let Some(tag) = self.stack.pop() else { return };
        let parent = self.stack.last().map_or("", String::as_str);
        let content = std::mem::take(&mut self.text_buf);
        let content = content.trim();
        let pm = self.placemark.as_mut();
        match (tag.as_str(), pm) {
            ("name", Some(pm)) if parent == "Placemark" => {
                pm.name = (!content.is_empty()).then(|| content.to_owned());
            }
            ("value", Some(pm)) if parent == "Data" => {
                if let Some(n) = self.data_name.clone() {
                    pm.props.insert(n, Value::from(content));
                }
            }
            ("SimpleData", pm) => {
                if let (Some(pm), Some(n)) = (pm, self.data_name.take()) {
                    pm.props.insert(n, Value::from(content));
                }
            }
            ("styleUrl", Some(pm)) if parent == "Placemark" => {
                pm.style_url = Some(content.trim_start_matches('#').to_owned());
            }
            ("color", pm) if parent == "PolyStyle" => {
                if let Some(c) = kml_color(content) {
                    match (pm, &self.style_id) {
                        (Some(pm), _) => pm.inline_color = Some(c),
                        (None, Some(id)) => {
                            self.styles.insert(id.clone(), c);
                        }
                        (None, None) => {}
                    }
                }
            }
            ("Style", _) => self.style_id = None,
            ("coordinates", _) => self.coordinates(content),
            ("Polygon", _) => self.polygon_end(),
            ("Placemark", _) => {
                if let Some(pm) = self.placemark.take() {
                    self.placemarks.push(pm);
                }
            }
            _ => {}
        }
    }

    /// A ring of the polygon being read: outer boundary or hole.
    fn coordinates(&mut self, content: &str) {
        let Some(pb) = self.polygon.as_mut() else {
            return;
        };
        let ring = parse_coords(content).and_then(|r| match ring_problem(&r) {
            Some(p) => Err(p),
            None => Ok(closed(r)),
        });
        let boundary = self
            .stack
            .iter()
            .rev()
            .find(|t| t.as_str() == "outerBoundaryIs" || t.as_str() == "innerBoundaryIs");
        match (ring, boundary.map(String::as_str)) {
            (Ok(r), Some("innerBoundaryIs")) => pb.inner.push(r),
            (Ok(r), _) => pb.outer = Some(r),
            (Err(why), Some("innerBoundaryIs")) => {
                if let Some(pm) = self.placemark.as_mut() {
                    pm.problems.push(format!("dropped a hole: {why}"));
                }
            }
            (Err(why), _) => {
                pb.problem.get_or_insert(why);
            }
        }
    }

    /// The polygon being read is complete: keep it, or note why not.
    fn polygon_end(&mut self) {
        let (Some(pb), Some(pm)) = (self.polygon.take(), self.placemark.as_mut()) else {
            return;
        };
        match (pb.outer, pb.problem) {
            (Some(o), None) => pm.polygons.push(Polygon::new(
                LineString(o),
                pb.inner.into_iter().map(LineString).collect(),
            )),
            (_, Some(why)) => pm.problems.push(why),
            (None, None) => pm.problems.push("a polygon has no outer boundary".into()),
        }
    }
}

/// Names, colours and checks the Placemarks read, one territory each.
fn collect_placemarks(
    placemarks: Vec<Placemark>,
    styles: &HashMap<String, String>,
    name_prop: &str,
) -> (Vec<ImportedTerritory>, TerritoryImportReport) {
    let mut c = Collector::new(name_prop);
    for (index, pm) in placemarks.into_iter().enumerate() {
        let mut props = pm.props;
        let from_data = if name_prop.eq_ignore_ascii_case("name") {
            None
        } else {
            props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name_prop))
                .and_then(|(_, v)| v.as_str())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let raw_name = from_data.or(pm.name);
        let label = Collector::label("placemark", index, raw_name.as_deref());
        let polygons = if pm.polygons.is_empty() {
            Err(match (pm.problems.first(), pm.other_geometry.first()) {
                (Some(p), _) => p.clone(),
                (None, Some(kind)) => format!("is a {kind}, not a polygon"),
                (None, None) => "has no geometry".into(),
            })
        } else {
            Ok(pm.polygons)
        };
        if !props.contains_key("color")
            && let Some(col) = pm
                .inline_color
                .or_else(|| pm.style_url.and_then(|u| styles.get(&u).cloned()))
        {
            props.insert("color".into(), Value::from(col));
        }
        c.add(index, raw_name, &label, polygons, &pm.problems, props);
    }
    c.finish()
}

fn local(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

fn attr(e: &BytesStart, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key.as_bytes())
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// `lon,lat[,alt]` tuples separated by whitespace; a space after a comma
/// (seen in hand-edited files) is tolerated.
fn parse_coords(s: &str) -> std::result::Result<Vec<Coord<f64>>, String> {
    let mut tuples: Vec<String> = Vec::new();
    for tok in s.split_whitespace() {
        match tuples.last_mut() {
            Some(last) if last.ends_with(',') || tok.starts_with(',') => last.push_str(tok),
            _ => tuples.push(tok.to_owned()),
        }
    }
    tuples
        .iter()
        .map(|t| {
            let mut parts = t.split(',');
            let mut num = || -> std::result::Result<f64, String> {
                let p = parts.next().unwrap_or("").trim();
                p.parse::<f64>()
                    .map_err(|_| format!("bad coordinate '{t}'"))
            };
            Ok(Coord {
                x: num()?,
                y: num()?,
            })
        })
        .collect()
}

/// KML `aabbggrr` → `#rrggbb`.
fn kml_color(s: &str) -> Option<String> {
    let s = s.trim().trim_start_matches('#');
    if s.len() != 8 || !s.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!("#{}{}{}", &s[6..8], &s[4..6], &s[2..4]).to_lowercase())
}

/// Writes the territories as a KML document: one Placemark per territory
/// (name, a PolyStyle in its colour, ExtendedData `id`, `color`, `fill`,
/// `priority`, `locked`, `rep`, `type` and, once quotas are set, `quota`
/// (rolled up)) with a Polygon or a MultiGeometry of Polygons.
pub fn write_territories_kml<W: Write>(mut w: W, project: &Project) -> Result<()> {
    let quotas = crate::core::hierarchy::rolled_up_quotas(project);
    let io = |e: std::io::Error| Error::io(std::path::PathBuf::new(), e);
    let mut s = String::with_capacity(64 * 1024);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n");
    s.push_str(&format!("<name>{}</name>\n", escape_xml(&project.name)));
    for t in &project.territories {
        let [r, g, b] = t.color;
        let hex = format!("#{r:02x}{g:02x}{b:02x}");
        s.push_str(&format!(
            "<Placemark>\n<name>{}</name>\n<Style><LineStyle><color>ff{b:02x}{g:02x}{r:02x}</color><width>2</width></LineStyle><PolyStyle><color>66{b:02x}{g:02x}{r:02x}</color></PolyStyle></Style>\n<ExtendedData>\n",
            escape_xml(&t.name)
        ));
        let mut data = vec![
            ("id", t.id.0.to_string()),
            ("color", hex.clone()),
            ("fill", hex),
            ("priority", t.priority.to_string()),
            ("locked", t.locked.to_string()),
        ];
        if let Some(rep) = project.rep_label(t) {
            data.push(("rep", rep));
        }
        if let Some(ty) = project.territory_type(t.type_id) {
            data.push(("type", ty.name.clone()));
        }
        if let Some(q) = quotas.get(&t.id) {
            data.push(("quota", q.to_string()));
        }
        for (k, v) in data {
            s.push_str(&format!(
                "<Data name=\"{k}\"><value>{}</value></Data>\n",
                escape_xml(&v)
            ));
        }
        s.push_str("</ExtendedData>\n");
        let multi = t.geometry.0.len() != 1;
        if multi {
            s.push_str("<MultiGeometry>\n");
        }
        for poly in &t.geometry.0 {
            s.push_str("<Polygon>\n<outerBoundaryIs><LinearRing><coordinates>");
            ring_text(&mut s, poly.exterior());
            s.push_str("</coordinates></LinearRing></outerBoundaryIs>\n");
            for hole in poly.interiors() {
                s.push_str("<innerBoundaryIs><LinearRing><coordinates>");
                ring_text(&mut s, hole);
                s.push_str("</coordinates></LinearRing></innerBoundaryIs>\n");
            }
            s.push_str("</Polygon>\n");
        }
        if multi {
            s.push_str("</MultiGeometry>\n");
        }
        s.push_str("</Placemark>\n");
        if s.len() > 1 << 20 {
            w.write_all(s.as_bytes()).map_err(io)?;
            s.clear();
        }
    }
    s.push_str("</Document>\n</kml>\n");
    w.write_all(s.as_bytes()).map_err(io)?;
    w.flush().map_err(io)
}

fn ring_text(s: &mut String, ring: &LineString<f64>) {
    for (k, c) in ring.0.iter().enumerate() {
        if k > 0 {
            s.push(' ');
        }
        s.push_str(&format!("{},{}", c.x, c.y));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_and_colors() {
        let c = parse_coords(" -100,40,0\n -99,40  -99, 41 -100,41,12 ").unwrap();
        assert_eq!(c.len(), 4);
        assert_eq!((c[2].x, c[2].y), (-99.0, 41.0));
        assert!(parse_coords("-100,abc").unwrap_err().contains("-100,abc"));
        assert_eq!(kml_color("7f0000ff").as_deref(), Some("#ff0000"));
        assert_eq!(kml_color("red"), None);
    }
}
