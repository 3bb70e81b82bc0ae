//! The road graph: read from GeoJSON, noded, weighted, contracted.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use fast_paths::{FastGraph, InputGraph};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde::{Deserialize, Serialize};

use super::speeds::SpeedTable;
use crate::core::error::{Error, Result};
use crate::core::geometry::haversine_km;

/// Earth radius used for the 3-D snapping space, km (as in `haversine_km`).
pub(crate) const EARTH_KM: f64 = 6371.0088;

/// Grid that end points are snapped to before matching, degrees (the data
/// is rounded to 4 decimals, so equal junctions are equal on this grid).
const NODE_GRID: f64 = 1e4;

/// One road line before it joins the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct RoadLine {
    /// Road type (the `type` property), looked up in the [`SpeedTable`].
    pub road_type: String,
    /// `(lon, lat)` vertices.
    pub coords: Vec<(f64, f64)>,
}

/// A line of the graph between two nodes.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct Edge {
    /// End nodes (equal for a loop).
    pub a: u32,
    pub b: u32,
    /// Its vertices are `coords[first..end]`.
    pub first: u32,
    pub end: u32,
    /// Length, km.
    pub km: f64,
    /// Speed, km/h.
    pub kmh: f64,
}

impl Edge {
    /// Travel time over the whole edge, ms (at least 1: fast_paths skips
    /// zero weights).
    pub fn ms(&self) -> u64 {
        ms_for(self.km, self.kmh).max(1)
    }
}

/// Milliseconds to drive `km` at `kmh`.
pub(crate) fn ms_for(km: f64, kmh: f64) -> u64 {
    (km / kmh * 3.6e6).round().max(0.0) as u64
}

/// An arc of the adjacency list used by the one-to-many search.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arc {
    pub to: u32,
    pub ms: u64,
    pub km: f64,
}

/// Segment `k → k+1` of the vertex list in 3-D (unit sphere × R).
pub(crate) type Seg = GeomWithData<Line<[f64; 3]>, u32>;

/// The prepared road network.
#[derive(Serialize, Deserialize)]
pub struct Network {
    pub(crate) nodes: Vec<(f64, f64)>,
    pub(crate) edges: Vec<Edge>,
    pub(crate) coords: Vec<(f64, f64)>,
    /// Distance along its edge at each vertex, km.
    pub(crate) cum_km: Vec<f64>,
    #[serde(
        serialize_with = "fast_paths::serialize_32",
        deserialize_with = "fast_paths::deserialize_32"
    )]
    pub(crate) ch: FastGraph,
    /// Stored in the cache: bulk-loading the trees was most of the time a
    /// load took.
    pub(crate) trees: Trees,
    #[serde(skip)]
    pub(crate) rt: Runtime,
}

/// The segments' R-trees, for snapping points to the network.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Trees {
    pub segs: RTree<Seg>,
    /// The segments of the largest connected piece (by length), when the
    /// network has more than one: points also snap there, so a point whose
    /// nearest road is a fragment (an urban core the data does not join
    /// up) still has a way onto the main network.
    pub trunk: Option<RTree<Seg>>,
}

/// Look-up structures rebuilt after loading (cheaper than storing them).
#[derive(Default)]
pub(crate) struct Runtime {
    pub adj_start: Vec<u32>,
    pub adj: Vec<Arc>,
    /// Fastest edge between two nodes `(min, max)`: (ms, km).
    pub pairs: HashMap<(u32, u32), (u64, f64)>,
    /// Per edge: on the largest connected piece (all true when the
    /// network is in one piece).
    pub in_trunk: Vec<bool>,
}

/// `(lon, lat)` on the sphere of radius [`EARTH_KM`].
pub(crate) fn to_3d(p: (f64, f64)) -> [f64; 3] {
    let (lon, lat) = (p.0.to_radians(), p.1.to_radians());
    [
        EARTH_KM * lat.cos() * lon.cos(),
        EARTH_KM * lat.cos() * lon.sin(),
        EARTH_KM * lat.sin(),
    ]
}

impl Network {
    /// Builds the graph from road lines: end points on the same ~11 m grid
    /// cell become one node, each line an edge weighted by its type's speed.
    pub fn from_lines(lines: &[RoadLine], speeds: &SpeedTable) -> Self {
        let mut node_of: HashMap<(i64, i64), u32> = HashMap::new();
        let mut nodes = Vec::new();
        let mut node = |p: (f64, f64)| {
            let key = (
                (p.0 * NODE_GRID).round() as i64,
                (p.1 * NODE_GRID).round() as i64,
            );
            *node_of.entry(key).or_insert_with(|| {
                nodes.push(p);
                (nodes.len() - 1) as u32
            })
        };
        let (mut edges, mut coords, mut cum_km) = (Vec::new(), Vec::new(), Vec::new());
        for line in lines {
            let pts: Vec<(f64, f64)> = line.coords.clone();
            if pts.len() < 2 {
                continue;
            }
            let first = coords.len() as u32;
            let mut along = 0.0;
            for (k, &p) in pts.iter().enumerate() {
                if k > 0 {
                    along += haversine_km(pts[k - 1], p);
                }
                coords.push(p);
                cum_km.push(along);
            }
            let (Some(&s), Some(&e)) = (pts.first(), pts.last()) else {
                continue;
            };
            edges.push(Edge {
                a: node(s),
                b: node(e),
                first,
                end: coords.len() as u32,
                km: along,
                kmh: speeds.kmh(&line.road_type),
            });
        }
        let mut input = InputGraph::new();
        for e in &edges {
            if e.a != e.b {
                input.add_edge_bidir(e.a as usize, e.b as usize, e.ms() as usize);
            }
        }
        input.freeze();
        let ch = fast_paths::prepare(&input);
        let mut net = Self {
            nodes,
            edges,
            coords,
            cum_km,
            ch,
            trees: Trees::default(),
            rt: Runtime::default(),
        };
        net.build_trees();
        net.finish();
        net
    }

    /// Rebuilds the look-up structures (after [`Network::from_lines`] or
    /// loading from the cache).
    pub(crate) fn finish(&mut self) {
        let n = self.nodes.len();
        let mut deg = vec![0u32; n + 1];
        let mut pairs: HashMap<(u32, u32), (u64, f64)> = HashMap::new();
        for e in self.edges.iter().filter(|e| e.a != e.b) {
            deg[e.a as usize] += 1;
            deg[e.b as usize] += 1;
            let key = (e.a.min(e.b), e.a.max(e.b));
            let v = (e.ms(), e.km);
            pairs
                .entry(key)
                .and_modify(|old| {
                    if v.0 < old.0 {
                        *old = v;
                    }
                })
                .or_insert(v);
        }
        let mut start = vec![0u32; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + deg[i];
        }
        let mut fill = start.clone();
        let mut adj = vec![
            Arc {
                to: 0,
                ms: 0,
                km: 0.0
            };
            start[n] as usize
        ];
        for e in self.edges.iter().filter(|e| e.a != e.b) {
            for (from, to) in [(e.a, e.b), (e.b, e.a)] {
                adj[fill[from as usize] as usize] = Arc {
                    to,
                    ms: e.ms(),
                    km: e.km,
                };
                fill[from as usize] += 1;
            }
        }
        let in_trunk = match self.largest_piece() {
            Some(piece) => self.edges.iter().map(|e| piece[e.a as usize]).collect(),
            None => vec![true; self.edges.len()],
        };
        self.rt = Runtime {
            adj_start: start,
            adj,
            pairs,
            in_trunk,
        };
    }

    /// Builds the R-trees of the segments (the trunk's in parallel).
    fn build_trees(&mut self) {
        let trunk_of = self.largest_piece();
        let segs_of = |keep: &dyn Fn(&Edge) -> bool| -> Vec<Seg> {
            self.edges
                .iter()
                .filter(|e| keep(e))
                .flat_map(|e| e.first..e.end.saturating_sub(1))
                .map(|k| {
                    let (a, b) = (self.coords[k as usize], self.coords[k as usize + 1]);
                    GeomWithData::new(Line::new(to_3d(a), to_3d(b)), k)
                })
                .collect()
        };
        let (segs, trunk) = rayon::join(
            || RTree::bulk_load(segs_of(&|_| true)),
            || trunk_of.map(|piece| RTree::bulk_load(segs_of(&|e| piece[e.a as usize]))),
        );
        self.trees = Trees { segs, trunk };
    }

    /// Which nodes are in the longest connected piece; `None` when every
    /// edge is in it.
    fn largest_piece(&self) -> Option<Vec<bool>> {
        let mut parent: Vec<u32> = (0..self.nodes.len() as u32).collect();
        fn root(p: &mut [u32], mut x: u32) -> u32 {
            while p[x as usize] != x {
                p[x as usize] = p[p[x as usize] as usize];
                x = p[x as usize];
            }
            x
        }
        for e in &self.edges {
            let (ra, rb) = (root(&mut parent, e.a), root(&mut parent, e.b));
            parent[ra as usize] = rb;
        }
        let mut km: HashMap<u32, f64> = HashMap::new();
        for e in &self.edges {
            *km.entry(root(&mut parent, e.a)).or_default() += e.km;
        }
        if km.len() <= 1 {
            return None;
        }
        let best = km
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(r, _)| *r)?;
        Some(
            (0..self.nodes.len() as u32)
                .map(|x| root(&mut parent, x) == best)
                .collect(),
        )
    }

    /// Number of graph nodes (line end points after matching).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of edges (road lines).
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Total road length, km.
    pub fn total_km(&self) -> f64 {
        self.edges.iter().map(|e| e.km).sum()
    }

    /// The edge that vertex `k` belongs to.
    pub(crate) fn edge_of_vertex(&self, k: u32) -> usize {
        self.edges
            .partition_point(|e| e.end <= k)
            .min(self.edges.len().saturating_sub(1))
    }

    /// The graph serialized for the cache, followed by the XXH3 hash of
    /// those bytes.
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = postcard::to_stdvec(self)
            .map_err(|e| Error::invalid(format!("road graph cannot be encoded: {e}")))?;
        let hash = xxhash_rust::xxh3::xxh3_64(&bytes);
        bytes.extend_from_slice(&hash.to_le_bytes());
        Ok(bytes)
    }

    /// A graph from [`Network::to_bytes`]; `None` when the bytes are not
    /// exactly what it wrote (the hash), or do not fit together.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let (body, hash) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        if xxhash_rust::xxh3::xxh3_64(body).to_le_bytes() != hash {
            return None;
        }
        let mut net: Self = postcard::from_bytes(body).ok()?;
        // A damaged cache file must not index out of bounds later.
        let n = net.nodes.len() as u32;
        let c = net.coords.len() as u32;
        let sane = net.cum_km.len() == net.coords.len()
            && net.ch.get_num_nodes() <= net.nodes.len()
            && net
                .edges
                .iter()
                .all(|e| e.a < n && e.b < n && e.first < e.end && e.end <= c)
            && std::iter::once(&net.trees.segs)
                .chain(&net.trees.trunk)
                .flat_map(RTree::iter)
                .all(|s| s.data + 1 < c);
        if !sane {
            return None;
        }
        net.finish();
        Some(net)
    }
}

#[derive(Deserialize)]
struct FileIn {
    features: Vec<FeatureIn>,
}

#[derive(Deserialize)]
struct FeatureIn {
    #[serde(default)]
    properties: Option<PropsIn>,
    geometry: Option<GeomIn>,
}

#[derive(Deserialize)]
struct PropsIn {
    #[serde(rename = "type", default)]
    road_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum GeomIn {
    LineString(Vec<Vec<f64>>),
    MultiLineString(Vec<Vec<Vec<f64>>>),
}

/// Reads the road lines of a GeoJSON FeatureCollection of LineStrings
/// (MultiLineStrings are split), gzipped or not.
pub fn read_lines(path: &Path, bytes: &[u8]) -> Result<Vec<RoadLine>> {
    let text;
    let raw: &[u8] = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 5);
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| Error::io(path, e))?;
        text = out;
        &text
    } else {
        bytes
    };
    let geo = |feature: Option<usize>, message: String| Error::Geo {
        path: path.to_path_buf(),
        feature,
        message,
    };
    let file: FileIn = serde_json::from_slice(raw).map_err(|e| {
        geo(
            None,
            format!("not a road FeatureCollection of LineStrings: {e}"),
        )
    })?;
    let mut lines = Vec::with_capacity(file.features.len());
    for (i, f) in file.features.into_iter().enumerate() {
        let road_type = f.properties.and_then(|p| p.road_type).unwrap_or_default();
        let parts = match f.geometry {
            Some(GeomIn::LineString(c)) => vec![c],
            Some(GeomIn::MultiLineString(c)) => c,
            None => return Err(geo(Some(i), "has no geometry".into())),
        };
        for part in parts {
            let mut coords = Vec::with_capacity(part.len());
            for p in part {
                match p.as_slice() {
                    [lon, lat, ..]
                        if lon.is_finite()
                            && lat.is_finite()
                            && lon.abs() <= 180.0
                            && lat.abs() <= 90.0 =>
                    {
                        coords.push((*lon, *lat));
                    }
                    _ => {
                        return Err(geo(
                            Some(i),
                            format!("bad coordinate {p:?} (want [lon, lat] in degrees)"),
                        ));
                    }
                }
            }
            lines.push(RoadLine {
                road_type: road_type.clone(),
                coords,
            });
        }
    }
    Ok(lines)
}
