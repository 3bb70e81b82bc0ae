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

/// CPU time this process has used so far (user + system, all threads),
/// seconds, from `/proc/self/stat` (`None` elsewhere). Clock ticks are
/// taken as 100 a second, the Linux default.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// `f`'s result, wall time (ms) and CPU time of the process meanwhile (ms),
/// which, unlike wall time, does not grow when other work shares the cores.
pub fn with_cpu<T>(f: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    let before = cpu_seconds();
    let (r, t) = time(f);
    let cpu = match (before, cpu_seconds()) {
        (Some(a), Some(b)) => Some((b - a) * 1e3),
        _ => None,
    };
    (r, t, cpu)
}

/// `cpu` (ms) as `; CPU … ms over N threads`, or nothing.
pub(super) fn cpu_note(cpu: Option<f64>) -> String {
    cpu.map(|c| {
        format!(
            "; CPU {c:.0} ms over {} threads",
            rayon::current_num_threads()
        )
    })
    .unwrap_or_default()
}
