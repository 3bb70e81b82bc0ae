//! A plan being worked on: the project, its engine and its edit history.
//!
//! This is the single door through which the window and the CLI change a
//! plan: [`Workspace::apply`] runs an [`Edit`], updates the engine
//! incrementally and records the inverse for [`Workspace::undo`].
//!
//! There is one [`Engine`] per territory type (an account belongs to at
//! most one territory per type). Every change goes to every engine, and
//! each one only looks at its own type's territories, so an edit touching
//! a territory recomputes only that type. [`Workspace::engine`] is the
//! engine of the type the map shows ([`Workspace::current_type`]), so
//! callers written for one layer keep working.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::colors;
use super::edit::Edit;
use super::engine::{Change, Engine};
use super::error::Error;
use super::error::Result;
use super::fs::{Fingerprint, WriteOptions};
use super::metrics::{Group, LiveMetrics, PlanMetrics, unlocated_group};
use super::model::{Project, Territory, TerritoryId, TerritoryTypeId};
use super::project_file;
use super::shape_edit::{self, VertexRef};

/// Collects the territories `edit` adds or reshapes (whose neighbours may
/// change, so their colour may have to).
fn shaped(edit: &Edit, out: &mut Vec<TerritoryId>) {
    match edit {
        Edit::AddTerritory { territory, .. } => out.push(territory.id),
        Edit::SetGeometry { id, .. } | Edit::SetTerritoryType { id, .. } => out.push(*id),
        Edit::Batch { edits, .. } => edits.iter().for_each(|e| shaped(e, out)),
        _ => {}
    }
}

/// One entry of the undo or redo stack.
#[derive(Clone, Debug)]
pub struct HistoryEntry {
    /// What the user did, e.g. "Move 3 account(s) to 'West'".
    pub label: String,
    /// The edit that reverses it.
    pub inverse: Edit,
    /// Which plan state the inverse leads back to (see `Workspace::state`).
    state: u64,
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

/// What changed between a past revision and now (see
/// [`Workspace::changes_since`]), so that views can update only that.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Territories added, removed or edited in any way (any type), sorted.
    pub territories: Vec<TerritoryId>,
    /// Accounts whose territory changed in some type, or whose pin,
    /// location or presence changed: sorted, each once.
    pub accounts: Vec<u32>,
    /// Some account's location changed.
    pub relocated: bool,
}

/// What one revision changed; `None` in the journal: anything may have.
#[derive(Clone, Debug, Default)]
struct JournalEntry {
    territories: Vec<TerritoryId>,
    accounts: Vec<u32>,
    relocated: bool,
    /// The territories whose metrics entries changed beyond their tallies
    /// (see [`metrics_local`]); `None`: figures beyond those may have.
    metrics: Option<Vec<TerritoryId>>,
}

/// The last few revisions' changes (bounded: older ones are forgotten and
/// views asking about them rebuild from scratch).
#[derive(Clone, Debug, Default)]
struct Journal {
    /// The revision the first entry starts from.
    base: u64,
    /// Entry `k` leads from revision `base + k` to `base + k + 1`.
    entries: VecDeque<Option<JournalEntry>>,
    /// Accounts listed in all entries.
    accounts: usize,
}

/// Most revisions the journal remembers.
const JOURNAL_REVISIONS: usize = 64;
/// Most accounts the journal lists (at least; a quarter of the plan's for
/// big plans): past that a full rebuild is as cheap anyway.
const JOURNAL_ACCOUNTS: usize = 65_536;

impl Journal {
    fn record(&mut self, from: u64, entry: Option<JournalEntry>, plan_accounts: usize) {
        if self.base + self.entries.len() as u64 != from {
            self.entries.clear();
            self.accounts = 0;
            self.base = from;
        }
        self.accounts += entry.as_ref().map_or(0, |e| e.accounts.len());
        self.entries.push_back(entry);
        let limit = JOURNAL_ACCOUNTS.max(plan_accounts / 4);
        while self.entries.len() > JOURNAL_REVISIONS
            || (self.accounts > limit && !self.entries.is_empty())
        {
            if let Some(Some(e)) = self.entries.pop_front() {
                self.accounts -= e.accounts.len();
            }
            self.base += 1;
        }
    }

    fn since(&self, revision: u64) -> Option<Changes> {
        let end = self.base + self.entries.len() as u64;
        if revision < self.base || revision > end {
            return None;
        }
        let mut out = Changes::default();
        for e in self.entries.range((revision - self.base) as usize..) {
            let e = e.as_ref()?;
            out.territories.extend(&e.territories);
            out.accounts.extend(&e.accounts);
            out.relocated |= e.relocated;
        }
        out.territories.sort_unstable();
        out.territories.dedup();
        out.accounts.sort_unstable();
        out.accounts.dedup();
        Some(out)
    }

    /// The territories whose metrics entries changed beyond their tallies
    /// since `revision`; `None` when more may have changed (or that is not
    /// known).
    fn metrics_since(&self, revision: u64) -> Option<Vec<TerritoryId>> {
        let end = self.base + self.entries.len() as u64;
        if revision < self.base || revision > end {
            return None;
        }
        let mut out = Vec::new();
        for e in self.entries.range((revision - self.base) as usize..) {
            out.extend(e.as_ref()?.metrics.as_deref()?);
        }
        Some(out)
    }
}

/// Collects the territories whose own metrics entries `edit` may change
/// besides their tallies (shape, name, reps, rule); false when it may
/// change more than that (settings, rep names, the hierarchy, the set of
/// territories, types or measures): metrics are then rebuilt whole.
fn metrics_local(edit: &Edit, out: &mut Vec<TerritoryId>) -> bool {
    match edit {
        Edit::SetGeometry { id, .. }
        | Edit::SetTerritoryProps { id, .. }
        | Edit::SetRule { id, .. } => {
            out.push(*id);
            true
        }
        // Quotas are filled in for every territory on each refresh.
        Edit::SetPins { .. }
        | Edit::SetLocations { .. }
        | Edit::SetRemoved { .. }
        | Edit::SetQuotas { .. } => true,
        Edit::Batch { edits, .. } => edits.iter().all(|e| metrics_local(e, out)),
        _ => false,
    }
}

/// True when `edit` leaves every account's location, presence and measures
/// as they were (so the unlocated accounts' figures stand).
fn keeps_unlocated(edit: &Edit) -> bool {
    match edit {
        Edit::SetGeometry { .. }
        | Edit::SetTerritoryProps { .. }
        | Edit::SetRule { .. }
        | Edit::SetPins { .. }
        | Edit::SetQuotas { .. } => true,
        Edit::Batch { edits, .. } => edits.iter().all(keeps_unlocated),
        _ => false,
    }
}

/// A project with its live assignment and history. See the module docs.
#[derive(Clone, Debug)]
pub struct Workspace {
    project: Project,
    /// One per type, in the order of [`Project::types`]; empty until first
    /// used after a change that rebuilds them all, when `lazy`.
    engines: OnceLock<Vec<Engine>>,
    /// Leave the engines' from-scratch rebuilds for their first use (see
    /// [`Workspace::set_lazy_engines`]).
    lazy: bool,
    current_type: TerritoryTypeId,
    undo: Vec<HistoryEntry>,
    redo: Vec<HistoryEntry>,
    /// Edits are recorded for undo (see [`Workspace::set_history`]).
    history: bool,
    revision: u64,
    /// Identifies the current plan state: every applied edit makes a new
    /// one, undo/redo return to earlier ones, so undoing back to the saved
    /// state makes the plan clean again.
    state: u64,
    saved_state: u64,
    path: Option<PathBuf>,
    /// What `path` held when this plan last read or wrote it (`None`:
    /// unknown), so a save does not overwrite someone else's changes.
    disk: Option<Fingerprint>,
    journal: Journal,
    /// The unlocated accounts' figures, kept until accounts change.
    unlocated: OnceLock<Group>,
    /// Each territory's position in the plan, by id, as last taken: checked
    /// on every use (see [`Workspace::recolor_edits`]).
    /// (Positions as `u32`, like territory ids: half the table.)
    positions: HashMap<TerritoryId, u32>,
}

/// One engine per territory type of `project`, in type order.
fn all_engines(project: &Project) -> Vec<Engine> {
    project
        .types
        .iter()
        .map(|t| Engine::for_type(project, t.id))
        .collect()
}

/// Each territory's position in `project`, by id.
fn positions_of(project: &Project) -> HashMap<TerritoryId, u32> {
    project
        .territories
        .iter()
        .enumerate()
        .map(|(k, t)| (t.id, k as u32))
        .collect()
}

/// What a save may replace anyway.
#[derive(Clone, Copy, Debug, Default)]
pub struct SaveOptions {
    /// Replace a read-only file.
    pub read_only: bool,
    /// Replace the plan's file even though it changed on disk since it was
    /// read (the user chose to overwrite).
    pub overwrite_changes: bool,
}

impl Workspace {
    /// Wraps a project and assigns every account.
    pub fn new(mut project: Project) -> Self {
        project.ensure_defaults();
        // Plans from before colours were kept apart, and imported ones.
        colors::make_distinct(&mut project);
        let engines = OnceLock::from(all_engines(&project));
        Self {
            current_type: project.primary_type(),
            project,
            engines,
            lazy: false,
            undo: Vec::new(),
            redo: Vec::new(),
            history: true,
            revision: 0,
            state: 0,
            saved_state: 0,
            path: None,
            disk: None,
            journal: Journal::default(),
            unlocated: OnceLock::new(),
            positions: HashMap::new(),
        }
    }

    /// A read-only copy for background work that needs the engines too
    /// (map image, report): the plan as a [`Project::snapshot`], the
    /// engines copied, no undo history. Milliseconds at a million accounts
    /// where a clone of the whole workspace took hundreds.
    pub fn snapshot(&self) -> Self {
        Self {
            project: self.project.snapshot(),
            engines: self.engines.clone(),
            lazy: self.lazy,
            current_type: self.current_type,
            undo: Vec::new(),
            redo: Vec::new(),
            history: self.history,
            revision: self.revision,
            state: self.state,
            saved_state: self.saved_state,
            path: self.path.clone(),
            disk: self.disk,
            // Nothing before the snapshot is known: views rebuild.
            journal: Journal {
                base: self.revision,
                ..Journal::default()
            },
            unlocated: self.unlocated.clone(),
            positions: self.positions.clone(),
        }
    }

    /// Opens a project file.
    pub fn open(path: &Path) -> Result<Self> {
        let (project, disk) = project_file::load_tracked(path)?;
        let mut ws = Self::new(project);
        ws.path = Some(path.to_owned());
        ws.disk = Some(disk);
        Ok(ws)
    }

    /// A plan restored from a recovery copy (autosave): `path` is the file
    /// it came from, if any, and the plan counts as unsaved until it is
    /// saved again.
    pub fn recovered(project: Project, path: Option<PathBuf>) -> Self {
        let mut ws = Self::new(project);
        ws.path = path;
        // No state ever equals this, so the plan is dirty until saved.
        ws.saved_state = u64::MAX;
        ws
    }

    /// Saves to `path` (atomically) and remembers it as the plan's file.
    /// Refuses a read-only file, and the plan's own file when it changed on
    /// disk since this plan read or wrote it ([`Error::Changed`]); see
    /// [`Workspace::save_as_with`].
    pub fn save_as(&mut self, path: &Path) -> Result<()> {
        self.save_as_with(path, SaveOptions::default())
    }

    /// [`Workspace::save_as`] with what it may replace anyway.
    pub fn save_as_with(&mut self, path: &Path, opts: SaveOptions) -> Result<()> {
        let written = project_file::save_with(&self.project, path, self.write_options(path, opts))?;
        self.path = Some(path.to_owned());
        self.saved_state = self.state;
        self.disk = written;
        Ok(())
    }

    /// How a save of this plan to `path` must write (for background saves
    /// of a snapshot): the check that the plan's file is still what this
    /// plan last read or wrote, unless `opts` says to overwrite.
    pub fn write_options(&self, path: &Path, opts: SaveOptions) -> WriteOptions {
        let own_file = self.path.as_deref() == Some(path);
        WriteOptions {
            force: opts.read_only,
            expect: self.disk.filter(|_| own_file && !opts.overwrite_changes),
        }
    }

    /// The plan (read-only: change it with [`Workspace::apply`]).
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The engine of the territory type the map shows.
    pub fn engine(&self) -> &Engine {
        self.engine_for(self.current_type)
            .or_else(|| self.engines_now().first())
            .expect("a workspace always has a territory type")
    }

    /// The engine of territory type `ty`.
    pub fn engine_for(&self, ty: TerritoryTypeId) -> Option<&Engine> {
        self.engines_now().iter().find(|e| e.type_id() == ty)
    }

    /// The territories of type `ty` whose bounding boxes hold point `c`
    /// (a superset, in plan order), found in the type's engine's tree of
    /// boxes, which follows every edit; `None` when it cannot vouch for all
    /// of them (see [`TerritoryIndex::ids_around`]).
    ///
    /// [`TerritoryIndex::ids_around`]: super::index::TerritoryIndex::ids_around
    pub fn territories_around(
        &self,
        ty: TerritoryTypeId,
        c: geo::Coord<f64>,
    ) -> Option<Vec<&Territory>> {
        let ids = self.engine_for(ty)?.index().ids_around(c.x, c.y)?;
        let ts = &self.project.territories;
        let mut found: Vec<(usize, &Territory)> = ids
            .into_iter()
            .filter_map(|id| {
                let remembered = self
                    .positions
                    .get(&id)
                    .and_then(|&k| Some((k as usize, ts.get(k as usize)?)));
                remembered
                    .filter(|(_, t)| t.id == id)
                    .or_else(|| ts.iter().enumerate().find(|(_, t)| t.id == id))
            })
            .collect();
        found.sort_unstable_by_key(|&(k, _)| k);
        Some(found.into_iter().map(|(_, t)| t).collect())
    }

    /// The edit of one vertex-drag step ([`shape_edit::move_vertex_near`]):
    /// only the territories around the vertex are looked at.
    pub fn move_vertex(&self, at: VertexRef, to: (f64, f64)) -> Result<Edit> {
        shape_edit::move_vertex_near(
            &self.project,
            &|ty, c| self.territories_around(ty, c),
            at,
            to,
        )
    }

    /// Every engine, one per type, in the order of [`Project::types`].
    pub fn engines(&self) -> &[Engine] {
        self.engines_now()
    }

    /// The engines, built now if a change left them for their first use.
    fn engines_now(&self) -> &Vec<Engine> {
        self.engines.get_or_init(|| all_engines(&self.project))
    }

    /// Leaves the engines' from-scratch rebuilds (after an edit that
    /// changes more than a few hundred territories, or everything) for
    /// their first use, on or off. A command's workspace: importing
    /// 100,000 territories built their index, tallies and shape figures
    /// (~40 MB) only to save the plan, which reads none of them. The
    /// engines then built are the ones the edit would have built.
    pub fn set_lazy_engines(&mut self, on: bool) {
        self.lazy = on;
    }

    /// The territory type the map shows (and [`Workspace::engine`] assigns).
    pub fn current_type(&self) -> TerritoryTypeId {
        if self.engine_for(self.current_type).is_some() {
            self.current_type
        } else {
            self.project.primary_type()
        }
    }

    /// Shows territory type `ty` (a view choice, not an edit).
    pub fn set_current_type(&mut self, ty: TerritoryTypeId) -> Result<()> {
        if self.engine_for(ty).is_none() {
            return Err(Error::invalid(format!(
                "no territory type with id {}",
                ty.0
            )));
        }
        self.current_type = ty;
        Ok(())
    }

    /// Current balance metrics of the type the map shows.
    pub fn metrics(&self) -> PlanMetrics {
        PlanMetrics::compute_with_unlocated(&self.project, self.engine(), self.unlocated())
    }

    /// Brings `live` up to date with the plan: the metrics of the type the
    /// map shows, rebuilding only the territories that changed since it was
    /// last brought up to date (see [`LiveMetrics`]); from scratch when the
    /// type changed, or the edits since changed more than territories and
    /// accounts (settings, hierarchy, territories added or removed…).
    /// Always equal to [`Workspace::metrics`].
    pub fn refresh_metrics(&self, live: &mut LiveMetrics) {
        let (ty, now) = (self.current_type(), self.revision);
        let touched = match live.seen {
            Some((t, rev)) if t == ty && rev == now => return,
            Some((t, rev)) if t == ty => self.journal.metrics_since(rev),
            _ => None,
        };
        let engine = self.engine();
        let updated =
            touched.is_some_and(|ids| live.update(&self.project, engine, self.unlocated(), &ids));
        if !updated {
            *live = LiveMetrics::build(&self.project, engine, self.unlocated());
        }
        live.seen = Some((ty, now));
    }

    /// Metrics to keep up to date with [`Workspace::refresh_metrics`].
    pub fn live_metrics(&self) -> LiveMetrics {
        let mut live = LiveMetrics::build(&self.project, self.engine(), self.unlocated());
        live.seen = Some((self.current_type(), self.revision));
        live
    }

    fn unlocated(&self) -> Group {
        self.unlocated
            .get_or_init(|| unlocated_group(&self.project))
            .clone()
    }

    /// Current balance metrics of type `ty` (empty metrics for an unknown
    /// type).
    pub fn metrics_for(&self, ty: TerritoryTypeId) -> PlanMetrics {
        match self.engine_for(ty) {
            Some(e) => PlanMetrics::compute_with_unlocated(&self.project, e, self.unlocated()),
            None => PlanMetrics::compute_with_unlocated(
                &self.project,
                &Engine::for_type(&self.project, ty),
                self.unlocated(),
            ),
        }
    }

    /// Why account `i` is where it is, in every territory type.
    pub fn explain(&self, i: usize) -> super::explain::Explanation {
        super::explain::explain(&self.project, self.engines_now(), i)
    }

    /// Figures of every rep over every type.
    pub fn rep_metrics(&self) -> Vec<super::reps::RepMetrics> {
        super::reps::rep_metrics(&self.project, self.engines_now())
    }

    /// The file this plan was opened from or last saved to.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Identifies the plan as it is now: equal ids mean the same plan
    /// (undo and redo return to earlier ids). See [`Workspace::mark_saved`].
    pub fn state_id(&self) -> u64 {
        self.state
    }

    /// Records that the plan as it was at `state` (a [`Workspace::state_id`])
    /// was saved to `path`, e.g. by a background save of a
    /// [`Project::snapshot`]: the plan is clean if it is still in that state.
    pub fn mark_saved(&mut self, path: &Path, state: u64) {
        self.path = Some(path.to_owned());
        self.saved_state = state;
        self.disk = None;
    }

    /// [`Workspace::mark_saved`] with the fingerprint of what was written
    /// (from [`project_file::save_with`]), so the next save checks that
    /// nobody changed the file since.
    pub fn mark_saved_as(&mut self, path: &Path, state: u64, written: Option<Fingerprint>) {
        self.mark_saved(path, state);
        self.disk = written;
    }

    /// True when there are changes since the last save (or load).
    pub fn is_dirty(&self) -> bool {
        self.state != self.saved_state
    }

    /// Increases with every applied, undone or redone edit.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What changed since `revision` (an earlier [`Workspace::revision`]
    /// of this workspace): the territories and accounts touched. `None`
    /// when that is not known (everything may have changed, or it was too
    /// long ago): rebuild from scratch then.
    pub fn changes_since(&self, revision: u64) -> Option<Changes> {
        self.journal.since(revision)
    }

    /// Applies an edit and records it for undo (unless the history is off,
    /// see [`Workspace::set_history`]). On error nothing changes.
    pub fn apply(&mut self, edit: Edit) -> Result<()> {
        if !self.history {
            self.apply_raw(edit, true, false)?;
            return Ok(());
        }
        let label = edit.label(&self.project);
        let before = self.state;
        let inverse = self.apply_raw(edit, true, true)?;
        self.undo.push(HistoryEntry {
            label,
            inverse,
            state: before,
        });
        self.redo.clear();
        Ok(())
    }

    /// Applies an edit and folds it into the last undo entry (taking the new
    /// edit's label, which describes the gesture so far, e.g. "Paint 7
    /// unit(s)"), so a gesture that changes the plan at every frame
    /// (a vertex drag, a brush stroke) is one undo step. The merged inverse
    /// stays a delta: for edits that set a whole value (a shape, a
    /// territory's properties) only the value from before the gesture is
    /// kept. With nothing to undo it is [`Workspace::apply`].
    pub fn amend(&mut self, edit: Edit) -> Result<()> {
        let Some(top) = self.undo.pop() else {
            return self.apply(edit);
        };
        let label = edit.label(&self.project);
        match self.apply_raw(edit, true, true) {
            Ok(inverse) => {
                // Undo runs the newest inverse first, then the older one.
                let inverse = coalesce(vec![inverse, top.inverse], &label);
                self.undo.push(HistoryEntry {
                    label,
                    inverse,
                    state: top.state,
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

    /// Applies `edit` (recolouring what it adds or reshapes when
    /// `recolor`) and returns its inverse when `keep`, else an empty batch.
    fn apply_raw(&mut self, edit: Edit, recolor: bool, keep: bool) -> Result<Edit> {
        // Engines left for later are built from the plan before the edit
        // (the recolouring below asks them about it).
        self.engines_now();
        let mut reshaped = Vec::new();
        if recolor {
            shaped(&edit, &mut reshaped);
        }
        let mut touched = Vec::new();
        let local = metrics_local(&edit, &mut touched);
        let keeps = keeps_unlocated(&edit);
        let (mut inverse, mut change) = if keep {
            let (inverse, change) = edit.apply(&mut self.project)?;
            (Some(inverse), change)
        } else {
            (None, edit.apply_unrecorded(&mut self.project)?)
        };
        // Added or reshaped territories that now share a colour with a
        // neighbour take another one, in the same undo step.
        let recolor = self.recolor_edits(&reshaped);
        if !recolor.is_empty() {
            // Recolouring only sets colours of territories just checked to
            // exist; were it refused, the edit itself still stands.
            match inverse.take() {
                Some(undone) => {
                    let label = undone.label(&self.project);
                    let batch = Edit::Batch {
                        label: label.clone(),
                        edits: recolor,
                    };
                    inverse = Some(match batch.apply(&mut self.project) {
                        Ok((undo, more)) => {
                            change.extend(more);
                            Edit::Batch {
                                label,
                                edits: vec![undo, undone],
                            }
                        }
                        Err(_) => undone,
                    });
                }
                None => {
                    let batch = Edit::Batch {
                        label: String::new(),
                        edits: recolor,
                    };
                    if let Ok(more) = batch.apply_unrecorded(&mut self.project) {
                        change.extend(more);
                    }
                }
            }
        }
        self.apply_change(&change);
        self.record(&change, local.then_some(touched), keeps);
        self.revision += 1;
        // Revisions never repeat, so they double as fresh state ids; undo
        // and redo overwrite this with the state they return to.
        self.state = self.revision;
        Ok(inverse.unwrap_or_else(|| Edit::Batch {
            label: String::new(),
            edits: Vec::new(),
        }))
    }

    /// The colour edits for the territories in `reshaped` (just added or
    /// reshaped; see [`colors::recolor_edits_near`]). Candidate neighbours
    /// come from the engines' box trees, which know every territory as it
    /// was before this edit (the reshaped ones are candidates anyway), and
    /// territories are found by their remembered positions: nothing here
    /// walks the whole plan.
    fn recolor_edits(&mut self, reshaped: &[TerritoryId]) -> Vec<Edit> {
        if reshaped.is_empty() {
            return Vec::new();
        }
        if self.positions.len() != self.project.territories.len() {
            self.positions = positions_of(&self.project);
        }
        let stale = std::cell::Cell::new(false);
        let edits = {
            let (ts, positions, engines) = (
                &self.project.territories,
                &self.positions,
                self.engines_now(),
            );
            let find = |id: TerritoryId| {
                let at = positions.get(&id).and_then(|&k| ts.get(k as usize));
                at.filter(|t| t.id == id).or_else(|| {
                    // Territories came and went since the positions were
                    // taken: scan now, take them afresh after.
                    stale.set(true);
                    ts.iter().find(|t| t.id == id)
                })
            };
            let in_box = |ty: TerritoryTypeId, b: [f64; 4]| -> Option<Vec<TerritoryId>> {
                let index = engines.iter().find(|e| e.type_id() == ty)?.index();
                Some(
                    index
                        .slots_in_box(b)
                        .filter_map(|s| index.id_of_slot(s))
                        .collect(),
                )
            };
            let near = colors::Near {
                find: &find,
                in_box: &in_box,
                fresh: reshaped,
            };
            colors::recolor_edits_near(&self.project, reshaped, &near)
        };
        if stale.get() {
            self.positions = positions_of(&self.project);
        }
        edits
    }

    /// Journals what `change` (just applied) did, and drops what it makes
    /// stale.
    /// `metrics`: the territories whose metrics entries it changed beyond
    /// their tallies, `None` if more; `keeps_unlocated`: the edit left the
    /// accounts' locations, presence and measures alone.
    fn record(
        &mut self,
        change: &Change,
        metrics: Option<Vec<TerritoryId>>,
        keeps_unlocated: bool,
    ) {
        let everything = change.all || change.types || change.accounts_added;
        let mut entry = (!everything).then(|| JournalEntry {
            territories: change.territories.clone(),
            accounts: change.accounts.clone(),
            relocated: !change.relocated.is_empty(),
            metrics,
        });
        match self.engines.get() {
            Some(engines) => {
                for e in engines {
                    match (e.last_moves(), &mut entry) {
                        (Some(moved), Some(entry)) => entry.accounts.extend_from_slice(moved),
                        _ => entry = None,
                    }
                }
            }
            // Left to be rebuilt: every account may have moved.
            None => entry = None,
        }
        if let Some(e) = &mut entry {
            e.accounts.sort_unstable();
            e.accounts.dedup();
        }
        // Unlocated figures change only with accounts added, removed or
        // moved (all of which list the accounts in the change).
        if everything
            || (!keeps_unlocated && (!change.accounts.is_empty() || !change.relocated.is_empty()))
        {
            self.unlocated = OnceLock::new();
        }
        self.journal
            .record(self.revision, entry, self.project.accounts.len());
    }

    fn apply_change(&mut self, change: &Change) {
        // Every engine would be rebuilt from scratch: left for first use.
        let rebuilt = change.all
            || (!change.types && change.territories.len() > super::engine::BULK_TERRITORIES);
        if self.lazy && rebuilt {
            self.engines = OnceLock::new();
            return;
        }
        self.engines_now();
        let engines = self.engines.get_mut().expect("just built");
        if change.types || change.all {
            // Keep exactly one engine per type, in type order.
            let mut old = std::mem::take(engines);
            for ty in &self.project.types {
                let e = match old.iter().position(|e| e.type_id() == ty.id) {
                    Some(k) => {
                        let mut e = old.swap_remove(k);
                        e.apply(&self.project, change);
                        e
                    }
                    None => Engine::for_type(&self.project, ty.id),
                };
                engines.push(e);
            }
        } else {
            for e in engines {
                e.apply(&self.project, change);
            }
        }
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
        let from = self.state;
        // Undo and redo restore colours as they were: no recolouring.
        match self.apply_raw(entry.inverse.clone(), false, true) {
            Ok(inverse) => {
                self.state = entry.state;
                let back = HistoryEntry {
                    label: entry.label,
                    inverse,
                    state: from,
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

    /// Drops the undo and redo history (a command-line verb, which never
    /// undoes, frees it before saving: importing 100,000 territories keeps
    /// 100,000 inverse edits).
    pub fn forget_history(&mut self) {
        self.undo = Vec::new();
        self.redo = Vec::new();
    }

    /// Turns the undo history on or off (off drops it). A command-line
    /// verb never undoes: its edits go through [`Workspace::apply`] all
    /// the same, but no inverse is made or kept (an import of 100,000
    /// territories peaked with 35 MB of them).
    pub fn set_history(&mut self, on: bool) {
        self.history = on;
        if !on {
            self.forget_history();
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
        let all = Change {
            all: true,
            ..Change::default()
        };
        self.apply_change(&all);
        // Nothing to tell views incrementally: forget the journal.
        self.journal = Journal::default();
        self.journal.base = self.revision;
        self.unlocated = OnceLock::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::import::{ImportedTerritory, merge_territories};
    use geo::{MultiPolygon, polygon};

    /// `n` small squares on a grid over the sample's territories, as an
    /// import reads them.
    fn squares(n: usize) -> Vec<ImportedTerritory> {
        (0..n)
            .map(|i| {
                let (x, y) = ((i % 40) as f64 * 0.2 - 100.0, (i / 40) as f64 * 0.2 + 35.0);
                ImportedTerritory {
                    name: format!("Imported {i}"),
                    geometry: MultiPolygon(vec![polygon![
                        (x: x, y: y), (x: x + 0.15, y: y), (x: x + 0.15, y: y + 0.15), (x: x, y: y + 0.15)
                    ]]),
                    properties: Default::default(),
                }
            })
            .collect()
    }

    fn imported_into(history: bool, dir: &Path) -> (Workspace, Vec<u8>, Option<Vec<u8>>) {
        let sample = crate::core::assets::sample_plan();
        let mut ws = Workspace::open(&sample).expect("the sample plan");
        // As a command opens it (no history, engines built when used),
        // or as the window does.
        ws.set_history(history);
        ws.set_lazy_engines(!history);
        let merge = merge_territories(ws.project(), squares(400), "Import".into());
        ws.apply(merge.edit.expect("territories to add"))
            .expect("the import applies");
        let path = dir.join(format!("plan-{history}.turf"));
        ws.save_as(&path).expect("saved");
        // The command's engines wait for their first use; saving is none.
        assert_eq!(ws.engines.get().is_some(), history);
        let cache = project_file::cache_path(&path).and_then(|c| std::fs::read(c).ok());
        (ws, std::fs::read(&path).expect("the plan file"), cache)
    }

    /// A command's workspace keeps no history and builds its engines when
    /// first used, but its import makes the same plan, engines and files
    /// as the window's.
    #[test]
    fn without_history_an_import_gives_the_same_plan_and_files() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (with, file_with, cache_with) = imported_into(true, dir.path());
        let (without, file_without, cache_without) = imported_into(false, dir.path());
        let (p, q) = (with.project(), without.project());
        assert_eq!(p.territories.len(), q.territories.len());
        for (a, b) in p.territories.iter().zip(&q.territories) {
            assert_eq!(a, b);
        }
        // The whole plan: its files (missing measures are NaN, so the
        // plans themselves never compare equal).
        assert_eq!(file_with, file_without, "plan files differ");
        assert_eq!(cache_with, cache_without, "plan caches differ");
        let a = &with.project().accounts;
        for i in 0..a.len() {
            let (e, f) = (with.engine(), without.engine());
            assert_eq!(e.territory_of(i), f.territory_of(i), "account {i}");
            assert_eq!(e.reason(i), f.reason(i), "account {i}");
        }
        assert_eq!(with.undo_labels().count(), 1);
        assert_eq!(without.undo_labels().count(), 0);
        // Undo still takes the window's import back whole.
        let mut with = with;
        assert!(with.undo().expect("undo"));
        assert_eq!(
            with.project().territories.len() + 400,
            without.project().territories.len()
        );
        let mut without = without;
        assert!(!without.undo().expect("nothing to undo"));
    }

    /// An edit made while a command's engines wait for their first use
    /// builds them from the plan before it, so it ends as the window's.
    #[test]
    fn an_edit_while_the_engines_wait_ends_as_the_window_does() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (mut eager, _, _) = imported_into(true, dir.path());
        let (mut lazy, _, _) = imported_into(false, dir.path());
        assert!(lazy.engines.get().is_none());
        for ws in [&mut eager, &mut lazy] {
            let id = ws
                .project()
                .territory_by_name("Imported 7")
                .expect("imported")
                .id;
            let geometry = MultiPolygon(vec![polygon![
                (x: -99.0, y: 35.0), (x: -98.0, y: 35.0), (x: -98.0, y: 36.0), (x: -99.0, y: 36.0)
            ]]);
            ws.apply(Edit::SetGeometry { id, geometry })
                .expect("the reshape applies");
        }
        assert!(lazy.engines.get().is_some());
        let (e, f) = (eager.engine(), lazy.engine());
        for i in 0..eager.project().accounts.len() {
            assert_eq!(e.territory_of(i), f.territory_of(i), "account {i}");
        }
        let files = |ws: &mut Workspace, name: &str| {
            let path = dir.path().join(name);
            ws.save_as(&path).expect("saved");
            std::fs::read(&path).expect("the plan file")
        };
        assert_eq!(
            files(&mut eager, "eager.turf"),
            files(&mut lazy, "lazy.turf")
        );
    }
}
