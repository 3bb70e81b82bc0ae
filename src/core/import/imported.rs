//! What every territory reader returns: the territories it read and a
//! report of what it skipped, repaired or renamed. Shared by the GeoJSON,
//! shapefile, KML and KMZ readers and by the naming helpers.

use geo::MultiPolygon;
use serde_json::{Map, Value};

/// One territory read from a file (a GeoJSON feature, a shapefile record,
/// a KML placemark).
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedTerritory {
    /// Name from the name property, made unique within the file.
    pub name: String,
    /// Boundary in lon/lat degrees; empty for a feature whose geometry is an
    /// empty MultiPolygon (a territory that only holds pinned accounts).
    pub geometry: MultiPolygon<f64>,
    /// All properties of the feature, as in the file.
    pub properties: Properties,
}

/// A feature's properties, in the order of a [`Map`], kept as one short
/// list: a map of one property took a 640-byte tree node, 38 MB for a file
/// of 100,000 features (three times the geometry).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Properties(Box<[(String, Value)]>);

impl Properties {
    /// The value of property `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        // A feature has few properties: a scan, whatever their order.
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Every property, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `properties["rep"]`, as on a [`Map`]: panics when there is no such
/// property.
impl std::ops::Index<&str> for Properties {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        self.get(key).expect("no such property")
    }
}

impl From<Map<String, Value>> for Properties {
    fn from(map: Map<String, Value>) -> Self {
        Self(map.into_iter().collect())
    }
}

impl FromIterator<(String, Value)> for Properties {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        iter.into_iter().collect::<Map<String, Value>>().into()
    }
}

impl<'a> IntoIterator for &'a Properties {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

/// What a territories import did besides importing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TerritoryImportReport {
    /// Features imported as territories.
    pub imported: usize,
    /// Features that were not imported, one message each:
    /// `feature 3 ('North'): is a Point, not a polygon (skipped)`.
    pub skipped: Vec<String>,
    /// Features imported after a repair (closed rings, dropped holes or
    /// polygons), one message each.
    pub repaired: Vec<String>,
    /// Names that were made up or changed: missing names, duplicates.
    pub notes: Vec<String>,
    /// Imported features that had no value for the name property.
    pub unnamed: usize,
    /// The property the names came from when it was found rather than
    /// given (no `name` property; see [`super::territories_named`]).
    pub named_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list answers as the map it came from, in the map's order.
    #[test]
    fn properties_answer_as_their_map() {
        let map: Map<String, Value> = [("rep", "Kim"), ("name", "North"), ("color", "#ff0000")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect();
        let props = Properties::from(map.clone());
        for key in ["rep", "name", "color", "missing", "Rep"] {
            assert_eq!(props.get(key), map.get(key), "{key}");
        }
        assert_eq!(props.len(), 3);
        assert!(props.iter().map(|(k, _)| k).eq(map.keys()));
        assert_eq!(props["rep"], "Kim");
        assert!(Properties::default().is_empty());
    }
}
