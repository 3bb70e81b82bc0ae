//! Keeps the plan's travel-workload column ([`crate::core::workload`])
//! fresh in the window: after an edit a worker recomputes it on a snapshot
//! of the plan (loading the roads the first time); when it is done and the
//! plan has not changed meanwhile, the refresh joins the last undo step, so
//! Undo takes back the move and its workload together. An edit made while
//! it runs (a drag) makes its result stale: it is dropped and the next run
//! starts from the plan as it is, so a gesture costs one refresh at its end.

use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use crate::core::Workspace;
use crate::core::edit::Edit;

/// What a refresh run sends back: the edit (`None`: the column is current).
type Outcome = Result<Option<Edit>, String>;

/// A plan state: the window's plan generation (bumped when another plan is
/// opened, as revisions restart) and the workspace revision.
type State = (u64, u64);

/// The background refresh of the travel-workload column.
#[derive(Default)]
pub(crate) struct WorkloadRefresh {
    /// The plan state (generation, revision) the running refresh was
    /// computed from, and its answer.
    running: Option<(State, Receiver<Outcome>)>,
    /// The plan state whose column is known to be current.
    fresh_at: Option<State>,
}

impl WorkloadRefresh {
    /// Picks up a finished run (applying it when still current) and starts
    /// one when the plan changed since the column was last current. Returns
    /// an error to show, if the refresh failed.
    pub(crate) fn tick(
        &mut self,
        ws: &mut Workspace,
        generation: u64,
        ctx: &egui::Context,
    ) -> Option<String> {
        let mut error = None;
        if let Some((rev, rx)) = &self.running {
            match rx.try_recv() {
                Ok(outcome) => {
                    let rev = *rev;
                    self.running = None;
                    error = self.finish(ws, generation, rev, outcome);
                }
                Err(TryRecvError::Empty) => {
                    ctx.request_repaint_after(Duration::from_millis(100));
                    return None;
                }
                Err(TryRecvError::Disconnected) => self.running = None,
            }
        }
        let on = ws.project().settings.travel_workload.is_some();
        if on && self.fresh_at != Some((generation, ws.revision())) && error.is_none() {
            self.start(ws, generation, ctx);
        }
        error
    }

    fn finish(
        &mut self,
        ws: &mut Workspace,
        generation: u64,
        rev: State,
        outcome: Outcome,
    ) -> Option<String> {
        if rev != (generation, ws.revision()) {
            return None;
        }
        match outcome {
            Ok(None) => self.fresh_at = Some(rev),
            Ok(Some(edit)) => {
                // Joins the last step under its own name.
                let label = ws
                    .undo_labels()
                    .last()
                    .map_or_else(|| "Travel workload".to_owned(), str::to_owned);
                let r = ws.amend(Edit::Batch {
                    label,
                    edits: vec![edit],
                });
                if let Err(e) = r {
                    self.fresh_at = Some(rev);
                    return Some(format!("Travel workload not refreshed: {e}"));
                }
                self.fresh_at = Some((generation, ws.revision()));
            }
            Err(e) => {
                // Not again until the plan changes.
                self.fresh_at = Some(rev);
                return Some(format!("Travel workload not refreshed: {e}"));
            }
        }
        None
    }

    fn start(&mut self, ws: &Workspace, generation: u64, ctx: &egui::Context) {
        let project = ws.project().snapshot();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let snap = Workspace::new(project);
            let outcome = crate::core::workload::refresh(&snap).map_err(|e| e.to_string());
            let _ = tx.send(outcome);
            ctx.request_repaint();
        });
        self.running = Some(((generation, ws.revision()), rx));
    }

    /// Blocks until the running refresh (if any) ends or `timeout` passes,
    /// and applies it like [`Self::tick`] would (tests and scripts; the
    /// window never blocks). `Ok(false)` on timeout; `Err`: the refresh
    /// failed, with the message to show.
    pub(crate) fn wait(
        &mut self,
        ws: &mut Workspace,
        generation: u64,
        timeout: Duration,
    ) -> Result<bool, String> {
        let Some((rev, rx)) = self.running.as_ref() else {
            return Ok(true);
        };
        let rev = *rev;
        let Ok(outcome) = rx.recv_timeout(timeout) else {
            return Ok(false);
        };
        self.running = None;
        match self.finish(ws, generation, rev, outcome) {
            Some(e) => Err(e),
            None => Ok(true),
        }
    }
}
