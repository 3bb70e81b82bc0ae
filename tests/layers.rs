//! The layering rule, checked on the source: `src/core` uses nothing from
//! the window or the command line (no `crate::app`, `crate::cli`, egui,
//! eframe, walkers or rfd), and `src/cli` never reaches into the window.
//! One crate cannot make the compiler refuse such an import, so this test
//! does.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted so failures list in a stable order.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).expect("read a source folder") {
            let path = entry.expect("read a folder entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `file:line: text` for every code line (comments stripped) under `dir`
/// that contains one of `forbidden`.
fn offending_lines(dir: &Path, forbidden: &[&str]) -> (usize, Vec<String>) {
    let files = rust_files(dir);
    let mut hits = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if forbidden.iter().any(|f| code.contains(f)) {
                hits.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    (files.len(), hits)
}

fn src(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(sub)
}

#[test]
fn core_uses_nothing_from_app_cli_or_gui_crates() {
    let forbidden = [
        "crate::app",
        "crate::cli",
        "super::app",
        "super::cli",
        "egui::",
        "eframe::",
        "walkers::",
        "rfd::",
        "use egui",
        "use eframe",
        "use walkers",
        "use rfd",
    ];
    let (files, hits) = offending_lines(&src("core"), &forbidden);
    assert!(
        files > 20,
        "expected the core's source files, found {files}"
    );
    assert!(
        hits.is_empty(),
        "src/core must not use the window or the CLI:\n{}",
        hits.join("\n")
    );
}

#[test]
fn cli_never_reaches_into_the_window() {
    let forbidden = [
        "crate::app",
        "super::app",
        "egui::",
        "eframe::",
        "use egui",
        "use eframe",
    ];
    let (files, hits) = offending_lines(&src("cli"), &forbidden);
    assert!(files > 5, "expected the CLI's source files, found {files}");
    assert!(
        hits.is_empty(),
        "src/cli must not use the window:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_check_sees_a_forbidden_import() {
    // The scanner itself: a line it must flag and a comment it must not.
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(
        dir.path().join("bad.rs"),
        "// crate::app in a comment is fine\nuse crate::app::TurfmapApp;\n",
    )
    .expect("write the sample file");
    let (files, hits) = offending_lines(dir.path(), &["crate::app"]);
    assert_eq!(files, 1);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(
        hits[0].ends_with(":2: use crate::app::TurfmapApp;"),
        "{hits:?}"
    );
}

/// The methods of every `impl TurfmapApp` block under src/app, as
/// `file: name`. A method is a line indented once that starts a `fn`.
fn app_methods() -> Vec<String> {
    let mut out = Vec::new();
    for file in rust_files(&src("app")) {
        let text = fs::read_to_string(&file).expect("read a source file");
        let mut inside = false;
        for line in text.lines() {
            let head = line.trim_end();
            if head.starts_with("impl") && head.ends_with("TurfmapApp {") {
                inside = true;
            } else if inside && line.starts_with('}') {
                inside = false;
            } else if inside {
                let rest = line.strip_prefix("    ").unwrap_or("");
                let rest = rest
                    .strip_prefix("pub(crate) ")
                    .or_else(|| rest.strip_prefix("pub(super) "))
                    .or_else(|| rest.strip_prefix("pub "))
                    .unwrap_or(rest);
                if let Some(name) = rest.strip_prefix("fn ") {
                    let name = name.split(['(', '<']).next().unwrap_or(name);
                    out.push(format!("{}: {name}", file.display()));
                }
            }
        }
    }
    out
}

/// The window's app struct keeps only orchestration (the frame, applying
/// commands, jobs, file operations, autosave); dialogs and windows are
/// panels under src/app/panels that own their state and return commands.
/// A new feature adds a panel, not methods here.
#[test]
fn the_app_keeps_only_orchestration() {
    const LIMIT: usize = 54;
    let methods = app_methods();
    assert!(
        methods.len() > 10,
        "expected to find TurfmapApp's methods, found {}",
        methods.len()
    );
    assert!(
        methods.len() <= LIMIT,
        "impl TurfmapApp has {} methods (limit {LIMIT}); put dialog and window state and \
         drawing in a panel under src/app/panels that returns commands:\n{}",
        methods.len(),
        methods.join("\n")
    );
}
