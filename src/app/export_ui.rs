//! File → Export map image… (with a size chooser) and Export report…: the
//! core's map export and HTML report, run on a worker thread with progress.

use std::path::PathBuf;

use egui::{Id, Modal, RichText};

use super::command::Command;
use super::jobs::JobOutput;
use super::{TurfmapApp, display_name, files};
use crate::core::model::ScenarioId;
use crate::core::render::{
    MapImageOptions, Paper, SIZE_LIMITS, has_extension, plan_map_pdf, plan_map_png, plan_map_svg,
};
use crate::core::report::{ReportOptions, ScenarioComparison, report_html, report_pdf};
use crate::core::salesforce::{self, ExportOptions, ExportSummary};
use crate::core::{Error, basemap::BasemapData, export::write_file_atomically};

/// Image sizes offered in the size chooser: (label, width, height).
pub const SIZE_PRESETS: [(&str, u32, u32); 5] = [
    ("Slide 16:9 (1920 × 1080)", 1920, 1080),
    ("Default (1600 × 1000)", 1600, 1000),
    ("Small (1280 × 800)", 1280, 800),
    ("4K 16:9 (3840 × 2160)", 3840, 2160),
    ("Print A4 landscape (3508 × 2480)", 3508, 2480),
];

/// The "Export map image" form.
#[derive(Clone, Debug, PartialEq)]
pub struct MapExportForm {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Title on the image.
    pub title: String,
    /// Frame what the window shows instead of the whole plan.
    pub current_view: bool,
    /// PDF on this paper instead of a PNG image.
    pub pdf: Option<Paper>,
}

/// Export state of the window: the open form and, for tests and scripts,
/// where to write instead of asking with a native file dialog.
#[derive(Clone, Debug, Default)]
pub struct ExportUi {
    /// The size chooser, while open.
    pub form: Option<MapExportForm>,
    /// When set, exports go into this folder without a file dialog.
    pub target_dir: Option<PathBuf>,
    /// Paper of PDF exports (the last one chosen in the map dialog).
    pub paper: Paper,
    /// The Salesforce export dialog, while open.
    pub salesforce: Option<super::panels::SalesforceExportDialog>,
}

impl TurfmapApp {
    /// Opens the "Export map image" size chooser.
    pub fn open_map_export(&mut self) {
        self.export.form = Some(MapExportForm {
            width: 1600,
            height: 1000,
            title: self.ws.project().name.clone(),
            current_view: false,
            pdf: None,
        });
    }

    /// Sends exports to `dir` without asking (tests, kiosk use); `None`
    /// asks with a file dialog again.
    pub fn set_export_dir(&mut self, dir: Option<PathBuf>) {
        self.export.target_dir = dir;
    }

    fn export_path(&self, title: &str, filter: &str, ext: &str, suffix: &str) -> Option<PathBuf> {
        let stem = match self.ws.project().name.as_str() {
            "" => "plan".to_owned(),
            n => n.to_owned(),
        };
        let name = format!("{stem}-{suffix}");
        match &self.export.target_dir {
            Some(dir) => Some(dir.join(format!("{name}.{ext}"))),
            None => files::dialogs::save_as(title, filter, ext, &name, self.ws.path()),
        }
    }

    /// Writes the map image (`.png`, or `.svg` / `.pdf` by extension) to
    /// `path` in the background.
    pub fn export_map_to(&mut self, path: PathBuf, mut opts: MapImageOptions) {
        opts.units = self.settings.units;
        opts.labels = self.style.labels;
        opts.accounts = self.style.accounts;
        // The image shows what the window shows.
        opts.color_by = self.style.color_by.clone();
        opts.label_values = self.style.label_values;
        let ws = self.ws.snapshot();
        let title = format!("Exporting the map to {}", display_name(&path));
        self.start(title, true, None, move |progress| {
            progress.set_total(3);
            let bytes = if has_extension(&path, "svg") {
                plan_map_svg(&ws, &opts)?.into_bytes()
            } else if has_extension(&path, "pdf") {
                progress.set_done(1);
                plan_map_pdf(&ws, &opts)?
            } else {
                progress.set_done(1);
                plan_map_png(&ws, &opts)?
            };
            progress.set_done(2);
            progress.check()?;
            write_file_atomically(&path, |w| {
                std::io::Write::write_all(w, &bytes).map_err(|e| Error::io(&path, e))
            })?;
            progress.set_done(3);
            Ok(JobOutput::Exported {
                path,
                what: "the map image",
            })
        });
    }

    /// Writes the balance report (one HTML file) to `path` in the
    /// background; with `compare`, it compares the shown scenario with that
    /// one.
    pub fn export_report_to(&mut self, path: PathBuf, compare: Option<ScenarioId>) {
        let ws = self.ws.snapshot();
        let units = self.settings.units;
        let paper = self.export.paper;
        let (color_by, label_values) = (self.style.color_by.clone(), self.style.label_values);
        let title = format!("Writing the report {}", display_name(&path));
        self.start(title, true, None, move |progress| {
            progress.set_total(3);
            let p = ws.project();
            let comparison = compare
                .map(|other| ScenarioComparison::between(p, p.active_scenario, other))
                .transpose()?;
            progress.set_done(1);
            progress.check()?;
            let mut opts = ReportOptions {
                units,
                scenario: comparison.as_ref(),
                ..ReportOptions::default()
            };
            opts.map.units = units;
            opts.map.color_by = color_by;
            opts.map.label_values = label_values;
            let bytes = if has_extension(&path, "pdf") {
                opts.map.paper = paper;
                report_pdf(&ws, &opts, BasemapData::bundled())?
            } else {
                report_html(&ws, &opts, BasemapData::bundled()).into_bytes()
            };
            progress.set_done(2);
            progress.check()?;
            write_file_atomically(&path, |w| {
                std::io::Write::write_all(w, &bytes).map_err(|e| Error::io(&path, e))
            })?;
            progress.set_done(3);
            Ok(JobOutput::Exported {
                path,
                what: "the report",
            })
        });
    }

    /// File → Export report…: asks where, then writes it (comparing with
    /// scenario `compare`, if given).
    pub(crate) fn export_report_dialog(&mut self, compare: Option<ScenarioId>) {
        // A .pdf name (typed in the dialog) writes the vector PDF report.
        if let Some(path) = self.export_path("Export report", "HTML or PDF", "html", "report") {
            self.export_report_to(path, compare);
        }
    }

    /// The size chooser, while open.
    pub(crate) fn map_export_dialog(&mut self, ctx: &egui::Context) {
        let Some(form) = self.export.form.as_mut() else {
            return;
        };
        let commands = form.ui(ctx);
        self.apply_commands(commands);
    }

    /// Asks where, then exports the map image the form describes.
    pub(crate) fn export_map_image(&mut self, form: MapExportForm) {
        let bbox = form
            .current_view
            .then(|| self.map.visible_bounds())
            .flatten();
        let (filter, ext) = match form.pdf {
            Some(paper) => {
                self.export.paper = paper;
                ("PDF", "pdf")
            }
            None => ("PNG image", "png"),
        };
        if let Some(path) = self.export_path("Export map image", filter, ext, "map") {
            self.export_map_to(
                path,
                MapImageOptions {
                    width: form.width,
                    height: form.height,
                    title: Some(form.title),
                    bbox,
                    paper: form.pdf.unwrap_or_default(),
                    ..MapImageOptions::default()
                },
            );
        }
    }
}

impl MapExportForm {
    /// The "Export map image" dialog: size, title, extent. Returns
    /// [`Command::ExportMapImage`] or [`Command::CloseMapExport`] when the
    /// user is done.
    pub fn ui(&mut self, ctx: &egui::Context) -> Vec<Command> {
        let form = self;
        let (lo, hi) = SIZE_LIMITS;
        let mut go = false;
        let mut close = false;
        let modal = Modal::new(Id::unique("map_export")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Export map image");
            ui.add_space(6.0);
            ui.label("Size");
            for (label, w, h) in SIZE_PRESETS {
                if ui
                    .radio(form.width == w && form.height == h, label)
                    .clicked()
                {
                    form.width = w;
                    form.height = h;
                }
            }
            ui.horizontal(|ui| {
                let l = ui.label("Width");
                ui.add(
                    egui::DragValue::new(&mut form.width)
                        .range(lo..=hi)
                        .suffix(" px"),
                )
                .labelled_by(l.id);
                let l = ui.label("Height");
                ui.add(
                    egui::DragValue::new(&mut form.height)
                        .range(lo..=hi)
                        .suffix(" px"),
                )
                .labelled_by(l.id);
            });
            ui.horizontal(|ui| {
                let l = ui.label("Title");
                ui.text_edit_singleline(&mut form.title).labelled_by(l.id);
            });
            ui.checkbox(&mut form.current_view, "Only the area the map shows now");
            ui.horizontal(|ui| {
                ui.label("Format");
                ui.radio_value(&mut form.pdf, None, "PNG image");
                ui.radio_value(&mut form.pdf, Some(Paper::A4), "PDF, A4 landscape");
                ui.radio_value(&mut form.pdf, Some(Paper::Letter), "PDF, Letter landscape");
            });
            ui.label(
                RichText::new(
                    "Legend, scale bar and data credits included; name the file .svg for a \
                     vector image. A PDF is vector with its fonts embedded, sized to the page. \
                     Labels and account dots follow the View menu.",
                )
                .color(ui.visuals().weak_text_color()),
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                go = ui.button("Export…").clicked();
                close = ui.button("Cancel").clicked();
            });
        });
        if modal.should_close() {
            close = true;
        }
        if go {
            vec![Command::ExportMapImage(form.clone())]
        } else if close {
            vec![Command::CloseMapExport]
        } else {
            Vec::new()
        }
    }
}

impl TurfmapApp {
    /// Opens File → Export to Salesforce… with a folder next to the plan
    /// (or in the export folder set for tests and scripts).
    pub fn open_salesforce_export(&mut self) {
        let stem = match self.ws.project().name.as_str() {
            "" => "plan".to_owned(),
            n => n.to_owned(),
        };
        let name = format!("{stem}-salesforce");
        let folder = match (
            &self.export.target_dir,
            self.ws.path().and_then(|p| p.parent()),
        ) {
            (Some(d), _) => d.join(name),
            (None, Some(d)) if !d.as_os_str().is_empty() => d.join(name),
            _ => PathBuf::from(name),
        };
        self.export.salesforce = Some(super::panels::SalesforceExportDialog::new(
            folder.display().to_string(),
        ));
    }

    pub(crate) fn salesforce_export_dialog(&mut self, ctx: &egui::Context) {
        let Some(dialog) = self.export.salesforce.as_mut() else {
            return;
        };
        let commands = dialog.ui(ctx, &self.ws.project().settings);
        self.apply_commands(commands);
    }

    /// Writes the Salesforce export of the scenario shown into `dir` in
    /// the background (a snapshot: editing on meanwhile is fine).
    pub fn export_salesforce(&mut self, dir: PathBuf, options: ExportOptions) {
        let ws = self.ws.snapshot();
        let title = format!("Exporting to Salesforce: {}", display_name(&dir));
        self.start(title, false, None, move |_| {
            let summary = salesforce::export_with(ws.project(), ws.engines(), &dir, &options)?;
            Ok(JobOutput::SalesforceExported {
                dir,
                summary: Box::new(summary),
            })
        });
    }
}

/// The status line after a Salesforce export.
pub(crate) fn salesforce_notice(dir: &std::path::Path, s: &ExportSummary) -> String {
    let mut text = format!(
        "Salesforce export in {}: {} territories, {} rule(s)",
        dir.display(),
        s.territories,
        s.metadata.rules
    );
    if s.account_rows > 0 {
        text.push_str(&format!(
            ", {} account and {} user association(s)",
            s.account_rows, s.user_rows
        ));
    } else {
        text.push_str("; next steps in LOAD-STEPS.txt");
    }
    if !s.metadata.skipped_rules.is_empty() {
        text.push_str(&format!(
            "; {} rule(s) ETM cannot express are listed in EXPORT-SUMMARY.txt",
            s.metadata.skipped_rules.len()
        ));
    }
    text
}
