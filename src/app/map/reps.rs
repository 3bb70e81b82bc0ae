//! Rep home bases on the map: a house-shaped marker with the rep's name,
//! and a tooltip with their load against capacity and travel distances.

use egui::{Align2, Color32, FontId, Pos2, Shape, Stroke, vec2};

use super::proj::{ViewTransform, mercator};
use crate::core::Workspace;
use crate::core::model::{Capacity, RepId};
use crate::core::reps::RepMetrics;

/// Marker fill: a dark violet that no territory palette colour or account
/// dot uses, so homes never read as accounts.
pub const HOME_FILL: Color32 = Color32::from_rgb(76, 29, 149);

/// Candidate home fill (the Capacity window): a teal no territory palette
/// colour or account dot uses, unlike the violet of real homes.
pub const CANDIDATE_FILL: Color32 = Color32::from_rgb(13, 148, 136);

/// Paints candidate home bases `(lon, lat)` as numbered diamonds, so they
/// read as proposals beside the house markers of real reps' homes.
pub fn paint_candidates(painter: &egui::Painter, view: &ViewTransform, homes: &[(f64, f64)]) {
    let font = FontId::proportional(11.0);
    for (k, &(lon, lat)) in homes.iter().enumerate() {
        if !(lon.is_finite() && lat.is_finite()) {
            continue;
        }
        let p = view.to_screen(mercator(lon, lat));
        if !view.rect.expand(20.0).contains(p) {
            continue;
        }
        let s = 10.0;
        let diamond = vec![
            p + vec2(0.0, -s),
            p + vec2(s, 0.0),
            p + vec2(0.0, s),
            p + vec2(-s, 0.0),
        ];
        painter.circle_filled(p, s * 1.3, Color32::from_black_alpha(50));
        painter.add(Shape::convex_polygon(
            diamond,
            CANDIDATE_FILL,
            Stroke::new(1.5, Color32::WHITE),
        ));
        painter.text(
            p,
            Align2::CENTER_CENTER,
            (k + 1).to_string(),
            font.clone(),
            Color32::WHITE,
        );
    }
}

/// How close (screen points) the pointer must be to hover a home.
const HIT_RADIUS: f32 = 11.0;

/// Screen positions of the reps that have a home, in rep order.
pub fn home_positions(ws: &Workspace, view: &ViewTransform) -> Vec<(RepId, Pos2)> {
    ws.project()
        .reps
        .iter()
        .filter_map(|r| {
            let (lon, lat) = r.home?;
            (lon.is_finite() && lat.is_finite()).then(|| (r.id, view.to_screen(mercator(lon, lat))))
        })
        .collect()
}

/// The rep whose home is under `p`, if any (the nearest one).
pub fn home_at(homes: &[(RepId, Pos2)], p: Pos2) -> Option<RepId> {
    homes
        .iter()
        .map(|(id, q)| (*id, q.distance(p)))
        .filter(|(_, d)| *d <= HIT_RADIUS)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| id)
}

/// Paints every home marker (a house: square body, triangular roof) with
/// the rep's name beside it; `hovered` is drawn larger.
pub fn paint_homes(
    painter: &egui::Painter,
    view: &ViewTransform,
    ws: &Workspace,
    homes: &[(RepId, Pos2)],
    hovered: Option<RepId>,
) {
    let font = FontId::proportional(12.0);
    let mut placed: Vec<egui::Rect> = Vec::new();
    for (id, p) in homes {
        if !view.rect.expand(40.0).contains(*p) {
            continue;
        }
        let s = if hovered == Some(*id) { 9.0 } else { 7.0 };
        let outline = Stroke::new(1.5, Color32::WHITE);
        let body = egui::Rect::from_min_max(*p + vec2(-s * 0.8, -s * 0.2), *p + vec2(s * 0.8, s));
        let roof = vec![
            *p + vec2(-s * 1.15, -s * 0.15),
            *p + vec2(0.0, -s * 1.2),
            *p + vec2(s * 1.15, -s * 0.15),
        ];
        // A dark halo first so the white outline shows on light basemaps.
        painter.circle_filled(*p, s * 1.5, Color32::from_black_alpha(60));
        painter.add(Shape::convex_polygon(roof, HOME_FILL, outline));
        painter.rect(body, 1.0, HOME_FILL, outline, egui::StrokeKind::Outside);
        let Some(rep) = ws.project().rep(*id) else {
            continue;
        };
        let at = *p + vec2(s * 1.4, 0.0);
        let galley = painter.layout_no_wrap(rep.name.clone(), font.clone(), HOME_FILL);
        let rect = Align2::LEFT_CENTER.anchor_size(at, galley.size());
        // Names that would overprint an earlier one are left out (the
        // marker and its hover card still tell who lives there).
        if hovered != Some(*id) && placed.iter().any(|r: &egui::Rect| r.intersects(rect)) {
            continue;
        }
        placed.push(rect);
        // White halo behind the text keeps it legible on any fill.
        for d in [
            vec2(-1.0, 0.0),
            vec2(1.0, 0.0),
            vec2(0.0, -1.0),
            vec2(0.0, 1.0),
        ] {
            painter.galley_with_override_text_color(rect.min + d, galley.clone(), Color32::WHITE);
        }
        painter.galley(rect.min, galley, HOME_FILL);
    }
}

/// "Load" text: accounts or hours against capacity, with the percentage.
pub fn load_text(m: &RepMetrics) -> String {
    let pct = m.load_pct.map_or(String::new(), |l| format!(" ({l:.0}%)"));
    match m.capacity {
        Some(Capacity::Accounts(c)) => format!("{} of {c} accounts{pct}", m.accounts),
        Some(Capacity::Hours(h)) => format!(
            "{:.0} of {h:.0} hours{pct}",
            m.workload_hours.unwrap_or(0.0)
        ),
        None => match m.workload_hours {
            Some(w) => format!("{} accounts, {w:.0} hours (no capacity set)", m.accounts),
            None => format!("{} accounts (no capacity set)", m.accounts),
        },
    }
}

/// The hover card of a rep's home.
pub fn rep_tooltip(
    ui: &mut egui::Ui,
    ws: &Workspace,
    m: &RepMetrics,
    drive: Option<crate::core::travel::DriveFigures>,
) {
    ui.strong(format!("{} (home base)", m.name));
    if !m.role.is_empty() {
        ui.label(format!("Role: {}", m.role));
    }
    let over = m.load_pct.is_some_and(|l| l > 100.0);
    let load = format!("Load: {}", load_text(m));
    if over {
        ui.colored_label(ui.visuals().error_fg_color, load);
    } else {
        ui.label(load);
    }
    match (m.mean_km, m.max_km) {
        (Some(mean), Some(max)) => {
            ui.label(format!(
                "Distance to accounts: mean {mean:.0} km, max {max:.0} km"
            ));
        }
        _ => {
            ui.weak("No located accounts yet");
        }
    }
    if let Some(d) = drive.or(m.drive) {
        ui.label(format!(
            "Drive time: {}; by road {}",
            crate::app::fmt::drive_time(&d),
            crate::app::fmt::road_distance(&d, crate::core::render::DistanceUnit::Km)
        ));
    }
    if m.territories.is_empty() {
        ui.weak("Works no territory yet");
    } else {
        ui.label(format!("Territories: {}", m.territories.join(", ")));
    }
    if let Some((lon, lat)) = ws.project().rep(RepId(m.id)).and_then(|r| r.home) {
        ui.weak(format!("Home {lat:.4}, {lon:.4}"));
    }
}
