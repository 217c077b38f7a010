//! (a) A `weighted-health` scorecard from a logistic fit: the candidate
//! measures, each turned into a 0-1 ramp between its 5th and 95th
//! percentiles, fitted with an L2 penalty chosen by cross-validation, then
//! written back as measures (ramp turned so that points mean less risk),
//! weights (shares of the coefficients) and band thresholds (where the
//! fitted probability crosses twice the training rate and the rate).

use super::{DroppedMeasure, FittedMeasure};
use crate::backtest::BacktestError;
use crate::backtest::fit::{self, LogisticFit, PenaltyScore, Rows};
use crate::backtest::leaks::{LEAK_MEASURE_AUC, own_auc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The measures of `weighted-health`'s default configuration (the first
/// twelve) and its other built-in measures, from the plugin's
/// documentation, with their groups and whether a higher value is better.
const WEIGHTED_HEALTH_MEASURES: &[(&str, &str, bool)] = &[
    ("licence-utilisation", "usage", true),
    ("logins-per-seat", "usage", true),
    ("feature-breadth", "usage", true),
    ("webinars-attended", "engagement", true),
    ("community-posts", "engagement", true),
    ("tickets-open", "support", false),
    ("tickets-high-severity", "support", false),
    ("nps", "feedback", true),
    ("csat", "feedback", true),
    ("champion-left", "account-changes", false),
    ("late-payments", "account-changes", false),
    ("arr-change-90d", "account-changes", true),
    ("logins-change-90d", "usage", true),
    ("tenure-days", "account-changes", true),
];
const DEFAULT_MEASURES: usize = 12;
/// The group of a fitted metric that is in no group yet.
const METRICS_GROUP: &str = "metrics";
/// Penalties tried by cross-validation (on the summed log-likelihood, with
/// every feature scaled to 0-1).
const PENALTIES: &[f64] = &[0.01, 0.1, 1.0, 10.0, 100.0, 1000.0];
/// Folds of the cross-validation.
pub(super) const FOLDS: usize = 5;
/// A measure blank for more training accounts than this is left out:
/// renormalising over the measures present would judge too many on less.
const MIN_COVERAGE: f64 = 0.5;
/// A measure this correlated with one already in is the same signal twice.
const MAX_CORRELATION: f64 = 0.98;
/// Measures carrying less of the score than this are left out for readability.
const MIN_SHARE: f64 = 0.01;

pub(super) fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f + 0.0
}

/// Rounds to `digits` significant digits: ramps stay readable.
fn round_significant(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let magnitude = v.abs().log10().floor() as i32;
    round_to(v, (digits - 1 - magnitude).max(0))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        return 0.0;
    }
    sab / (saa * sbb).sqrt()
}

/// What is known of a measure before the fit: its group, and whether a
/// higher value is better (the current configuration's ramp, else the
/// plugin's documentation; unknown for a metric in neither), and which of
/// the two says so.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Known {
    pub group: String,
    pub higher_is_better: Option<bool>,
    pub source: &'static str,
}

const FROM_CONFIGURATION: &str = "the current configuration";
const FROM_DOCUMENTATION: &str = "weighted-health's documentation";

/// The measures a configuration lists, in order, with what it says of
/// them (the plugin's defaults when it lists none).
fn configured_measures(config: &Value) -> Vec<(String, Known)> {
    match config.get("measures").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(|m| {
                let (worst, best) = (m.get("worst")?.as_f64()?, m.get("best")?.as_f64()?);
                Some((
                    m.get("measure")?.as_str()?.to_string(),
                    Known {
                        group: m.get("group")?.as_str()?.to_string(),
                        higher_is_better: (best != worst).then_some(best > worst),
                        source: FROM_CONFIGURATION,
                    },
                ))
            })
            .collect(),
        None => WEIGHTED_HEALTH_MEASURES[..DEFAULT_MEASURES]
            .iter()
            .map(|(m, g, up)| {
                (
                    m.to_string(),
                    Known {
                        group: g.to_string(),
                        higher_is_better: Some(*up),
                        source: FROM_DOCUMENTATION,
                    },
                )
            })
            .collect(),
    }
}

/// The measures the current configuration lists itself (none when it
/// keeps the plugin's defaults: a default measure the data lacks is no
/// choice of the tenant's, and not worth a line of its own).
pub(super) fn listed_measures(current: &Value) -> BTreeSet<String> {
    if current.get("measures").is_none() {
        return BTreeSet::new();
    }
    configured_measures(current)
        .into_iter()
        .map(|(m, _)| m)
        .collect()
}

/// The measures to try, in order (configured, then the tenant's metrics,
/// then the other built-ins), and what is known of each.
pub(super) fn candidate_measures(
    current: &Value,
    metrics: &BTreeSet<String>,
    onboarding_metric: &str,
) -> (Vec<String>, BTreeMap<String, Known>) {
    let mut known: BTreeMap<String, Known> = WEIGHTED_HEALTH_MEASURES
        .iter()
        .map(|(m, g, up)| {
            let k = Known {
                group: g.to_string(),
                higher_is_better: Some(*up),
                source: FROM_DOCUMENTATION,
            };
            (m.to_string(), k)
        })
        .collect();
    let mut names = Vec::new();
    for (m, k) in configured_measures(current) {
        known.insert(m.clone(), k);
        names.push(m);
    }
    names.extend(metrics.iter().cloned());
    names.extend(
        WEIGHTED_HEALTH_MEASURES
            .iter()
            .map(|(m, _, _)| m.to_string()),
    );
    let mut seen = BTreeSet::new();
    names.retain(|n| n != onboarding_metric && seen.insert(n.clone()));
    (names, known)
}

/// A configuration under which `weighted-health` reports every measure's
/// raw value in its factors, in order: one group, no onboarding, no tiers.
pub(super) fn probe_config(names: &[String]) -> String {
    json!({
        "red_below": 0.0,
        "yellow_below": 0.0,
        "groups": {"probe": 1.0},
        "measures": names
            .iter()
            .map(|m| json!({"measure": m, "group": "probe", "weight": 1.0, "worst": 0.0, "best": 1.0}))
            .collect::<Vec<_>>(),
        // No account is young enough to be scored on onboarding alone.
        "onboarding_days": i32::MIN,
        "tiers": {},
    })
    .to_string()
}

/// One candidate measure's training column, ready to fit.
#[derive(Debug)]
struct Column {
    name: String,
    coverage: f64,
    lo: f64,
    hi: f64,
    /// The ramp value per training account, blanks at the column's mean.
    scaled: Vec<f64>,
}

fn column(name: &str, raw: impl Iterator<Item = f64>, rows: usize) -> Result<Column, String> {
    let values: Vec<f64> = raw.collect();
    let mut present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let coverage = present.len() as f64 / rows.max(1) as f64;
    if coverage < MIN_COVERAGE {
        return Err(format!(
            "has a value for {:.0} % of training accounts (at least {:.0} % needed)",
            coverage * 100.0,
            MIN_COVERAGE * 100.0
        ));
    }
    present.sort_by(f64::total_cmp);
    let (mut lo, mut hi) = (quantile(&present, 0.05), quantile(&present, 0.95));
    if lo == hi {
        (lo, hi) = (present[0], present[present.len() - 1]);
    }
    let (lo, hi) = (round_significant(lo, 4), round_significant(hi, 4));
    if lo >= hi {
        return Err(format!(
            "has the same value ({lo}) for every training account"
        ));
    }
    let ramp = |v: f64| ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let mean = present.iter().map(|v| ramp(*v)).sum::<f64>() / present.len() as f64;
    Ok(Column {
        name: name.into(),
        coverage,
        lo,
        hi,
        scaled: values
            .iter()
            .map(|v| if v.is_nan() { mean } else { ramp(*v) })
            .collect(),
    })
}

/// The training data: each account's raw value per measure (NaN when
/// blank), row-major, and whether it fell on the bad side.
pub(super) struct Training {
    pub names: Vec<String>,
    pub raw: Vec<f64>,
    pub bad: Vec<bool>,
}

/// How to fit: which measures the tenant listed, and whether a measure
/// that alone ranks the outcome past the leak line may be weighted.
pub(super) struct FitOptions<'a> {
    /// The measures of the current configuration: the others are only
    /// tried, and a tried one with no value at all is not worth a line.
    pub listed: &'a BTreeSet<String>,
    /// Weight likely leaks too (`--allow-leaks`).
    pub allow_leaks: bool,
}

/// A fitted scorecard.
pub(super) struct Scorecard {
    pub config: Value,
    pub measures: Vec<FittedMeasure>,
    pub dropped: Vec<DroppedMeasure>,
    /// Measures only tried (not listed) that no training account has.
    pub without_values: Vec<String>,
    /// Likely leaks, (measure, its own ROC-AUC on the training accounts):
    /// left out, or kept when allowed.
    pub leaks: Vec<(String, f64)>,
    pub fit: LogisticFit,
    pub cross_validation: Vec<PenaltyScore>,
    pub red_below: f64,
    pub yellow_below: f64,
    /// Fitted probability of the bad side at `red_below`.
    pub red_rate: f64,
    /// Share of training accounts on the bad side (at `yellow_below`).
    pub bad_rate: f64,
    /// The current configuration had per-tier overrides (left out).
    pub had_tiers: bool,
}

/// Why a measure with a small share is left out. Truncated, not rounded:
/// 0.98 % must not read "1.0 % (under 1 %)".
fn small_share(share: f64) -> String {
    format!(
        "{:.2} % of the score (under {:.0} %)",
        (share * 10_000.0).floor() / 100.0,
        MIN_SHARE * 100.0
    )
}

/// The cross-validated fit of the columns.
fn fit_columns(
    columns: &[Column],
    bad: &[bool],
) -> Result<(LogisticFit, Vec<PenaltyScore>), BacktestError> {
    let x = Rows {
        width: columns.len(),
        values: (0..bad.len())
            .flat_map(|i| columns.iter().map(move |c| c.scaled[i]))
            .collect(),
    };
    fit::fit_cross_validated(&x, bad, PENALTIES, FOLDS).map_err(|e| match e {
        fit::FitError::SingleClass { .. } => BacktestError::SingleClass(format!(
            "the training accounts cannot be fitted: {e}; choose another cut-off, horizon or outcome"
        )),
        other => BacktestError::Fit(other.to_string()),
    })
}

/// Builds the columns (present, varying, not a copy of another), fits them
/// and writes the scorecard over the `current` configuration.
pub(super) fn fit_scorecard(
    training: &Training,
    known: &BTreeMap<String, Known>,
    current: &Value,
    options: &FitOptions<'_>,
) -> Result<Scorecard, BacktestError> {
    let (names, rows) = (&training.names, training.bad.len());
    let mut columns: Vec<Column> = Vec::new();
    let mut dropped: Vec<DroppedMeasure> = Vec::new();
    let mut without_values = Vec::new();
    let mut leaks = Vec::new();
    let drop = |measure: &str, reason: String| DroppedMeasure {
        measure: measure.into(),
        reason,
    };
    for (j, name) in names.iter().enumerate() {
        let values = (0..rows).map(|i| training.raw[i * names.len() + j]);
        let own = own_auc(values.clone().zip(training.bad.iter().copied()));
        match column(name, values, rows) {
            Err(_)
                if !options.listed.contains(name)
                    && (0..rows).all(|i| training.raw[i * names.len() + j].is_nan()) =>
            {
                without_values.push(name.clone());
            }
            Err(reason) => dropped.push(drop(name, reason)),
            Ok(c) if own.is_some_and(|(auc, _)| auc > LEAK_MEASURE_AUC) => {
                let auc = own.expect("checked").0;
                leaks.push((name.clone(), auc));
                if options.allow_leaks {
                    columns.push(c);
                } else {
                    dropped.push(drop(
                        name,
                        format!(
                            "alone ranks the outcome at ROC-AUC {auc:.3} on the training accounts (above {LEAK_MEASURE_AUC}): most likely recorded with or after it, a leak; left out (allow leaks to weight it)"
                        ),
                    ));
                }
            }
            Ok(c) => match columns
                .iter()
                .map(|k| (k, correlation(&k.scaled, &c.scaled)))
                .find(|(_, r)| r.abs() > MAX_CORRELATION)
            {
                Some((k, r)) => dropped.push(drop(
                    name,
                    format!(
                        "moves with {} (correlation {r:.3}): the same signal twice",
                        k.name
                    ),
                )),
                None => columns.push(c),
            },
        }
    }
    // Fit; a measure the fit turns against its known direction (more
    // tickets earning points: usually a correlated measure taking its
    // place) is left out and the rest fitted again, so that the scorecard
    // reads as what it means.
    let (fitted, cross_validation) = loop {
        if columns.is_empty() {
            return Err(BacktestError::NoAccounts(
                "no measure has values for enough training accounts to fit".into(),
            ));
        }
        let (fitted, cross_validation) = fit_columns(&columns, &training.bad)?;
        let mut conflicting = Vec::new();
        for (j, (c, &beta)) in columns.iter().zip(&fitted.coefficients).enumerate() {
            // A positive coefficient: a higher value is more risk.
            let expected = known.get(&c.name).and_then(|k| k.higher_is_better);
            if expected.is_some_and(|up| (beta > 0.0) == up && beta != 0.0) {
                conflicting.push(j);
            }
        }
        if conflicting.is_empty() {
            break (fitted, cross_validation);
        }
        for j in conflicting.into_iter().rev() {
            let c = columns.remove(j);
            let k = &known[&c.name];
            let (better, worse) = if k.higher_is_better == Some(true) {
                ("higher", "lower")
            } else {
                ("lower", "higher")
            };
            dropped.push(drop(
                &c.name,
                format!(
                    "{} counts {better} values as better, yet on the training accounts {worse} values went with less risk: left out rather than turned around",
                    k.source
                ),
            ));
        }
    };
    let total: f64 = fitted.coefficients.iter().map(|c| c.abs()).sum();
    if total <= 0.0 {
        return Err(BacktestError::Fit("no measure carries any signal".into()));
    }

    // Log-odds L = offset - kept_total x S / 100 for the score S: a measure
    // with a positive coefficient is turned (points = 1 - ramp), which moves
    // its coefficient into the offset; a measure left out for its small
    // share stays in the offset at its mean.
    let mut offset = fitted.intercept;
    let mut kept: Vec<(&Column, f64)> = Vec::new();
    for (c, &beta) in columns.iter().zip(&fitted.coefficients) {
        let share = beta.abs() / total;
        if share < MIN_SHARE {
            offset += beta * c.scaled.iter().sum::<f64>() / rows as f64;
            dropped.push(drop(&c.name, small_share(share)));
        } else {
            offset += beta.max(0.0);
            kept.push((c, beta));
        }
    }
    let kept_total: f64 = kept.iter().map(|(_, b)| b.abs()).sum();
    let mut measures: Vec<FittedMeasure> = kept
        .iter()
        .map(|&(c, beta)| {
            let (worst, best) = if beta > 0.0 {
                (c.hi, c.lo)
            } else {
                (c.lo, c.hi)
            };
            FittedMeasure {
                measure: c.name.clone(),
                group: known
                    .get(&c.name)
                    .map_or_else(|| METRICS_GROUP.to_string(), |k| k.group.clone()),
                coverage: round_to(c.coverage, 4),
                worst,
                best,
                coefficient: -beta.abs(),
                share: beta.abs() / kept_total,
            }
        })
        .collect();
    measures.sort_by(|a, b| b.share.total_cmp(&a.share));
    let score_at = |p: f64| {
        round_to(
            (100.0 * (offset - (p / (1.0 - p)).ln()) / kept_total).clamp(0.0, 100.0),
            1,
        )
    };
    let bad_rate = training.bad.iter().filter(|y| **y).count() as f64 / rows as f64;
    let red_rate = (2.0 * bad_rate).min((1.0 + bad_rate) / 2.0);
    let (red_below, yellow_below) = (score_at(red_rate), score_at(bad_rate));
    let mut group_weights: BTreeMap<String, f64> = BTreeMap::new();
    for m in &measures {
        *group_weights.entry(m.group.clone()).or_default() += m.share;
    }
    let mut config = match current.clone() {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let had_tiers = config
        .remove("tiers")
        .is_some_and(|t| t.as_object().is_some_and(|o| !o.is_empty()));
    config.insert("red_below".into(), json!(red_below));
    config.insert("yellow_below".into(), json!(yellow_below));
    let rounded: BTreeMap<&String, f64> = group_weights
        .iter()
        .map(|(g, w)| (g, round_to(*w, 4)))
        .collect();
    config.insert("groups".into(), json!(rounded));
    let listed: Vec<Value> = measures
        .iter()
        .map(|m| {
            json!({
                "measure": m.measure,
                "group": m.group,
                "weight": round_to(m.share / group_weights[&m.group], 4),
                "worst": m.worst,
                "best": m.best,
            })
        })
        .collect();
    config.insert("measures".into(), Value::Array(listed));
    Ok(Scorecard {
        config: Value::Object(config),
        measures,
        dropped,
        without_values,
        leaks,
        fit: fitted,
        cross_validation,
        red_below,
        yellow_below,
        red_rate,
        bad_rate,
        had_tiers,
    })
}

#[cfg(test)]
#[path = "scorecard_tests.rs"]
mod tests;
