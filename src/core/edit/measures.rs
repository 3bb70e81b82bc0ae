//! [`Edit::SetMeasureColumn`]: a whole measure column at once.

use super::Edit;
use crate::core::engine::Change;
use crate::core::error::{Error, Result};
use crate::core::model::{MeasureColumn, Project};

/// Applies [`Edit::SetMeasureColumn`]; returns the edit that undoes it.
/// Measures change the tallies, so every engine recomputes.
pub(super) fn set_measure_column(
    project: &mut Project,
    change: &mut Change,
    name: String,
    values: Option<Vec<f64>>,
) -> Result<Edit> {
    let a = &mut project.accounts;
    if let Some(v) = &values
        && v.len() != a.len()
    {
        return Err(Error::invalid(format!(
            "measure '{name}' has {} value(s) for {} account(s)",
            v.len(),
            a.len()
        )));
    }
    if name.trim().is_empty() || name.eq_ignore_ascii_case("count") {
        return Err(Error::invalid(format!("'{name}' cannot name a measure")));
    }
    let at = a.measure_index(&name);
    let old = match (at, values) {
        (Some(m), Some(v)) => Some(std::mem::replace(&mut a.measures[m].values, v)),
        (Some(m), None) => Some(a.measures.remove(m).values),
        (None, Some(v)) => {
            a.measures.push(MeasureColumn {
                name: name.clone(),
                values: v,
            });
            None
        }
        (None, None) => None,
    };
    change.all = true;
    Ok(Edit::SetMeasureColumn { name, values: old })
}
