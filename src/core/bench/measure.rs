//! Timing and memory of one benchmark step, shared by the bench verbs.

use std::time::{Duration, Instant};

/// `d` in milliseconds.
pub(super) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The median of `v` (0 when empty).
pub(super) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

/// Runs `f`, with its time in milliseconds.
pub(super) fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let r = f();
    (r, ms(t.elapsed()))
}

/// A `VmHWM:`/`VmRSS:` figure of `/proc/self/status`, MB (Linux).
fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Memory of one step: resident before it, and the peak during it (MB).
#[derive(Clone, Copy, Debug)]
pub struct StepMemory {
    /// Resident memory when the step started.
    pub before_mb: f64,
    /// Highest resident memory while it ran.
    pub peak_mb: f64,
}

impl StepMemory {
    /// What the step added at its peak.
    pub fn added_mb(&self) -> f64 {
        (self.peak_mb - self.before_mb).max(0.0)
    }
}

impl std::fmt::Display for StepMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peak {:.0} MB, +{:.0} MB", self.peak_mb, self.added_mb())
    }
}

/// Runs `f` timed, with its peak memory: the kernel's high-water mark is
/// reset first (`/proc/self/clear_refs`, Linux); `None` where that is not
/// available.
pub fn measured<T>(f: impl FnOnce() -> T) -> (T, f64, Option<StepMemory>) {
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_mb("VmRSS:");
    let (r, t) = time(f);
    let mem = match (reset, before, status_mb("VmHWM:")) {
        (true, Some(before_mb), Some(peak_mb)) => Some(StepMemory { before_mb, peak_mb }),
        _ => None,
    };
    (r, t, mem)
}

/// `mem` as `; peak …`, or nothing.
pub(super) fn mem_note(mem: Option<StepMemory>) -> String {
    mem.map(|m| format!("; {m}")).unwrap_or_default()
}
