//! Territories from KMZ (zipped KML, what Google Earth saves and most GIS
//! tools export) and the plan's territories as KMZ.
//!
//! A KMZ is a zip archive whose main document is `doc.kml` at the root, or
//! else the first `.kml` at the root (Google Earth's rule); archives zipped
//! with their folder, where the document sits one level down, are accepted
//! too. The document is read by the KML importer, so everything it does
//! (holes, MultiGeometry, styles, skipped Placemarks) holds here; its
//! errors name the document inside the archive, as `regions.kmz/doc.kml`.

use std::io::{ErrorKind, Read, Seek, Write};
use std::path::Path;

use zip::ZipArchive;
use zip::result::ZipError;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::imported::{ImportedTerritory, TerritoryImportReport};
use super::kml::{territories_from_kml_str, write_territories_kml};
use crate::core::model::Project;
use crate::core::{Error, Result};

/// The largest KML document read out of a KMZ (uncompressed), checked
/// against the size the archive declares before anything is allocated: a
/// guard against zip bombs. Reading KML takes several times its size in
/// memory, and the largest real territory layers (every US ZIP code area)
/// are well below this.
pub const MAX_DOCUMENT_BYTES: u64 = 256 << 20;

/// The first bytes of every zip archive (a local file header).
pub(crate) const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Reads the territories of the KML file at `path`. See the module docs.
pub fn import_kml(
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    // Zipped KML given a .kml name: read it as the KMZ it is.
    if bytes.starts_with(ZIP_MAGIC) {
        return import_kmz(path, name_prop);
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

/// Reads the territories of the KMZ file at `path`; `name_prop` as for
/// KML. See the module docs. A file that is plain KML text, not zipped,
/// is read as KML (with a note saying so).
pub fn import_kmz(
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if let Some(advice) = super::utf16_advice(&bytes) {
        return Err(Error::Geo {
            path: path.to_path_buf(),
            feature: None,
            message: advice,
        });
    }
    if looks_like_xml(&bytes[..bytes.len().min(64)]) {
        let text = String::from_utf8(bytes)
            .map_err(|e| Error::io(path, std::io::Error::new(ErrorKind::InvalidData, e)))?;
        let (territories, mut report) = territories_from_kml_str(&text, path, name_prop)?;
        report
            .notes
            .push("the file is plain KML text, not a zipped KMZ: read as KML".into());
        return Ok((territories, report));
    }
    territories_from_kmz(std::io::Cursor::new(bytes), path, name_prop)
}

/// Reads territories from a KMZ archive in `reader`; `path` names the
/// source in errors.
pub fn territories_from_kmz<R: Read + Seek>(
    reader: R,
    path: &Path,
    name_prop: &str,
) -> Result<(Vec<ImportedTerritory>, TerritoryImportReport)> {
    let (entry, text) = main_document(reader, path)?;
    territories_from_kml_str(&text, &path.join(entry), name_prop)
}

/// The name and text of the archive's main KML document.
fn main_document<R: Read + Seek>(reader: R, path: &Path) -> Result<(String, String)> {
    let problem = |message: String| Error::Geo {
        path: path.to_path_buf(),
        feature: None,
        message,
    };
    let mut archive = ZipArchive::new(reader).map_err(|e| match e {
        ZipError::Io(e) if e.kind() != ErrorKind::UnexpectedEof => Error::io(path, e),
        e => problem(format!(
            "not a KMZ file: a KMZ is a zip archive holding a .kml document, and this \
             is not a zip archive ({e})"
        )),
    })?;
    let names: Vec<String> = archive
        .file_names_raw()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let Some(index) = pick_document(&names) else {
        let mut listed: Vec<&str> = names.iter().map(String::as_str).take(6).collect();
        if names.len() > 6 {
            listed.push("…");
        }
        let holds = if names.is_empty() {
            "it is empty".to_owned()
        } else {
            format!("it holds {}", listed.join(", "))
        };
        return Err(problem(format!(
            "no .kml document inside the KMZ ({holds})"
        )));
    };
    let name = names[index].clone();
    // Reading fails as Unsupported for a compression this build does not
    // decode (bzip2, LZMA…), otherwise because the archive is damaged.
    let unreadable = |e: std::io::Error| {
        let advice = if e.kind() == ErrorKind::Unsupported {
            "save the KMZ again with standard (deflate) compression, as Google Earth does"
        } else {
            "the archive is damaged; save or download it again"
        };
        problem(format!(
            "'{name}' inside the KMZ cannot be read ({e}): {advice}"
        ))
    };
    let mut entry = archive.by_index(index).map_err(|e| unreadable(e.into()))?;
    if entry.size() > MAX_DOCUMENT_BYTES {
        return Err(problem(format!(
            "'{name}' inside the KMZ is {} MB uncompressed, more than the {} MB Turfmap reads",
            entry.size() >> 20,
            MAX_DOCUMENT_BYTES >> 20
        )));
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    (&mut entry)
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(problem(format!(
            "'{name}' inside the KMZ is more than the {} MB Turfmap reads",
            MAX_DOCUMENT_BYTES >> 20
        )));
    }
    if let Some(advice) = super::utf16_advice(&bytes) {
        return Err(problem(format!("'{name}' inside the KMZ: {advice}")));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| problem(format!("'{name}' inside the KMZ is not UTF-8 text")))?;
    Ok((name, text))
}

/// Which of the archive's entries is the main document: `doc.kml` at the
/// root, else the first `.kml` at the root, else the first `.kml` one
/// folder down (an archive made by zipping a folder). Names compare
/// without regard to case.
fn pick_document(names: &[String]) -> Option<usize> {
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let is_kml = |n: &str| n.ends_with(".kml");
    let depth = |n: &str| n.trim_start_matches('/').matches('/').count();
    lower
        .iter()
        .position(|n| n.trim_start_matches('/') == "doc.kml")
        .or_else(|| lower.iter().position(|n| is_kml(n) && depth(n) == 0))
        .or_else(|| lower.iter().position(|n| is_kml(n) && depth(n) == 1))
}

/// True when `head` starts (after a byte-order mark and white space) like
/// an XML document.
pub(crate) fn looks_like_xml(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

/// Writes the plan's territories as a KMZ: the KML of
/// [`write_territories_kml`] as a deflated `doc.kml`.
pub fn write_territories_kmz<W: Write + Seek>(w: W, project: &Project) -> Result<()> {
    let zip_err = |e: ZipError| match e {
        ZipError::Io(e) => Error::io(std::path::PathBuf::new(), e),
        e => Error::invalid(format!("writing the KMZ: {e}")),
    };
    let mut zip = ZipWriter::new(w);
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("doc.kml", options).map_err(zip_err)?;
    write_territories_kml(&mut zip, project)?;
    zip.finish().map_err(zip_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_main_document_is_doc_kml_then_the_first_root_kml() {
        let pick = |n: &[&str]| pick_document(&names(n));
        assert_eq!(pick(&["a.kml", "files/x.png", "DOC.KML"]), Some(2));
        assert_eq!(pick(&["files/b.kml", "a.kml", "c.kml"]), Some(1));
        assert_eq!(pick(&["regions/", "regions/doc.kml"]), Some(1));
        assert_eq!(pick(&["a/b/c.kml", "x.png"]), None);
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn xml_is_told_from_other_bytes() {
        assert!(looks_like_xml(b"\xEF\xBB\xBF  \n<?xml"));
        assert!(!looks_like_xml(b"PK\x03\x04"));
        assert!(!looks_like_xml(b""));
    }
}
