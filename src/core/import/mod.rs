//! Importers: accounts from CRM CSV exports, territories from GeoJSON,
//! Esri shapefiles and KML/KMZ, and the bundled US ZIP centroid table used to
//! place accounts without coordinates.

pub mod accounts;
pub mod detect;
pub mod imported;
pub mod kml;
pub mod kmz;
mod naming;
pub mod plan;
pub mod preview;
pub mod shp;
pub mod territories;
pub mod workbook;

pub use kml::{territories_from_kml_str, write_territories_kml};
pub use kmz::{import_kml, import_kmz, territories_from_kmz, write_territories_kmz};
pub use shp::import_shapefile;

pub use crate::core::geocode::zips::{
    self, ZipEntry, ZipTable, normalize_zip, zip_centroid, zip_table,
};
pub use accounts::{
    AccountImportOptions, IdCheck, ImportReport, MappingCheck, check_accounts, import_accounts,
    import_accounts_from_reader,
};
pub use plan::{
    NewPlanFiles, NewPlanReport, TerritoryMerge, add_territories, merge_territories, new_project,
};
pub use territories::{
    ImportedTerritory, TerritoryImportReport, import_territories, territories_from_geojson_str,
};
pub use workbook::{is_workbook, sheet_names};

/// Territory file formats, told apart by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerritoryFormat {
    /// `.geojson` / `.json`.
    GeoJson,
    /// `.shp` (with `.dbf`, `.prj` beside it).
    Shapefile,
    /// `.kml`.
    Kml,
    /// `.kmz` (zipped KML).
    Kmz,
}

impl TerritoryFormat {
    /// The format of `path` by its extension; `None` when unknown.
    pub fn of(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Self::GeoJson),
            "shp" | "dbf" => Some(Self::Shapefile),
            "kml" => Some(Self::Kml),
            "kmz" => Some(Self::Kmz),
            _ => None,
        }
    }

    /// The format of a file whose extension says none, by its first bytes:
    /// a zip archive is KMZ, XML is KML, anything else is taken for
    /// GeoJSON (whose reader says clearly when it is not).
    pub fn sniff(path: &std::path::Path) -> Option<Self> {
        use std::io::Read;
        let mut head = [0u8; 64];
        let mut file = std::fs::File::open(path).ok()?;
        let n = file.read(&mut head).ok()?;
        if head[..n].starts_with(kmz::ZIP_MAGIC) {
            Some(Self::Kmz)
        } else if kmz::looks_like_xml(&head[..n]) {
            Some(Self::Kml)
        } else {
            None
        }
    }

    /// File extensions a file dialog should offer for import.
    pub const IMPORT_EXTENSIONS: [&str; 5] = ["geojson", "json", "shp", "kml", "kmz"];
}

/// Reads territories from a GeoJSON, shapefile, KML or KMZ file, by
/// extension (a file with another extension by its first bytes: a zip is
/// KMZ, XML is KML, the rest is read as GeoJSON, which says clearly when it
/// is not). `name_prop` is the property / attribute / ExtendedData field
/// that holds the name (`name`: KML's `<name>`).
pub fn territories_from_file(
    path: &std::path::Path,
    name_prop: &str,
) -> crate::core::Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    match TerritoryFormat::of(path).or_else(|| TerritoryFormat::sniff(path)) {
        Some(TerritoryFormat::Shapefile) => import_shapefile(&shp::sibling(path, "shp"), name_prop),
        Some(TerritoryFormat::Kml) => import_kml(path, name_prop),
        Some(TerritoryFormat::Kmz) => import_kmz(path, name_prop),
        Some(TerritoryFormat::GeoJson) | None => import_territories(path, name_prop),
    }
}

/// Advice for a file of UTF-16 text (a byte order mark, or the NUL byte
/// every other byte that ASCII text in UTF-16 has), which the readers of
/// KML and CSV, being UTF-8, would otherwise reject as garbage.
pub(crate) fn utf16_advice(bytes: &[u8]) -> Option<String> {
    let bom = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let head = &bytes[..bytes.len().min(64)];
    let nul_pairs =
        head.len() >= 8 && head.chunks(2).filter(|c| c.contains(&0)).count() * 2 >= head.len() - 1;
    (bom || nul_pairs).then(|| {
        "the file is UTF-16 text; save it as UTF-8 (in a text editor: Save As, encoding \
         UTF-8) and import it again"
            .to_owned()
    })
}

/// Reads territories like [`territories_from_file`], making sure their
/// names come from a property the file has. `name_prop` given: an error
/// listing the properties (with sample values) when no feature has it.
/// `None`: `name`, else the one property that clearly names the features
/// ([`detect::name_like_property`], e.g. `STATE_NAME`, noted in the
/// report), else an error listing the properties, so the user can choose.
pub fn territories_named(
    path: &std::path::Path,
    name_prop: Option<&str>,
) -> crate::core::Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let (imported, report) = territories_from_file(path, name_prop.unwrap_or("name"))?;
    if imported.is_empty() || report.unnamed < imported.len() {
        return Ok((imported, report));
    }
    let props = detect::property_summaries(&imported);
    let refuse = |wanted: Option<&str>| crate::core::Error::Geo {
        path: path.to_path_buf(),
        feature: None,
        message: detect::name_property_message(wanted, &props),
    };
    if name_prop.is_some() {
        return Err(refuse(name_prop));
    }
    let Some(alt) = detect::name_like_property(&props, imported.len()) else {
        return Err(refuse(None));
    };
    let (imported, mut report) = territories_from_file(path, &alt)?;
    report.named_by = Some(alt);
    Ok((imported, report))
}

/// Writes the plan's territories to `path` (atomically) as `format`: KML,
/// KMZ or GeoJSON. Shapefiles are read, not written.
pub fn write_territories_file(
    path: &std::path::Path,
    project: &crate::core::model::Project,
    format: TerritoryFormat,
) -> crate::core::Result<()> {
    use crate::core::export::write_territories_geojson;
    use crate::core::fs::write_file_atomically;
    match format {
        TerritoryFormat::Kml => write_file_atomically(path, |w| write_territories_kml(w, project)),
        TerritoryFormat::Kmz => {
            // Zip needs to seek: build it in memory, so that it can also
            // stream into a pipe or standard output.
            let mut zip = std::io::Cursor::new(Vec::new());
            write_territories_kmz(&mut zip, project)?;
            write_file_atomically(path, |w| {
                std::io::Write::write_all(w, zip.get_ref())
                    .map_err(|e| crate::core::Error::io(path, e))
            })
        }
        TerritoryFormat::GeoJson => {
            write_file_atomically(path, |w| write_territories_geojson(w, project))
        }
        TerritoryFormat::Shapefile => Err(crate::core::Error::invalid(format!(
            "{}: territories are written as GeoJSON, KML or KMZ, not as a shapefile",
            path.display()
        ))),
    }
}
