//! The planning core: everything except the window.
//!
//! Data flows one way: [`edit::Edit`] → [`model::Project`] → [`engine::Engine`]
//! (only what the edit touched) → [`metrics`] → screen or CLI output.

pub mod assets;
pub mod basemap;
#[cfg(feature = "bench")]
pub mod bench;
pub mod capacity;
pub mod colorby;
pub mod colors;
pub mod column;
pub mod coverage;
pub mod csvsafe;
pub mod drive;
pub mod edit;
pub mod engine;
pub mod error;
pub mod explain;
pub mod export;
pub mod fs;
pub mod geocode;
pub mod geometry;
pub mod hierarchy;
pub mod ids;
pub mod import;
pub mod index;
pub mod label;
pub mod metrics;
pub mod model;
pub mod neglect;
pub mod numfmt;
pub mod oneshot;
pub mod palette;
pub mod pins;
pub mod progress;
pub mod project_file;
pub mod quota;
pub mod refresh;
pub mod regions;
pub mod reps;
pub mod rules;
pub mod salesforce;
pub mod sample;
pub mod scenario;
pub mod search;
pub mod staffing;
pub mod synth;
pub mod travel;
pub mod workload;
pub mod workspace;
pub mod xml;

pub use error::{Error, Result};
pub use model::{Accounts, Project, Territory, TerritoryId};
pub use workspace::Workspace;
pub mod optimize;
pub mod render;
pub mod report;
pub mod shape_edit;
pub mod unassigned;
pub mod units;
