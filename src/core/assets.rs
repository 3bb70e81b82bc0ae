//! Where the bundled data files (`assets/`) are.

use std::path::{Path, PathBuf};

/// Credits and notices of the bundled data, one a line, as the About
/// window shows them (details: `assets/DATA-SOURCES.md`).
pub const DATA_NOTICES: &str = "\
Basemap: Natural Earth (public domain); US states and counties: US Census Bureau (public domain).
US ZIP and postal-code centroids of CA, DE, FR, AU, NL, ES, IT, MX, BR, JP, IN and some UK codes: \
GeoNames (www.geonames.org), CC BY 4.0 (creativecommons.org/licenses/by/4.0), data as is.
UK postcode sectors and outward codes: OS Code-Point Open 2025.4.0, Open Government Licence v3.0.
Contains Ordnance Survey data © Crown copyright and database right 2025.
Contains Royal Mail data © Royal Mail copyright and database right 2025.
Contains National Statistics data © Crown copyright and database right 2025.";

/// A file every assets folder has; used to recognise one.
const MARKER: &str = "us-states.geojson";

/// The assets folder: `$TURFMAP_ASSETS` if set, else `assets/` next to the
/// executable (a portable folder or Windows zip), else
/// `../share/turfmap/assets` from it (the Linux package: `/usr/bin/turfmap`
/// with `/usr/share/turfmap/assets`), else the source tree's `assets/`
/// (`cargo run`, `cargo install --path .`).
pub fn dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    dir_for(std::env::var_os("TURFMAP_ASSETS"), exe.as_deref())
}

/// [`dir`] for a given `$TURFMAP_ASSETS` value and executable path.
pub fn dir_for(env: Option<std::ffi::OsString>, exe: Option<&Path>) -> PathBuf {
    if let Some(d) = env {
        return PathBuf::from(d);
    }
    if let Some(parent) = exe.and_then(Path::parent) {
        for cand in [
            parent.join("assets"),
            parent.join("../share/turfmap/assets"),
        ] {
            if cand.join(MARKER).exists() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_installed_layouts() {
        let root = tempfile::tempdir().unwrap();
        // Debian package: /usr/bin/turfmap + /usr/share/turfmap/assets.
        let bin = root.path().join("usr/bin");
        let share = root.path().join("usr/share/turfmap/assets");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&share).unwrap();
        std::fs::write(share.join(MARKER), "{}").unwrap();
        let found = dir_for(None, Some(&bin.join("turfmap")));
        assert_eq!(found.canonicalize().unwrap(), share.canonicalize().unwrap());
        // A portable folder: assets/ beside the binary wins.
        let portable = root.path().join("portable");
        std::fs::create_dir_all(portable.join("assets")).unwrap();
        std::fs::write(portable.join("assets").join(MARKER), "{}").unwrap();
        assert_eq!(
            dir_for(None, Some(&portable.join("turfmap.exe"))),
            portable.join("assets")
        );
        // The environment overrides; nothing found: the source tree.
        assert_eq!(
            dir_for(Some("/x/y".into()), Some(&bin.join("turfmap"))),
            PathBuf::from("/x/y")
        );
        let nowhere = dir_for(None, Some(&root.path().join("empty/turfmap")));
        assert!(nowhere.join(MARKER).exists(), "{}", nowhere.display());
    }
}
