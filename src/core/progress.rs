//! Progress reporting and cancellation for long work (imports, optimisation,
//! exports) that runs off the UI thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Shared progress of one long operation. Cheap to clone; the worker updates
/// it, the window reads it and may ask it to cancel.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
    /// What is being done now, for long work with phases ("Improving").
    phase: Mutex<String>,
    /// The best figure so far of an optimisation (f64 bits; 0 = none yet
    /// unless `has_best`).
    best: AtomicU64,
    has_best: AtomicBool,
    /// A phase stopped early at the user's request (see `take_cancel`).
    stopped_early: AtomicBool,
}

impl Progress {
    /// A fresh progress with nothing done.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how many units of work there are in all.
    pub fn set_total(&self, total: u64) {
        self.inner.total.store(total, Ordering::Relaxed);
    }

    /// Sets how many units are done.
    pub fn set_done(&self, done: u64) {
        self.inner.done.store(done, Ordering::Relaxed);
    }

    /// Fraction done in `0..=1` (0 while the total is unknown).
    pub fn fraction(&self) -> f32 {
        let total = self.inner.total.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        (self.inner.done.load(Ordering::Relaxed) as f64 / total as f64).min(1.0) as f32
    }

    /// Names the phase the work is in (shown next to the bar).
    pub fn set_phase(&self, phase: impl Into<String>) {
        if let Ok(mut p) = self.inner.phase.lock() {
            *p = phase.into();
        }
    }

    /// The phase the work is in ("" while none was named).
    pub fn phase(&self) -> String {
        self.inner
            .phase
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// Records the best figure so far (e.g. the largest deviation in %).
    pub fn set_best(&self, value: f64) {
        self.inner.best.store(value.to_bits(), Ordering::Relaxed);
        self.inner.has_best.store(true, Ordering::Relaxed);
    }

    /// The best figure so far, once one was recorded.
    pub fn best(&self) -> Option<f64> {
        self.inner
            .has_best
            .load(Ordering::Relaxed)
            .then(|| f64::from_bits(self.inner.best.load(Ordering::Relaxed)))
    }

    /// True when a cancel was asked for, and clears it: for a phase that
    /// stops early and keeps what it has (the best plan so far) instead of
    /// abandoning the whole work. A later cancel stops the rest as usual.
    pub fn take_cancel(&self) -> bool {
        let was = self.inner.cancelled.swap(false, Ordering::Relaxed);
        if was {
            self.inner.stopped_early.store(true, Ordering::Relaxed);
        }
        was
    }

    /// True once a phase stopped early through [`Progress::take_cancel`].
    pub fn stopped_early(&self) -> bool {
        self.inner.stopped_early.load(Ordering::Relaxed)
    }

    /// Asks the worker to stop at its next check.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Relaxed);
    }

    /// True once [`Progress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once cancelled: call it in the worker's loop.
    pub fn check(&self) -> crate::core::Result<()> {
        if self.is_cancelled() {
            Err(crate::core::Error::Cancelled)
        } else {
            Ok(())
        }
    }
}
