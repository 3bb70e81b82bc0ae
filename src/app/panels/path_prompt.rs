//! A typed path in place of a native file dialog. Without a dialog service
//! (no xdg desktop portal on D-Bus, no `zenity` or `kdialog`) the native
//! dialogs return nothing at once; File → New/Open/Import/Export then say
//! so and ask for a path here instead of doing nothing.

use std::path::{Path, PathBuf};

use egui::{Id, Modal, RichText};

use crate::app::command::Command;
use crate::app::{Action, files};
use crate::core::Workspace;

/// What a typed path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    /// A plan to open.
    OpenPlan,
    /// The accounts table of a new plan.
    NewPlanAccounts,
    /// The accounts export to refresh the plan from.
    RefreshAccounts,
    /// Where to save the plan.
    SavePlan,
    /// Territories to import.
    ImportTerritories,
    /// Where to write the assignments CSV.
    ExportAssignments,
    /// Where to write the unassigned and unlocated accounts listed.
    ExportLeftOut,
    /// Where to write the change list of the scenario comparison.
    ExportChanges,
    /// Where to write the territories (GeoJSON, or KML/KMZ by extension;
    /// `kml` suggests a `.kml` name).
    ExportTerritories {
        /// Suggest a KML file.
        kml: bool,
    },
    /// Where to write the map image or report waiting in the export
    /// dialog (`ext` suggests the file type).
    ExportFile {
        /// What is written ("map", "report").
        what: &'static str,
        /// The suggested extension.
        ext: &'static str,
    },
}

impl PathPurpose {
    fn title(self) -> &'static str {
        match self {
            PathPurpose::OpenPlan => "Open plan",
            PathPurpose::NewPlanAccounts => "New plan: accounts file",
            PathPurpose::RefreshAccounts => "Refresh accounts: export file",
            PathPurpose::SavePlan => "Save plan as",
            PathPurpose::ImportTerritories => "Import territories",
            PathPurpose::ExportAssignments => "Export assignments",
            PathPurpose::ExportLeftOut => "Export unassigned and unlocated accounts",
            PathPurpose::ExportChanges => "Export change list",
            PathPurpose::ExportTerritories { .. } => "Export territories",
            PathPurpose::ExportFile { what: "map", .. } => "Export map image",
            PathPurpose::ExportFile { .. } => "Export report",
        }
    }

    /// The path the field starts with: the plan's folder (the working
    /// folder for a plan without a file) and, for files written, a name.
    pub fn suggested(self, ws: &Workspace) -> PathBuf {
        let dir = ws
            .path()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let stem = match ws.project().name.as_str() {
            "" => "plan",
            n => n,
        };
        let name = match self {
            PathPurpose::OpenPlan
            | PathPurpose::NewPlanAccounts
            | PathPurpose::RefreshAccounts
            | PathPurpose::ImportTerritories => String::new(),
            PathPurpose::SavePlan => format!("{stem}.turf"),
            PathPurpose::ExportAssignments => format!("{stem}-assignments.csv"),
            PathPurpose::ExportLeftOut => format!("{stem}-unassigned.csv"),
            PathPurpose::ExportChanges => format!("{stem}-changes.csv"),
            PathPurpose::ExportTerritories { kml: false } => format!("{stem}-territories.geojson"),
            PathPurpose::ExportTerritories { kml: true } => format!("{stem}-territories.kml"),
            PathPurpose::ExportFile { what, ext } => format!("{stem}-{what}.{ext}"),
        };
        dir.join(name)
    }

    /// Files that must exist (read) or may be created (written).
    fn reads(self) -> bool {
        matches!(
            self,
            PathPurpose::OpenPlan
                | PathPurpose::NewPlanAccounts
                | PathPurpose::RefreshAccounts
                | PathPurpose::ImportTerritories
        )
    }

    /// The command that does the job with `path`.
    pub(crate) fn command(self, path: PathBuf) -> Command {
        match self {
            PathPurpose::OpenPlan => Command::Perform(Action::Open(path)),
            PathPurpose::NewPlanAccounts => Command::NewPlanFrom(path),
            PathPurpose::RefreshAccounts => Command::RefreshAccountsFrom(path),
            PathPurpose::SavePlan => Command::SaveTo(path),
            PathPurpose::ImportTerritories => Command::ImportTerritories(path),
            PathPurpose::ExportAssignments => Command::ExportAssignments(path),
            PathPurpose::ExportLeftOut => Command::ExportLeftOut(path),
            PathPurpose::ExportChanges => Command::ExportChanges(path),
            PathPurpose::ExportTerritories { .. } => Command::ExportTerritories(path),
            PathPurpose::ExportFile { .. } => Command::ExportTo(path),
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
    /// An existing file the user was warned about: OK again replaces it.
    replace: Option<PathBuf>,
}

impl PathPrompt {
    /// Why native file dialogs cannot be shown here, if they cannot.
    pub fn unavailable(&self) -> Option<String> {
        if self.force_typed {
            return Some("typed paths are in use".into());
        }
        files::dialogs::unavailable()
    }

    /// What to do to get a path for `purpose` (only the purposes with a
    /// native dialog of their own: the accounts export to refresh from,
    /// the unassigned list's CSV, the comparison's change list): ask for a typed path where no file
    /// dialog exists, else show the dialog and do the job with its answer.
    pub(crate) fn choose(&self, purpose: PathPurpose, ws: &Workspace) -> Vec<Command> {
        if self.unavailable().is_some() {
            return vec![Command::AskPath(purpose)];
        }
        let near = ws.path();
        let stem = match ws.project().name.as_str() {
            "" => "plan".to_owned(),
            n => n.to_owned(),
        };
        let path = match purpose {
            PathPurpose::RefreshAccounts => files::dialogs::pick_accounts_csv(near),
            PathPurpose::ExportLeftOut => files::dialogs::save_as(
                purpose.title(),
                "CSV",
                "csv",
                &format!("{stem}-unassigned"),
                near,
            ),
            PathPurpose::ExportChanges => files::dialogs::save_as(
                purpose.title(),
                "CSV",
                "csv",
                &format!("{stem}-changes"),
                near,
            ),
            _ => None,
        };
        path.map(|p| purpose.command(p)).into_iter().collect()
    }

    /// Asks for a path for `purpose`, starting from `start` (e.g. the
    /// plan's folder).
    pub fn ask(&mut self, purpose: PathPurpose, start: Option<&Path>) {
        let text = start.map(|p| p.display().to_string()).unwrap_or_default();
        self.open = Some((purpose, text));
        self.problem = None;
        self.replace = None;
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
            Ok(path)
                if !purpose.reads() && path.exists() && self.replace.as_ref() != Some(&path) =>
            {
                self.problem = Some(format!(
                    "{} exists: press OK again to replace it",
                    path.display()
                ));
                self.replace = Some(path);
                Vec::new()
            }
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
    let mut path = PathBuf::from(text);
    if purpose == PathPurpose::SavePlan {
        path = files::plan_path(path);
    }
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
