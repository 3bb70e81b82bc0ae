//! The layering rule, checked on the source: `src/core` uses nothing from
//! the window or the command line (no `crate::app`, `crate::cli`, egui,
//! eframe, walkers or rfd), and `src/cli` never reaches into the window.
//! One crate cannot make the compiler refuse such an import, so this test
//! does.

use std::collections::{BTreeMap, BTreeSet};
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

// ---------------------------------------------------------------------------
// No import cycles between the core's modules.
//
// Nodes are the modules of a folder (a file `x.rs` or a folder `x/`); an
// edge X → Y is any path from a file of X that names Y: `crate::core::Y`,
// `super::Y` (resolved from the file's place), in `use` lines and inline,
// groups `{Y, Z::…}` included, and items the folder's `mod.rs` re-exports
// from Y. Comments, strings and `#[cfg(test)]` items are left out. A module
// then only uses modules below it, which is what README's layer picture
// shows.

/// Edges of a module graph: X → (Y → where X first names Y).
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The code of a Rust file without comments, string and char literals (kept
/// as empty `""` so lines stay put).
fn strip_comments_and_strings(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                out.extend((b[i] == '\n').then_some('\n'));
                i += 1;
            }
            i += 2;
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && !ident_char(b.get(i.wrapping_sub(1)))
        {
            // Raw string r"…" / r#"…"#.
            let mut j = i + 1;
            while b.get(j) == Some(&'#') {
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            j += 1;
            while j < b.len() && !(b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#')))
            {
                out.extend((b[j] == '\n').then_some('\n'));
                j += 1;
            }
            out.push_str("\"\"");
            i = j + 1 + hashes;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                out.extend((b[i] == '\n').then_some('\n'));
                i += if b[i] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i += 1;
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{..}'
            let mut j = i + 2;
            while j < b.len() && b[j] != '\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else if c == '\'' && b.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// `code` without its `#[cfg(test)]` items, and the names of test modules
/// declared as `#[cfg(test)] mod name;` (their files are left out too).
fn strip_test_items(code: &str) -> (String, Vec<String>) {
    const ATTR: &str = "#[cfg(test)]";
    let mut code = code.to_owned();
    let mut test_mods = Vec::new();
    while let Some(start) = code.find(ATTR) {
        let rest = &code[start + ATTR.len()..];
        let item = rest.trim_start();
        let item_at = start + ATTR.len() + (rest.len() - item.len());
        let is_use = item.starts_with("use ") || item.starts_with("pub use ");
        let semi = item.find(';');
        let brace = item.find('{');
        let end = match (semi, brace) {
            (Some(s), Some(b)) if is_use || s < b => item_at + s + 1,
            (Some(s), None) => item_at + s + 1,
            (_, Some(b)) => {
                let mut depth = 0;
                let mut end = code.len();
                for (k, ch) in code[item_at + b..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = item_at + b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, None) => code.len(),
        };
        let text = &code[item_at..end];
        if text.ends_with(';')
            && let Some(name) = text
                .trim_end_matches(';')
                .split_whitespace()
                .skip_while(|w| *w != "mod")
                .nth(1)
        {
            test_mods.push(name.to_owned());
        }
        // Keep the line count so reported lines stay true.
        let lines = "\n".repeat(code[start..end].matches('\n').count());
        code.replace_range(start..end, &lines);
    }
    (code, test_mods)
}

/// Every path in `code` that starts at `crate`, `super` or `self`, as its
/// segments up to and including the first name after the fixed part; a
/// group `{a, b::c}` gives one path per member. With the line it is on.
fn paths(code: &str) -> Vec<(Vec<String>, usize)> {
    let tokens = tokenize(code);
    let mut out = Vec::new();
    let mut k = 0;
    while k < tokens.len() {
        let (t, line) = (&tokens[k].0, tokens[k].1);
        let starts = matches!(t.as_str(), "crate" | "super" | "self")
            && (k == 0 || tokens[k - 1].0 != "::")
            && tokens.get(k + 1).is_some_and(|n| n.0 == "::");
        if !starts {
            k += 1;
            continue;
        }
        let mut prefix = vec![t.clone()];
        let mut j = k + 1;
        while tokens.get(j).is_some_and(|n| n.0 == "::") {
            match tokens.get(j + 1).map(|n| n.0.as_str()) {
                Some("{") => {
                    for member in group_heads(&tokens, j + 1) {
                        let mut p = prefix.clone();
                        p.push(member);
                        out.push((p, line));
                    }
                    break;
                }
                Some(name) if ident_char(name.chars().next().as_ref()) => {
                    prefix.push(name.to_owned());
                    j += 2;
                }
                _ => break,
            }
        }
        if prefix.len() > 1 {
            out.push((prefix, line));
        }
        k = j.max(k + 1);
    }
    out
}

/// The first names of the members of the group opening at `tokens[open]`
/// (with their own paths: `b::c` gives `b`, then `b::c` is not needed as
/// only the first name below the folder counts).
fn group_heads(tokens: &[(String, usize)], open: usize) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = true;
    for (t, _) in &tokens[open..] {
        match t.as_str() {
            "{" => {
                depth += 1;
                expect_head = depth == 1;
            }
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => expect_head = true,
            name if expect_head && depth == 1 => {
                heads.push(name.to_owned());
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

/// Identifiers, `::` and single punctuation characters, with line numbers.
fn tokenize(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((chars[start..i].iter().collect(), line));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(("::".to_owned(), line));
            i += 2;
        } else {
            out.push((c.to_string(), line));
            i += 1;
        }
    }
    out
}

/// The module path of a file below `root` (a folder whose module path is
/// `base`): `x.rs` and `x/mod.rs` are `base::x`, `x/a.rs` is `base::x::a`.
fn module_path(root: &Path, base: &[&str], file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).expect("a file below the root");
    let mut path: Vec<String> = base.iter().map(|s| s.to_string()).collect();
    for part in rel.iter() {
        let part = part.to_string_lossy();
        let name = part.strip_suffix(".rs").unwrap_or(&part);
        if name != "mod" {
            path.push(name.to_owned());
        }
    }
    path
}

/// Resolves `path` (starting at `crate`, `super` or `self`) as written in
/// the module at `here` (`file_is_mod`: a `mod.rs`, whose `super` is one
/// step up from the folder, like any file's).
fn absolute(path: &[String], here: &[String]) -> Vec<String> {
    let mut at: Vec<String> = here.to_vec();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            at.clear();
            rest = &path[1..];
        }
        Some("self") => rest = &path[1..],
        _ => {
            while rest.first().is_some_and(|s| s == "super") {
                at.pop();
                rest = &rest[1..];
            }
        }
    }
    at.extend(rest.iter().cloned());
    at
}

/// The modules of the folder `dir` (module path `base`, e.g. `["core"]`)
/// and the edges between them. Items re-exported by the folder's `mod.rs`
/// count as the module they come from.
fn module_graph(dir: &Path, base: &[&str]) -> Graph {
    let mut nodes = BTreeSet::new();
    for entry in fs::read_dir(dir).expect("read a source folder") {
        let path = entry.expect("read a folder entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if path.is_dir() {
            nodes.insert(name);
        } else if let Some(stem) = name.strip_suffix(".rs")
            && stem != "mod"
        {
            nodes.insert(stem.to_owned());
        }
    }
    let reexports = reexports(dir, base, &nodes);
    let mut graph: Graph = nodes.iter().map(|n| (n.clone(), BTreeMap::new())).collect();
    let mut test_files = BTreeSet::new();
    let mut files = rust_files(dir);
    // Parents first, so a file's `#[cfg(test)] mod tests;` is seen before it.
    files.sort_by_key(|f| f.components().count());
    for file in files {
        let here = module_path(dir, base, &file);
        let Some(node) = here.get(base.len()).cloned() else {
            continue; // the folder's own mod.rs
        };
        if test_files.contains(&here) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("read a source file");
        let (code, test_mods) = strip_test_items(&strip_comments_and_strings(&text));
        for m in test_mods {
            let mut p = here.clone();
            p.push(m);
            test_files.insert(p);
        }
        for (path, line) in paths(&code) {
            let abs = absolute(&path, &here);
            if abs.len() <= base.len() || abs[..base.len()] != *base {
                continue;
            }
            let name = &abs[base.len()];
            let target = if nodes.contains(name) {
                name
            } else if let Some(t) = reexports.get(name) {
                t
            } else {
                continue;
            };
            if *target != node {
                graph
                    .entry(node.clone())
                    .or_default()
                    .entry(target.clone())
                    .or_insert_with(|| format!("{}:{line}", shown(&file).display()));
            }
        }
    }
    graph
}

/// `file` relative to the crate, as failures show it.
fn shown(file: &Path) -> &Path {
    file.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(file)
}

/// Names the folder's `mod.rs` re-exports (`pub use x::{A, B}`), mapped to
/// the module `x` they come from.
fn reexports(dir: &Path, base: &[&str], nodes: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    // The folder's parent file: `x/mod.rs`, or `x.rs` beside the folder.
    let parent = Some(dir.join("mod.rs"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| dir.with_extension("rs"));
    let Ok(text) = fs::read_to_string(parent) else {
        return out;
    };
    let code = strip_comments_and_strings(&text);
    for stmt in code.split(';') {
        let Some(body) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let tokens = tokenize(body);
        let names: Vec<&str> = tokens.iter().map(|t| t.0.as_str()).collect();
        // `x::…`, `self::x::…`, `crate::core::x::…`
        let first = names
            .iter()
            .filter(|n| ident_char(n.chars().next().as_ref()))
            .filter(|n| !matches!(**n, "self" | "crate") && !base.contains(n))
            .copied()
            .next();
        let Some(module) = first.filter(|m| nodes.contains(*m)) else {
            continue;
        };
        for n in names {
            if ident_char(n.chars().next().as_ref()) && !nodes.contains(n) && n != "as" {
                out.entry(n.to_owned()).or_insert_with(|| module.to_owned());
            }
        }
    }
    out
}

/// The strongly connected components of more than one module (each a
/// cycle of imports), by Tarjan's algorithm; sorted, each sorted.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flat_map(|e| e.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    comp.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out.sort();
    t.out
}

/// Each cycle as its modules and the edges that close it (with where).
fn describe(graph: &Graph, cycles: &[Vec<String>]) -> String {
    let mut s = String::new();
    for c in cycles {
        s += &format!("cycle of {} modules: {}\n", c.len(), c.join(", "));
        for a in c {
            for (b, at) in &graph[a] {
                if c.contains(b) {
                    s += &format!("  {a} -> {b}  ({at})\n");
                }
            }
        }
    }
    s
}

/// The core's modules, and the modules inside each of its folders, only
/// use modules below them: no import cycle at either level.
#[test]
fn core_modules_form_no_import_cycle() {
    let core = src("core");
    let graph = module_graph(&core, &["core"]);
    let edges: usize = graph.values().map(BTreeMap::len).sum();
    assert!(
        graph.len() > 40 && edges > 100,
        "expected the core's modules and their imports, found {} modules, {edges} edges",
        graph.len()
    );
    let mut report = describe(&graph, &cycles(&graph));
    let mut folders = 0;
    let mut todo = vec![core.clone()];
    while let Some(parent) = todo.pop() {
        for entry in fs::read_dir(&parent).expect("read a source folder") {
            let dir = entry.expect("read a folder entry").path();
            if !dir.is_dir() {
                continue;
            }
            todo.push(dir.clone());
            folders += 1;
            let rel = dir.strip_prefix(&core).expect("a folder of src/core");
            let names: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let mut base = vec!["core"];
            base.extend(names.iter().map(String::as_str));
            let graph = module_graph(&dir, &base);
            let found = cycles(&graph);
            if !found.is_empty() {
                report += &format!(
                    "inside src/core/{}:\n{}",
                    rel.display(),
                    describe(&graph, &found)
                );
            }
        }
    }
    assert!(
        folders >= 5,
        "expected the core's folders (import, edit, engine …)"
    );
    assert!(report.is_empty(), "src/core has import cycles:\n{report}");
}

#[test]
fn the_cycle_finder_sees_a_planted_cycle() {
    let edge = |from: &str, to: &[&str]| {
        let to = to.iter().map(|t| (t.to_string(), String::new())).collect();
        (from.to_owned(), to)
    };
    let graph: Graph = [
        edge("a", &["b"]),
        edge("b", &["c"]),
        edge("c", &["a", "d"]),
        edge("d", &[]),
        edge("e", &["f", "d"]),
        edge("f", &["e"]),
        edge("g", &["a"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"], vec!["e", "f"]]);
}

#[test]
fn the_module_scan_sees_planted_imports() {
    // A small core: a ↔ b through `super::` and an inline `crate::core::`
    // path, a group and a re-export; c's mentions are only in a comment, a
    // string and test code, so c uses nothing.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("core");
    fs::create_dir_all(root.join("b")).expect("make a folder");
    let write = |rel: &str, text: &str| fs::write(root.join(rel), text).expect("write a file");
    write(
        "mod.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub use b::{Thing, other as Renamed};\n",
    );
    write(
        "a.rs",
        "use super::{c, Thing};\npub fn f() { crate::core::d::g() }\n",
    );
    write("b/mod.rs", "mod inner;\n");
    write(
        "b/inner.rs",
        "pub fn h() -> u8 { super::super::a::f(); 1 }\n",
    );
    write(
        "c.rs",
        "// use super::a;\nconst S: &str = \"crate::core::a\";\n\
         #[cfg(test)]\nmod tests {\n    use super::super::b;\n}\n\
         #[cfg(test)]\nmod more;\n",
    );
    fs::create_dir_all(root.join("c")).expect("make a folder");
    write("c/more.rs", "use crate::core::a;\n");
    write("d.rs", "pub fn g() {}\n");
    let graph = module_graph(&root, &["core"]);
    let targets = |n: &str| graph[n].keys().cloned().collect::<Vec<_>>();
    assert_eq!(targets("a"), ["b", "c", "d"]);
    assert_eq!(targets("b"), ["a"]);
    assert!(targets("c").is_empty(), "{graph:?}");
    assert_eq!(cycles(&graph), vec![vec!["a", "b"]]);
    assert!(graph["b"]["a"].ends_with("inner.rs:1"), "{graph:?}");
}
