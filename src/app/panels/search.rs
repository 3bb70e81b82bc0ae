//! Find (Ctrl+F): accounts by id or name and territories by name, as the
//! user types; arrows move through the results, Enter (or a click)
//! selects and zooms, Esc closes.
//!
//! The account index ([`SearchIndex`]) is built on a worker thread once per
//! plan revision, and each query runs on a worker thread too, so typing
//! never waits on a million accounts; a result that arrives for an older
//! query is dropped. Territories are few and searched at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use egui::{Key, Modifiers, RichText, ScrollArea, TextEdit, Ui};

use crate::app::command::Command;
use crate::app::fmt;
use crate::core::model::Accounts;
use crate::core::search::{Hit, SearchIndex, find_territories};
use crate::core::{TerritoryId, Workspace};

/// Accounts listed at most (the total is shown; typing more narrows).
const MAX_ACCOUNTS: usize = 200;

/// What the index was built from: plan generation and revision.
type IndexKey = (u64, u64);

/// The account columns an index was folded from, watched (not held), so
/// an edit that leaves ids, names and removals alone keeps the index.
struct Source {
    ids: Weak<Vec<String>>,
    names: Weak<Vec<String>>,
    removed: Vec<bool>,
}

impl Source {
    fn of(a: &Accounts) -> Self {
        Self {
            ids: a.ids.watch(),
            names: a.names.watch(),
            removed: a.removed.clone(),
        }
    }

    /// True when `a`'s ids, names and removals are still these.
    fn matches(&self, a: &Accounts) -> bool {
        a.ids.is_watched_by(&self.ids)
            && a.names.is_watched_by(&self.names)
            && a.removed == self.removed
    }
}

/// A query running on a worker thread: its text, where the result
/// (accounts, total matches) arrives, and the flag that stops it.
type Running = (String, Receiver<(Vec<usize>, usize)>, Arc<AtomicBool>);

/// The Find window's state.
#[derive(Default)]
pub struct SearchPanel {
    /// Whether the window is shown.
    pub open: bool,
    query: String,
    /// Give the text field the keyboard on the next frame.
    focus: bool,
    index: Option<(IndexKey, Arc<SearchIndex>)>,
    /// What `index` was folded from.
    source: Option<Source>,
    /// Index builds started (tests: an edit that leaves ids and names
    /// alone must not start one).
    builds: usize,
    building: Option<(IndexKey, Receiver<SearchIndex>, Source)>,
    running: Option<Running>,
    /// The query `accounts` and `total` answer.
    answered: Option<String>,
    accounts: Vec<usize>,
    total: usize,
    territories: Vec<TerritoryId>,
    /// The highlighted result (territories first, then accounts).
    cursor: usize,
    /// The cursor moved by key: bring it into view once.
    scroll_to_cursor: bool,
}

impl SearchPanel {
    /// Opens the window with the keyboard in its text field.
    pub fn show(&mut self) {
        self.open = true;
        self.focus = true;
    }

    /// The text being searched for.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The results in the order listed: territories, then accounts.
    pub fn hits(&self) -> Vec<Hit> {
        self.territories
            .iter()
            .map(|&t| Hit::Territory(t))
            .chain(self.accounts.iter().map(|&i| Hit::Account(i)))
            .collect()
    }

    /// How many times the account index was built.
    pub fn index_builds(&self) -> usize {
        self.builds
    }

    /// True while the index or a query is still being worked on.
    pub fn is_busy(&self) -> bool {
        self.building.is_some() || self.running.is_some()
    }

    /// Starts whatever the current query needs (index build, query run)
    /// and collects finished work; with `wait`, blocks up to `wait` for it.
    pub fn step(
        &mut self,
        ctx: &egui::Context,
        ws: &Workspace,
        key: IndexKey,
        wait: Option<Duration>,
    ) {
        let deadline = wait.map(|w| Instant::now() + w);
        loop {
            self.collect(deadline);
            // One build at a time: edits in a row (a brush stroke) rebuild
            // once the build under way is done, not once per edit.
            if self.index.as_ref().is_none_or(|(k, _)| *k != key) && self.building.is_none() {
                self.reuse_or_build(ctx, ws, key);
            }
            if let Some((_, index)) = &self.index
                && self.answered.as_deref() != Some(self.query.as_str())
                && self
                    .running
                    .as_ref()
                    .is_none_or(|(q, _, _)| *q != self.query)
            {
                let index = Arc::clone(index);
                self.territories = find_territories(ws.project(), &self.query);
                self.start_query(ctx, index);
            }
            let more = self.is_busy();
            match deadline {
                Some(d) if more && Instant::now() < d => continue,
                _ => break,
            }
        }
    }

    /// Keeps the index when the edits since left ids, names and removals
    /// alone (drawing, pins, moves: most edits); else folds them again.
    fn reuse_or_build(&mut self, ctx: &egui::Context, ws: &Workspace, key: IndexKey) {
        let a = &ws.project().accounts;
        if let Some((k, _)) = &mut self.index
            && self.source.as_ref().is_some_and(|s| s.matches(a))
        {
            *k = key;
            return;
        }
        self.start_build(ctx, ws, key);
    }

    fn start_build(&mut self, ctx: &egui::Context, ws: &Workspace, key: IndexKey) {
        let a = &ws.project().accounts;
        let source = Source::of(a);
        self.builds += 1;
        let (ids, names, removed) = (a.ids.clone(), a.names.clone(), a.removed.clone());
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(SearchIndex::from_columns(&ids, &names, &removed));
            ctx.request_repaint();
        });
        self.building = Some((key, rx, source));
    }

    fn start_query(&mut self, ctx: &egui::Context, index: Arc<SearchIndex>) {
        // The previous query is answered for text no longer typed: stop it.
        if let Some((_, _, stop)) = self.running.take() {
            stop.store(true, Ordering::Relaxed);
        }
        let query = self.query.clone();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let q = query.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::spawn(move || {
            if let Some(found) = index.find_unless(&q, MAX_ACCOUNTS, &stopped) {
                let _ = tx.send(found);
                ctx.request_repaint();
            }
        });
        self.running = Some((query, rx, stop));
    }

    /// Takes finished work; waits until `deadline` for one piece of it.
    fn collect(&mut self, deadline: Option<Instant>) {
        let wait = deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
            .filter(|d| !d.is_zero());
        if let Some((key, rx, _)) = &self.building {
            let got = match wait {
                Some(w) => rx.recv_timeout(w).ok(),
                None => rx.try_recv().ok(),
            };
            if let Some(index) = got {
                self.index = Some((*key, Arc::new(index)));
                self.source = self.building.take().map(|(_, _, s)| s);
                // The old answers may name removed accounts: ask again.
                self.answered = None;
            }
            return;
        }
        if let Some((query, rx, _)) = &self.running {
            let got = match wait {
                Some(w) => rx.recv_timeout(w).ok(),
                None => rx.try_recv().ok(),
            };
            if let Some((accounts, total)) = got {
                if *query == self.query {
                    self.accounts = accounts;
                    self.total = total;
                    self.answered = Some(query.clone());
                    self.cursor = self.cursor.min(self.hits().len().saturating_sub(1));
                }
                self.running = None;
            }
        }
    }

    /// Draws the window (when open) and returns what the user asked for.
    pub fn ui(&mut self, ctx: &egui::Context, ws: &Workspace, key: IndexKey) -> Vec<Command> {
        let mut out = Vec::new();
        if !self.open {
            return out;
        }
        self.step(ctx, ws, key, None);
        if self.is_busy() {
            ctx.request_repaint_after(Duration::from_millis(30));
        }
        let mut open = true;
        egui::Window::new("Find")
            .open(&mut open)
            .default_size([460.0, 420.0])
            .resizable(true)
            .show(ctx, |ui| self.contents(ui, ws, &mut out));
        self.open &= open;
        out
    }

    fn contents(&mut self, ui: &mut Ui, ws: &Workspace, out: &mut Vec<Command>) {
        let n = self.hits().len();
        // The keys are the Find window's only while its field has the
        // keyboard: elsewhere arrows pan the map and Enter finishes tools.
        let edit_id = ui.make_persistent_id("find_query");
        let focused = ui.memory(|m| m.has_focus(edit_id));
        let (down, up) = if focused {
            ui.input_mut(|i| {
                (
                    i.consume_key(Modifiers::NONE, Key::ArrowDown),
                    i.consume_key(Modifiers::NONE, Key::ArrowUp),
                )
            })
        } else {
            (false, false)
        };
        let (enter, esc) = ui.input(|i| (i.key_pressed(Key::Enter), i.key_pressed(Key::Escape)));
        if down && n > 0 {
            self.cursor = (self.cursor + 1).min(n - 1);
        }
        if up {
            self.cursor = self.cursor.saturating_sub(1);
        }
        self.scroll_to_cursor |= up || down;
        let label = ui.label("Find:");
        let edit = ui
            .add(
                TextEdit::singleline(&mut self.query)
                    .id(edit_id)
                    .hint_text("account id or name, territory name")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if std::mem::take(&mut self.focus) {
            edit.request_focus();
        }
        if edit.changed() {
            self.territories = find_territories(ws.project(), &self.query);
            self.cursor = 0;
        }
        // egui takes the keyboard from a field on Escape before we see it.
        if esc && (focused || edit.lost_focus()) {
            self.open = false;
            return;
        }
        let enter = enter && (edit.has_focus() || edit.lost_focus());
        if enter && let Some(hit) = self.hits().get(self.cursor) {
            pick(*hit, out);
            edit.request_focus();
        }
        self.summary(ui);
        self.results(ui, ws, out);
    }

    fn summary(&self, ui: &mut Ui) {
        if self.query.trim().is_empty() {
            return;
        }
        let weak = ui.visuals().weak_text_color();
        let text = if self.answered.as_deref() != Some(self.query.as_str()) {
            "Searching…".to_owned()
        } else {
            let more = if self.total > self.accounts.len() {
                format!(
                    " (first {} shown; type more to narrow)",
                    self.accounts.len()
                )
            } else {
                String::new()
            };
            format!(
                "{} territor{}, {} account{}{more}",
                self.territories.len(),
                if self.territories.len() == 1 {
                    "y"
                } else {
                    "ies"
                },
                fmt::count(self.total as u64),
                if self.total == 1 { "" } else { "s" },
            )
        };
        ui.label(RichText::new(text).small().color(weak));
    }

    fn results(&mut self, ui: &mut Ui, ws: &Workspace, out: &mut Vec<Command>) {
        let hits = self.hits();
        let p = ws.project();
        let engine = ws.engine();
        let a = &p.accounts;
        let height =
            ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y + 4.0;
        ScrollArea::vertical()
            .id_salt("find_results")
            .auto_shrink([false, false])
            .show_rows(ui, height, hits.len(), |ui, range| {
                for k in range {
                    let hit = hits[k];
                    let (text, detail) = match hit {
                        Hit::Territory(id) => (
                            p.territory(id).map_or("?".to_owned(), |t| t.name.clone()),
                            "territory".to_owned(),
                        ),
                        Hit::Account(i) if i < a.len() => (
                            format!("{} · {}", a.ids[i], a.names[i]),
                            engine
                                .territory_of(i)
                                .and_then(|t| p.territory(t))
                                .map_or("unassigned".to_owned(), |t| t.name.clone()),
                        ),
                        Hit::Account(_) => continue,
                    };
                    ui.horizontal(|ui| {
                        let r = ui.selectable_label(k == self.cursor, text);
                        if k == self.cursor && std::mem::take(&mut self.scroll_to_cursor) {
                            r.scroll_to_me(None);
                        }
                        if r.clicked() {
                            self.cursor = k;
                            pick(hit, out);
                        }
                        ui.label(
                            RichText::new(detail)
                                .small()
                                .color(ui.visuals().weak_text_color()),
                        );
                    });
                }
            });
    }
}

/// Selects and frames a result.
fn pick(hit: Hit, out: &mut Vec<Command>) {
    match hit {
        Hit::Territory(id) => out.push(Command::SelectTerritory { id, zoom: true }),
        Hit::Account(i) => {
            out.push(Command::SelectAccount(i));
            out.push(Command::ZoomToAccount(i));
        }
    }
}
