//! The import wizard (File → New plan from accounts, File → Refresh
//! accounts): the first rows of the accounts table, a role per column
//! pre-filled by the import's own detection (or the mapping remembered for
//! the same header set), the delimiter and encoding, the sheet of a
//! workbook, the default country, and live counts of what the import would
//! give, recomputed in the background whenever a choice changes. It refuses
//! to go on without an id column unless the user asks for row numbers.
//!
//! The mapping becomes the [`AccountImportOptions`] the CLI's column flags
//! fill, so the window imports through the same pipeline as `turfmap new`
//! and `turfmap refresh`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::{ComboBox, Grid, Id, Modal, RichText, Role, ScrollArea, Ui, WidgetInfo};

use super::name_picker::NamePicker;
use super::pending::Pending;
use crate::app::settings::{AppSettings, RememberedMapping};
use crate::core::geocode::{Country, covered_countries};
use crate::core::import::preview::{
    ColumnMapping, ColumnRole, TablePreview, preview_table, roles_from_report,
};
use crate::core::import::{
    AccountImportOptions, IdCheck, MappingCheck, NewPlanFiles, check_accounts,
};
use crate::core::numfmt::count;

/// How many rows the preview shows.
const PREVIEW_ROWS: usize = 8;

/// What the wizard is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WizardMode {
    /// A new plan from the accounts (and optional boundaries).
    NewPlan,
    /// This month's export into the open plan.
    Refresh,
}

/// What the wizard decided.
#[derive(Debug)]
pub enum WizardOutcome {
    /// Build a new plan from `files` and save it to `plan`.
    Create {
        /// The accounts, their mapping and the boundaries.
        files: Box<NewPlanFiles>,
        /// Where the plan is saved.
        plan: PathBuf,
        /// The mapping, to remember.
        remember: RememberedMapping,
        /// `(property set, name property)`, to remember.
        name_prop: Option<(String, String)>,
    },
    /// Refresh the plan from `path` read with `options`.
    Refresh {
        /// The export.
        path: PathBuf,
        /// The mapping as import options.
        options: Box<AccountImportOptions>,
        /// The mapping, to remember.
        remember: RememberedMapping,
    },
    /// Closed without importing.
    Cancel,
}

/// The file's head and what detection found in it.
struct Loaded {
    preview: TablePreview,
    check: Result<MappingCheck, String>,
}

/// The import wizard's state (see the module docs).
pub struct ImportWizard {
    /// What the wizard is for.
    pub mode: WizardMode,
    /// The accounts file.
    pub path: PathBuf,
    sheet: Option<String>,
    load: Option<Pending<Loaded>>,
    preview: Option<TablePreview>,
    load_error: Option<String>,
    roles: Vec<ColumnRole>,
    row_numbers: bool,
    country: Country,
    /// The roles are the ones remembered for these headers.
    remembered: bool,
    checking: Option<Pending<MappingCheck>>,
    check: Option<Result<MappingCheck, String>>,
    /// New plan: the boundaries and their name property.
    territories: Option<NamePicker>,
    /// New plan: where to save it.
    plan_path: String,
    /// Why no native file dialog can be shown (set by the window each
    /// frame): the file choosers become typed path fields.
    pub typed_paths: Option<String>,
    /// The typed accounts and territories paths, and what is wrong with
    /// the last one used.
    typed: TypedPaths,
}

/// The wizard's typed path fields (where no native file dialog exists).
#[derive(Default)]
struct TypedPaths {
    accounts: String,
    territories: String,
    problem: Option<String>,
}

/// A typed path that must name an existing file.
fn typed_file(text: &str) -> Result<PathBuf, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type a path.".to_owned());
    }
    let path = PathBuf::from(text);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{}: no such file", path.display()))
    }
}

impl ImportWizard {
    /// Opens the wizard on `path` and starts reading it. `country` is the
    /// default country (the plan's, for a refresh).
    pub fn open(ctx: &egui::Context, path: PathBuf, mode: WizardMode, country: Country) -> Self {
        let plan_path = free_plan_path(&path).display().to_string();
        let mut w = Self {
            mode,
            path,
            sheet: None,
            load: None,
            preview: None,
            load_error: None,
            roles: Vec::new(),
            row_numbers: false,
            country,
            remembered: false,
            checking: None,
            check: None,
            territories: None,
            plan_path,
            typed_paths: None,
            typed: TypedPaths::default(),
        };
        w.typed.accounts = w.path.display().to_string();
        w.reload(ctx);
        w
    }

    /// Reads the file (sheet) again and detects its columns afresh.
    fn reload(&mut self, ctx: &egui::Context) {
        let (path, sheet, country) = (self.path.clone(), self.sheet.clone(), self.country);
        self.preview = None;
        self.load_error = None;
        self.check = None;
        self.checking = None;
        self.load = Some(Pending::spawn(ctx, move |progress| {
            let preview = preview_table(&path, sheet.as_deref(), PREVIEW_ROWS)?;
            let opts = AccountImportOptions {
                sheet: sheet.clone(),
                default_country: Some(country),
                ..AccountImportOptions::default()
            };
            let check = check_accounts(&path, &opts, progress).map_err(|e| e.to_string());
            Ok(Loaded { preview, check })
        }));
    }

    /// The mapping as chosen.
    pub fn mapping(&self) -> ColumnMapping {
        let headers = self
            .preview
            .as_ref()
            .map(|p| p.headers.as_slice())
            .unwrap_or_default();
        ColumnMapping {
            row_numbers: self.row_numbers,
            ..ColumnMapping::new(headers, &self.roles)
        }
    }

    /// The import options of the mapping as chosen.
    pub fn options(&self) -> AccountImportOptions {
        AccountImportOptions {
            sheet: self.sheet.clone(),
            default_country: Some(self.country),
            ..self.mapping().options()
        }
    }

    /// Counts the mapping as chosen again, in the background.
    fn recheck(&mut self, ctx: &egui::Context) {
        let (path, opts) = (self.path.clone(), self.options());
        // Dropping the older check cancels it.
        self.checking = Some(Pending::spawn(ctx, move |progress| {
            check_accounts(&path, &opts, progress)
        }));
    }

    /// Takes in finished background work.
    pub fn poll(&mut self, ctx: &egui::Context, settings: &AppSettings) {
        if let Some(r) = self.load.as_ref().and_then(Pending::poll) {
            self.load = None;
            self.loaded(ctx, r, settings);
        }
        if let Some(r) = self.checking.as_ref().and_then(Pending::poll) {
            self.checking = None;
            self.check = Some(r);
        }
        if let Some(t) = &mut self.territories {
            t.poll(settings);
        }
    }

    /// Blocks up to `timeout` until reading and counting are done (tests).
    pub fn wait(&mut self, ctx: &egui::Context, settings: &AppSettings, timeout: Duration) -> bool {
        if let Some(load) = &self.load {
            let Some(r) = load.wait(timeout) else {
                return false;
            };
            self.load = None;
            self.loaded(ctx, r, settings);
        }
        if let Some(c) = &self.checking {
            let Some(r) = c.wait(timeout) else {
                return false;
            };
            self.checking = None;
            self.check = Some(r);
        }
        match &mut self.territories {
            Some(t) => t.wait(settings, timeout),
            None => true,
        }
    }

    fn loaded(&mut self, ctx: &egui::Context, r: Result<Loaded, String>, settings: &AppSettings) {
        let loaded = match r {
            Ok(l) => l,
            Err(e) => {
                self.load_error = Some(e);
                return;
            }
        };
        let headers = loaded.preview.headers.clone();
        let remembered = settings
            .mapping_for(&loaded.preview.header_key())
            .filter(|m| m.mapping.fits(&headers));
        self.preview = Some(loaded.preview);
        if let Some(m) = remembered {
            self.roles = m.mapping.roles.iter().map(|(_, r)| *r).collect();
            self.row_numbers = m.mapping.row_numbers;
            if self.mode == WizardMode::NewPlan
                && let Some(c) = m.country
            {
                self.country = c;
            }
            self.remembered = true;
            self.recheck(ctx);
            return;
        }
        self.remembered = false;
        self.row_numbers = false;
        match loaded.check {
            Ok(check) => {
                self.roles = roles_from_report(&headers, &check.report);
                self.check = Some(Ok(check));
            }
            Err(e) => {
                // Nothing detected: every column text until the user says.
                self.roles = vec![ColumnRole::Attribute; headers.len()];
                self.check = Some(Err(e));
            }
        }
    }

    /// Gives column `col` the role `role`; a role only one column can have
    /// is taken from the column that had it (which becomes text).
    pub fn set_role(&mut self, col: usize, role: ColumnRole) {
        if role.is_single() {
            for r in self.roles.iter_mut().filter(|r| **r == role) {
                *r = ColumnRole::Attribute;
            }
        }
        if let Some(r) = self.roles.get_mut(col) {
            *r = role;
        }
        if role == ColumnRole::Id {
            self.row_numbers = false;
        }
    }

    /// The latest counts (or why there are none).
    pub fn check(&self) -> Option<&Result<MappingCheck, String>> {
        self.check.as_ref()
    }

    /// Why the import cannot go ahead yet; empty when it can.
    pub fn blockers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.load_error {
            out.push(e.clone());
            return out;
        }
        if self.load.is_some() || self.checking.is_some() {
            out.push("Reading the file…".to_owned());
            return out;
        }
        match &self.check {
            None => out.push("Reading the file…".to_owned()),
            Some(Err(e)) => out.push(e.clone()),
            Some(Ok(c)) => {
                match &c.ids {
                    IdCheck::Missing(cands) => out.push(missing_id_text(cands)),
                    IdCheck::Invalid(m) => out.push(format!("The id column cannot be used: {m}")),
                    IdCheck::Unique | IdCheck::RowNumbers => {}
                }
                if let Some(l) = &c.location {
                    out.push(l.clone());
                }
            }
        }
        if self.mode == WizardMode::NewPlan {
            if self.plan_path.trim().is_empty() {
                out.push("Say where to save the plan.".to_owned());
            }
            if let Some(t) = &self.territories
                && t.chosen.is_none()
                && !t.is_loading()
            {
                out.push("Choose the property that names the territories.".to_owned());
            }
        }
        out
    }

    /// Draws the wizard; returns what the user decided, if anything.
    pub fn ui(&mut self, ctx: &egui::Context, settings: &AppSettings) -> Option<WizardOutcome> {
        self.poll(ctx, settings);
        let mut out = None;
        let modal = Modal::new(Id::unique("import_wizard")).show(ctx, |ui| {
            let width = ctx.content_rect().width().min(1100.0) - 80.0;
            ui.set_width(width);
            ui.set_max_width(width);
            ui.heading(match self.mode {
                WizardMode::NewPlan => "New plan from accounts",
                WizardMode::Refresh => "Refresh accounts",
            });
            ui.add_space(6.0);
            self.file_row(ui);
            if let Some(e) = &self.load_error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            if self.preview.is_some() {
                self.body(ui);
            } else if self.load.is_some() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Reading the file…");
                });
            }
            ui.add_space(8.0);
            out = self.buttons(ui);
        });
        if modal.should_close() && out.is_none() {
            out = Some(WizardOutcome::Cancel);
        }
        out
    }

    /// File name, Change…, sheet, delimiter and encoding.
    fn file_row(&mut self, ui: &mut Ui) {
        let mut reload = false;
        ui.horizontal_wrapped(|ui| {
            ui.label("Accounts");
            ui.label(RichText::new(display_name(&self.path)).strong())
                .on_hover_text(self.path.display().to_string());
            if self.typed_paths.is_none()
                && ui.button("Change…").clicked()
                && let Some(p) = crate::app::files::dialogs::pick_accounts_csv(Some(&self.path))
            {
                self.use_accounts(p);
                reload = true;
            }
            if let Some(p) = &self.preview {
                if !p.sheets.is_empty() {
                    let label = ui.label("Sheet");
                    let current = self.sheet.clone().or_else(|| p.sheets.first().cloned());
                    let mut pick = current.clone();
                    ComboBox::from_id_salt("wizard_sheet")
                        .selected_text(current.clone().unwrap_or_default())
                        .show_ui(ui, |ui| {
                            for s in &p.sheets {
                                ui.selectable_value(&mut pick, Some(s.clone()), s);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if pick != current {
                        self.sheet = pick;
                        reload = true;
                    }
                }
                let text = if p.sheets.is_empty() {
                    format!(
                        "Delimiter: {} · Encoding: {}",
                        p.delimiter_name(),
                        p.encoding
                    )
                } else {
                    format!("Spreadsheet, {} sheet(s)", p.sheets.len())
                };
                ui.label(RichText::new(text).color(ui.visuals().weak_text_color()));
            }
        });
        if self.typed_paths.is_some() {
            reload |= self.typed_accounts_row(ui);
        }
        if reload {
            self.reload(ui.ctx());
        }
    }

    /// Reads the accounts from `path` from now on (a new file: its sheet
    /// and plan name start afresh).
    fn use_accounts(&mut self, path: PathBuf) {
        self.path = path;
        self.sheet = None;
        self.plan_path = free_plan_path(&self.path).display().to_string();
        self.typed.accounts = self.path.display().to_string();
    }

    /// No file dialog: the accounts path typed; true when a new file is
    /// to be read.
    fn typed_accounts_row(&mut self, ui: &mut Ui) -> bool {
        let reason = self.typed_paths.clone().unwrap_or_default();
        ui.label(weak(
            ui,
            &format!("No file dialog is available here ({reason}); type the files' paths."),
        ));
        let mut go = false;
        ui.horizontal(|ui| {
            let label = ui.label("Accounts path");
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.typed.accounts).desired_width(420.0))
                .labelled_by(label.id);
            go = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            go |= ui.button("Read").clicked();
        });
        if !go {
            return false;
        }
        match typed_file(&self.typed.accounts) {
            Ok(p) => {
                self.typed.problem = None;
                let changed = p != self.path;
                self.use_accounts(p);
                changed
            }
            Err(e) => {
                self.typed.problem = Some(e);
                false
            }
        }
    }

    /// The preview with a role per column, the options and the counts.
    fn body(&mut self, ui: &mut Ui) {
        if self.remembered {
            ui.label(weak(
                ui,
                "Columns mapped as you mapped these headers last time.",
            ));
        } else {
            ui.label(weak(
                ui,
                "Roles found from the column names and values; change any.",
            ));
        }
        let changed = self.preview_grid(ui);
        ui.add_space(6.0);
        let changed = self.options_row(ui) || changed;
        if changed {
            self.recheck(ui.ctx());
        }
        ui.add_space(6.0);
        self.counts(ui);
        if self.mode == WizardMode::NewPlan {
            ui.add_space(6.0);
            ui.separator();
            self.plan_rows(ui);
        }
    }

    /// Headers, role choosers and the first rows; true when a role changed.
    fn preview_grid(&mut self, ui: &mut Ui) -> bool {
        let Some(preview) = &self.preview else {
            return false;
        };
        let mut change = None;
        ScrollArea::horizontal()
            .id_salt("wizard_preview")
            .show(ui, |ui| {
                Grid::new("wizard_grid")
                    .striped(true)
                    .spacing([10.0, 4.0])
                    .show(ui, |ui| {
                        for h in &preview.headers {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for (c, h) in preview.headers.iter().enumerate() {
                            let current = self.roles.get(c).copied().unwrap_or(ColumnRole::Ignore);
                            let r = ComboBox::from_id_salt(("wizard_role", c))
                                .width(150.0)
                                .selected_text(current.label())
                                .show_ui(ui, |ui| {
                                    for role in ColumnRole::ALL {
                                        if ui
                                            .selectable_label(role == current, role.label())
                                            .clicked()
                                            && role != current
                                        {
                                            change = Some((c, role));
                                        }
                                    }
                                })
                                .response;
                            let spoken = format!("Role of {h}");
                            r.widget_info(|| WidgetInfo::labeled(Role::ComboBox, true, &spoken));
                        }
                        ui.end_row();
                        for row in &preview.rows {
                            for v in row.iter().take(preview.headers.len()) {
                                ui.label(clip(v));
                            }
                            ui.end_row();
                        }
                    });
            });
        if let Some((c, role)) = change {
            self.set_role(c, role);
            self.remembered = false;
            return true;
        }
        false
    }

    /// Default country and row numbers; true when one changed.
    fn options_row(&mut self, ui: &mut Ui) -> bool {
        let mut changed = false;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Default country");
            let before = self.country;
            ComboBox::from_id_salt("wizard_country")
                .selected_text(format!("{} ({})", self.country.name(), self.country.code()))
                .show_ui(ui, |ui| {
                    for c in covered_countries() {
                        ui.selectable_value(
                            &mut self.country,
                            c,
                            format!("{} ({})", c.name(), c.code()),
                        );
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(
                    "Rows without a country are placed by postal code in this country; a code \
                     that does not fit its format is reported, never guessed",
                );
            changed |= before != self.country;
            if self.mode == WizardMode::NewPlan {
                let r = ui
                    .checkbox(&mut self.row_numbers, "Number the rows as account ids")
                    .on_hover_text(
                        "Only when the file has no id: such ids cannot go back to a CRM, and the \
                         Salesforce export refuses the plan",
                    );
                changed |= r.changed();
            }
        });
        changed
    }

    /// The live counts, the postal breakdown and what is wrong.
    fn counts(&self, ui: &mut Ui) {
        if let Some(c) = &self.checking {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Counting…");
                // Big files: how far the count is.
                let f = c.progress.fraction();
                if f > 0.0 {
                    ui.add(
                        egui::ProgressBar::new(f)
                            .desired_width(240.0)
                            .show_percentage(),
                    );
                }
            });
        }
        // A failed check is shown with the other problems below.
        if let Some(Ok(c)) = &self.check {
            ui.label(RichText::new(counts_line(c)).strong());
            let postal = &c.report.postal;
            if postal.placed() > 0 {
                ui.label(postal.placed_text());
            }
            if postal.unplaced() > 0 {
                ui.label(postal.unplaced_text());
            }
            if c.report.invalid_coordinates > 0 {
                ui.label(format!(
                    "{} rows with unusable coordinates",
                    count(c.report.invalid_coordinates as u64)
                ));
            }
        }
        for b in self.blockers() {
            if b != "Reading the file…" {
                ui.colored_label(ui.visuals().warn_fg_color, b);
            }
        }
    }

    /// New plan: the boundaries (optional) and where to save.
    fn plan_rows(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Territories");
            match &self.territories {
                Some(t) => {
                    ui.label(RichText::new(display_name(&t.path)).strong());
                }
                None => {
                    ui.label(weak(ui, "none (optional)"));
                }
            }
            if self.typed_paths.is_none()
                && ui.button("Choose file…").clicked()
                && let Some(p) = crate::app::files::dialogs::pick_territories(Some(&self.path))
            {
                self.set_territories(ui.ctx(), Some(p));
            }
            if self.territories.is_some() && ui.button("Remove").clicked() {
                self.territories = None;
            }
        });
        if self.typed_paths.is_some() {
            self.typed_territories_row(ui);
        }
        if let Some(p) = &self.typed.problem {
            ui.colored_label(ui.visuals().error_fg_color, p);
        }
        if let Some(t) = &mut self.territories {
            t.body(ui);
        }
        ui.horizontal(|ui| {
            let label = ui.label("Save plan as");
            ui.add(egui::TextEdit::singleline(&mut self.plan_path).desired_width(480.0))
                .labelled_by(label.id);
            if self.typed_paths.is_none() && ui.button("Choose…").clicked() {
                let name = crate::app::files::plan_name_from(&self.path);
                if let Some(p) = crate::app::files::dialogs::save_as(
                    "Save the new plan",
                    "Turfmap plan",
                    "turf",
                    &name,
                    Some(&self.path),
                ) {
                    self.plan_path = p.display().to_string();
                }
            }
        });
        // A typed name is never asked about by a save dialog: say it here.
        let plan = self.plan_file();
        if !self.plan_path.trim().is_empty() && plan.exists() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("{} exists and will be replaced", display_name(&plan)),
            );
        }
    }

    /// The plan file the new plan is saved to.
    fn plan_file(&self) -> PathBuf {
        crate::app::files::with_extension(PathBuf::from(self.plan_path.trim()), "turf")
    }

    /// No file dialog: the territories path typed (empty: none).
    fn typed_territories_row(&mut self, ui: &mut Ui) {
        let mut go = false;
        ui.horizontal(|ui| {
            let label = ui.label("Territories path");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.typed.territories)
                        .hint_text("GeoJSON, shapefile, KML or KMZ (optional)")
                        .desired_width(420.0),
                )
                .labelled_by(label.id);
            go = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            go |= ui.button("Use").clicked();
        });
        if !go {
            return;
        }
        if self.typed.territories.trim().is_empty() {
            self.typed.problem = None;
            self.territories = None;
            return;
        }
        match typed_file(&self.typed.territories) {
            Ok(p) => {
                self.typed.problem = None;
                self.set_territories(ui.ctx(), Some(p));
            }
            Err(e) => self.typed.problem = Some(e),
        }
    }

    /// New plan: uses `path` as the boundaries (and asks for their names).
    pub fn set_territories(&mut self, ctx: &egui::Context, path: Option<PathBuf>) {
        self.territories = path.map(|p| NamePicker::open(ctx, p));
    }

    /// The plan file typed (new plan).
    pub fn set_plan_path(&mut self, path: &Path) {
        self.plan_path = path.display().to_string();
    }

    /// Create / Refresh and Cancel.
    fn buttons(&mut self, ui: &mut Ui) -> Option<WizardOutcome> {
        let blockers = self.blockers();
        let mut out = None;
        ui.horizontal(|ui| {
            let go = match self.mode {
                WizardMode::NewPlan => "Create plan",
                WizardMode::Refresh => "Refresh plan",
            };
            let r = ui.add_enabled(blockers.is_empty(), egui::Button::new(go));
            if r.clicked() {
                out = Some(self.outcome());
            }
            if ui.button("Cancel").clicked() {
                out = Some(WizardOutcome::Cancel);
            }
            match blockers.first().map(String::as_str) {
                None => {}
                Some(b @ "Reading the file…") => {
                    ui.label(weak(ui, b));
                }
                Some(_) => {
                    ui.label(weak(ui, "Resolve the problem above to go on."));
                }
            }
        });
        out
    }

    /// What Create / Refresh hands to the window.
    fn outcome(&self) -> WizardOutcome {
        let remember = RememberedMapping {
            key: self
                .preview
                .as_ref()
                .map(TablePreview::header_key)
                .unwrap_or_default(),
            mapping: self.mapping(),
            country: Some(self.country),
        };
        match self.mode {
            WizardMode::Refresh => WizardOutcome::Refresh {
                path: self.path.clone(),
                options: Box::new(self.options()),
                remember,
            },
            WizardMode::NewPlan => {
                let plan = self.plan_file();
                let name_prop = self
                    .territories
                    .as_ref()
                    .and_then(|t| Some((t.key()?, t.chosen.clone()?)));
                let files = NewPlanFiles {
                    territories: self.territories.as_ref().map(|t| t.path.clone()),
                    name_prop: name_prop.as_ref().map(|(_, p)| p.clone()),
                    columns: self.options(),
                    ..NewPlanFiles::accounts(self.path.clone())
                };
                WizardOutcome::Create {
                    files: Box::new(files),
                    plan,
                    remember,
                    name_prop,
                }
            }
        }
    }
}

/// `3,376 rows · 3,376 located · 0 by postal code · 0 unlocated · ids unique`.
pub fn counts_line(c: &MappingCheck) -> String {
    let r = &c.report;
    let ids = match &c.ids {
        IdCheck::Unique => "ids unique",
        IdCheck::RowNumbers => "ids are row numbers",
        IdCheck::Missing(_) => "no id column",
        IdCheck::Invalid(_) => "ids not unique",
    };
    format!(
        "{} rows · {} located · {} by postal code · {} unlocated · {ids}",
        count(r.rows as u64),
        count((r.by_coordinates + r.by_postal_code) as u64),
        count(r.by_postal_code as u64),
        count(r.unlocated as u64),
    )
}

fn missing_id_text(candidates: &[String]) -> String {
    let cands = if candidates.is_empty() {
        "no column has unique, non-empty values".to_owned()
    } else {
        format!("columns with unique values: {}", candidates.join(", "))
    };
    format!(
        "No account id column ({cands}). Give one column the role Account id, or number the rows \
         (such ids cannot go back to a CRM)."
    )
}

/// `accounts.turf` beside the accounts, or `accounts-2.turf`… when taken
/// (a new plan never replaces a file unasked).
fn free_plan_path(accounts: &Path) -> PathBuf {
    let stem = crate::app::files::plan_name_from(accounts);
    let dir = accounts.parent().unwrap_or(Path::new("."));
    (1..1000)
        .map(|n| match n {
            1 => dir.join(format!("{stem}.turf")),
            n => dir.join(format!("{stem}-{n}.turf")),
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join(format!("{stem}-new.turf")))
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A cell shortened to fit the preview.
fn clip(v: &str) -> String {
    if v.chars().count() > 28 {
        let head: String = v.chars().take(27).collect();
        format!("{head}…")
    } else {
        v.to_owned()
    }
}

fn weak(ui: &Ui, text: &str) -> RichText {
    RichText::new(text).color(ui.visuals().weak_text_color())
}
