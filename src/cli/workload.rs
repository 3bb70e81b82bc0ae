//! `turfmap travel-workload`: turn the travel-workload measure on or off.

use super::args::TravelWorkloadArgs;
use crate::core::edit::Edit;
use crate::core::workload::{COLUMN, WorkloadSettings};
use crate::core::{Error, Result};

/// Sets the plan's travel-workload settings, computes the column (saving
/// refreshes it) and prints the total per territory of the primary type.
pub(super) fn travel_workload(a: TravelWorkloadArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let mut settings = ws.project().settings.clone();
    if a.off {
        settings.travel_workload = None;
        let mut edits = vec![Edit::SetSettings {
            settings: Box::new(settings),
        }];
        if ws.project().accounts.measure_index(COLUMN).is_some() {
            edits.push(Edit::SetMeasureColumn {
                name: COLUMN.into(),
                values: None,
            });
        }
        ws.apply(Edit::Batch {
            label: "Travel workload off".into(),
            edits,
        })?;
        super::save(&mut ws, &a.plan, a.save)?;
        eprintln!("Travel workload is off; the column '{COLUMN}' was removed.");
        return Ok(());
    }
    let w = WorkloadSettings {
        visits_column: a.visits_column,
        visits: a.visits,
        call_column: a.call_column,
        call_minutes: a.call_minutes,
        round_trip: a.round_trip,
    };
    w.check(ws.project()).map_err(Error::invalid)?;
    settings.travel_workload = Some(w);
    ws.apply(Edit::SetSettings {
        settings: Box::new(settings),
    })?;
    super::save(&mut ws, &a.plan, a.save)?;
    let p = ws.project();
    let m = p
        .accounts
        .measure_index(COLUMN)
        .ok_or_else(|| Error::invalid("the travel-workload column was not made"))?;
    let metrics = ws.metrics_for(p.primary_type());
    println!("territory\ttravel workload (h)");
    for t in &metrics.territories {
        println!("{}\t{:.1}", t.name, t.group.sums[m]);
    }
    eprintln!(
        "Saved '{COLUMN}' in {}: balance on it with --measure \"{COLUMN}\"; every save refreshes it.",
        a.plan.display()
    );
    Ok(())
}
