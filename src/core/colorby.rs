//! "Colour by": what a territory's fill means. By default each territory
//! has its own colour ([`crate::core::colors`]); a reviewer can instead
//! colour every territory by its deviation from the mean (a diverging
//! scale whose middle class is exactly the tolerance band, drawn neutral)
//! or by any measure per territory (a sequential scale in quantile
//! classes). The window, the map images, the PDF and the report all use
//! [`coloring`], so they show the same colours and the same legend.

use std::collections::HashMap;

use super::Project;
use super::metrics::PlanMetrics;
use super::numfmt;
use super::{Error, Result};

/// What the territory fills show.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ColorBy {
    /// Each territory its own colour (neighbours differ).
    #[default]
    Territory,
    /// Deviation of the balance value from the mean (diverging scale, the
    /// tolerance band neutral).
    Deviation,
    /// A measure per territory (sequential scale): `count` or a measure
    /// column's name.
    Measure(String),
    /// Market penetration, actual ÷ potential per territory (sequential
    /// scale); offered when the quota settings name an actual measure and
    /// the plan has a potential one.
    Penetration,
}

impl ColorBy {
    /// Parses `territory`, `deviation`, `count` or a measure name (also as
    /// `measure:NAME`); an unknown name is an error listing the choices.
    pub fn parse(s: &str, project: &Project) -> Result<Self> {
        let t = s.trim();
        let name = t.strip_prefix("measure:").unwrap_or(t);
        match name.to_ascii_lowercase().as_str() {
            "territory" | "territories" => return Ok(Self::Territory),
            "deviation" => return Ok(Self::Deviation),
            "penetration" => {
                return match super::metrics::penetration_measures(project) {
                    Some(_) => Ok(Self::Penetration),
                    None => Err(Error::invalid(
                        "cannot colour by penetration: set the actual measure first \
                         (turfmap quota PLAN … --actual MEASURE) and have a potential measure",
                    )),
                };
            }
            "count" | "accounts" => return Ok(Self::Measure("count".into())),
            _ => {}
        }
        let measures = &project.accounts.measures;
        if let Some(m) = measures.iter().find(|m| m.name.eq_ignore_ascii_case(name)) {
            return Ok(Self::Measure(m.name.clone()));
        }
        let mut choices = vec!["territory".to_owned(), "deviation".into(), "count".into()];
        if super::metrics::penetration_measures(project).is_some() {
            choices.push("penetration".into());
        }
        choices.extend(measures.iter().map(|m| m.name.clone()));
        Err(Error::invalid(format!(
            "cannot colour by '{t}': use one of {}",
            choices.join(", ")
        )))
    }

    /// A short description for menus and legends.
    pub fn label(&self) -> String {
        match self {
            Self::Territory => "Territory".into(),
            Self::Deviation => "Deviation from mean".into(),
            Self::Measure(m) if m == "count" => "Accounts (count)".into(),
            Self::Penetration => "Market penetration (actual ÷ potential)".into(),
            Self::Measure(m) => m.clone(),
        }
    }

    /// The choices for a plan: territory, deviation, count, penetration
    /// (when the plan has actual and potential measures), then each measure
    /// column.
    pub fn choices(project: &Project) -> Vec<Self> {
        let mut v = vec![
            Self::Territory,
            Self::Deviation,
            Self::Measure("count".into()),
        ];
        if super::metrics::penetration_measures(project).is_some() {
            v.push(Self::Penetration);
        }
        v.extend(
            project
                .accounts
                .measures
                .iter()
                .map(|m| Self::Measure(m.name.clone())),
        );
        v
    }
}

/// One class of a colour legend.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    /// Swatch colour.
    pub color: [u8; 3],
    /// What the colour stands for (`"−5% to +5% (in tolerance)"`).
    pub label: String,
}

/// The legend of a colouring: a title and its classes (for
/// [`ColorBy::Territory`], the territories themselves).
#[derive(Clone, Debug, PartialEq)]
pub struct Legend {
    /// `"Deviation from mean revenue"`.
    pub title: String,
    /// Classes, from low to high.
    pub entries: Vec<LegendEntry>,
}

/// Fill colour per territory id, and the legend that explains them.
#[derive(Clone, Debug, PartialEq)]
pub struct Coloring {
    /// What was coloured by.
    pub by: ColorBy,
    /// Fill per territory id (every territory of the metrics' type).
    pub fills: HashMap<u32, [u8; 3]>,
    /// The legend.
    pub legend: Legend,
}

impl Coloring {
    /// The fill of territory `id` (grey when it is not coloured).
    pub fn fill(&self, id: u32) -> [u8; 3] {
        self.fills.get(&id).copied().unwrap_or(NO_DATA)
    }
}

/// Fill of a territory with no value.
pub const NO_DATA: [u8; 3] = [0xbb, 0xbb, 0xbb];

/// Paul Tol's colour-blind-safe diverging "BuRd" scheme, under the mean
/// (blue) to over it (red); the middle is the tolerance band, a light
/// neutral grey so it stays visible on the land colour.
pub const DIVERGING: [[u8; 3]; 7] = [
    [0x21, 0x66, 0xac],
    [0x43, 0x93, 0xc3],
    [0x92, 0xc5, 0xde],
    [0xe4, 0xe4, 0xe0],
    [0xf4, 0xa5, 0x82],
    [0xd6, 0x60, 0x4d],
    [0xb2, 0x18, 0x2b],
];

/// Paul Tol's colour-blind-safe sequential "YlOrBr" scheme, five steps.
pub const SEQUENTIAL: [[u8; 3]; 5] = [
    [0xff, 0xf7, 0xbc],
    [0xfe, 0xc4, 0x4f],
    [0xfb, 0x9a, 0x29],
    [0xcc, 0x4c, 0x02],
    [0x66, 0x25, 0x06],
];

/// The fills and legend for `by`, from the plan's current metrics. A
/// measure the plan no longer has colours everything [`NO_DATA`].
pub fn coloring(project: &Project, metrics: &PlanMetrics, by: &ColorBy) -> Coloring {
    match by {
        ColorBy::Territory => by_territory(project, metrics),
        ColorBy::Deviation => by_deviation(metrics),
        ColorBy::Measure(name) => by_measure(metrics, name),
        ColorBy::Penetration => by_penetration(project, metrics),
    }
}

fn by_territory(project: &Project, metrics: &PlanMetrics) -> Coloring {
    let color = |id: u32| {
        project
            .territories
            .iter()
            .find(|t| t.id.0 == id)
            .map_or(NO_DATA, |t| t.color)
    };
    let fills: HashMap<u32, [u8; 3]> = metrics
        .territories
        .iter()
        .map(|t| (t.id, color(t.id)))
        .collect();
    let entries = metrics
        .territories
        .iter()
        .map(|t| LegendEntry {
            color: color(t.id),
            label: t.name.clone(),
        })
        .collect();
    Coloring {
        by: ColorBy::Territory,
        fills,
        legend: Legend {
            title: "Territories".into(),
            entries,
        },
    }
}

/// Seven classes of deviation: the tolerance band in the middle, then one,
/// two and more band widths beyond it on each side.
fn by_deviation(m: &PlanMetrics) -> Coloring {
    // A zero tolerance still needs a visible band: use 1% steps then.
    let t = if m.tolerance_pct > 0.0 {
        m.tolerance_pct
    } else {
        1.0
    };
    let class = |d: f64| -> usize {
        if !d.is_finite() {
            return 3;
        }
        let k = ((d.abs() - t) / t).ceil().clamp(0.0, 3.0) as usize;
        if d.abs() <= t + 1e-9 {
            3
        } else if d < 0.0 {
            3 - k.max(1)
        } else {
            3 + k.max(1)
        }
    };
    let fills = m
        .territories
        .iter()
        .map(|x| (x.id, DIVERGING[class(x.deviation_pct)]))
        .collect();
    let p = |v: f64| numfmt::pct_plain(v);
    let labels = [
        format!("under −{}%", p(3.0 * t)),
        format!("−{}% to −{}%", p(3.0 * t), p(2.0 * t)),
        format!("−{}% to −{}%", p(2.0 * t), p(t)),
        format!("within ±{}% (in tolerance)", p(t)),
        format!("+{}% to +{}%", p(t), p(2.0 * t)),
        format!("+{}% to +{}%", p(2.0 * t), p(3.0 * t)),
        format!("over +{}%", p(3.0 * t)),
    ];
    let entries = labels
        .into_iter()
        .zip(DIVERGING)
        .map(|(label, color)| LegendEntry { color, label })
        .collect();
    Coloring {
        by: ColorBy::Deviation,
        fills,
        legend: Legend {
            title: format!("Deviation from mean {}", m.balance_measure),
            entries,
        },
    }
}

/// The value of measure `name` (`count` or a measure column) for each
/// territory, in plan order; `None` when the plan has no such measure.
pub fn measure_values(m: &PlanMetrics, name: &str) -> Option<Vec<(u32, f64)>> {
    if name == "count" {
        return Some(
            m.territories
                .iter()
                .map(|t| (t.id, t.group.count as f64))
                .collect(),
        );
    }
    let k = m.measures.iter().position(|x| x == name)?;
    Some(
        m.territories
            .iter()
            .map(|t| (t.id, t.group.sums.get(k).copied().unwrap_or(f64::NAN)))
            .collect(),
    )
}

/// Five quantile classes (equal numbers of territories), bounds rounded
/// to two significant digits so the legend reads.
fn by_measure(m: &PlanMetrics, name: &str) -> Coloring {
    let title = if name == "count" {
        "Accounts per territory".to_owned()
    } else {
        format!("{name} per territory")
    };
    let by = ColorBy::Measure(name.to_owned());
    let Some(values) = measure_values(m, name) else {
        return Coloring {
            by,
            fills: HashMap::new(),
            legend: Legend {
                title: format!("{title} (no such measure)"),
                entries: vec![],
            },
        };
    };
    sequential(by, title, &values, numfmt::readable)
}

/// Penetration (actual ÷ potential, %) per territory in quantile classes;
/// a territory without potential has no value (grey).
fn by_penetration(project: &Project, m: &PlanMetrics) -> Coloring {
    let title = match super::metrics::penetration_measures(project) {
        Some((actual, potential)) => format!("Market penetration ({actual} ÷ {potential})"),
        None => "Market penetration (needs actual and potential measures)".to_owned(),
    };
    let values: Vec<(u32, f64)> = m
        .territories
        .iter()
        .map(|t| (t.id, t.penetration_pct.unwrap_or(f64::NAN)))
        .collect();
    let pct = |v: f64| format!("{}%", numfmt::pct_plain(round_sig(v, 2)));
    let mut c = sequential(ColorBy::Penetration, title, &values, pct);
    if values.iter().any(|v| !v.1.is_finite()) {
        c.legend.entries.push(LegendEntry {
            color: NO_DATA,
            label: "no potential".into(),
        });
    }
    c
}

/// Fills in five quantile classes of `values` (non-finite: [`NO_DATA`])
/// and a legend whose bounds `label` formats.
fn sequential(
    by: ColorBy,
    title: String,
    values: &[(u32, f64)],
    label: impl Fn(f64) -> String,
) -> Coloring {
    let breaks = quantile_breaks(values.iter().map(|v| v.1), SEQUENTIAL.len());
    let class = |v: f64| breaks.iter().filter(|&&b| v >= b).count();
    let fills = values
        .iter()
        .map(|&(id, v)| {
            let c = if v.is_finite() {
                SEQUENTIAL[class(v).min(SEQUENTIAL.len() - 1)]
            } else {
                NO_DATA
            };
            (id, c)
        })
        .collect();
    let finite: Vec<f64> = values
        .iter()
        .map(|v| v.1)
        .filter(|v| v.is_finite())
        .collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut entries = Vec::new();
    let mut bounds = vec![lo];
    bounds.extend(breaks.iter().copied());
    bounds.push(hi);
    for k in 0..bounds.len().saturating_sub(1) {
        if finite.is_empty() {
            break;
        }
        entries.push(LegendEntry {
            color: SEQUENTIAL[k.min(SEQUENTIAL.len() - 1)],
            label: format!("{} – {}", label(bounds[k]), label(bounds[k + 1])),
        });
    }
    Coloring {
        by,
        fills,
        legend: Legend { title, entries },
    }
}

/// Up to `classes − 1` increasing class bounds splitting the finite
/// `values` into groups of about equal size; each bound is rounded to two
/// significant digits and duplicates are dropped (few distinct values give
/// fewer classes).
pub fn quantile_breaks(values: impl Iterator<Item = f64>, classes: usize) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = Vec::new();
    if v.len() < 2 || classes < 2 {
        return out;
    }
    for k in 1..classes {
        let q = v[(k * v.len() / classes).min(v.len() - 1)];
        let b = round_sig(q, 2);
        // A bound at or below the minimum would leave a class empty.
        if b > v[0] && out.last().is_none_or(|&l| b > l) && b <= v[v.len() - 1] {
            out.push(b);
        }
    }
    out
}

/// `v` rounded to `digits` significant digits.
pub fn round_sig(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let p = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * p).round() / p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_breaks_split_evenly_and_read_well() {
        let b = quantile_breaks((1..=100).map(|v| v as f64 * 1234.0), 5);
        assert_eq!(b.len(), 4);
        assert!(b.windows(2).all(|w| w[0] < w[1]));
        // Two significant digits.
        assert!(b.iter().all(|&x| round_sig(x, 2) == x));
        // Few distinct values: fewer classes, never an empty one.
        let b = quantile_breaks([1.0, 1.0, 1.0, 2.0].into_iter(), 5);
        assert_eq!(b, vec![2.0]);
        assert!(quantile_breaks([f64::NAN].into_iter(), 5).is_empty());
    }

    #[test]
    fn round_sig_keeps_two_digits() {
        assert_eq!(round_sig(123_456.0, 2), 120_000.0);
        assert_eq!(round_sig(0.0456, 2), 0.046);
        assert_eq!(round_sig(-987.0, 2), -990.0);
    }
}
