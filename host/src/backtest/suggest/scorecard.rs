//! (a) A `weighted-health` scorecard from a logistic fit: the candidate
//! measures, each turned into a 0-1 ramp between its 5th and 95th
//! percentiles, fitted with an L2 penalty chosen by cross-validation, then
//! written back as measures (ramp turned so that points mean less risk),
//! weights (shares of the coefficients) and band thresholds (where the
//! fitted probability crosses twice the training rate and the rate).

use super::{DroppedMeasure, FittedMeasure};
use crate::backtest::BacktestError;
use crate::backtest::fit::{self, LogisticFit, PenaltyScore, Rows};
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
/// plugin's documentation; unknown for a metric in neither).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Known {
    pub group: String,
    pub higher_is_better: Option<bool>,
}

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
                    },
                )
            })
            .collect(),
    }
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

/// A fitted scorecard.
pub(super) struct Scorecard {
    pub config: Value,
    pub measures: Vec<FittedMeasure>,
    pub dropped: Vec<DroppedMeasure>,
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
) -> Result<Scorecard, BacktestError> {
    let (names, rows) = (&training.names, training.bad.len());
    let mut columns: Vec<Column> = Vec::new();
    let mut dropped: Vec<DroppedMeasure> = Vec::new();
    let drop = |measure: &str, reason: String| DroppedMeasure {
        measure: measure.into(),
        reason,
    };
    for (j, name) in names.iter().enumerate() {
        let values = (0..rows).map(|i| training.raw[i * names.len() + j]);
        match column(name, values, rows) {
            Err(reason) => dropped.push(drop(name, reason)),
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
            let better = if known[&c.name].higher_is_better == Some(true) {
                "higher"
            } else {
                "lower"
            };
            dropped.push(drop(
                &c.name,
                format!("the fit gave it the other direction ({better} should be better): left out rather than turned"),
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
            dropped.push(drop(
                &c.name,
                format!(
                    "{:.1} % of the score (under {:.0} %)",
                    share * 100.0,
                    MIN_SHARE * 100.0
                ),
            ));
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
mod tests {
    use super::*;

    #[test]
    fn columns_ramp_between_percentiles_and_fill_blanks_with_the_mean() {
        let values: Vec<f64> = (0..=100).map(f64::from).chain([f64::NAN]).collect();
        let c = column("m", values.into_iter(), 102).unwrap();
        assert_eq!((c.lo, c.hi), (5.0, 95.0));
        assert_eq!(c.scaled[0], 0.0);
        assert_eq!(c.scaled[50], 0.5);
        assert_eq!(c.scaled[100], 1.0);
        assert!((c.scaled[101] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn sparse_and_constant_columns_are_refused_with_why() {
        let sparse = [1.0, f64::NAN, f64::NAN, f64::NAN];
        assert!(
            column("m", sparse.into_iter(), 4)
                .unwrap_err()
                .contains("25 %")
        );
        let flat = [3.0, 3.0, 3.0];
        assert!(
            column("m", flat.into_iter(), 3)
                .unwrap_err()
                .contains("same value (3)")
        );
        // Mostly zero: the percentiles agree, so the ramp spans min to max.
        let mut skewed = vec![0.0; 97];
        skewed.extend([1.0, 2.0, 4.0]);
        let c = column("m", skewed.into_iter(), 100).unwrap();
        assert_eq!((c.lo, c.hi), (0.0, 4.0));
    }

    #[test]
    fn rounding_keeps_ramps_readable() {
        assert_eq!(round_significant(6910.345, 4), 6910.0);
        assert_eq!(round_significant(19.6512, 4), 19.65);
        assert_eq!(round_significant(0.123456, 4), 0.1235);
        assert_eq!(round_to(-0.00001, 2), 0.0);
    }

    #[test]
    fn candidates_start_from_the_configuration_then_metrics_then_built_ins() {
        let metrics: BTreeSet<String> = ["zz".to_string(), "onboarding".to_string()].into();
        let (names, known) = candidate_measures(&json!({}), &metrics, "onboarding");
        assert_eq!(names[0], "licence-utilisation");
        assert_eq!(names[DEFAULT_MEASURES], "zz");
        assert_eq!(names.last().unwrap(), "tenure-days");
        assert!(!names.contains(&"onboarding".to_string()));
        assert_eq!(known["nps"].group, "feedback");
        assert_eq!(known["tickets-open"].higher_is_better, Some(false));
        let custom =
            json!({"measures": [{"measure": "nps", "group": "voice", "worst": 0, "best": 10}]});
        let (names, known) = candidate_measures(&custom, &BTreeSet::new(), "");
        assert_eq!(names[0], "nps");
        assert_eq!(known["nps"].group, "voice");
        assert_eq!(known["nps"].higher_is_better, Some(true));
    }

    /// 400 accounts: `risk` (0-100) drives the outcome, `noise` does not,
    /// `copy` is `risk` in other units, `sparse` is mostly blank.
    fn training() -> Training {
        let names = ["risk", "noise", "copy", "sparse"]
            .map(String::from)
            .to_vec();
        let (mut raw, mut bad) = (Vec::new(), Vec::new());
        for i in 0..400u32 {
            let risk = f64::from(i % 101);
            let noise = f64::from((i * 7919) % 13);
            let sparse = if i % 5 == 0 { 1.0 } else { f64::NAN };
            raw.extend([risk, noise, risk * 12.0, sparse]);
            // Churn mostly above 60, with a few exceptions either way.
            bad.push((risk > 60.0) ^ (i % 11 == 0));
        }
        Training { names, raw, bad }
    }

    #[test]
    fn the_scorecard_turns_risky_measures_and_sets_bands_at_the_fitted_rates() {
        let t = training();
        let s = fit_scorecard(
            &t,
            &BTreeMap::new(),
            &json!({"tiers": {"smb": {}}, "onboarding_days": 30}),
        )
        .unwrap();
        let reasons: BTreeMap<&str, &str> = s
            .dropped
            .iter()
            .map(|d| (d.measure.as_str(), d.reason.as_str()))
            .collect();
        assert!(reasons["copy"].contains("moves with risk"), "{reasons:?}");
        assert!(reasons["sparse"].contains("20 %"), "{reasons:?}");
        let risk = &s.measures[0];
        assert_eq!(risk.measure, "risk");
        // More risk, more churn: the ramp is turned, high values earn 0 points.
        assert!(risk.worst > risk.best, "{risk:?}");
        assert_eq!(risk.group, "metrics");
        assert!(risk.share > 0.8);
        // At the Red threshold the fitted probability is the Red rate: with
        // the measures kept at their value for that score.
        assert!(s.red_below < s.yellow_below);
        let config = &s.config;
        assert_eq!(config["onboarding_days"], 30);
        assert!(config.get("tiers").is_none() && s.had_tiers);
        assert_eq!(config["measures"][0]["measure"], "risk");
        assert_eq!(config["red_below"], s.red_below);
    }

    #[test]
    fn band_thresholds_sit_where_the_fitted_probability_crosses_the_rates() {
        // One measure: the score is 100 x its points, and its points are
        // 1 - ramp (the ramp is turned), so the fitted probability at a score
        // S is the fit's at ramp 1 - S / 100.
        let full = training();
        let t = Training {
            names: vec!["risk".into()],
            raw: full.raw.chunks(4).map(|r| r[0]).collect(),
            bad: full.bad,
        };
        let s = fit_scorecard(&t, &BTreeMap::new(), &json!({})).unwrap();
        assert_eq!(s.measures.len(), 1);
        let at = |score: f64| s.fit.probability(&[1.0 - score / 100.0]);
        // Thresholds are rounded to 0.1 points: allow that much slope.
        assert!(
            (at(s.red_below) - s.red_rate).abs() < 0.01,
            "{}",
            at(s.red_below)
        );
        assert!((at(s.yellow_below) - s.bad_rate).abs() < 0.01);
        assert!((s.bad_rate - t.bad.iter().filter(|b| **b).count() as f64 / 400.0).abs() < 1e-12);
        let b = s.bad_rate;
        assert!((s.red_rate - (2.0 * b).min((1.0 + b) / 2.0)).abs() < 1e-12);
    }

    #[test]
    fn a_measure_fitted_against_its_known_direction_is_left_out() {
        // The configuration says more `risk` is better; the data says the
        // opposite: `risk` is left out and the rest fitted again.
        let known: BTreeMap<String, Known> = [(
            "risk".to_string(),
            Known {
                group: "g".into(),
                higher_is_better: Some(true),
            },
        )]
        .into();
        let s = fit_scorecard(&training(), &known, &json!({})).unwrap();
        let risk = s.dropped.iter().find(|d| d.measure == "risk").unwrap();
        assert!(
            risk.reason
                .contains("other direction (higher should be better)"),
            "{risk:?}"
        );
        assert!(s.measures.iter().all(|m| m.measure != "risk"));
        assert_eq!(s.measures[0].measure, "noise");
    }

    #[test]
    fn a_single_class_cannot_be_fitted() {
        let mut t = training();
        t.bad.iter_mut().for_each(|y| *y = false);
        assert!(matches!(
            fit_scorecard(&t, &BTreeMap::new(), &json!({})),
            Err(BacktestError::SingleClass(_))
        ));
    }
}
