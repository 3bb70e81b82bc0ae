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

/// Round tick values for an axis from `lo` to `hi`: steps of 1, 2 or 5
/// times a power of ten, at most `max_ticks` of them (at least two when
/// `lo < hi`), covering `lo..=hi`. Empty for a non-finite range.
pub fn nice_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let span = hi - lo;
    if span <= 0.0 {
        return vec![lo];
    }
    let max = max_ticks.max(2);
    let mut step = nice_step(span, max);
    loop {
        let first = (lo / step).floor() as i64;
        let last = (hi / step).ceil() as i64;
        // Unaligned ends can add a tick: take the next round step then.
        if (last - first + 1) as usize <= max {
            return (first..=last).map(|k| k as f64 * step).collect();
        }
        step = next_step(step);
    }
}

/// The next larger 1/2/5×10ⁿ step after `step`.
fn next_step(step: f64) -> f64 {
    let mag = 10f64.powf(step.log10().floor());
    let m = step / mag;
    if m < 1.5 {
        2.0 * mag
    } else if m < 3.5 {
        5.0 * mag
    } else {
        10.0 * mag
    }
}

/// The smallest 1/2/5×10ⁿ step giving at most `max_ticks` ticks over
/// `span` (counting both ends).
pub fn nice_step(span: f64, max_ticks: usize) -> f64 {
    let rough = span / (max_ticks.max(2) - 1) as f64;
    let mag = 10f64.powf(rough.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| (span / s).ceil() + 1.0 <= max_ticks as f64)
        .unwrap_or(10.0 * mag)
}

/// A tick label for a value on an axis whose ticks are `step` apart:
/// thousands separators, and just enough decimals to tell ticks apart
/// (`250,000`, `1,500,000`, `0.25`).
pub fn tick(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step <= 0.0 || !step.is_finite() {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    fmt_num(v, decimals.min(6))
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
    fn ticks_are_round_and_cover_any_magnitude() {
        for (lo, hi) in [
            (0.0, 7.0),
            (0.0, 432_123.0),
            (0.0, 8.7e9),
            (0.0, 0.034),
            (-120.0, 95.0),
        ] {
            let t = nice_ticks(lo, hi, 8);
            assert!(t.len() >= 2 && t.len() <= 8, "{lo}..{hi}: {t:?}");
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}..{hi}: {t:?}");
            let step = t[1] - t[0];
            let m = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|k| (m - k).abs() < 1e-9),
                "{step}"
            );
        }
        assert_eq!(
            nice_ticks(0.0, 432_123.0, 6),
            vec![0.0, 100_000.0, 200_000.0, 300_000.0, 400_000.0, 500_000.0]
        );
        assert_eq!(tick(250_000.0, 50_000.0), "250,000");
        assert_eq!(tick(0.25, 0.05), "0.25");
        assert_eq!(tick(1_500_000.0, 500_000.0), "1,500,000");
    }

    #[test]
    fn thousands_formatting() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
