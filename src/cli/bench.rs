//! Benchmark verbs of the core (`--features bench`): `bench`, `bench-edit`,
//! `bench-balance`. The window's (`bench-frame`, `bench-gesture`) are run
//! by the binary, next to the window.

use super::args::BenchArgs;
use crate::core::Result;

/// `turfmap bench`: core speed figures on a seeded synthetic plan.
pub(super) fn bench(a: BenchArgs) -> Result<()> {
    let plan = crate::core::bench::BenchPlan {
        accounts: a.accounts,
        territories: a.territories,
        seed: a.seed,
        reps: a.reps,
        travel: !a.no_travel,
    };
    crate::core::bench::run(plan, &mut std::io::stdout())
}

/// `turfmap bench-edit`: editing steps on 1M accounts and `territories`
/// territories.
pub(super) fn bench_edit(territories: usize) -> Result<()> {
    let (accounts, _, seed) = crate::core::bench::edit::PLAN;
    crate::core::bench::edit::run_on((accounts, territories, seed), &mut std::io::stdout())
}

/// `turfmap bench-postal`: what postal geocoding adds to an import.
pub(super) fn bench_postal(accounts: usize) -> Result<()> {
    crate::core::bench::postal::run(accounts, &mut std::io::stdout())
}

/// `turfmap bench-balance`: quality and speed of rebalancing.
pub(super) fn bench_balance() -> Result<()> {
    crate::core::optimize::bench(&mut std::io::stdout())
}
