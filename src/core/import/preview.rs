//! What the window's import wizard shows before importing: the first rows
//! of an accounts table, its delimiter and encoding, the sheets of a
//! workbook, and a role per column. Roles go back into the same
//! [`AccountImportOptions`] the CLI's `--id-col`, `--zip-col`… fill, so the
//! window and the CLI import through one pipeline
//! ([`super::accounts::import_accounts`]); detection is the import's own
//! (a check with no columns given, see [`super::accounts::check_accounts`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::accounts::{
    AccountImportOptions, ImportReport, is_blank, sniff_delimiter, table_bytes, text_bytes,
};
use super::detect::ROW_NUMBER_ID;
use super::workbook::{is_workbook, sheet_names};
use crate::core::{Error, Result};

/// The head of an accounts table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TablePreview {
    /// Column names, as in the file (trimmed).
    pub headers: Vec<String>,
    /// The first non-blank data rows, one string per column.
    pub rows: Vec<Vec<String>>,
    /// The field delimiter (`,`, `;` or tab).
    pub delimiter: u8,
    /// How the text is encoded, in words (`UTF-8`, `UTF-8 with byte order
    /// mark`, `spreadsheet`, or what is wrong with it).
    pub encoding: String,
    /// The workbook's sheets, in order (empty for a CSV file).
    pub sheets: Vec<String>,
}

impl TablePreview {
    /// `comma`, `semicolon`, `tab`.
    pub fn delimiter_name(&self) -> &'static str {
        match self.delimiter {
            b';' => "semicolon",
            b'\t' => "tab",
            _ => "comma",
        }
    }

    /// The key under which a mapping of these columns is remembered: the
    /// header names, lower-cased, in order.
    pub fn header_key(&self) -> String {
        header_key(&self.headers)
    }
}

/// The key under which a mapping of `headers` is remembered.
pub fn header_key(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// Reads the header and up to `rows` data rows of `path` (sheet `sheet` of
/// a workbook, the first when `None`).
pub fn preview_table(path: &Path, sheet: Option<&str>, rows: usize) -> Result<TablePreview> {
    let workbook = is_workbook(path);
    let sheets = if workbook {
        sheet_names(path)?
    } else {
        Vec::new()
    };
    let raw = table_bytes(path, sheet)?;
    let bytes = text_bytes(&raw, path)?;
    super::detect::refuse_non_table_bytes(path, bytes)?;
    let encoding = if workbook {
        "spreadsheet".to_owned()
    } else {
        encoding_of(&raw)
    };
    let delimiter = sniff_delimiter(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    // Lossy: the preview shows what it can; the check names bad bytes.
    let mut records = rdr.byte_records().map(|r| {
        r.map(|b| {
            // `?` for bytes that are not UTF-8 (not every font has U+FFFD).
            let fields: Vec<String> = b
                .iter()
                .map(|f| String::from_utf8_lossy(f).replace('\u{FFFD}', "?"))
                .collect();
            csv::StringRecord::from(fields)
        })
    });
    let header = loop {
        match records.next() {
            Some(Ok(r)) if !is_blank(&r) => break r,
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(preview_error(path, &e)),
            None => return Err(Error::invalid(format!("{}: no header row", path.display()))),
        }
    };
    let headers: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let mut out = Vec::new();
    for rec in records {
        if out.len() >= rows {
            break;
        }
        let rec = rec.map_err(|e| preview_error(path, &e))?;
        if !is_blank(&rec) {
            out.push(rec.iter().map(|v| v.trim().to_owned()).collect());
        }
    }
    Ok(TablePreview {
        headers,
        rows: out,
        delimiter,
        encoding,
        sheets,
    })
}

fn preview_error(path: &Path, e: &csv::Error) -> Error {
    let line = e.position().map_or(0, csv::Position::line);
    Error::Csv {
        path: path.to_path_buf(),
        line,
        column: None,
        message: e.to_string(),
    }
}

/// The encoding of CSV bytes, in words.
fn encoding_of(raw: &[u8]) -> String {
    let (bom, body) = match raw.strip_prefix(b"\xEF\xBB\xBF") {
        Some(b) => (true, b),
        None => (false, raw),
    };
    match std::str::from_utf8(body) {
        Ok(_) if bom => "UTF-8 with byte order mark".into(),
        Ok(_) => "UTF-8".into(),
        Err(e) => {
            let line = body[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            format!(
                "not UTF-8 (line {line}; probably Windows-1252 or Latin-1): save it as \"CSV UTF-8\""
            )
        }
    }
}

/// What a column is used for in the import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ColumnRole {
    /// The unique account id (CRM id).
    Id,
    /// The display name.
    Name,
    /// Latitude in degrees.
    Latitude,
    /// Longitude in degrees.
    Longitude,
    /// Postal code (placed at its centroid when coordinates are missing).
    PostalCode,
    /// Country (ISO code or English name) that picks the postal table.
    Country,
    /// A number to balance and report on.
    Measure,
    /// Text kept for rules, colouring and exports.
    Attribute,
    /// Left out of the plan.
    Ignore,
}

impl ColumnRole {
    /// Every role, in the order a chooser lists them.
    pub const ALL: [ColumnRole; 9] = [
        ColumnRole::Id,
        ColumnRole::Name,
        ColumnRole::Latitude,
        ColumnRole::Longitude,
        ColumnRole::PostalCode,
        ColumnRole::Country,
        ColumnRole::Measure,
        ColumnRole::Attribute,
        ColumnRole::Ignore,
    ];

    /// The role in words.
    pub fn label(self) -> &'static str {
        match self {
            ColumnRole::Id => "Account id",
            ColumnRole::Name => "Account name",
            ColumnRole::Latitude => "Latitude",
            ColumnRole::Longitude => "Longitude",
            ColumnRole::PostalCode => "Postal code",
            ColumnRole::Country => "Country",
            ColumnRole::Measure => "Measure (number)",
            ColumnRole::Attribute => "Text attribute",
            ColumnRole::Ignore => "Ignore",
        }
    }

    /// Roles only one column can have.
    pub fn is_single(self) -> bool {
        !matches!(
            self,
            ColumnRole::Measure | ColumnRole::Attribute | ColumnRole::Ignore
        )
    }
}

/// The roles an import found for `headers` (from its report: the columns
/// it used for id, name, location and country, its measures and its text
/// attributes; anything else is ignored).
pub fn roles_from_report(headers: &[String], report: &ImportReport) -> Vec<ColumnRole> {
    let is = |c: &Option<String>, h: &str| c.as_deref() == Some(h);
    let mut taken: Vec<&str> = Vec::new();
    headers
        .iter()
        .map(|h| {
            // Duplicate headers: the import used the first one.
            let first = !taken.contains(&h.as_str());
            taken.push(h);
            let role = if !first {
                None
            } else if is(&report.id_column, h) {
                Some(ColumnRole::Id)
            } else if is(&report.name_column, h) {
                Some(ColumnRole::Name)
            } else if is(&report.lat_column, h) {
                Some(ColumnRole::Latitude)
            } else if is(&report.lon_column, h) {
                Some(ColumnRole::Longitude)
            } else if is(&report.zip_column, h) {
                Some(ColumnRole::PostalCode)
            } else if is(&report.country_column, h) {
                Some(ColumnRole::Country)
            } else {
                None
            };
            role.unwrap_or_else(|| {
                if report.measures.iter().any(|m| m == h) {
                    ColumnRole::Measure
                } else if report.attributes.iter().any(|a| a == h) {
                    ColumnRole::Attribute
                } else {
                    ColumnRole::Ignore
                }
            })
        })
        .collect()
}

/// A complete mapping: a role for every column, row numbers as ids or
/// not. Turned into the import's options by [`ColumnMapping::options`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnMapping {
    /// `(header, role)` for every column, in file order.
    pub roles: Vec<(String, ColumnRole)>,
    /// Number the rows as ids (the plan cannot go back to a CRM).
    pub row_numbers: bool,
}

impl ColumnMapping {
    /// A mapping of `headers` with `roles` (same length).
    pub fn new(headers: &[String], roles: &[ColumnRole]) -> Self {
        Self {
            roles: headers.iter().cloned().zip(roles.iter().copied()).collect(),
            row_numbers: false,
        }
    }

    /// The first column with `role`.
    pub fn column(&self, role: ColumnRole) -> Option<&str> {
        self.roles
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(h, _)| h.as_str())
    }

    /// The import options that read exactly this mapping: every column
    /// named, so detection adds nothing (a role no column has stays empty).
    pub fn options(&self) -> AccountImportOptions {
        let of = |role: ColumnRole| -> Vec<String> {
            self.roles
                .iter()
                .filter(|(_, r)| *r == role)
                .map(|(h, _)| h.clone())
                .collect()
        };
        let one = |role: ColumnRole| self.column(role).map(str::to_owned);
        // Columns with a single role no other column takes are given by
        // name; a second column with the same role is left out.
        let mut ignore = of(ColumnRole::Ignore);
        for role in ColumnRole::ALL.into_iter().filter(|r| r.is_single()) {
            ignore.extend(of(role).into_iter().skip(1));
        }
        let mut text = of(ColumnRole::Attribute);
        if self.row_numbers {
            // Row numbers asked: an id column is kept as text.
            text.extend(of(ColumnRole::Id));
        }
        // Roles nobody has must not be detected: every other column is
        // claimed, so there is nothing left to detect from.
        AccountImportOptions {
            id_col: if self.row_numbers {
                Some(ROW_NUMBER_ID.to_owned())
            } else {
                one(ColumnRole::Id)
            },
            name_col: one(ColumnRole::Name),
            lat_col: one(ColumnRole::Latitude),
            lon_col: one(ColumnRole::Longitude),
            zip_col: one(ColumnRole::PostalCode),
            country_col: one(ColumnRole::Country),
            measure_cols: of(ColumnRole::Measure),
            text_cols: text,
            ignore_cols: ignore,
            ..AccountImportOptions::default()
        }
    }

    /// True when the mapping is for these `headers` (same names, same order).
    pub fn fits(&self, headers: &[String]) -> bool {
        self.roles.len() == headers.len()
            && self.roles.iter().zip(headers).all(|((h, _), g)| h == g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::import::accounts::check_accounts;
    use crate::core::import::import_accounts;
    use crate::core::progress::Progress;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn preview_reads_the_head_and_names_delimiter_and_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.csv",
            "\u{feff}iata;name;lat;lon\nAAA;Alpha;1;2\n;;;\nBBB;Beta;3;4\nCCC;Gamma;5;6\n",
        );
        let t = preview_table(&p, None, 2).unwrap();
        assert_eq!(t.headers, ["iata", "name", "lat", "lon"]);
        assert_eq!(
            t.rows,
            [["AAA", "Alpha", "1", "2"], ["BBB", "Beta", "3", "4"]]
        );
        assert_eq!(t.delimiter_name(), "semicolon");
        assert_eq!(t.encoding, "UTF-8 with byte order mark");
        assert!(t.sheets.is_empty());
        let latin = dir.path().join("l.csv");
        std::fs::write(&latin, b"id,name\n1,M\xfcnchen\n").unwrap();
        assert!(
            preview_table(&latin, None, 5)
                .unwrap()
                .encoding
                .contains("line 2")
        );
    }

    #[test]
    fn detected_roles_round_trip_through_the_options() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "airports.csv",
            "iata,name,city,state,latitude,longitude,runways\n\
             AAA,Alpha,X,CA,34.1,-118.2,2\nBBB,Beta,X,CA,36.1,-115.1,2\nCCC,Gamma,Y,NV,36.5,-115.3,3\n",
        );
        let check = check_accounts(&p, &AccountImportOptions::default(), &Progress::new()).unwrap();
        assert_eq!(
            check.ids,
            super::super::accounts::IdCheck::Missing(vec!["iata".into(), "name".into()])
        );
        assert_eq!(check.report.rows, 3);
        assert_eq!(check.report.by_coordinates, 3);
        let headers = preview_table(&p, None, 5).unwrap().headers;
        let mut roles = roles_from_report(&headers, &check.report);
        use ColumnRole::*;
        assert_eq!(
            roles,
            [
                Attribute, Name, Attribute, Attribute, Latitude, Longitude, Measure
            ]
        );
        // The user picks the id, reads runways as text and drops the city.
        roles[0] = Id;
        roles[6] = Attribute;
        roles[2] = Ignore;
        let mapping = ColumnMapping::new(&headers, &roles);
        let opts = mapping.options();
        let (acc, report) = import_accounts(&p, &opts, &Progress::new()).unwrap();
        assert_eq!(acc.ids[0], "AAA");
        assert_eq!(report.attributes, ["state", "runways"]);
        assert!(report.measures.is_empty());
        assert_eq!(roles_from_report(&headers, &report), roles);
    }

    #[test]
    fn a_role_given_to_no_column_is_not_detected_and_text_in_a_measure_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.csv",
            "Id,Name,Zip,Revenue\n1,A,10115,5\n2,B,x,n/a\n",
        );
        let headers: Vec<String> = ["Id", "Name", "Zip", "Revenue"].map(String::from).into();
        use ColumnRole::*;
        let roles = [Id, Name, Attribute, Measure];
        let check = check_accounts(
            &p,
            &ColumnMapping::new(&headers, &roles).options(),
            &Progress::new(),
        )
        .unwrap();
        assert_eq!(check.report.zip_column, None, "Zip is text, not detected");
        assert!(
            check
                .location
                .as_deref()
                .unwrap_or("")
                .contains("no location column")
        );
        let roles = [Id, Name, Measure, Measure];
        let err = check_accounts(
            &p,
            &ColumnMapping::new(&headers, &roles).options(),
            &Progress::new(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("a.csv:3 column 'Zip'") && err.contains("'x' is not a number"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_and_empty_ids_are_reported_with_counts() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.csv", "Id,Zip\n1,10115\n1,10001\n,10002\n");
        let check = check_accounts(&p, &AccountImportOptions::default(), &Progress::new()).unwrap();
        assert_eq!(check.report.rows, 3);
        assert_eq!(check.report.by_postal_code, 3);
        match &check.ids {
            super::super::accounts::IdCheck::Invalid(m) => {
                assert!(
                    m.contains("duplicate account id '1'") && m.contains("a.csv:3"),
                    "{m}"
                )
            }
            other => panic!("{other:?}"),
        }
        let rows = AccountImportOptions {
            id_col: Some("#row".into()),
            ..AccountImportOptions::default()
        };
        let check = check_accounts(&p, &rows, &Progress::new()).unwrap();
        assert_eq!(check.ids, super::super::accounts::IdCheck::RowNumbers);
    }
}
