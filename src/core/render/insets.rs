//! Insets for US plans: Alaska, Hawaii and Puerto Rico drawn in boxes of
//! their own, so "the whole plan" frames the lower 48 at a readable scale
//! instead of shrinking it to fit the Aleutians. The window and the map
//! exports use the same rule ([`us_insets`]).

use geo::BoundingRect;

use super::proj::BBox;
use crate::core::Project;

/// One inset: a name and the lon/lat box it shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inset {
    /// "Alaska".
    pub name: &'static str,
    /// What the inset frames.
    pub frame: BBox,
    /// Where the inset's content is found (wider than `frame` for Alaska,
    /// whose Aleutians reach past the antimeridian).
    pub area: BBox,
    /// The inset's width as a share of the map's.
    pub share: f32,
}

/// The contiguous United States.
pub const LOWER_48: BBox = [-125.0, 24.3, -66.8, 49.5];

/// Alaska, Hawaii and Puerto Rico.
pub const US_INSETS: [Inset; 3] = [
    Inset {
        name: "Alaska",
        frame: [-170.0, 51.5, -129.5, 71.5],
        area: [-180.0, 51.0, -129.0, 72.0],
        share: 0.2,
    },
    Inset {
        name: "Hawaii",
        frame: [-160.4, 18.8, -154.7, 22.3],
        area: [-161.0, 18.5, -154.0, 22.6],
        share: 0.12,
    },
    Inset {
        name: "Puerto Rico",
        frame: [-67.4, 17.8, -65.2, 18.6],
        area: [-67.6, 17.6, -65.0, 18.7],
        share: 0.08,
    },
];

fn contains(b: &BBox, lon: f64, lat: f64) -> bool {
    lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]
}

/// The insets a plan needs: those of [`US_INSETS`] holding a territory's
/// label point or an account, when the plan also has territories or
/// accounts in the lower 48 (a plan of Alaska alone needs no inset).
pub fn us_insets(project: &Project) -> Vec<Inset> {
    let ty = project.primary_type();
    // The centre of each territory's largest piece's box: cheap, and
    // enough to tell which inset (if any) a territory is in.
    let points: Vec<(f64, f64)> = project
        .territories_of_type(ty)
        .filter_map(|t| {
            t.geometry
                .iter()
                .filter_map(|p| p.bounding_rect())
                .max_by(|a, b| (a.width() * a.height()).total_cmp(&(b.width() * b.height())))
        })
        .map(|r| (r.center().x, r.center().y))
        .collect();
    let a = &project.accounts;
    let any = |b: &BBox| {
        points.iter().any(|&(x, y)| contains(b, x, y))
            || (0..a.len())
                .any(|i| !a.removed[i] && a.is_located(i) && contains(b, a.lon[i], a.lat[i]))
    };
    if !any(&LOWER_48) {
        return Vec::new();
    }
    US_INSETS.iter().filter(|i| any(&i.area)).copied().collect()
}

/// `b` cut to the lower 48 (unchanged when they do not meet).
pub fn clip_to_lower_48(b: BBox) -> BBox {
    let c = [
        b[0].max(LOWER_48[0]),
        b[1].max(LOWER_48[1]),
        b[2].min(LOWER_48[2]),
        b[3].min(LOWER_48[3]),
    ];
    if c[0] < c[2] && c[1] < c[3] { c } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_contiguous_states() {
        let whole = [-179.0, 18.0, -65.0, 71.0];
        assert_eq!(clip_to_lower_48(whole), LOWER_48);
        let east = [-80.0, 30.0, -70.0, 45.0];
        assert_eq!(clip_to_lower_48(east), east);
        let europe = [0.0, 40.0, 10.0, 50.0];
        assert_eq!(clip_to_lower_48(europe), europe);
    }
}
