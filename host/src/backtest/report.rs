//! The backtest report: what was read and left out, and per candidate its
//! ranking figures, outcome rates per band, lift and calibration, all over
//! the same accounts (those every candidate scored).

use super::BacktestError;
use super::filter::Condition;
use super::leaks::{self, MeasureColumns, MeasureReport};
use super::metrics::{self, Calibration, GroupRate, Grouped, MetricError, Scored};
use super::scan::{Counts, Label, Window};
use super::score::{Prediction, Resolved, figure_name, score_meaning};
use super::spec::{AccountFilter, BacktestSpec, iso_date};
use crate::model::OutcomeKind;
use crate::runtime::{PluginError, PluginKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vitals_plugin_sdk::date::format as day;

/// One account as scored by every candidate.
pub(super) struct Row {
    pub account: String,
    pub label: Label,
    pub predictions: Vec<Option<Prediction>>,
}

/// A backtest's findings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BacktestReport {
    /// The tenant.
    pub tenant: String,
    /// Accounts were scored as of this day.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub cutoff: i32,
    /// Outcomes up to this many days after the cut-off count.
    pub horizon_days: i32,
    /// The last day of the horizon.
    #[serde(with = "iso_date")]
    #[schema(value_type = String, format = Date)]
    pub horizon_end: i32,
    /// The outcome predicted.
    pub outcome: OutcomeKind,
    /// Which accounts were read.
    pub accounts: AccountFilter,
    /// The conditions every account read met (`--where`).
    #[serde(rename = "where")]
    pub conditions: Vec<Condition>,
    /// Accounts with a snapshot at or before the cut-off.
    pub read: usize,
    /// Left out: they had churned by the cut-off.
    pub left_out_churned: usize,
    /// Left out: they failed a condition of `where`.
    pub left_out_where: usize,
    /// Left out: the other side of the split.
    pub left_out_split: usize,
    /// Accounts given to the candidates.
    pub eligible: usize,
    /// Accounts every candidate scored: every figure below is over these.
    pub compared: usize,
    /// Compared accounts that had the outcome inside the horizon.
    pub with_outcome: usize,
    /// `with_outcome / compared`.
    pub outcome_rate: f64,
    /// Each candidate's figures, in the order asked.
    pub candidates: Vec<CandidateReport>,
    /// What to keep in mind reading the figures.
    pub warnings: Vec<String>,
    /// Every eligible account with its outcome and each candidate's score
    /// (when asked for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_account: Option<Vec<AccountScores>>,
}

/// One candidate's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CandidateReport {
    /// Its name in the report.
    pub label: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// sha-256 of the component.
    pub hash: String,
    /// Its kind (`health-model`, `forecaster`, ...).
    pub kind: String,
    /// The configuration it ran with.
    pub config: serde_json::Value,
    /// The score accounts are ranked by, in words.
    pub ranked_by: String,
    /// What it gives each account, in words (`health score`, `propensity`,
    /// `renewal probability`): the per-account values.
    pub figure: String,
    /// Eligible accounts it scored.
    pub scored: usize,
    /// Eligible accounts it could not score, by error kind.
    pub errors: BTreeMap<String, u64>,
    /// The first error's message, to say why.
    pub first_error: Option<String>,
    /// ROC-AUC over the compared accounts (`None`: it scored no account and
    /// is left out of the comparison).
    pub roc_auc: Option<f64>,
    /// PR-AUC (average precision) over the compared accounts.
    pub pr_auc: Option<f64>,
    /// What `groups` are: `band` (health) or `confidence` (forecasts).
    pub grouped_by: Option<String>,
    /// Outcome rate and ARR per group.
    pub groups: Vec<GroupRate>,
    /// How many times more often Red accounts had the outcome than Green ones.
    pub lift_red_over_green: Option<f64>,
    /// Calibration and Brier score, for probabilities (forecasts).
    pub calibration: Option<Calibration>,
    /// Each measure it explains its results with (health factors,
    /// propensity drivers), ranking the outcome alone, strongest first: a
    /// measure far above the others may carry the outcome itself.
    pub measures: Vec<MeasureReport>,
}

/// One account's outcome and scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountScores {
    /// The account.
    pub account: String,
    /// Whether the outcome came inside the horizon.
    pub outcome: bool,
    /// ARR at the cut-off.
    pub arr: f64,
    /// Each candidate's own figure for the account (see
    /// [`CandidateReport::figure`]: the health score, not 100 minus it);
    /// `None`: it could not score the account.
    pub values: Vec<Option<f64>>,
    /// Each candidate's band or tier.
    pub groups: Vec<Option<String>>,
}

/// Everything a report is built from besides the rows.
pub(super) struct Inputs<'a> {
    pub tenant: &'a str,
    pub spec: &'a BacktestSpec,
    pub window: &'a Window,
    pub counts: &'a Counts,
    pub candidates: &'a [Resolved],
    pub errors: Vec<BTreeMap<String, u64>>,
    pub first_error: Vec<Option<String>>,
    pub warnings: Vec<String>,
    /// Each candidate's measures, by row.
    pub measures: Vec<MeasureColumns>,
}

fn error_summary(errors: &BTreeMap<String, u64>, first: &Option<String>) -> String {
    let kinds: Vec<String> = errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
    match first {
        Some(m) => format!("{}; first: {m}", kinds.join(", ")),
        None => kinds.join(", "),
    }
}

fn metric_error(plugin: &str, e: MetricError) -> BacktestError {
    match e {
        MetricError::NotFinite(v) => BacktestError::Plugin {
            plugin: plugin.into(),
            error: PluginError::BadOutput(format!("score {v} is not a finite number")),
        },
        other => BacktestError::SingleClass(other.to_string()),
    }
}

/// Builds the report; errors when nothing can be judged (no account, no
/// score, or a single class among the compared accounts).
pub(super) fn build(inputs: Inputs<'_>, rows: Vec<Row>) -> Result<BacktestReport, BacktestError> {
    let Inputs {
        tenant,
        spec,
        window,
        counts,
        candidates,
        errors,
        first_error,
        mut warnings,
        measures,
    } = inputs;
    let at = day(window.cutoff);
    if counts.eligible == 0 {
        return Err(BacktestError::NoAccounts(if counts.read == 0 {
            format!("no account of tenant {tenant:?} has a snapshot at or before the cut-off {at}")
        } else {
            format!(
                "all {} accounts with a snapshot by {at} were left out: {} had churned by then, {} failed a condition of where, {} are on the other side of the split",
                counts.read, counts.churned_before, counts.failed_where, counts.outside_split
            )
        }));
    }
    let scored: Vec<usize> = (0..candidates.len())
        .map(|ci| rows.iter().filter(|r| r.predictions[ci].is_some()).count())
        .collect();
    let live: Vec<usize> = (0..candidates.len()).filter(|&ci| scored[ci] > 0).collect();
    for (ci, c) in candidates.iter().enumerate() {
        let missed = counts.eligible - scored[ci];
        if missed > 0 {
            warnings.push(format!(
                "{} could not score {missed} of {} accounts ({}){}",
                c.label,
                counts.eligible,
                error_summary(&errors[ci], &first_error[ci]),
                if scored[ci] == 0 {
                    ": it is left out of the comparison"
                } else {
                    ""
                }
            ));
        }
    }
    if live.is_empty() {
        // The warnings so far (a configured name no account has) are often
        // the why: they go with the error, which has no report to carry them.
        let why: String = warnings.iter().map(|w| format!("; {w}")).collect();
        return Err(BacktestError::NoAccounts(format!(
            "no candidate scored any of the {} accounts: {}{why}",
            counts.eligible,
            candidates
                .iter()
                .enumerate()
                .map(|(ci, c)| format!(
                    "{}: {}",
                    c.label,
                    error_summary(&errors[ci], &first_error[ci])
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let compared_rows: Vec<(usize, bool)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| live.iter().all(|&ci| r.predictions[ci].is_some()))
        .map(|(i, r)| (i, r.label.positive))
        .collect();
    let compared: Vec<&Row> = compared_rows.iter().map(|&(i, _)| &rows[i]).collect();
    if compared.is_empty() {
        return Err(BacktestError::NoAccounts(format!(
            "no account of the {} was scored by every candidate",
            counts.eligible
        )));
    }
    if compared.len() < counts.eligible && live.len() > 1 {
        warnings.push(format!(
            "figures are over the {} accounts every candidate scored",
            compared.len()
        ));
    }
    let with_outcome = compared.iter().filter(|r| r.label.positive).count();
    let outcome = spec.outcome.as_str();
    let span = format!(
        "between {} and {} ({} days after the cut-off {at})",
        day(window.cutoff + 1),
        day(window.end()),
        window.horizon_days
    );
    if with_outcome == 0 || with_outcome == compared.len() {
        return Err(BacktestError::SingleClass(format!(
            "{} of the {} compared accounts {outcome} {span}: ROC-AUC and PR-AUC need accounts with and without the outcome; choose another cut-off, horizon or outcome",
            if with_outcome == 0 { "none" } else { "all" },
            compared.len()
        )));
    }
    if let Some(last) = counts.last_outcome.filter(|d| *d < window.end()) {
        warnings.push(format!(
            "the tenant's outcomes are recorded up to {}, before the horizon ends ({}): some accounts may yet have the outcome",
            day(last),
            day(window.end())
        ));
    }
    let mut reports = Vec::with_capacity(candidates.len());
    for (ci, c) in candidates.iter().enumerate() {
        let mut report = CandidateReport {
            label: c.label.clone(),
            plugin: c.name.clone(),
            version: c.version.clone(),
            hash: c.hash.clone(),
            kind: c.kind.to_string(),
            config: serde_json::from_str(&c.config).unwrap_or(serde_json::Value::Null),
            ranked_by: score_meaning(c.kind, spec.outcome).into(),
            figure: figure_name(c.kind).into(),
            scored: scored[ci],
            errors: errors[ci].clone(),
            first_error: first_error[ci].clone(),
            roc_auc: None,
            pr_auc: None,
            grouped_by: None,
            groups: Vec::new(),
            lift_red_over_green: None,
            calibration: None,
            measures: Vec::new(),
        };
        if live.contains(&ci) {
            report.measures = measures[ci].report(&compared_rows);
            for m in &report.measures {
                let auc = m.roc_auc.unwrap_or(0.0);
                warnings.extend(leaks::measure_warning(&c.label, &m.measure, auc, outcome));
            }
            let preds: Vec<(Prediction, &Label)> = compared
                .iter()
                .map(|r| (r.predictions[ci].expect("compared"), &r.label))
                .collect();
            let scores: Vec<Scored> = preds
                .iter()
                .map(|(p, l)| Scored {
                    score: p.score,
                    positive: l.positive,
                })
                .collect();
            let auc = metrics::roc_auc(&scores).map_err(|e| metric_error(&c.name, e))?;
            warnings.extend(leaks::model_warning(&c.label, auc, outcome));
            report.roc_auc = Some(auc);
            report.pr_auc =
                Some(metrics::average_precision(&scores).map_err(|e| metric_error(&c.name, e))?);
            let grouped: Vec<Grouped<'_>> = preds
                .iter()
                .filter_map(|(p, l)| {
                    p.group.map(|group| Grouped {
                        group,
                        positive: l.positive,
                        arr: l.arr,
                    })
                })
                .collect();
            if !grouped.is_empty() {
                let (by, order): (&str, &[&str]) = match c.kind {
                    PluginKind::HealthModel => ("band", &["red", "yellow", "green"]),
                    _ => (
                        "confidence",
                        &["omitted", "pipeline", "best-case", "commit"],
                    ),
                };
                report.grouped_by = Some(by.into());
                report.groups = metrics::group_rates(&grouped, order);
                if c.kind == PluginKind::HealthModel {
                    report.lift_red_over_green = metrics::lift(&report.groups, "red", "green");
                }
            }
            let probabilities: Option<Vec<Scored>> = preds
                .iter()
                .map(|(p, l)| {
                    p.probability.map(|score| Scored {
                        score,
                        positive: l.positive,
                    })
                })
                .collect();
            if let Some(probabilities) = probabilities {
                report.calibration = Some(
                    metrics::calibration(&probabilities, spec.calibration_bins)
                        .map_err(|e| metric_error(&c.name, e))?,
                );
            }
        }
        reports.push(report);
    }
    let per_account = spec.per_account.then(|| {
        rows.iter()
            .map(|r| AccountScores {
                account: r.account.clone(),
                outcome: r.label.positive,
                arr: r.label.arr,
                values: r.predictions.iter().map(|p| p.map(|p| p.value)).collect(),
                groups: r
                    .predictions
                    .iter()
                    .map(|p| p.and_then(|p| p.group).map(str::to_string))
                    .collect(),
            })
            .collect()
    });
    Ok(BacktestReport {
        tenant: tenant.into(),
        cutoff: window.cutoff,
        horizon_days: window.horizon_days,
        horizon_end: window.end(),
        outcome: spec.outcome,
        accounts: spec.accounts,
        conditions: spec.conditions.clone(),
        read: counts.read,
        left_out_churned: counts.churned_before,
        left_out_where: counts.failed_where,
        left_out_split: counts.outside_split,
        eligible: counts.eligible,
        compared: compared.len(),
        with_outcome,
        outcome_rate: with_outcome as f64 / compared.len() as f64,
        candidates: reports,
        warnings,
        per_account,
    })
}
