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
    pub properties: Map<String, Value>,
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
