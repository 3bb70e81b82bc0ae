//! Progress reporting and cancellation for long work (imports, optimisation,
//! exports) that runs off the UI thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

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
