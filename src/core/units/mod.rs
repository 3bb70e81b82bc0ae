//! Geographic units: the indivisible building blocks that territory
//! generation and rebalancing ([`crate::core::optimize`]) assign whole.
//!
//! Three layers ([`UnitLayer`]):
//! - a hexagon grid that works anywhere (pointy-top hexes on a local
//!   equirectangular projection; corners are computed from integer lattice
//!   coordinates, so neighbouring hexes share bit-identical corners and their
//!   union has no slivers);
//! - US counties from `assets/us-counties.geojson`, loaded once and cached;
//! - US ZIP areas, approximated by the Voronoi cells of the bundled ZIP
//!   centroids clipped to the requested extent.
//!
//! Every [`UnitSet`] carries its adjacency graph (CSR). Hexes are adjacent
//! to their six lattice neighbours; polygon units are adjacent when they share
//! a boundary segment ("rook" contiguity), found by hashing the vertices the
//! topologically built source files share exactly; ZIP areas use the Delaunay
//! graph of their centroids (the dual of the Voronoi diagram). Islands make a
//! unit graph disconnected, which would make contiguity impossible to
//! satisfy, so [`UnitSet::connect_components`] adds "bridge" edges between
//! nearest units of different components (the usual practice in political
//! districting for islands), and reports how many it added.

pub mod provinces;

use std::collections::HashMap;
use std::sync::OnceLock;

use geo::{BoundingRect, Centroid, Coord, LineString, MultiPolygon, Polygon};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::error::{Error, Result};
use super::index::TerritoryIndex;
use super::model::TerritoryId;

/// Kilometres per degree of latitude (mean).
const KM_PER_DEG_LAT: f64 = 110.574;
/// Kilometres per degree of longitude at the equator.
const KM_PER_DEG_LON: f64 = 111.320;
/// Refuse grids larger than this (a tiny hex size over a continent).
const MAX_HEXES: usize = 2_000_000;

/// Which geographic units territories are built from.
#[derive(Clone, Debug, PartialEq)]
pub enum UnitLayer {
    /// A hexagon grid; `size_km` is the hexagon's circumradius (centre to
    /// corner) in kilometres.
    Hex {
        /// Circumradius in km.
        size_km: f64,
    },
    /// US states (bundled).
    States,
    /// US counties (bundled).
    Counties,
    /// US ZIP areas approximated from ZIP centroids (Voronoi cells).
    Zips,
    /// The first-level regions (provinces, states) of a country other than
    /// the US whose outlines are bundled (see
    /// [`provinces::PROVINCE_COUNTRIES`]).
    Provinces(crate::core::geocode::Country),
}

impl Default for UnitLayer {
    fn default() -> Self {
        UnitLayer::Hex { size_km: 25.0 }
    }
}

impl std::fmt::Display for UnitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnitLayer::Hex { size_km } => write!(f, "hexagons of {size_km} km"),
            UnitLayer::States => f.write_str("US states"),
            UnitLayer::Counties => f.write_str("US counties"),
            UnitLayer::Zips => f.write_str("US ZIP areas"),
            UnitLayer::Provinces(c) => f.write_str(provinces::provinces_caption(*c)),
        }
    }
}

/// A pointy-top hexagon lattice on a local equirectangular projection.
///
/// The projection is affine in lon/lat, so hexagons are straight-edged in
/// lon/lat too and a point lies in the hexagon [`HexGrid::cell_of`] returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HexGrid {
    /// Circumradius in km.
    pub size_km: f64,
    /// Projection origin longitude.
    pub lon0: f64,
    /// Projection origin latitude (its cosine scales longitudes).
    pub lat0: f64,
    kx: f64,
}

/// What a hexagon is called on screen: its centre and size, e.g. "Hexagon
/// 25 km, centre 38.51° N 97.20° W" (its lattice indices mean nothing to a
/// user).
fn hex_label(grid: &HexGrid, q: i32, r: i32) -> String {
    let (lon, lat) = grid.center(q, r);
    let ns = if lat >= 0.0 { 'N' } else { 'S' };
    let ew = if lon >= 0.0 { 'E' } else { 'W' };
    format!(
        "Hexagon {} km, centre {:.2}° {ns} {:.2}° {ew}",
        crate::core::numfmt::fmt_num(grid.size_km, if grid.size_km < 10.0 { 1 } else { 0 }),
        lat.abs(),
        lon.abs()
    )
}

impl HexGrid {
    /// A lattice of hexes of circumradius `size_km` centred on `(lon0, lat0)`.
    pub fn new(size_km: f64, lon0: f64, lat0: f64) -> Self {
        let kx = KM_PER_DEG_LON * lat0.to_radians().cos().max(0.05);
        Self {
            size_km,
            lon0,
            lat0,
            kx,
        }
    }

    /// Projected `(x, y)` in km of a lon/lat point.
    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.lon0) * self.kx,
            (lat - self.lat0) * KM_PER_DEG_LAT,
        )
    }

    fn unproject(&self, x: f64, y: f64) -> (f64, f64) {
        (self.lon0 + x / self.kx, self.lat0 + y / KM_PER_DEG_LAT)
    }

    /// Axial coordinates `(q, r)` of the hexagon containing a lon/lat point.
    pub fn cell_of(&self, lon: f64, lat: f64) -> Option<(i32, i32)> {
        if !(lon.is_finite() && lat.is_finite()) {
            return None;
        }
        let (x, y) = self.project(lon, lat);
        let s = self.size_km;
        let qf = (3f64.sqrt() / 3.0 * x - y / 3.0) / s;
        let rf = (2.0 / 3.0 * y) / s;
        // Cube rounding (Red Blob Games' hexagon guide).
        let sf = -qf - rf;
        let (mut q, mut r, sr) = (qf.round(), rf.round(), sf.round());
        let (dq, dr, ds) = ((q - qf).abs(), (r - rf).abs(), (sr - sf).abs());
        if dq > dr && dq > ds {
            q = -r - sr;
        } else if dr > ds {
            r = -q - sr;
        }
        if q.abs() > 1e9 || r.abs() > 1e9 {
            return None;
        }
        Some((q as i32, r as i32))
    }

    /// Centre of hexagon `(q, r)` in lon/lat.
    pub fn center(&self, q: i32, r: i32) -> (f64, f64) {
        let h = 3f64.sqrt() / 2.0 * self.size_km;
        let x = h * f64::from(2 * q + r);
        let y = self.size_km / 2.0 * f64::from(3 * r);
        self.unproject(x, y)
    }

    /// The hexagon `(q, r)` as a lon/lat polygon (CCW). Corners come from
    /// integer lattice coordinates so neighbours share them exactly.
    pub fn polygon(&self, q: i32, r: i32) -> Polygon<f64> {
        const D: [(i32, i32); 6] = [(1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2), (1, -1)];
        let h = 3f64.sqrt() / 2.0 * self.size_km;
        let (cx, cy) = (2 * q + r, 3 * r);
        let mut pts: Vec<Coord<f64>> = D
            .iter()
            .map(|(dx, dy)| {
                let (lon, lat) = self.unproject(
                    h * f64::from(cx + dx),
                    self.size_km / 2.0 * f64::from(cy + dy),
                );
                Coord { x: lon, y: lat }
            })
            .collect();
        pts.push(pts[0]);
        Polygon::new(LineString(pts), vec![])
    }

    /// The six neighbours of `(q, r)`.
    pub fn neighbors(q: i32, r: i32) -> [(i32, i32); 6] {
        [
            (q + 1, r),
            (q + 1, r - 1),
            (q, r - 1),
            (q - 1, r),
            (q - 1, r + 1),
            (q, r + 1),
        ]
    }
}

/// How a [`UnitSet`] finds the unit of a point.
#[derive(Clone, Debug)]
enum Locator {
    Hex {
        grid: HexGrid,
        cells: HashMap<(i32, i32), u32>,
    },
    Shapes {
        index: Box<TerritoryIndex>,
    },
    /// Units of [`UnitSet::grouped`]: the base units' locator, then the
    /// group of the base unit.
    Groups {
        base: Box<Locator>,
        group_of: Vec<u32>,
    },
}

impl Locator {
    fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        match self {
            Locator::Hex { grid, cells } => {
                grid.cell_of(lon, lat).and_then(|c| cells.get(&c).copied())
            }
            Locator::Shapes { index } => index.locate(lon, lat).map(|t| t.0),
            Locator::Groups { base, group_of } => base
                .locate(lon, lat)
                .and_then(|u| group_of.get(u as usize).copied()),
        }
    }
}

/// A set of geographic units with their shapes, centroids and adjacency.
#[derive(Clone, Debug)]
pub struct UnitSet {
    /// The layer the units come from.
    pub layer: UnitLayer,
    /// A label per unit (hex `q,r`, county `Name, State`, ZIP code).
    pub labels: Vec<String>,
    /// Shape per unit in lon/lat.
    pub shapes: Vec<MultiPolygon<f64>>,
    /// Representative point per unit (lon, lat).
    pub centroids: Vec<(f64, f64)>,
    adj_start: Vec<u32>,
    adj: Vec<u32>,
    /// Bridge edges added by [`UnitSet::connect_components`].
    pub bridges: usize,
    locator: Locator,
}

impl UnitSet {
    /// Number of units.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// True when there are no units.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Units adjacent to unit `u`.
    pub fn neighbors(&self, u: usize) -> &[u32] {
        &self.adj[self.adj_start[u] as usize..self.adj_start[u + 1] as usize]
    }

    /// The unit containing `(lon, lat)`, if any.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<u32> {
        self.locator.locate(lon, lat)
    }

    /// All hexagons of circumradius `size_km` whose centre lies in the box
    /// `[min_lon, min_lat, max_lon, max_lat]` grown by one hexagon, on a
    /// lattice anchored to fixed world coordinates.
    pub fn hex_grid(size_km: f64, bbox: [f64; 4]) -> Result<Self> {
        if !(size_km.is_finite() && size_km > 0.0) {
            return Err(Error::invalid("the hexagon size must be more than 0 km"));
        }
        if !bbox.iter().all(|v| v.is_finite()) || bbox[0] > bbox[2] || bbox[1] > bbox[3] {
            return Err(Error::invalid(
                "no located accounts or territories to cover",
            ));
        }
        // Anchored to fixed world coordinates (longitude 0 and the plan's
        // latitude on a 0.25° step), not to the box: a plan whose extent
        // changes a little keeps the same hexagons, and their size is exact
        // (within 0.2%) at the plan's latitude.
        let lat0 = ((bbox[1] + bbox[3]) / 2.0 * 4.0).round() / 4.0;
        let grid = HexGrid::new(size_km, 0.0, lat0.clamp(-80.0, 80.0));
        let (x0, y0) = grid.project(bbox[0], bbox[1]);
        let (x1, y1) = grid.project(bbox[2], bbox[3]);
        let est = ((x1 - x0) / size_km + 3.0) * ((y1 - y0) / size_km + 3.0) / 2.0;
        if est > MAX_HEXES as f64 {
            return Err(Error::invalid(format!(
                "hexagons of {size_km} km would need about {est:.0} units; choose a larger size"
            )));
        }
        let h = 3f64.sqrt() * size_km;
        let r0 = (y0 / (1.5 * size_km)).floor() as i32 - 1;
        let r1 = (y1 / (1.5 * size_km)).ceil() as i32 + 1;
        let mut cells = Vec::new();
        for r in r0..=r1 {
            // x = h (q + r/2)  →  q range for this row.
            let q0 = (x0 / h - f64::from(r) / 2.0).floor() as i32 - 1;
            let q1 = (x1 / h - f64::from(r) / 2.0).ceil() as i32 + 1;
            for q in q0..=q1 {
                cells.push((q, r));
            }
        }
        Ok(Self::from_hex_cells(grid, cells))
    }

    fn from_hex_cells(grid: HexGrid, cells: Vec<(i32, i32)>) -> Self {
        let map: HashMap<(i32, i32), u32> = cells
            .iter()
            .enumerate()
            .map(|(i, &c)| (c, i as u32))
            .collect();
        let mut adj_start = vec![0u32];
        let mut adj = Vec::with_capacity(cells.len() * 6);
        for &(q, r) in &cells {
            for n in HexGrid::neighbors(q, r) {
                if let Some(&j) = map.get(&n) {
                    adj.push(j);
                }
            }
            adj_start.push(adj.len() as u32);
        }
        Self {
            layer: UnitLayer::Hex {
                size_km: grid.size_km,
            },
            labels: cells.iter().map(|&(q, r)| hex_label(&grid, q, r)).collect(),
            shapes: cells
                .iter()
                .map(|&(q, r)| MultiPolygon(vec![grid.polygon(q, r)]))
                .collect(),
            centroids: cells.iter().map(|&(q, r)| grid.center(q, r)).collect(),
            adj_start,
            adj,
            bridges: 0,
            locator: Locator::Hex { grid, cells: map },
        }
    }

    /// The bundled US counties (loaded and their adjacency computed once).
    pub fn counties() -> Result<Self> {
        static CACHE: OnceLock<std::result::Result<UnitSet, String>> = OnceLock::new();
        CACHE
            .get_or_init(|| load_counties().map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::invalid)
    }

    /// The bundled US states (loaded and their adjacency computed once).
    pub fn states() -> Result<Self> {
        static CACHE: OnceLock<std::result::Result<UnitSet, String>> = OnceLock::new();
        CACHE
            .get_or_init(|| load_states().map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::invalid)
    }

    /// The units of `layer` covering `bbox` (`[min_lon, min_lat, max_lon,
    /// max_lat]`; the bundled states and counties ignore it).
    pub fn for_layer(layer: &UnitLayer, bbox: [f64; 4]) -> Result<Self> {
        match layer {
            UnitLayer::Hex { size_km } => Self::hex_grid(*size_km, bbox),
            UnitLayer::States => Self::states(),
            UnitLayer::Counties => Self::counties(),
            UnitLayer::Zips => Self::zip_areas(bbox),
            UnitLayer::Provinces(c) => provinces::provinces(*c),
        }
    }

    /// ZIP areas: Voronoi cells of the bundled ZIP centroids inside `bbox`
    /// (grown by half a degree), clipped to that box.
    pub fn zip_areas(bbox: [f64; 4]) -> Result<Self> {
        use geo::{TriangulateDelaunayUnconstrained, Voronoi, VoronoiClip, VoronoiParams};
        if !bbox.iter().all(|v| v.is_finite()) || bbox[0] > bbox[2] || bbox[1] > bbox[3] {
            return Err(Error::invalid(
                "no located accounts or territories to cover",
            ));
        }
        let b = [bbox[0] - 0.5, bbox[1] - 0.5, bbox[2] + 0.5, bbox[3] + 0.5];
        let mut seen = HashMap::new();
        let mut sites: Vec<(&'static str, f64, f64)> = Vec::new();
        for e in crate::core::geocode::zips::zip_table().iter() {
            if e.lon >= b[0] && e.lon <= b[2] && e.lat >= b[1] && e.lat <= b[3] {
                // Several ZIPs can share a centroid: keep the first.
                if seen
                    .insert((e.lon.to_bits(), e.lat.to_bits()), ())
                    .is_none()
                {
                    sites.push((e.zip, e.lon, e.lat));
                }
            }
        }
        if sites.len() < 3 {
            return Err(Error::invalid(
                "fewer than three ZIP centroids in the plan's extent: use hexagons",
            ));
        }
        let mp = geo::MultiPoint(
            sites
                .iter()
                .map(|&(_, x, y)| geo::Point::new(x, y))
                .collect(),
        );
        let clip =
            geo::Rect::new(Coord { x: b[0], y: b[1] }, Coord { x: b[2], y: b[3] }).to_polygon();
        let cells = mp
            .voronoi_cells_with_params(VoronoiParams::new().clip(VoronoiClip::Polygon(&clip)))
            .map_err(|e| Error::invalid(format!("ZIP areas: {e:?}")))?;
        // Match cells to sites by containment (the cell order is not promised).
        let cells: Vec<MultiPolygon<f64>> =
            cells.into_iter().map(|c| MultiPolygon(vec![c])).collect();
        let cell_index = build_index(&cells);
        let mut shapes = Vec::with_capacity(sites.len());
        let mut keep_sites = Vec::with_capacity(sites.len());
        for &(zip, x, y) in &sites {
            if let Some(c) = cell_index.locate(x, y) {
                shapes.push(cells[c.0 as usize].clone());
                keep_sites.push((zip, x, y));
            }
        }
        let pos: HashMap<(u64, u64), u32> = keep_sites
            .iter()
            .enumerate()
            .map(|(i, &(_, x, y))| ((x.to_bits(), y.to_bits()), i as u32))
            .collect();
        let mut pairs = Vec::new();
        let kept = geo::MultiPoint(
            keep_sites
                .iter()
                .map(|&(_, x, y)| geo::Point::new(x, y))
                .collect(),
        );
        let tris = kept
            .unconstrained_triangulation()
            .map_err(|e| Error::invalid(format!("ZIP areas: {e:?}")))?;
        for t in tris {
            let v: Vec<Option<u32>> = t
                .to_array()
                .iter()
                .map(|c| pos.get(&(c.x.to_bits(), c.y.to_bits())).copied())
                .collect();
            for (a, b) in [(0, 1), (1, 2), (2, 0)] {
                if let (Some(a), Some(b)) = (v[a], v[b]) {
                    pairs.push((a, b));
                }
            }
        }
        let n = shapes.len();
        let (adj_start, adj) = csr(n, pairs);
        let index = build_index(&shapes);
        Ok(Self {
            layer: UnitLayer::Zips,
            labels: keep_sites.iter().map(|s| s.0.to_string()).collect(),
            centroids: keep_sites.iter().map(|&(_, x, y)| (x, y)).collect(),
            shapes,
            adj_start,
            adj,
            bridges: 0,
            locator: Locator::Shapes {
                index: Box::new(index),
            },
        })
    }

    /// The units where `keep` is true, renumbered in order; adjacency among
    /// kept units is kept.
    pub fn subset(&self, keep: &[bool]) -> Self {
        let mut new_id = vec![u32::MAX; self.len()];
        let mut n = 0u32;
        for (u, k) in keep.iter().enumerate().take(self.len()) {
            if *k {
                new_id[u] = n;
                n += 1;
            }
        }
        let olds: Vec<usize> = (0..self.len()).filter(|&u| new_id[u] != u32::MAX).collect();
        let mut adj_start = vec![0u32];
        let mut adj = Vec::new();
        for &u in &olds {
            adj.extend(
                self.neighbors(u)
                    .iter()
                    .map(|&v| new_id[v as usize])
                    .filter(|&v| v != u32::MAX),
            );
            adj_start.push(adj.len() as u32);
        }
        let shapes: Vec<MultiPolygon<f64>> = olds.iter().map(|&u| self.shapes[u].clone()).collect();
        let locator = match &self.locator {
            Locator::Hex { grid, cells } => Locator::Hex {
                grid: *grid,
                cells: cells
                    .iter()
                    .filter(|(_, u)| new_id[**u as usize] != u32::MAX)
                    .map(|(c, u)| (*c, new_id[*u as usize]))
                    .collect(),
            },
            Locator::Shapes { .. } | Locator::Groups { .. } => Locator::Shapes {
                index: Box::new(build_index(&shapes)),
            },
        };
        Self {
            layer: self.layer.clone(),
            labels: olds.iter().map(|&u| self.labels[u].clone()).collect(),
            centroids: olds.iter().map(|&u| self.centroids[u]).collect(),
            shapes,
            adj_start,
            adj,
            bridges: self.bridges,
            locator,
        }
    }

    /// Groups of units as units of their own: unit `u` belongs to group
    /// `group_of[u]` (`< n_groups`, every group non-empty and connected).
    /// A group's shape is its members' polygons, its centroid that of its
    /// member `rep[g]`; groups are adjacent when members are.
    pub fn grouped(&self, group_of: &[u32], n_groups: usize, rep: &[u32]) -> Self {
        let mut shapes = vec![MultiPolygon(Vec::new()); n_groups];
        let mut pairs = Vec::new();
        for u in 0..self.len() {
            let g = group_of[u];
            shapes[g as usize]
                .0
                .extend(self.shapes[u].0.iter().cloned());
            for &v in self.neighbors(u) {
                let h = group_of[v as usize];
                if h != g {
                    pairs.push((g.min(h), g.max(h)));
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let (adj_start, adj) = csr(n_groups, pairs);
        Self {
            layer: self.layer.clone(),
            labels: rep
                .iter()
                .map(|&u| self.labels[u as usize].clone())
                .collect(),
            centroids: rep.iter().map(|&u| self.centroids[u as usize]).collect(),
            shapes,
            adj_start,
            adj,
            bridges: self.bridges,
            locator: Locator::Groups {
                base: Box::new(self.locator.clone()),
                group_of: group_of.to_vec(),
            },
        }
    }

    /// Connected components: a component id per unit, and the count.
    pub fn components(&self) -> (Vec<u32>, usize) {
        let n = self.len();
        let mut comp = vec![u32::MAX; n];
        let mut count = 0;
        let mut stack = Vec::new();
        for s in 0..n {
            if comp[s] != u32::MAX {
                continue;
            }
            comp[s] = count as u32;
            stack.push(s);
            while let Some(u) = stack.pop() {
                for &v in self.neighbors(u) {
                    if comp[v as usize] == u32::MAX {
                        comp[v as usize] = count as u32;
                        stack.push(v as usize);
                    }
                }
            }
            count += 1;
        }
        (comp, count)
    }

    /// Makes the graph connected by joining every component to the nearest
    /// unit (by centroid) of another component, repeatedly. Returns the
    /// number of bridge edges added.
    pub fn connect_components(&mut self) -> usize {
        let mut added = 0;
        loop {
            let (comp, count) = self.components();
            if count <= 1 {
                break;
            }
            let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
                self.centroids
                    .iter()
                    .enumerate()
                    .map(|(i, &(x, y))| GeomWithData::new([x, y], i as u32))
                    .collect(),
            );
            // For each component but the largest, its shortest link to
            // another one. A unit's `size` nearest units include one of
            // another component, so a capped search suffices for small
            // components; large ones search from their rim (units with
            // fewer neighbours than the most connected unit) without cap.
            // The largest component needs no search: every other one links.
            let mut size = vec![0usize; count];
            for &c in &comp {
                size[c as usize] += 1;
            }
            let largest = (0..count)
                .max_by_key(|&c| (size[c], usize::MAX - c))
                .unwrap_or(0);
            let max_degree = (0..self.len())
                .map(|u| self.neighbors(u).len())
                .max()
                .unwrap_or(0);
            let mut best: Vec<Option<(f64, u32, u32)>> = vec![None; count];
            for (u, &(x, y)) in self.centroids.iter().enumerate() {
                let c = comp[u] as usize;
                if c == largest {
                    continue;
                }
                let rim = self.neighbors(u).len() < max_degree;
                if size[c] > 64 && !rim {
                    continue;
                }
                let cap = if size[c] > 64 {
                    usize::MAX
                } else {
                    size[c] + 1
                };
                if let Some(nn) = tree
                    .nearest_neighbor_iter_with_distance_2(&[x, y])
                    .take(cap)
                    .find(|(p, _)| comp[p.data as usize] as usize != c)
                {
                    let d = nn.1;
                    if best[c].is_none_or(|b| d < b.0) {
                        best[c] = Some((d, u as u32, nn.0.data));
                    }
                }
            }
            // Components without a rim unit (rare): search them all.
            for (u, &(x, y)) in self.centroids.iter().enumerate() {
                let c = comp[u] as usize;
                if c == largest || best[c].is_some() || size[c] <= 64 {
                    continue;
                }
                if let Some(nn) = tree
                    .nearest_neighbor_iter_with_distance_2(&[x, y])
                    .find(|(p, _)| comp[p.data as usize] as usize != c)
                {
                    best[c] = Some((nn.1, u as u32, nn.0.data));
                }
            }
            let mut pairs: Vec<(u32, u32)> = best
                .iter()
                .flatten()
                .map(|b| (b.1.min(b.2), b.1.max(b.2)))
                .collect();
            pairs.sort_unstable();
            pairs.dedup();
            let new_links = pairs.len();
            for u in 0..self.len() {
                for &v in self.neighbors(u) {
                    pairs.push((u as u32, v));
                }
            }
            added += new_links;
            (self.adj_start, self.adj) = csr(self.len(), pairs);
        }
        self.bridges += added;
        added
    }

    /// True when the units in `members` form one connected piece of the
    /// graph (an empty or single-unit set counts as connected).
    pub fn is_connected(&self, members: &[u32]) -> bool {
        let Some(&first) = members.first() else {
            return true;
        };
        let mut inside = HashMap::with_capacity(members.len());
        for &m in members {
            inside.insert(m, false);
        }
        inside.insert(first, true);
        let mut stack = vec![first];
        let mut seen = 1;
        while let Some(u) = stack.pop() {
            for &v in self.neighbors(u as usize) {
                if let Some(s) = inside.get_mut(&v)
                    && !*s
                {
                    *s = true;
                    seen += 1;
                    stack.push(v);
                }
            }
        }
        seen == inside.len()
    }
}

/// Undirected CSR adjacency from a list of pairs (duplicates and loops
/// dropped).
fn csr(n: usize, pairs: Vec<(u32, u32)>) -> (Vec<u32>, Vec<u32>) {
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (a, b) in pairs {
        if a != b && (a as usize) < n && (b as usize) < n {
            lists[a as usize].push(b);
            lists[b as usize].push(a);
        }
    }
    let mut start = vec![0u32];
    let mut adj = Vec::new();
    for mut l in lists {
        l.sort_unstable();
        l.dedup();
        adj.extend(l);
        start.push(adj.len() as u32);
    }
    (start, adj)
}

pub(crate) fn build_index(shapes: &[MultiPolygon<f64>]) -> TerritoryIndex {
    TerritoryIndex::build(
        shapes
            .iter()
            .enumerate()
            .map(|(i, s)| (TerritoryId(i as u32), 0, s)),
    )
}

/// Rook adjacency of polygons that share exact vertices: two units are
/// adjacent when they share at least two vertices (a boundary segment).
fn shared_vertex_adjacency(shapes: &[MultiPolygon<f64>]) -> Vec<(u32, u32)> {
    let mut owners: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for (u, s) in shapes.iter().enumerate() {
        for p in s {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for c in &ring.0 {
                    // Quantised to 1e-7°: the files are rounded to 1e-4°.
                    let key = ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64);
                    let v = owners.entry(key).or_default();
                    if v.last() != Some(&(u as u32)) {
                        v.push(u as u32);
                    }
                }
            }
        }
    }
    let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
    for v in owners.values() {
        for i in 0..v.len() {
            for j in i + 1..v.len() {
                let k = (v[i].min(v[j]), v[i].max(v[j]));
                *shared.entry(k).or_default() += 1;
            }
        }
    }
    shared
        .into_iter()
        .filter(|&(_, n)| n >= 2)
        .map(|(k, _)| k)
        .collect()
}

fn load_states() -> Result<UnitSet> {
    let path = crate::core::assets::dir().join("us-states.geojson");
    let (states, _) = crate::core::import::territories::import_territories(&path, "name")?;
    let mut labels = Vec::new();
    let mut shapes = Vec::new();
    let mut centroids = Vec::new();
    for s in states {
        let Some(pt) = s.geometry.centroid() else {
            continue;
        };
        labels.push(s.name);
        centroids.push((pt.x(), pt.y()));
        shapes.push(s.geometry);
    }
    Ok(shape_units(UnitLayer::States, labels, shapes, centroids))
}

fn load_counties() -> Result<UnitSet> {
    let path = crate::core::assets::dir().join("us-counties.geojson");
    let (counties, _) = crate::core::import::territories::import_territories(&path, "fips")?;
    let mut labels = Vec::new();
    let mut shapes = Vec::new();
    let mut centroids = Vec::new();
    for c in counties {
        // Falls Church has zero area: no centroid, no unit.
        let Some(pt) = c.geometry.centroid() else {
            continue;
        };
        if c.geometry.bounding_rect().is_none() {
            continue;
        }
        let name = c
            .properties
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let state = c
            .properties
            .get("state")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        labels.push(format!("{name}, {state} ({})", c.name));
        centroids.push((pt.x(), pt.y()));
        shapes.push(c.geometry);
    }
    Ok(shape_units(UnitLayer::Counties, labels, shapes, centroids))
}

/// A unit set of polygon units (states, counties): adjacency from shared
/// vertices, and a point locator over the shapes.
pub(crate) fn shape_units(
    layer: UnitLayer,
    labels: Vec<String>,
    shapes: Vec<MultiPolygon<f64>>,
    centroids: Vec<(f64, f64)>,
) -> UnitSet {
    let (adj_start, adj) = csr(shapes.len(), shared_vertex_adjacency(&shapes));
    let index = build_index(&shapes);
    UnitSet {
        layer,
        labels,
        shapes,
        centroids,
        adj_start,
        adj,
        bridges: 0,
        locator: Locator::Shapes {
            index: Box::new(index),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, Contains};

    #[test]
    fn hexagons_are_named_by_centre_and_size() {
        let set = UnitSet::hex_grid(25.0, [-98.0, 38.0, -97.0, 39.0]).expect("grid");
        let i = set.locate(-97.5, 38.5).expect("a hexagon there") as usize;
        let label = &set.labels[i];
        assert!(label.starts_with("Hexagon 25 km, centre 38."), "{label}");
        assert!(label.ends_with("° W"), "{label}");
    }

    #[test]
    fn hex_cell_of_is_the_containing_hexagon() {
        let g = HexGrid::new(10.0, -100.0, 40.0);
        for i in 0..500 {
            let lon = -101.0 + (i as f64 * 0.6180339).fract() * 2.0;
            let lat = 39.0 + (i as f64 * 0.4142135).fract() * 2.0;
            let (q, r) = g.cell_of(lon, lat).unwrap();
            assert!(g.polygon(q, r).contains(&geo::Point::new(lon, lat)));
        }
    }

    #[test]
    fn hexes_tile_without_overlap() {
        let set = UnitSet::hex_grid(20.0, [-100.0, 40.0, -99.0, 41.0]).unwrap();
        let sum: f64 = set.shapes.iter().map(|s| s.unsigned_area()).sum();
        let union = geo::unary_union(set.shapes.iter());
        assert!((union.unsigned_area() - sum).abs() < 1e-9 * sum.max(1.0));
        // Neighbours share an edge and do not overlap.
        for u in 0..set.len() {
            assert!(set.neighbors(u).len() <= 6);
            for &v in set.neighbors(u) {
                let i = set.shapes[u].intersection(&set.shapes[v as usize]);
                assert!(i.unsigned_area() < 1e-12);
            }
        }
        assert_eq!(set.components().1, 1);
    }

    #[test]
    fn subset_and_bridges_connect_islands() {
        let set = UnitSet::hex_grid(20.0, [-100.0, 40.0, -98.0, 41.0]).unwrap();
        // Keep two far apart hexes only.
        let mut keep = vec![false; set.len()];
        keep[0] = true;
        keep[set.len() - 1] = true;
        let mut sub = set.subset(&keep);
        assert_eq!(sub.len(), 2);
        assert_eq!(sub.components().1, 2);
        assert_eq!(sub.connect_components(), 1);
        assert!(sub.is_connected(&[0, 1]));
        let (x, y) = sub.centroids[1];
        assert_eq!(sub.locate(x, y), Some(1));
    }

    #[test]
    fn states_are_located_and_adjacent() {
        let set = UnitSet::states().unwrap();
        assert!(set.len() >= 50, "{} states", set.len());
        let texas = set.locate(-99.0, 31.0).expect("a state at Texas");
        assert_eq!(set.labels[texas as usize], "Texas");
        let nm = set.locate(-106.0, 34.5).expect("New Mexico");
        assert!(set.neighbors(texas as usize).contains(&nm));
        assert_eq!(set.locate(-40.0, 30.0), None, "mid-Atlantic");
        let same = UnitSet::for_layer(&UnitLayer::States, [0.0; 4]).unwrap();
        assert_eq!(same.len(), set.len());
    }

    #[test]
    fn bad_hex_sizes_are_errors() {
        assert!(UnitSet::hex_grid(0.0, [0.0, 0.0, 1.0, 1.0]).is_err());
        assert!(UnitSet::hex_grid(0.001, [-120.0, 20.0, -60.0, 50.0]).is_err());
        assert!(UnitSet::hex_grid(10.0, [f64::NAN, 0.0, 1.0, 1.0]).is_err());
    }
}
