//! Which property names the territories of a boundaries file (GeoJSON
//! property, shapefile `.dbf` field, KML ExtendedData field or the
//! Placemark's own name): the properties with sample values, the one that
//! detection picks pre-selected, the user's last choice for the same set of
//! properties remembered.

use std::path::{Path, PathBuf};

use egui::{Grid, Id, Modal, RichText, Ui};

use super::pending::Pending;
use crate::app::settings::AppSettings;
use crate::core::import::detect::{PropertySummary, name_like_property, property_summaries};
use crate::core::import::territories_from_file;

/// What the file holds, for the choice.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NameChoices {
    /// The properties, with samples (`name` first when features have a
    /// name of their own, e.g. a KML Placemark's).
    pub props: Vec<PropertySummary>,
    /// How many features the file has.
    pub features: usize,
    /// The property detection picks (`name`, else the one that clearly
    /// names the features).
    pub detected: Option<String>,
}

impl NameChoices {
    /// The key under which a choice for these properties is remembered.
    pub fn key(&self) -> String {
        let mut names: Vec<String> = self.props.iter().map(|p| p.name.to_lowercase()).collect();
        names.sort();
        names.join("\u{1f}")
    }
}

/// Reads `path` and lists its properties (worker thread).
fn read_choices(path: &Path) -> crate::core::Result<NameChoices> {
    let (features, report) = territories_from_file(path, "name")?;
    let mut props = property_summaries(&features);
    let named = features.len() - report.unnamed.min(features.len());
    if named > 0 && !props.iter().any(|p| p.name.eq_ignore_ascii_case("name")) {
        // Names from the file itself (a KML Placemark's <name>).
        let mut samples: Vec<String> = Vec::new();
        for f in &features {
            if samples.len() < 3 && !samples.contains(&f.name) {
                samples.push(f.name.clone());
            }
        }
        props.insert(
            0,
            PropertySummary {
                name: "name".into(),
                samples,
                filled: named,
                unique: report.notes.is_empty(),
            },
        );
    }
    let detected = if named > 0 {
        props
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case("name"))
            .map(|p| p.name.clone())
    } else {
        name_like_property(&props, features.len())
    };
    Ok(NameChoices {
        props,
        features: features.len(),
        detected,
    })
}

/// The choice of the property that names the territories of one file.
pub struct NamePicker {
    /// The boundaries file.
    pub path: PathBuf,
    load: Option<Pending<NameChoices>>,
    choices: Option<NameChoices>,
    error: Option<String>,
    /// The property chosen.
    pub chosen: Option<String>,
    /// True when the choice is the one remembered for these properties.
    pub remembered: bool,
}

/// What the standalone picker dialog decided.
#[derive(Clone, Debug, PartialEq)]
pub enum PickerOutcome {
    /// Import `path` naming territories by `prop`; remember it under `key`.
    Import {
        /// The boundaries file.
        path: PathBuf,
        /// The name property.
        prop: String,
        /// The property set, to remember the choice by.
        key: String,
    },
    /// Closed without importing.
    Cancel,
}

impl NamePicker {
    /// Starts reading `path`'s properties in the background.
    pub fn open(ctx: &egui::Context, path: PathBuf) -> Self {
        let read = path.clone();
        Self {
            load: Some(Pending::spawn(ctx, move |_| read_choices(&read))),
            path,
            choices: None,
            error: None,
            chosen: None,
            remembered: false,
        }
    }

    /// True while the file is being read.
    pub fn is_loading(&self) -> bool {
        self.load.is_some()
    }

    /// Blocks up to `timeout` for the file to be read (tests).
    pub fn wait(&mut self, settings: &AppSettings, timeout: std::time::Duration) -> bool {
        let Some(load) = &self.load else { return true };
        match load.wait(timeout) {
            Some(r) => {
                self.load = None;
                self.take(r, settings);
                true
            }
            None => false,
        }
    }

    /// Takes the read's result in when it is there.
    pub fn poll(&mut self, settings: &AppSettings) {
        if let Some(r) = self.load.as_ref().and_then(Pending::poll) {
            self.load = None;
            self.take(r, settings);
        }
    }

    fn take(&mut self, r: Result<NameChoices, String>, settings: &AppSettings) {
        match r {
            Ok(c) => {
                let remembered = settings
                    .name_prop_for(&c.key())
                    .filter(|p| c.props.iter().any(|q| q.name == *p))
                    .map(str::to_owned);
                self.remembered = remembered.is_some();
                self.chosen = remembered.or_else(|| c.detected.clone());
                self.choices = Some(c);
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The property set's key, once read.
    pub fn key(&self) -> Option<String> {
        self.choices.as_ref().map(NameChoices::key)
    }

    /// The list of properties to choose from (inside any dialog).
    pub fn body(&mut self, ui: &mut Ui) {
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
            return;
        }
        let Some(choices) = &self.choices else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the properties…");
            });
            return;
        };
        if choices.props.is_empty() {
            ui.label("The features have no properties: they are numbered Territory 1, 2, …");
            return;
        }
        ui.label(format!(
            "Which property names the {} territories?",
            choices.features
        ));
        if self.remembered {
            ui.label(weak(ui, "Your choice for these properties last time."));
        } else if self.chosen.is_none() {
            ui.label(weak(ui, "No property clearly holds names: choose one."));
        }
        egui::ScrollArea::vertical()
            .id_salt("name_props")
            .max_height(220.0)
            .show(ui, |ui| {
                Grid::new("name_prop_grid")
                    .num_columns(3)
                    .striped(true)
                    .spacing([12.0, 4.0])
                    .show(ui, |ui| {
                        for p in &choices.props {
                            let pick = Some(p.name.clone());
                            ui.radio_value(&mut self.chosen, pick, &p.name);
                            let more = if p.samples.len() >= 3 { "…" } else { "" };
                            ui.label(format!("{}{more}", p.samples.join(", ")));
                            let note = match (p.filled == choices.features, p.unique) {
                                (true, true) => "every feature, all different".to_owned(),
                                (true, false) => "every feature, repeats".to_owned(),
                                (false, _) => {
                                    format!("{} of {} features", p.filled, choices.features)
                                }
                            };
                            ui.label(weak(ui, &note));
                            ui.end_row();
                        }
                    });
            });
    }

    /// The standalone dialog (File → Import territories).
    pub fn dialog(&mut self, ctx: &egui::Context) -> Option<PickerOutcome> {
        let mut out = None;
        let file = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let modal = Modal::new(Id::unique("name_picker")).show(ctx, |ui| {
            ui.set_width(640.0);
            ui.heading(format!("Import territories from {file}"));
            ui.add_space(6.0);
            self.body(ui);
            ui.add_space(10.0);
            ui.horizontal(|ui| {
                let ready = self.chosen.is_some()
                    || self.choices.as_ref().is_some_and(|c| c.props.is_empty());
                if ui.add_enabled(ready, egui::Button::new("Import")).clicked() {
                    out = Some(PickerOutcome::Import {
                        path: self.path.clone(),
                        prop: self.chosen.clone().unwrap_or_else(|| "name".into()),
                        key: self.key().unwrap_or_default(),
                    });
                }
                if ui.button("Cancel").clicked() {
                    out = Some(PickerOutcome::Cancel);
                }
            });
        });
        if modal.should_close() && out.is_none() {
            out = Some(PickerOutcome::Cancel);
        }
        out
    }
}

fn weak(ui: &Ui, text: &str) -> RichText {
    RichText::new(text).color(ui.visuals().weak_text_color())
}
