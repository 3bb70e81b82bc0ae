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
