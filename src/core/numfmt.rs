//! Number formatting shared by the window, the map image and the report:
//! thousands separators everywhere, and only as many decimals as a planner
//! needs to compare values.

use crate::cli::fmt_num;

/// A count or measure sum: `1,234,567`, `12.5`, `0.25`.
pub fn value(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 1.0 {
        1
    } else {
        2
    };
    fmt_num(v, decimals)
}

/// A whole count: `1,234`.
pub fn count(n: u64) -> String {
    fmt_num(n as f64, 0)
}

/// A signed percentage with one decimal: `+12.3%`, `-4.0%`, `0.0%`.
pub fn signed_pct(p: f64) -> String {
    let r = (p * 10.0).round() / 10.0;
    if r == 0.0 {
        "0.0%".into()
    } else {
        format!("{r:+.1}%")
    }
}

/// A percentage without sign and without needless decimals: `5`, `2.5`.
pub fn pct_plain(p: f64) -> String {
    let s = format!("{p:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Short axis labels: `950`, `12k`, `3.4M`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}B", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3))
    } else {
        value(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}
