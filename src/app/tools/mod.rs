//! The editing tools of the map: select and drag accounts (one, a box or a
//! lasso selection), draw a territory, edit a boundary's vertices, paint
//! units, split along a line; plus merge, rename, recolor, lock and delete
//! from the details panel and the right-click menus.
//!
//! A tool never changes the plan itself: on the map (`map_tool.rs`) it only
//! reads the [`Workspace`] and queues [`ToolAction`]s, which
//! `TurfmapApp::run_tool_actions` turns into core edits right after the
//! map is drawn, so metrics and colours follow in the same frame. A gesture
//! that changes the plan at every frame (dragging a vertex, brushing units)
//! applies each step and folds the steps into one undo entry
//! ([`Workspace::amend`]).

mod map_tool;
mod panel;
pub mod units;

use std::collections::HashMap;

use egui::{Key, Modifiers, Pos2};
use geo::{Coord, LineString, Polygon};

use super::TurfmapApp;
use super::command::Command;
use super::state::Selection;
use crate::core::edit::Edit;
use crate::core::shape_edit::{self as core_tools, DrawMode};
use crate::core::{TerritoryId, Workspace};

pub use panel::ToolBar;
pub(crate) use panel::territory_menu;
pub use units::UnitPicker;

/// The tool in use on the map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tool {
    /// Click to select; drag an account (or the selection) onto a territory;
    /// Shift-drag selects accounts in a box.
    #[default]
    Select,
    /// Drag a freehand lasso around accounts to select them.
    Lasso,
    /// Click the corners of a new territory.
    Draw,
    /// Drag the vertices of the selected territory's boundary.
    Reshape,
    /// Click or brush units (states, counties, ZIP areas, hexagons) into
    /// the selected territory.
    Paint,
    /// Draw a line across the selected territory to cut it in two.
    Split,
}

impl Tool {
    /// Every tool, in toolbar order.
    pub const ALL: [Tool; 6] = [
        Tool::Select,
        Tool::Lasso,
        Tool::Draw,
        Tool::Reshape,
        Tool::Paint,
        Tool::Split,
    ];

    /// The toolbar caption (also the button's accessible name).
    pub fn name(self) -> &'static str {
        match self {
            Tool::Select => "Select",
            Tool::Lasso => "Lasso",
            Tool::Draw => "Draw",
            Tool::Reshape => "Edit boundary",
            Tool::Paint => "Paint units",
            Tool::Split => "Split",
        }
    }

    /// The key that picks the tool.
    pub fn key(self) -> Key {
        match self {
            Tool::Select => Key::V,
            Tool::Lasso => Key::L,
            Tool::Draw => Key::D,
            Tool::Reshape => Key::E,
            Tool::Paint => Key::P,
            Tool::Split => Key::S,
        }
    }

    /// What the tool does and how (the toolbar tooltip).
    pub fn help(self) -> &'static str {
        match self {
            Tool::Select => {
                "Click a territory or account to select it. Drag an account (or the selected \
                 accounts) onto a territory on the map or a row of the list to move them there \
                 (they become pinned). Shift-drag: select the accounts in a box \
                 (Ctrl+Shift adds to the selection)."
            }
            Tool::Lasso => {
                "Drag a freehand loop around accounts to select them (hold Ctrl to add). \
                 Then drag any selected account to move them all."
            }
            Tool::Draw => {
                "Click the corners of a new territory; double-click, Enter or a click on the \
                 first corner finishes, Backspace removes the last corner, Esc cancels. It takes \
                 its area from the territories it overlaps, unless Overlay is on or Alt is held."
            }
            Tool::Reshape => {
                "Drag the square handles of the selected territory's boundary; drag a round \
                 midpoint handle to add a vertex; Delete or right-click removes the vertex under \
                 the pointer. Shared borders move for both territories."
            }
            Tool::Paint => {
                "Click or drag over units (US states, counties, ZIP areas or hexagons) to add \
                 them to the selected territory; they are taken from their previous territory. \
                 One stroke is one undo step."
            }
            Tool::Split => {
                "Click points of a line across the selected territory; double-click or Enter \
                 cuts it in two along the line, Backspace removes the last point, Esc cancels."
            }
        }
    }

    /// Takes its own clicks on the map for a path of points.
    fn draws_path(self) -> bool {
        matches!(self, Tool::Draw | Tool::Split)
    }
}

/// A vertex of a territory (the core's, which the vertex drag hands it).
pub use crate::core::shape_edit::VertexRef;

/// What dropping the dragged accounts on a territory would change: the
/// change of account count and balance value of every territory involved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DropPreview {
    /// Where they would go.
    pub target: Option<TerritoryId>,
    /// Count and balance-value change per territory.
    pub deltas: HashMap<TerritoryId, (i64, f64)>,
}

impl DropPreview {
    /// The preview of moving `accounts` to `target`, from the current
    /// assignment: linear in the accounts moved, whatever the plan's size.
    pub fn compute(ws: &Workspace, accounts: &[usize], target: TerritoryId) -> Self {
        let p = ws.project();
        let e = ws.engine();
        let m = p.balance_measure_index();
        let mut deltas: HashMap<TerritoryId, (i64, f64)> = HashMap::new();
        for &i in accounts {
            if i >= p.accounts.len() || p.accounts.removed[i] {
                continue;
            }
            let from = e.territory_of(i);
            if from == Some(target) {
                continue;
            }
            let v = m.map_or(1.0, |m| p.accounts.measure_or_zero(m, i));
            if let Some(f) = from {
                let d = deltas.entry(f).or_default();
                d.0 -= 1;
                d.1 -= v;
            }
            let d = deltas.entry(target).or_default();
            d.0 += 1;
            d.1 += v;
        }
        Self {
            target: Some(target),
            deltas,
        }
    }

    /// The count change of territory `id` (0 when not involved).
    pub fn count_delta(&self, id: TerritoryId) -> i64 {
        self.deltas.get(&id).map_or(0, |d| d.0)
    }
}

/// Something a tool asks the window to do (run after the map is drawn).
#[derive(Clone, Debug, PartialEq)]
pub enum ToolAction {
    /// Apply an edit as its own undo step.
    Apply(Edit),
    /// One step of a gesture: the first is applied, later ones are folded
    /// into it (one undo step for the whole gesture).
    Step(Edit),
    /// Pin accounts to a territory (drag and drop).
    Drop(Vec<usize>, TerritoryId),
    /// Return accounts to geometric assignment.
    Unpin(Vec<usize>),
    /// Replace (or, with `true`, extend) the account selection.
    SelectAccounts(Vec<usize>, bool),
    /// A drawn outline (lon/lat) is finished.
    Draw(Vec<(f64, f64)>, DrawMode),
    /// A split line (lon/lat) across a territory is finished.
    Split(TerritoryId, Vec<(f64, f64)>),
    /// Merge these territories into the first.
    Merge(Vec<TerritoryId>),
    /// Rename a territory.
    Rename(TerritoryId, String),
    /// Recolor a territory (successive recolors of one territory, as a
    /// colour picker is dragged, are one undo step).
    Recolor(TerritoryId, [u8; 3]),
    /// Lock (`true`) or unlock a territory.
    Lock(TerritoryId, bool),
    /// Delete a territory.
    Delete(TerritoryId),
    /// Select a territory (and switch to `Tool`, if given).
    Focus(TerritoryId, Option<Tool>),
    /// Toggle a territory in the multi-selection (Ctrl-click).
    ToggleTerritory(TerritoryId),
    /// Draw drive-time rings from `(lon, lat)`, described as the text.
    DriveRings((f64, f64), String),
    /// Show a message in the status bar.
    Notice(String),
    /// Show an error in the banner.
    Error(String),
}

/// In-progress gestures.
#[derive(Clone, Debug, Default)]
enum Gesture {
    #[default]
    None,
    /// Accounts pressed on and being dragged; `from` is where the press was.
    Accounts { accounts: Vec<usize>, from: Pos2 },
    /// A lasso (lon/lat points).
    Lasso { pts: Vec<(f64, f64)>, add: bool },
    /// A box from one corner (lon/lat) to the pointer.
    Box { from: (f64, f64), add: bool },
    /// A vertex being dragged.
    Vertex { v: VertexRef, last: Option<Pos2> },
    /// A paint stroke into `target`; `done` holds the units already painted.
    Paint {
        target: TerritoryId,
        done: std::collections::HashSet<u32>,
        last: Option<Pos2>,
    },
}

/// The editing tools' state, owned by the window.
#[derive(Default)]
pub struct Tools {
    /// The active tool.
    pub tool: Tool,
    /// Draw: keep the overlap instead of taking area from neighbours.
    pub overlay: bool,
    /// Selected accounts (sorted indices) for drag, drop and unpin.
    pub accounts: Vec<usize>,
    /// Territories selected together (Ctrl-click) for merging; includes
    /// the primary selection when not empty.
    pub territories: Vec<TerritoryId>,
    /// The unit layer of the Paint tool.
    pub units: UnitPicker,
    gesture: Gesture,
    /// Corners of a shape (Draw) or points of a line (Split), lon/lat.
    path: Vec<(f64, f64)>,
    /// The territory a Split line cuts (fixed at its first point).
    split_target: Option<TerritoryId>,
    /// The vertex handle under the pointer (Edit boundary).
    hover_vertex: Option<VertexRef>,
    /// `(generation, revision)` after the current gesture's last step:
    /// the next step is folded into that undo entry.
    gesture_rev: Option<(u64, u64)>,
    /// The list row under a dragged selection this frame.
    pub(crate) list_target: Option<TerritoryId>,
    /// The live drop preview.
    preview: Option<DropPreview>,
    /// Why the tool cannot do what was asked (shown on the map).
    hint: Option<String>,
    /// What the tool needs before it can work (recomputed every frame).
    status: Option<String>,
    /// Name being typed in the details panel or a menu.
    name_edit: Option<(TerritoryId, String)>,
    /// Give the name field keyboard focus (a territory just drawn).
    focus_name: bool,
    /// Territory under the last right-click on the map.
    context: Option<TerritoryId>,
    /// Where the last right-click on the map was, `(lon, lat)`.
    context_at: Option<(f64, f64)>,
    /// The last recolor: `(territory, revision after it)`, so a colour
    /// picker dragged over many colours is one undo step.
    recolor_rev: Option<(TerritoryId, u64)>,
    actions: Vec<ToolAction>,
    /// Time spent building gesture edits (vertex moves, painted units)
    /// since the window last read it (ms).
    build_ms: f64,
}

impl Tools {
    /// Switches tool, dropping any unfinished shape or line.
    pub fn set_tool(&mut self, tool: Tool) {
        if self.tool != tool {
            self.cancel();
            self.tool = tool;
            self.hint = None;
        }
    }

    /// Forgets everything about the plan (another plan was opened).
    pub fn reset(&mut self) {
        self.cancel();
        self.accounts.clear();
        self.territories.clear();
        self.hint = None;
        self.name_edit = None;
        self.context = None;
        self.recolor_rev = None;
        self.actions.clear();
    }

    /// Drops the gesture or the unfinished path. True if there was one.
    pub fn cancel(&mut self) -> bool {
        let had = !matches!(self.gesture, Gesture::None) || !self.path.is_empty();
        self.gesture = Gesture::None;
        self.gesture_rev = None;
        self.path.clear();
        self.split_target = None;
        self.preview = None;
        had
    }

    /// The accounts being dragged, if a drag is under way.
    pub fn dragged_accounts(&self) -> Option<&[usize]> {
        match &self.gesture {
            Gesture::Accounts { accounts, .. } => Some(accounts),
            _ => None,
        }
    }

    /// The live preview of the drag-and-drop under way, if any.
    pub fn drop_preview(&self) -> Option<&DropPreview> {
        self.preview.as_ref()
    }

    /// The corners (Draw) or line points (Split) clicked so far, lon/lat.
    pub fn path(&self) -> &[(f64, f64)] {
        &self.path
    }

    /// The message the tool shows on the map, if any: why the last
    /// gesture did nothing, else what the tool needs first.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref().or(self.status.as_deref())
    }

    /// The territories to merge: the multi-selection when it has two or
    /// more and still holds the selected territory.
    pub fn merge_set(&self, selection: &Selection) -> Option<Vec<TerritoryId>> {
        let sel = selection.territory?;
        (self.territories.len() >= 2 && self.territories.contains(&sel))
            .then(|| self.territories.clone())
    }

    fn push(&mut self, a: ToolAction) {
        self.actions.push(a);
    }

    /// Finishes the Draw or Split path (Enter, double-click).
    fn finish_path(&mut self, alt: bool) {
        let path = std::mem::take(&mut self.path);
        match self.tool {
            Tool::Draw => {
                if path.len() < 3 {
                    self.hint = Some("A territory needs at least three corners".into());
                    self.path = path;
                    return;
                }
                let mode = if self.overlay || alt {
                    DrawMode::Overlay
                } else {
                    DrawMode::TakeFromNeighbors
                };
                self.push(ToolAction::Draw(path, mode));
            }
            Tool::Split => {
                if path.len() < 2 {
                    self.hint = Some("Click at least two points of the cut".into());
                    self.path = path;
                    return;
                }
                match self.split_target.take() {
                    Some(id) => self.push(ToolAction::Split(id, path)),
                    None => {
                        self.hint = Some("Start the line on the territory to split".into());
                    }
                }
            }
            _ => {}
        }
    }
}

/// The edit that pins `accounts` to `target` (drag and drop); `None` when
/// they are all there already (pinned or placed by geometry).
pub(crate) fn drop_edit(
    ws: &Workspace,
    accounts: &[usize],
    target: TerritoryId,
) -> crate::core::Result<Option<Edit>> {
    if accounts
        .iter()
        .all(|&i| ws.engine().territory_of(i) == Some(target))
    {
        return Ok(None);
    }
    let idx: Vec<u32> = accounts.iter().map(|&i| i as u32).collect();
    core_tools::drop_accounts(ws.project(), ws.engine(), &idx, target).map(Some)
}

/// The edit that removes the manual pins of `accounts` in the type shown
/// (rules and geometry decide again there; pins in other types stay).
pub(crate) fn unpin_edit(ws: &Workspace, accounts: &[usize]) -> crate::core::Result<Edit> {
    let idx: Vec<u32> = accounts.iter().map(|&i| i as u32).collect();
    core_tools::unpin(ws.project(), ws.current_type(), &idx)
}

/// `[(lon, lat)]` → closed polygon.
fn polygon_of(pts: &[(f64, f64)]) -> Polygon<f64> {
    let mut ring: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    Polygon::new(LineString(ring), vec![])
}

impl Tools {
    /// Tool keys: tool letters, Enter/Backspace/Esc for a path, Delete for
    /// a vertex, U to unpin and M to merge the selection. Runs before the
    /// window's own shortcuts, and takes Esc only when it had something to
    /// cancel.
    pub(crate) fn keys(&mut self, ctx: &egui::Context, ws: &Workspace, selection: &Selection) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let key = |k: Key| ctx.input_mut(|i| i.consume_key(Modifiers::NONE, k));
        let alt = ctx.input(|i| i.modifiers.alt);
        let t = self;
        if ctx.input(|i| i.key_pressed(Key::Escape)) {
            if t.cancel() {
                ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape));
            } else {
                // Let the window clear the rest of the selection too.
                t.accounts.clear();
                t.territories.clear();
            }
            t.hint = None;
        }
        if t.tool.draws_path() {
            if ctx.input_mut(|i| {
                i.consume_key(Modifiers::NONE, Key::Enter)
                    || i.consume_key(Modifiers::ALT, Key::Enter)
            }) {
                t.finish_path(alt);
            }
            if !t.path.is_empty() && key(Key::Backspace) {
                t.path.pop();
                if t.path.is_empty() {
                    t.split_target = None;
                }
            }
        }
        if let Some(v) = t.hover_vertex
            && t.tool == Tool::Reshape
            && (key(Key::Delete) || key(Key::Backspace))
        {
            match core_tools::delete_vertex(ws.project(), v.id, v.part, v.ring, v.vertex) {
                Ok(e) => t.push(ToolAction::Apply(e)),
                Err(e) => t.hint = Some(e.to_string()),
            }
            t.hover_vertex = None;
        }
        for tool in Tool::ALL {
            if key(tool.key()) {
                t.set_tool(tool);
            }
        }
        if !t.accounts.is_empty() && key(Key::U) {
            let a = t.accounts.clone();
            t.push(ToolAction::Unpin(a));
        }
        if key(Key::M)
            && let Some(ids) = t.merge_set(selection)
        {
            t.push(ToolAction::Merge(ids));
        }
    }

    /// Drops tool state that refers to what no longer exists.
    pub(crate) fn sanitize(&mut self, ws: &Workspace) {
        let p = ws.project();
        self.territories.retain(|&id| p.territory(id).is_some());
        let n = p.accounts.len();
        self.accounts.retain(|&i| i < n && !p.accounts.removed[i]);
    }

    /// Adds `id` to (or removes it from) the territories selected together
    /// and selects the last one; returns a territory to bring into view.
    pub(crate) fn toggle(
        &mut self,
        id: TerritoryId,
        selection: &mut Selection,
    ) -> Option<TerritoryId> {
        let t = &mut self.territories;
        if t.is_empty()
            && let Some(sel) = selection.territory
        {
            t.push(sel);
        }
        selection.account = None;
        if let Some(k) = t.iter().position(|x| *x == id) {
            t.remove(k);
            selection.territory = t.last().copied();
            None
        } else {
            t.push(id);
            selection.territory = Some(id);
            Some(id)
        }
    }

    /// A click on the map selected territory `id` (or empty space): with
    /// Ctrl/Cmd held it joins the multi-selection instead.
    pub(crate) fn map_click(&mut self, id: Option<TerritoryId>, ctx: &egui::Context) -> Command {
        match id {
            Some(id) if ctx.input(|i| i.modifiers.command) => Command::ToggleTerritory(id),
            Some(id) => {
                self.territories.clear();
                Command::SelectTerritory { id, zoom: false }
            }
            None => {
                self.territories.clear();
                Command::ClearSelection
            }
        }
    }
}

impl TurfmapApp {
    /// Turns the queued tool actions into edits (and selection changes).
    pub(crate) fn run_tool_actions(&mut self) {
        self.phases.build_ms += std::mem::take(&mut self.panels.tools.build_ms);
        let actions = std::mem::take(&mut self.panels.tools.actions);
        for a in actions {
            self.run_tool_action(a);
        }
    }

    fn run_tool_action(&mut self, a: ToolAction) {
        let p = self.ws.project();
        let edit = |r: crate::core::Result<Edit>| r.map_err(|e| e.to_string());
        let result: Result<(), String> = match a {
            ToolAction::Apply(e) => {
                self.panels.tools.gesture_rev = None;
                self.apply(e);
                Ok(())
            }
            ToolAction::Step(e) => {
                self.gesture_step(e);
                Ok(())
            }
            ToolAction::Drop(accounts, target) => {
                self.apply_command(Command::DropAccounts(accounts, target));
                Ok(())
            }
            ToolAction::Unpin(accounts) => {
                let pinned: Vec<usize> = accounts
                    .into_iter()
                    .filter(|&i| self.ws.engine().pin_of(p, i).is_some())
                    .collect();
                if pinned.is_empty() {
                    self.notice = Some("None of the selected accounts is pinned".into());
                } else {
                    self.apply_command(Command::Unpin(pinned));
                }
                Ok(())
            }
            ToolAction::SelectAccounts(mut list, add) => {
                if add {
                    list.extend(self.panels.tools.accounts.iter().copied());
                    list.sort_unstable();
                    list.dedup();
                }
                self.notice = Some(match list.len() {
                    0 => "No accounts there".to_owned(),
                    n => format!(
                        "{} account(s) selected: drag one onto a territory to move them all",
                        super::fmt::count(n as u64)
                    ),
                });
                self.panels.tools.accounts = list;
                Ok(())
            }
            ToolAction::Draw(pts, mode) => {
                let id = TerritoryId(p.next_territory_id);
                let name = format!("Territory {}", p.territories.len() + 1);
                match edit(core_tools::draw_territory_of_type(
                    p,
                    self.ws.current_type(),
                    &name,
                    polygon_of(&pts),
                    mode,
                )) {
                    Ok(e) => {
                        let before = self.ws.revision();
                        self.apply(e);
                        if self.ws.revision() != before && self.ws.project().territory(id).is_some()
                        {
                            self.select_territory(id, false);
                            self.panels.tools.territories.clear();
                            self.panels.tools.focus_name = true;
                            self.notice = Some(
                                "New territory drawn: type its name in the details panel".into(),
                            );
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            ToolAction::Split(id, pts) => {
                let line = LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect());
                edit(core_tools::split_territory(p, id, line)).map(|e| {
                    self.apply(e);
                })
            }
            ToolAction::Merge(ids) => edit(core_tools::merge_territories(p, &ids, None)).map(|e| {
                self.apply(e);
                self.panels.tools.territories.clear();
                if let Some(&first) = ids.first() {
                    self.select_territory(first, false);
                }
            }),
            ToolAction::Rename(id, name) => {
                if p.territory(id).is_some_and(|t| t.name == name.trim()) {
                    Ok(())
                } else {
                    let r = edit(core_tools::rename(p, id, &name)).map(|e| self.apply(e));
                    // A refused name goes back to the current one in the field.
                    self.panels.tools.name_edit = None;
                    r
                }
            }
            ToolAction::Recolor(id, color) => {
                edit(core_tools::recolor(p, id, color)).map(|e| {
                    // A picker dragged across colours is one undo step.
                    let fold = self.panels.tools.recolor_rev == Some((id, self.ws.revision()));
                    let r = if fold {
                        self.ws.amend(e)
                    } else {
                        self.ws.apply(e)
                    };
                    match r {
                        Ok(()) => {
                            self.panels.tools.recolor_rev = Some((id, self.ws.revision()));
                            self.refresh_metrics();
                        }
                        Err(e) => self.error = Some(e.to_string()),
                    }
                })
            }
            ToolAction::Lock(id, locked) => {
                edit(core_tools::lock(p, id, locked)).map(|e| self.apply(e))
            }
            ToolAction::Delete(id) => edit(core_tools::delete(p, id)).map(|e| self.apply(e)),
            ToolAction::Focus(id, tool) => {
                self.select_territory(id, false);
                if let Some(t) = tool {
                    self.panels.tools.set_tool(t);
                }
                Ok(())
            }
            ToolAction::ToggleTerritory(id) => {
                self.apply_command(Command::ToggleTerritory(id));
                Ok(())
            }
            ToolAction::DriveRings(at, what) => {
                self.apply_command(Command::DriveRings(at, what));
                Ok(())
            }
            ToolAction::Notice(n) => {
                self.notice = Some(n);
                Ok(())
            }
            ToolAction::Error(e) => Err(e),
        };
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    /// One step of a gesture: applied, and folded into the gesture's first
    /// step when that is still the last undo entry.
    fn gesture_step(&mut self, e: Edit) {
        let key = |app: &Self| (app.generation, app.ws.revision());
        let fold = self.panels.tools.gesture_rev == Some(key(self));
        let t = std::time::Instant::now();
        let r = if fold {
            self.ws.amend(e)
        } else {
            self.ws.apply(e)
        };
        self.phases.edit_ms += t.elapsed().as_secs_f64() * 1e3;
        match r {
            Ok(()) => {
                self.panels.tools.gesture_rev = Some(key(self));
                self.refresh_metrics();
            }
            Err(e) => self.panels.tools.hint = Some(e.to_string()),
        }
    }
}
