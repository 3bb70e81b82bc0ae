//! Accounts from spreadsheets: `.xlsx`, `.xlsm`, `.xlsb`, `.xls` and `.ods`
//! read with calamine. A sheet becomes CSV text in memory and goes through
//! the same import as a CSV file (same detection, same errors), with the
//! sheet's row numbers as line numbers. Dates become ISO text
//! (`2024-03-31`, with the time when there is one); formulas give the value
//! the spreadsheet last computed and saved.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::core::{Error, Result};

/// File extensions read as workbooks.
pub const EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];

/// True when `path` is a spreadsheet by its extension.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn open(path: &Path) -> Result<calamine::Sheets<std::io::BufReader<std::fs::File>>> {
    open_workbook_auto(path).map_err(|e| match e {
        calamine::Error::Io(io) => Error::io(path, io),
        other => Error::invalid(format!(
            "{}: cannot read the spreadsheet: {other}",
            path.display()
        )),
    })
}

/// The names of the sheets, in workbook order.
pub fn sheet_names(path: &Path) -> Result<Vec<String>> {
    Ok(open(path)?.sheet_names())
}

/// Sheet `sheet` (the first when `None`) as CSV text, one line per sheet row
/// (leading empty rows kept as empty lines so line numbers are row numbers).
pub fn sheet_as_csv(path: &Path, sheet: Option<&str>) -> Result<Vec<u8>> {
    let mut book = open(path)?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(want) => names
            .iter()
            .find(|n| n.as_str() == want || n.eq_ignore_ascii_case(want.trim()))
            .cloned()
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{}: no sheet called '{want}'; the sheets are: {}",
                    path.display(),
                    names.join(", ")
                ))
            })?,
        None => names.first().cloned().ok_or_else(|| {
            Error::invalid(format!("{}: the workbook has no sheets", path.display()))
        })?,
    };
    let range = book.worksheet_range(&name).map_err(|e| {
        Error::invalid(format!(
            "{}: cannot read sheet '{name}': {e}",
            path.display()
        ))
    })?;
    if range.is_empty() {
        return Err(Error::invalid(format!(
            "{}: sheet '{name}' is empty; expected a header row such as Id,Name,Latitude,Longitude",
            path.display()
        )));
    }
    let first_row = range.start().map_or(0, |(r, _)| r);
    let mut out: Vec<u8> = "\n".repeat(first_row as usize).into_bytes();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in range.rows() {
        // Rows start at the first used column: a header in column C reads
        // as the first column.
        w.write_record(row.iter().map(cell_text))
            .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
    out.extend(body);
    Ok(out)
}

/// A cell as the text a CSV export of it would hold.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{da:02}")
            } else {
                format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(d) => float_text(d.as_f64()),
        // `#N/A`, `#DIV/0!`…: the import reads these as missing values.
        Data::Error(e) => e.to_string(),
    }
}

/// Whole numbers without `.0` (ids, ZIP codes stored as numbers).
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cells_read_as_csv_text() {
        assert_eq!(cell_text(&Data::Float(12.0)), "12");
        assert_eq!(cell_text(&Data::Float(-71.25)), "-71.25");
        let date = ExcelDateTime::new(45382.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(date)), "2024-03-31");
        let at = ExcelDateTime::new(45382.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(at)), "2024-03-31 12:00:00");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    #[test]
    fn extensions() {
        assert!(is_workbook(Path::new("a/Accounts.XLSX")));
        assert!(is_workbook(Path::new("b.ods")));
        assert!(!is_workbook(Path::new("c.csv")));
    }
}
