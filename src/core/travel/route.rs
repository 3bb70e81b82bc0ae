//! Trips: snapping points to the roads, point-to-point and one-to-many.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use serde::Serialize;

use super::TravelSettings;
use super::network::{Network, ms_for};
use crate::core::geometry::haversine_km;

/// How a trip was routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// Over the road network (with straight connectors at both ends).
    Road,
    /// Straight line × detour factor: road travel is off, the two points'
    /// roads are not joined, or the straight rule is faster (short hops).
    Straight,
}

/// Road distance and drive time of one trip.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Trip {
    /// Distance driven, km (connectors included).
    pub road_km: f64,
    /// Drive time, minutes.
    pub minutes: f64,
    /// How it was routed.
    pub via: Via,
}

/// Where a point meets the network: the nearest point of the nearest road,
/// and of the nearest road on the main (longest) connected piece when that
/// is another road.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Snap {
    pub(super) near: Cand,
    pub(super) trunk: Option<Cand>,
    /// Straight distance from the point to the nearest road, km.
    pub gap_km: f64,
}

/// One way onto a road.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Cand {
    pub(super) edge: u32,
    /// Distance along the edge from its first node, km.
    pub(super) along_km: f64,
    /// Straight distance from the point to the road, km.
    pub(super) gap_km: f64,
}

impl Snap {
    /// The nearest road, then the trunk road (the nearest again if none).
    fn cands(&self) -> [Cand; 2] {
        [self.near, self.trunk.unwrap_or(self.near)]
    }
}

/// Node costs of a one-to-many search from one point.
pub struct HomeTree {
    from: (f64, f64),
    snap: Option<Snap>,
    ms: Vec<u64>,
    km: Vec<f64>,
}

/// Answers trips with a plan's travel settings, over a network or (road
/// travel off) straight lines.
#[derive(Clone)]
pub struct Router {
    pub(super) net: Option<Arc<Network>>,
    local_kmh: f64,
    detour: f64,
    straight_kmh: f64,
}

impl Router {
    /// A router over `net` (`None`: straight lines at `straight_kmh`).
    pub fn new(net: Option<Arc<Network>>, s: &TravelSettings) -> Self {
        Self {
            net,
            local_kmh: s.local_kmh,
            detour: s.detour,
            straight_kmh: s.straight_kmh,
        }
    }

    /// The network, if road travel is on.
    pub fn network(&self) -> Option<&Network> {
        self.net.as_deref()
    }

    /// The straight rule between two points at `kmh`.
    fn straight(&self, a: (f64, f64), b: (f64, f64), kmh: f64) -> Trip {
        let km = haversine_km(a, b) * self.detour;
        Trip {
            road_km: km,
            minutes: km / kmh * 60.0,
            via: Via::Straight,
        }
    }

    /// The ways from a snapped point onto the graph: (node, ms, km), both
    /// ends of each candidate road (repeated when there is one road).
    fn entries(&self, net: &Network, s: &Snap) -> [(u32, u64, f64); 4] {
        let [c0, c1] = s.cands();
        let ends = |c: Cand| {
            let e = &net.edges[c.edge as usize];
            let gap = c.gap_km * self.detour;
            let gap_ms = ms_for(gap, self.local_kmh);
            let rest = (e.km - c.along_km).max(0.0);
            [
                (e.a, gap_ms + ms_for(c.along_km, e.kmh), gap + c.along_km),
                (e.b, gap_ms + ms_for(rest, e.kmh), gap + rest),
            ]
        };
        let ([a, b], [c, d]) = (ends(c0), ends(c1));
        [a, b, c, d]
    }

    /// Both points on the same road: along it, with both connectors.
    fn same_edge(&self, net: &Network, a: &Snap, b: &Snap) -> Option<(u64, f64)> {
        let mut best: Option<(u64, f64)> = None;
        for ca in a.cands() {
            for cb in b.cands().into_iter().filter(|cb| cb.edge == ca.edge) {
                let e = &net.edges[ca.edge as usize];
                let along = (ca.along_km - cb.along_km).abs();
                let gap = (ca.gap_km + cb.gap_km) * self.detour;
                let v = (
                    ms_for(gap, self.local_kmh) + ms_for(along, e.kmh),
                    gap + along,
                );
                if best.is_none_or(|b| v.0 < b.0) {
                    best = Some(v);
                }
            }
        }
        best
    }

    /// The fastest of the straight rule and the candidates `(ms, km)`.
    fn best(&self, straight: Trip, cands: impl IntoIterator<Item = (u64, f64)>) -> Trip {
        let mut best = straight;
        for (ms, km) in cands {
            let minutes = ms as f64 / 60_000.0;
            if minutes < best.minutes {
                best = Trip {
                    road_km: km,
                    minutes,
                    via: Via::Road,
                };
            }
        }
        best
    }

    /// Drive from `a` to `b` (contraction hierarchy query).
    pub fn trip(&self, a: (f64, f64), b: (f64, f64)) -> Trip {
        let Some(net) = self.net.as_deref() else {
            return self.straight(a, b, self.straight_kmh);
        };
        let straight = self.straight(a, b, self.local_kmh);
        let (Some(sa), Some(sb)) = (self.snap(a), self.snap(b)) else {
            return straight;
        };
        let mut cands: Vec<(u64, f64)> = self.same_edge(net, &sa, &sb).into_iter().collect();
        cands.extend(self.ch_route(net, &sa, &sb));
        self.best(straight, cands)
    }

    /// Fastest network route between two snapped points: (ms, km).
    fn ch_route(&self, net: &Network, sa: &Snap, sb: &Snap) -> Option<(u64, f64)> {
        let n = net.ch.get_num_nodes() as u32;
        let ea: Vec<_> = self
            .entries(net, sa)
            .into_iter()
            .filter(|e| e.0 < n)
            .collect();
        let eb: Vec<_> = self
            .entries(net, sb)
            .into_iter()
            .filter(|e| e.0 < n)
            .collect();
        if ea.is_empty() || eb.is_empty() {
            return None;
        }
        let w = |v: &[(u32, u64, f64)]| v.iter().map(|e| (e.0 as usize, e.1 as usize)).collect();
        let path = fast_paths::calc_path_multiple_sources_and_targets(&net.ch, w(&ea), w(&eb))?;
        let nodes = path.get_nodes();
        let end_km = |v: &[(u32, u64, f64)], node: usize| {
            v.iter()
                .filter(|e| e.0 as usize == node)
                .min_by_key(|e| e.1)
                .map_or(0.0, |e| e.2)
        };
        let mut km = end_km(&ea, path.get_source()) + end_km(&eb, path.get_target());
        for w in nodes.windows(2) {
            let (x, y) = (w[0] as u32, w[1] as u32);
            km += net.rt.pairs.get(&(x.min(y), x.max(y))).map_or(0.0, |p| p.1);
        }
        Some((path.get_weight() as u64, km))
    }

    /// One search from `from` to every node, stopping beyond `limit_ms`
    /// (`u64::MAX`: the whole graph).
    pub fn tree(&self, from: (f64, f64), limit_ms: u64) -> HomeTree {
        let snap = self.snap(from);
        let (Some(net), Some(s)) = (self.net.as_deref(), snap) else {
            return HomeTree {
                from,
                snap,
                ms: Vec::new(),
                km: Vec::new(),
            };
        };
        let n = net.nodes.len();
        let (mut ms, mut km) = (vec![u64::MAX; n], vec![0.0; n]);
        let mut heap = BinaryHeap::new();
        for (node, t, d) in self.entries(net, &s) {
            if t < ms[node as usize] && t <= limit_ms {
                ms[node as usize] = t;
                km[node as usize] = d;
                heap.push(Reverse((t, node)));
            }
        }
        while let Some(Reverse((t, u))) = heap.pop() {
            if t > ms[u as usize] {
                continue;
            }
            let (lo, hi) = (
                net.rt.adj_start[u as usize],
                net.rt.adj_start[u as usize + 1],
            );
            for arc in &net.rt.adj[lo as usize..hi as usize] {
                let nt = t + arc.ms;
                if nt < ms[arc.to as usize] && nt <= limit_ms {
                    ms[arc.to as usize] = nt;
                    km[arc.to as usize] = km[u as usize] + arc.km;
                    heap.push(Reverse((nt, arc.to)));
                }
            }
        }
        HomeTree { from, snap, ms, km }
    }

    /// The straight rule off the roads: (speed km/h, detour factor); the
    /// local speed on connectors, the average speed with road travel off.
    pub fn straight_rule(&self) -> (f64, f64) {
        let kmh = if self.net.is_some() {
            self.local_kmh
        } else {
            self.straight_kmh
        };
        (kmh, self.detour)
    }

    /// The places on the roads `tree` reached within `limit_min`, as
    /// (`(lon, lat)`, minutes): its junctions, and the vertices of the roads
    /// out of them (and of the start's own road) as far as the time goes.
    pub fn reached(&self, tree: &HomeTree, limit_min: f64) -> Vec<((f64, f64), f64)> {
        let Some(net) = self.net.as_deref() else {
            return Vec::new();
        };
        let at = |node: u32| {
            let ms = *tree.ms.get(node as usize)?;
            (ms != u64::MAX).then(|| ms as f64 / 60_000.0)
        };
        let mut out = Vec::new();
        for (e, edge) in net.edges.iter().enumerate() {
            // Minutes to the edge's first node and to its last, and from
            // the start along this edge to a vertex `along` km in.
            let (ta, tb) = (at(edge.a), at(edge.b));
            let own = tree
                .snap
                .iter()
                .flat_map(|s| s.cands())
                .filter(|c| c.edge as usize == e)
                .map(|c| {
                    (
                        ms_for(c.gap_km * self.detour, self.local_kmh) as f64 / 60_000.0,
                        c.along_km,
                    )
                })
                .collect::<Vec<_>>();
            if ta.is_none() && tb.is_none() && own.is_empty() {
                continue;
            }
            let per_km = 60.0 / edge.kmh;
            for k in edge.first..edge.end {
                let along = net.cum_km[k as usize];
                let mut t = f64::INFINITY;
                if let Some(ta) = ta {
                    t = t.min(ta + along * per_km);
                }
                if let Some(tb) = tb {
                    t = t.min(tb + (edge.km - along).max(0.0) * per_km);
                }
                for &(gap, at_km) in &own {
                    t = t.min(gap + (along - at_km).abs() * per_km);
                }
                if t <= limit_min {
                    out.push((net.coords[k as usize], t));
                }
            }
        }
        out
    }

    /// Drive from the tree's start to `to`, whose snap is `snap` (from
    /// [`Router::snap`] or [`Router::snap_all`]).
    pub fn trip_from(&self, tree: &HomeTree, to: (f64, f64), snap: Option<&Snap>) -> Trip {
        let Some(net) = self.net.as_deref() else {
            return self.straight(tree.from, to, self.straight_kmh);
        };
        let straight = self.straight(tree.from, to, self.local_kmh);
        let (Some(home), Some(s)) = (tree.snap.as_ref(), snap) else {
            return straight;
        };
        let same = self.same_edge(net, home, s);
        let via_nodes = self.entries(net, s).into_iter().filter_map(|(node, t, d)| {
            let at = *tree.ms.get(node as usize)?;
            (at != u64::MAX).then(|| (at + t, tree.km[node as usize] + d))
        });
        self.best(straight, same.into_iter().chain(via_nodes))
    }
}
