//! Rep figures: territories, accounts, workload against capacity, and
//! travel (great-circle distance from home base to the accounts).
//!
//! A rep works the territories that list them ([`Territory::reps`](crate::core::model::Territory::reps)) and,
//! through the hierarchy, everything below those (a regional manager on a
//! region covers its districts). Accounts are counted once per territory
//! type; an account that is both in a rep's Geographic territory and in
//! their Healthcare overlay territory counts in both, being two
//! assignments. Workload is the sum of the workload measure
//! ([`Project::workload_measure`], else the first measure whose name
//! mentions "hour" or "workload").

use std::collections::HashMap;

use serde::Serialize;

use super::engine::{Engine, NONE};
use super::geometry::haversine_km;
use super::hierarchy::subtree;
use super::model::{Capacity, Project, RepId};

/// One rep's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RepMetrics {
    /// Rep id.
    pub id: u32,
    /// Name.
    pub name: String,
    /// Role in territory.
    pub role: String,
    /// Names of the territories that list the rep (not their descendants).
    pub territories: Vec<String>,
    /// Accounts covered (with the descendants of those territories).
    pub accounts: u64,
    /// Sum of the workload measure over those accounts, if the plan has one.
    pub workload_hours: Option<f64>,
    /// The rep's capacity.
    pub capacity: Option<Capacity>,
    /// Accounts or workload as a percentage of capacity.
    pub load_pct: Option<f64>,
    /// Mean great-circle distance from home to the located accounts, km.
    pub mean_km: Option<f64>,
    /// Largest such distance, km.
    pub max_km: Option<f64>,
    /// Drive time and road distance from home to those accounts (filled by
    /// [`crate::core::drive::DriveView::add_to_reps`]; `None` without a home or before).
    pub drive: Option<crate::core::travel::DriveFigures>,
}

/// The workload measure's column index, if any.
pub fn workload_measure(project: &Project) -> Option<usize> {
    let a = &project.accounts;
    match &project.workload_measure {
        Some(m) => a.measure_index(m),
        None => a.measures.iter().position(|m| {
            let n = m.name.to_ascii_lowercase();
            n.contains("hour") || n.contains("workload")
        }),
    }
}

/// Figures of every rep, in the order of [`Project::reps`].
pub fn rep_metrics(project: &Project, engines: &[Engine]) -> Vec<RepMetrics> {
    let a = &project.accounts;
    let wm = workload_measure(project);
    // Territory → reps covering it (directly or through an ancestor).
    let mut covering: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut direct: Vec<Vec<String>> = vec![Vec::new(); project.reps.len()];
    let rep_pos: HashMap<RepId, usize> = project
        .reps
        .iter()
        .enumerate()
        .map(|(k, r)| (r.id, k))
        .collect();
    for t in &project.territories {
        for r in &t.reps {
            let Some(&k) = rep_pos.get(r) else { continue };
            direct[k].push(t.name.clone());
            for d in subtree(project, t.id) {
                let v = covering.entry(d.0).or_default();
                if !v.contains(&k) {
                    v.push(k);
                }
            }
        }
    }
    let nr = project.reps.len();
    let mut count = vec![0u64; nr];
    let mut work = vec![0.0f64; nr];
    let mut dist_sum = vec![0.0f64; nr];
    let mut dist_n = vec![0u64; nr];
    let mut dist_max = vec![0.0f64; nr];
    for e in engines {
        // Slot → covering reps, for a fast walk over the accounts.
        let by_slot: Vec<&[usize]> = (0..e.index().slot_capacity() as u32)
            .map(|s| {
                e.index()
                    .id_of_slot(s)
                    .and_then(|id| covering.get(&id.0))
                    .map_or(&[][..], |v| v.as_slice())
            })
            .collect();
        for (i, &s) in e.slots().iter().enumerate() {
            if s == NONE || a.removed[i] {
                continue;
            }
            let reps = by_slot.get(s as usize).copied().unwrap_or(&[]);
            for &k in reps {
                count[k] += 1;
                if let Some(m) = wm {
                    work[k] += a.measure_or_zero(m, i);
                }
                if let Some(home) = project.reps[k].home
                    && a.is_located(i)
                {
                    let d = haversine_km(home, (a.lon[i], a.lat[i]));
                    dist_sum[k] += d;
                    dist_n[k] += 1;
                    dist_max[k] = dist_max[k].max(d);
                }
            }
        }
    }
    project
        .reps
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let workload_hours = wm.map(|_| work[k]);
            let load_pct = match r.capacity {
                Some(Capacity::Accounts(c)) if c > 0 => Some(count[k] as f64 / c as f64 * 100.0),
                Some(Capacity::Hours(h)) if h > 0.0 => workload_hours.map(|w| w / h * 100.0),
                _ => None,
            };
            RepMetrics {
                id: r.id.0,
                name: r.name.clone(),
                role: r.role.clone(),
                territories: direct[k].clone(),
                accounts: count[k],
                workload_hours,
                capacity: r.capacity,
                load_pct,
                mean_km: (dist_n[k] > 0).then(|| dist_sum[k] / dist_n[k] as f64),
                max_km: (dist_n[k] > 0).then_some(dist_max[k]),
                drive: None,
            }
        })
        .collect()
}
