//! Plan verbs: `new`, `import-territories`, `export-territories`,
//! `gen-sample`.

use std::path::Path;

use super::args::{ExportTerritoriesArgs, GenSampleArgs, ImportTerritoriesArgs, NewArgs};
use crate::core::import::{
    AccountImportOptions, NewPlanFiles, TerritoryFormat, merge_territories, territories_from_file,
};
use crate::core::model::Project;
use crate::core::progress::Progress;
use crate::core::{Error, Result, Workspace};

/// `turfmap new`: a plan from a CRM export (and boundaries), with an
/// optional baseline scenario from the accounts' current territories.
pub(super) fn new(a: NewArgs) -> Result<()> {
    let plan = &a.plan;
    if plan.exists() && !a.force {
        return Err(Error::invalid(format!(
            "{} already exists; pass --force to overwrite it",
            plan.display()
        )));
    }
    let project = new_project(
        plan,
        &a.accounts,
        a.territories.as_deref(),
        &a.name_prop,
        a.columns.into(),
    )?;
    let mut ws = Workspace::new(project);
    if let Some(tc) = a.territory_col {
        let table = ws.project().accounts.clone();
        super::salesforce::baseline(&mut ws, &table, &tc, a.owner_col.as_deref(), "Baseline")?;
    }
    super::save(&mut ws, plan, super::args::SaveArgs { force: a.force })?;
    let m = ws.metrics();
    eprintln!(
        "Created {}: {} accounts, {} territories, {} unassigned.",
        plan.display(),
        m.total.count,
        m.territories.len(),
        m.unassigned.count
    );
    Ok(())
}

/// Builds the plan to be saved as `plan` from an accounts CSV and optional
/// territory boundaries, printing what the import found.
pub fn new_project(
    plan: &Path,
    accounts: &Path,
    territories: Option<&Path>,
    name_prop: &str,
    opts: AccountImportOptions,
) -> Result<Project> {
    let files = NewPlanFiles {
        accounts: accounts.to_owned(),
        territories: territories.map(Path::to_owned),
        name_prop: name_prop.to_owned(),
        columns: opts,
    };
    let name = plan
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Plan".into());
    let (project, report) = crate::core::import::new_project(&name, &files, &Progress::new())?;
    for line in report.lines(&files) {
        eprintln!("{line}");
    }
    Ok(project)
}

/// `turfmap import-territories`: add or replace boundaries by name.
pub(super) fn import_territories(a: ImportTerritoriesArgs) -> Result<()> {
    let (plan, file) = (&a.plan, &a.file);
    let mut ws = Workspace::open(plan)?;
    let (imported, report) = territories_from_file(file, &a.name_prop)?;
    for s in report.skipped.iter().chain(&report.repaired) {
        eprintln!("{}: {s}", file.display());
    }
    let merge = merge_territories(
        ws.project(),
        imported,
        format!("Import territories from {}", file.display()),
    );
    if let Some(edit) = merge.edit {
        ws.apply(edit)?;
    }
    if !merge.locked.is_empty() {
        eprintln!(
            "{}: locked, left as they were: {}",
            plan.display(),
            merge.locked.join(", ")
        );
    }
    super::save(&mut ws, plan, a.save)?;
    eprintln!(
        "{}: {} territories added, {} replaced.",
        plan.display(),
        merge.added,
        merge.replaced
    );
    Ok(())
}

/// `turfmap export-territories`: GeoJSON, KML or KMZ by extension.
pub(super) fn export_territories(a: ExportTerritoriesArgs) -> Result<()> {
    let ws = Workspace::open(&a.plan)?;
    let out = &a.out;
    match TerritoryFormat::of(out) {
        Some(f @ (TerritoryFormat::Kml | TerritoryFormat::Kmz | TerritoryFormat::GeoJson)) => {
            crate::core::import::write_territories_file(out, ws.project(), f)?
        }
        _ => {
            return Err(Error::invalid(format!(
                "{}: use a .geojson, .kml or .kmz file name",
                out.display()
            )));
        }
    }
    eprintln!(
        "Wrote {} territories to {}.",
        ws.project().territories.len(),
        out.display()
    );
    Ok(())
}

/// `turfmap gen-sample`: the bundled sample data set, regenerated.
pub(super) fn gen_sample(a: GenSampleArgs) -> Result<()> {
    let dir = &a.dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let s = crate::core::sample::generate_sample(dir, a.seed)?;
    eprintln!(
        "Wrote {} accounts ({} unlocated) and {} territories to {}.",
        s.accounts,
        s.unlocated,
        s.territories,
        dir.display()
    );
    Ok(())
}
