//! The History panel (undo/redo stack with Undo and Redo buttons) and
//! autosave: a recovery copy of an unsaved plan, written on a worker thread
//! a few seconds after the last change and offered back at the next start.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::TurfmapApp;
use super::jobs::JobOutput;
use super::jobs::JobRequest;
use crate::core::{Workspace, project_file};

/// How long the plan must stay unchanged before a recovery copy is written.
pub const AUTOSAVE_DELAY: Duration = Duration::from_secs(3);

/// What is written next to a recovery copy (`<name>.turf` →
/// `<name>.recovery.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecoveryMarker {
    /// The plan's own file, if it has one.
    pub original: Option<PathBuf>,
    /// When the copy was written, in seconds since the Unix epoch.
    pub saved_at: u64,
    /// The plan's name.
    pub name: String,
}

/// A recovery copy found at start-up.
#[derive(Clone, Debug, PartialEq)]
pub struct RecoveryOffer {
    /// The recovery copy (a `.turf` file).
    pub file: PathBuf,
    /// What its marker says.
    pub marker: RecoveryMarker,
}

/// Autosave bookkeeping.
#[derive(Default)]
pub(crate) struct Autosave {
    /// Where recovery copies go; `None`: autosave is off.
    pub dir: Option<PathBuf>,
    /// The (generation, revision) last seen, and when it was first seen.
    seen: Option<((u64, u64), Instant)>,
    /// The (generation, revision) last written (or being written).
    written: Option<(u64, u64)>,
    /// The recovery copy this session wrote (or restored from).
    pub file: Option<PathBuf>,
    /// A write in progress.
    pending: Option<mpsc::Receiver<Result<PathBuf, String>>>,
    /// Offered at start-up: "Restore unsaved changes?".
    pub offer: Option<RecoveryOffer>,
    /// A restore in progress: the copy, and the plan generation before it.
    restoring: Option<(PathBuf, u64)>,
}

/// The platform folder for recovery copies
/// (`~/.local/share/turfmap/recovery` on Linux), if there is a home folder.
pub fn default_recovery_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "Turfmap", "turfmap")
        .map(|d| d.data_dir().join("recovery"))
}

/// `<dir>/<plan name>-<key>.turf` for a plan with a file, the key taken
/// from the file's full path, so that two plans of one name in different
/// folders (every `sample.turf`) never share a recovery copy;
/// `<dir>/<plan name>.turf` for an unsaved plan. The name is made safe for
/// a file name.
fn recovery_file(dir: &Path, name: &str, original: Option<&Path>) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | ' ' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim().trim_start_matches('.');
    let safe = if safe.is_empty() { "untitled" } else { safe };
    match original {
        Some(path) => {
            let full = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
            dir.join(format!("{safe}-{:016x}.turf", path_key(&full)))
        }
        None => dir.join(format!("{safe}.turf")),
    }
}

/// FNV-1a of a path's bytes: stable across runs and Rust versions, so a
/// recovery copy is found again by the next session.
fn path_key(path: &Path) -> u64 {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

fn marker_file(file: &Path) -> PathBuf {
    file.with_extension("recovery.json")
}

fn remove_recovery(file: &Path) {
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(marker_file(file));
}

/// The newest recovery copy in `dir` that has a readable marker.
pub fn find_recovery(dir: &Path) -> Option<RecoveryOffer> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "turf") && p.is_file())
        .filter_map(|file| {
            let text = std::fs::read_to_string(marker_file(&file)).ok()?;
            let marker: RecoveryMarker = serde_json::from_str(&text).ok()?;
            Some(RecoveryOffer { file, marker })
        })
        .max_by_key(|o| o.marker.saved_at)
}

/// "5 minutes ago" and the like.
pub(crate) fn ago(saved_at: u64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let s = now.saturating_sub(saved_at);
    match s {
        0..60 => "less than a minute ago".into(),
        60..3600 => format!("{} minute(s) ago", s / 60),
        3600..86_400 => format!("{} hour(s) ago", s / 3600),
        _ => format!("{} day(s) ago", s / 86_400),
    }
}

impl Autosave {
    /// Takes in the result of a recovery write (with `block`, waits for
    /// it); returns the error to show if it failed.
    fn poll(&mut self, block: bool) -> Option<String> {
        let rx = self.pending.as_ref()?;
        let result = if block {
            rx.recv_timeout(Duration::from_secs(60)).ok()
        } else {
            rx.try_recv().ok()
        }?;
        self.pending = None;
        result
            .err()
            .map(|e| format!("Could not write the recovery copy: {e}"))
    }

    /// Removes this session's recovery copy (the user closed the plan on
    /// purpose).
    pub(crate) fn discard(&mut self) {
        if let Some(file) = self.file.take() {
            remove_recovery(&file);
        }
    }

    /// The job that loads the offered recovery copy (it replaces the plan
    /// of `generation` and counts as unsaved), if one is offered.
    pub(crate) fn restore_job(&mut self, generation: u64) -> Option<JobRequest> {
        let offer = self.offer.take()?;
        // Remembered as this session's copy only once the restore has
        // succeeded (see tick_autosave): a failed one must not delete it.
        self.restoring = Some((offer.file.clone(), generation));
        let title = format!("Restoring {}", offer.marker.name);
        Some(JobRequest::new(title, true, move |_| {
            let project = project_file::load(&offer.file)?;
            let ws = Workspace::recovered(project, offer.marker.original);
            Ok(JobOutput::Opened {
                ws: Box::new(ws),
                path: None,
            })
        }))
    }

    /// Deletes the copy offered at start-up.
    pub(crate) fn discard_offer(&mut self) {
        if let Some(offer) = self.offer.take() {
            remove_recovery(&offer.file);
        }
    }
}

impl TurfmapApp {
    /// Where recovery copies are written (`None`, the default: autosave is
    /// off, as in tests). The window uses [`default_recovery_dir`].
    pub fn set_recovery_dir(&mut self, dir: Option<PathBuf>) {
        self.autosave.dir = dir;
    }

    /// Looks for a recovery copy in the recovery folder and, if there is
    /// one, asks whether to restore it. Returns what is offered.
    pub fn check_recovery(&mut self) -> Option<&RecoveryOffer> {
        let dir = self.autosave.dir.as_deref()?;
        self.autosave.offer = find_recovery(dir);
        self.autosave.offer.as_ref()
    }

    /// The recovery copy written by this session, if any.
    pub fn recovery_file(&self) -> Option<&Path> {
        self.autosave.file.as_deref()
    }

    /// Autosave's clock: called every frame with the current time (tests
    /// pass their own). Once the plan has been unsaved and unchanged for
    /// [`AUTOSAVE_DELAY`], a copy is written on a worker thread; once the
    /// plan is saved (or replaced by a clean one) the copy is removed.
    pub fn tick_autosave(&mut self, now: Instant) {
        if let Some(e) = self.autosave.poll(false) {
            self.error = Some(e);
        }
        // Not while a job runs: it may replace the plan (open, restore)
        // or mark it saved, and a restore reads the recovery copy.
        if self.job.is_some() {
            return;
        }
        if let Some((file, generation)) = self.autosave.restoring.take()
            && generation != self.generation
        {
            self.autosave.file = Some(file);
        }
        let Some(dir) = self.autosave.dir.clone() else {
            return;
        };
        let key = (self.generation, self.ws.revision());
        let since = match self.autosave.seen {
            Some((k, t)) if k == key => t,
            _ => {
                self.autosave.seen = Some((key, now));
                now
            }
        };
        if !self.ws.is_dirty() {
            if let Some(file) = self.autosave.file.take() {
                remove_recovery(&file);
            }
            self.autosave.written = None;
            return;
        }
        if self.autosave.written == Some(key) || self.autosave.pending.is_some() {
            return;
        }
        let waited = now.saturating_duration_since(since);
        if waited < AUTOSAVE_DELAY {
            self.ctx.request_repaint_after(AUTOSAVE_DELAY - waited);
            return;
        }
        self.autosave.written = Some(key);
        let project = self.ws.project().snapshot();
        let file = recovery_file(&dir, &project.name, self.ws.path());
        if let Some(old) = self.autosave.file.replace(file.clone())
            && old != file
        {
            remove_recovery(&old);
        }
        let marker = RecoveryMarker {
            original: self.ws.path().map(Path::to_owned),
            saved_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            name: project.name.clone(),
        };
        let (tx, rx) = mpsc::channel();
        self.autosave.pending = Some(rx);
        std::thread::spawn(move || {
            let result = (|| {
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                project_file::save(&project, &file).map_err(|e| e.to_string())?;
                let text = serde_json::to_string_pretty(&marker).map_err(|e| e.to_string())?;
                std::fs::write(marker_file(&file), text).map_err(|e| e.to_string())?;
                Ok(file)
            })();
            let _ = tx.send(result);
        });
    }

    /// Waits for a recovery copy being written (tests). True when none is
    /// being written any more.
    pub fn wait_for_autosave(&mut self) -> bool {
        if let Some(e) = self.autosave.poll(true) {
            self.error = Some(e);
        }
        self.autosave.pending.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_file_is_keyed_by_the_full_path() {
        let dir = Path::new("/recovery");
        let a = recovery_file(dir, "sample", Some(Path::new("/work/a/sample.turf")));
        let b = recovery_file(dir, "sample", Some(Path::new("/work/b/sample.turf")));
        assert_ne!(a, b);
        assert_eq!(
            a,
            recovery_file(dir, "sample", Some(Path::new("/work/a/sample.turf")))
        );
        assert!(a.starts_with(dir));
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("sample-") && name.ends_with(".turf"),
            "{name}"
        );
        assert_eq!(recovery_file(dir, "", None), dir.join("untitled.turf"));
    }
}
