//! File → Export map image… (with a size chooser) and Export report…: the
//! core's map export and HTML report, run on a worker thread with progress.

use std::path::PathBuf;

use egui::{Id, Modal, RichText};

use crate::app::command::Command;
use crate::app::jobs::{JobOutput, JobRequest};
use crate::app::{display_name, files};
use crate::core::Workspace;
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
    pub salesforce: Option<super::SalesforceExportDialog>,
    /// A map image or report waiting for a typed path.
    pending: Option<Pending>,
}

/// A map image or report export waiting for where to write it.
#[derive(Clone, Debug)]
pub(crate) enum Pending {
    /// The map image the form describes, as the map looks now.
    Map(MapExportForm, MapLook),
    /// The report, compared with this scenario if any, its map coloured
    /// as the window's.
    Report(Option<ScenarioId>, ReportLook),
}

/// What the window shows now, for the report: its units and the map's
/// colouring and value labels (a report reads like the map it came from).
#[derive(Clone, Debug)]
pub struct ReportLook {
    /// Distance and area units.
    pub units: crate::core::render::DistanceUnit,
    /// The map's "Colour by".
    pub color_by: crate::core::colorby::ColorBy,
    /// Balance values under the territory names.
    pub label_values: bool,
}

/// What the window's map shows now, for a map image export.
#[derive(Clone, Debug)]
pub(crate) struct MapLook {
    /// Distance units of the scale bar.
    pub units: crate::core::render::DistanceUnit,
    /// Labels on (View menu).
    pub labels: bool,
    /// Account dots on (View menu).
    pub accounts: bool,
    /// The area the map shows now (for "only the area the map shows").
    pub visible: Option<[f64; 4]>,
    /// What the fills show (View → Colour by).
    pub color_by: crate::core::colorby::ColorBy,
    /// Balance values under the names.
    pub label_values: bool,
}

impl ExportUi {
    /// Opens the "Export map image" size chooser.
    pub fn open_map_export(&mut self, ws: &Workspace) {
        self.form = Some(MapExportForm {
            width: 1600,
            height: 1000,
            title: ws.project().name.clone(),
            current_view: false,
            pdf: None,
        });
    }

    /// The job for `pending`: written into the export folder set for tests
    /// and scripts, or where a file dialog (opened in the plan's folder)
    /// says. With `typed` (no file dialog here) it waits while `paths`
    /// asks for a typed path, then [`ExportUi::pending_job`] takes it.
    pub(crate) fn job_or_ask(
        &mut self,
        ws: &Workspace,
        pending: Pending,
        typed: bool,
        paths: &mut super::PathPrompt,
    ) -> Option<JobRequest> {
        let (title, filter, ext, what) = match &pending {
            Pending::Map(form, _) => match form.pdf {
                Some(_) => ("Export map image", "PDF", "pdf", "map"),
                None => ("Export map image", "PNG image", "png", "map"),
            },
            // A .pdf name (typed in the dialog) writes the vector PDF report.
            Pending::Report(..) => ("Export report", "HTML or PDF", "html", "report"),
        };
        let name = format!("{}-{what}", plan_stem(ws));
        let path = match &self.target_dir {
            Some(dir) => dir.join(format!("{name}.{ext}")),
            None if typed => {
                let purpose = super::PathPurpose::ExportFile { what, ext };
                paths.ask(purpose, Some(&purpose.suggested(ws)));
                self.pending = Some(pending);
                return None;
            }
            None => files::dialogs::save_as(title, filter, ext, &name, ws.path())?,
        };
        self.pending = Some(pending);
        self.pending_job(ws, path)
    }

    /// The job that writes the waiting map image or report to `path`.
    pub(crate) fn pending_job(&mut self, ws: &Workspace, path: PathBuf) -> Option<JobRequest> {
        match self.pending.take()? {
            Pending::Map(form, look) => {
                if let Some(paper) = form.pdf {
                    self.paper = paper;
                }
                let opts = MapImageOptions {
                    width: form.width,
                    height: form.height,
                    title: Some(form.title),
                    bbox: form.current_view.then_some(look.visible).flatten(),
                    paper: form.pdf.unwrap_or_default(),
                    units: look.units,
                    labels: look.labels,
                    accounts: look.accounts,
                    color_by: look.color_by,
                    label_values: look.label_values,
                    ..MapImageOptions::default()
                };
                Some(map_image_job(ws, path, opts))
            }
            Pending::Report(compare, look) => Some(report_job(ws, path, look, self.paper, compare)),
        }
    }

    /// Opens File → Export to Salesforce… with a folder next to the plan
    /// (or in the export folder set for tests and scripts).
    pub fn open_salesforce_export(&mut self, ws: &Workspace) {
        let name = format!("{}-salesforce", plan_stem(ws));
        let folder = match (&self.target_dir, ws.path().and_then(|p| p.parent())) {
            (Some(d), _) => d.join(name),
            (None, Some(d)) if !d.as_os_str().is_empty() => d.join(name),
            _ => PathBuf::from(name),
        };
        self.salesforce = Some(super::SalesforceExportDialog::new(
            folder.display().to_string(),
        ));
    }

    /// The open export dialogs (map image size chooser, Salesforce).
    pub fn ui(&mut self, ctx: &egui::Context, ws: &Workspace) -> Vec<Command> {
        let mut out = Vec::new();
        if let Some(form) = self.form.as_mut() {
            out.extend(form.ui(ctx));
        }
        if let Some(dialog) = self.salesforce.as_mut() {
            out.extend(dialog.ui(ctx, &ws.project().settings));
        }
        out
    }
}

/// The plan's name for export file names ("plan" when it has none).
fn plan_stem(ws: &Workspace) -> String {
    match ws.project().name.as_str() {
        "" => "plan".to_owned(),
        n => n.to_owned(),
    }
}

/// Writes the map image (`.png`, or `.svg` / `.pdf` by extension) to
/// `path` in the background.
pub(crate) fn map_image_job(ws: &Workspace, path: PathBuf, opts: MapImageOptions) -> JobRequest {
    let ws = ws.snapshot();
    let title = format!("Exporting the map to {}", display_name(&path));
    JobRequest::new(title, true, move |progress| {
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
        write_rendered(progress, path, &bytes, "the map image")
    })
}

/// Writes the balance report (HTML, or PDF by extension) to `path` in
/// the background, its map coloured as `look` says; with `compare`, it compares the shown scenario with
/// that one.
fn report_job(
    ws: &Workspace,
    path: PathBuf,
    look: ReportLook,
    paper: Paper,
    compare: Option<ScenarioId>,
) -> JobRequest {
    let units = look.units;
    let ws = ws.snapshot();
    let title = format!("Writing the report {}", display_name(&path));
    JobRequest::new(title, true, move |progress| {
        progress.set_total(3);
        let p = ws.project();
        let comparison = compare
            .map(|other| ScenarioComparison::between(p, p.active_scenario, other))
            .transpose()?;
        progress.set_done(1);
        progress.check()?;
        // Drive-time columns when reps have homes (a network that cannot
        // load leaves them out rather than failing the report).
        let drive = crate::app::drive::needs_drive(p)
            .then(|| crate::core::drive::DriveView::new(&ws).ok())
            .flatten();
        progress.check()?;
        let mut opts = ReportOptions {
            units,
            scenario: comparison.as_ref(),
            drive: drive.as_ref(),
            ..ReportOptions::default()
        };
        opts.map.units = units;
        opts.map.color_by = look.color_by;
        opts.map.label_values = look.label_values;
        let bytes = if has_extension(&path, "pdf") {
            opts.map.paper = paper;
            report_pdf(&ws, &opts, BasemapData::bundled())?
        } else {
            report_html(&ws, &opts, BasemapData::bundled()).into_bytes()
        };
        write_rendered(progress, path, &bytes, "the report")
    })
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

/// Writes the Salesforce export of the scenario shown into `dir` in the
/// background (a snapshot: editing on meanwhile is fine).
pub(crate) fn salesforce_job(ws: &Workspace, dir: PathBuf, options: ExportOptions) -> JobRequest {
    let ws = ws.snapshot();
    let title = format!("Exporting to Salesforce: {}", display_name(&dir));
    JobRequest::new(title, false, move |_| {
        let summary = salesforce::export_with(ws.project(), ws.engines(), &dir, &options)?;
        Ok(JobOutput::SalesforceExported {
            dir,
            summary: Box::new(summary),
        })
    })
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

/// The last steps of a map or report export: `bytes` (rendered) written to
/// `path` in one piece, with progress and a last chance to cancel.
fn write_rendered(
    progress: &crate::core::progress::Progress,
    path: PathBuf,
    bytes: &[u8],
    what: &'static str,
) -> crate::core::Result<JobOutput> {
    progress.set_done(2);
    progress.check()?;
    write_file_atomically(&path, |w| {
        std::io::Write::write_all(w, bytes).map_err(|e| Error::io(&path, e))
    })?;
    progress.set_done(3);
    Ok(JobOutput::Exported { path, what })
}
