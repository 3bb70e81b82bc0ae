//! The "Unassigned and unlocated" window: the accounts the plan leaves out,
//! each with why (outside every territory, no coordinates, unknown postal
//! code, country not covered, …), to click (select and zoom) and to export
//! as CSV. Opened from the plan summary's "Unassigned" / "Unlocated"
//! figures.

use std::time::Duration;

use egui::{RichText, ScrollArea, Ui};

use super::pending::Pending;

use crate::app::command::Command;
use crate::app::fmt;
use crate::app::state::Selection;
use crate::core::Workspace;
use crate::core::geocode::Country;
use crate::core::model::TerritoryTypeId;
use crate::core::unassigned::{LeftOut, counts, left_out, update_left_out};

/// Which accounts the window lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LeftOutFilter {
    /// Unassigned and unlocated.
    #[default]
    All,
    /// Accounts in no territory (unlocated ones too, as the plan's
    /// "Unassigned" figure counts them).
    Unassigned,
    /// Accounts with no location.
    Unlocated,
}

impl LeftOutFilter {
    /// Whether the window lists `row` under this filter.
    pub fn keeps(self, row: &LeftOut) -> bool {
        match self {
            LeftOutFilter::All => true,
            LeftOutFilter::Unassigned => row.territory.is_none(),
            LeftOutFilter::Unlocated => row.reason.is_unlocated(),
        }
    }
}

/// What the rows were computed from.
#[derive(Clone, Copy, PartialEq, Eq)]
struct RowsKey {
    generation: u64,
    revision: u64,
    ty: TerritoryTypeId,
    /// Unlocated reasons name the default country.
    country: Country,
}

impl RowsKey {
    fn of(ws: &Workspace, generation: u64) -> Self {
        Self {
            generation,
            revision: ws.revision(),
            ty: ws.current_type(),
            country: ws.project().settings.default_country,
        }
    }

    /// The same plan, type and country: rows for `self` can be brought up
    /// to `other` from the edits between them.
    fn same_plan(&self, other: &Self) -> bool {
        (self.generation, self.ty, self.country) == (other.generation, other.ty, other.country)
    }
}

/// What a frame shows of the rows.
struct View {
    version: u64,
    filter: LeftOutFilter,
    /// `(unassigned, unlocated)`.
    counts: (usize, usize),
    /// Positions in the rows of those the filter keeps.
    shown: Vec<usize>,
}

/// Plans with at least this many accounts list from scratch on a worker
/// thread; smaller ones at once (a few milliseconds).
pub const BACKGROUND_FROM: usize = 50_000;

/// The window's state. The rows follow the plan edit by edit (only the
/// accounts an edit touched are looked at again); a list from scratch
/// (opening, another plan or type, a long gap) is built on a worker thread
/// for big plans, the window showing the rows it has meanwhile.
pub struct UnassignedPanel {
    /// Whether the window is shown.
    pub open: bool,
    /// Which accounts are listed.
    pub filter: LeftOutFilter,
    /// Plans this big or bigger list from scratch in the background.
    pub background_from: usize,
    rows: Vec<LeftOut>,
    /// Bumped whenever `rows` change.
    version: u64,
    /// The rows' counts and the positions the filter keeps, for `version`
    /// (a frame draws from these instead of passing over every row).
    view: Option<View>,
    key: Option<RowsKey>,
    building: Option<(RowsKey, Pending<Vec<LeftOut>>)>,
}

impl Default for UnassignedPanel {
    fn default() -> Self {
        Self {
            open: false,
            filter: LeftOutFilter::default(),
            background_from: BACKGROUND_FROM,
            rows: Vec::new(),
            version: 0,
            view: None,
            key: None,
            building: None,
        }
    }
}

impl UnassignedPanel {
    /// Opens the window on `filter`.
    pub fn show(&mut self, filter: LeftOutFilter) {
        self.open = true;
        self.filter = filter;
    }

    /// Brings the rows up to date with plan `generation` of `ws`: from the
    /// edits since the rows' revision when they are known, else from
    /// scratch (in the background for big plans).
    pub fn refresh(&mut self, ctx: &egui::Context, ws: &Workspace, generation: u64) {
        self.collect(None);
        let want = RowsKey::of(ws, generation);
        if self.key == Some(want) {
            return;
        }
        if let Some(k) = self.key
            && k.same_plan(&want)
            && let Some(changes) = ws.changes_since(k.revision)
        {
            update_left_out(&mut self.rows, ws.project(), ws.engine(), &changes.accounts);
            self.version += 1;
            self.key = Some(want);
            return;
        }
        if let Some((k, _)) = &self.building
            && k.same_plan(&want)
        {
            // Brought up to date from the edits since once it arrives.
            return;
        }
        if ws.project().accounts.len() < self.background_from {
            self.building = None;
            self.rows = left_out(ws.project(), ws.engine());
            self.version += 1;
            self.key = Some(want);
            return;
        }
        if self.key.is_some_and(|k| k.generation != generation) {
            // Another plan's rows would name the wrong accounts.
            self.rows.clear();
            self.version += 1;
        }
        let snapshot = ws.snapshot();
        let work = Pending::spawn(ctx, move |_| {
            Ok(left_out(snapshot.project(), snapshot.engine()))
        });
        self.building = Some((want, work));
    }

    /// Takes a finished list from scratch; waits up to `wait` for it.
    fn collect(&mut self, wait: Option<Duration>) {
        let Some((key, work)) = &self.building else {
            return;
        };
        let done = match wait {
            Some(w) => work.wait(w),
            None => work.poll(),
        };
        if let Some(result) = done {
            // A failed list is empty; the next plan change tries again.
            self.rows = result.unwrap_or_default();
            self.version += 1;
            self.key = Some(*key);
            self.building = None;
        }
    }

    /// True while a list from scratch is being built.
    pub fn is_updating(&self) -> bool {
        self.building.is_some()
    }

    /// Blocks up to `timeout` for a list being built, then brings it up to
    /// date (tests; the window never waits). True when up to date.
    pub fn wait(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        generation: u64,
        timeout: Duration,
    ) -> bool {
        self.collect(Some(timeout));
        self.refresh(ctx, ws, generation);
        self.key == Some(RowsKey::of(ws, generation))
    }

    /// Brings the counts and filtered positions up to date with the rows
    /// and the filter.
    fn update_view(&mut self) {
        let (version, filter) = (self.version, self.filter);
        if self
            .view
            .as_ref()
            .is_some_and(|v| v.version == version && v.filter == filter)
        {
            return;
        }
        let shown = (0..self.rows.len())
            .filter(|&k| filter.keeps(&self.rows[k]))
            .collect();
        self.view = Some(View {
            version,
            filter,
            counts: counts(&self.rows),
            shown,
        });
    }

    /// The rows the window lists (after [`UnassignedPanel::refresh`]).
    pub fn shown(&self) -> Vec<LeftOut> {
        self.rows
            .iter()
            .filter(|r| self.filter.keeps(r))
            .cloned()
            .collect()
    }

    /// Draws the window (when open) and returns what the user asked for.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        generation: u64,
        selection: &Selection,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        if !self.open {
            return out;
        }
        self.refresh(ctx, ws, generation);
        let mut open = true;
        egui::Window::new("Unassigned and unlocated")
            .open(&mut open)
            .default_size([560.0, 460.0])
            .resizable(true)
            .show(ctx, |ui| self.contents(ui, ws, selection, &mut out));
        self.open &= open;
        out
    }

    fn contents(
        &mut self,
        ui: &mut Ui,
        ws: &Workspace,
        selection: &Selection,
        out: &mut Vec<Command>,
    ) {
        self.update_view();
        let (unassigned, unlocated) = self.view.as_ref().map_or((0, 0), |v| v.counts);
        ui.horizontal(|ui| {
            for (filter, text) in [
                (
                    LeftOutFilter::All,
                    format!("All {}", fmt::count(self.rows.len() as u64)),
                ),
                (
                    LeftOutFilter::Unassigned,
                    format!("Unassigned {}", fmt::count(unassigned as u64)),
                ),
                (
                    LeftOutFilter::Unlocated,
                    format!("Unlocated {}", fmt::count(unlocated as u64)),
                ),
            ] {
                ui.selectable_value(&mut self.filter, filter, text);
            }
        });
        self.update_view();
        let shown = self.view.as_ref().map_or(&[][..], |v| v.shown.as_slice());
        ui.horizontal(|ui| {
            let export = ui
                .add_enabled(!shown.is_empty(), egui::Button::new("Export CSV…"))
                .on_hover_text("Write the accounts listed here, with their reasons, to a CSV file");
            if export.clicked() {
                // The app asks where: a file dialog, or a typed path.
                out.push(Command::ChooseLeftOutExport);
            }
            if self.building.is_some() {
                ui.spinner();
                ui.label("Updating the list…");
            }
            ui.label(
                RichText::new("Click an account to select it and show it on the map")
                    .small()
                    .color(ui.visuals().weak_text_color()),
            );
        });
        ui.separator();
        if shown.is_empty() {
            ui.label(match self.filter {
                LeftOutFilter::Unlocated => "Every account has a location.",
                _ => "Every account is located and in a territory.",
            });
            return;
        }
        rows_table(ui, ws, (&self.rows, shown), selection, out);
    }
}

/// The rows at positions `shown`, drawn only where visible (a
/// million-account plan can leave out every account).
fn rows_table(
    ui: &mut Ui,
    ws: &Workspace,
    (rows, shown): (&[LeftOut], &[usize]),
    selection: &Selection,
    out: &mut Vec<Command>,
) {
    let a = &ws.project().accounts;
    let height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y + 4.0;
    ScrollArea::vertical()
        .id_salt("left_out_rows")
        .auto_shrink([false, false])
        .show_rows(ui, height, shown.len(), |ui, range| {
            for r in shown[range].iter().filter_map(|&k| rows.get(k)) {
                let i = r.account;
                if i >= a.len() {
                    // Rows of an older state, while a new list is built.
                    continue;
                }
                ui.horizontal(|ui| {
                    let text = format!("{} · {}", a.ids[i], a.names[i]);
                    let picked = selection.account == Some(i);
                    if ui.selectable_label(picked, text).clicked() {
                        out.push(Command::SelectAccount(i));
                        out.push(Command::ZoomToAccount(i));
                    }
                    let mut why = r.reason.label();
                    if let Some(t) = r.territory.and_then(|id| ws.project().territory(id)) {
                        why.push_str(&format!(" · pinned to {}", t.name));
                    }
                    ui.label(RichText::new(why).color(ui.visuals().weak_text_color()));
                });
            }
        });
}
