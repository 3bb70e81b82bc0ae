//! The window's panels. Each panel is a struct that owns its state and
//! has a `ui` method that draws from read-only state (the workspace, the
//! metrics, the selection) and returns [`Command`](super::command::Command)s,
//! which the app applies in one place.
//!
//! Every value shown next to a caption is also given the accessible text
//! "Caption: value", so a screen reader (and the UI tests) read it with its
//! meaning instead of a bare number.

pub mod about;
pub mod balance;
pub mod balance_chart;
pub mod capacity;
pub mod details;
pub mod dialogs;
pub mod export;
pub mod history;
pub mod import_wizard;
pub mod imports;
pub mod menu_bar;
pub mod model;
pub mod name_picker;
pub mod path_prompt;
pub(crate) mod pending;
pub mod present;
pub mod rings;
pub mod salesforce;
pub mod search;
pub mod status_bar;
pub mod territory_list;
pub mod unassigned;

use egui::{
    Align, Color32, CornerRadius, Label, RichText, Role, Sense, Shape, Stroke, StrokeKind, Ui,
    WidgetInfo, vec2,
};

use super::fmt;

pub use super::tools::ToolBar;
pub use about::AboutWindow;
pub use balance::BalancePanel;
pub use balance_chart::BalanceChart;
pub use details::Details;
pub use dialogs::{Dialogs, NewPlanRequest};
pub use export::{ExportUi, MapExportForm};
pub use history::{HistoryPanel, RecoveryDialog};
pub use import_wizard::{ImportWizard, WizardMode, WizardOutcome};
pub use menu_bar::MenuBar;
pub use model::ModelWindow;
pub use name_picker::{NamePicker, PickerOutcome};
pub use path_prompt::{PathPrompt, PathPurpose};
pub use present::Presentation;
pub use salesforce::{SalesforceExportDialog, SalesforceExportRequest};
pub use search::SearchPanel;
pub use status_bar::StatusBar;
pub use territory_list::{SortColumn, SortOrder, TerritoryList, territory_order};
pub use unassigned::{LeftOutFilter, UnassignedPanel};

/// Every panel and dialog of the window, each owning its state. The app
/// draws them from read-only state and applies the [`Command`]s they
/// return in one place.
///
/// [`Command`]: super::command::Command
#[derive(Default)]
pub struct Panels {
    /// The territory list (left).
    pub list: TerritoryList,
    /// The plan summary and selection details (right).
    pub details: Details,
    /// The map's editing tools and their toolbar.
    pub tools: super::tools::Tools,
    /// The Balance/Generate dialog.
    pub balance: BalancePanel,
    /// The Capacity window (reps needed, candidate homes).
    pub capacity: capacity::CapacityPanel,
    /// The drive-time rings window.
    pub rings: rings::RingsPanel,
    /// Drive-time figures of the plan, kept current on a worker thread.
    pub drive: crate::app::drive::DriveTimes,
    /// The territory model window (open or not, its state stays).
    pub model: ModelWindow,
    /// Presentation mode.
    pub present: Presentation,
    /// The export dialogs and where exports go.
    pub export: ExportUi,
    /// "Save changes?" and the New-plan form.
    pub dialogs: Dialogs,
    /// The About window (credits and notices of the bundled data).
    pub about: AboutWindow,
    /// A typed path where no native file dialog can be shown.
    pub paths: PathPrompt,
    /// The import wizard, the territory name picker, the refresh summary.
    pub imports: imports::ImportDialogs,
    /// The unassigned and unlocated accounts window.
    pub left_out: UnassignedPanel,
    /// The Find window (Ctrl+F).
    pub search: SearchPanel,
}

/// A caption and its value in a two- or three-column grid; the value's
/// accessible text is "caption: value".
fn kv(ui: &mut Ui, key: &str, value: impl Into<RichText>, extra: Option<String>) {
    ui.label(RichText::new(key).color(ui.visuals().weak_text_color()));
    let value = value.into();
    let text = value.text().to_owned();
    let r = ui.add(Label::new(value).halign(Align::Max));
    let spoken = match &extra {
        Some(e) => format!("{key}: {text} ({e})"),
        None => format!("{key}: {text}"),
    };
    r.widget_info(|| WidgetInfo::labeled(Role::Label, true, &spoken));
    match extra {
        Some(e) => {
            ui.label(
                RichText::new(e)
                    .small()
                    .color(ui.visuals().weak_text_color()),
            );
        }
        None => {
            ui.label("");
        }
    }
    ui.end_row();
}

/// A caption and its value, two grid cells, for the compact figures grid.
fn figure(ui: &mut Ui, key: &str, value: impl Into<RichText>) {
    ui.label(RichText::new(key).color(ui.visuals().weak_text_color()));
    let value = value.into();
    let spoken = format!("{key}: {}", value.text());
    let r = ui.label(value);
    r.widget_info(|| WidgetInfo::labeled(Role::Label, true, &spoken));
}

/// Like [`figure`], with the value a link (accessible text "caption:
/// value"); true when clicked.
fn figure_link(ui: &mut Ui, key: &str, value: impl Into<RichText>, hint: &str) -> bool {
    ui.label(RichText::new(key).color(ui.visuals().weak_text_color()));
    let value = value.into();
    let spoken = format!("{key}: {}", value.text());
    let r = ui.link(value).on_hover_text(hint);
    r.widget_info(|| WidgetInfo::labeled(Role::Link, true, &spoken));
    r.clicked()
}

fn color32([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

fn swatch(ui: &mut Ui, color: [u8; 3], size: f32) {
    let (rect, _) = ui.allocate_exact_size(vec2(size, size), Sense::hover());
    ui.painter()
        .rect_filled(rect, CornerRadius::same(3), color32(color));
    ui.painter().rect_stroke(
        rect,
        CornerRadius::same(3),
        Stroke::new(
            1.0,
            ui.visuals()
                .widgets
                .noninteractive
                .fg_stroke
                .color
                .gamma_multiply(0.5),
        ),
        StrokeKind::Inside,
    );
}

/// A warning sign drawn with shapes (the default fonts have no ⚠ glyph).
pub(crate) fn warning_icon(ui: &mut Ui) {
    let (rect, _) = ui.allocate_exact_size(vec2(20.0, 18.0), Sense::hover());
    let color = ui.visuals().warn_fg_color;
    let points = vec![
        egui::pos2(rect.center().x, rect.top() + 1.0),
        egui::pos2(rect.right() - 1.0, rect.bottom() - 1.0),
        egui::pos2(rect.left() + 1.0, rect.bottom() - 1.0),
    ];
    ui.painter()
        .add(Shape::convex_polygon(points, color, Stroke::NONE));
    ui.painter().text(
        egui::pos2(rect.center().x, rect.bottom() - 1.5),
        egui::Align2::CENTER_BOTTOM,
        "!",
        egui::FontId::proportional(13.0),
        Color32::WHITE,
    );
}
