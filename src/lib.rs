//! Turfmap: offline-first sales territory planning.
//!
//! The crate is split in three layers that stay visible in the folders:
//! - [`core`]: the model, assignment engine, metrics, edits, import/export and
//!   the project file. It has no egui in it and imports nothing from [`app`]
//!   or [`cli`] (`tests/layers.rs` checks this).
//! - [`app`]: the egui window, which only displays the core's state and turns
//!   gestures into [`core::edit::Edit`]s, through panels that return commands.
//! - [`cli`]: one function per verb, driving the same core.
//!
//! The binary (`src/main.rs`) runs the CLI when a verb is given and the window
//! otherwise.

pub mod app;
pub mod cli;
pub mod core;
