//! The tables the CLI prints: metrics, reps and scenario differences.

use super::fmt_num;
use crate::core::metrics::PlanMetrics;

/// The human-readable metrics table printed by `turfmap metrics`.
pub fn metrics_table(m: &PlanMetrics) -> String {
    let mut s = String::new();
    let bal = &m.balance_measure;
    s += &format!("Balance on {bal} (tolerance ±{}%)\n", m.tolerance_pct);
    let mut header = format!("{:<28} {:>9}", "territory", "accounts");
    for name in &m.measures {
        header += &format!(" {:>16}", truncate(name, 16));
    }
    header += &format!(" {:>8} {:>12} {:>8}\n", "dev %", "area km²", "compact");
    s += &header;
    // Tree order: each territory followed by its children, indented.
    let ids: Vec<u32> = m.territories.iter().map(|t| t.id).collect();
    let mut order: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<(usize, usize)> = (0..m.territories.len())
        .rev()
        .filter(|&k| m.territories[k].parent.is_none_or(|p| !ids.contains(&p)))
        .map(|k| (k, 0))
        .collect();
    let mut seen = vec![false; m.territories.len()];
    while let Some((k, d)) = stack.pop() {
        if std::mem::replace(&mut seen[k], true) {
            continue;
        }
        order.push((k, d));
        let id = m.territories[k].id;
        stack.extend(
            (0..m.territories.len())
                .rev()
                .filter(|&c| m.territories[c].parent == Some(id))
                .map(|c| (c, d + 1)),
        );
    }
    order.extend(
        (0..m.territories.len())
            .filter(|&k| !seen[k])
            .map(|k| (k, 0)),
    );
    for &(k, depth) in &order {
        let t = &m.territories[k];
        let mut line = format!(
            "{:<28} {:>9}",
            truncate(&format!("{}{}", "  ".repeat(depth), t.name), 28),
            fmt_num(t.group.count as f64, 0)
        );
        for v in &t.group.sums {
            line += &format!(" {:>16}", fmt_num(*v, 0));
        }
        // A parent is judged on its own accounts only, or not at all.
        let dev = match (t.balance_unit, t.has_children) {
            (false, _) => "—".to_owned(),
            (true, true) => format!("{:+.1}*", t.deviation_pct),
            (true, false) => format!("{:+.1}", t.deviation_pct),
        };
        line += &format!(
            " {:>8} {:>12} {:>8.3}{}\n",
            dev,
            fmt_num(t.area_km2, 0),
            t.compactness,
            if t.is_out(m.tolerance_pct) { "  !" } else { "" }
        );
        s += &line;
    }
    if m.territories
        .iter()
        .any(|t| t.has_children && t.balance_unit)
    {
        s += "* a parent judged on its own accounts (those in none of its children)\n";
    }
    s += &format!(
        "\nPlan: {}, mean {}, min {}, max {}, max/min {}, CV {:.1}%, {} outside ±{}%\n",
        m.units_summary(),
        fmt_num(m.mean, 1),
        fmt_num(m.min, 1),
        fmt_num(m.max, 1),
        m.max_min_ratio.map_or("n/a".into(), |r| format!("{r:.2}")),
        m.cv_pct,
        m.out_of_tolerance,
        m.tolerance_pct
    );
    let group = |label: &str, g: &crate::core::metrics::Group| {
        let mut l = format!(
            "{label}: {}",
            crate::core::numfmt::counted(g.count, "account", "accounts")
        );
        for (name, v) in m.measures.iter().zip(&g.sums) {
            l += &format!(", {name} {}", fmt_num(*v, 0));
        }
        l + "\n"
    };
    s += &group("Unassigned", &m.unassigned);
    s += &group("Unlocated", &m.unlocated);
    s += &group("Total", &m.total);
    s
}

/// The table `turfmap reps` prints.
pub fn reps_table(reps: &[crate::core::reps::RepMetrics]) -> String {
    use crate::core::model::Capacity;
    let mut s = format!(
        "{:<24} {:<12} {:>9} {:>10} {:>12} {:>7} {:>9} {:>9} {:>9} {:>9}  territories\n",
        "rep",
        "role",
        "accounts",
        "workload",
        "capacity",
        "load %",
        "mean km",
        "max km",
        "drive min",
        "max min"
    );
    for r in reps {
        let opt = |v: Option<f64>, d: usize| v.map_or("—".into(), |v| fmt_num(v, d));
        s += &format!(
            "{:<24} {:<12} {:>9} {:>10} {:>12} {:>7} {:>9} {:>9} {:>9} {:>9}  {}\n",
            truncate(&r.name, 24),
            truncate(&r.role, 12),
            fmt_num(r.accounts as f64, 0),
            opt(r.workload_hours, 0),
            match r.capacity {
                Some(Capacity::Accounts(n)) => format!("{} acc", fmt_num(n as f64, 0)),
                Some(Capacity::Hours(h)) => format!("{} h", fmt_num(h, 0)),
                None => "—".into(),
            },
            opt(r.load_pct, 0),
            opt(r.mean_km, 1),
            opt(r.max_km, 1),
            opt(r.drive.map(|d| d.mean_minutes), 0),
            opt(r.drive.map(|d| d.max_minutes), 0),
            r.territories.join(", ")
        );
    }
    s
}

/// The summary `turfmap diff` prints.
pub fn diff_table(d: &crate::core::scenario::ScenarioDiff) -> String {
    let mut s = format!(
        "'{}' → '{}': {} account(s) change territory\n\n",
        d.a,
        d.b,
        d.moved_accounts().len()
    );
    let mut header = format!("{:<12} {:<28} {:>9}", "type", "territory", "Δ accounts");
    for m in &d.measures {
        header += &format!(" {:>14}", format!("Δ {}", truncate(m, 12)));
    }
    s += &header;
    s += &format!(" {:>12}\n", "Δ area km²");
    for t in &d.territories {
        let mark = match (&t.a, &t.b) {
            (None, Some(_)) => " (new)",
            (Some(_), None) => " (gone)",
            _ => "",
        };
        let mut line = format!(
            "{:<12} {:<28} {:>9}",
            truncate(&t.type_name, 12),
            truncate(&format!("{}{mark}", t.name), 28),
            format!("{:+}", t.count_delta())
        );
        for v in t.sum_deltas() {
            line += &format!(" {:>14}", signed(v));
        }
        line += &format!(" {:>12}\n", signed(t.shape_deltas().1));
        s += &line;
    }
    s
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_num(v, 0))
    } else {
        fmt_num(v, 0)
    }
}

pub(super) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(std::iter::once('…')).collect()
    }
}
