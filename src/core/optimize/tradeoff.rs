//! Balance ↔ disruption: a few rebalanced plans along the trade-off (from
//! "move little" to "balance first", by the disruption weight), so the
//! planner sees what each step of balance costs in load moved and picks
//! one; and a move budget (largest share of the balance measure that may
//! move) that picks among them.

use super::{BalanceOptions, Proposal, rebalance};
use crate::core::error::Result;
use crate::core::model::Project;
use crate::core::progress::Progress;

/// Disruption weights tried, from "move little" to "balance first" (0 =
/// the current plan does not count).
pub const TRADEOFF_WEIGHTS: [f64; 5] = [64.0, 16.0, 4.0, 1.0, 0.0];

/// One plan along the trade-off.
#[derive(Clone, Debug)]
pub struct TradeoffPlan {
    /// The disruption weight it was made with.
    pub disruption_weight: f64,
    /// Largest deviation from the mean after the change, %.
    pub max_dev_pct: f64,
    /// The proposal (its report holds CV, % moved and the notes).
    pub proposal: Proposal,
}

impl TradeoffPlan {
    /// Share of the balance measure moved, %.
    pub fn moved_pct(&self) -> f64 {
        self.proposal.report.balance_moved_pct
    }

    /// Within the tolerance wherever a plan can be.
    pub fn meets_tolerance(&self) -> bool {
        self.proposal.report.within_tolerance_where_feasible
    }
}

/// Rebalances with each of [`TRADEOFF_WEIGHTS`] (the time budget split
/// between them) and returns the distinct plans, least moved first.
/// Progress runs over the whole set; Cancel stops it.
pub fn tradeoff(
    project: &Project,
    opts: &BalanceOptions,
    progress: &Progress,
) -> Result<Vec<TradeoffPlan>> {
    let mut plans: Vec<TradeoffPlan> = Vec::new();
    let n = TRADEOFF_WEIGHTS.len() as f64;
    progress.set_total(TRADEOFF_WEIGHTS.len() as u64);
    for (i, &w) in TRADEOFF_WEIGHTS.iter().enumerate() {
        progress.check()?;
        progress.set_done(i as u64);
        progress.set_phase(format!(
            "Plan {} of {} (disruption weight {w})",
            i + 1,
            TRADEOFF_WEIGHTS.len()
        ));
        let o = BalanceOptions {
            disruption_weight: w,
            time_budget_s: opts.time_budget_s / n,
            ..opts.clone()
        };
        // Each rebalance reports its own progress; the set only cancels.
        let proposal = rebalance(project, &o, &Progress::new())?;
        let max_dev_pct = proposal
            .after
            .territories
            .iter()
            .map(|t| t.deviation_pct.abs())
            .fold(0.0, f64::max);
        let plan = TradeoffPlan {
            disruption_weight: w,
            max_dev_pct,
            proposal,
        };
        let same = plans.iter().any(|p| {
            (p.moved_pct() - plan.moved_pct()).abs() < 1e-6
                && (p.max_dev_pct - plan.max_dev_pct).abs() < 1e-6
        });
        if !same {
            plans.push(plan);
        }
    }
    plans.sort_by(|a, b| {
        a.moved_pct()
            .total_cmp(&b.moved_pct())
            .then(a.max_dev_pct.total_cmp(&b.max_dev_pct))
    });
    Ok(plans)
}

/// The plan to propose: within the move budget (`max_moved_pct`, none =
/// no limit), the least-moving one that meets the tolerance; if none
/// meets it, the most balanced (smallest largest deviation) within the
/// budget; if none is within the budget, the least-moving of all. Also a
/// note saying which and why. `None` for an empty list.
pub fn pick(plans: &[TradeoffPlan], max_moved_pct: Option<f64>) -> Option<(usize, String)> {
    let budget = max_moved_pct.unwrap_or(f64::INFINITY);
    let fits: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].moved_pct() <= budget + 1e-9)
        .collect();
    let n = plans.len();
    if fits.is_empty() {
        let i = (0..n).min_by(|&a, &b| plans[a].moved_pct().total_cmp(&plans[b].moved_pct()))?;
        return Some((
            i,
            format!(
                "no plan moves at most {budget}% of the balance measure: the least-moving one moves {:.1}%",
                plans[i].moved_pct()
            ),
        ));
    }
    if let Some(&i) = fits.iter().find(|&&i| plans[i].meets_tolerance()) {
        let why = if max_moved_pct.is_some() {
            format!(" within the move budget of {budget}%")
        } else {
            String::new()
        };
        return Some((
            i,
            format!(
                "plan {} of {n}: the least-moving plan within tolerance{why} ({:.1}% moved)",
                i + 1,
                plans[i].moved_pct()
            ),
        ));
    }
    let i = fits.iter().copied().min_by(|&a, &b| {
        plans[a]
            .max_dev_pct
            .total_cmp(&plans[b].max_dev_pct)
            .then(plans[a].moved_pct().total_cmp(&plans[b].moved_pct()))
    })?;
    Some((
        i,
        format!(
            "plan {} of {n}: no plan within the move budget meets the tolerance; the most balanced one (largest deviation {:.1}%, {:.1}% moved)",
            i + 1,
            plans[i].max_dev_pct,
            plans[i].moved_pct()
        ),
    ))
}
