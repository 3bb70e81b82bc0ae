//! Optional online raster tiles (off by default).
//!
//! walkers' [`walkers::HttpTiles`] does the HTTP, with a disk cache under the
//! user's cache folder and our user agent. walkers is built without its
//! aws-lc TLS feature; reqwest's rustls runs on the ring provider, which
//! [`connect`] installs. Should building the client still fail, [`connect`]
//! catches it and the map stays on the offline basemap.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Mutex;

use walkers::sources::{Attribution, TileSource};
use walkers::{HttpOptions, HttpTiles, TileId};

/// User agent sent to tile servers (OSM's tile policy requires a real one).
pub const USER_AGENT: &str = "Turfmap/0.1";

/// What [`connect`] reports when the HTTP client cannot be built.
pub const NO_TLS: &str = "could not start the tile downloader (TLS setup failed); \
     the offline basemap stays on";

/// Where and how to fetch raster tiles.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TileSettings {
    /// XYZ URL template with `{z}`, `{x}` and `{y}`, e.g.
    /// `https://tile.openstreetmap.org/{z}/{x}/{y}.png`.
    pub url_template: String,
    /// Attribution text shown in the map's corner (required by most
    /// providers).
    pub attribution: String,
    /// Link for the attribution.
    pub attribution_url: String,
    /// Highest zoom the server has tiles for.
    pub max_zoom: u8,
}

impl Default for TileSettings {
    fn default() -> Self {
        Self {
            url_template: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            attribution: "© OpenStreetMap contributors".into(),
            attribution_url: "https://www.openstreetmap.org/copyright".into(),
            max_zoom: 19,
        }
    }
}

impl TileSettings {
    /// The URL of one tile.
    pub fn tile_url(&self, zoom: u8, x: u32, y: u32) -> String {
        self.url_template
            .replace("{z}", &zoom.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }

    /// Checks the template before anything is fetched.
    pub fn validate(&self) -> Result<(), String> {
        let t = &self.url_template;
        if !(t.starts_with("http://") || t.starts_with("https://")) {
            return Err("the tile URL must start with http:// or https://".into());
        }
        for p in ["{z}", "{x}", "{y}"] {
            if !t.contains(p) {
                return Err(format!("the tile URL template has no {p}"));
            }
        }
        Ok(())
    }
}

/// walkers wants `&'static str` attributions: intern them (a handful per
/// session at most, so the leak is bounded).
fn intern(s: &str) -> &'static str {
    static SEEN: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let Ok(mut seen) = SEEN.lock() else {
        return "";
    };
    let set = seen.get_or_insert_with(HashSet::new);
    if let Some(&k) = set.get(s) {
        return k;
    }
    let k: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(k);
    k
}

struct TemplateSource {
    settings: TileSettings,
    attribution: &'static str,
    url: &'static str,
}

impl TileSource for TemplateSource {
    fn tile_url(&self, t: TileId) -> String {
        self.settings.tile_url(t.zoom, t.x, t.y)
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution,
            url: self.url,
            logo_light: None,
            logo_dark: None,
        }
    }

    fn max_zoom(&self) -> u8 {
        self.settings.max_zoom
    }
}

/// Connected online tiles.
pub struct OnlineTiles {
    /// What they were made from.
    pub settings: TileSettings,
    /// walkers' downloader and cache.
    pub tiles: HttpTiles,
}

/// The tile disk cache folder.
pub fn cache_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Turfmap", "turfmap").map(|d| d.cache_dir().join("tiles"))
}

/// Sets up the tile downloader (nothing is fetched until the map asks for
/// tiles). Errors instead of panicking if the HTTP client cannot be built.
pub fn connect(settings: TileSettings, ctx: &egui::Context) -> Result<OnlineTiles, String> {
    settings.validate()?;
    let source = TemplateSource {
        attribution: intern(&settings.attribution),
        url: intern(&settings.attribution_url),
        settings: settings.clone(),
    };
    let options = HttpOptions {
        cache: cache_dir(),
        user_agent: Some(walkers::HeaderValue::from_static(USER_AGENT)),
        ..Default::default()
    };
    let ctx = ctx.clone();
    // reqwest's rustls needs a process-wide crypto provider (ring, here).
    crate::app::install_tls_provider();
    match catch_unwind(AssertUnwindSafe(move || {
        HttpTiles::with_options(source, options, ctx)
    })) {
        Ok(tiles) => Ok(OnlineTiles { settings, tiles }),
        Err(_) => Err(NO_TLS.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_and_validation() {
        let s = TileSettings::default();
        assert!(s.validate().is_ok());
        assert_eq!(
            s.tile_url(3, 1, 2),
            "https://tile.openstreetmap.org/3/1/2.png"
        );
        let bad = TileSettings {
            url_template: "ftp://x/{z}/{x}.png".into(),
            ..s
        };
        assert!(bad.validate().is_err());
        assert_eq!(intern("abc"), intern("abc"));
    }
}
