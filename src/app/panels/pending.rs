//! Work a dialog starts for itself (reading a file's head, checking a
//! column mapping) on a worker thread, so the dialog stays responsive and
//! a newer request can cancel an older one.

use std::sync::mpsc;
use std::time::Duration;

use crate::core::progress::Progress;

/// A result on its way from a worker thread.
pub(crate) struct Pending<T> {
    rx: mpsc::Receiver<Result<T, String>>,
    /// Shared with the worker: fraction done and the cancel flag.
    pub progress: Progress,
}

impl<T: Send + 'static> Pending<T> {
    /// Runs `work` on a new thread; `ctx` repaints when it is done.
    pub fn spawn(
        ctx: &egui::Context,
        work: impl FnOnce(&Progress) -> crate::core::Result<T> + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let progress = Progress::new();
        let worker = progress.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("turfmap-dialog".into())
            .spawn(move || {
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&worker)));
                let out = match result {
                    Ok(r) => r.map_err(|e| e.to_string()),
                    Err(_) => Err("internal error while reading the file".to_owned()),
                };
                // The dialog may be gone: nobody to tell.
                let _ = tx.send(out);
                ctx.request_repaint();
            });
        if let Err(e) = spawned {
            let (tx, rx) = mpsc::channel();
            let _ = tx.send(Err(format!("could not start a worker thread: {e}")));
            return Self { rx, progress };
        }
        Self { rx, progress }
    }

    /// The result once there is one.
    pub fn poll(&self) -> Option<Result<T, String>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err("the worker stopped".to_owned())),
        }
    }

    /// Blocks up to `timeout` for the result (tests).
    pub fn wait(&self, timeout: Duration) -> Option<Result<T, String>> {
        match self.rx.recv_timeout(timeout) {
            Ok(r) => Some(r),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => Some(Err("the worker stopped".to_owned())),
        }
    }
}

impl<T> Drop for Pending<T> {
    /// A replaced or abandoned request stops at its next check.
    fn drop(&mut self) {
        self.progress.cancel();
    }
}
