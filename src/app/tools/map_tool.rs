//! The tools' gestures on the map: [`MapTool`] for [`Tools`].

use egui::{
    Align2, Color32, CornerRadius, CursorIcon, FontId, Modifiers, Pos2, Rect, Shape, Stroke,
    StrokeKind, vec2,
};

use super::{DropPreview, Gesture, Tool, ToolAction, Tools, VertexRef, polygon_of};
use crate::app::map::{MapTool, ToolFrame, highlight_account};
use crate::app::state::MapEvent;
use crate::core::edit::Edit;
use crate::core::shape_edit as core_tools;
use crate::core::{TerritoryId, Workspace};

/// How far (points) the pointer must move between press and release for a
/// press on an account to be a drag-and-drop rather than a click.
const DROP_MIN_DISTANCE: f32 = 4.0;
/// Grab radius of a vertex handle (points).
const HANDLE_REACH: f32 = 8.0;
/// Handles closer than this (points) along a ring are thinned out.
const MIN_HANDLE_GAP: f32 = 10.0;
/// More vertices than this in view: zoom in to edit.
const MAX_HANDLES: usize = 3000;
/// Most selected accounts ringed one by one.
const MAX_RINGS: usize = 4000;

const INK: Color32 = Color32::from_rgb(20, 24, 32);
const ACCENT: Color32 = Color32::from_rgb(255, 196, 0);

/// A handle of the boundary being edited.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Handle {
    /// A vertex.
    Vertex(VertexRef),
    /// The middle of the edge after this vertex, at `(lon, lat)`.
    Mid(VertexRef, (f64, f64)),
}

/// Screen positions of the handles of territory `id` in view.
struct Handles {
    vertices: Vec<(VertexRef, Pos2)>,
    mids: Vec<(VertexRef, (f64, f64), Pos2)>,
}

fn handles(f: &ToolFrame, id: TerritoryId) -> Option<Handles> {
    let t = f.ws.project().territory(id)?;
    let area = f.view.rect.expand(HANDLE_REACH);
    let mut out = Handles {
        vertices: Vec::new(),
        mids: Vec::new(),
    };
    for (part, poly) in t.geometry.0.iter().enumerate() {
        for (ring, r) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            let c = &r.0;
            let n = if c.len() > 1 && c.first() == c.last() {
                c.len() - 1
            } else {
                c.len()
            };
            let mut shown: Option<Pos2> = None;
            for k in 0..n {
                let a = f.to_screen(c[k].x, c[k].y);
                let v = VertexRef {
                    id,
                    part,
                    ring,
                    vertex: k,
                };
                // Vertices crowded on screen get one handle: zoom in for
                // the rest.
                if area.contains(a) && shown.is_none_or(|q| q.distance(a) >= MIN_HANDLE_GAP) {
                    out.vertices.push((v, a));
                    shown = Some(a);
                }
                let next = c[(k + 1) % n];
                let b = f.to_screen(next.x, next.y);
                if a.distance(b) >= 28.0 {
                    let m = a.lerp(b, 0.5);
                    if area.contains(m) {
                        let at = ((c[k].x + next.x) / 2.0, (c[k].y + next.y) / 2.0);
                        out.mids.push((v, at, m));
                    }
                }
            }
        }
    }
    Some(out)
}

impl Handles {
    fn at(&self, p: Pos2) -> Option<Handle> {
        let near = |q: Pos2| q.distance(p) <= HANDLE_REACH;
        let best_vertex = self
            .vertices
            .iter()
            .filter(|(_, q)| near(*q))
            .min_by(|a, b| a.1.distance(p).total_cmp(&b.1.distance(p)));
        if let Some((v, _)) = best_vertex {
            return Some(Handle::Vertex(*v));
        }
        self.mids
            .iter()
            .filter(|(_, _, q)| near(*q))
            .min_by(|a, b| a.2.distance(p).total_cmp(&b.2.distance(p)))
            .map(|(v, at, _)| Handle::Mid(*v, *at))
    }
}

/// Why the boundary of the selected territory cannot be edited, if it
/// cannot.
fn reshape_target(f: &ToolFrame) -> Result<TerritoryId, String> {
    let Some(id) = f.selection.territory else {
        return Err("Click a territory to edit its boundary".into());
    };
    let Some(t) = f.ws.project().territory(id) else {
        return Err("Click a territory to edit its boundary".into());
    };
    if t.locked {
        return Err(format!(
            "'{}' is locked: unlock it (details panel or right-click) to edit its boundary",
            t.name
        ));
    }
    if t.geometry.0.is_empty() {
        return Err(format!(
            "'{}' has no boundary: draw one or paint units into it",
            t.name
        ));
    }
    Ok(id)
}

/// Why units cannot be painted into the selected territory, if they
/// cannot.
fn paint_target(f: &ToolFrame) -> Result<TerritoryId, String> {
    let Some(t) = f
        .selection
        .territory
        .and_then(|id| f.ws.project().territory(id))
    else {
        return Err("Click the territory to paint into (on the map or in the list)".into());
    };
    if t.locked {
        return Err(format!(
            "'{}' is locked: unlock it to paint into it",
            t.name
        ));
    }
    Ok(t.id)
}

/// Accounts and balance value of territory `id` now.
fn count_of(ws: &Workspace, id: TerritoryId) -> i64 {
    let e = ws.engine();
    e.index().slot_of(id).map_or(0, |s| e.tally().count(s))
}

fn territory_name(ws: &Workspace, id: TerritoryId) -> String {
    ws.project()
        .territory(id)
        .map_or_else(|| id.to_string(), |t| t.name.clone())
}

/// A label in a rounded box at `pos` (anchored by `align`).
fn tag(painter: &egui::Painter, pos: Pos2, align: Align2, text: &str, warn: bool) {
    // Kept whole inside the map: wrapped to its width, moved in from its
    // edges.
    let clip = painter.clip_rect();
    let galley = painter.layout(
        text.to_owned(),
        FontId::proportional(14.0),
        if warn {
            Color32::from_rgb(120, 50, 0)
        } else {
            INK
        },
        (clip.width() - 30.0).clamp(120.0, 520.0),
    );
    let size = galley.size() + vec2(14.0, 8.0);
    let rect = keep_inside(align.anchor_size(pos, size), clip.shrink(4.0));
    let fill = if warn {
        Color32::from_rgb(255, 236, 200)
    } else {
        Color32::from_white_alpha(235)
    };
    painter.rect_filled(rect, CornerRadius::same(5), fill);
    painter.rect_stroke(
        rect,
        CornerRadius::same(5),
        Stroke::new(1.0, Color32::from_black_alpha(60)),
        StrokeKind::Inside,
    );
    painter.galley(rect.min + vec2(7.0, 4.0), galley, INK);
}

/// `r` moved (not resized) so that it lies inside `area` as far as it can.
pub fn keep_inside(r: egui::Rect, area: egui::Rect) -> egui::Rect {
    let dx = if r.right() > area.right() {
        area.right() - r.right()
    } else {
        0.0
    };
    let r = r.translate(vec2(dx, 0.0));
    let dx = (area.left() - r.left()).max(0.0);
    let dy = if r.bottom() > area.bottom() {
        area.bottom() - r.bottom()
    } else {
        0.0
    };
    let r = r.translate(vec2(dx, dy));
    r.translate(vec2(0.0, (area.top() - r.top()).max(0.0)))
}

impl Tools {
    fn start_gesture(&mut self, g: Gesture) {
        self.gesture = g;
        self.gesture_rev = None;
        self.preview = None;
    }

    /// The Paint tool's unit under `p`, once the units are loaded.
    fn paint_units_along(&mut self, f: &ToolFrame, ctx: &egui::Context, to: Pos2) {
        let Some(units) = self.units.get(f.ws, ctx) else {
            return;
        };
        let Gesture::Paint { target, done, last } = &mut self.gesture else {
            return;
        };
        let from = last.unwrap_or(to);
        // Sample the pointer's path so a quick stroke skips no unit.
        let steps = (from.distance(to) / 4.0).ceil().max(1.0) as usize;
        let mut new = Vec::new();
        for k in 0..=steps {
            let p = from.lerp(to, k as f32 / steps as f32);
            if let Some(u) = units.unit_at(&f.view, p)
                && done.insert(u)
            {
                new.push(u);
            }
        }
        *last = Some(to);
        if new.is_empty() {
            return;
        }
        let shapes: Vec<_> = new.iter().map(|&u| &units.set.shapes[u as usize]).collect();
        let t = std::time::Instant::now();
        let mut edit = core_tools::paint_units(f.ws.project(), *target, &shapes);
        self.build_ms += t.elapsed().as_secs_f64() * 1e3;
        // The history names the whole stroke, not this frame's units.
        if let (Ok(Some(Edit::Batch { label, .. })), Some(t)) =
            (&mut edit, f.ws.project().territory(*target))
        {
            *label = format!("Paint {} unit(s) into '{}'", done.len(), t.name);
        }
        match edit {
            Ok(Some(e)) => self.push(ToolAction::Step(e)),
            Ok(None) => {}
            Err(e) => self.hint = Some(e.to_string()),
        }
    }

    fn paint_selection(&self, painter: &egui::Painter, f: &ToolFrame) {
        let a = &f.ws.project().accounts;
        let mut drawn = 0;
        for &i in &self.accounts {
            if i >= a.len() || !a.is_located(i) {
                continue;
            }
            let p = f.to_screen(a.lon[i], a.lat[i]);
            if f.view.rect.contains(p) {
                painter.circle_stroke(p, 6.0, Stroke::new(2.5, INK));
                drawn += 1;
                if drawn >= MAX_RINGS {
                    break;
                }
            }
        }
    }

    fn paint_path(&self, painter: &egui::Painter, f: &ToolFrame, hover: Option<Pos2>) {
        let pts: Vec<Pos2> = self.path.iter().map(|&(x, y)| f.to_screen(x, y)).collect();
        let color = if self.tool == Tool::Split {
            Color32::from_rgb(200, 30, 30)
        } else {
            Color32::from_rgb(20, 90, 200)
        };
        let halo = Stroke::new(5.0, Color32::from_white_alpha(160));
        let line = Stroke::new(2.5, color);
        if pts.len() >= 2 {
            painter.add(Shape::line(pts.clone(), halo));
            painter.add(Shape::line(pts.clone(), line));
        }
        if let (Some(&last), Some(h)) = (pts.last(), hover) {
            // The rubber band to the pointer, and (Draw) back to the start.
            painter.extend(Shape::dashed_line(&[last, h], line, 6.0, 4.0));
            if self.tool == Tool::Draw && pts.len() >= 2 {
                painter.extend(Shape::dashed_line(
                    &[h, pts[0]],
                    Stroke::new(1.5, color.gamma_multiply(0.6)),
                    4.0,
                    4.0,
                ));
            }
        }
        for (k, &p) in pts.iter().enumerate() {
            let closing = self.tool == Tool::Draw
                && k == 0
                && pts.len() >= 3
                && hover.is_some_and(|h| h.distance(p) <= HANDLE_REACH);
            let r = if closing { 7.0 } else { 4.5 };
            painter.circle_filled(p, r, Color32::WHITE);
            painter.circle_stroke(p, r, Stroke::new(2.0, color));
        }
    }

    fn reshape_frame(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        painter: &egui::Painter,
        f: &ToolFrame,
        hover: Option<Pos2>,
    ) -> bool {
        self.hover_vertex = None;
        let id = match reshape_target(f) {
            Ok(id) => id,
            Err(why) => {
                self.status = Some(why);
                return false;
            }
        };
        let Some(h) = handles(f, id) else {
            return false;
        };
        if h.vertices.len() > MAX_HANDLES {
            self.status = Some(format!(
                "Zoom in to edit the boundary ({} vertices in view)",
                h.vertices.len()
            ));
            return false;
        }
        f.outline(painter, id, Stroke::new(2.0, Color32::WHITE));
        let dragging = match &self.gesture {
            Gesture::Vertex { v, .. } => Some(*v),
            _ => None,
        };
        let hovered = if dragging.is_some() {
            None
        } else {
            hover.and_then(|p| h.at(p))
        };
        for (v, at, m) in &h.mids {
            let hot = matches!(hovered, Some(Handle::Mid(w, a)) if w == *v && a == *at);
            let r = if hot { 5.5 } else { 3.5 };
            painter.circle_filled(
                *m,
                r,
                Color32::from_white_alpha(if hot { 255 } else { 190 }),
            );
            painter.circle_stroke(*m, r, Stroke::new(1.0, INK.gamma_multiply(0.7)));
        }
        for (v, p) in &h.vertices {
            let hot = hovered == Some(Handle::Vertex(*v)) || dragging == Some(*v);
            let half = if hot { 5.5 } else { 3.0 };
            let rect = Rect::from_center_size(*p, vec2(half * 2.0, half * 2.0));
            painter.rect_filled(
                rect,
                CornerRadius::ZERO,
                if hot { ACCENT } else { Color32::WHITE },
            );
            painter.rect_stroke(
                rect,
                CornerRadius::ZERO,
                Stroke::new(1.5, INK),
                StrokeKind::Outside,
            );
        }
        match hovered {
            Some(Handle::Vertex(v)) => {
                self.hover_vertex = Some(v);
                ui.ctx().set_cursor_icon(CursorIcon::Grab);
                if response.secondary_clicked() {
                    match core_tools::delete_vertex(f.ws.project(), v.id, v.part, v.ring, v.vertex)
                    {
                        Ok(e) => self.push(ToolAction::Apply(e)),
                        Err(e) => self.hint = Some(e.to_string()),
                    }
                    return true;
                }
            }
            Some(Handle::Mid(..)) => ui.ctx().set_cursor_icon(CursorIcon::Crosshair),
            None => {}
        }
        if dragging.is_some() {
            ui.ctx().set_cursor_icon(CursorIcon::Grabbing);
        }
        false
    }

    /// Drag-and-drop of accounts: target, live preview, drop on release.
    fn accounts_frame(
        &mut self,
        painter: &egui::Painter,
        f: &ToolFrame,
        pointer: Option<Pos2>,
        released: bool,
    ) {
        let Gesture::Accounts { accounts, from } = &self.gesture else {
            return;
        };
        let (accounts, from) = (accounts.clone(), *from);
        let moved = pointer.is_some_and(|p| p.distance(from) >= DROP_MIN_DISTANCE);
        let in_map = pointer.filter(|p| f.view.rect.contains(*p));
        let target = if moved {
            self.list_target
                .or_else(|| in_map.and_then(|p| f.territory_at(p)))
        } else {
            None
        };
        if self.preview.as_ref().map(|p| p.target) != Some(target) {
            self.preview = Some(match target {
                Some(t) => DropPreview::compute(f.ws, &accounts, t),
                None => DropPreview::default(),
            });
        }
        if released {
            if moved {
                match target {
                    Some(t) => self.push(ToolAction::Drop(accounts, t)),
                    None if in_map.is_some() => self.push(ToolAction::Notice(
                        "Drop accounts on a territory to move them".into(),
                    )),
                    None => {}
                }
            }
            self.gesture = Gesture::None;
            self.preview = None;
            return;
        }
        if !moved {
            return;
        }
        if let Some(t) = target {
            f.outline(painter, t, Stroke::new(3.5, ACCENT));
        }
        for &i in accounts.iter().take(MAX_RINGS) {
            highlight_account(painter, &f.view, f.ws, i, Color32::WHITE, 2.0);
        }
        painter.ctx().set_cursor_icon(CursorIcon::Grabbing);
        if let Some(p) = in_map {
            painter.circle_filled(p, 5.0, INK);
            let text = match (target, &self.preview) {
                (Some(t), Some(pre)) => {
                    let mut parts = vec![format!(
                        "Move {} account(s) to {}",
                        accounts.len(),
                        territory_name(f.ws, t)
                    )];
                    let mut ids: Vec<_> = pre.deltas.keys().copied().collect();
                    ids.sort_by_key(|id| (*id != t, id.0));
                    for id in ids.into_iter().take(4) {
                        let now = count_of(f.ws, id);
                        let d = pre.count_delta(id);
                        parts.push(format!(
                            "{}: {} accounts ({d:+})",
                            territory_name(f.ws, id),
                            now + d
                        ));
                    }
                    parts.join("\n")
                }
                _ => format!("{} account(s): drop on a territory", accounts.len()),
            };
            tag(
                painter,
                p + vec2(14.0, 14.0),
                Align2::LEFT_TOP,
                &text,
                false,
            );
        }
    }
}

impl MapTool for Tools {
    fn press(&mut self, f: &ToolFrame, p: Pos2, modifiers: Modifiers) {
        let lonlat = f.view.to_lon_lat(p);
        // A new gesture: the last one's complaint is old news.
        self.hint = None;
        match self.tool {
            Tool::Select | Tool::Lasso => {
                if self.tool == Tool::Select && modifiers.shift {
                    self.start_gesture(Gesture::Box {
                        from: lonlat,
                        add: modifiers.command,
                    });
                } else if let Some(i) = f.account_at(p) {
                    let accounts = if self.accounts.binary_search(&i).is_ok() {
                        self.accounts.clone()
                    } else {
                        vec![i]
                    };
                    self.start_gesture(Gesture::Accounts { accounts, from: p });
                } else if self.tool == Tool::Lasso {
                    self.start_gesture(Gesture::Lasso {
                        pts: vec![lonlat],
                        add: modifiers.command,
                    });
                }
            }
            Tool::Reshape => {
                let Ok(id) = reshape_target(f) else { return };
                let Some(h) = handles(f, id) else { return };
                if h.vertices.len() > MAX_HANDLES {
                    return;
                }
                match h.at(p) {
                    Some(Handle::Vertex(v)) => {
                        self.start_gesture(Gesture::Vertex { v, last: Some(p) });
                    }
                    Some(Handle::Mid(v, at)) => {
                        self.start_gesture(Gesture::Vertex {
                            v: VertexRef {
                                vertex: v.vertex + 1,
                                ..v
                            },
                            last: Some(p),
                        });
                        match core_tools::insert_vertex(
                            f.ws.project(),
                            v.id,
                            v.part,
                            v.ring,
                            v.vertex,
                            at,
                        ) {
                            Ok(e) => self.push(ToolAction::Step(e)),
                            Err(e) => {
                                self.hint = Some(e.to_string());
                                self.gesture = Gesture::None;
                            }
                        }
                    }
                    None => {}
                }
            }
            Tool::Paint => {
                // Without a target the status says why nothing happens.
                if let Ok(target) = paint_target(f) {
                    self.start_gesture(Gesture::Paint {
                        target,
                        done: Default::default(),
                        last: None,
                    });
                }
            }
            Tool::Draw | Tool::Split => {}
        }
    }

    fn holds_drag(&self) -> bool {
        !matches!(self.gesture, Gesture::None)
    }

    fn frame(
        &mut self,
        ui: &mut egui::Ui,
        response: &egui::Response,
        painter: &egui::Painter,
        f: &ToolFrame,
        events: &mut Vec<MapEvent>,
    ) -> bool {
        let _ = events;
        let (pointer, released, down, alt) = ui.input(|i| {
            (
                i.pointer.interact_pos(),
                i.pointer.primary_released(),
                i.pointer.primary_down(),
                i.modifiers.alt,
            )
        });
        let hover = response.hover_pos();
        let mut used = false;
        self.status = None;
        self.paint_selection(painter, f);

        match self.tool {
            Tool::Draw | Tool::Split => match self.path_frame(ui, response, painter, f, alt) {
                Some(u) => used |= u,
                // The click was refused (no territory to split): nothing else.
                None => return true,
            },
            Tool::Reshape => {
                used |= self.reshape_frame(ui, response, painter, f, hover);
            }
            Tool::Paint => self.paint_tool_frame(ui, response, painter, f, hover),
            Tool::Select | Tool::Lasso => {
                if self.tool == Tool::Lasso {
                    ui.ctx().set_cursor_icon(CursorIcon::Crosshair);
                }
            }
        }
        // The gesture under way.
        let end = released || !down;
        used |= self.gesture_frame(ui, painter, f, pointer, end);
        self.frame_end(response, painter, f, used);
        used
    }
}

impl Tools {
    /// The Draw and Split tools: clicks add points to the path (a click on
    /// the first point or a double click finishes it). Whether the click
    /// was used; `None` when it was refused and the frame ends there.
    fn path_frame(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        painter: &egui::Painter,
        f: &ToolFrame,
        alt: bool,
    ) -> Option<bool> {
        let hover = response.hover_pos();
        let mut used = false;
        ui.ctx().set_cursor_icon(CursorIcon::Crosshair);
        if response.double_clicked() {
            self.finish_path(alt);
            used = true;
        } else if response.clicked()
            && let Some(p) = response.interact_pointer_pos()
        {
            used = true;
            let first = self.path.first().map(|&(x, y)| f.to_screen(x, y));
            if self.tool == Tool::Draw
                && self.path.len() >= 3
                && first.is_some_and(|q| q.distance(p) <= HANDLE_REACH)
            {
                self.finish_path(alt);
            } else {
                if self.tool == Tool::Split && self.path.is_empty() {
                    let target = f.selection.territory.or_else(|| f.territory_at(p));
                    self.split_target = target;
                    match target.and_then(|id| f.ws.project().territory(id)) {
                        None => {
                            self.hint = Some(
                                "Select the territory to split first, or start the line on it"
                                    .into(),
                            );
                        }
                        Some(t) if t.locked => {
                            self.hint =
                                Some(format!("'{}' is locked: unlock it to split it", t.name));
                            self.split_target = None;
                        }
                        Some(_) => self.hint = None,
                    }
                    // No territory to split: the click is refused.
                    self.split_target?;
                }
                self.path.push(f.view.to_lon_lat(p));
            }
        }
        if let Some(id) = self.split_target.filter(|_| self.tool == Tool::Split) {
            f.outline(painter, id, Stroke::new(2.5, Color32::WHITE));
        }
        self.paint_path(painter, f, hover);
        Some(used)
    }

    /// The Paint tool: the unit layer with the unit under the pointer, and
    /// the target territory's outline (or why there is none).
    fn paint_tool_frame(
        &mut self,
        ui: &egui::Ui,
        response: &egui::Response,
        painter: &egui::Painter,
        f: &ToolFrame,
        hover: Option<Pos2>,
    ) {
        match self.units.get(f.ws, ui.ctx()) {
            Some(units) => {
                let hovered = hover.and_then(|p| units.unit_at(&f.view, p));
                units.paint(painter, &f.view, hovered);
                if let Some(u) = hovered
                    && !self.holds_drag()
                {
                    let label = units.set.labels[u as usize].clone();
                    response.clone().on_hover_text_at_pointer(label);
                }
            }
            None => {
                self.status = Some(match &self.units.error {
                    Some(e) => e.clone(),
                    None => format!("Loading {}…", self.units.layer),
                });
            }
        }
        match paint_target(f) {
            Ok(id) => f.outline(painter, id, Stroke::new(2.5, Color32::WHITE)),
            Err(why) => {
                self.status.get_or_insert(why);
            }
        }
        ui.ctx().set_cursor_icon(CursorIcon::Cell);
    }

    /// Follows the press-drag-release gesture under way; true when its end
    /// used the click (a lasso or box selection).
    fn gesture_frame(
        &mut self,
        ui: &egui::Ui,
        painter: &egui::Painter,
        f: &ToolFrame,
        pointer: Option<Pos2>,
        end: bool,
    ) -> bool {
        match std::mem::take(&mut self.gesture) {
            Gesture::None => false,
            g @ Gesture::Accounts { .. } => {
                self.gesture = g;
                self.accounts_frame(painter, f, pointer, end);
                false
            }
            Gesture::Lasso { pts, add } => self.lasso_frame(painter, f, pointer, end, (pts, add)),
            Gesture::Box { from, add } => self.box_frame(painter, f, pointer, end, (from, add)),
            Gesture::Vertex { v, last } => {
                self.vertex_frame(f, pointer, end, v, last);
                false
            }
            g @ Gesture::Paint { .. } => {
                self.gesture = g;
                if let Some(p) = pointer {
                    self.paint_units_along(f, ui.ctx(), p);
                }
                if end {
                    self.gesture = Gesture::None;
                }
                false
            }
        }
    }

    /// A lasso being drawn; on release, selects the accounts inside it.
    fn lasso_frame(
        &mut self,
        painter: &egui::Painter,
        f: &ToolFrame,
        pointer: Option<Pos2>,
        end: bool,
        (mut pts, add): (Vec<(f64, f64)>, bool),
    ) -> bool {
        let mut used = false;
        if let Some(p) = pointer {
            let last = pts.last().map(|&(x, y)| f.to_screen(x, y));
            if last.is_none_or(|q| q.distance(p) >= 3.0) {
                pts.push(f.view.to_lon_lat(p));
            }
        }
        let screen: Vec<Pos2> = pts.iter().map(|&(x, y)| f.to_screen(x, y)).collect();
        if end {
            let extent = Rect::from_points(&screen).size();
            if screen.len() >= 3 && extent.max_elem() >= DROP_MIN_DISTANCE {
                let ids = core_tools::accounts_in_polygon(f.ws.project(), &polygon_of(&pts));
                self.push(ToolAction::SelectAccounts(
                    ids.into_iter().map(|i| i as usize).collect(),
                    add,
                ));
                used = true;
            }
        } else {
            let mut closed = screen.clone();
            if let Some(&first) = screen.first() {
                closed.push(first);
            }
            painter.add(Shape::line(
                closed.clone(),
                Stroke::new(4.0, Color32::from_white_alpha(170)),
            ));
            painter.extend(Shape::dashed_line(&closed, Stroke::new(2.0, INK), 6.0, 4.0));
            self.gesture = Gesture::Lasso { pts, add };
        }
        used
    }

    /// A selection box being dragged; on release, selects the accounts in it.
    fn box_frame(
        &mut self,
        painter: &egui::Painter,
        f: &ToolFrame,
        pointer: Option<Pos2>,
        end: bool,
        (from, add): ((f64, f64), bool),
    ) -> bool {
        let mut used = false;
        let a = f.to_screen(from.0, from.1);
        let b = pointer.unwrap_or(a);
        let rect = Rect::from_two_pos(a, b);
        if end {
            if rect.size().max_elem() >= DROP_MIN_DISTANCE {
                let (x0, y0) = f.view.to_lon_lat(rect.left_bottom());
                let (x1, y1) = f.view.to_lon_lat(rect.right_top());
                let poly = polygon_of(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]);
                let ids = core_tools::accounts_in_polygon(f.ws.project(), &poly);
                self.push(ToolAction::SelectAccounts(
                    ids.into_iter().map(|i| i as usize).collect(),
                    add,
                ));
                used = true;
            }
        } else {
            let blue = Color32::from_rgb(40, 110, 220);
            painter.rect_filled(rect, CornerRadius::ZERO, blue.gamma_multiply(0.16));
            painter.rect_stroke(
                rect,
                CornerRadius::ZERO,
                Stroke::new(1.5, blue),
                StrokeKind::Inside,
            );
            self.gesture = Gesture::Box { from, add };
        }
        used
    }

    /// A vertex being dragged: one gesture step per pointer move.
    fn vertex_frame(
        &mut self,
        f: &ToolFrame,
        pointer: Option<Pos2>,
        end: bool,
        v: VertexRef,
        mut last: Option<Pos2>,
    ) {
        if let Some(p) = pointer
            && last != Some(p)
        {
            last = Some(p);
            let to = f.view.to_lon_lat(p);
            let t = std::time::Instant::now();
            let edit = f.ws.move_vertex(v, to);
            self.build_ms += t.elapsed().as_secs_f64() * 1e3;
            match edit {
                Ok(e) => {
                    self.hint = None;
                    self.push(ToolAction::Step(e));
                }
                Err(e) => self.hint = Some(e.to_string()),
            }
        }
        if !end {
            self.gesture = Gesture::Vertex { v, last };
        }
    }

    /// The right-click menu (what is under the pointer), then the hint or
    /// status over the map.
    fn frame_end(
        &mut self,
        response: &egui::Response,
        painter: &egui::Painter,
        f: &ToolFrame,
        used: bool,
    ) {
        if response.secondary_clicked() && !used {
            let at = response.interact_pointer_pos();
            self.context = at.and_then(|p| f.territory_at(p));
            self.context_at = at.map(|p| f.view.to_lon_lat(p));
        }
        if !used {
            let context = self.context;
            response
                .context_menu(|ui| super::panel::map_menu(ui, f.ws, f.selection, self, context));
        }
        let at = f.view.rect.center_top() + vec2(0.0, 10.0);
        if let Some(h) = &self.hint {
            // A refusal shows where the user is working, not far away.
            match response.hover_pos().or(response.interact_pointer_pos()) {
                Some(p) => tag(painter, p + vec2(18.0, 18.0), Align2::LEFT_TOP, h, true),
                None => tag(painter, at, Align2::CENTER_TOP, h, true),
            }
        } else if let Some(s) = &self.status {
            tag(painter, at, Align2::CENTER_TOP, s, false);
        }
        self.list_target = None;
    }
}
