//! Drive-time metrics: per territory and per rep, the mean and largest
//! drive time and road distance from the rep's home base to the accounts.
//!
//! A territory is driven from the home of its first rep that has one, else
//! from its nearest ancestor's; a rep from their own home to every account
//! they cover (as in [`crate::core::reps`]). Only located accounts count.
//!
//! [`DriveView`] keeps, per (territory, home), the sums over the
//! territory's own accounts in integers (milliseconds, metres), so a
//! territory's figures are rebuilt only when an edit touched it, and
//! incremental updates give exactly the figures of a fresh computation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::core::Result;
use crate::core::engine::NONE;
use crate::core::hierarchy::subtree;
use crate::core::metrics::PlanMetrics;
use crate::core::model::{Project, RepId, TerritoryId, TerritoryTypeId};
use crate::core::reps::RepMetrics;
use crate::core::travel::{DriveFigures, HomeTree, Router, Snap, TravelSettings};
use crate::core::workspace::Workspace;

/// Exact sums of one group (ms and metres in integers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sums {
    n: u64,
    ms: u64,
    max_ms: u64,
    m: u64,
    max_m: u64,
}

impl Sums {
    fn add(&mut self, ms: u64, m: u64) {
        self.n += 1;
        self.ms += ms;
        self.m += m;
        self.max_ms = self.max_ms.max(ms);
        self.max_m = self.max_m.max(m);
    }

    fn merge(&mut self, o: &Sums) {
        self.n += o.n;
        self.ms += o.ms;
        self.m += o.m;
        self.max_ms = self.max_ms.max(o.max_ms);
        self.max_m = self.max_m.max(o.max_m);
    }

    fn figures(&self) -> Option<DriveFigures> {
        (self.n > 0).then(|| DriveFigures {
            accounts: self.n,
            mean_minutes: self.ms as f64 / self.n as f64 / 60_000.0,
            max_minutes: self.max_ms as f64 / 60_000.0,
            mean_km: self.m as f64 / self.n as f64 / 1000.0,
            max_km: self.max_m as f64 / 1000.0,
        })
    }
}

/// A home base as an exact key.
type Home = (u64, u64);

fn home_key(p: (f64, f64)) -> Home {
    (p.0.to_bits(), p.1.to_bits())
}

/// Live drive-time figures of a workspace (see the module docs).
pub struct DriveView {
    router: Router,
    snaps: Vec<Option<Snap>>,
    trees: HashMap<Home, Arc<HomeTree>>,
    /// (type, territory, home) → sums over the territory's own accounts.
    own: HashMap<(TerritoryTypeId, TerritoryId, Home), Sums>,
    /// Per type, the territory id each account had at the last update
    /// (`u32::MAX`: none), to dirty the territory an account left.
    last: HashMap<TerritoryTypeId, Vec<u32>>,
    revision: u64,
    settings: TravelSettings,
}

impl std::fmt::Debug for DriveView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriveView")
            .field("revision", &self.revision)
            .field("groups", &self.own.len())
            .finish_non_exhaustive()
    }
}

impl DriveView {
    /// Loads the network for the plan's settings and computes everything
    /// (the first load of a network can take seconds: call it off the UI
    /// thread).
    pub fn new(ws: &Workspace) -> Result<Self> {
        let p = ws.project();
        let (idx, points) = located_points(p);
        // Choosing the roads file snaps every point: keep those snaps.
        let (router, snaps) = crate::core::travel::router_for(&p.travel, &points)?;
        Ok(Self::build(
            ws,
            router,
            scatter(p.accounts.len(), &idx, snaps),
        ))
    }

    /// Computes everything with a given router (tests, benches: a network
    /// that is already loaded).
    pub fn with_router(ws: &Workspace, router: Router) -> Self {
        let p = ws.project();
        let points = located_points(p);
        let snaps = router.snap_all(&points.1);
        Self::build(ws, router, scatter(p.accounts.len(), &points.0, snaps))
    }

    /// The view over `router` with every account's snap.
    fn build(ws: &Workspace, router: Router, snaps: Vec<Option<Snap>>) -> Self {
        let p = ws.project();
        let mut view = Self {
            router,
            snaps,
            trees: HashMap::new(),
            own: HashMap::new(),
            last: HashMap::new(),
            revision: ws.revision(),
            settings: p.travel.clone(),
        };
        view.fill(ws);
        view
    }

    /// The router (for trips the view does not hold, e.g. a hover card).
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Brings the figures up to date after edits: only the territories the
    /// edits touched are recomputed. Changed travel settings reload.
    pub fn update(&mut self, ws: &Workspace) -> Result<()> {
        let changes = ws.changes_since(self.revision);
        self.update_with(ws, changes)
    }

    /// The plan revision the figures are of.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// [`DriveView::update`] with the changes since [`DriveView::revision`]
    /// given (`None`: unknown, recompute everything), for a snapshot of the
    /// plan on another thread (a snapshot forgets its past revisions).
    pub fn update_with(
        &mut self,
        ws: &Workspace,
        changes: Option<crate::core::workspace::Changes>,
    ) -> Result<()> {
        let p = ws.project();
        if p.travel != self.settings {
            *self = Self::new(ws)?;
            return Ok(());
        }
        match changes {
            Some(ch) => {
                let a = &p.accounts;
                // Added, removed, restored or moved accounts snap afresh.
                self.snaps.resize(a.len(), None);
                for &i in &ch.accounts {
                    let i = i as usize;
                    if i < self.snaps.len() {
                        self.snaps[i] = self.snap_of(p, i);
                    }
                }
                // Edited territories, and both the old and the new
                // territory of every account that moved or changed.
                let mut dirty: HashSet<(TerritoryTypeId, u32)> = HashSet::new();
                for e in ws.engines() {
                    let ty = e.type_id();
                    for t in &ch.territories {
                        dirty.insert((ty, t.0));
                    }
                    let last = self.last.entry(ty).or_default();
                    last.resize(a.len(), u32::MAX);
                    for &i in &ch.accounts {
                        let now = e.territory_of(i as usize).map_or(u32::MAX, |t| t.0);
                        dirty.insert((ty, last[i as usize]));
                        dirty.insert((ty, now));
                        last[i as usize] = now;
                    }
                }
                self.own
                    .retain(|(ty, t, _), _| !dirty.contains(&(*ty, t.0)));
            }
            None => {
                let points = located_points(p);
                let snaps = self.router.snap_all(&points.1);
                self.snaps = scatter(p.accounts.len(), &points.0, snaps);
                self.own.clear();
                self.last.clear();
            }
        }
        self.revision = ws.revision();
        self.fill(ws);
        Ok(())
    }

    fn snap_of(&self, p: &Project, i: usize) -> Option<Snap> {
        let a = &p.accounts;
        (a.is_located(i) && !a.removed[i])
            .then(|| self.router.snap((a.lon[i], a.lat[i])))
            .flatten()
    }

    /// The trip tree from `home` (cached).
    fn tree(&mut self, home: (f64, f64)) -> Arc<HomeTree> {
        self.trees
            .entry(home_key(home))
            .or_insert_with(|| Arc::new(self.router.tree(home, u64::MAX)))
            .clone()
    }

    /// Computes the sums of every (territory, home) pair that is needed and
    /// not cached, in one parallel pass per type.
    fn fill(&mut self, ws: &Workspace) {
        let p = ws.project();
        let needed = needed_pairs(p);
        for e in ws.engines() {
            let ty = e.type_id();
            self.last.entry(ty).or_insert_with(|| {
                (0..p.accounts.len())
                    .map(|i| e.territory_of(i).map_or(u32::MAX, |t| t.0))
                    .collect()
            });
            // Slot → homes whose sums are missing.
            let mut want: Vec<Vec<(f64, f64)>> = vec![Vec::new(); e.index().slot_capacity()];
            let mut any = false;
            for (s, w) in want.iter_mut().enumerate() {
                let Some(t) = e.index().id_of_slot(s as u32) else {
                    continue;
                };
                for &h in needed.get(&t).map_or(&[][..], |v| v.as_slice()) {
                    if !self.own.contains_key(&(ty, t, home_key(h))) {
                        w.push(h);
                        any = true;
                    }
                }
            }
            if !any {
                continue;
            }
            let homes: Vec<(f64, f64)> = want.iter().flatten().copied().collect();
            let trees: HashMap<Home, Arc<HomeTree>> =
                homes.iter().map(|&h| (home_key(h), self.tree(h))).collect();
            let sums = self.pass(p, e.slots(), &want, &trees);
            for ((s, h), v) in sums {
                if let Some(t) = e.index().id_of_slot(s) {
                    self.own.insert((ty, t, h), v);
                }
            }
            // Pairs with no located account still get (empty) sums.
            for (s, hs) in want.iter().enumerate() {
                if let Some(t) = e.index().id_of_slot(s as u32) {
                    for &h in hs {
                        self.own.entry((ty, t, home_key(h))).or_default();
                    }
                }
            }
        }
    }

    /// Sums per (slot, home) over the accounts of the slots in `want`.
    fn pass(
        &self,
        p: &Project,
        slots: &[u32],
        want: &[Vec<(f64, f64)>],
        trees: &HashMap<Home, Arc<HomeTree>>,
    ) -> HashMap<(u32, Home), Sums> {
        let a = &p.accounts;
        let chunk = 32_768;
        slots
            .par_chunks(chunk)
            .enumerate()
            .map(|(k, ch)| {
                let mut out: HashMap<(u32, Home), Sums> = HashMap::new();
                for (j, &s) in ch.iter().enumerate() {
                    let i = k * chunk + j;
                    if s == NONE || a.removed[i] || !a.is_located(i) {
                        continue;
                    }
                    for &h in want.get(s as usize).map_or(&[][..], |v| v.as_slice()) {
                        let key = home_key(h);
                        let Some(tree) = trees.get(&key) else {
                            continue;
                        };
                        let t = self.router.trip_from(
                            tree,
                            (a.lon[i], a.lat[i]),
                            self.snaps.get(i).and_then(|s| s.as_ref()),
                        );
                        let ms = (t.minutes * 60_000.0).round() as u64;
                        let m = (t.road_km * 1000.0).round() as u64;
                        out.entry((s, key)).or_default().add(ms, m);
                    }
                }
                out
            })
            .reduce(HashMap::new, |mut x, y| {
                for (k, v) in y {
                    x.entry(k).or_default().merge(&v);
                }
                x
            })
    }

    /// Figures of territory `id` of type `ty`: its own and its descendants'
    /// accounts, from its home (`None`: no home, or no located accounts).
    pub fn territory(
        &self,
        p: &Project,
        ty: TerritoryTypeId,
        id: TerritoryId,
    ) -> Option<DriveFigures> {
        let home = home_of(p, id)?;
        let mut total = Sums::default();
        for t in subtree(p, id) {
            total.merge(self.own.get(&(ty, t, home_key(home)))?);
        }
        total.figures()
    }

    /// Figures of rep `id` over every type: from their home to every
    /// account they cover.
    pub fn rep(&self, p: &Project, id: RepId) -> Option<DriveFigures> {
        let home = p.reps.iter().find(|r| r.id == id)?.home?;
        let mut seen = HashSet::new();
        let mut total = Sums::default();
        for t in p.territories.iter().filter(|t| t.reps.contains(&id)) {
            for d in subtree(p, t.id) {
                if seen.insert(d) {
                    let ty = p.territories.iter().find(|x| x.id == d)?.type_id;
                    total.merge(self.own.get(&(ty, d, home_key(home)))?);
                }
            }
        }
        total.figures()
    }
}

/// The home a territory is driven from: its first rep with a home, else
/// its nearest ancestor's.
pub fn home_of(p: &Project, id: TerritoryId) -> Option<(f64, f64)> {
    let mut at = Some(id);
    let mut steps = 0;
    while let Some(t) = at.and_then(|id| p.territories.iter().find(|t| t.id == id)) {
        let home = t
            .reps
            .iter()
            .find_map(|r| p.reps.iter().find(|x| x.id == *r).and_then(|x| x.home));
        if home.is_some() {
            return home;
        }
        at = t.parent;
        steps += 1;
        if steps > p.territories.len() {
            break;
        }
    }
    None
}

/// Territory → homes whose sums are needed: its own home (for the
/// territory's figures, also an ancestor's when it has none) and the home
/// of every rep covering it.
fn needed_pairs(p: &Project) -> HashMap<TerritoryId, Vec<(f64, f64)>> {
    let mut out: HashMap<TerritoryId, Vec<(f64, f64)>> = HashMap::new();
    let mut push = |t: TerritoryId, h: (f64, f64)| {
        let v = out.entry(t).or_default();
        if !v.iter().any(|x| home_key(*x) == home_key(h)) {
            v.push(h);
        }
    };
    for t in &p.territories {
        // A parent's home drives its descendants in its own figures.
        if let Some(h) = home_of(p, t.id) {
            for d in subtree(p, t.id) {
                push(d, h);
            }
        }
        for r in &t.reps {
            if let Some(h) = p.reps.iter().find(|x| x.id == *r).and_then(|x| x.home) {
                for d in subtree(p, t.id) {
                    push(d, h);
                }
            }
        }
    }
    out
}

/// Indices and `(lon, lat)` of the live located accounts.
fn located_points(p: &Project) -> (Vec<usize>, Vec<(f64, f64)>) {
    let a = &p.accounts;
    (0..a.len())
        .filter(|&i| !a.removed[i] && a.is_located(i))
        .map(|i| (i, (a.lon[i], a.lat[i])))
        .unzip()
}

/// Per-account snaps from the snaps of `idx`.
fn scatter(n: usize, idx: &[usize], snaps: Vec<Option<Snap>>) -> Vec<Option<Snap>> {
    let mut out = vec![None; n];
    for (&i, s) in idx.iter().zip(snaps) {
        out[i] = s;
    }
    out
}

impl DriveView {
    /// Fills every territory's drive figures ([`crate::core::metrics::TerritoryMetrics::drive`])
    /// of `metrics`, a balance of the same plan.
    pub fn add_to_metrics(&self, metrics: &mut PlanMetrics, project: &Project) {
        for t in &mut metrics.territories {
            let id = TerritoryId(t.id);
            let ty = project.territory(id).map(|x| x.type_id);
            t.drive = ty.and_then(|ty| self.territory(project, ty, id));
        }
    }

    /// Fills every rep's [`RepMetrics::drive`] (figures of the same plan).
    pub fn add_to_reps(&self, reps: &mut [RepMetrics], project: &Project) {
        for r in reps {
            r.drive = self.rep(project, RepId(r.id));
        }
    }
}
