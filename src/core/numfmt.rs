//! Number formatting shared by the window, the command line, the map image
//! and the report: thousands separators everywhere, and only as many decimals
//! as a planner needs to compare values. The one place digits are grouped.

/// `v` with `decimals` decimals and comma thousands separators:
/// `1,234,567.89`. A value that rounds to zero never shows a minus sign.
pub fn fmt_num(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut out = String::with_capacity(s.len() + int.len() / 3 + 1);
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && v.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        out.insert(0, '-');
    }
    out
}

/// A number for people in tooltips and tables: below 1,000 at most two
/// decimals (`12.5`, `3`), above that whole and grouped (`1,234,567`);
/// `—` for a missing (non-finite) value.
pub fn readable(v: f64) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    if v.abs() < 1000.0 {
        let s = format!("{v:.2}");
        return s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    fmt_num(v, 0)
}

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

/// A count with its noun in agreement: `1 account`, `5,000 accounts`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(fmt_num(1234567.891, 2), "1,234,567.89");
        assert_eq!(fmt_num(-1234.0, 0), "-1,234");
        assert_eq!(fmt_num(999.0, 0), "999");
        assert_eq!(fmt_num(0.0, 1), "0.0");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(readable(1234567.4), "1,234,567");
        assert_eq!(readable(-1000.0), "-1,000");
        assert_eq!(readable(12.5), "12.5");
        assert_eq!(readable(3.0), "3");
        assert_eq!(readable(f64::NAN), "—");
    }

    #[test]
    fn thousands_formatting() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
