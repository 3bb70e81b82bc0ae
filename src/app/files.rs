//! Files the window reads and writes besides plans: the recent-plans list,
//! the bundled sample and native file dialogs. New plans are built by
//! [`crate::core::import::new_project`], as `turfmap new` builds them.

use std::path::{Path, PathBuf};

use crate::core::import::{NewPlanFiles, new_project};
use crate::core::progress::Progress;
use crate::core::{Project, Result, assets, project_file};

/// The most recently used plans, newest first, kept in a small RON file
/// (`recent.ron` in the user's config folder) so the File menu survives
/// restarts. Entries whose file is gone are dropped when read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecentPlans {
    store: Option<PathBuf>,
    entries: Vec<PathBuf>,
}

impl RecentPlans {
    /// How many plans the list keeps.
    pub const MAX: usize = 10;

    /// A list that is never written to disk (tests, headless use).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// `recent.ron` in the platform config folder
    /// (`~/.config/turfmap/recent.ron` on Linux), if there is a home folder.
    pub fn default_store() -> Option<PathBuf> {
        directories::ProjectDirs::from("org", "Turfmap", "turfmap")
            .map(|d| d.config_dir().join("recent.ron"))
    }

    /// Reads the list kept in the default store (empty if there is none).
    pub fn load_default() -> Self {
        match Self::default_store() {
            Some(store) => Self::load(store),
            None => Self::in_memory(),
        }
    }

    /// Reads the list kept in `store`. A missing or unreadable file is an
    /// empty list: a broken history must never stop the app from starting.
    pub fn load(store: PathBuf) -> Self {
        let entries: Vec<PathBuf> = std::fs::read_to_string(&store)
            .ok()
            .and_then(|text| ron::from_str(&text).ok())
            .unwrap_or_default();
        let mut recent = Self {
            store: Some(store),
            entries,
        };
        recent.prune();
        recent
    }

    /// The plans, newest first.
    pub fn entries(&self) -> &[PathBuf] {
        &self.entries
    }

    /// Puts `path` at the top (once) and saves the list.
    pub fn add(&mut self, path: &Path) {
        // Absolute, so the list works whatever folder the app starts in.
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        self.entries.retain(|p| p != &path);
        self.entries.insert(0, path);
        self.entries.truncate(Self::MAX);
        self.save();
    }

    /// Drops entries whose file no longer exists; saves if any was dropped.
    pub fn prune(&mut self) {
        let before = self.entries.len();
        self.entries.retain(|p| p.is_file());
        if self.entries.len() != before {
            self.save();
        }
    }

    fn save(&self) {
        let Some(store) = &self.store else { return };
        let write = || -> std::io::Result<()> {
            if let Some(dir) = store.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let text = ron::ser::to_string_pretty(&self.entries, Default::default())
                .map_err(std::io::Error::other)?;
            std::fs::write(store, text)
        };
        // The list is a convenience: failing to write it is not worth an
        // error dialog.
        if let Err(e) = write() {
            eprintln!(
                "turfmap: could not save the recent plans list {}: {e}",
                store.display()
            );
        }
    }
}

/// The bundled sample plan, as a new unsaved project (so that Save asks
/// where to put it instead of overwriting the bundled file).
///
/// Uses `assets/sample/sample.turf`; without it, builds the plan from
/// `assets/sample/accounts.csv` (+ `territories.geojson`); without those
/// either, generates the sample data into a temporary folder first.
pub fn load_sample(progress: &Progress) -> Result<Project> {
    let turf = assets::sample_plan();
    if turf.is_file() {
        return project_file::load(&turf);
    }
    let dir = turf.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.join("accounts.csv").is_file() {
        return sample_from_dir(&dir, progress);
    }
    // Unique per call: two windows (or tests) may generate at once.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!("turfmap-sample-{}-{n}", std::process::id()));
    let result = crate::core::sample::generate_sample(&tmp, crate::core::sample::DEFAULT_SEED)
        .and_then(|_| sample_from_dir(&tmp, progress));
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn sample_from_dir(dir: &Path, progress: &Progress) -> Result<Project> {
    let territories = dir.join("territories.geojson");
    let files = NewPlanFiles {
        territories: territories.is_file().then_some(territories),
        ..NewPlanFiles::accounts(dir.join("accounts.csv"))
    };
    new_project("Sample plan", &files, progress).map(|(p, _)| p)
}

/// `path` with extension `ext` added when it has none (file dialogs on some
/// desktops return the name exactly as typed).
pub fn with_extension(path: PathBuf, ext: &str) -> PathBuf {
    if path.extension().is_some() {
        path
    } else {
        path.with_extension(ext)
    }
}

/// `path` as a plan file name: ending in `.turf` (added when it ends in
/// anything else), so a typed name never lands on a table or image.
pub fn plan_path(path: PathBuf) -> PathBuf {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("turf"))
    {
        return path;
    }
    let mut name = path.into_os_string();
    name.push(".turf");
    PathBuf::from(name)
}

/// A plan name from a file name: `west-2025.turf` → `west-2025`.
pub fn plan_name_from(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Plan".into())
}

/// What to open at start-up: `explicit` (given on the command line), else
/// the last plan used. `(None, None)` on a first run (nothing used yet):
/// open the sample. `(None, Some(gone))` when the last plan is not there
/// any more: open the sample and say so.
pub fn startup_plan(
    explicit: Option<PathBuf>,
    recent: &RecentPlans,
) -> (Option<PathBuf>, Option<PathBuf>) {
    if let Some(path) = explicit {
        return (Some(path), None);
    }
    match recent.entries().first() {
        Some(last) if last.is_file() => (Some(last.clone()), None),
        Some(last) => (None, Some(last.clone())),
        None => (None, None),
    }
}

/// Native file dialogs. They block the UI thread while open, which is how
/// native dialogs behave anyway; the work they lead to never runs here.
pub(crate) mod dialogs {
    use std::path::{Path, PathBuf};

    use super::with_extension;

    /// Why no native file dialog can be shown, or `None` when one can: an
    /// xdg desktop portal on the session bus, or `zenity`/`kdialog` in
    /// PATH (what rfd uses on Linux). Without either rfd returns nothing
    /// at once, so the window asks for a typed path instead. Checked once.
    pub fn unavailable() -> Option<String> {
        static CHECK: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        CHECK.get_or_init(check_service).clone()
    }

    fn check_service() -> Option<String> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let in_path = |name: &str| {
            std::env::var_os("PATH")
                .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        };
        if in_path("zenity") || in_path("kdialog") {
            return None;
        }
        let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
        let portal = [
            "/usr/share/dbus-1/services/org.freedesktop.portal.Desktop.service",
            "/usr/libexec/xdg-desktop-portal",
            "/usr/lib/xdg-desktop-portal",
        ]
        .iter()
        .any(|p| Path::new(p).exists());
        if bus && portal {
            return None;
        }
        Some("no xdg desktop portal on D-Bus and no zenity or kdialog".into())
    }

    fn start_in(dialog: rfd::FileDialog, near: Option<&Path>) -> rfd::FileDialog {
        match near.and_then(Path::parent).filter(|d| d.is_dir()) {
            Some(dir) => dialog.set_directory(dir),
            None => dialog,
        }
    }

    /// Asks for a plan to open.
    pub fn pick_plan(near: Option<&Path>) -> Option<PathBuf> {
        start_in(rfd::FileDialog::new(), near)
            .set_title("Open plan")
            .add_filter("Turfmap plan", &["turf"])
            .add_filter("All files", &["*"])
            .pick_file()
    }

    /// Asks for a CRM accounts export.
    pub fn pick_accounts_csv() -> Option<PathBuf> {
        rfd::FileDialog::new()
            .set_title("Accounts CSV (CRM export)")
            .add_filter("CSV", &["csv", "txt", "tsv"])
            .add_filter("All files", &["*"])
            .pick_file()
    }

    /// Asks for a territories file: GeoJSON, Esri shapefile, KML or KMZ.
    pub fn pick_territories(near: Option<&Path>) -> Option<PathBuf> {
        start_in(rfd::FileDialog::new(), near)
            .set_title("Territories (GeoJSON, shapefile, KML/KMZ)")
            .add_filter(
                "Territories",
                &crate::core::import::TerritoryFormat::IMPORT_EXTENSIONS,
            )
            .add_filter("GeoJSON", &["geojson", "json"])
            .add_filter("Esri shapefile", &["shp"])
            .add_filter("KML / KMZ (Google Earth)", &["kml", "kmz"])
            .add_filter("All files", &["*"])
            .pick_file()
    }

    /// Asks where to save a file of kind `filter` (extension `ext`).
    pub fn save_as(
        title: &str,
        filter: &str,
        ext: &str,
        default_name: &str,
        near: Option<&Path>,
    ) -> Option<PathBuf> {
        start_in(rfd::FileDialog::new(), near)
            .set_title(title)
            .add_filter(filter, &[ext])
            .set_file_name(format!("{default_name}.{ext}"))
            .save_file()
            .map(|p| with_extension(p, ext))
    }
}
