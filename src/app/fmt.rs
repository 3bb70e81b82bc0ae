//! Number formatting for the window: thousands separators everywhere, and
//! only as many decimals as a planner needs to compare values.

// The formatting lives in the core so that exports (map image, report)
// read exactly like the window.
pub use crate::core::numfmt::{compact, count, counted, pct_plain, signed_pct, value};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(value(1234567.4), "1,234,567");
        assert_eq!(value(12.46), "12.5");
        assert_eq!(value(0.0), "0");
        assert_eq!(signed_pct(12.34), "+12.3%");
        assert_eq!(signed_pct(-0.04), "0.0%");
        assert_eq!(pct_plain(5.0), "5");
        assert_eq!(pct_plain(2.5), "2.5");
        assert_eq!(compact(3_400_000.0), "3.4M");
        assert_eq!(compact(12_000.0), "12k");
        assert_eq!(compact(950.0), "950");
    }
}
