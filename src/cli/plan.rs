//! Plan verbs: `new`, `import-territories`, `export-territories`,
//! `gen-sample`.

use std::path::Path;

use super::args::{
    ExportTerritoriesArgs, GenSampleArgs, ImportTerritoriesArgs, NewArgs, SettingsArgs,
};
use crate::core::import::{
    AccountImportOptions, NewPlanFiles, TerritoryFormat, merge_territories, territories_named,
};
use crate::core::model::Project;
use crate::core::numfmt::{count, counted};
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
        a.name_prop.as_deref(),
        a.columns.into(),
    )?;
    let mut project = project;
    if let Some(km) = a.nearest_km {
        project.settings.nearest_km = check_km(km)?;
    }
    let mut ws = Workspace::new(project);
    ws.set_history(false);
    if let Some(tc) = a.territory_col {
        let table = ws.project().accounts.clone();
        super::salesforce::baseline(&mut ws, &table, &tc, a.owner_col.as_deref(), "Baseline")?;
    }
    super::save(&mut ws, plan, super::args::SaveArgs { force: a.force })?;
    let m = ws.metrics();
    eprintln!(
        "Created {}: {}, {}, {} unassigned.",
        plan.display(),
        counted(m.total.count, "account", "accounts"),
        counted(m.territories.len() as u64, "territory", "territories"),
        count(m.unassigned.count)
    );
    Ok(())
}

/// Builds the plan to be saved as `plan` from an accounts CSV and optional
/// territory boundaries, printing what the import found.
pub fn new_project(
    plan: &Path,
    accounts: &Path,
    territories: Option<&Path>,
    name_prop: Option<&str>,
    opts: AccountImportOptions,
) -> Result<Project> {
    let files = NewPlanFiles {
        accounts: accounts.to_owned(),
        territories: territories.map(Path::to_owned),
        name_prop: name_prop.map(str::to_owned),
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
    let mut ws = super::open(plan)?;
    let (imported, report) = territories_named(file, a.name_prop.as_deref())?;
    if let Some(prop) = &report.named_by {
        eprintln!(
            "{}: no 'name' property; territories named by '{prop}'",
            file.display()
        );
    }
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
        "{}: {} added, {} replaced.",
        plan.display(),
        counted(merge.added as u64, "territory", "territories"),
        merge.replaced
    );
    Ok(())
}

/// `turfmap export-territories`: GeoJSON, KML or KMZ by extension.
pub(super) fn export_territories(a: ExportTerritoriesArgs) -> Result<()> {
    let ws = super::open(&a.plan)?;
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
        "Wrote {} to {}.",
        counted(
            ws.project().territories.len() as u64,
            "territory",
            "territories"
        ),
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

/// A nearest-territory distance as given: finite, zero or more.
fn check_km(km: f64) -> Result<f64> {
    if km.is_finite() && km >= 0.0 {
        Ok(km)
    } else {
        Err(Error::invalid(format!(
            "--nearest-km {km}: give a distance in kilometres, 0 to turn it off"
        )))
    }
}

/// `turfmap settings`: prints the plan's settings after applying the
/// changes asked for, as one undoable edit.
pub(super) fn settings(a: SettingsArgs) -> Result<()> {
    let mut ws = super::open(&a.plan)?;
    let mut settings = ws.project().settings.clone();
    if let Some(km) = a.nearest_km {
        settings.nearest_km = check_km(km)?;
    }
    if let Some(m) = &a.measure {
        settings.balance = super::parse_measure(ws.project(), m)?;
    }
    if let Some(t) = a.tolerance {
        settings.tolerance_pct = t;
    }
    if settings != ws.project().settings {
        ws.apply(crate::core::edit::Edit::SetSettings {
            settings: Box::new(settings),
        })?;
        ws.save_as(&a.plan)?;
    }
    let s = &ws.project().settings;
    let nearest = if s.nearest_km > 0.0 {
        format!("within {} km", s.nearest_km)
    } else {
        "off".to_owned()
    };
    let m = ws.metrics();
    super::print_out(format!(
        "balance measure: {}\ntolerance: ±{}%\nnearest territory: {nearest}\n\
         ids: {}\nunassigned: {}\n",
        s.balance,
        s.tolerance_pct,
        if s.row_number_ids {
            "row numbers"
        } else {
            "from the file"
        },
        counted(m.unassigned.count, "account", "accounts"),
    ))
}
