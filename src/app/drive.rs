//! Drive-time figures in the window: the [`DriveView`] lives on a worker
//! thread between updates, so loading the road network (seconds the first
//! time) and recomputing after edits never hold up a frame. The window
//! shows the last figures it has, says when they are being brought up to
//! date, and fills them into the metrics the panels draw.
//!
//! Nothing is loaded until the plan has a rep with a home base on some
//! territory: without one there is no drive to measure.

use std::collections::HashMap;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use crate::core::drive::DriveView;
use crate::core::metrics::PlanMetrics;
use crate::core::model::{Project, RepId, TerritoryTypeId};
use crate::core::travel::{DriveFigures, Router};
use crate::core::{TerritoryId, Workspace};

/// Which plan state figures are of: (plan generation, revision, type shown).
type Key = (u64, u64, TerritoryTypeId);

/// What a worker hands back.
struct Done {
    key: Key,
    view: DriveView,
    territories: HashMap<TerritoryId, DriveFigures>,
    reps: HashMap<RepId, DriveFigures>,
}

/// Where the drive-time figures stand.
#[derive(Clone, Debug, PartialEq)]
pub enum DriveStatus {
    /// No rep with a home base works a territory: nothing to compute.
    NoHomes,
    /// The road network is loading (first use) and the figures computing.
    Loading,
    /// The figures shown are of an earlier state of the plan; new ones are
    /// on their way.
    Updating,
    /// The figures are of the plan as it is.
    Ready,
    /// The last computation failed (the message says why).
    Failed(String),
}

/// The window's drive-time figures and the work that keeps them current.
pub struct DriveTimes {
    view: Option<DriveView>,
    router: Option<Router>,
    territories: HashMap<TerritoryId, DriveFigures>,
    reps: HashMap<RepId, DriveFigures>,
    /// The state the figures are of.
    key: Option<Key>,
    running: Option<(Key, Receiver<Result<Done, String>>)>,
    failed: Option<(Key, String)>,
    /// The plan state last asked for, and whether it needs drive time.
    wanted: Option<(Key, bool)>,
    /// New figures came in since [`DriveTimes::take_fresh`].
    fresh: bool,
}

impl Default for DriveTimes {
    fn default() -> Self {
        Self::new()
    }
}

impl DriveTimes {
    /// Nothing computed yet.
    pub fn new() -> Self {
        Self {
            view: None,
            router: None,
            territories: HashMap::new(),
            reps: HashMap::new(),
            key: None,
            running: None,
            failed: None,
            wanted: None,
            fresh: false,
        }
    }

    /// Collects finished work and starts what the plan's state needs (one
    /// computation at a time: edits in a row are caught up in one go).
    /// With `wait`, blocks up to that long for the figures to be current.
    pub fn step(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        generation: u64,
        wait: Option<Duration>,
    ) -> bool {
        let deadline = wait.map(|w| Instant::now() + w);
        let key = (generation, ws.revision(), ws.current_type());
        let needed = needs_drive(ws.project());
        self.wanted = Some((key, needed));
        loop {
            let changed = self.collect(deadline);
            if self.running.is_none() && self.key != Some(key) && self.failed_at() != Some(key) {
                if needed {
                    self.start(ctx, ws, key);
                } else {
                    self.clear(key);
                }
            }
            let more = self.running.is_some();
            match deadline {
                Some(d) if more && Instant::now() < d => continue,
                _ => return changed,
            }
        }
    }

    fn failed_at(&self) -> Option<Key> {
        self.failed.as_ref().map(|(k, _)| *k)
    }

    /// Blocks up to `timeout` for the computation under way (tests; the
    /// window never waits). True when none is running any more.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        self.collect(Some(Instant::now() + timeout));
        self.running.is_none()
    }

    /// Whether new figures came in since the last call.
    pub fn take_fresh(&mut self) -> bool {
        std::mem::take(&mut self.fresh)
    }

    /// Takes in a finished computation; true when the figures changed.
    fn collect(&mut self, deadline: Option<Instant>) -> bool {
        let Some((key, rx)) = &self.running else {
            return false;
        };
        let wait = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let got = match wait {
            Some(w) if !w.is_zero() => match rx.recv_timeout(w) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return false,
                other => other.ok(),
            },
            _ => match rx.try_recv() {
                Err(TryRecvError::Empty) => return false,
                other => other.ok(),
            },
        };
        let key = *key;
        self.running = None;
        match got {
            Some(Ok(done)) => {
                self.router = Some(done.view.router().clone());
                self.view = Some(done.view);
                self.territories = done.territories;
                self.reps = done.reps;
                self.key = Some(done.key);
                self.failed = None;
                self.fresh = true;
            }
            Some(Err(e)) => self.failed = Some((key, e)),
            None => self.failed = Some((key, "the drive-time worker stopped".into())),
        }
        true
    }

    /// No homes: no figures, and the network (if loaded) is let go.
    fn clear(&mut self, key: Key) {
        self.fresh |= !self.territories.is_empty() || !self.reps.is_empty();
        self.view = None;
        self.territories.clear();
        self.reps.clear();
        self.key = Some(key);
        self.failed = None;
    }

    fn start(&mut self, ctx: &egui::Context, ws: &Workspace, key: Key) {
        // The view goes to the worker and comes back with the figures; a
        // view of another plan (or none) starts afresh.
        let view = self
            .view
            .take()
            .filter(|_| self.key.is_some_and(|k| k.0 == key.0));
        let changes = view.as_ref().map(|v| ws.changes_since(v.revision()));
        let snap = ws.snapshot();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("turfmap-drive".into())
            .spawn(move || {
                let _ = tx.send(compute(&snap, view, changes.flatten(), key));
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.running = Some((key, rx)),
            Err(e) => self.failed = Some((key, format!("could not start a worker: {e}"))),
        }
    }

    /// Where the figures stand for the plan state last stepped to.
    pub fn status(&self) -> DriveStatus {
        let Some((key, needed)) = self.wanted else {
            return DriveStatus::Loading;
        };
        if let Some((k, e)) = &self.failed
            && *k == key
        {
            return DriveStatus::Failed(e.clone());
        }
        if !needed {
            DriveStatus::NoHomes
        } else if self.key == Some(key) && self.running.is_none() {
            DriveStatus::Ready
        } else if self.router.is_none() {
            DriveStatus::Loading
        } else {
            DriveStatus::Updating
        }
    }

    /// Puts the figures into `metrics` (a balance of the type shown).
    pub fn fill(&self, metrics: &mut PlanMetrics) {
        for t in &mut metrics.territories {
            t.drive = self.territories.get(&TerritoryId(t.id)).copied();
        }
    }

    /// A rep's figures (from their home to every account they cover).
    pub fn rep(&self, id: RepId) -> Option<DriveFigures> {
        self.reps.get(&id).copied()
    }

    /// Every rep's figures.
    pub fn reps(&self) -> std::collections::HashMap<RepId, DriveFigures> {
        self.reps.clone()
    }

    /// The router of the loaded network (hover cards), once loaded.
    pub fn router(&self) -> Option<&Router> {
        self.router.as_ref()
    }
}

/// Whether some territory has a rep with a home base.
pub fn needs_drive(p: &Project) -> bool {
    p.territories.iter().any(|t| {
        t.reps
            .iter()
            .any(|r| p.rep(*r).is_some_and(|r| r.home.is_some()))
    })
}

/// The worker's job: bring `view` (or a new one) to the snapshot's state
/// and read the figures out.
fn compute(
    ws: &Workspace,
    view: Option<DriveView>,
    changes: Option<crate::core::workspace::Changes>,
    key: Key,
) -> Result<Done, String> {
    let view = match view {
        Some(mut v) => {
            v.update_with(ws, changes).map_err(|e| e.to_string())?;
            v
        }
        None => DriveView::new(ws).map_err(|e| e.to_string())?,
    };
    let p = ws.project();
    let ty = ws.current_type();
    let territories = p
        .territories
        .iter()
        .filter(|t| t.type_id == ty)
        .filter_map(|t| Some((t.id, view.territory(p, ty, t.id)?)))
        .collect();
    let reps = p
        .reps
        .iter()
        .filter_map(|r| Some((r.id, view.rep(p, r.id)?)))
        .collect();
    Ok(Done {
        key,
        view,
        territories,
        reps,
    })
}
