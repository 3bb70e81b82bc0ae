//! Small form-row widgets shared by the app's windows: a labelled text
//! field, a name field with its "Add" button, a pick-one combo box and the
//! problem line under a form. Each field is labelled for screen readers
//! (and so for the UI tests, which find widgets by their accessible names).

use egui::{Button, ComboBox, Id, IntoAtoms, Response, RichText, Ui};

/// A one-line text field of `width` points with a `hint`, named by the
/// widget `label` (for a label drawn elsewhere, e.g. in a grid's first
/// column).
pub(crate) fn text_field(
    ui: &mut Ui,
    label: Id,
    text: &mut String,
    hint: &str,
    width: f32,
) -> Response {
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    )
    .labelled_by(label)
}

/// `label` then a one-line text field named by it.
pub(crate) fn labelled_text(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
) -> Response {
    let l = ui.label(label);
    text_field(ui, l.id, text, hint, width)
}

/// A row of `label`, a name field and a `button` enabled once a name is
/// typed: true when the button was clicked.
pub(crate) fn name_and_button(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
    hint: &str,
    width: f32,
    button: &str,
) -> bool {
    ui.horizontal(|ui| {
        labelled_text(ui, label, text, hint, width);
        enabled_button(ui, !text.trim().is_empty(), button)
    })
    .inner
}

/// A button that can be clicked only when `enabled`: true when it was.
pub(crate) fn enabled_button(ui: &mut Ui, enabled: bool, text: &str) -> bool {
    ui.add_enabled(enabled, Button::new(text)).clicked()
}

/// `combo` listing `items`, the one equal to `current` marked: the item
/// clicked (even when it is the current one) and the combo's response.
pub(crate) fn pick<'a, T: Copy + PartialEq>(
    ui: &mut Ui,
    combo: ComboBox,
    current: T,
    items: impl IntoIterator<Item = (T, impl IntoAtoms<'a>)>,
) -> (Option<T>, Response) {
    let mut picked = None;
    let response = combo
        .show_ui(ui, |ui| {
            for (item, text) in items {
                if ui.selectable_label(item == current, text).clicked() {
                    picked = Some(item);
                }
            }
        })
        .response;
    (picked, response)
}

/// What is wrong with a form's input, in the error colour.
pub(crate) fn problem(ui: &mut Ui, message: &str) -> Response {
    ui.label(RichText::new(format!("Problem: {message}")).color(ui.visuals().error_fg_color))
}

/// A quiet line of help or detail, in the weak text colour.
pub(crate) fn weak(ui: &mut Ui, text: impl Into<RichText>) -> Response {
    let color = ui.visuals().weak_text_color();
    ui.label(text.into().color(color))
}
