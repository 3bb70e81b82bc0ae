use super::*;
use std::io::Write;

fn unnamed_io(e: io::Error) -> Error {
    Error::io(PathBuf::new(), e)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn put(path: &Path, bytes: &[u8]) -> Result<()> {
    write_file_atomically(path, |w| w.write_all(bytes).map_err(unnamed_io))
}

#[test]
fn atomic_write_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.csv");
    fs::write(&path, b"old").unwrap();
    put(&path, b"new").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(names(dir.path()), ["plan.csv"]);
}

#[test]
fn failed_write_leaves_old_file_and_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.csv");
    let old = b"old contents\nline 2\n".repeat(1000);
    fs::write(&path, &old).unwrap();
    let err = write_file_atomically(&path, |w| {
        w.write_all(&vec![b'x'; 100_000]).map_err(unnamed_io)?;
        Err(unnamed_io(io::Error::other("disk on fire")))
    })
    .unwrap_err();
    // The writer's path-less error names the file.
    assert!(err.to_string().contains("plan.csv"), "{err}");
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), old);
    assert_eq!(names(dir.path()), ["plan.csv"]);
}

#[test]
fn panicking_writer_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.geojson");
    let r = std::panic::catch_unwind(|| {
        let _ = write_file_atomically(&path, |w| {
            w.write_all(b"partial").map_err(unnamed_io)?;
            panic!("bug in writer");
        });
    });
    assert!(r.is_err());
    assert!(names(dir.path()).is_empty());
}

#[test]
fn failed_temp_creation_names_the_file_not_the_temp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("x.csv");
    let err = write_file_atomically(&path, |_| Ok(())).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    let msg = err.to_string();
    assert!(msg.contains("missing/x.csv"), "{msg}");
    assert!(!msg.contains(".tmp-"), "{msg}");
    assert!(!path.exists());
}

#[test]
fn a_folder_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("out.csv");
    fs::create_dir(&sub).unwrap();
    let err = put(&sub, b"x").unwrap_err();
    assert!(err.to_string().contains("folder"), "{err}");
    assert!(sub.is_dir());
}

#[cfg(unix)]
#[test]
fn replaced_file_keeps_permissions_and_owner() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.csv");
    fs::write(&path, b"old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    // Only root may give a file to someone else; as anyone else the owner
    // is ours anyway.
    let other = std::os::unix::fs::chown(&path, Some(4321), Some(4321)).is_ok();
    put(&path, b"new").unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    if other {
        assert_eq!((meta.uid(), meta.gid()), (4321, 4321));
    }
}

#[cfg(unix)]
#[test]
fn read_only_file_is_refused_unless_forced() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.turf");
    fs::write(&path, b"old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let err = put(&path, b"new").unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"old");
    let forced = WriteOptions {
        force: true,
        ..WriteOptions::default()
    };
    write_file_with(&path, forced, |w| w.write_all(b"new").map_err(unnamed_io)).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o444);
    assert_eq!(names(dir.path()), ["plan.turf"]);
}

#[cfg(unix)]
#[test]
fn symlink_is_followed_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("real")).unwrap();
    let target = dir.path().join("real").join("plan.turf");
    fs::write(&target, b"old").unwrap();
    let link = dir.path().join("link.turf");
    // Relative to the link's folder, as `ln -s real/plan.turf` makes it.
    std::os::unix::fs::symlink("real/plan.turf", &link).unwrap();
    put(&link, b"new").unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&target).unwrap(), b"new");
    assert_eq!(names(&dir.path().join("real")), ["plan.turf"]);
    // A link to a file not there yet creates that file.
    let dangling = dir.path().join("later.csv");
    std::os::unix::fs::symlink("real/later.csv", &dangling).unwrap();
    put(&dangling, b"made").unwrap();
    assert!(
        fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read(dir.path().join("real/later.csv")).unwrap(),
        b"made"
    );
}

#[cfg(unix)]
#[test]
fn devices_are_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let null = Path::new("/dev/null");
    put(null, b"discarded").unwrap();
    assert!(fs::metadata(null).unwrap().file_type().is_char_device());
    assert!(
        !names(Path::new("/dev"))
            .iter()
            .any(|n| n.starts_with(".null.tmp"))
    );
}

#[cfg(unix)]
#[test]
fn fifo_is_streamed_into() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read(fifo).unwrap())
    };
    put(&fifo, b"through the pipe").unwrap();
    assert_eq!(reader.join().unwrap(), b"through the pipe");
    assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(names(dir.path()), ["pipe"]);
}

#[test]
fn changed_file_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.turf");
    fs::write(&path, b"as read").unwrap();
    let read = Fingerprint::of_file(&path).unwrap();
    assert_eq!(read, Fingerprint::of_bytes(b"as read"));
    // Same length, so only the content tells.
    fs::write(&path, b"by other").unwrap();
    let opts = WriteOptions {
        expect: Some(read),
        ..WriteOptions::default()
    };
    let err =
        write_file_with(&path, opts, |w| w.write_all(b"mine").map_err(unnamed_io)).unwrap_err();
    assert!(matches!(err, Error::Changed(_)), "{err}");
    assert!(err.to_string().contains("plan.turf"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"by other");
    assert_eq!(names(dir.path()), ["plan.turf"]);
    // Unchanged: written, and the new fingerprint is what was written.
    let now = Fingerprint::of_file(&path).unwrap();
    let opts = WriteOptions {
        expect: Some(now),
        ..WriteOptions::default()
    };
    let written =
        write_file_with(&path, opts, |w| w.write_all(b"mine").map_err(unnamed_io)).unwrap();
    assert_eq!(written, Some(Fingerprint::of_bytes(b"mine")));
    // A file that appeared where none was read is not overwritten either.
    let fresh = dir.path().join("new.turf");
    fs::write(&fresh, b"someone else's").unwrap();
    let opts = WriteOptions {
        expect: Some(Fingerprint::ABSENT),
        ..WriteOptions::default()
    };
    assert!(write_file_with(&fresh, opts, |_| Ok(())).is_err());
}

#[test]
fn fingerprint_of_big_file_matches_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big");
    for len in [0, 5, HASH_CHUNK, 2 * HASH_CHUNK + 7] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &bytes).unwrap();
        assert_eq!(
            Fingerprint::of_file(&path).unwrap(),
            Fingerprint::of_bytes(&bytes)
        );
    }
    assert_ne!(Fingerprint::of_bytes(b"a"), Fingerprint::of_bytes(b"b"));
}

#[test]
fn stale_temps_of_this_file_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.turf");
    // No process has this id (above Linux's largest).
    let stale = ".plan.turf.tmp-999999999-0";
    let live = format!(".plan.turf.tmp-{}-12345", std::process::id());
    let other_plan = ".other.turf.tmp-999999999-0";
    for n in [stale, &live, other_plan, ".plan.turf.tmp-notes"] {
        fs::write(dir.path().join(n), b"partial").unwrap();
    }
    put(&path, b"saved").unwrap();
    let left = names(dir.path());
    assert!(!left.contains(&stale.to_string()), "{left:?}");
    for n in [&live, other_plan, ".plan.turf.tmp-notes", "plan.turf"] {
        assert!(left.contains(&n.to_string()), "{n} removed: {left:?}");
    }
}

fn set_writer<'a>(name: &str, bytes: &'a [u8]) -> FileWriter<'a> {
    (
        name.to_owned(),
        Box::new(move |w: &mut BufWriter<File>| w.write_all(bytes).map_err(unnamed_io)),
    )
}

/// `dir` may be replaced when it holds only `.csv` files (as an export's
/// own check would say).
fn only_csv(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let foreign = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .any(|e| !e.file_name().to_string_lossy().ends_with(".csv"));
    if foreign {
        return Err(Error::invalid(format!(
            "{} holds other files",
            dir.display()
        )));
    }
    Ok(())
}

#[test]
fn folder_appears_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("a.csv"), b"old a").unwrap();
    fs::write(out.join("b.csv"), b"old b").unwrap();
    // The second file fails (a full disk): the folder stays as it was.
    let failing: FileWriter<'_> = (
        "sub/b.csv".into(),
        Box::new(|w: &mut BufWriter<File>| {
            w.write_all(b"half").map_err(unnamed_io)?;
            Err(unnamed_io(io::Error::other("No space left on device")))
        }),
    );
    let files = vec![
        set_writer("a.csv", b"new a"),
        failing,
        set_writer("c.csv", b"c"),
    ];
    let err = write_folder_atomically(&out, files, only_csv).unwrap_err();
    assert!(err.to_string().contains("b.csv"), "{err}");
    assert_eq!(fs::read(out.join("a.csv")).unwrap(), b"old a");
    assert_eq!(names(&out), ["a.csv", "b.csv"]);
    assert_eq!(names(dir.path()), ["out"], "no temp folder left");
    // All written: the new folder, with nothing of the old one left over.
    let files = vec![set_writer("a.csv", b"new a"), set_writer("sub/c.csv", b"c")];
    write_folder_atomically(&out, files, only_csv).unwrap();
    assert_eq!(fs::read(out.join("a.csv")).unwrap(), b"new a");
    assert_eq!(fs::read(out.join("sub/c.csv")).unwrap(), b"c");
    assert_eq!(names(&out), ["a.csv", "sub"]);
    assert_eq!(names(dir.path()), ["out"], "the old folder is gone");
}

#[test]
fn folder_with_foreign_files_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.txt"), b"mine").unwrap();
    let err = write_folder_atomically(&out, vec![set_writer("a.csv", b"a")], only_csv).unwrap_err();
    assert!(err.to_string().contains("other files"), "{err}");
    assert_eq!(names(&out), ["notes.txt"]);
    assert_eq!(names(dir.path()), ["out"]);
    // A file where the folder should be is refused too.
    let file = dir.path().join("file");
    fs::write(&file, b"x").unwrap();
    assert!(write_folder_atomically(&file, vec![set_writer("a.csv", b"a")], only_csv).is_err());
    assert_eq!(fs::read(&file).unwrap(), b"x");
}

#[test]
fn folder_swap_failure_puts_the_old_folder_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("a.csv"), b"old").unwrap();
    // The finished folder vanished: the rename into place fails.
    let gone = dir.path().join("gone");
    assert!(swap_in(&gone, &out, dir.path(), std::ffi::OsStr::new("out")).is_err());
    assert_eq!(fs::read(out.join("a.csv")).unwrap(), b"old");
    assert_eq!(names(dir.path()), ["out"]);
}

#[test]
fn stale_temp_folders_of_a_killed_export_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // What a process killed mid-export left: its pid is no longer running.
    let stale = dir.path().join(".out.tmp-999999999-0");
    fs::create_dir(&stale).unwrap();
    fs::write(stale.join("a.csv"), b"half").unwrap();
    write_folder_atomically(&out, vec![set_writer("a.csv", b"a")], only_csv).unwrap();
    assert_eq!(names(dir.path()), ["out"]);
}
