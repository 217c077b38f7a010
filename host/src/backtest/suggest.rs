//! Calibration from a tenant's own history, on a training split:
//! (a) `weighted-health` measures and weights from a regularised logistic
//! fit, written as a readable scorecard configuration; (b) `renewal-forecast`
//! probabilities per band from the observed renewal rates. Each suggestion
//! is judged by a backtest on the held-out accounts beside the current
//! configuration. Nothing is stored or activated.

use super::fit::{self, PenaltyScore, Rows};
use super::scan::{self, HealthFeed, Window};
use super::score::{self, active_health, resolve};
use super::spec::{AccountFilter, BacktestSpec, Candidate, SuggestSpec, held_out};
use super::{BacktestError, BacktestReport};
use crate::model::OutcomeKind;
use crate::runtime::types::{Band, Confidence};
use crate::runtime::{Output, PluginKind, RunOptions, Runtime};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The measures of `weighted-health`'s default configuration and its other
/// built-in measures (from the plugin's documentation), with their groups:
/// the fit considers them all, with the free-form metrics the tenant sends.
const WEIGHTED_HEALTH_MEASURES: &[(&str, &str)] = &[
    ("licence-utilisation", "usage"),
    ("logins-per-seat", "usage"),
    ("feature-breadth", "usage"),
    ("webinars-attended", "engagement"),
    ("community-posts", "engagement"),
    ("tickets-open", "support"),
    ("tickets-high-severity", "support"),
    ("nps", "feedback"),
    ("csat", "feedback"),
    ("champion-left", "account-changes"),
    ("late-payments", "account-changes"),
    ("arr-change-90d", "account-changes"),
    ("logins-change-90d", "usage"),
    ("tenure-days", "account-changes"),
];
/// The group of a fitted metric that is in no group yet.
const METRICS_GROUP: &str = "metrics";
/// Penalties tried by cross-validation (on the summed log-likelihood, with
/// every feature scaled to 0-1).
const PENALTIES: &[f64] = &[0.1, 1.0, 10.0, 100.0, 1000.0];
const FOLDS: usize = 5;
/// A measure blank for more training accounts than this is left out:
/// renormalising over the measures present would judge too many on less.
const MIN_COVERAGE: f64 = 0.5;
/// A measure this correlated with one already in is the same signal twice.
const MAX_CORRELATION: f64 = 0.98;
/// Measures carrying less of the score than this are left out for readability.
const MIN_SHARE: f64 = 0.01;
/// Training accounts fitted at most (a deterministic sample above it):
/// the fit's cost grows with rows x features^2.
const MAX_FIT_ROWS: usize = 200_000;
/// A band needs this many training accounts for its rate to be suggested.
const MIN_BAND_ACCOUNTS: usize = 20;

/// What `--suggest` proposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// (a) The `weighted-health` scorecard.
    pub weighted_health: HealthSuggestion,
    /// (b) `renewal-forecast` probabilities, when the tenant runs it.
    pub renewal_forecast: Option<ForecastSuggestion>,
    /// How the suggestions were made, in words.
    pub notes: Vec<String>,
}

/// A fitted `weighted-health` configuration and its judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthSuggestion {
    /// Plugin name.
    pub plugin: String,
    /// The version fitted for.
    pub version: String,
    /// The suggested configuration.
    pub config: Value,
    /// The measures kept, largest share first.
    pub measures: Vec<FittedMeasure>,
    /// The measures considered and left out, with why.
    pub dropped: Vec<DroppedMeasure>,
    /// The fit's intercept (log-odds of the outcome with every measure at 0).
    pub intercept: f64,
    /// The penalty chosen by cross-validation.
    pub penalty: f64,
    /// Each penalty's held-out deviance in cross-validation.
    pub cross_validation: Vec<PenaltyScore>,
    /// Training accounts fitted.
    pub training_accounts: usize,
    /// Of which had the outcome.
    pub training_with_outcome: usize,
    /// The backtest on the held-out accounts: current, then suggested.
    pub held_out: BacktestReport,
}

/// One measure of the fitted scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedMeasure {
    /// Measure name.
    pub measure: String,
    /// Its group in the configuration.
    pub group: String,
    /// Share of training accounts with a value.
    pub coverage: f64,
    /// Value earning 0 points.
    pub worst: f64,
    /// Value earning 100 points.
    pub best: f64,
    /// Fitted coefficient on the 0-1 ramp from `worst` to `best`, in
    /// log-odds of the outcome (negative: more points, less likely).
    pub coefficient: f64,
    /// Its share of the score (0-1).
    pub share: f64,
}

/// A measure left out of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedMeasure {
    /// Measure name.
    pub measure: String,
    /// Why.
    pub reason: String,
}

/// Suggested `renewal-forecast` probabilities and their judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastSuggestion {
    /// Plugin name.
    pub plugin: String,
    /// Its active version.
    pub version: String,
    /// The suggested configuration.
    pub config: Value,
    /// Observed renewal per band on the training accounts.
    pub bands: Vec<ObservedBand>,
    /// The backtest on the held-out accounts (churned): current, then suggested.
    pub held_out: Option<BacktestReport>,
    /// Why there is no held-out backtest, when there is none.
    pub held_out_error: Option<String>,
}

/// Renewal observed in one band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservedBand {
    /// `green`, `yellow`, `red` or `unscored` (no health score).
    pub band: String,
    /// Training accounts in the band (committed and omitted renewals aside).
    pub accounts: usize,
    /// Of which churned inside the horizon.
    pub churned: usize,
    /// The suggested probability: `(accounts - churned + 1) / (accounts + 2)`,
    /// or the current one when the band has too few accounts.
    pub suggested: f64,
    /// The current configuration's probability.
    pub current: f64,
}

fn round_to(v: f64, decimals: i32) -> f64 {
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

/// The measures a configuration lists, in order, with their groups.
fn configured_measures(config: &Value) -> Vec<(String, String)> {
    match config.get("measures").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(|m| {
                Some((
                    m.get("measure")?.as_str()?.to_string(),
                    m.get("group")?.as_str()?.to_string(),
                ))
            })
            .collect(),
        // The plugin's default measures: the first twelve of the table.
        None => WEIGHTED_HEALTH_MEASURES[..12]
            .iter()
            .map(|(m, g)| (m.to_string(), g.to_string()))
            .collect(),
    }
}

/// A configuration value, else the default the plugin's schema declares.
fn setting(config: &Value, schema: &str, key: &str) -> Option<Value> {
    config.get(key).cloned().or_else(|| {
        serde_json::from_str::<Value>(schema)
            .ok()?
            .get("properties")?
            .get(key)?
            .get("default")
            .cloned()
    })
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

/// What the first pass over the training accounts learns.
#[derive(Default)]
struct FirstPass {
    metrics: BTreeSet<String>,
    /// Per band (and `unscored`): accounts, churned.
    bands: BTreeMap<&'static str, (usize, usize)>,
}

/// Proposes configurations from the tenant's outcomes (see the module doc).
pub fn suggest(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    spec: &SuggestSpec,
) -> Result<Suggestion, BacktestError> {
    if !(spec.holdout > 0.0 && spec.holdout < 1.0) {
        return Err(BacktestError::Invalid(format!(
            "holdout must be between 0 and 1 (exclusive), got {}",
            spec.holdout
        )));
    }
    if spec.horizon_days < 1 {
        return Err(BacktestError::Invalid(format!(
            "horizon_days must be at least 1, got {}",
            spec.horizon_days
        )));
    }
    store.tenant(tenant)?;
    let health_candidate = match &spec.health {
        Some(c) => c.clone(),
        None => active_health(store, tenant)?,
    };
    let health = resolve(store, rt, tenant, &health_candidate)?;
    if health.name != "weighted-health" || health.kind != PluginKind::HealthModel {
        return Err(BacktestError::Invalid(format!(
            "--suggest fits the configuration of weighted-health; {} is {} ({})",
            health.name, health.version, health.kind
        )));
    }
    let current: Value = serde_json::from_str(&health.config).unwrap_or_else(|_| json!({}));
    let forecast = store
        .active_plugins(tenant)?
        .into_iter()
        .find(|p| p.plugin.name == "renewal-forecast" && p.plugin.kind == PluginKind::Forecaster);
    let limits = crate::scoring::tenant_limits(store, rt, tenant)?;
    let training = Window {
        cutoff: spec.cutoff,
        horizon_days: spec.horizon_days,
        outcome: spec.outcome,
        history_days: spec.history_days,
        filter: AccountFilter::Training {
            fraction: spec.holdout,
            seed: spec.seed,
        },
    };
    let onboarding_metric = setting(
        &current,
        &health.plugin.metadata.config_schema,
        "onboarding_metric",
    )
    .and_then(|v| v.as_str().map(str::to_string))
    .unwrap_or_default();

    // Pass 1: the metrics the accounts carry, and renewal per health band.
    let feed = HealthFeed::active(store, rt, tenant, forecast.is_some())?;
    let mut first = FirstPass::default();
    let counts = scan::scan(
        store,
        rt,
        tenant,
        &training,
        &limits,
        feed.as_ref(),
        |accounts, labels| {
            for (a, l) in accounts.iter().zip(labels) {
                for m in &a.current.metrics {
                    if m.name != onboarding_metric && !first.metrics.contains(&m.name) {
                        first.metrics.insert(m.name.clone());
                    }
                }
                if matches!(
                    a.attributes.renewal_confidence,
                    Some(Confidence::Commit | Confidence::Omitted)
                ) {
                    continue;
                }
                let band = match a.health.last().filter(|h| h.as_of == spec.cutoff) {
                    Some(h) => match h.band {
                        Band::Green => "green",
                        Band::Yellow => "yellow",
                        Band::Red => "red",
                    },
                    None => "unscored",
                };
                let e = first.bands.entry(band).or_default();
                e.0 += 1;
                e.1 += usize::from(l.churned);
            }
            Ok(())
        },
    )?;
    if counts.eligible == 0 {
        return Err(BacktestError::NoAccounts(format!(
            "no training account: {} accounts have a snapshot by the cut-off, {} had churned, {} are held out",
            counts.read, counts.churned_before, counts.outside_split
        )));
    }

    // Pass 2: every candidate measure's value, as the plugin itself reads it.
    let mut names: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, String> = BTreeMap::new();
    for (m, g) in configured_measures(&current) {
        groups.entry(m.clone()).or_insert(g);
        names.push(m);
    }
    names.extend(first.metrics.iter().cloned());
    names.extend(WEIGHTED_HEALTH_MEASURES.iter().map(|(m, _)| m.to_string()));
    let mut seen = BTreeSet::new();
    names.retain(|n| *n != onboarding_metric && seen.insert(n.clone()));
    let probe = json!({
        "red_below": 0.0,
        "yellow_below": 0.0,
        "groups": {"probe": 1.0},
        "measures": names.iter().map(|m| json!({"measure": m, "group": "probe", "weight": 1.0, "worst": 0.0, "best": 1.0})).collect::<Vec<_>>(),
        // No account is young enough to be scored on onboarding alone.
        "onboarding_days": i32::MIN,
        "tiers": {},
    })
    .to_string();
    let sample = (MAX_FIT_ROWS as f64 / counts.eligible as f64).min(1.0);
    let mut raw: Vec<f64> = Vec::new();
    let mut outcome: Vec<bool> = Vec::new();
    let bad_outcome = matches!(spec.outcome, OutcomeKind::Churned | OutcomeKind::Contracted);
    scan::scan(
        store,
        rt,
        tenant,
        &training,
        &limits,
        None,
        |accounts, labels| {
            let picked: Vec<usize> = (0..accounts.len())
                .filter(|&i| sample >= 1.0 || held_out(&accounts[i].id, sample, spec.seed ^ 0x5eed))
                .collect();
            let batch: Vec<_> = picked.iter().map(|&i| accounts[i].clone()).collect();
            let out = rt
                .run(
                    &health.plugin,
                    &limits,
                    &probe,
                    spec.cutoff,
                    &batch,
                    RunOptions::default(),
                )
                .map_err(|error| BacktestError::Plugin {
                    plugin: health.name.clone(),
                    error,
                })?;
            for (&i, r) in picked.iter().zip(out.results) {
                match r {
                    Ok(Output::Health(h)) => {
                        raw.extend(h.factors.iter().map(|f| f.value.unwrap_or(f64::NAN)));
                    }
                    // No measure has a value: every column is blank.
                    Err(crate::runtime::PluginError::Returned { code, .. })
                        if code == "missing-data" =>
                    {
                        raw.extend(std::iter::repeat_n(f64::NAN, names.len()));
                    }
                    _ => continue,
                }
                // The fit predicts the bad side: churn, contraction, or the
                // absence of renewal or expansion.
                outcome.push(labels[i].positive == bad_outcome);
            }
            Ok(())
        },
    )?;
    let rows = outcome.len();
    if raw.len() != rows * names.len() {
        return Err(BacktestError::Fit(format!(
            "the probe returned {} values for {rows} accounts of {} measures",
            raw.len(),
            names.len()
        )));
    }

    // The columns: present often enough, varying, not a copy of another.
    let mut columns: Vec<Column> = Vec::new();
    let mut dropped: Vec<DroppedMeasure> = Vec::new();
    for (j, name) in names.iter().enumerate() {
        let built = column(name, (0..rows).map(|i| raw[i * names.len() + j]), rows);
        match built {
            Err(reason) => dropped.push(DroppedMeasure {
                measure: name.clone(),
                reason,
            }),
            Ok(c) => match columns
                .iter()
                .map(|k| (k, correlation(&k.scaled, &c.scaled)))
                .find(|(_, r)| r.abs() > MAX_CORRELATION)
            {
                Some((k, r)) => dropped.push(DroppedMeasure {
                    measure: name.clone(),
                    reason: format!(
                        "moves with {} (correlation {r:.3}): the same signal twice",
                        k.name
                    ),
                }),
                None => columns.push(c),
            },
        }
    }
    if columns.is_empty() {
        return Err(BacktestError::NoAccounts(
            "no measure has values for enough training accounts to fit".into(),
        ));
    }
    let x = Rows {
        width: columns.len(),
        values: (0..rows)
            .flat_map(|i| columns.iter().map(move |c| c.scaled[i]))
            .collect(),
    };
    let (fitted, cross_validation) =
        fit::fit_cross_validated(&x, &outcome, PENALTIES, FOLDS).map_err(|e| match e {
            fit::FitError::SingleClass { .. } => BacktestError::SingleClass(format!(
                "the training accounts cannot be fitted: {e}; choose another cut-off, horizon or outcome"
            )),
            other => BacktestError::Fit(other.to_string()),
        })?;
    let training_with_outcome = outcome.iter().filter(|y| **y == bad_outcome).count();
    let bad_rate = outcome.iter().filter(|y| **y).count() as f64 / rows as f64;

    // The scorecard: each measure's ramp turned so that points mean less
    // risk, its share of the score |coefficient| / sum |coefficients|.
    let total: f64 = fitted.coefficients.iter().map(|c| c.abs()).sum();
    if total <= 0.0 {
        return Err(BacktestError::Fit("no measure carries any signal".into()));
    }
    let mut offset = fitted.intercept;
    let mut kept: Vec<(usize, f64)> = Vec::new();
    for (j, &beta) in fitted.coefficients.iter().enumerate() {
        let share = beta.abs() / total;
        if share < MIN_SHARE {
            let c = &columns[j];
            offset += beta * c.scaled.iter().sum::<f64>() / rows as f64;
            dropped.push(DroppedMeasure {
                measure: c.name.clone(),
                reason: format!(
                    "{:.1} % of the score (under {:.0} %)",
                    share * 100.0,
                    MIN_SHARE * 100.0
                ),
            });
        } else {
            kept.push((j, beta));
        }
    }
    let kept_total: f64 = kept.iter().map(|(_, b)| b.abs()).sum();
    let mut measures: Vec<FittedMeasure> = kept
        .iter()
        .map(|&(j, beta)| {
            let c = &columns[j];
            if beta > 0.0 {
                offset += beta;
            }
            let (worst, best) = if beta > 0.0 {
                (c.hi, c.lo)
            } else {
                (c.lo, c.hi)
            };
            let group = groups.get(&c.name).cloned().unwrap_or_else(|| {
                WEIGHTED_HEALTH_MEASURES
                    .iter()
                    .find(|(m, _)| *m == c.name)
                    .map_or(METRICS_GROUP.to_string(), |(_, g)| g.to_string())
            });
            FittedMeasure {
                measure: c.name.clone(),
                group,
                coverage: round_to(c.coverage, 4),
                worst,
                best,
                // On the ramp from worst to best: more points, less risk.
                coefficient: -beta.abs(),
                share: beta.abs() / kept_total,
            }
        })
        .collect();
    measures.sort_by(|a, b| b.share.total_cmp(&a.share));
    // Score S (0-100) and the fitted log-odds L: L = offset - kept_total x S / 100.
    let score_at = |p: f64| {
        round_to(
            (100.0 * (offset - (p / (1.0 - p)).ln()) / kept_total).clamp(0.0, 100.0),
            1,
        )
    };
    let red_p = (2.0 * bad_rate).min((1.0 + bad_rate) / 2.0);
    let (red_below, yellow_below) = (score_at(red_p), score_at(bad_rate));
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
    config.insert(
        "groups".into(),
        json!(
            group_weights
                .iter()
                .map(|(g, w)| (g.clone(), round_to(*w, 4)))
                .collect::<BTreeMap<_, _>>()
        ),
    );
    config.insert(
        "measures".into(),
        Value::Array(
            measures
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
                .collect(),
        ),
    );
    let config = Value::Object(config);

    let mut notes = vec![
        format!(
            "fitted on {rows} training accounts ({training_with_outcome} {} within {} days of {}), judged on the held-out {:.0} % (split seed {})",
            spec.outcome.as_str(),
            spec.horizon_days,
            vitals_plugin_sdk::date::format(spec.cutoff),
            spec.holdout * 100.0,
            spec.seed
        ),
        format!(
            "each measure is a ramp from its 5th to its 95th percentile on the training accounts, turned so that points mean less risk; its weight is its share of the fitted coefficients (L2 penalty {} chosen by {FOLDS}-fold cross-validation)",
            fitted.lambda
        ),
        format!(
            "bands: Red below {red_below}, where the fitted probability of the {} side reaches {:.1} % (twice the training rate, {:.1} %); Yellow below {yellow_below}, where it reaches the training rate",
            if bad_outcome {
                spec.outcome.as_str().to_string()
            } else {
                format!("not-{}", spec.outcome.as_str())
            },
            red_p * 100.0,
            bad_rate * 100.0
        ),
    ];
    if had_tiers {
        notes.push(
            "the current per-tier overrides are left out: the fit is one scorecard for every tier"
                .into(),
        );
    }
    if sample < 1.0 {
        notes.push(format!(
            "the fit used a deterministic sample of {rows} of the {} training accounts",
            counts.eligible
        ));
    }
    let held_out_filter = AccountFilter::HeldOut {
        fraction: spec.holdout,
        seed: spec.seed,
    };
    let judge = |candidates: Vec<Candidate>, outcome: OutcomeKind| {
        score::run(
            store,
            rt,
            tenant,
            &BacktestSpec {
                cutoff: spec.cutoff,
                horizon_days: spec.horizon_days,
                outcome,
                candidates,
                history_days: spec.history_days,
                calibration_bins: 10,
                accounts: held_out_filter,
                per_account: false,
            },
        )
    };
    let pinned = |plugin: &str, version: &str, config: Option<Value>, label: &str| Candidate {
        plugin: plugin.into(),
        version: Some(version.into()),
        config,
        label: Some(label.into()),
    };
    let held_out = judge(
        vec![
            pinned(
                &health.name,
                &health.version,
                Some(current.clone()),
                "current",
            ),
            pinned(
                &health.name,
                &health.version,
                Some(config.clone()),
                "suggested",
            ),
        ],
        spec.outcome,
    )?;
    let weighted_health = HealthSuggestion {
        plugin: health.name.clone(),
        version: health.version.clone(),
        config,
        measures,
        dropped,
        intercept: fitted.intercept,
        penalty: fitted.lambda,
        cross_validation,
        training_accounts: rows,
        training_with_outcome,
        held_out,
    };

    let renewal_forecast = match forecast {
        None => {
            notes.push(
                "renewal-forecast is not active for the tenant: no renewal probabilities suggested"
                    .into(),
            );
            None
        }
        Some(f) => {
            let current: Value = serde_json::from_str(&f.config).unwrap_or_else(|_| json!({}));
            let schema = &f.plugin.metadata.config_schema;
            let mut config = match current.clone() {
                Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            let mut bands = Vec::new();
            for band in ["green", "yellow", "red", "unscored"] {
                let now = setting(&current, schema, band)
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0);
                let (accounts, churned) = first.bands.get(band).copied().unwrap_or((0, 0));
                let suggested = if accounts >= MIN_BAND_ACCOUNTS {
                    round_to((accounts - churned + 1) as f64 / (accounts + 2) as f64, 2)
                } else {
                    now
                };
                config.insert(band.into(), json!(suggested));
                bands.push(ObservedBand {
                    band: band.into(),
                    accounts,
                    churned,
                    suggested,
                    current: now,
                });
            }
            notes.push(format!(
                "renewal probabilities per band: the share of training accounts in the band (by the current {} configuration at the cut-off; committed and omitted renewals aside) that did not churn within {} days, (accounts - churned + 1) / (accounts + 2); bands with fewer than {MIN_BAND_ACCOUNTS} accounts keep their current value",
                health.name, spec.horizon_days
            ));
            let config = Value::Object(config);
            let judged = judge(
                vec![
                    pinned(&f.plugin.name, &f.plugin.version, Some(current), "current"),
                    pinned(
                        &f.plugin.name,
                        &f.plugin.version,
                        Some(config.clone()),
                        "suggested",
                    ),
                ],
                OutcomeKind::Churned,
            );
            let (held_out, held_out_error) = match judged {
                Ok(r) => (Some(r), None),
                Err(e) if e.is_bad_input() => (None, Some(e.to_string())),
                Err(e) => return Err(e),
            };
            Some(ForecastSuggestion {
                plugin: f.plugin.name,
                version: f.plugin.version,
                config,
                bands,
                held_out,
                held_out_error,
            })
        }
    };
    Ok(Suggestion {
        weighted_health,
        renewal_forecast,
        notes,
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
    fn configured_measures_default_to_the_plugins_own() {
        let default = configured_measures(&json!({}));
        assert_eq!(default.len(), 12);
        assert_eq!(default[0], ("licence-utilisation".into(), "usage".into()));
        let custom = configured_measures(
            &json!({"measures": [{"measure": "x", "group": "g", "worst": 0, "best": 1}]}),
        );
        assert_eq!(custom, [("x".to_string(), "g".to_string())]);
        assert_eq!(
            setting(
                &json!({}),
                r#"{"properties": {"red": {"default": 0.2}}}"#,
                "red"
            ),
            Some(json!(0.2))
        );
    }
}
