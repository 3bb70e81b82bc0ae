//! A plan being worked on: the project, its engine and its edit history.
//!
//! This is the single door through which the window and the CLI change a
//! plan: [`Workspace::apply`] runs an [`Edit`], updates the engine
//! incrementally and records the inverse for [`Workspace::undo`].

use std::path::{Path, PathBuf};

use super::edit::Edit;
use super::engine::{Change, Engine};
use super::error::Result;
use super::metrics::PlanMetrics;
use super::model::Project;
use super::project_file;

/// One entry of the undo or redo stack.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    /// What the user did, e.g. "Move 3 account(s) to 'West'".
    pub label: String,
    /// The edit that reverses it.
    pub inverse: Edit,
}

/// Joins inverses that run one after the other (`edits[0]` first) into one
/// edit. When every part sets a whole value of one territory (its shape or
/// its properties), only the last setting of each value matters: the rest
/// are dropped, so a 500-frame drag keeps one shape per territory.
fn coalesce(edits: Vec<Edit>, label: &str) -> Edit {
    fn flatten(e: Edit, out: &mut Vec<Edit>) {
        match e {
            Edit::Batch { edits, .. } => edits.into_iter().for_each(|e| flatten(e, out)),
            other => out.push(other),
        }
    }
    let mut flat = Vec::new();
    edits.into_iter().for_each(|e| flatten(e, &mut flat));
    let key = |e: &Edit| match e {
        Edit::SetGeometry { id, .. } => Some((0u8, *id)),
        Edit::SetTerritoryProps { id, .. } => Some((1u8, *id)),
        _ => None,
    };
    if flat.iter().all(|e| key(e).is_some()) {
        // Keep the last occurrence of each key, in order of application.
        let mut seen = std::collections::HashSet::new();
        let mut kept: Vec<Edit> = flat
            .into_iter()
            .rev()
            .filter(|e| seen.insert(key(e)))
            .collect();
        kept.reverse();
        flat = kept;
    }
    Edit::Batch {
        label: label.to_owned(),
        edits: flat,
    }
}

/// A project with its live assignment and history. See the module docs.
#[derive(Clone, Debug)]
pub struct Workspace {
    project: Project,
    engine: Engine,
    undo: Vec<HistoryEntry>,
    redo: Vec<HistoryEntry>,
    revision: u64,
    saved_revision: u64,
    path: Option<PathBuf>,
}

impl Workspace {
    /// Wraps a project and assigns every account.
    pub fn new(project: Project) -> Self {
        let engine = Engine::new(&project);
        Self {
            project,
            engine,
            undo: Vec::new(),
            redo: Vec::new(),
            revision: 0,
            saved_revision: 0,
            path: None,
        }
    }

    /// Opens a project file.
    pub fn open(path: &Path) -> Result<Self> {
        let project = project_file::load(path)?;
        let mut ws = Self::new(project);
        ws.path = Some(path.to_owned());
        Ok(ws)
    }

    /// A plan restored from a recovery copy (autosave): `path` is the file
    /// it came from, if any, and the plan counts as unsaved until it is
    /// saved again.
    pub fn recovered(project: Project, path: Option<PathBuf>) -> Self {
        let mut ws = Self::new(project);
        ws.path = path;
        // No revision ever equals this, so the plan is dirty until saved.
        ws.saved_revision = u64::MAX;
        ws
    }

    /// Saves to `path` (atomically) and remembers it as the plan's file.
    pub fn save_as(&mut self, path: &Path) -> Result<()> {
        project_file::save(&self.project, path)?;
        self.path = Some(path.to_owned());
        self.saved_revision = self.revision;
        Ok(())
    }

    /// The plan (read-only: change it with [`Workspace::apply`]).
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The engine with the current assignment.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Current balance metrics.
    pub fn metrics(&self) -> PlanMetrics {
        PlanMetrics::compute(&self.project, &self.engine)
    }

    /// The file this plan was opened from or last saved to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True when there are changes since the last save (or load).
    pub fn is_dirty(&self) -> bool {
        self.revision != self.saved_revision
    }

    /// Increases with every applied, undone or redone edit.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Applies an edit and records it for undo. On error nothing changes.
    pub fn apply(&mut self, edit: Edit) -> Result<()> {
        let label = edit.label(&self.project);
        let inverse = self.apply_raw(edit)?;
        self.undo.push(HistoryEntry { label, inverse });
        self.redo.clear();
        Ok(())
    }

    /// Applies an edit and folds it into the last undo entry (keeping that
    /// entry's label), so a gesture that changes the plan at every frame
    /// (a vertex drag, a brush stroke) is one undo step. The merged inverse
    /// stays a delta: for edits that set a whole value (a shape, a
    /// territory's properties) only the value from before the gesture is
    /// kept. With nothing to undo it is [`Workspace::apply`].
    pub fn amend(&mut self, edit: Edit) -> Result<()> {
        let Some(top) = self.undo.pop() else {
            return self.apply(edit);
        };
        match self.apply_raw(edit) {
            Ok(inverse) => {
                // Undo runs the newest inverse first, then the older one.
                let inverse = coalesce(vec![inverse, top.inverse], &top.label);
                self.undo.push(HistoryEntry {
                    label: top.label,
                    inverse,
                });
                self.redo.clear();
                Ok(())
            }
            Err(e) => {
                self.undo.push(top);
                Err(e)
            }
        }
    }

    fn apply_raw(&mut self, edit: Edit) -> Result<Edit> {
        let (inverse, change) = edit.apply(&mut self.project)?;
        self.engine.apply(&self.project, &change);
        self.revision += 1;
        Ok(inverse)
    }

    /// Undoes the last edit; false when there is nothing to undo.
    pub fn undo(&mut self) -> Result<bool> {
        self.step(true)
    }

    /// Redoes the last undone edit; false when there is nothing to redo.
    pub fn redo(&mut self) -> Result<bool> {
        self.step(false)
    }

    fn step(&mut self, undo: bool) -> Result<bool> {
        let popped = if undo {
            self.undo.pop()
        } else {
            self.redo.pop()
        };
        let Some(entry) = popped else {
            return Ok(false);
        };
        // Cloned so a failed step can be put back as it was.
        match self.apply_raw(entry.inverse.clone()) {
            Ok(inverse) => {
                let back = HistoryEntry {
                    label: entry.label,
                    inverse,
                };
                if undo {
                    self.redo.push(back);
                } else {
                    self.undo.push(back);
                }
                Ok(true)
            }
            Err(e) => {
                if undo {
                    self.undo.push(entry);
                } else {
                    self.redo.push(entry);
                }
                Err(e)
            }
        }
    }

    /// Labels of the undo stack, oldest first.
    pub fn undo_labels(&self) -> impl Iterator<Item = &str> {
        self.undo.iter().map(|e| e.label.as_str())
    }

    /// Labels of the redo stack, next to redo last.
    pub fn redo_labels(&self) -> impl Iterator<Item = &str> {
        self.redo.iter().map(|e| e.label.as_str())
    }

    /// Recomputes everything from scratch (after bulk changes made outside
    /// edits, such as replacing the project).
    pub fn recompute_all(&mut self) {
        self.engine.apply(
            &self.project,
            &Change {
                all: true,
                ..Change::default()
            },
        );
    }
}
