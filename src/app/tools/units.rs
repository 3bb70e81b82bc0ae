//! The unit layer of the Paint tool: which units (US states, counties, ZIP
//! areas, hexagons), loaded on a worker thread (the ZIP Voronoi cells of a
//! country take a while), with their outlines prepared for drawing.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use egui::{Color32, Painter, Pos2, Stroke};

use crate::app::map::geom::{Geom, GeomBuilder, push_outlines};
use crate::app::map::proj::{ViewTransform, boxes_touch, mercator};
use crate::core::Workspace;
use crate::core::units::{UnitLayer, UnitSet};

/// Units ready to paint with.
pub struct LoadedUnits {
    /// The units.
    pub set: UnitSet,
    /// Their outlines, one drawable per unit.
    pub outlines: Vec<Geom>,
    key: (UnitLayer, usize),
}

impl LoadedUnits {
    /// The unit at screen point `p`, if any.
    pub fn unit_at(&self, view: &ViewTransform, p: Pos2) -> Option<u32> {
        let (lon, lat) = view.to_lon_lat(p);
        self.set.locate(lon, lat)
    }

    /// Paints the outlines of the units in view (too small ones skipped),
    /// and `hover` thicker.
    pub fn paint(&self, painter: &Painter, view: &ViewTransform, hover: Option<u32>) {
        let vb = view.world_bounds(4.0);
        let mut shapes = Vec::new();
        let mut screen = Vec::new();
        let stroke = Stroke::new(1.0, Color32::from_rgba_unmultiplied(40, 40, 60, 150));
        for g in &self.outlines {
            if g.is_empty() || !boxes_touch(&g.bbox, &vb) {
                continue;
            }
            let size = view.screen_size(&g.bbox);
            if size.x.max(size.y) < 5.0 {
                continue;
            }
            g.to_screen(view, &mut screen);
            push_outlines(&mut shapes, g, &screen, stroke, 1.2, &view.rect);
        }
        if let Some(g) = hover.and_then(|u| self.outlines.get(u as usize)) {
            g.to_screen(view, &mut screen);
            let halo = Stroke::new(4.5, Color32::from_black_alpha(90));
            push_outlines(&mut shapes, g, &screen, halo, 0.75, &view.rect);
            let s = Stroke::new(2.5, Color32::WHITE);
            push_outlines(&mut shapes, g, &screen, s, 0.75, &view.rect);
        }
        painter.extend(shapes);
    }
}

type Pending = (UnitLayer, usize, Receiver<Result<LoadedUnits, String>>);

/// The chosen unit layer and its loaded units.
pub struct UnitPicker {
    /// The layer chosen in the toolbar.
    pub layer: UnitLayer,
    loaded: Option<Arc<LoadedUnits>>,
    pending: Option<Pending>,
    /// Why the layer could not be loaded.
    pub error: Option<String>,
    /// The layers that fit the plan's accounts, with the accounts each
    /// covers, and the account table they were found for.
    offered: Option<(usize, Vec<(UnitLayer, usize)>)>,
}

impl Default for UnitPicker {
    fn default() -> Self {
        Self {
            layer: UnitLayer::Counties,
            loaded: None,
            pending: None,
            error: None,
            offered: None,
        }
    }
}

/// Which plan a hexagon grid or ZIP area set was made for: they cover the
/// plan's extent, so another plan needs its own.
fn plan_key(layer: &UnitLayer, ws: &Workspace) -> usize {
    match layer {
        UnitLayer::States | UnitLayer::Counties => 0,
        _ => ws.project().accounts.lon.as_ptr() as usize ^ ws.project().accounts.len(),
    }
}

/// `[min_lon, min_lat, max_lon, max_lat]` of the located accounts and the
/// territories.
pub fn plan_extent(ws: &Workspace) -> [f64; 4] {
    let p = ws.project();
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let a = &p.accounts;
    for i in 0..a.len() {
        if a.is_located(i) && !a.removed[i] {
            b = [
                b[0].min(a.lon[i]),
                b[1].min(a.lat[i]),
                b[2].max(a.lon[i]),
                b[3].max(a.lat[i]),
            ];
        }
    }
    for t in &p.territories {
        if let Some(r) = crate::core::geometry::bbox(&t.geometry) {
            b = [
                b[0].min(r.min().x),
                b[1].min(r.min().y),
                b[2].max(r.max().x),
                b[3].max(r.max().y),
            ];
        }
    }
    b
}

fn load(layer: UnitLayer, extent: [f64; 4], key: usize) -> Result<LoadedUnits, String> {
    let set = UnitSet::for_layer(&layer, extent).map_err(|e| e.to_string())?;
    let outlines = set
        .shapes
        .iter()
        .map(|shape| {
            let mut b = GeomBuilder::new();
            for poly in shape {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    let pts: Vec<[f64; 2]> = ring.0.iter().map(|c| mercator(c.x, c.y)).collect();
                    b.add_line(&pts, true);
                }
            }
            b.build()
        })
        .collect();
    Ok(LoadedUnits {
        set,
        outlines,
        key: (layer, key),
    })
}

impl UnitPicker {
    /// The units of the chosen layer for `ws`, or `None` while they load
    /// (loading starts here; the window is woken when they are ready).
    pub fn get(&mut self, ws: &Workspace, ctx: &egui::Context) -> Option<Arc<LoadedUnits>> {
        let key = plan_key(&self.layer, ws);
        let want = (self.layer.clone(), key);
        self.poll();
        if let Some(l) = &self.loaded
            && l.key == want
        {
            return Some(l.clone());
        }
        let busy = self
            .pending
            .as_ref()
            .is_some_and(|(layer, k, _)| (layer.clone(), *k) == want);
        if !busy && self.error.is_none() {
            let (tx, rx) = channel();
            let layer = self.layer.clone();
            let extent = plan_extent(ws);
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let _ = tx.send(load(layer, extent, key));
                ctx.request_repaint();
            });
            self.pending = Some((self.layer.clone(), key, rx));
        }
        None
    }

    /// The layers that fit the countries of `ws`'s accounts, each with how
    /// many accounts it covers (see [`crate::core::regions::unit_layers`]),
    /// found once per account table. A chosen layer that does not fit
    /// (US counties for a German plan) gives way to the first that does.
    pub fn offered(&mut self, ws: &Workspace) -> &[(UnitLayer, usize)] {
        use crate::core::regions::{plan_countries, unit_layers};
        let key = plan_key(&UnitLayer::Zips, ws);
        if self.offered.as_ref().is_none_or(|(k, _)| *k != key) {
            let hex_km = match self.layer {
                UnitLayer::Hex { size_km } => size_km,
                _ => 25.0,
            };
            let layers = unit_layers(&plan_countries(ws.project()), hex_km);
            let fits = layers.iter().any(|(l, _)| {
                l == &self.layer
                    || matches!(
                        (l, &self.layer),
                        (UnitLayer::Hex { .. }, UnitLayer::Hex { .. })
                    )
            });
            if !fits && let Some((first, _)) = layers.first() {
                self.set_layer(first.clone());
            }
            self.offered = Some((key, layers));
        }
        self.offered.as_ref().map_or(&[], |(_, l)| l.as_slice())
    }

    /// Chooses another layer (loaded when next needed).
    pub fn set_layer(&mut self, layer: UnitLayer) {
        if layer != self.layer {
            self.layer = layer;
            self.error = None;
        }
    }

    /// True while units are being loaded.
    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Waits up to `timeout` for the units being loaded (tests).
    pub fn wait(&mut self, timeout: Duration) -> bool {
        if let Some((_, _, rx)) = &self.pending {
            match rx.recv_timeout(timeout) {
                Ok(r) => {
                    self.pending = None;
                    self.take(r);
                }
                Err(_) => return false,
            }
        }
        true
    }

    fn poll(&mut self) {
        let Some((_, _, rx)) = &self.pending else {
            return;
        };
        match rx.try_recv() {
            Ok(r) => {
                self.pending = None;
                self.take(r);
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.pending = None;
                self.error = Some("loading the units failed".into());
            }
        }
    }

    fn take(&mut self, r: Result<LoadedUnits, String>) {
        match r {
            Ok(l) if l.key.0 == self.layer => {
                self.loaded = Some(Arc::new(l));
                self.error = None;
            }
            Ok(_) => {} // a layer chosen before: drop it
            Err(e) => self.error = Some(format!("{}: {e}", self.layer)),
        }
    }
}
