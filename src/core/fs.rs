//! Writing files without harming anything: every writer of the app goes
//! through [`write_file_atomically`] (one file) or [`write_folder_atomically`]
//! (a folder of files that must appear together).
//!
//! - A regular file is written all or nothing: a temp file next to it
//!   (`.NAME.tmp-PID-N`) is filled, synced and renamed over it. The
//!   replaced file's permissions and (where allowed) owner are kept.
//! - A symlink is followed: the file it points to is replaced and the link
//!   stays a link.
//! - A device, FIFO or socket (`/dev/null`, `/dev/stdout`, `>(cmd)`) is
//!   written into directly, never replaced; `-` means standard output.
//! - A read-only file is refused unless [`WriteOptions::force`] is set.
//! - With [`WriteOptions::expect`], a file that changed on disk since it was
//!   read (see [`Fingerprint`]) is not overwritten ([`Error::Changed`]); the
//!   check and the rename happen under a lock of the folder, so two
//!   processes saving the same plan at once cannot both win.
//! - Temp files that a killed process left behind for this file are removed
//!   on the next write.
//!
//! Writers that know no file name return [`Error::Io`] with an empty path;
//! the write functions fill in the file they were writing.

use std::ffi::OsString;
use std::fs::{self, File};
use std::hash::Hasher;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::core::{Error, Result};

/// The name `-`: standard output instead of a file.
pub const STDOUT: &str = "-";

/// What a file held when it was read, to tell later whether someone else
/// changed it: its length and a hash of its bytes (or that it did not
/// exist). Content, not modification time, so that two saves within one
/// clock tick are still told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(Option<(u64, u64)>);

impl Fingerprint {
    /// The fingerprint of a file that does not exist.
    pub const ABSENT: Self = Self(None);

    /// The fingerprint of `bytes` as a file's content.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let mut h = std::hash::DefaultHasher::new();
        for chunk in bytes.chunks(HASH_CHUNK) {
            h.write(chunk);
        }
        Self(Some((bytes.len() as u64, h.finish())))
    }

    /// The fingerprint of the file at `path` now ([`Fingerprint::ABSENT`]
    /// when there is none), read in chunks.
    pub fn of_file(path: &Path) -> io::Result<Self> {
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::ABSENT),
            Err(e) => return Err(e),
        };
        let mut h = std::hash::DefaultHasher::new();
        let mut buf = vec![0u8; HASH_CHUNK];
        let mut len = 0u64;
        loop {
            // Fill whole chunks, so the hash matches `of_bytes`.
            let mut filled = 0;
            while filled < buf.len() {
                match file.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if filled == 0 {
                break;
            }
            h.write(&buf[..filled]);
            len += filled as u64;
            if filled < buf.len() {
                break;
            }
        }
        Ok(Self(Some((len, h.finish()))))
    }
}

/// Bytes hashed at a time by [`Fingerprint`].
const HASH_CHUNK: usize = 1 << 20;

/// How [`write_file_with`] treats an existing file.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteOptions {
    /// Replace the file even if it is read-only.
    pub force: bool,
    /// Refuse with [`Error::Changed`] unless the file still is what was
    /// read (`None`: no check).
    pub expect: Option<Fingerprint>,
}

/// Where a path leads after following symlinks.
enum Target {
    /// `-`.
    Stdout,
    /// A device, FIFO or socket: written into, never replaced.
    Stream(PathBuf),
    /// A regular file, existing or not.
    File(PathBuf),
}

/// Follows symlinks from `path` (at most 40, as the kernel does).
fn resolve(path: &Path) -> Result<Target> {
    if path.as_os_str() == STDOUT {
        return Ok(Target::Stdout);
    }
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p).map_err(|e| Error::io(path, e))?;
                p = match p.parent() {
                    Some(dir) => dir.join(link),
                    None => link,
                };
            }
            Ok(m) if m.is_dir() => {
                return Err(Error::io(
                    path,
                    io::Error::new(io::ErrorKind::IsADirectory, "this is a folder, not a file"),
                ));
            }
            Ok(m) if m.is_file() => return Ok(Target::File(p)),
            Ok(_) => return Ok(Target::Stream(p)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::File(p)),
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    Err(Error::io(
        path,
        io::Error::other("too many levels of symbolic links"),
    ))
}

/// Gives a writer's path-less I/O error the file it was writing.
fn name_error(e: Error, path: &Path) -> Error {
    match e {
        Error::Io { path: p, source } if p.as_os_str().is_empty() => Error::io(path, source),
        other => other,
    }
}

/// Writes `path` as [`write_file_with`] does with default options.
pub fn write_file_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    write_file_with(path, WriteOptions::default(), write).map(|_| ())
}

/// Writes `path` safely (see the module docs): `write` fills the file. On
/// any error (or panic) an existing regular file is left exactly as it
/// was. Returns the [`Fingerprint`] of what was written to a regular file
/// (`None` for a stream).
pub fn write_file_with(
    path: &Path,
    opts: WriteOptions,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<Option<Fingerprint>> {
    match resolve(path)? {
        Target::Stdout => {
            stream(stdout_file()?, path, write)?;
            Ok(None)
        }
        Target::Stream(p) => {
            let file = File::options()
                .write(true)
                .open(&p)
                .map_err(|e| Error::io(path, e))?;
            stream(file, path, write)?;
            Ok(None)
        }
        Target::File(real) => replace(&real, path, opts, write).map(Some),
    }
}

/// Standard output as a file of its own (closing it leaves stdout open).
fn stdout_file() -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::io("standard output", e))?;
        Ok(File::from(fd))
    }
    #[cfg(not(unix))]
    Err(Error::io(
        "standard output",
        io::Error::new(
            io::ErrorKind::Unsupported,
            "writing to standard output with '-' needs Unix",
        ),
    ))
}

/// Writes into a non-regular file as it is.
fn stream(
    file: File,
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(|e| name_error(e, path))?;
    out.flush().map_err(|e| Error::io(path, e))
}

/// Writes a temp file through a buffer and syncs it to disk, so that the
/// rename that follows never publishes half a file; errors name `shown`.
fn write_synced(
    file: File,
    shown: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<File> {
    let mut out = BufWriter::new(file);
    write(&mut out).map_err(|e| name_error(e, shown))?;
    let file = out
        .into_inner()
        .map_err(|e| Error::io(shown, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(shown, e))?;
    Ok(file)
}

/// Tells temp files of concurrent writes in one process apart.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// `.NAME.tmp-`: the start of every temp file name for `NAME`.
fn temp_prefix(file_name: &std::ffi::OsStr) -> OsString {
    let mut s = OsString::from(".");
    s.push(file_name);
    s.push(".tmp-");
    s
}

/// A fresh temp path next to `real`.
fn temp_path(dir: &Path, file_name: &std::ffi::OsStr) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = temp_prefix(file_name);
    name.push(format!("{}-{n}", std::process::id()));
    dir.join(name)
}

/// Removes a temp file or folder unless the write went through, also when
/// the writer panics.
struct TempGuard {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if !self.keep {
            if self.path.is_dir() {
                let _ = fs::remove_dir_all(&self.path);
            } else {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

/// The folder of `path` (`.` for a bare name).
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Refuses to replace a read-only file unless forced.
fn check_writable(meta: Option<&fs::Metadata>, shown: &Path, force: bool) -> Result<()> {
    if !force && meta.is_some_and(|m| m.permissions().readonly()) {
        return Err(Error::io(
            shown,
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the file is read-only, so it was not replaced (make it writable, or force the write)",
            ),
        ));
    }
    Ok(())
}

/// Refuses with [`Error::Changed`] unless `real` still is `expect`.
fn check_unchanged(real: &Path, shown: &Path, expect: Option<Fingerprint>) -> Result<()> {
    let Some(expect) = expect else {
        return Ok(());
    };
    let now = Fingerprint::of_file(real).map_err(|e| Error::io(shown, e))?;
    if now == expect {
        Ok(())
    } else {
        Err(Error::Changed(shown.to_path_buf()))
    }
}

/// The atomic replacement of the regular file `real` (`shown` is the name
/// the user gave, for messages).
fn replace(
    real: &Path,
    shown: &Path,
    opts: WriteOptions,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<Fingerprint> {
    let file_name = real.file_name().ok_or_else(|| {
        Error::io(
            shown,
            io::Error::new(io::ErrorKind::InvalidInput, "not a file name"),
        )
    })?;
    let dir = dir_of(real);
    let meta = fs::metadata(real).ok();
    check_writable(meta.as_ref(), shown, opts.force)?;
    check_unchanged(real, shown, opts.expect)?;
    // Before writing: a full disk may be full of them.
    remove_stale_temps(dir, file_name);

    let tmp = temp_path(dir, file_name);
    let file = File::create(&tmp).map_err(|e| Error::io(shown, e))?;
    let mut guard = TempGuard {
        path: tmp,
        keep: false,
    };
    if let Some(m) = &meta {
        keep_owner_and_mode(&file, m);
    }
    let file = write_synced(file, shown, write)?;
    // Windows cannot rename an open file.
    drop(file);
    let written = Fingerprint::of_file(&guard.path).map_err(|e| Error::io(shown, e))?;
    {
        let _lock = DirLock::new(dir);
        check_unchanged(real, shown, opts.expect)?;
        fs::rename(&guard.path, real).map_err(|e| Error::io(shown, e))?;
        guard.keep = true;
    }
    sync_dir(dir);
    Ok(written)
}

/// Gives the new file the mode and owner of the one it replaces. Best
/// effort: only root may give a file away, and that must not stop a save.
fn keep_owner_and_mode(file: &File, meta: &fs::Metadata) {
    let _ = file.set_permissions(meta.permissions());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
}

/// An exclusive lock of a folder while a check and a rename happen in it
/// (Unix; held until dropped; nothing where folders cannot be opened).
struct DirLock(Option<File>);

impl DirLock {
    fn new(dir: &Path) -> Self {
        let file = File::open(dir).ok().filter(|f| f.lock().is_ok());
        Self(file)
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

/// Whether the process `pid` may still be running (and own its temp
/// files). Without `/proc`, only our own process counts as running, and
/// only temp files older than a day are treated as stale.
fn may_be_running(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.is_dir() {
        return proc.join(pid.to_string()).exists();
    }
    let day = std::time::Duration::from_secs(24 * 3600);
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < day)
}

/// Removes `.NAME.tmp-PID-N` files (and folders) in `dir` whose process is
/// gone: what a killed save left behind.
fn remove_stale_temps(dir: &Path, file_name: &std::ffi::OsStr) {
    let prefix = temp_prefix(file_name);
    let prefix = prefix.to_string_lossy();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(rest) = name.strip_prefix(prefix.as_ref()) else {
            continue;
        };
        let Some((pid, n)) = rest.split_once('-') else {
            continue;
        };
        let (Ok(pid), true) = (pid.parse::<u32>(), n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        let path = entry.path();
        if !may_be_running(pid, &path) {
            let _ = if path.is_dir() {
                fs::remove_dir_all(&path)
            } else {
                fs::remove_file(&path)
            };
        }
    }
}

/// Makes a rename itself durable (Unix; a no-op elsewhere).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// One file of a set: its name in the folder and what fills it.
pub type FileWriter<'a> = (
    String,
    Box<dyn FnOnce(&mut BufWriter<File>) -> Result<()> + 'a>,
);

/// Writes a folder of files that must appear together, such as an export
/// made of several files for one load: `files` (names relative to `dir`,
/// `/` for subfolders) are written and synced into a temp folder beside
/// `dir` (`.NAME.tmp-PID-N`), which then takes `dir`'s place in one
/// rename. An existing `dir` is first checked with `replaceable` (refuse
/// when it holds files that are not the writer's own) and moved aside; if
/// the last rename fails it is put back. So on any failure `dir` is left
/// as it was, and a reader never sees a mix of old and new files. Temp
/// folders that a killed process left beside `dir` are removed.
pub fn write_folder_atomically(
    dir: &Path,
    files: Vec<FileWriter<'_>>,
    replaceable: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    if dir.as_os_str() == STDOUT {
        return Err(Error::invalid(
            "'-' (standard output) takes one file, and this writes a folder of files: give a folder",
        ));
    }
    let name = dir
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{}: not a folder name", dir.display())))?
        .to_owned();
    let parent = dir_of(dir).to_path_buf();
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    if dir.exists() && !dir.is_dir() {
        return Err(Error::io(
            dir,
            io::Error::other("not a folder; give a new or empty folder"),
        ));
    }
    replaceable(dir)?;
    remove_stale_temps(&parent, &name);
    let tmp = TempGuard {
        path: temp_path(&parent, &name),
        keep: false,
    };
    fs::create_dir(&tmp.path).map_err(|e| Error::io(&parent, e))?;
    for (rel, write) in files {
        let shown = dir.join(&rel);
        let path = tmp.path.join(&rel);
        if let Some(p) = path.parent() {
            fs::create_dir_all(p).map_err(|e| Error::io(&shown, e))?;
        }
        let file = File::create(&path).map_err(|e| Error::io(&shown, e))?;
        drop(write_synced(file, &shown, write)?);
    }
    sync_dir(&tmp.path);
    swap_in(&tmp.path, dir, &parent, &name)?;
    sync_dir(&parent);
    Ok(())
}

/// Renames the finished folder `new` into `dir`'s place, moving an
/// existing `dir` aside first and putting it back should the rename fail.
fn swap_in(new: &Path, dir: &Path, parent: &Path, name: &std::ffi::OsStr) -> Result<()> {
    if !dir.exists() {
        return fs::rename(new, dir).map_err(|e| Error::io(dir, e));
    }
    let old = TempGuard {
        path: temp_path(parent, name),
        keep: false,
    };
    fs::rename(dir, &old.path).map_err(|e| Error::io(dir, e))?;
    if let Err(e) = fs::rename(new, dir) {
        // Put the earlier folder back before reporting.
        let _ = fs::rename(&old.path, dir);
        return Err(Error::io(dir, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
