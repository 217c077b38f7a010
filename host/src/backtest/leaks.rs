//! Each measure's own ranking power, and the leaks it betrays: a measure
//! recorded with or after the outcome (a churn reason, a cancellation date)
//! ranks the outcome almost perfectly on its own, and a model built on it
//! looks excellent in a backtest and is useless before the outcome. A churn
//! model on real data rarely passes 0.9 ROC-AUC (the README's line for the
//! Telco file); one measure alone above 0.95 is a leak until shown otherwise.

use super::metrics::{self, Scored};
use crate::runtime::Output;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One measure alone above this ROC-AUC is taken for a leak.
pub const LEAK_MEASURE_AUC: f64 = 0.95;
/// A whole model above this ROC-AUC is suspicious.
pub const LEAK_MODEL_AUC: f64 = 0.9;

/// Which values of a measure go with the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Higher values go with the outcome.
    Higher,
    /// Lower values go with the outcome.
    Lower,
}

/// A measure's own ROC-AUC in the direction that ranks best (0.5-1), and
/// that direction; `None` when the values cannot rank (one class among the
/// accounts with a value, or no value).
pub fn own_auc(values: impl Iterator<Item = (f64, bool)>) -> Option<(f64, Direction)> {
    let scored: Vec<Scored> = values
        .filter(|(v, _)| v.is_finite())
        .map(|(score, positive)| Scored { score, positive })
        .collect();
    let auc = metrics::roc_auc(&scored).ok()?;
    Some(if auc >= 0.5 {
        (auc, Direction::Higher)
    } else {
        (1.0 - auc, Direction::Lower)
    })
}

/// Measures followed per candidate at most: beyond, a plugin explaining
/// with hundreds of names would hold memory per account for each.
const MAX_MEASURES: usize = 64;

/// One measure's own figures in a backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeasureReport {
    /// The measure: a factor of a health score, or a driver of a propensity.
    pub measure: String,
    /// Its group (health factors; empty for propensity drivers).
    pub group: String,
    /// Compared accounts with a value for it.
    pub accounts: usize,
    /// Its own ROC-AUC over them, ranked in the direction that ranks best
    /// (0.5-1); `None` when they cannot rank (one class, no value).
    pub roc_auc: Option<f64>,
    /// Which of its values go with the outcome.
    pub outcome_with: Option<Direction>,
}

/// The measures an output explains itself with: (name, group, value).
pub(super) fn explained(output: &Output) -> Vec<(&str, &str, Option<f64>)> {
    match output {
        Output::Health(h) => h
            .factors
            .iter()
            .map(|f| (&*f.name, &*f.group, f.value))
            .collect(),
        Output::Propensity(p) => p
            .drivers
            .iter()
            .map(|d| (&*d.name, "", Some(d.value)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Each measure's value on each account one candidate scored, by row.
/// Values are kept as `f32` (half the memory of a million-account
/// backtest): the figure is for orientation, and a rounding in the seventh
/// digit moves no account past another that matters.
#[derive(Debug, Default)]
pub(super) struct MeasureColumns {
    names: Vec<(String, String)>,
    index: HashMap<String, usize>,
    /// Per measure, per row; blank (NaN) when absent or past the end.
    values: Vec<Vec<f32>>,
}

impl MeasureColumns {
    /// Records the measures of the account at `row` (rows in order).
    pub fn record<'a>(
        &mut self,
        row: usize,
        measures: impl IntoIterator<Item = (&'a str, &'a str, Option<f64>)>,
    ) {
        for (name, group, value) in measures {
            let j = match self.index.get(name) {
                Some(&j) => j,
                None if self.names.len() < MAX_MEASURES => {
                    self.names.push((name.to_string(), group.to_string()));
                    self.values.push(Vec::new());
                    self.index.insert(name.to_string(), self.names.len() - 1);
                    self.names.len() - 1
                }
                None => continue,
            };
            let column = &mut self.values[j];
            if column.len() > row {
                continue; // the same name twice in one explanation
            }
            column.resize(row, f32::NAN);
            column.push(value.map_or(f32::NAN, |v| v as f32));
        }
    }

    /// Each measure's own figures over the compared rows, given as (row,
    /// whether it had the outcome); strongest first.
    pub fn report(&self, compared: &[(usize, bool)]) -> Vec<MeasureReport> {
        let mut out: Vec<MeasureReport> = self
            .names
            .iter()
            .zip(&self.values)
            .map(|((measure, group), column)| {
                let values: Vec<(f64, bool)> = compared
                    .iter()
                    .map(|&(r, positive)| {
                        (column.get(r).map_or(f64::NAN, |v| f64::from(*v)), positive)
                    })
                    .filter(|(v, _)| v.is_finite())
                    .collect();
                let own = own_auc(values.iter().copied());
                MeasureReport {
                    measure: measure.clone(),
                    group: group.clone(),
                    accounts: values.len(),
                    roc_auc: own.map(|o| o.0),
                    outcome_with: own.map(|o| o.1),
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.roc_auc
                .unwrap_or(0.0)
                .total_cmp(&a.roc_auc.unwrap_or(0.0))
                .then_with(|| a.measure.cmp(&b.measure))
        });
        out
    }
}

/// The warning for a measure that alone ranks the outcome above
/// [`LEAK_MEASURE_AUC`], or `None`.
pub fn measure_warning(who: &str, measure: &str, auc: f64, outcome: &str) -> Option<String> {
    (auc > LEAK_MEASURE_AUC).then(|| {
        format!(
            "{who}: {measure} alone ranks {outcome} at ROC-AUC {auc:.3} (above {LEAK_MEASURE_AUC}): a measure this close to the answer was most likely recorded with or after it (a churn reason, a cancellation date) and leaks it; leave it out of the configuration"
        )
    })
}

/// The warning for a whole candidate above [`LEAK_MODEL_AUC`], or `None`.
pub fn model_warning(who: &str, auc: f64, outcome: &str) -> Option<String> {
    (auc > LEAK_MODEL_AUC).then(|| {
        format!(
            "{who} ranks {outcome} at ROC-AUC {auc:.3}, above {LEAK_MODEL_AUC}: real churn models rarely do, so the outcome has probably leaked into a measure; see each measure's own ROC-AUC"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measure_ranks_in_its_better_direction() {
        let higher = [(1.0, false), (2.0, false), (3.0, true), (4.0, true)];
        assert_eq!(own_auc(higher.into_iter()), Some((1.0, Direction::Higher)));
        let lower = higher.map(|(v, p)| (-v, p));
        assert_eq!(own_auc(lower.into_iter()), Some((1.0, Direction::Lower)));
        // Blank values are left out; one class left cannot rank.
        let blanks = [(f64::NAN, true), (1.0, false), (2.0, false)];
        assert_eq!(own_auc(blanks.into_iter()), None);
    }

    #[test]
    fn columns_follow_each_measure_by_row_and_rank_it_alone() {
        let mut c = MeasureColumns::default();
        // Row 0: both measures; row 1: only `leak`; row 2: `leak` blank.
        c.record(0, [("leak", "g", Some(1.0)), ("tenure", "g", Some(5.0))]);
        c.record(1, [("leak", "g", Some(0.0))]);
        c.record(2, [("leak", "g", None), ("tenure", "g", Some(30.0))]);
        c.record(3, [("leak", "g", Some(1.0)), ("tenure", "g", Some(2.0))]);
        let report = c.report(&[(0, true), (1, false), (2, false), (3, true)]);
        assert_eq!(report[0].measure, "leak");
        assert_eq!((report[0].accounts, report[0].roc_auc), (3, Some(1.0)));
        assert_eq!(report[0].outcome_with, Some(Direction::Higher));
        let tenure = &report[1];
        assert_eq!(
            (tenure.accounts, tenure.outcome_with),
            (3, Some(Direction::Lower))
        );
    }

    #[test]
    fn only_figures_above_the_lines_warn() {
        assert!(measure_warning("A", "m", 0.95, "churned").is_none());
        let w = measure_warning("A", "churn-reason", 0.999, "churned").unwrap();
        assert!(
            w.starts_with("A: churn-reason alone ranks churned at ROC-AUC 0.999"),
            "{w}"
        );
        assert!(model_warning("A", 0.85, "churned").is_none());
        assert!(
            model_warning("A", 0.97, "churned")
                .unwrap()
                .contains("above 0.9")
        );
    }
}
