//! Territories from GeoJSON: a FeatureCollection (or one Feature) of
//! Polygon / MultiPolygon features, one territory per feature.
//!
//! Files from the wild are often slightly broken (unclosed rings, a point
//! feature among the polygons, projected coordinates). The JSON is read as a
//! plain [`serde_json::Value`] and the geometry is walked by hand, so that
//! one bad feature is skipped or repaired and reported instead of failing the
//! whole file, and nothing in it can make the import panic.

use std::path::Path;

use geo::{Coord, LineString, Polygon};
use serde_json::{Map, Value};

pub use super::imported::{ImportedTerritory, TerritoryImportReport};
use crate::core::{Error, Result};

/// Reads territories from the GeoJSON file at `path`, naming each by its
/// property `name_prop` (usually `"name"`). See
/// [`territories_from_geojson_str`].
pub fn import_territories(
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    // A FeatureCollection is read from the file as it streams in: its text
    // (18.7 MB for 100,000 squares) is never held whole. Anything the
    // stream does not take (another document, bad JSON or UTF-8) is read
    // again as text, which gives what it always gave, errors included.
    if let Some(done) = streamed_file(path, name_prop) {
        return Ok(done);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    territories_from_geojson_str(&text, path, name_prop)
}

/// The FeatureCollection in the file at `path`, read as a stream: what
/// [`territories_from_geojson_str`] gives for the file's text whenever it
/// is `Some`. `None` when the file cannot be read, is not valid UTF-8, or
/// the streamed read does not take it ([`streamed`]).
fn streamed_file(path: &Path, name_prop: &str) -> Option<Imported> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    // The text read drops one byte order mark.
    let mut head = Vec::with_capacity(3);
    (&mut file).take(3).read_to_end(&mut head).ok()?;
    if head.starts_with("\u{feff}".as_bytes()) {
        head.clear();
    }
    let checked = Utf8Checked::new(std::io::Cursor::new(head).chain(file));
    // Buffered outside the check: the parser reads a byte at a time.
    let reader = std::io::BufReader::with_capacity(1 << 16, checked);
    let mut de = serde_json::Deserializer::from_reader(reader);
    streamed_from(&mut de, name_prop)?.ok()
}

/// A reader that fails (`InvalidData`) on bytes that are not UTF-8, as
/// [`std::fs::read_to_string`] does, checking what passes through in
/// chunks (a character split between two reads is checked whole).
struct Utf8Checked<R> {
    inner: R,
    /// The start of a character whose last bytes are still to come.
    carry: Vec<u8>,
}

impl<R: std::io::Read> Utf8Checked<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            carry: Vec::with_capacity(4),
        }
    }

    fn check(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8");
        while let (false, Some((&b, rest))) = (self.carry.is_empty(), bytes.split_first()) {
            self.carry.push(b);
            bytes = rest;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_none() => {}
                Err(_) => return Err(bad()),
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                self.carry.extend_from_slice(&bytes[e.valid_up_to()..]);
                Ok(())
            }
            Err(_) => Err(bad()),
        }
    }
}

impl<R: std::io::Read> std::io::Read for Utf8Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !self.carry.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "not UTF-8: the text ends inside a character",
            ));
        }
        self.check(&buf[..n])?;
        Ok(n)
    }
}

/// Reads territories from GeoJSON text; `path_for_errors` names the source.
///
/// Polygons keep their holes; GeometryCollections contribute their polygons.
/// A feature without a usable polygon is skipped, an unclosed ring is closed,
/// a broken hole or one broken polygon of a MultiPolygon is dropped; all of it
/// is reported. A feature without a name is called `Territory N`, and
/// duplicate names get ` (2)`, ` (3)`, … appended. Only text that is not JSON
/// or not GeoJSON at all is an error.
pub fn territories_from_geojson_str(
    text: &str,
    path_for_errors: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A FeatureCollection is read one feature at a time: the whole file as
    // a `Value` tree takes about ten times the file's size in memory (100k
    // features, 21 MB: ~200 MB). Anything else, or a file the streamed read
    // cannot take as a collection, goes through the tree, whose errors say
    // what is wrong.
    if text.trim_start().starts_with('{')
        && let Some(done) = streamed(text, name_prop)
    {
        return done.map_err(|e| geo_error(path_for_errors, format!("not valid JSON: {e}")));
    }
    from_tree(text, path_for_errors, name_prop)
}

/// The whole document as one `Value` tree, then its features.
fn from_tree(text: &str, path_for_errors: &Path, name_prop: &str) -> Result<Imported> {
    let root: Value = serde_json::from_str(text)
        .map_err(|e| geo_error(path_for_errors, format!("not valid JSON: {e}")))?;
    let features = top_level_features(&root).map_err(|m| geo_error(path_for_errors, m))?;
    let mut c = super::naming::Collector::new(name_prop);
    for (index, feature) in features.into_iter().enumerate() {
        add_feature(&mut c, index, feature);
    }
    Ok(c.finish())
}

fn geo_error(path: &Path, message: String) -> Error {
    Error::Geo {
        path: path.to_path_buf(),
        feature: None,
        message,
    }
}

/// The features of a parsed GeoJSON document, or why it is not one.
fn top_level_features(root: &Value) -> std::result::Result<Vec<&Value>, String> {
    let Some(obj) = root.as_object() else {
        return Err("not GeoJSON: expected an object with \"type\": \"FeatureCollection\"".into());
    };
    match obj.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match obj.get("features") {
            Some(Value::Array(fs)) => Ok(fs.iter().collect()),
            _ => Err("not GeoJSON: the FeatureCollection has no \"features\" array".into()),
        },
        // A lone Feature, or a lone geometry treated as a Feature without
        // properties.
        Some("Feature" | "Polygon" | "MultiPolygon" | "GeometryCollection") => Ok(vec![root]),
        Some(other) => Err(format!(
            "not GeoJSON territories: expected a FeatureCollection of polygons, found a {other}"
        )),
        None => Err(
            "not GeoJSON: the top-level object has no \"type\"; expected \
                     \"FeatureCollection\""
                .into(),
        ),
    }
}

/// Feature `index` into the collection: imported, or skipped with a reason.
fn add_feature(c: &mut super::naming::Collector, index: usize, feature: &Value) {
    let (geometry, properties) = match feature.get("type").and_then(Value::as_str) {
        Some("Feature") => (
            feature.get("geometry").unwrap_or(&Value::Null),
            feature
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
        ),
        Some("Polygon" | "MultiPolygon" | "GeometryCollection") => (feature, Map::new()),
        _ => {
            c.report
                .skipped
                .push(format!("feature {index}: is not a Feature (skipped)"));
            return;
        }
    };
    let raw_name = property_name(&properties, c.name_prop());
    let label = super::naming::Collector::label("feature", index, raw_name.as_deref());
    let mut fixes = Vec::new();
    let polygons = geometry_polygons(geometry, &mut fixes, 0);
    c.add(index, raw_name, &label, polygons, &fixes, properties);
}

type Imported = (Vec<ImportedTerritory>, TerritoryImportReport);

/// Reads a top-level object whose `"features"` array is handed to
/// [`add_feature`] one element at a time. `None` when the document is not a
/// FeatureCollection with a features array (the caller reads it as a tree);
/// `Some(Err)` for JSON that does not parse.
fn streamed(text: &str, name_prop: &str) -> Option<serde_json::Result<Imported>> {
    streamed_from(&mut serde_json::Deserializer::from_str(text), name_prop)
}

/// [`streamed`] from any source of JSON (text, or a file as it is read).
fn streamed_from<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    name_prop: &str,
) -> Option<serde_json::Result<Imported>> {
    use serde::de::DeserializeSeed;
    let mut c = super::naming::Collector::new(name_prop);
    let top = match (TopSeed { c: &mut c }).deserialize(&mut *de) {
        Ok(top) => top,
        Err(e) => return Some(Err(e)),
    };
    if let Err(e) = de.end() {
        return Some(Err(e));
    }
    (top.is_collection && top.features_streamed).then(|| Ok(c.finish()))
}

/// What the streamed read saw at the top level.
struct Top {
    is_collection: bool,
    features_streamed: bool,
}

struct TopSeed<'c, 'n> {
    c: &'c mut super::naming::Collector<'n>,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Top;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Top, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopSeed<'_, '_> {
    type Value = Top;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Top, A::Error> {
        let mut top = Top {
            is_collection: false,
            features_streamed: false,
        };
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "features" if !top.features_streamed => {
                    top.features_streamed =
                        map.next_value_seed(FeaturesSeed { c: &mut *self.c })?;
                }
                "type" => {
                    let v: Value = map.next_value()?;
                    top.is_collection = v.as_str() == Some("FeatureCollection");
                }
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// The features array, each element parsed alone and added at once;
/// `false` when the value is not an array.
struct FeaturesSeed<'c, 'n> {
    c: &'c mut super::naming::Collector<'n>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = bool;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a features array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<bool, A::Error> {
        let mut index = 0;
        while let Some(feature) = seq.next_element::<Value>()? {
            add_feature(self.c, index, &feature);
            index += 1;
        }
        Ok(true)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<bool, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(false)
    }
    fn visit_unit<E>(self) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<bool, E> {
        Ok(false)
    }
}

/// The name in property `key` (exact, else case-insensitive): strings as
/// they are, numbers written out; `None` when missing or blank.
pub(crate) fn property_name(props: &Map<String, Value>, key: &str) -> Option<String> {
    let v = props.get(key).or_else(|| {
        props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    super::detect::value_text(v)
}

/// GeometryCollections may nest; real files never go deep, so a hostile one
/// is cut off here instead of recursing without bound.
const MAX_NESTING: usize = 8;

/// The polygons of a geometry object. `Err` says why the feature is
/// unusable; repairs are appended to `fixes`.
fn geometry_polygons(
    geom: &Value,
    fixes: &mut Vec<String>,
    depth: usize,
) -> std::result::Result<Vec<Polygon<f64>>, String> {
    if geom.is_null() {
        return Err("has no geometry".into());
    }
    let kind = geom
        .get("type")
        .and_then(Value::as_str)
        .ok_or("geometry has no \"type\"")?;
    let coords = || {
        geom.get("coordinates")
            .ok_or("geometry has no \"coordinates\"")
    };
    match kind {
        "Polygon" => Ok(vec![polygon(coords()?, fixes, "")?]),
        "MultiPolygon" => {
            let parts = coords()?
                .as_array()
                .ok_or("MultiPolygon coordinates are not an array")?;
            let mut polys = Vec::with_capacity(parts.len());
            let fixes_before = fixes.len();
            let mut first_err = None;
            for (k, part) in parts.iter().enumerate() {
                match polygon(part, fixes, &format!("polygon {k}: ")) {
                    Ok(p) => polys.push(p),
                    Err(why) => {
                        fixes.push(format!("dropped {why}"));
                        first_err.get_or_insert(why);
                    }
                }
            }
            match first_err {
                Some(why) if polys.is_empty() => {
                    // Nothing was usable: the drops are not repairs.
                    fixes.truncate(fixes_before);
                    Err(why)
                }
                _ => Ok(polys),
            }
        }
        "GeometryCollection" => {
            if depth >= MAX_NESTING {
                return Err("geometry collections are nested too deeply".into());
            }
            let members = geom
                .get("geometries")
                .and_then(Value::as_array)
                .ok_or("GeometryCollection has no \"geometries\" array")?;
            let mut polys = Vec::new();
            let mut ignored = 0;
            for m in members {
                match m.get("type").and_then(Value::as_str) {
                    Some("Polygon" | "MultiPolygon" | "GeometryCollection") => {
                        match geometry_polygons(m, fixes, depth + 1) {
                            Ok(p) => polys.extend(p),
                            Err(why) => fixes.push(format!("dropped a collection member: {why}")),
                        }
                    }
                    _ => ignored += 1,
                }
            }
            if polys.is_empty() {
                return Err("geometry collection holds no usable polygon".into());
            }
            if ignored > 0 {
                fixes.push(format!(
                    "ignored {ignored} non-polygon member(s) of the geometry collection"
                ));
            }
            Ok(polys)
        }
        other => Err(format!("is a {other}, not a polygon")),
    }
}

/// A polygon from its GeoJSON rings. A bad outer ring makes the polygon
/// unusable; a bad hole is dropped (reported in `fixes`).
fn polygon(
    rings: &Value,
    fixes: &mut Vec<String>,
    prefix: &str,
) -> std::result::Result<Polygon<f64>, String> {
    let rings = rings
        .as_array()
        .ok_or_else(|| format!("{prefix}polygon coordinates are not an array of rings"))?;
    let Some((outer, holes)) = rings.split_first() else {
        return Err(format!("{prefix}has no rings"));
    };
    let exterior = ring(outer, fixes, &format!("{prefix}outer ring"))
        .map_err(|why| format!("{prefix}outer ring {why}"))?;
    let mut interiors = Vec::with_capacity(holes.len());
    for (k, h) in holes.iter().enumerate() {
        let what = format!("{prefix}hole {}", k + 1);
        match ring(h, fixes, &what) {
            Ok(r) => interiors.push(r),
            Err(why) => fixes.push(format!("dropped {what}: it {why}")),
        }
    }
    Ok(Polygon::new(exterior, interiors))
}

/// A closed ring of at least 4 positions inside the lon/lat range. Closes an
/// unclosed ring (noted in `fixes` as `what`).
fn ring(
    v: &Value,
    fixes: &mut Vec<String>,
    what: &str,
) -> std::result::Result<LineString<f64>, String> {
    let positions = v.as_array().ok_or("is not an array of positions")?;
    let mut coords = Vec::with_capacity(positions.len() + 1);
    for (k, p) in positions.iter().enumerate() {
        let xy = p.as_array().and_then(|a| {
            let x = a.first()?.as_f64()?;
            let y = a.get(1)?.as_f64()?;
            Some((x, y))
        });
        let Some((x, y)) = xy else {
            return Err(format!("has position {k} that is not a [lon, lat] pair"));
        };
        let in_range = x.is_finite()
            && y.is_finite()
            && (-180.0..=180.0).contains(&x)
            && (-90.0..=90.0).contains(&y);
        if !in_range {
            return Err(format!(
                "has position {k} ({x}, {y}) outside longitude/latitude range; is the file \
                 in WGS84 (EPSG:4326) degrees?"
            ));
        }
        coords.push(Coord { x, y });
    }
    if let (Some(&first), Some(&last)) = (coords.first(), coords.last())
        && first != last
    {
        coords.push(first);
        if coords.len() >= 4 {
            fixes.push(format!("closed unclosed {what}"));
        }
    }
    if coords.len() < 4 {
        return Err(format!(
            "has {} positions; a ring needs at least 4",
            positions.len()
        ));
    }
    Ok(LineString(coords))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
        territories_from_geojson_str(text, Path::new("t.geojson"), "name")
    }

    /// The streamed read gives exactly what the tree read gives: the same
    /// territories, names, repairs and skips, in the same order.
    #[test]
    fn streamed_read_equals_the_tree_read() {
        let features = [
            r#"{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}"#,
            r#"{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0,0]}}"#,
            r#"{"type":"Polygon","coordinates":[[[2,2],[3,2],[3,3],[2,2]]]}"#,
            r#"{"type":"Feature","properties":{"name":7},"geometry":null}"#,
            r#"{"type":"Feature","properties":{"NAME":"b"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5]]]]}}"#,
            r#"[1,2]"#,
        ];
        let all = features.join(",");
        let docs = [
            fc(&all),
            format!(r#"{{"features":[{all}],"bbox":[0,0,1,1],"type":"FeatureCollection"}}"#),
            format!(
                r#"{{"type":"FeatureCollection","crs":{{"a":[1,{{"b":2}}]}},"features":[{all}]}}"#
            ),
            fc(""),
        ];
        for doc in &docs {
            let path = Path::new("t.geojson");
            let streamed = streamed(doc, "name").expect("a collection").unwrap();
            assert_eq!(streamed, from_tree(doc, path, "name").unwrap(), "{doc}");
            assert_eq!(streamed, parse(doc).unwrap());
        }
        assert!(!docs[0].is_empty() && parse(&docs[0]).unwrap().0.len() == 4);
    }

    /// Documents that are not a collection with a features array are not
    /// taken by the streamed read (the tree read names what is wrong), and
    /// broken JSON inside a feature is an error naming the line.
    #[test]
    fn streamed_read_leaves_the_rest_to_the_tree_read() {
        for doc in [
            r#"{"type":"Feature","properties":{"name":"X"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#,
            r#"{"type":"FeatureCollection","features":{"a":1}}"#,
            r#"{"type":"FeatureCollection"}"#,
            r#"{"features":[]}"#,
            r#"{"type":"Topology","features":[]}"#,
        ] {
            assert!(streamed(doc, "name").is_none(), "{doc}");
        }
        let broken = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\n\"geometry\": nul}]}";
        let e = parse(broken).unwrap_err().to_string();
        assert!(e.contains("not valid JSON") && e.contains("line 3"), "{e}");
    }

    /// Reading a file as it streams in gives exactly what reading its
    /// whole text gives (what `import_territories` did before): the same
    /// territories, repairs and skips naming their feature numbers, and
    /// the same errors. Collections take the streamed read; the rest, and
    /// anything that is not UTF-8 (even where the stream only skips), go
    /// to the text read.
    #[test]
    fn file_read_equals_the_text_read() {
        let dir = tempfile::tempdir().unwrap();
        let mixed = fc(&[
            r#"{"type":"Feature","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}"#,
            r#"{"type":"Feature","properties":{"name":"pt"},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
            r#"{"type":"Feature","properties":{"name":"a","rep":"Kim"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#,
            r#"{"type":"Feature","properties":{"name":"far"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[500,0],[500,40],[0,0]]]}}"#,
        ]
        .join(","));
        // Multi-byte names over many 64 KiB reads: characters split
        // between reads.
        let many = fc(&(0..3000)
            .map(|i| {
                format!(
                    r#"{{"type":"Feature","properties":{{"name":"Tōkyō 東京 🗺 {i}"}},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(","));
        assert!(many.len() > 4 << 16);
        let lone = format!(
            r#"{{"type":"Feature","properties":{{"name":"Solo"}},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}}"#
        );
        let streamed_docs: Vec<Vec<u8>> = vec![
            mixed.clone().into(),
            ["\u{feff}", &mixed].concat().into(),
            format!("\n\t {mixed}\n").into(),
            many.into(),
            fc("").into(),
        ];
        let text_docs: Vec<Vec<u8>> = vec![
            lone.into(),
            r#"{"type":"FeatureCollection"}"#.into(),
            "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\n\"geometry\": nul}]}".into(),
            // Not UTF-8 inside a value the stream skips, and at the end.
            b"{\"type\":\"FeatureCollection\",\"crs\":\"\xff\",\"features\":[]}".to_vec(),
            b"{\"type\":\"FeatureCollection\",\"features\":[]}\xe6\x9d".to_vec(),
            b"\xff\xfe{\0}\0".to_vec(),
            Vec::new(),
            b"[1,2]".to_vec(),
            ["\u{feff}\u{feff}", &mixed].concat().into(),
        ];
        let docs = streamed_docs.iter().map(|d| (d, true));
        for (k, (bytes, streams)) in docs.chain(text_docs.iter().map(|d| (d, false))).enumerate() {
            let path = dir.path().join(format!("{k}.geojson"));
            std::fs::write(&path, bytes).unwrap();
            let text_read = std::fs::read_to_string(&path)
                .map_err(|e| Error::io(&path, e))
                .and_then(|text| territories_from_geojson_str(&text, &path, "name"));
            assert_eq!(streamed_file(&path, "name").is_some(), streams, "doc {k}");
            match (import_territories(&path, "name"), text_read) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "doc {k}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "doc {k}"),
                (a, b) => panic!("doc {k}: {a:?} vs {b:?}"),
            }
        }
        let (ts, report) = import_territories(&dir.path().join("0.geojson"), "name").unwrap();
        assert_eq!(ts.len(), 2);
        assert!(
            report.skipped[0].starts_with("feature 1 ('pt')"),
            "{report:?}"
        );
        assert!(
            report.skipped[1].starts_with("feature 3 ('far')"),
            "{report:?}"
        );
        assert!(
            report.repaired[0].starts_with("feature 0 ('A')"),
            "{report:?}"
        );
        assert_eq!(ts[1].name, "a (2)");
        let (ts, _) = import_territories(&dir.path().join("3.geojson"), "name").unwrap();
        assert_eq!(
            (ts.len(), ts[2999].name.as_str()),
            (3000, "Tōkyō 東京 🗺 2999")
        );
    }

    /// The UTF-8 check takes characters split between reads of any size,
    /// and refuses what is not UTF-8, wherever it is cut.
    #[test]
    fn utf8_check_across_reads() {
        use std::io::Read;
        /// Hands out at most `.1` bytes per read.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let good = "aé東🗺z🗺🗺é".as_bytes();
        let bad: [&[u8]; 4] = [b"ab\xffcd", b"ab\xe6\x9d", b"\xe6\x9dx", b"a\xf0\x9f\x97"];
        for chunk in 1..=6 {
            let mut out = Vec::new();
            Utf8Checked::new(Trickle(good, chunk))
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, good);
            for b in bad {
                let e = Utf8Checked::new(Trickle(b, chunk))
                    .read_to_end(&mut Vec::new())
                    .unwrap_err();
                assert_eq!(
                    e.kind(),
                    std::io::ErrorKind::InvalidData,
                    "{b:?} by {chunk}"
                );
            }
        }
    }

    fn fc(features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
    }

    const SQUARE: &str = "[[[0,0],[10,0],[10,10],[0,10],[0,0]]]";

    #[test]
    fn polygon_with_hole() {
        let text = fc(r#"{"type":"Feature","properties":{"name":"A","rep":"Kim"},
            "geometry":{"type":"Polygon","coordinates":[
              [[0,0],[10,0],[10,10],[0,10],[0,0]],
              [[2,2],[4,2],[4,4],[2,4],[2,2]]]}}"#);
        let (ts, rep) = parse(&text).unwrap();
        assert_eq!(rep.imported, 1);
        assert!(rep.skipped.is_empty() && rep.repaired.is_empty());
        let p = &ts[0].geometry.0[0];
        assert_eq!(p.interiors().len(), 1);
        assert_eq!(p.exterior().0.len(), 5);
        assert_eq!(*ts[0].properties.get("rep").unwrap(), "Kim");
        use geo::Area;
        assert!((ts[0].geometry.unsigned_area() - 96.0).abs() < 1e-9);
    }

    #[test]
    fn unclosed_ring_is_closed_and_reported() {
        let text = fc(r#"{"type":"Feature","properties":{"name":"T"},
            "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}"#);
        let (ts, rep) = parse(&text).unwrap();
        let ext = ts[0].geometry.0[0].exterior();
        assert_eq!(ext.0.len(), 4);
        assert_eq!(ext.0.first(), ext.0.last());
        assert_eq!(rep.repaired.len(), 1);
        assert!(
            rep.repaired[0].contains("feature 0 ('T')"),
            "{:?}",
            rep.repaired
        );
    }

    #[test]
    fn broken_features_are_skipped_with_reasons() {
        let text = fc(&[
            r#"{"type":"Feature","properties":{"name":"pt"},"geometry":{"type":"Point","coordinates":[1,2]}}"#.to_string(),
            r#"{"type":"Feature","properties":{"name":"null"},"geometry":null}"#.to_string(),
            r#"{"type":"Feature","properties":{"name":"short"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}}"#.to_string(),
            r#"{"type":"Feature","properties":{"name":"far"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[500000,0],[500000,400000],[0,0]]]}}"#.to_string(),
            r#"{"type":"Feature","properties":{"name":"junk"},"geometry":{"type":"Polygon","coordinates":[[["a","b"]]]}}"#.to_string(),
            r#"{"type":"Feature","properties":{"name":"ok"},"geometry":{"type":"Polygon","coordinates":"#.to_string() + SQUARE + "}}",
            r#"{"type":"Feature","properties":{"name":"nocoords"},"geometry":{"type":"Polygon"}}"#.to_string(),
            "42".to_string(),
        ]
        .join(","));
        let (ts, rep) = parse(&text).unwrap();
        assert_eq!(ts.len(), 1);
        assert_eq!(ts[0].name, "ok");
        assert_eq!(rep.imported, 1);
        assert_eq!(rep.skipped.len(), 7, "{:?}", rep.skipped);
        assert!(rep.skipped[0].starts_with("feature 0 ('pt'): is a Point"));
        assert!(rep.skipped[1].contains("no geometry"));
        assert!(rep.skipped[2].contains("at least 4"));
        assert!(rep.skipped[3].contains("WGS84"));
        assert!(rep.skipped[4].contains("not a [lon, lat] pair"));
        assert!(rep.skipped[6].starts_with("feature 7:"));
        assert!(rep.skipped.iter().all(|s| s.ends_with("(skipped)")));
    }

    #[test]
    fn bad_hole_and_bad_part_are_dropped() {
        let text = fc(r#"{"type":"Feature","properties":{"name":"M"},
            "geometry":{"type":"MultiPolygon","coordinates":[
              [[[0,0],[1,0],[1,1],[0,1],[0,0]], [[0.2,0.2],[0.3,0.3]]],
              [[[5,5],[6,5]]],
              [[[2,2],[3,2],[3,3],[2,3],[2,2]]]]}}"#);
        let (ts, rep) = parse(&text).unwrap();
        assert_eq!(ts[0].geometry.0.len(), 2);
        assert!(ts[0].geometry.0[0].interiors().is_empty());
        assert_eq!(rep.repaired.len(), 1);
        assert!(
            rep.repaired[0].contains("dropped polygon 0: hole 1: it has 2 positions"),
            "{:?}",
            rep.repaired
        );
        assert!(
            rep.repaired[0].contains("dropped polygon 1: outer ring has 2 positions"),
            "{:?}",
            rep.repaired
        );
    }

    #[test]
    fn geometry_collection_contributes_polygons() {
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{"name":"G"}},"geometry":{{"type":"GeometryCollection","geometries":[
                {{"type":"Point","coordinates":[1,1]}},
                {{"type":"Polygon","coordinates":{SQUARE}}},
                {{"type":"MultiPolygon","coordinates":[{SQUARE},{SQUARE}]}}]}}}}"#
        ));
        let (ts, rep) = parse(&text).unwrap();
        assert_eq!(ts[0].geometry.0.len(), 3);
        assert!(rep.repaired[0].contains("ignored 1 non-polygon"));
    }

    #[test]
    fn names_fall_back_and_are_made_unique() {
        let f = |props: &str| {
            format!(
                r#"{{"type":"Feature","properties":{props},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}}"#
            )
        };
        let text = fc(&[
            f(r#"{"NAME":"North"}"#),
            f(r#"{"name":"north"}"#),
            f("null"),
            f(r#"{"name":"  "}"#),
            f(r#"{"name":7}"#),
            f(r#"{"name":"North (2)"}"#),
        ]
        .join(","));
        let (ts, rep) = parse(&text).unwrap();
        let names: Vec<&str> = ts.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "North",
                "north (2)",
                "Territory 3",
                "Territory 4",
                "7",
                "North (2) (2)"
            ]
        );
        assert_eq!(rep.notes.len(), 4, "{:?}", rep.notes);
    }

    #[test]
    fn lone_feature_and_lone_geometry() {
        let (ts, _) = parse(&format!(
            r#"{{"type":"Feature","properties":{{"name":"Solo"}},"geometry":{{"type":"Polygon","coordinates":{SQUARE}}}}}"#
        ))
        .unwrap();
        assert_eq!(ts[0].name, "Solo");
        let (ts, _) = parse(&format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#)).unwrap();
        assert_eq!(ts.len(), 1);
        assert_eq!(ts[0].name, "Territory 1");
    }

    #[test]
    fn empty_multipolygon_is_an_empty_territory() {
        let text = fc(
            r#"{"type":"Feature","properties":{"name":"Pins"},"geometry":{"type":"MultiPolygon","coordinates":[]}}"#,
        );
        let (ts, rep) = parse(&text).unwrap();
        assert_eq!(rep.imported, 1);
        assert!(ts[0].geometry.0.is_empty());
    }

    #[test]
    fn invalid_json_and_non_geojson_are_errors() {
        let err =
            parse("{\n  \"type\": \"FeatureCollection\",\n  \"features\": [,]\n}").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Geo { .. }));
        assert!(msg.contains("line 3"), "{msg}");
        assert!(msg.contains("column"), "{msg}");
        assert!(
            parse("[1,2]")
                .unwrap_err()
                .to_string()
                .contains("not GeoJSON")
        );
        assert!(
            parse(r#"{"a":1}"#)
                .unwrap_err()
                .to_string()
                .contains("not GeoJSON")
        );
        assert!(
            parse(r#"{"type":"Point","coordinates":[1,2]}"#)
                .unwrap_err()
                .to_string()
                .contains("Point")
        );
        assert!(parse(r#"{"type":"FeatureCollection"}"#).is_err());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let mut g = format!(r#"{{"type":"Polygon","coordinates":{SQUARE}}}"#);
        for _ in 0..50 {
            g = format!(r#"{{"type":"GeometryCollection","geometries":[{g}]}}"#);
        }
        let text = fc(&format!(
            r#"{{"type":"Feature","properties":{{}},"geometry":{g}}}"#
        ));
        let (ts, rep) = parse(&text).unwrap();
        assert!(ts.is_empty());
        assert_eq!(rep.skipped.len(), 1);
    }
}
