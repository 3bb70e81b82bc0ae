//! Small view-state types shared by the map and the panels. The plan's data
//! itself lives in [`crate::core::Workspace`]; this is only what the user is
//! looking at.

use crate::core::TerritoryId;
use crate::core::render::DistanceUnit;

/// What is selected in the window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// The selected territory.
    pub territory: Option<TerritoryId>,
    /// The selected account (account index).
    pub account: Option<usize>,
}

impl Selection {
    /// Drops a selection that no longer exists (after undo, delete, …).
    pub fn sanitize(&mut self, p: &crate::core::Project) {
        if self.territory.is_some_and(|id| p.territory(id).is_none()) {
            self.territory = None;
        }
        if self
            .account
            .is_some_and(|i| i >= p.accounts.len() || p.accounts.removed[i])
        {
            self.account = None;
        }
    }
}

/// How the map draws things, chosen in the panels.
#[derive(Clone, Debug, PartialEq)]
pub struct MapStyle {
    /// Scale account dots by this measure column (index), `None` = same size.
    pub size_by: Option<usize>,
    /// Draw territory name labels.
    pub labels: bool,
    /// Draw account dots.
    pub accounts: bool,
    /// Fill opacity of territories, 0..=1.
    pub fill_opacity: f32,
    /// Units of the scale bar.
    pub units: DistanceUnit,
    /// What the territory fills show (territory, deviation, a measure).
    pub color_by: crate::core::colorby::ColorBy,
    /// Each territory's balance value under its name.
    pub label_values: bool,
    /// Accounts as a density (heat) layer instead of dots.
    pub density: bool,
    /// The territory list panel is shown (View menu collapses it).
    pub list_panel: bool,
    /// The details panel is shown (View menu collapses it).
    pub details_panel: bool,
}

impl Default for MapStyle {
    fn default() -> Self {
        Self {
            size_by: None,
            labels: true,
            accounts: true,
            fill_opacity: 0.28,
            units: DistanceUnit::Km,
            color_by: crate::core::colorby::ColorBy::Territory,
            label_values: false,
            density: false,
            list_panel: true,
            details_panel: true,
        }
    }
}

/// Something the user did on the map that the rest of the window reacts to.
#[derive(Clone, Debug, PartialEq)]
pub enum MapEvent {
    /// Clicked a territory (or empty space: `None`).
    SelectTerritory(Option<TerritoryId>),
    /// Clicked an account.
    SelectAccount(usize),
}
