//! Drive time on the map: drive-time rings (nested, translucent, the
//! smallest darkest) and the drive line of an account's hover card.

use std::collections::HashMap;
use std::sync::Arc;

use egui::{Color32, Mesh, Shape, Stroke};

use super::geom::{Geom, geom_from_lon_lat, push_fill, push_outlines};
use super::proj::ViewTransform;
use crate::core::Workspace;
use crate::core::drive::home_of;
use crate::core::model::RepId;
use crate::core::render::DistanceUnit;
use crate::core::travel::{DriveFigures, Isochrones, Router};

/// Ring colour: an orange no territory palette colour uses at this
/// opacity, so rings read as an overlay.
pub const RING_COLOR: Color32 = Color32::from_rgb(234, 88, 12);

/// What the map knows of drive time.
#[derive(Default)]
pub struct DriveLayer {
    /// The loaded network (hover cards), once the figures are computed.
    router: Option<Router>,
    /// Every rep's figures (home hover cards).
    reps: HashMap<RepId, DriveFigures>,
    /// Rings shown and their drawable shapes (largest first).
    rings: Option<(Arc<Isochrones>, Vec<Geom>)>,
}

impl DriveLayer {
    /// Sets the router and the reps' figures.
    pub fn set(&mut self, router: Option<Router>, reps: HashMap<RepId, DriveFigures>) {
        self.router = router;
        self.reps = reps;
    }

    /// A rep's figures.
    pub fn rep(&self, id: RepId) -> Option<DriveFigures> {
        self.reps.get(&id).copied()
    }

    /// Shows `rings` (or none).
    pub fn set_rings(&mut self, rings: Option<Arc<Isochrones>>) {
        self.rings = rings.map(|iso| {
            let geoms = iso
                .rings
                .iter()
                .rev()
                .map(|r| geom_from_lon_lat(&r.area))
                .collect();
            (iso, geoms)
        });
    }

    /// The rings shown.
    pub fn rings(&self) -> Option<&Arc<Isochrones>> {
        self.rings.as_ref().map(|(r, _)| r)
    }

    /// Paints the rings: each translucent, so where they overlap (nearer
    /// the start) the colour deepens; outlined, with the start marked.
    pub fn paint_rings(&self, painter: &egui::Painter, view: &ViewTransform) {
        let Some((iso, geoms)) = &self.rings else {
            return;
        };
        let mut screen = Vec::new();
        let mut mesh = Mesh::default();
        let mut lines = Vec::new();
        let clip = painter.clip_rect();
        let stroke = Stroke::new(1.5, RING_COLOR.gamma_multiply(0.9));
        for g in geoms {
            g.to_screen(view, &mut screen);
            push_fill(&mut mesh, g, &screen, RING_COLOR.gamma_multiply(0.18));
            push_outlines(&mut lines, g, &screen, stroke, 1.5, &clip);
        }
        painter.add(Shape::mesh(mesh));
        painter.extend(lines);
        let p = view.to_screen(super::proj::mercator(iso.from.0, iso.from.1));
        painter.circle(p, 5.0, RING_COLOR, Stroke::new(1.5, Color32::WHITE));
    }

    /// "Drive from Ann's home: 42 min, 51 km" for account `i`, from the home
    /// its territory is driven from; `None` without a home or a network.
    pub fn account_line(&self, ws: &Workspace, i: usize, units: DistanceUnit) -> Option<String> {
        let router = self.router.as_ref()?;
        let p = ws.project();
        let a = &p.accounts;
        if i >= a.len() || !a.is_located(i) {
            return None;
        }
        let t = ws.engine().territory_of(i)?;
        let home = home_of(p, t)?;
        let who = p.reps.iter().find(|r| r.home == Some(home)).map_or_else(
            || "the rep's home".to_owned(),
            |r| format!("{}'s home", r.name),
        );
        let trip = router.trip(home, (a.lon[i], a.lat[i]));
        let km = units.length_from_km(trip.road_km);
        let how = match trip.via {
            crate::core::travel::Via::Road => "",
            crate::core::travel::Via::Straight => " (straight line × detour)",
        };
        Some(format!(
            "Drive from {who}: {}, {km:.0} {}{how}",
            crate::app::fmt::minutes(trip.minutes),
            units.label()
        ))
    }
}
