//! Reading the CSV files earlier Turfmap versions wrote
//! (`Territory2Type.csv`, `Territory2.csv`, `UserTerritory2Association.csv`
//! and `ObjectTerritory2Association.csv` with DeveloperName columns).

use std::path::Path;

use super::builder::PlanBuilder;
use super::{col, read_csv};
use crate::core::error::{Error, Result};

/// Reads the CSV files in `dir` into `b`.
pub fn read(b: &mut PlanBuilder, dir: &Path) -> Result<()> {
    read_types(b, &dir.join("Territory2Type.csv"))?;
    read_territories(b, &dir.join("Territory2.csv"))?;
    let users = dir.join("UserTerritory2Association.csv");
    if users.exists() {
        read_users(b, &users)?;
    }
    let assoc = dir.join("ObjectTerritory2Association.csv");
    if assoc.exists() {
        read_assignments(b, &assoc)?;
    }
    Ok(())
}

fn read_types(b: &mut PlanBuilder, path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let (h, rows) = read_csv(path)?;
    let cd = col(&h, path, &["DeveloperName"])?;
    let cl = col(&h, path, &["MasterLabel", "Name"])?;
    let cp = col(&h, path, &["Priority"]).ok();
    for r in &rows {
        let priority = cp
            .and_then(|c| r.get(c))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        b.add_type(r.get(cd).unwrap_or(""), r.get(cl).unwrap_or(""), priority);
    }
    Ok(())
}

fn read_territories(b: &mut PlanBuilder, path: &Path) -> Result<()> {
    let (h, rows) = read_csv(path)?;
    let cd = col(&h, path, &["DeveloperName"])?;
    let cn = col(&h, path, &["Name"])?;
    let cp = col(
        &h,
        path,
        &[
            "ParentTerritory2.DeveloperName",
            "ParentTerritory2:DeveloperName",
        ],
    )
    .ok();
    let ct = col(
        &h,
        path,
        &[
            "Territory2Type.DeveloperName",
            "Territory2Type:DeveloperName",
        ],
    )
    .ok();
    let at = |k: usize| format!("{}: line {}", path.display(), k + 2);
    for (k, r) in rows.iter().enumerate() {
        let get = |c: Option<usize>| c.and_then(|c| r.get(c)).unwrap_or("");
        b.add_territory(
            get(Some(cd)),
            get(Some(cn)),
            get(ct),
            Some(get(cp)),
            &|| at(k),
        )?;
    }
    b.link_parents(&at)
}

/// The territory that row `k` names in column `c`.
fn territory_at(
    b: &PlanBuilder,
    r: &csv::StringRecord,
    c: usize,
    path: &Path,
    k: usize,
) -> Result<usize> {
    let dev = r.get(c).unwrap_or("").trim();
    b.territory(dev).ok_or_else(|| {
        Error::invalid(format!(
            "{}: line {}: territory '{dev}' is not in Territory2.csv",
            path.display(),
            k + 2
        ))
    })
}

fn read_users(b: &mut PlanBuilder, path: &Path) -> Result<()> {
    let (h, rows) = read_csv(path)?;
    let cu = col(&h, path, &["User.Username", "UserId", "User:Username"])?;
    let ct = col(
        &h,
        path,
        &["Territory2.DeveloperName", "Territory2:DeveloperName"],
    )?;
    let cr = col(&h, path, &["RoleInTerritory2"]).ok();
    let cn = col(&h, path, &["User.Name"]).ok();
    for (k, r) in rows.iter().enumerate() {
        let get = |c: Option<usize>| c.and_then(|c| r.get(c)).unwrap_or("");
        let t = territory_at(b, r, ct, path, k)?;
        b.add_rep(t, get(Some(cu)), get(cn), get(cr));
    }
    Ok(())
}

fn read_assignments(b: &mut PlanBuilder, path: &Path) -> Result<()> {
    let (h, rows) = read_csv(path)?;
    let co = col(&h, path, &["ObjectId", "AccountId"])?;
    let ct = col(
        &h,
        path,
        &["Territory2.DeveloperName", "Territory2:DeveloperName"],
    )?;
    for (k, r) in rows.iter().enumerate() {
        let t = territory_at(b, r, ct, path, k)?;
        b.assign(r.get(co).unwrap_or(""), t);
    }
    Ok(())
}
