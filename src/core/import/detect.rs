//! Column detection beyond the known header names, shared by the CLI and
//! the window's import wizard: which columns could be the account id (their
//! values are unique and non-empty), which one names the accounts, and the
//! territory name property of a boundaries file.
//!
//! Detection never guesses silently: an import without a known id column
//! stops and lists the candidates, so that row numbers are only ever used
//! when the user asks for them ([`ROW_NUMBER_ID`]).

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::imported::{ImportedTerritory, Properties};
use crate::core::{Error, Result};

/// The id "column" that asks for row numbers as account ids (`--id-col
/// '#row'`). Plans built that way are marked (see
/// [`crate::core::model::PlanSettings::row_number_ids`]).
pub const ROW_NUMBER_ID: &str = "#row";

/// True when `id_col` asks for row numbers rather than a column.
pub fn is_row_number_id(id_col: Option<&str>) -> bool {
    id_col.is_some_and(|c| c.trim().eq_ignore_ascii_case(ROW_NUMBER_ID))
}

/// Refuses a boundaries, project or archive file given as the accounts
/// table, by its extension.
pub fn refuse_non_table_path(path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let what = match ext.as_str() {
        "geojson" | "json" | "shp" | "dbf" | "kml" | "kmz" => "a boundaries file",
        "turf" => "a Turfmap plan",
        "zip" | "gz" | "7z" => "an archive",
        "pdf" | "png" | "jpg" | "svg" | "html" => "a document or image",
        _ => return Ok(()),
    };
    Err(not_a_table(path, what))
}

/// Refuses text that is plainly not a table: JSON (GeoJSON), XML (KML) or a
/// zip archive that is no workbook.
pub(crate) fn refuse_non_table_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let what = match first {
        Some(b'{' | b'[') => "JSON (GeoJSON?)",
        Some(b'<') => "XML or HTML (KML?)",
        _ if bytes.starts_with(b"PK\x03\x04") => "a zip archive",
        _ => return Ok(()),
    };
    Err(not_a_table(path, what))
}

fn not_a_table(path: &Path, what: &str) -> Error {
    Error::invalid(format!(
        "{}: this is {what}, not an accounts table; accounts come from a CSV file \
         (comma, semicolon or tab separated) or a spreadsheet (.xlsx, .xls, .ods); \
         boundaries go to --territories",
        path.display()
    ))
}

/// Lower-case, without spaces, underscores or dashes: `Account_ID` → `accountid`.
pub(crate) fn norm_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when a header reads like an identifier: `id`, `code`, `key`,
/// `number`, `no`, `num` as a word or suffix (`iata_code`, `CustomerNo`,
/// `AccountNumber`, `sku`), or a well-known code (`iata`, `icao`, `fips`).
fn id_like(header: &str) -> bool {
    let n = norm_header(header);
    const ENDINGS: [&str; 8] = ["id", "code", "key", "number", "no", "num", "nr", "sku"];
    const CODES: [&str; 6] = ["iata", "icao", "fips", "geoid", "uuid", "guid"];
    ENDINGS.iter().any(|e| n.ends_with(e)) || CODES.contains(&n.as_str()) || n.starts_with("id")
}

/// Tracks, per column, whether every value so far is non-empty and unique.
pub(crate) struct UniqueColumns {
    seen: Vec<Option<HashSet<String>>>,
}

impl UniqueColumns {
    /// Tracks `width` columns, leaving out those in `skip` (coordinates).
    pub fn new(width: usize, skip: &[usize]) -> Self {
        Self {
            seen: (0..width)
                .map(|c| (!skip.contains(&c)).then(HashSet::new))
                .collect(),
        }
    }

    /// Takes one row's values.
    pub fn push<'a>(&mut self, row: impl IntoIterator<Item = &'a str>) {
        for (slot, value) in self.seen.iter_mut().zip(row) {
            if let Some(set) = slot {
                let v = value.trim();
                if v.is_empty() || !set.insert(v.to_owned()) {
                    *slot = None;
                }
            }
        }
    }

    /// True while no column can still be an id (the scan can stop).
    pub fn none_left(&self) -> bool {
        self.seen.iter().all(Option::is_none)
    }

    /// The unique, non-empty columns of `headers`, id-like names first,
    /// then in file order.
    pub fn candidates(&self, headers: &[String]) -> Vec<String> {
        let mut out: Vec<(bool, usize)> = self
            .seen
            .iter()
            .enumerate()
            .filter(|(_, s)| s.as_ref().is_some_and(|s| !s.is_empty()))
            .map(|(c, _)| (!id_like(&headers[c]), c))
            .collect();
        out.sort();
        out.into_iter().map(|(_, c)| headers[c].clone()).collect()
    }
}

/// The error when no id column is known: the candidates, and how to choose.
pub(crate) fn no_id_message(candidates: &[String]) -> String {
    let list = if candidates.is_empty() {
        "no column has unique, non-empty values".to_owned()
    } else {
        format!(
            "columns with unique, non-empty values: {}",
            candidates.join(", ")
        )
    };
    format!(
        "no account id column (looked for Id, Account ID); {list}. Choose one with \
         --id-col COLUMN, or --id-col '{ROW_NUMBER_ID}' to number the rows (such ids cannot \
         go back to a CRM)"
    )
}

/// A display-name column when none has a known name: the first header
/// that mentions "name" (`Company Name`, `airport_name`), except `skip`.
pub(crate) fn name_like_column(headers: &[String], skip: &[Option<usize>]) -> Option<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(c, _)| !skip.contains(&Some(*c)))
        .find(|(_, h)| norm_header(h).contains("name"))
        .map(|(c, _)| c)
}

/// A property of imported features: its name and a few sample values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertySummary {
    /// The property (attribute, ExtendedData field) name.
    pub name: String,
    /// Up to three distinct values, as text.
    pub samples: Vec<String>,
    /// How many features have a non-empty value.
    pub filled: usize,
    /// True when the non-empty values are all different.
    pub unique: bool,
}

impl PropertySummary {
    /// `STATE_NAME (Alabama, Alaska, Arizona…)`.
    pub fn describe(&self) -> String {
        let more = if self.samples.len() >= 3 { "…" } else { "" };
        format!("{} ({}{more})", self.name, self.samples.join(", "))
    }
}

/// A property value as text (`None` for empty, arrays and objects).
pub(crate) fn value_text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Every property of `features` in first-seen order, with samples.
pub fn property_summaries(features: &[ImportedTerritory]) -> Vec<PropertySummary> {
    summaries(features.iter().map(|f| &f.properties))
}

fn summaries<'a>(props: impl Iterator<Item = &'a Properties>) -> Vec<PropertySummary> {
    let mut out: Vec<(PropertySummary, HashSet<String>)> = Vec::new();
    for p in props {
        for (k, v) in p {
            let i = match out.iter().position(|(s, _)| s.name == *k) {
                Some(i) => i,
                None => {
                    out.push((
                        PropertySummary {
                            name: k.clone(),
                            samples: Vec::new(),
                            filled: 0,
                            unique: true,
                        },
                        HashSet::new(),
                    ));
                    out.len() - 1
                }
            };
            let (s, seen) = &mut out[i];
            if let Some(text) = value_text(v) {
                s.filled += 1;
                if !seen.insert(text.clone()) {
                    s.unique = false;
                } else if s.samples.len() < 3 {
                    s.samples.push(text);
                }
            }
        }
    }
    out.into_iter().map(|(s, _)| s).collect()
}

/// The property that names territories when the default `name` is absent:
/// a text property whose name mentions "name" (`STATE_NAME`, `NAMELSAD`,
/// `NAME10`) and that every feature fills with a different value. `None`
/// when there is no such property, or more than one equally good (then the
/// user is asked).
pub fn name_like_property(props: &[PropertySummary], features: usize) -> Option<String> {
    let good: Vec<&PropertySummary> = props
        .iter()
        .filter(|p| norm_header(&p.name).contains("name"))
        .filter(|p| p.filled == features && p.unique)
        .collect();
    // `NAME`-like beats `NAMELSAD` ("Alabama State" vs "Alabama").
    let rank = |p: &PropertySummary| {
        let n = norm_header(&p.name);
        if n.ends_with("name") { 0 } else { 1 }
    };
    let best = good.iter().map(|p| rank(p)).min()?;
    let mut top = good.into_iter().filter(|p| rank(p) == best);
    let first = top.next()?;
    top.next().is_none().then(|| first.name.clone())
}

/// The message when territory names cannot be found: the properties that
/// exist, each with sample values.
pub fn name_property_message(wanted: Option<&str>, props: &[PropertySummary]) -> String {
    let list = if props.is_empty() {
        "the features have no properties".to_owned()
    } else {
        format!(
            "the properties are: {}",
            props
                .iter()
                .map(PropertySummary::describe)
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    match wanted {
        Some(w) => format!("no feature has a '{w}' property; {list}"),
        None => format!(
            "no 'name' property, and no other property clearly names the territories; {list}. \
             Choose one with --name-prop PROPERTY"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_columns_rank_id_like_names_first() {
        let headers: Vec<String> = ["name", "iata", "city", "lat"].map(String::from).to_vec();
        let mut u = UniqueColumns::new(4, &[3]);
        u.push(["Alpha", "AAA", "X", "1"]);
        u.push(["Beta", "BBB", "X", "2"]);
        assert_eq!(u.candidates(&headers), vec!["iata", "name"]);
        u.push(["Alpha", "CCC", "Y", "3"]);
        assert_eq!(u.candidates(&headers), vec!["iata"]);
        u.push(["Gamma", "", "Z", "4"]);
        assert!(u.candidates(&headers).is_empty());
        assert!(u.none_left());
    }

    #[test]
    fn id_like_headers() {
        for h in [
            "Customer No",
            "iata",
            "ACCOUNT_NUMBER",
            "sku",
            "code",
            "IdExt",
        ] {
            assert!(id_like(h), "{h}");
        }
        for h in ["name", "city", "Latitude", "video"] {
            assert!(!id_like(h), "{h}");
        }
    }

    fn feature(props: &[(&str, &str)]) -> ImportedTerritory {
        ImportedTerritory {
            name: String::new(),
            geometry: geo::MultiPolygon(vec![]),
            properties: props
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
                .collect(),
        }
    }

    #[test]
    fn name_like_property_needs_one_clear_winner() {
        let f = [
            feature(&[("STATE_NAME", "Alabama"), ("NAMELSAD", "Alabama State")]),
            feature(&[("STATE_NAME", "Alaska"), ("NAMELSAD", "Alaska State")]),
        ];
        let props = property_summaries(&f);
        assert_eq!(name_like_property(&props, 2).as_deref(), Some("STATE_NAME"));
        let f = [
            feature(&[("A_NAME", "x"), ("B_NAME", "y")]),
            feature(&[("A_NAME", "z"), ("B_NAME", "w")]),
        ];
        assert_eq!(name_like_property(&property_summaries(&f), 2), None);
        let f = [feature(&[("code", "x")]), feature(&[("code", "y")])];
        let props = property_summaries(&f);
        assert_eq!(name_like_property(&props, 2), None);
        let msg = name_property_message(Some("nmae"), &props);
        assert!(
            msg.contains("'nmae'") && msg.contains("code (x, y)"),
            "{msg}"
        );
    }
}
