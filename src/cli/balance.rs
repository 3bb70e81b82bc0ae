//! `turfmap balance`: rebalance or generate, save the proposal as a plan.

use super::args::BalanceArgs;
use super::{find_type, parse_measure};
use crate::core::edit::Edit;
use crate::core::model::{BalanceMeasure, Project, TerritoryId};
use crate::core::optimize::{
    BalanceOptions, CentreLimit, DriveTime, Proposal, UnitLayer, from_reps, generate, pick,
    rebalance, tradeoff,
};
use crate::core::progress::Progress;
use crate::core::{Error, Result};

/// `turfmap balance`: rebalance (or generate) and save the proposal to `--out`.
pub(super) fn balance(a: BalanceArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    if let Some(tn) = &a.type_name {
        let ty = find_type(ws.project(), tn)?;
        ws.set_current_type(ty)?;
    }
    let project = ws.project();
    let opts = BalanceOptions {
        weights: parse_weights(project, &a.measure)?,
        tolerance_pct: a.tolerance,
        locked: locked_territories(project, &a.lock)?,
        units: parse_unit_layer(&a.units, a.hex_km)?,
        type_id: Some(ws.current_type()),
        time_budget_s: a.time_budget,
        drive_time: a.drive_time.then(DriveTime::default),
        centre_limit: CentreLimit::parse(&a.centre_limit)?,
        hold_centre_limit: a.hold_centre_limit,
        ..BalanceOptions::default()
    };
    // Figures are reported on the chosen measure: make it the plan's.
    let mut settings = ws.project().settings.clone();
    settings.tolerance_pct = a.tolerance;
    if let [(m, _)] = opts.weights.as_slice() {
        settings.balance = m.clone();
    }
    ws.apply(Edit::SetSettings {
        settings: Box::new(settings),
    })?;
    let project = ws.project();
    let progress = Progress::new();
    if a.territories.is_some() && (a.tradeoff || a.max_moved.is_some()) {
        return Err(Error::invalid(
            "--tradeoff and --max-moved are for rebalancing (not with --territories)",
        ));
    }
    if a.max_moved.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
        return Err(Error::invalid(
            "--max-moved must be a percentage, 0 or more",
        ));
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let proposal = std::thread::scope(|scope| {
        scope.spawn(|| print_progress(&progress, &done));
        let r = match a.territories {
            _ if a.from_reps => from_reps(project, &opts, &progress),
            Some(k) => generate(project, k, &opts, &[], &progress),
            None if a.tradeoff || a.max_moved.is_some() => {
                pick_tradeoff(project, &opts, a.max_moved, &progress)
            }
            None => rebalance(project, &opts, &progress),
        };
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    })?;
    print_proposal(
        &proposal,
        a.tolerance,
        a.territories.is_some() || a.from_reps,
    );
    ws.apply(proposal.edit)?;
    super::save(&mut ws, &a.out, a.save)?;
    eprintln!("Saved the proposal to {}.", a.out.display());
    Ok(())
}

/// Prints each phase of a long run on standard error as it starts, and in
/// the improvement phase the best largest deviation every few seconds,
/// until `done`.
fn print_progress(progress: &Progress, done: &std::sync::atomic::AtomicBool) {
    use std::time::{Duration, Instant};
    let start = Instant::now();
    let mut shown = String::new();
    let mut last_best = Instant::now();
    while !done.load(std::sync::atomic::Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        let phase = progress.phase();
        let secs = start.elapsed().as_secs_f64();
        if phase != shown && !phase.is_empty() {
            eprintln!("  {secs:>6.1} s  {phase}");
            shown = phase;
            last_best = Instant::now();
        } else if shown.starts_with("Improving")
            && last_best.elapsed() >= Duration::from_secs(2)
            && let Some(best) = progress.best()
        {
            eprintln!("  {secs:>6.1} s  best largest deviation so far {best:.2}%");
            last_best = Instant::now();
        }
    }
}

/// The trade-off plans as a table on standard output, and the one picked
/// (with the move budget) as the proposal, its choice among its notes.
fn pick_tradeoff(
    project: &Project,
    opts: &BalanceOptions,
    max_moved: Option<f64>,
    progress: &Progress,
) -> Result<Proposal> {
    let plans = tradeoff(project, opts, progress)?;
    let (chosen, why) = pick(&plans, max_moved)
        .ok_or_else(|| Error::invalid("no plan to choose from (nothing to rebalance)"))?;
    println!("plan  disruption weight  CV after  largest deviation  moved  within tolerance");
    for (i, p) in plans.iter().enumerate() {
        println!(
            "{}{:<3} {:>17} {:>8.2}% {:>17.2}% {:>5.1}%  {}",
            if i == chosen { "*" } else { " " },
            i + 1,
            p.disruption_weight,
            p.proposal.after.cv_pct,
            p.max_dev_pct,
            p.moved_pct(),
            if p.meets_tolerance() { "yes" } else { "no" }
        );
    }
    let mut proposal = plans
        .into_iter()
        .nth(chosen)
        .map(|p| p.proposal)
        .ok_or_else(|| Error::invalid("no plan to choose from"))?;
    proposal.report.notes.insert(0, format!("chosen: {why}"));
    Ok(proposal)
}

/// `Potential=0.6,WorkloadHours=0.4` (or one name, weight 1) as weights.
fn parse_weights(project: &Project, measure: &str) -> Result<Vec<(BalanceMeasure, f64)>> {
    let mut weights = Vec::new();
    for part in measure.split(',') {
        let (name, w) = match part.split_once('=') {
            Some((n, w)) => {
                let w: f64 = w.trim().parse().map_err(|_| {
                    Error::invalid(format!("weight '{w}' of '{n}' is not a number"))
                })?;
                (n.trim(), w)
            }
            None => (part.trim(), 1.0),
        };
        weights.push((parse_measure(project, name)?, w));
    }
    Ok(weights)
}

/// The territories named by `--lock`.
fn locked_territories(project: &Project, names: &[String]) -> Result<Vec<TerritoryId>> {
    names
        .iter()
        .map(|name| {
            project
                .territory_by_name(name)
                .map(|t| t.id)
                .ok_or_else(|| Error::invalid(format!("no territory called '{name}' to lock")))
        })
        .collect()
}

/// `--units` (and `--hex-km`) as the balancer's building blocks.
fn parse_unit_layer(units: &str, hex_km: f64) -> Result<UnitLayer> {
    match units {
        "hex" => Ok(UnitLayer::Hex { size_km: hex_km }),
        "states" => Ok(UnitLayer::States),
        "counties" => Ok(UnitLayer::Counties),
        "zips" => Ok(UnitLayer::Zips),
        other => match other.split_once(':') {
            Some(("provinces", code)) => provinces_of(code),
            _ => Err(Error::invalid(format!(
                "unknown units '{other}'; use hex, states, counties, zips or \
                 provinces:CA (also AU, BR)"
            ))),
        },
    }
}

/// `provinces:CA`: the bundled regions of a country other than the US.
fn provinces_of(code: &str) -> Result<UnitLayer> {
    use crate::core::geocode::Country;
    use crate::core::regions::PROVINCE_COUNTRIES;
    let known = || {
        PROVINCE_COUNTRIES
            .iter()
            .map(|c| c.code())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match Country::parse(code) {
        Some(Country::US) => Ok(UnitLayer::States),
        Some(c) if PROVINCE_COUNTRIES.contains(&c) => Ok(UnitLayer::Provinces(c)),
        Some(c) => Err(Error::invalid(format!(
            "no bundled regions for {} ({c}); regions exist for {} and the US (states); \
             use --units hex",
            c.name(),
            known()
        ))),
        None => Err(Error::invalid(format!(
            "'{code}' is not a country; use provinces:CA (also {})",
            known()
        ))),
    }
}

/// The before/after figures on standard output.
fn print_proposal(proposal: &Proposal, tolerance: f64, generated: bool) {
    let (b, a, r) = (&proposal.before, &proposal.after, &proposal.report);
    println!(
        "before: CV {:.1}%, max/min {}, {} of {} territories outside ±{tolerance}%",
        b.cv_pct,
        b.max_min_ratio.map_or("n/a".into(), |x| format!("{x:.2}")),
        b.out_of_tolerance,
        b.territories.len()
    );
    let max_dev = a
        .territories
        .iter()
        .map(|t| t.deviation_pct.abs())
        .fold(0.0, f64::max);
    println!(
        "after:  CV {:.1}%, max/min {}, max deviation {max_dev:.2}%, {} of {} territories outside ±{tolerance}%{}",
        a.cv_pct,
        a.max_min_ratio.map_or("n/a".into(), |x| format!("{x:.2}")),
        a.out_of_tolerance,
        a.territories.len(),
        if r.contiguous {
            ", all contiguous"
        } else {
            ", NOT all contiguous"
        }
    );
    println!(
        "moved:  {} of {} accounts ({:.1}%), {:.1}% of the balance measure",
        r.accounts_moved, r.accounts_total, r.accounts_moved_pct, r.balance_moved_pct
    );
    for (name, pct) in r.measures.iter().zip(&r.measure_moved_pct) {
        println!("        {pct:.1}% of {name}");
    }
    let limit = match r.centre_limit_km {
        None => "no limit".to_owned(),
        Some((lo, hi)) if hi - lo < 0.5 => format!("limit {lo:.0} km"),
        Some((lo, hi)) => format!("limits {lo:.0}–{hi:.0} km by territory size"),
    };
    let limit = match r.centre_limit_widened {
        Some(f) => format!("{limit}, widened {f:.1}× to meet the tolerance"),
        None => limit,
    };
    if generated {
        // New territories: there is no old centre to keep.
    } else if r.accounts_moved == 0 {
        println!("centre: nothing moved, so no load centre did");
    } else {
        println!(
            "centre: load centres moved at most {:.0} km ({limit}; --centre-limit)",
            r.max_centre_shift_km
        );
    }
    // Every note of the report: territories outside tolerance (by name),
    // infeasible ones and why, split territories, uncovered accounts.
    for note in &r.notes {
        println!("note:   {note}");
    }
}

#[cfg(test)]
mod unit_layer_tests {
    use super::*;
    use crate::core::geocode::Country;

    #[test]
    fn provinces_name_their_country() {
        assert_eq!(
            parse_unit_layer("provinces:CA", 1.0).unwrap(),
            UnitLayer::Provinces(Country::CA)
        );
        assert_eq!(
            parse_unit_layer("provinces:Brazil", 1.0).unwrap(),
            UnitLayer::Provinces(Country::BR)
        );
        let de = parse_unit_layer("provinces:DE", 1.0)
            .unwrap_err()
            .to_string();
        assert!(de.contains("Germany") && de.contains("AU, BR, CA"), "{de}");
        let bad = parse_unit_layer("provinces:XX", 1.0)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("'XX' is not a country"), "{bad}");
        assert!(parse_unit_layer("regions", 1.0).is_err());
    }
}
