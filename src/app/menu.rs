//! Keyboard shortcuts, and where the menu bar and status bar panels are
//! drawn and their commands applied.

use egui::{Key, KeyboardShortcut, Ui};

use super::panels::StatusBar;
use super::panels::menu_bar::{
    FIND, MenuBar, MenuContext, MenuView, NEW, OPEN, QUIT, REDO, REDO_Y, SAVE, SAVE_AS, UNDO,
};
use super::{Action, TurfmapApp};

impl TurfmapApp {
    pub(crate) fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        // Shift variants first: consume_shortcut ignores extra Shift.
        let pressed = |s: &KeyboardShortcut| ctx.input_mut(|i| i.consume_shortcut(s));
        if pressed(&SAVE_AS) {
            self.save_as(None);
        } else if pressed(&SAVE) {
            self.save(None);
        } else if pressed(&OPEN) {
            self.request(Action::OpenDialog);
        } else if pressed(&NEW) {
            self.request(Action::NewPlan);
        } else if pressed(&QUIT) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else if pressed(&FIND) {
            self.open_search();
        }
        // A text field being edited has its own undo.
        if !ctx.egui_wants_keyboard_input() {
            if pressed(&REDO) || pressed(&REDO_Y) {
                self.redo();
            } else if pressed(&UNDO) {
                self.undo();
            } else if ctx.input(|i| i.key_pressed(Key::Escape)) {
                self.selection = Default::default();
            }
        }
    }

    /// The menu bar panel; its commands are applied at once.
    pub(crate) fn menu_bar(&mut self, ui: &mut Ui) {
        let cx = MenuContext {
            ws: &self.ws,
            selection: &self.selection,
            dark: self.dark,
            units: self.settings.units,
            online_tiles: self.settings.online_tiles,
        };
        let view = MenuView {
            style: &mut self.style,
            tiles: &mut self.settings.tiles,
            recent: &mut self.recent,
        };
        let commands = MenuBar.ui(ui, &cx, view);
        self.apply_commands(commands);
    }

    /// The status bar panel.
    pub(crate) fn status_bar(&mut self, ui: &mut Ui) {
        let notice = self.notice.as_deref();
        let commands = StatusBar.ui(ui, &self.ws, &self.metrics, notice);
        self.apply_commands(commands);
    }
}
