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

use super::naming::{Collector, closed, ring_problem};
use super::territories::{ImportedTerritory, TerritoryImportReport};
use crate::core::model::Project;
use crate::core::render::escape_xml;
use crate::core::{Error, Result};

/// Reads the territories of the KML file at `path`. See the module docs.
pub fn import_kml(
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    // Zipped KML given a .kml name: read it as the KMZ it is.
    if bytes.starts_with(super::kmz::ZIP_MAGIC) {
        return super::kmz::import_kmz(path, name_prop);
    }
    if let Some(advice) = super::utf16_advice(&bytes) {
        return Err(Error::Geo {
            path: path.to_path_buf(),
            feature: None,
            message: advice,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    territories_from_kml_str(&text, path, name_prop)
}

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

    let mut stack: Vec<String> = Vec::new();
    let mut styles: HashMap<String, String> = HashMap::new();
    let mut style_id: Option<String> = None;
    let mut placemark: Option<Placemark> = None;
    let mut polygon: Option<PolygonBuild> = None;
    let mut data_name: Option<String> = None;
    let mut text_buf = String::new();
    let mut placemarks: Vec<Placemark> = Vec::new();
    let mut saw_kml = false;

    loop {
        let event = reader.read_event().map_err(|e| {
            geo_err(format!(
                "not valid KML/XML at line {}: {e}",
                line_of(reader.error_position())
            ))
        })?;
        match event {
            Event::Start(e) => {
                let tag = local(&e);
                saw_kml |= tag == "kml";
                text_buf.clear();
                match tag.as_str() {
                    "Placemark" => placemark = Some(Placemark::default()),
                    "Style" => style_id = attr(&e, "id"),
                    "Polygon" if placemark.is_some() => polygon = Some(PolygonBuild::default()),
                    "Data" | "SimpleData" => data_name = attr(&e, "name"),
                    "Point" | "LineString" | "Track" | "Model" => {
                        if let Some(pm) = placemark.as_mut() {
                            pm.other_geometry.push(tag.clone());
                        }
                    }
                    _ => {}
                }
                stack.push(tag);
            }
            Event::Empty(e) => {
                let tag = local(&e);
                if let ("Data" | "SimpleData", Some(pm), Some(n)) =
                    (tag.as_str(), placemark.as_mut(), attr(&e, "name"))
                {
                    pm.props.insert(n, Value::from(""));
                }
            }
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| geo_err(format!("bad text encoding: {e}")))?;
                text_buf.push_str(&s);
            }
            Event::CData(t) => {
                text_buf.push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r.into_inner()).into_owned();
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .map(|c| c.into_owned())
                    .unwrap_or_default();
                text_buf.push_str(&resolved);
            }
            Event::End(_) => {
                let Some(tag) = stack.pop() else { continue };
                let parent = stack.last().map(String::as_str).unwrap_or("");
                let content = std::mem::take(&mut text_buf);
                let content = content.trim();
                match tag.as_str() {
                    "name" if parent == "Placemark" => {
                        if let Some(pm) = placemark.as_mut() {
                            pm.name = (!content.is_empty()).then(|| content.to_owned());
                        }
                    }
                    "value" if parent == "Data" => {
                        if let (Some(pm), Some(n)) = (placemark.as_mut(), data_name.clone()) {
                            pm.props.insert(n, Value::from(content));
                        }
                    }
                    "SimpleData" => {
                        if let (Some(pm), Some(n)) = (placemark.as_mut(), data_name.take()) {
                            pm.props.insert(n, Value::from(content));
                        }
                    }
                    "styleUrl" if parent == "Placemark" => {
                        if let Some(pm) = placemark.as_mut() {
                            pm.style_url = Some(content.trim_start_matches('#').to_owned());
                        }
                    }
                    "color" if parent == "PolyStyle" => {
                        if let Some(c) = kml_color(content) {
                            match placemark.as_mut() {
                                Some(pm) => pm.inline_color = Some(c),
                                None => {
                                    if let Some(id) = &style_id {
                                        styles.insert(id.clone(), c);
                                    }
                                }
                            }
                        }
                    }
                    "Style" => style_id = None,
                    "coordinates" => {
                        if let Some(pb) = polygon.as_mut() {
                            let ring = parse_coords(content).and_then(|r| match ring_problem(&r) {
                                Some(p) => Err(p),
                                None => Ok(closed(r)),
                            });
                            let boundary = stack.iter().rev().find(|t| {
                                t.as_str() == "outerBoundaryIs" || t.as_str() == "innerBoundaryIs"
                            });
                            match (ring, boundary.map(String::as_str)) {
                                (Ok(r), Some("innerBoundaryIs")) => pb.inner.push(r),
                                (Ok(r), _) => pb.outer = Some(r),
                                (Err(why), Some("innerBoundaryIs")) => {
                                    if let Some(pm) = placemark.as_mut() {
                                        pm.problems.push(format!("dropped a hole: {why}"));
                                    }
                                }
                                (Err(why), _) => {
                                    pb.problem.get_or_insert(why);
                                }
                            }
                        }
                    }
                    "Polygon" => {
                        if let (Some(pb), Some(pm)) = (polygon.take(), placemark.as_mut()) {
                            match (pb.outer, pb.problem) {
                                (Some(o), None) => pm.polygons.push(Polygon::new(
                                    LineString(o),
                                    pb.inner.into_iter().map(LineString).collect(),
                                )),
                                (_, Some(why)) => pm.problems.push(why),
                                (None, None) => {
                                    pm.problems.push("a polygon has no outer boundary".into())
                                }
                            }
                        }
                    }
                    "Placemark" => {
                        if let Some(pm) = placemark.take() {
                            placemarks.push(pm);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if placemarks.is_empty() {
        return Err(geo_err(if saw_kml {
            "the KML file has no Placemark".into()
        } else {
            "not KML: no <kml> element and no Placemark".into()
        }));
    }

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
    Ok(c.finish())
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
/// (name, a PolyStyle in its colour, ExtendedData `id`, `color`,
/// `priority`, `locked`, `rep` and `type`) with a Polygon or a MultiGeometry of Polygons.
pub fn write_territories_kml<W: Write>(mut w: W, project: &Project) -> Result<()> {
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
            ("color", hex),
            ("priority", t.priority.to_string()),
            ("locked", t.locked.to_string()),
        ];
        if let Some(rep) = project.rep_label(t) {
            data.push(("rep", rep));
        }
        if let Some(ty) = project.territory_type(t.type_id) {
            data.push(("type", ty.name.clone()));
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
