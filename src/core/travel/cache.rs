//! Loading road networks: memory, then the on-disk cache, then the file.
//!
//! The cache lives in the user's cache folder (`directories`), or in
//! `$TURFMAP_CACHE_DIR` when set, under `roads/`. A cache file is named
//! after the roads file and a 64-bit key of (roads file bytes, speed table,
//! cache format), so editing either makes a fresh build, and the stale file
//! of the same roads is removed. A damaged cache file is rebuilt, never
//! trusted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::digest::Fnv;
use super::network::{Network, read_lines};
use super::speeds::SpeedTable;
use crate::core::error::{Error, Result};

/// Bump when the cached layout changes.
const CACHE_FORMAT: u64 = 2;

/// The roads cache folder: `$TURFMAP_CACHE_DIR/roads`, else the user cache
/// folder's `roads/`; `None` when the system has no cache folder.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("TURFMAP_CACHE_DIR") {
        return Some(PathBuf::from(d).join("roads"));
    }
    directories::ProjectDirs::from("org", "Turfmap", "turfmap").map(|d| d.cache_dir().join("roads"))
}

type Memo = Vec<(PathBuf, u64, Arc<Network>)>;

/// Networks already loaded by this process.
static LOADED: Mutex<Memo> = Mutex::new(Vec::new());

/// How a network was obtained (for messages and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Already in memory.
    Memory,
    /// Read from the cache folder.
    Cache,
    /// Built from the roads file (and cached when possible).
    Built,
}

/// The network of roads file `path` with `speeds`, from memory, the cache
/// folder `cache` (`None`: no disk cache) or built from the file.
pub fn load(
    path: &Path,
    speeds: &SpeedTable,
    cache: Option<&Path>,
) -> Result<(Arc<Network>, Source)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut h = Fnv::new();
    h.write(&bytes);
    h.write(&speeds.digest().to_le_bytes());
    h.write(&CACHE_FORMAT.to_le_bytes());
    let key = h.finish();
    let memo = |m: &Memo| {
        m.iter()
            .find(|(p, k, _)| p == path && *k == key)
            .map(|(_, _, n)| n.clone())
    };
    if let Some(n) = LOADED.lock().ok().and_then(|m| memo(&m)) {
        return Ok((n, Source::Memory));
    }
    let stem = path
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("roads")
        .trim_end_matches(".gz")
        .trim_end_matches(".geojson")
        .to_string();
    let file = cache.map(|d| d.join(format!("{stem}-{key:016x}.bin")));
    let cached = file
        .as_ref()
        .and_then(|f| std::fs::read(f).ok())
        .and_then(|b| Network::from_bytes(&b));
    let (net, source) = match cached {
        Some(n) => (n, Source::Cache),
        None => {
            let net = Network::from_lines(&read_lines(path, &bytes)?, speeds);
            if let (Some(dir), Some(f)) = (cache, &file) {
                // A cache that cannot be written only costs time next run.
                let _ = store(dir, f, &stem, &net);
            }
            (net, Source::Built)
        }
    };
    let net = Arc::new(net);
    if let Ok(mut m) = LOADED.lock() {
        m.retain(|(p, _, _)| p != path);
        m.push((path.to_path_buf(), key, net.clone()));
    }
    Ok((net, source))
}

/// Writes the cache file (temporary name, then rename: a crash never leaves
/// a half file under the real name) and removes older ones of `stem`.
fn store(dir: &Path, file: &Path, stem: &str, net: &Network) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, net.to_bytes()?).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, file).map_err(|e| Error::io(file, e))?;
    let prefix = format!("{stem}-");
    for entry in std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
    {
        let p = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if p != file && name.starts_with(&prefix) && name.ends_with(".bin") {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(())
}

/// Forgets the networks loaded by this process (tests of the cache).
pub fn forget_loaded() {
    if let Ok(mut m) = LOADED.lock() {
        m.clear();
    }
}
