//! The assignment engine: which territory owns each account, and why.
//!
//! An engine assigns the territories of one [`TerritoryTypeId`] (the
//! workspace keeps one per type, so an account has at most one territory
//! per type). Precedence, highest first: a manual override (the account is
//! pinned to a territory of this type) > an attribute rule
//! ([`crate::core::rules`]; between several matching rules the higher
//! territory priority, then the lower id) > geometric containment
//! ([`TerritoryIndex`]) > the nearest territory within the plan's
//! `nearest_km` ([`nearest`], off by default) > unassigned.
//!
//! A rule change (a [`Change::rules`] entry, or a territory with a rule
//! that came, went or changed priority) re-evaluates only the accounts the
//! old rule won plus the accounts the new rule matches.
//!
//! The engine keeps, besides the answer per account, a running [`Tally`] per
//! territory (count and exact fixed-point sums of every measure), so metrics
//! never walk the accounts. [`Engine::apply`] takes a [`Change`] and touches
//! only the accounts it can affect: for a territory whose shape changed, the
//! accounts under its old and new bounding boxes, found through per-cell
//! buckets over the index's grid; every moved account updates the tallies by
//! difference. A property test checks that any sequence of incremental
//! updates gives exactly what a full recompute gives.

use rayon::prelude::*;

pub mod nearest;
pub mod tally;
pub use tally::{NONE, Tally};

use super::geometry::{ShapeStats, shape_stats};
use super::index::{GridSpec, TerritoryIndex};
use super::model::{Project, Territory, TerritoryId, TerritoryTypeId};
use super::rules::CompiledRule;

/// Why an account has the territory it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Reason {
    /// Pinned by hand to this territory.
    Override,
    /// Matched an attribute rule of the territory.
    Rule,
    /// Inside the territory's boundary.
    Geometry,
    /// Outside every boundary, within the plan's distance of this one, the
    /// nearest.
    Nearest,
    /// Located, but in no territory.
    #[default]
    Unassigned,
    /// Has no location and no override: cannot be placed.
    Unlocated,
    /// Removed from the plan.
    Removed,
}

impl Reason {
    /// A short phrase for tooltips and `explain`.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Override => "pinned by hand (manual override)",
            Reason::Rule => "matched an assignment rule",
            Reason::Geometry => "inside the territory's boundary",
            Reason::Nearest => {
                "outside every boundary; the nearest territory within the plan's distance"
            }
            Reason::Unassigned => "outside every territory",
            Reason::Unlocated => "no location (no coordinates and no known postal code)",
            Reason::Removed => "removed from the plan",
        }
    }
}

/// What an edit changed, so the engine can recompute only that.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    /// Territories added, removed, reshaped or re-prioritised.
    pub territories: Vec<TerritoryId>,
    /// Accounts whose pin, location or presence changed (indices).
    pub accounts: Vec<u32>,
    /// Of those, the ones whose location changed (they must be re-filed in
    /// the spatial buckets; a pin change need not).
    pub relocated: Vec<u32>,
    /// Territories whose assignment rule changed (or that came or went
    /// with a rule).
    pub rules: Vec<TerritoryId>,
    /// The set of territory types changed (the workspace keeps one engine
    /// per type).
    pub types: bool,
    /// Accounts were appended to the plan.
    pub accounts_added: bool,
    /// Everything may have changed (e.g. a new project was loaded).
    pub all: bool,
}

impl Change {
    /// Merges another change into this one.
    pub fn extend(&mut self, other: Change) {
        self.territories.extend(other.territories);
        self.accounts.extend(other.accounts);
        self.relocated.extend(other.relocated);
        self.rules.extend(other.rules);
        self.types |= other.types;
        self.accounts_added |= other.accounts_added;
        self.all |= other.all;
    }
}

/// Accounts filed by cell, for "which accounts are in this box". The
/// cells are blocks of `f` × `f` cells of the index's grid (as it was at the
/// build), so a plan with few accounts and many territories does not keep a
/// list head for each of the index's millions of cells.
#[derive(Clone, Debug, Default)]
struct Buckets {
    /// The index's grid at the build.
    fine: GridSpec,
    /// Fine cells per bucket cell, across and down.
    f: usize,
    /// `cell_start[c]..cell_start[c + 1]` indexes `order`.
    cell_start: Vec<u32>,
    order: Vec<u32>,
    /// The cell each account is filed under, `NONE` if it is not in `order`
    /// (unlocated, outside the grid, or moved since the last build).
    filed: Vec<u32>,
    /// Located accounts not in `order`: always checked against the box.
    overflow: Vec<u32>,
    /// Membership flags of `overflow`, per account.
    in_overflow: Vec<bool>,
    /// Located accounts outside the grid (no territory contains them, but
    /// one may be the nearest).
    outside: Vec<u32>,
    /// Bucket columns.
    nx: usize,
}

impl Buckets {
    fn build(project: &Project, index: &TerritoryIndex) -> Self {
        let g = *index.grid();
        let a = &project.accounts;
        // About two bucket cells per account at most: finer costs memory
        // and buys nothing.
        let fine_cells = g.nx * g.ny;
        let f = ((fine_cells as f64 / (2 * a.len().max(1)) as f64).sqrt() as usize).max(1);
        let (nx, ny) = (g.nx.div_ceil(f), g.ny.div_ceil(f));
        let filed: Vec<u32> = (0..a.len())
            .into_par_iter()
            .map(|i| {
                // Removed accounts stay filed: a restore must find them.
                if !a.is_located(i) {
                    return NONE;
                }
                g.cell_of(a.lon[i], a.lat[i]).map_or(NONE, |c| {
                    let (row, col) = (c / g.nx, c % g.nx);
                    ((row / f) * nx + col / f) as u32
                })
            })
            .collect();
        let ncells = nx * ny;
        let mut cell_start = vec![0u32; ncells + 1];
        for &c in &filed {
            if c != NONE {
                cell_start[c as usize + 1] += 1;
            }
        }
        for c in 0..ncells {
            cell_start[c + 1] += cell_start[c];
        }
        let mut fill = cell_start.clone();
        let mut order = vec![0u32; cell_start[ncells] as usize];
        for (i, &c) in filed.iter().enumerate() {
            if c != NONE {
                order[fill[c as usize] as usize] = i as u32;
                fill[c as usize] += 1;
            }
        }
        let outside = filed
            .iter()
            .enumerate()
            .filter(|&(i, &c)| c == NONE && a.is_located(i))
            .map(|(i, _)| i as u32)
            .collect();
        Self {
            cell_start,
            order,
            outside,
            in_overflow: vec![false; filed.len()],
            filed,
            overflow: Vec::new(),
            fine: g,
            f,
            nx,
        }
    }

    /// Accounts that may lie in lon/lat box `b` (a superset); those outside
    /// the grid too when `outside` (they matter for the nearest territory).
    fn in_box(&self, b: [f64; 4], project: &Project, outside: bool, out: &mut Vec<u32>) {
        let r = self.fine.cells_of_box(b);
        if r.c0 >= r.c1 || r.r0 >= r.r1 {
            return self.extend_unfiled(b, project, outside, out);
        }
        let f = self.f;
        let (c0, c1) = (r.c0 / f, (r.c1 - 1) / f + 1);
        for row in r.r0 / f..(r.r1 - 1) / f + 1 {
            let (s, e) = (row * self.nx + c0, row * self.nx + c1);
            for &i in &self.order[self.cell_start[s] as usize..self.cell_start[e] as usize] {
                // Skip stale entries of accounts that moved since filing.
                if self.filed[i as usize] != NONE {
                    out.push(i);
                }
            }
        }
        self.extend_unfiled(b, project, outside, out);
    }

    /// The accounts of `in_box` kept outside the cells: moved since the
    /// build, and (when `outside`) outside the grid.
    fn extend_unfiled(&self, b: [f64; 4], project: &Project, outside: bool, out: &mut Vec<u32>) {
        let a = &project.accounts;
        let inside = |i: u32| {
            let i = i as usize;
            a.lon[i] >= b[0] && a.lon[i] <= b[2] && a.lat[i] >= b[1] && a.lat[i] <= b[3]
        };
        out.extend(self.overflow.iter().copied().filter(|&i| inside(i)));
        if outside {
            // Stale entries (moved since) are in `overflow` too: harmless.
            out.extend(self.outside.iter().copied().filter(|&i| inside(i)));
        }
    }

    /// Takes account `i` out of the CSR (its location changed or it is new).
    fn unfile(&mut self, i: usize) {
        if i >= self.filed.len() {
            self.filed.resize(i + 1, NONE);
            self.in_overflow.resize(i + 1, false);
        }
        self.filed[i] = NONE;
        if !self.in_overflow[i] {
            self.in_overflow[i] = true;
            self.overflow.push(i as u32);
        }
    }
}

/// A valid rule of a territory of the engine's type.
#[derive(Clone, Debug)]
struct ActiveRule {
    id: TerritoryId,
    slot: u32,
    rule: CompiledRule,
}

/// Assignment state of one territory type of a plan. See the module docs.
#[derive(Clone, Debug)]
pub struct Engine {
    type_id: TerritoryTypeId,
    /// Valid rules in precedence order (priority high to low, then id).
    rules: Vec<ActiveRule>,
    index: TerritoryIndex,
    slot: Vec<u32>,
    reason: Vec<Reason>,
    tally: Tally,
    stats: Vec<ShapeStats>,
    buckets: Buckets,
    /// Accounts whose slot changed in the last [`Engine::apply`], unless
    /// `moved_all` (see [`Engine::last_moves`]).
    moved: Vec<u32>,
    /// The last apply (or the build) reassigned every account.
    moved_all: bool,
    /// The plan's nearest-territory distance when built (0 = off).
    nearest_km: f64,
}

/// More changed territories than this and [`Engine::apply`] rebuilds the
/// engine rather than updating it territory by territory.
pub(crate) const BULK_TERRITORIES: usize = 256;

impl Engine {
    /// Builds the index and assigns every account, for the plan's primary
    /// (first) territory type.
    pub fn new(project: &Project) -> Self {
        Self::for_type(project, project.primary_type())
    }

    /// Builds the index and assigns every account, for territory type `ty`.
    pub fn for_type(project: &Project, ty: TerritoryTypeId) -> Self {
        // The grid is sized for the plan's accounts, not only its
        // territories: it only ever places accounts.
        let index = TerritoryIndex::build_for(
            project
                .territories_of_type(ty)
                .map(|t| (t.id, t.priority, &t.geometry)),
            project.accounts.len(),
        );
        let mut e = Self {
            type_id: ty,
            rules: Vec::new(),
            index,
            slot: Vec::new(),
            reason: Vec::new(),
            tally: Tally::new(0, project.accounts.measures.len()),
            stats: Vec::new(),
            buckets: Buckets::default(),
            moved: Vec::new(),
            moved_all: true,
            nearest_km: project.settings.nearest_km,
        };
        e.refresh_all_stats(project);
        e.rebuild_rules(project);
        e.full_assign(project);
        e
    }

    /// An engine that only places points ([`Engine::place`]): the index of
    /// the primary type's territories, no accounts, rules, shape figures
    /// or tallies. For an assignment streamed past it (the one-shot
    /// `assign`), whose territories have no rules.
    pub fn placer(project: &Project) -> Self {
        let ty = project.primary_type();
        let index = TerritoryIndex::build(
            project
                .territories_of_type(ty)
                .map(|t| (t.id, t.priority, &t.geometry)),
        );
        Self {
            type_id: ty,
            rules: Vec::new(),
            index,
            slot: Vec::new(),
            reason: Vec::new(),
            tally: Tally::new(0, 0),
            stats: Vec::new(),
            buckets: Buckets::default(),
            moved: Vec::new(),
            moved_all: true,
            nearest_km: project.settings.nearest_km,
        }
    }

    /// The territory type this engine assigns.
    pub fn type_id(&self) -> TerritoryTypeId {
        self.type_id
    }

    /// The pin of account `i` that this engine honours: its pinned
    /// territory of this engine's type, if any.
    pub fn pin_of(&self, project: &Project, i: usize) -> Option<TerritoryId> {
        project
            .accounts
            .pins
            .find(i, |t| self.index.slot_of(t).is_some())
    }

    /// Territory `id` if it exists and is of this engine's type.
    fn mine<'a>(&self, project: &'a Project, id: TerritoryId) -> Option<&'a Territory> {
        project.territory(id).filter(|t| t.type_id == self.type_id)
    }

    /// Compiles the valid rules of this type, in precedence order. Invalid
    /// rules (only possible from a hand-edited file) match nothing.
    fn rebuild_rules(&mut self, project: &Project) {
        let mut rules: Vec<(i32, ActiveRule)> = project
            .territories_of_type(self.type_id)
            .filter_map(|t| {
                let rule = t.rule.as_ref()?.compile(&project.accounts).ok()?;
                let slot = self.index.slot_of(t.id)?;
                Some((
                    t.priority,
                    ActiveRule {
                        id: t.id,
                        slot,
                        rule,
                    },
                ))
            })
            .collect();
        rules.sort_by(|(pa, a), (pb, b)| pb.cmp(pa).then(a.id.cmp(&b.id)));
        self.rules = rules.into_iter().map(|(_, r)| r).collect();
    }

    /// Territories with a valid rule, in precedence order (first wins).
    pub fn rule_order(&self) -> impl Iterator<Item = (TerritoryId, &CompiledRule)> {
        self.rules.iter().map(|r| (r.id, &r.rule))
    }

    /// True when the rule `rule` of territory `id` takes account `i` (its
    /// condition holds and, if limited to the boundary, the account lies
    /// inside).
    pub fn rule_takes(
        &self,
        project: &Project,
        id: TerritoryId,
        rule: &CompiledRule,
        i: usize,
    ) -> bool {
        let a = &project.accounts;
        rule.matches_attributes(a, i)
            && (!rule.within_geometry
                || (a.is_located(i)
                    && self
                        .index
                        .shape(id)
                        .is_some_and(|s| s.contains(a.lon[i], a.lat[i]))))
    }

    fn refresh_all_stats(&mut self, project: &Project) {
        let ty = self.type_id;
        let stats: Vec<(u32, ShapeStats)> = project
            .territories
            .par_iter()
            .filter(|t| t.type_id == ty)
            .filter_map(|t| Some((self.index.slot_of(t.id)?, shape_stats(&t.geometry))))
            .collect();
        self.stats = vec![ShapeStats::default(); self.index.slot_capacity()];
        for (s, st) in stats {
            self.stats[s as usize] = st;
        }
    }

    /// Reassigns every account from scratch and rebuilds the tallies and
    /// buckets (the index is kept).
    pub fn full_assign(&mut self, project: &Project) {
        let n = project.accounts.len();
        let res: Vec<(u32, Reason)> = (0..n)
            .into_par_iter()
            .with_min_len(4096)
            .map(|i| self.evaluate(project, i))
            .collect();
        (self.slot, self.reason) = res.into_iter().unzip();
        self.tally = Tally::from_assignment(project, &self.slot, self.index.slot_capacity());
        self.buckets = Buckets::build(project, &self.index);
    }

    /// The territory slot and reason for account `i`, by the precedence rules.
    fn evaluate(&self, project: &Project, i: usize) -> (u32, Reason) {
        let a = &project.accounts;
        if a.removed[i] {
            return (NONE, Reason::Removed);
        }
        // The account's pin in this engine's type: the first pinned
        // territory that is in this index.
        let mut slot = None;
        if a.pins
            .find(i, |t| {
                slot = self.index.slot_of(t);
                slot.is_some()
            })
            .is_some()
            && let Some(s) = slot
        {
            return (s, Reason::Override);
        }
        for r in &self.rules {
            if self.rule_takes(project, r.id, &r.rule, i) {
                return (r.slot, Reason::Rule);
            }
        }
        if !a.is_located(i) {
            return (NONE, Reason::Unlocated);
        }
        self.place(a.lon[i], a.lat[i])
    }

    /// The territory slot and reason for a located account at `lon`/`lat`
    /// that no pin or rule claims: containment, then the nearest territory
    /// within the plan's distance. Slot [`NONE`] when unassigned.
    pub fn place(&self, lon: f64, lat: f64) -> (u32, Reason) {
        if let Some(s) = self.index.locate_slot(lon, lat) {
            return (s, Reason::Geometry);
        }
        match nearest::nearest_slot(&self.index, lon, lat, self.nearest_km) {
            Some((s, _)) => (s, Reason::Nearest),
            None => (NONE, Reason::Unassigned),
        }
    }

    /// For an account assigned to the nearest territory: that territory
    /// and its distance in kilometres.
    pub fn nearest_of(&self, project: &Project, i: usize) -> Option<(TerritoryId, f64)> {
        if self.reason(i) != Reason::Nearest {
            return None;
        }
        let a = &project.accounts;
        let (s, km) = nearest::nearest_slot(&self.index, a.lon[i], a.lat[i], self.nearest_km)?;
        Some((self.index.id_of_slot(s)?, km))
    }

    /// Applies what an edit changed, recomputing only what it can affect.
    pub fn apply(&mut self, project: &Project, change: &Change) {
        self.moved.clear();
        self.moved_all = false;
        // Many territories at once (an import of thousands): one rebuild
        // is linear, where updating the index shape by shape is not.
        // So do many more accounts than the index's grid was sized for.
        if change.all
            || change.territories.len() > BULK_TERRITORIES
            || project.settings.nearest_km != self.nearest_km
            || (change.accounts_added && self.index.wants_rebuild_for(project.accounts.len()))
        {
            *self = Self::for_type(project, self.type_id);
            return;
        }
        let n = project.accounts.len();
        if change.accounts_added || self.slot.len() < n {
            let first_new = self.slot.len();
            self.slot.resize(n, NONE);
            // `Removed` = not yet in any tally, so reassign only adds.
            self.reason.resize(n, Reason::Removed);
            for i in first_new..n {
                self.buckets.unfile(i);
                self.reassign(project, i);
            }
        }
        // Territories whose rule (or its standing) may have changed: the
        // accounts their old rule won are candidates, found before the
        // index hands out slots again.
        let rule_touched: Vec<TerritoryId> = change
            .rules
            .iter()
            .chain(&change.territories)
            .copied()
            .filter(|&t| {
                self.rules.iter().any(|r| r.id == t)
                    || self.mine(project, t).is_some_and(|t| t.rule.is_some())
            })
            .collect();
        let mut cand: Vec<u32> = Vec::new();
        if !rule_touched.is_empty() {
            let old_slots: Vec<u32> = rule_touched
                .iter()
                .filter_map(|&t| self.index.slot_of(t))
                .collect();
            let (slot, reason) = (&self.slot, &self.reason);
            cand.par_extend(
                (0..slot.len())
                    .into_par_iter()
                    .filter(|&i| reason[i] == Reason::Rule && old_slots.contains(&slot[i]))
                    .map(|i| i as u32),
            );
        }
        let mut grid_rebuilt = false;
        let mut dirty_boxes = Vec::new();
        // Territories that appeared or disappeared: pins to them change meaning.
        let mut pin_targets = Vec::new();
        for &t in &change.territories {
            let new = self.mine(project, t).map(|t| (t.priority, &t.geometry));
            if self.index.slot_of(t).is_some() != new.is_some() {
                pin_targets.push(t);
            }
            let before = *self.index.grid();
            let bbox_of =
                |index: &TerritoryIndex| index.shape(t).filter(|s| !s.is_empty()).map(|s| s.bbox);
            let old_bbox = bbox_of(&self.index);
            if let Some(b) = self.index.update(t, new) {
                dirty_boxes.push(b);
            }
            // Distances change wherever the boundary moved, horizontal edges
            // included (the index's change box leaves those out): the whole
            // old and new boxes count for the nearest territory.
            if self.nearest_km > 0.0 {
                dirty_boxes.extend(old_bbox.into_iter().chain(bbox_of(&self.index)));
            }
            if *self.index.grid() != before {
                grid_rebuilt = true;
            }
            self.tally.ensure_slots(self.index.slot_capacity());
            if self.stats.len() < self.index.slot_capacity() {
                self.stats
                    .resize(self.index.slot_capacity(), ShapeStats::default());
            }
            if let Some(s) = self.index.slot_of(t) {
                self.stats[s as usize] =
                    shape_stats(&self.mine(project, t).expect("live").geometry);
            }
        }
        // Only territories with a rule (now or before) can change the rule
        // list: compiling every rule of the plan on each reshape grew with
        // the number of territories.
        if !rule_touched.is_empty() || !change.rules.is_empty() {
            self.rebuild_rules(project);
        }
        if grid_rebuilt {
            self.full_assign(project);
            self.moved_all = true;
            return;
        }
        for &i in &change.relocated {
            if (i as usize) < n {
                // A changed location files the account under overflow.
                self.buckets.unfile(i as usize);
            }
        }
        for &i in &change.accounts {
            if (i as usize) < n {
                self.reassign(project, i as usize);
            }
        }
        // Accounts a new (or re-prioritised) rule matches.
        for r in self.rules.iter().filter(|r| rule_touched.contains(&r.id)) {
            let a = &project.accounts;
            cand.par_extend(
                (0..n)
                    .into_par_iter()
                    .filter(|&i| r.rule.matches_attributes(a, i))
                    .map(|i| i as u32),
            );
        }
        // Accounts inside the boxes where the index changed, and, when the
        // nearest territory counts, those within its distance of them.
        let near = self.nearest_km > 0.0;
        for b in &dirty_boxes {
            let b = if near {
                nearest::grow_box_km(*b, self.nearest_km)
            } else {
                *b
            };
            self.buckets.in_box(b, project, near, &mut cand);
        }
        // Accounts pinned to a territory that came or went may sit anywhere.
        if !pin_targets.is_empty() {
            for (i, p) in project.accounts.pins.iter() {
                if pin_targets.contains(&p) {
                    cand.push(i as u32);
                }
            }
        }
        cand.sort_unstable();
        cand.dedup();
        for i in cand {
            self.reassign(project, i as usize);
        }
        if self.buckets.overflow.len() > 4096 {
            self.buckets = Buckets::build(project, &self.index);
        }
    }

    fn reassign(&mut self, project: &Project, i: usize) {
        let (s, r) = self.evaluate(project, i);
        let old = self.slot[i];
        let old_counted = self.reason[i] != Reason::Removed;
        let new_counted = r != Reason::Removed;
        self.reason[i] = r;
        self.slot[i] = s;
        if old != s {
            self.moved.push(i as u32);
        }
        // Most candidates stay where they were: their tally is unchanged.
        if old == s && old_counted == new_counted {
            return;
        }
        if old_counted {
            self.tally.remove(project, i, old);
        }
        if new_counted {
            self.tally.add(project, i, s);
        }
    }

    /// The accounts whose slot the last [`Engine::apply`] changed, or
    /// `None` when it reassigned every account (or the engine was just
    /// built). Lets a view redraw only what moved.
    pub fn last_moves(&self) -> Option<&[u32]> {
        (!self.moved_all).then_some(&self.moved[..])
    }

    /// Territory of account `i`.
    pub fn territory_of(&self, i: usize) -> Option<TerritoryId> {
        match self.slot.get(i) {
            Some(&s) if s != NONE => self.index.id_of_slot(s),
            _ => None,
        }
    }

    /// Why account `i` is where it is.
    pub fn reason(&self, i: usize) -> Reason {
        self.reason.get(i).copied().unwrap_or_default()
    }

    /// Territory of every account, in account order.
    pub fn assignment(&self) -> Vec<Option<TerritoryId>> {
        (0..self.slot.len()).map(|i| self.territory_of(i)).collect()
    }

    /// Per account slot (`NONE` = unassigned); slots map to territories
    /// through [`Engine::index`]. Used by renderers for speed.
    pub fn slots(&self) -> &[u32] {
        &self.slot
    }

    /// The spatial index.
    pub fn index(&self) -> &TerritoryIndex {
        &self.index
    }

    /// The running tallies.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Area and compactness of territory `id`.
    pub fn shape_stats(&self, id: TerritoryId) -> ShapeStats {
        self.index
            .slot_of(id)
            .and_then(|s| self.stats.get(s as usize).copied())
            .unwrap_or_default()
    }

    /// True when `other` assigns every account the same way, with the same
    /// reasons and tallies (for tests and self-checks).
    pub fn same_result(&self, other: &Engine) -> bool {
        self.assignment() == other.assignment()
            && self.reason == other.reason
            && self.tally.same_as(&self.index, &other.tally, &other.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::edit::Edit;
    use crate::core::model::{AccountRow, Accounts, LocationSource};
    use crate::core::workspace::Workspace;
    use geo::{MultiPolygon, polygon};

    fn sq(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)
        ]])
    }

    fn plan() -> Project {
        let mut p = Project::new("t");
        p.accounts = Accounts::with_schema(&["revenue".into()], &[]);
        let pts = [
            Some((0.5, 0.5)),
            Some((1.5, 0.5)),
            Some((5.0, 5.0)),
            None,
            Some((1.0, 0.5)),
        ];
        for (i, loc) in pts.iter().enumerate() {
            p.accounts.push(&AccountRow {
                id: format!("A{i}"),
                name: String::new(),
                location: *loc,
                source: LocationSource::Coordinates,
                measures: vec![10.0 * (i + 1) as f64],
                attributes: vec![],
                pins: Vec::new(),
            });
        }
        p.add_territory("West", sq(0.0, 0.0, 1.0));
        p.add_territory("East", sq(1.0, 0.0, 1.0));
        p
    }

    #[test]
    fn precedence_and_reasons() {
        let mut p = plan();
        let east = p.territory_by_name("East").unwrap().id;
        let west = p.territory_by_name("West").unwrap().id;
        p.accounts.pins.insert(3, west); // unlocated but pinned
        let e = Engine::new(&p);
        assert_eq!(
            (e.territory_of(0), e.reason(0)),
            (Some(west), Reason::Geometry)
        );
        assert_eq!(
            (e.territory_of(1), e.reason(1)),
            (Some(east), Reason::Geometry)
        );
        assert_eq!((e.territory_of(2), e.reason(2)), (None, Reason::Unassigned));
        assert_eq!(
            (e.territory_of(3), e.reason(3)),
            (Some(west), Reason::Override)
        );
        // On the shared border: exactly one, the eastern one (half-open rule).
        assert_eq!(e.territory_of(4), Some(east));
    }

    #[test]
    fn pin_beats_geometry_and_tallies_follow() {
        let mut ws = Workspace::new(plan());
        let west = ws.project().territory_by_name("West").unwrap().id;
        let east = ws.project().territory_by_name("East").unwrap().id;
        ws.apply(Edit::pin_to(ws.project(), vec![1], west).unwrap())
            .unwrap();
        assert_eq!(ws.engine().territory_of(1), Some(west));
        assert_eq!(ws.engine().reason(1), Reason::Override);
        let m = ws.metrics();
        assert_eq!(m.territory(west).unwrap().group.count, 2);
        assert_eq!(m.territory(west).unwrap().group.sums, vec![30.0]);
        assert_eq!(m.territory(east).unwrap().group.count, 1);
        ws.undo().unwrap();
        assert_eq!(ws.engine().territory_of(1), Some(east));
        assert!(ws.engine().same_result(&Engine::new(ws.project())));
    }

    #[test]
    fn removing_a_territory_unpins_and_undo_restores() {
        let mut ws = Workspace::new(plan());
        let west = ws.project().territory_by_name("West").unwrap().id;
        ws.apply(Edit::pin_to(ws.project(), vec![2], west).unwrap())
            .unwrap();
        ws.apply(Edit::RemoveTerritory { id: west }).unwrap();
        assert_eq!(ws.engine().territory_of(0), None);
        assert_eq!(ws.engine().territory_of(2), None);
        assert!(ws.engine().same_result(&Engine::new(ws.project())));
        ws.undo().unwrap();
        assert_eq!(ws.engine().territory_of(2), Some(west));
        assert_eq!(ws.engine().reason(2), Reason::Override);
        assert!(ws.engine().same_result(&Engine::new(ws.project())));
    }

    #[test]
    fn locked_territory_refuses_reshape() {
        let mut ws = Workspace::new(plan());
        let west = ws.project().territory_by_name("West").unwrap().id;
        let mut props =
            crate::core::edit::TerritoryProps::of(ws.project().territory(west).unwrap());
        props.locked = true;
        ws.apply(Edit::SetTerritoryProps { id: west, props })
            .unwrap();
        let err = ws
            .apply(Edit::SetGeometry {
                id: west,
                geometry: sq(0.0, 0.0, 3.0),
            })
            .unwrap_err();
        assert!(err.to_string().contains("locked"), "{err}");
        assert_eq!(
            ws.project().territory(west).unwrap().geometry,
            plan().territories[0].geometry
        );
    }
}
