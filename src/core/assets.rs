//! Where the bundled data files (`assets/`) are.

use std::path::PathBuf;

/// The assets folder: `$TURFMAP_ASSETS` if set, else `assets/` next to the
/// executable (installed layout), else the source tree's `assets/`.
pub fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("TURFMAP_ASSETS") {
        return PathBuf::from(d);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(parent) = exe.parent()
    {
        for cand in [
            parent.join("assets"),
            parent.join("../share/turfmap/assets"),
        ] {
            if cand.join("us-states.geojson").exists() {
                return cand;
            }
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// The bundled sample plan that the window opens by default.
pub fn sample_plan() -> PathBuf {
    dir().join("sample").join("sample.turf")
}
