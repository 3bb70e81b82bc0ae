//! A typed path in place of a native file dialog. Without a dialog service
//! (no xdg desktop portal on D-Bus, no `zenity` or `kdialog`) the native
//! dialogs return nothing at once; File → New/Open/Import/Export then say
//! so and ask for a path here instead of doing nothing.

use std::path::{Path, PathBuf};

use egui::{Id, Modal, RichText};

use crate::app::command::Command;
use crate::app::{Action, files};

/// What a typed path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    /// A plan to open.
    OpenPlan,
    /// The accounts table of a new plan.
    NewPlanAccounts,
    /// Where to save the plan.
    SavePlan,
    /// Territories to import.
    ImportTerritories,
    /// Where to write the assignments CSV.
    ExportAssignments,
    /// Where to write the territories (GeoJSON, or KML/KMZ by extension).
    ExportTerritories,
}

impl PathPurpose {
    fn title(self) -> &'static str {
        match self {
            PathPurpose::OpenPlan => "Open plan",
            PathPurpose::NewPlanAccounts => "New plan: accounts file",
            PathPurpose::SavePlan => "Save plan as",
            PathPurpose::ImportTerritories => "Import territories",
            PathPurpose::ExportAssignments => "Export assignments",
            PathPurpose::ExportTerritories => "Export territories",
        }
    }

    /// Files that must exist (read) or may be created (written).
    fn reads(self) -> bool {
        matches!(
            self,
            PathPurpose::OpenPlan | PathPurpose::NewPlanAccounts | PathPurpose::ImportTerritories
        )
    }

    /// The command that does the job with `path`.
    fn command(self, path: PathBuf) -> Command {
        match self {
            PathPurpose::OpenPlan => Command::Perform(Action::Open(path)),
            PathPurpose::NewPlanAccounts => Command::NewPlanFrom(path),
            PathPurpose::SavePlan => Command::SaveTo(files::with_extension(path, "turf")),
            PathPurpose::ImportTerritories => Command::ImportTerritories(path),
            PathPurpose::ExportAssignments => Command::ExportAssignments(path),
            PathPurpose::ExportTerritories => Command::ExportTerritories(path),
        }
    }
}

/// The typed-path dialog and whether native dialogs are used.
#[derive(Debug, Default)]
pub struct PathPrompt {
    /// Always ask for typed paths (tests; set when native dialogs are
    /// known not to work).
    pub force_typed: bool,
    open: Option<(PathPurpose, String)>,
    problem: Option<String>,
}

impl PathPrompt {
    /// Why native file dialogs cannot be shown here, if they cannot.
    pub fn unavailable(&self) -> Option<String> {
        if self.force_typed {
            return Some("typed paths are in use".into());
        }
        files::dialogs::unavailable()
    }

    /// Asks for a path for `purpose`, starting from `start` (e.g. the
    /// plan's folder).
    pub fn ask(&mut self, purpose: PathPurpose, start: Option<&Path>) {
        let text = start.map(|p| p.display().to_string()).unwrap_or_default();
        self.open = Some((purpose, text));
        self.problem = None;
    }

    /// True while the dialog is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The dialog, while open.
    pub fn ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let reason = self.unavailable().unwrap_or_default();
        let Some((purpose, text)) = &mut self.open else {
            return Vec::new();
        };
        let purpose = *purpose;
        let (mut ok, mut cancel) = (false, false);
        let modal = Modal::new(Id::unique("typed_path")).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.heading(purpose.title());
            ui.label(
                RichText::new(format!(
                    "No file dialog is available here ({reason}); type the file's path."
                ))
                .color(ui.visuals().weak_text_color()),
            );
            ui.add_space(6.0);
            let label = ui.label("Path");
            let r = ui
                .add(egui::TextEdit::singleline(text).desired_width(f32::INFINITY))
                .labelled_by(label.id);
            ok = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if let Some(p) = &self.problem {
                ui.colored_label(ui.visuals().error_fg_color, p);
            }
            ui.horizontal(|ui| {
                ok |= ui.button("OK").clicked();
                cancel = ui.button("Cancel").clicked();
            });
        });
        if modal.should_close() && !ok {
            cancel = true;
        }
        if cancel {
            self.open = None;
            return Vec::new();
        }
        if !ok {
            return Vec::new();
        }
        match check(purpose, text.trim()) {
            Ok(path) => {
                self.open = None;
                vec![purpose.command(path)]
            }
            Err(problem) => {
                self.problem = Some(problem);
                Vec::new()
            }
        }
    }
}

/// The typed path, or why it cannot be used (said in the dialog).
fn check(purpose: PathPurpose, text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("Type a path.".into());
    }
    let path = PathBuf::from(text);
    if purpose.reads() && !path.is_file() {
        return Err(format!("{}: no such file", path.display()));
    }
    if !purpose.reads() {
        if path.is_dir() {
            return Err(format!("{} is a folder: add a file name", path.display()));
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent
            && !dir.is_dir()
        {
            return Err(format!("{}: no such folder", dir.display()));
        }
    }
    Ok(path)
}
