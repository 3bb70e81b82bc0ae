//! Importers: accounts from CRM CSV exports, territories from GeoJSON,
//! Esri shapefiles and KML, and the bundled US ZIP centroid table used to
//! place accounts without coordinates.

pub mod accounts;
pub mod kml;
mod naming;
pub mod plan;
pub mod shp;
pub mod territories;
pub mod zips;

pub use kml::{import_kml, territories_from_kml_str, write_territories_kml};
pub use shp::import_shapefile;

pub use accounts::{
    AccountImportOptions, ImportReport, import_accounts, import_accounts_from_reader,
};
pub use plan::{TerritoryMerge, add_territories, merge_territories};
pub use territories::{
    ImportedTerritory, TerritoryImportReport, import_territories, territories_from_geojson_str,
};
pub use zips::{ZipEntry, ZipTable, normalize_zip, zip_centroid, zip_table};

/// Territory file formats, told apart by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerritoryFormat {
    /// `.geojson` / `.json`.
    GeoJson,
    /// `.shp` (with `.dbf`, `.prj` beside it).
    Shapefile,
    /// `.kml`.
    Kml,
}

impl TerritoryFormat {
    /// The format of `path` by its extension; `None` when unknown.
    pub fn of(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Self::GeoJson),
            "shp" | "dbf" => Some(Self::Shapefile),
            "kml" => Some(Self::Kml),
            _ => None,
        }
    }

    /// File extensions a file dialog should offer for import.
    pub const IMPORT_EXTENSIONS: [&str; 4] = ["geojson", "json", "shp", "kml"];
}

/// Reads territories from a GeoJSON, shapefile or KML file, by extension
/// (an unknown extension is read as GeoJSON, which says clearly when it is
/// not). `name_prop` is the property / attribute / ExtendedData field that
/// holds the name (`name`: KML's `<name>`).
pub fn territories_from_file(
    path: &std::path::Path,
    name_prop: &str,
) -> crate::core::Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    match TerritoryFormat::of(path) {
        Some(TerritoryFormat::Shapefile) => import_shapefile(&shp::sibling(path, "shp"), name_prop),
        Some(TerritoryFormat::Kml) => import_kml(path, name_prop),
        Some(TerritoryFormat::GeoJson) | None => import_territories(path, name_prop),
    }
}
