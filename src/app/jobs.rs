//! Long work (opening, creating, saving, importing, exporting) runs on a
//! `std::thread` so the window keeps painting and can offer Cancel. The
//! result comes back through a channel that the window polls every frame.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use crate::core::Workspace;
use crate::core::import::{ImportedTerritory, TerritoryImportReport};
use crate::core::progress::Progress;

/// What a finished job hands back to the window.
pub(crate) enum JobOutput {
    /// A plan was read (`path`: remember it in the recent list).
    Opened {
        ws: Box<Workspace>,
        path: Option<PathBuf>,
    },
    /// A plan was built from a CRM export and saved to `path`.
    Created {
        ws: Box<Workspace>,
        path: PathBuf,
        summary: String,
    },
    /// A snapshot of the plan, taken at plan state `state`, was saved to
    /// `path`.
    Saved {
        path: PathBuf,
        state: u64,
        written: Option<crate::core::fs::Fingerprint>,
    },
    /// Territories were read from a GeoJSON file; the window turns them
    /// into one undoable edit.
    TerritoriesRead {
        path: PathBuf,
        territories: Vec<ImportedTerritory>,
        report: TerritoryImportReport,
    },
    /// An accounts export was read to refresh the plan with.
    AccountsRead {
        path: PathBuf,
        accounts: Box<crate::core::model::Accounts>,
        report: Box<crate::core::import::ImportReport>,
    },
    /// A file was exported.
    Exported { path: PathBuf, what: &'static str },
    /// A save found the plan's file changed on disk since it was read and
    /// wrote nothing.
    ChangedOnDisk { path: PathBuf },
    /// The Salesforce export was written into `dir`.
    SalesforceExported {
        dir: PathBuf,
        summary: Box<crate::core::salesforce::ExportSummary>,
    },
    /// A rebalance/generate proposal (the Balance dialog's own job).
    Proposal(Box<crate::core::optimize::Proposal>),
    /// Plans along the balance ↔ disruption trade-off, least moved first
    /// (the Balance dialog's own job).
    Tradeoff(Vec<crate::core::optimize::TradeoffPlan>),
    /// A scenario comparison (the territory model window's own job).
    Diff(Box<crate::core::scenario::ScenarioDiff>),
    /// Reps needed and candidate homes (the Capacity window's own job).
    Capacity(Box<crate::core::capacity::CapacityPlan>),
    /// Drive-time rings (the rings window's own job).
    Rings(Box<crate::core::travel::Isochrones>),
}

/// The work a background job does on its thread.
pub(crate) type Work =
    Box<dyn FnOnce(&Progress) -> crate::core::Result<JobOutput> + Send + 'static>;

/// A background job to start: panels and file operations build these, and
/// the app starts them (one at a time) with progress and Cancel.
pub(crate) struct JobRequest {
    /// What the progress dialog says ("Saving west.turf").
    pub title: String,
    /// Whether the progress dialog offers Cancel.
    pub cancellable: bool,
    /// What to do once it succeeds (e.g. close after saving).
    pub then: Option<super::Action>,
    /// The work itself.
    pub work: Work,
}

impl JobRequest {
    /// A job titled `title` doing `work`.
    pub fn new(
        title: impl Into<String>,
        cancellable: bool,
        work: impl FnOnce(&Progress) -> crate::core::Result<JobOutput> + Send + 'static,
    ) -> Self {
        Self {
            title: title.into(),
            cancellable,
            then: None,
            work: Box::new(work),
        }
    }

    /// The same job, followed by `then` once it succeeds.
    pub fn then(mut self, then: Option<super::Action>) -> Self {
        self.then = then;
        self
    }
}

impl std::fmt::Debug for JobRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobRequest")
            .field("title", &self.title)
            .finish_non_exhaustive()
    }
}

/// A job running on a worker thread.
pub(crate) struct Job {
    /// What is being done, e.g. "Opening west.turf".
    pub title: String,
    /// Shared with the worker: fraction done and the cancel flag.
    pub progress: Progress,
    /// Whether Cancel is offered. Saves and exports are not cancellable:
    /// stopping them half-way would leave the user unsure what was written.
    pub cancellable: bool,
    rx: mpsc::Receiver<Result<JobOutput, String>>,
}

impl Job {
    /// Starts `work` on a new thread. `ctx` is asked to repaint when it ends,
    /// so the result is picked up even if the user is idle.
    pub fn spawn(
        ctx: &egui::Context,
        title: impl Into<String>,
        cancellable: bool,
        work: impl FnOnce(&Progress) -> crate::core::Result<JobOutput> + Send + 'static,
    ) -> Self {
        let title = title.into();
        let progress = Progress::new();
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let worker_progress = progress.clone();
        let what = title.clone();
        let spawned = std::thread::Builder::new()
            .name("turfmap-job".into())
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    work(&worker_progress)
                }));
                let message = match result {
                    Ok(Ok(out)) => Ok(out),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(panic) => Err(format!(
                        "{what} failed: internal error ({})",
                        panic_message(panic.as_ref())
                    )),
                };
                // The window may have gone (cancelled): nobody to tell.
                let _ = tx.send(message);
                ctx.request_repaint();
            });
        if let Err(e) = spawned {
            let (tx, rx2) = mpsc::channel();
            let _ = tx.send(Err(format!("could not start a worker thread: {e}")));
            return Self {
                title,
                progress,
                cancellable,
                rx: rx2,
            };
        }
        Self {
            title,
            progress,
            cancellable,
            rx,
        }
    }

    /// The result once the job is done, `None` while it runs.
    pub fn poll(&self) -> Option<Result<JobOutput, String>> {
        match self.rx.try_recv() {
            Ok(result) => Some(result),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                Some(Err(format!("{} stopped unexpectedly", self.title)))
            }
        }
    }

    /// Blocks up to `timeout` for the result (tests and shutdown).
    pub fn wait(&self, timeout: Duration) -> Option<Result<JobOutput, String>> {
        match self.rx.recv_timeout(timeout) {
            Ok(result) => Some(result),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Some(Err(format!("{} stopped unexpectedly", self.title)))
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}
