//! Importers: accounts from CRM CSV exports, territories from GeoJSON, and
//! the bundled US ZIP centroid table used to place accounts without
//! coordinates.

pub mod accounts;
pub mod plan;
pub mod territories;
pub mod zips;

pub use accounts::{
    AccountImportOptions, ImportReport, import_accounts, import_accounts_from_reader,
};
pub use plan::{TerritoryMerge, add_territories, merge_territories};
pub use territories::{
    ImportedTerritory, TerritoryImportReport, import_territories, territories_from_geojson_str,
};
pub use zips::{ZipEntry, ZipTable, normalize_zip, zip_centroid, zip_table};
