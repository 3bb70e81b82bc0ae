//! Spreadsheet-safe CSV cells. A cell that starts with `=`, `+`, `-`, `@`,
//! a tab or a carriage return is run as a formula when the CSV is opened in
//! a spreadsheet (`=HYPERLINK(…)` in an account name is enough), so every
//! CSV export prefixes such cells with `'` (OWASP's advice) unless the
//! user asks for raw cells. Numbers (`-12.5`, `+3`) are left as they are, so
//! they stay numbers.

use std::borrow::Cow;

/// How the text cells of a CSV export are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CsvCells {
    /// Cells a spreadsheet would run as a formula get a `'` in front.
    #[default]
    SpreadsheetSafe,
    /// Every cell exactly as it is (for loaders that must see the raw text).
    Raw,
}

impl CsvCells {
    /// `cell` as it is to be written.
    pub fn cell(self, cell: &str) -> Cow<'_, str> {
        match self {
            Self::SpreadsheetSafe => spreadsheet_safe(cell),
            Self::Raw => Cow::Borrowed(cell),
        }
    }
}

/// Whether a spreadsheet would treat `cell` as a formula (or a DDE call).
fn is_formula_like(cell: &str) -> bool {
    let Some(first) = cell.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    // A plain number is a number, not a formula.
    !cell.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `cell` with a `'` in front if a spreadsheet would run it as a formula.
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    if is_formula_like(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Undoes [`spreadsheet_safe`], for reading Turfmap's own exports back.
pub fn unescape(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if is_formula_like(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_prefixed_numbers_are_not() {
        for bad in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "-",
            "-inf",
        ] {
            let safe = spreadsheet_safe(bad);
            assert_eq!(safe, format!("'{bad}"));
            assert_eq!(unescape(&safe), bad);
        }
        for fine in ["", "Acme", "-12.5", "+3", "1e5", "-1E-3", "a=b", "'quoted"] {
            assert_eq!(spreadsheet_safe(fine), fine);
            assert_eq!(unescape(fine), fine);
        }
        assert_eq!(CsvCells::Raw.cell("=1+1"), "=1+1");
        assert_eq!(CsvCells::default().cell("=1+1"), "'=1+1");
    }
}
