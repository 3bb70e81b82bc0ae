//! Modal dialogs and the error banner: progress of a background job,
//! "Save changes?", the New-plan form.

use std::path::PathBuf;

use egui::{Id, Modal, Panel, ProgressBar, RichText, Ui};

use crate::app::command::Command;
use crate::app::jobs::Job;
use crate::app::{Action, display_name, files};
use crate::core::Workspace;

/// The "New plan from CSV" form, between choosing the accounts file and
/// choosing where to save.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NewPlanForm {
    accounts: PathBuf,
    territories: Option<PathBuf>,
    name_prop: String,
    /// The country of rows that name none (picks the postal table).
    country: crate::core::geocode::Country,
    /// Where to save, typed (only where no native file dialog exists).
    plan: String,
}

/// A new plan to build: the files it is made from and where it is saved.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPlanRequest {
    /// The accounts table.
    pub accounts: PathBuf,
    /// Territories to import with them (GeoJSON, shapefile, KML, KMZ).
    pub territories: Option<PathBuf>,
    /// The territories' name property (`None`: detect it).
    pub name_prop: Option<String>,
    /// The country of rows that name none.
    pub country: crate::core::geocode::Country,
    /// Where the new plan is saved.
    pub plan: PathBuf,
}

/// The window's modal dialogs: "Save changes?" and the New-plan form.
#[derive(Debug, Default)]
pub struct Dialogs {
    /// What waits for "Save changes?" to be answered.
    pub(crate) confirm: Option<Action>,
    /// The New-plan form, while open.
    pub(crate) new_plan: Option<NewPlanForm>,
    /// A save found the plan's file changed on disk: the file, and what
    /// waited for the save.
    pub(crate) conflict: Option<(PathBuf, Option<Action>)>,
}

/// A dismissable one-line error under the menu bar.
pub(crate) fn error_banner(ui: &mut Ui, error: &str) -> Vec<Command> {
    let mut out = Vec::new();
    // Opaque: nothing is painted under a panel's own frame.
    let fill = if ui.visuals().dark_mode {
        egui::Color32::from_rgb(96, 32, 32)
    } else {
        egui::Color32::from_rgb(253, 226, 222)
    };
    Panel::top("error_banner")
        .frame(egui::Frame::new().fill(fill).inner_margin(8))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                super::warning_icon(ui);
                if ui.button("Dismiss").clicked() {
                    out.push(Command::DismissError);
                }
                ui.add(
                    egui::Label::new(RichText::new(error).color(ui.visuals().strong_text_color()))
                        .wrap(),
                );
            });
        });
    out
}

/// Progress of the running job, with Cancel where it is safe.
pub(crate) fn busy_dialog(ctx: &egui::Context, job: &Job) -> Vec<Command> {
    let mut cancel = false;
    Modal::new(Id::unique("busy")).show(ctx, |ui| {
        ui.set_width(440.0);
        ui.heading(&job.title);
        ui.add_space(8.0);
        let f = job.progress.fraction();
        let bar = if f > 0.0 {
            ProgressBar::new(f).show_percentage()
        } else {
            // Unknown length: show that something is happening.
            ProgressBar::new(0.0).animate(true)
        };
        ui.add(bar);
        ui.add_space(8.0);
        if job.cancellable {
            cancel = ui.button("Cancel").clicked();
        } else {
            ui.label(
                RichText::new("This can't be interrupted; it should not take long.")
                    .color(ui.visuals().weak_text_color()),
            );
        }
    });
    if cancel {
        return vec![Command::CancelJob];
    }
    Vec::new()
}

impl Dialogs {
    /// True while a modal dialog waits for an answer.
    pub fn is_open(&self) -> bool {
        self.confirm.is_some() || self.new_plan.is_some() || self.conflict.is_some()
    }

    /// Opens the New-plan form on an accounts file.
    pub(crate) fn open_new_plan(&mut self, accounts: PathBuf) {
        self.new_plan = Some(NewPlanForm {
            territories: None,
            name_prop: "name".into(),
            country: crate::core::geocode::Country::US,
            plan: accounts.with_extension("turf").display().to_string(),
            accounts,
        });
    }

    /// The open dialogs; returns what the user chose.
    /// With `typed`, paths are typed (no native file dialog here).
    pub fn ui(&mut self, ctx: &egui::Context, ws: &Workspace, typed: bool) -> Vec<Command> {
        let mut out = self.confirm_dialog(ctx, ws);
        out.extend(self.new_plan_dialog(ctx, typed));
        out.extend(self.conflict_dialog(ctx));
        out
    }

    /// "The file changed on disk" after a refused save: Reload (drops this
    /// window's changes), Save as… (keeps both), Overwrite (drops the other
    /// program's changes) or Cancel. Nothing is overwritten silently.
    fn conflict_dialog(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let Some((path, _)) = &self.conflict else {
            return Vec::new();
        };
        let mut choice = None;
        let modal = Modal::new(Id::unique("changed_on_disk")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.heading("The plan changed on disk");
            ui.add_space(6.0);
            ui.label(format!(
                "{} was changed by another program (or another Turfmap window) since this \
                 window opened it, so it was not overwritten.",
                path.display()
            ));
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                if ui
                    .button("Reload")
                    .on_hover_text("Open the file as it is on disk; this window's changes are lost")
                    .clicked()
                {
                    choice = Some(0);
                }
                if ui
                    .button("Save as…")
                    .on_hover_text("Keep both: save this window's plan under another name")
                    .clicked()
                {
                    choice = Some(1);
                }
                if ui
                    .button("Overwrite")
                    .on_hover_text("Replace the file; the other program's changes are lost")
                    .clicked()
                {
                    choice = Some(2);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(3);
                }
            });
        });
        if modal.should_close() && choice.is_none() {
            choice = Some(3);
        }
        let Some(choice) = choice else {
            return Vec::new();
        };
        let Some((path, then)) = self.conflict.take() else {
            return Vec::new();
        };
        match choice {
            0 => vec![Command::Perform(Action::Open(path))],
            1 => vec![Command::SaveAs],
            2 => vec![Command::SaveOverwrite(path, then)],
            _ => Vec::new(),
        }
    }

    /// "Save changes to X before …?" with Save / Discard / Cancel.
    fn confirm_dialog(&mut self, ctx: &egui::Context, ws: &Workspace) -> Vec<Command> {
        let Some(action) = self.confirm.clone() else {
            return Vec::new();
        };
        let name = match ws.project().name.as_str() {
            "" => "this plan".to_owned(),
            n => format!("“{n}”"),
        };
        enum Choice {
            Save,
            Discard,
            Cancel,
        }
        let mut choice = None;
        let modal = Modal::new(Id::unique("confirm_unsaved")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Unsaved changes");
            ui.add_space(6.0);
            ui.label(format!(
                "Save changes to {name} before {}? Your changes will be lost if you don't save them.",
                action.phrase()
            ));
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                if ui.button("Save").clicked() {
                    choice = Some(Choice::Save);
                }
                if ui.button("Discard").clicked() {
                    choice = Some(Choice::Discard);
                }
                if ui.button("Cancel").clicked() {
                    choice = Some(Choice::Cancel);
                }
            });
        });
        if modal.should_close() && choice.is_none() {
            choice = Some(Choice::Cancel);
        }
        if choice.is_some() {
            self.confirm = None;
        }
        match choice {
            Some(Choice::Save) => vec![Command::SaveThen(action)],
            Some(Choice::Discard) => vec![Command::Perform(action)],
            Some(Choice::Cancel) | None => Vec::new(),
        }
    }

    /// Accounts CSV chosen; optionally a territories file (GeoJSON,
    /// shapefile, KML or KMZ); then where to save.
    fn new_plan_dialog(&mut self, ctx: &egui::Context, typed: bool) -> Vec<Command> {
        let Some(form) = &mut self.new_plan else {
            return Vec::new();
        };
        let mut create = false;
        let mut cancel = false;
        let modal = Modal::new(Id::unique("new_plan")).show(ctx, |ui| {
            ui.set_width(520.0);
            ui.heading("New plan from CSV");
            ui.add_space(8.0);
            egui::Grid::new("new_plan_grid")
                .num_columns(3)
                .spacing([10.0, 8.0])
                .show(ui, |ui| {
                    ui.label("Accounts");
                    ui.label(RichText::new(display_name(&form.accounts)).strong())
                        .on_hover_text(form.accounts.display().to_string());
                    if ui.button("Change…").clicked()
                        && let Some(p) = files::dialogs::pick_accounts_csv()
                    {
                        form.accounts = p;
                    }
                    ui.end_row();

                    ui.label("Territories");
                    match &form.territories {
                        Some(t) => {
                            ui.label(RichText::new(display_name(t)).strong())
                                .on_hover_text(t.display().to_string());
                        }
                        None => {
                            ui.label(
                                RichText::new("none (optional)")
                                    .color(ui.visuals().weak_text_color()),
                            );
                        }
                    }
                    ui.horizontal(|ui| {
                        if ui.button("Choose file…").clicked()
                            && let Some(p) =
                                files::dialogs::pick_territories(Some(form.accounts.as_path()))
                        {
                            form.territories = Some(p);
                        }
                        if form.territories.is_some() && ui.button("Remove").clicked() {
                            form.territories = None;
                        }
                    });
                    ui.end_row();

                    if form.territories.is_some() {
                        let label = ui.label("Name property");
                        ui.add(
                            egui::TextEdit::singleline(&mut form.name_prop).desired_width(160.0),
                        )
                        .labelled_by(label.id)
                        .on_hover_text(
                            "The property (GeoJSON), .dbf field (shapefile) or ExtendedData \
                             field (KML/KMZ; `name` = the Placemark's name) that holds each \
                             territory's name",
                        );
                        ui.label("");
                        ui.end_row();
                    }

                    if typed {
                        let label = ui.label("Save as");
                        ui.add(egui::TextEdit::singleline(&mut form.plan).desired_width(300.0))
                            .labelled_by(label.id);
                        // Typed, so no dialog asks before replacing a file.
                        let plan = files::plan_path(PathBuf::from(form.plan.trim()));
                        if plan.exists() {
                            ui.colored_label(
                                ui.visuals().warn_fg_color,
                                format!("{} exists and will be replaced", display_name(&plan)),
                            );
                        } else {
                            ui.label("");
                        }
                        ui.end_row();
                    }

                    let label = ui.label("Country");
                    country_choice(ui, &mut form.country).labelled_by(label.id);
                    ui.label("");
                    ui.end_row();
                });
            ui.add_space(6.0);
            ui.label(
                RichText::new(
                    "Accounts are placed by latitude/longitude columns, or, when those are \
                     missing, by postal code in the country of their Country column (ISO code \
                     or name); rows without one are in the country above.",
                )
                .color(ui.visuals().weak_text_color()),
            );
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                create = ui.button("Create plan…").clicked();
                cancel = ui.button("Cancel").clicked();
            });
        });
        if modal.should_close() && !create {
            cancel = true;
        }
        if create && let Some(form) = self.new_plan.take() {
            let name = files::plan_name_from(&form.accounts);
            let plan = if typed {
                Some(files::plan_path(PathBuf::from(form.plan.trim())))
            } else {
                files::dialogs::save_as(
                    "Save the new plan",
                    "Turfmap plan",
                    "turf",
                    &name,
                    Some(&form.accounts),
                )
            };
            if let Some(plan) = plan {
                // `name` (the default) lets the import find the property
                // that holds names when the file has no `name`.
                let name_prop = match form.name_prop.trim() {
                    "" | "name" => None,
                    p => Some(p.to_owned()),
                };
                return vec![Command::CreatePlan(Box::new(NewPlanRequest {
                    accounts: form.accounts,
                    territories: form.territories,
                    name_prop,
                    country: form.country,
                    plan,
                }))];
            }
        } else if cancel {
            self.new_plan = None;
        }
        Vec::new()
    }
}

/// A choice among the countries with a postal table (the plan's default
/// country for rows that name none).
fn country_choice(
    ui: &mut egui::Ui,
    country: &mut crate::core::geocode::Country,
) -> egui::Response {
    egui::ComboBox::from_id_salt("new_plan_country")
        .selected_text(format!("{} ({})", country.name(), country.code()))
        .show_ui(ui, |ui| {
            for c in crate::core::geocode::covered_countries() {
                ui.selectable_value(country, c, format!("{} ({})", c.name(), c.code()));
            }
        })
        .response
        .on_hover_text(
            "Rows without a country are placed by postal code in this country; \
             a code that does not fit its format is reported, never guessed",
        )
}
