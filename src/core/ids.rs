//! Stable identifiers of the things a plan names: territories, territory
//! types, reps and scenarios. Kept apart from [`crate::core::model`] so the
//! small modules that only need an id (pins) do not depend on the whole model.

use serde::{Deserialize, Serialize};

/// Stable identifier of a territory within a project. Never reused.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct TerritoryId(pub u32);

impl std::fmt::Display for TerritoryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "T{}", self.0)
    }
}

/// Stable identifier of a territory type.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct TerritoryTypeId(pub u32);

/// Stable identifier of a rep.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct RepId(pub u32);

/// Stable identifier of a scenario.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default,
)]
pub struct ScenarioId(pub u32);
