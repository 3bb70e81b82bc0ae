//! The drive-time figures of a group of accounts, as the balance, the
//! rep table and the exports show them.

use serde::Serialize;

/// Mean and largest drive of a group of accounts.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DriveFigures {
    /// Located accounts driven to.
    pub accounts: u64,
    /// Mean drive time, minutes.
    pub mean_minutes: f64,
    /// Longest drive time, minutes.
    pub max_minutes: f64,
    /// Mean road distance, km.
    pub mean_km: f64,
    /// Longest road distance, km.
    pub max_km: f64,
}
