//! Turfmap: offline-first sales territory planning.
//!
//! The crate is split in two layers that stay visible in the folders:
//! - [`core`]: the model, assignment engine, metrics, edits, import/export and
//!   the project file. It has no egui in it and is what the CLI drives.
//! - [`app`]: the egui window, which only displays the core's state and turns
//!   gestures into [`core::edit::Edit`]s.
//!
//! The binary (`src/main.rs`) runs the CLI when a verb is given and the window
//! otherwise.

pub mod app;
pub mod cli;
pub mod core;
