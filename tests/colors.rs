//! Territory colours on data we did not make: the bundled US states (56
//! boundaries from Natural Earth / Census). Neighbours never share a
//! colour, a territory drawn across a state does not take the state's
//! colour, and exports carry the colours as `fill`.

use geo::polygon;
use turfmap::core::colors::{PALETTE, adjacency, neighbours};
use turfmap::core::import::{add_territories, import_territories};
use turfmap::core::model::Project;
use turfmap::core::shape_edit::{DrawMode, draw_territory, recolor};
use turfmap::core::{TerritoryId, Workspace};

fn states() -> Workspace {
    let path = turfmap::core::assets::dir().join("us-states.geojson");
    let (imported, _) = import_territories(&path, "name").expect("bundled states");
    let mut p = Project::new("States");
    add_territories(&mut p, imported);
    Workspace::new(p)
}

fn id_of(ws: &Workspace, name: &str) -> TerritoryId {
    ws.project()
        .territories
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .id
}

/// Every pair of neighbours, by name, that shares a colour.
fn clashes(ws: &Workspace) -> Vec<(String, String)> {
    let p = ws.project();
    let mut out = Vec::new();
    for (a, ns) in adjacency(p) {
        for b in ns {
            let (ta, tb) = (p.territory(a).expect("a"), p.territory(b).expect("b"));
            if a < b && ta.color == tb.color {
                out.push((ta.name.clone(), tb.name.clone()));
            }
        }
    }
    out
}

#[test]
fn us_states_neighbours_never_share_a_colour() {
    let ws = states();
    // The adjacency is the real one: Mississippi borders Alabama, not
    // Florida; the Four Corners states touch only diagonally at a point.
    let names = |id| {
        let mut v: Vec<String> = neighbours(ws.project(), id)
            .into_iter()
            .map(|n| ws.project().territory(n).expect("n").name.clone())
            .collect();
        v.sort();
        v
    };
    let ms = names(id_of(&ws, "Mississippi"));
    assert_eq!(ms, ["Alabama", "Arkansas", "Louisiana", "Tennessee"]);
    let utah = names(id_of(&ws, "Utah"));
    assert!(!utah.contains(&"New Mexico".to_owned()), "{utah:?}");
    assert!(utah.contains(&"Colorado".to_owned()), "{utah:?}");
    assert!(clashes(&ws).is_empty(), "{:?}", clashes(&ws));
    // Only palette colours, and few of them (a map needs four to six).
    let used: std::collections::BTreeSet<[u8; 3]> =
        ws.project().territories.iter().map(|t| t.color).collect();
    assert!(used.iter().all(|c| PALETTE.contains(c)));
    assert!(used.len() <= 8, "{} colours", used.len());
}

#[test]
fn a_territory_cut_from_a_state_gets_its_own_colour_and_others_stay() {
    let mut ws = states();
    let before: Vec<_> = ws
        .project()
        .territories
        .iter()
        .map(|t| (t.id, t.color))
        .collect();
    let kansas = id_of(&ws, "Kansas");
    // A block in the middle of Kansas, taken from it.
    let cut = polygon![(x: -99.5, y: 38.0), (x: -97.5, y: 38.0), (x: -97.5, y: 39.0), (x: -99.5, y: 39.0)];
    let edit = draw_territory(
        ws.project(),
        "Wichita North",
        cut,
        DrawMode::TakeFromNeighbors,
    )
    .expect("draw");
    ws.apply(edit).expect("apply");
    let new = id_of(&ws, "Wichita North");
    assert!(neighbours(ws.project(), new).contains(&kansas));
    let p = ws.project();
    assert_ne!(
        p.territory(new).expect("new").color,
        p.territory(kansas).expect("ks").color
    );
    assert!(clashes(&ws).is_empty(), "{:?}", clashes(&ws));
    // No state changed colour.
    for (id, c) in before {
        assert_eq!(ws.project().territory(id).expect("state").color, c);
    }
    // Undo restores the plan as it was, colours included.
    ws.undo().expect("undo");
    assert!(ws.project().territory(new).is_none());
}

#[test]
fn a_picked_colour_is_kept_even_next_to_the_same_colour() {
    let mut ws = states();
    let (ms, al) = (id_of(&ws, "Mississippi"), id_of(&ws, "Alabama"));
    let al_color = ws.project().territory(al).expect("al").color;
    let edit = recolor(ws.project(), ms, al_color).expect("recolor");
    ws.apply(edit).expect("apply");
    assert_eq!(ws.project().territory(ms).expect("ms").color, al_color);
    // Reopening the plan keeps the choice.
    let again = Workspace::new(ws.project().clone());
    assert_eq!(again.project().territory(ms).expect("ms").color, al_color);
}

#[test]
fn geojson_export_carries_fill() {
    let ws = states();
    let fc = turfmap::core::export::territories_to_geojson(ws.project());
    for (f, t) in fc.features.iter().zip(&ws.project().territories) {
        let props = f.properties.as_ref().expect("props");
        let fill = props.get("fill").and_then(|v| v.as_str()).expect("fill");
        let [r, g, b] = t.color;
        assert_eq!(fill, format!("#{r:02x}{g:02x}{b:02x}"));
    }
}

/// Recolouring with neighbours found through an engine's box tree (as the
/// workspace does on every edit) picks exactly the colours the
/// from-scratch search picks, also when the tree is one edit behind: the
/// changed territories were just reshaped, added, retyped or removed.
mod near_equals_scratch {
    use geo::{MultiPolygon, polygon};
    use proptest::prelude::*;
    use turfmap::core::colors::{Near, PALETTE, recolor, recolor_near};
    use turfmap::core::engine::Engine;
    use turfmap::core::model::{Project, Territory, TerritoryId, TerritoryTypeId};

    fn rect(x: i32, y: i32, w: i32, h: i32) -> MultiPolygon<f64> {
        let (x0, y0, x1, y1) = (x as f64, y as f64, (x + w) as f64, (y + h) as f64);
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    /// What happens to a territory between the index and the recolouring.
    #[derive(Clone, Debug)]
    enum Op {
        Reshape {
            t: usize,
            r: (i32, i32, i32, i32),
        },
        Add {
            r: (i32, i32, i32, i32),
            color: usize,
        },
        Remove {
            t: usize,
        },
        Retype {
            t: usize,
        },
        Pick {
            t: usize,
        },
    }

    fn rect_strategy() -> impl Strategy<Value = (i32, i32, i32, i32)> {
        (0..8i32, 0..8i32, 1..4i32, 1..4i32)
    }

    fn op_strategy() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..64usize, rect_strategy()).prop_map(|(t, r)| Op::Reshape { t, r }),
            2 => (rect_strategy(), 0..3usize).prop_map(|(r, color)| Op::Add { r, color }),
            1 => (0..64usize).prop_map(|t| Op::Remove { t }),
            1 => (0..64usize).prop_map(|t| Op::Retype { t }),
            1 => (0..64usize).prop_map(|t| Op::Pick { t }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn recolor_near_equals_recolor(
            side in 2..7i32,
            colors in prop::collection::vec(0..3usize, 49),
            ops in prop::collection::vec(op_strategy(), 1..8),
        ) {
            // A lattice of unit squares in three colours: many clashes.
            let mut p = Project::new("grid");
            p.ensure_defaults();
            let ty = p.primary_type();
            for k in 0..side * side {
                let id = p.alloc_territory_id();
                let mut t = Territory::new(id, format!("T{k}"), rect(k % side, k / side, 1, 1));
                t.type_id = ty;
                t.color = PALETTE[colors[k as usize]];
                p.territories.push(t);
            }
            // The index as it was before the edit.
            let engine = Engine::for_type(&p, ty);
            let mut fresh: Vec<TerritoryId> = Vec::new();
            for op in ops {
                let n = p.territories.len();
                match op {
                    Op::Reshape { t, r } if n > 0 => {
                        let t = &mut p.territories[t % n];
                        t.geometry = rect(r.0, r.1, r.2, r.3);
                        fresh.push(t.id);
                    }
                    Op::Add { r, color } => {
                        let id = p.alloc_territory_id();
                        let mut t = Territory::new(id, format!("N{}", id.0), rect(r.0, r.1, r.2, r.3));
                        t.type_id = ty;
                        t.color = PALETTE[color];
                        p.territories.push(t);
                        fresh.push(id);
                    }
                    Op::Remove { t } if n > 0 => {
                        p.territories.remove(t % n);
                    }
                    Op::Retype { t } if n > 0 => {
                        let t = &mut p.territories[t % n];
                        t.type_id = TerritoryTypeId(ty.0 + 1);
                        fresh.push(t.id);
                    }
                    Op::Pick { t } if n > 0 => p.territories[t % n].color_picked = true,
                    _ => {}
                }
            }
            // Recolour the fresh territories and, as an import does, a few
            // others.
            let mut changed = fresh.clone();
            changed.extend(p.territories.iter().step_by(3).map(|t| t.id));
            let find = |id: TerritoryId| p.territory(id);
            // Nothing had the other type before: its index is empty.
            let in_box = |t: TerritoryTypeId, b: [f64; 4]| {
                let index = engine.index();
                Some(if t == ty {
                    index.slots_in_box(b).filter_map(|s| index.id_of_slot(s)).collect()
                } else {
                    Vec::new()
                })
            };
            let near = Near { find: &find, in_box: &in_box, fresh: &fresh };
            prop_assert_eq!(recolor_near(&p, &changed, &near), recolor(&p, &changed));
        }
    }
}
