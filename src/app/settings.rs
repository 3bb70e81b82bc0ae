//! Window settings remembered between runs: theme, units, online map tiles
//! and the last balance measure chosen.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::app::map::tiles::TileSettings;
use crate::core::export::write_file_atomically;
use crate::core::model::{BalanceMeasure, Project};
use crate::core::render::DistanceUnit;

/// What the window remembers between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AppSettings {
    /// Draw online raster tiles under the territories (off by default: the
    /// app is fully useful offline).
    pub online_tiles: bool,
    /// Which tile server, and its attribution.
    pub tiles: TileSettings,
    /// Dark theme.
    pub dark: bool,
    /// Units for areas, distances and the scale bar.
    pub units: DistanceUnit,
    /// The balance measure last chosen in the window (`count` or a measure
    /// column's name); new plans start with it when they have that column.
    pub balance_measure: Option<String>,
}

impl AppSettings {
    /// Makes the remembered balance measure the plan's, if the plan has
    /// that column (for new plans: an opened plan keeps its own setting).
    pub fn apply_balance_measure(&self, project: &mut Project) {
        let Some(name) = &self.balance_measure else {
            return;
        };
        if name.eq_ignore_ascii_case("count") {
            project.settings.balance = BalanceMeasure::Count;
        } else if let Some(i) = project.accounts.measure_index(name) {
            project.settings.balance =
                BalanceMeasure::Measure(project.accounts.measures[i].name.clone());
        }
    }

    /// `settings.ron` in the per-user config folder.
    pub fn default_store() -> Option<PathBuf> {
        directories::ProjectDirs::from("org", "Turfmap", "turfmap")
            .map(|d| d.config_dir().join("settings.ron"))
    }

    /// Reads settings; a missing or unreadable file gives the defaults (a
    /// broken settings file must never stop the app from starting).
    pub fn load(path: &Path) -> Self {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| ron::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Writes settings atomically, creating the folder if needed.
    pub fn save(&self, path: &Path) -> crate::core::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| crate::core::Error::io(dir, e))?;
        }
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::new())
            .map_err(|e| crate::core::Error::invalid(e.to_string()))?;
        write_file_atomically(path, |w| {
            std::io::Write::write_all(w, text.as_bytes())
                .map_err(|e| crate::core::Error::io(path, e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_broken_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("settings.ron");
        assert_eq!(AppSettings::load(&path), AppSettings::default());
        let s = AppSettings {
            online_tiles: true,
            dark: true,
            units: DistanceUnit::Mi,
            balance_measure: Some("Potential".into()),
            ..AppSettings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(AppSettings::load(&path), s);
        // A file from an older version (no units) still loads.
        std::fs::write(&path, "(online_tiles: true, dark: true)").unwrap();
        let old = AppSettings::load(&path);
        assert!(old.dark && old.units == DistanceUnit::Km && old.balance_measure.is_none());
        std::fs::write(&path, "(online_tiles: tru").unwrap();
        assert_eq!(AppSettings::load(&path), AppSettings::default());
    }
}

#[cfg(test)]
mod app_tests {
    use super::*;
    use crate::app::TurfmapApp;
    use crate::core::{Project, Workspace};

    #[test]
    fn the_online_tiles_switch_is_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("settings.ron");
        let ctx = egui::Context::default();
        let mut app = TurfmapApp::new(&ctx, Workspace::new(Project::new("t")));
        let local = AppSettings {
            tiles: TileSettings {
                // Loopback: nothing is fetched since no frame is drawn.
                url_template: "http://127.0.0.1:9/{z}/{x}/{y}.png".into(),
                ..TileSettings::default()
            },
            ..AppSettings::default()
        };
        app.set_settings(local, Some(store.clone()));
        assert!(!app.settings().online_tiles, "off by default");
        app.apply_command(crate::app::command::Command::SetOnlineTiles(true));
        assert!(app.settings().online_tiles);
        assert!(app.error().is_none(), "{:?}", app.error());
        assert!(AppSettings::load(&store).online_tiles);
        app.apply_command(crate::app::command::Command::SetOnlineTiles(false));
        assert!(!AppSettings::load(&store).online_tiles);
        // A bad template is refused, reported, and the switch stays off.
        let mut bad = AppSettings::load(&store);
        bad.online_tiles = true;
        bad.tiles.url_template = "no placeholders".into();
        app.set_settings(bad, None);
        assert!(!app.settings().online_tiles);
        assert!(app.error().is_some());
    }
}
