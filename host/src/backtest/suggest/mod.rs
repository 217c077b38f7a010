//! Calibration from a tenant's own history, on a training split:
//! (a) `weighted-health` measures and weights from a regularised logistic
//! fit, written as a readable scorecard configuration ([`scorecard`]);
//! (b) `renewal-forecast` probabilities per band from the observed renewal
//! rates ([`renewal`]); [`Suggestion::config_files`] writes them for review. Each suggestion is judged by a backtest on the
//! held-out accounts beside the current configuration. Nothing is stored
//! or activated.

mod files;
mod notes;
mod renewal;
mod scorecard;

pub use files::readable;

use super::fit::PenaltyScore;
use super::scan::{self, HealthFeed, Window};
use super::score::{self, Resolved, active_health, resolve};
use super::spec::{AccountFilter, BacktestSpec, Candidate, SuggestSpec, held_out};
use super::{BacktestError, BacktestReport};
use crate::model::OutcomeKind;
use crate::runtime::{Limits, Output, PluginError, PluginKind, RunOptions, Runtime};
use crate::store::{ActivePlugin, Store};
use renewal::{BandTally, MIN_BAND_ACCOUNTS, setting};
use scorecard::{FitOptions, Training};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Training accounts fitted at most (a deterministic sample above it):
/// the fit's cost grows with rows x features^2.
const MAX_FIT_ROWS: usize = 200_000;

/// What `--suggest` proposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// (a) The `weighted-health` scorecard.
    pub weighted_health: HealthSuggestion,
    /// (b) `renewal-forecast` probabilities, when the tenant runs it.
    pub renewal_forecast: Option<ForecastSuggestion>,
    /// How the suggestions were made, in words.
    pub notes: Vec<String>,
    /// What makes the suggestion doubtful: too few accounts to fit or
    /// judge, likely leaks, names of the configuration no account has.
    pub warnings: Vec<String>,
}

/// A fitted `weighted-health` configuration and its judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// The plugin's other built-in measures, tried but held by no training
    /// account (one list rather than a reason each).
    pub without_values: Vec<String>,
    /// Measures that alone rank the outcome past the leak line on the
    /// training accounts: left out, unless leaks are allowed.
    pub leaks: Vec<SuspectedLeak>,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// Fitted coefficient of the 0-1 ramp from `worst` to `best`, in
    /// log-odds of the bad side (churn or contraction; no renewal or no
    /// expansion): always negative, since more points mean less risk.
    pub coefficient: f64,
    /// Its share of the score (0-1).
    pub share: f64,
}

/// A measure that alone ranks the outcome too well to be true.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuspectedLeak {
    /// Measure name.
    pub measure: String,
    /// Its own ROC-AUC on the training accounts (0.5-1).
    pub roc_auc: f64,
    /// Whether the scorecard weighs it (leaks allowed).
    pub weighted: bool,
}

/// A measure left out of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DroppedMeasure {
    /// Measure name.
    pub measure: String,
    /// Why.
    pub reason: String,
}

/// Suggested `renewal-forecast` probabilities and their judgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// What the first pass over the training accounts learns.
#[derive(Default)]
struct FirstPass {
    metrics: BTreeSet<String>,
    bands: BandTally,
}

fn check(spec: &SuggestSpec) -> Result<(), BacktestError> {
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
    Ok(())
}

/// The churn, contraction, or absence of renewal or expansion the fit
/// predicts: a health score is high when it is unlikely.
pub(super) fn bad_side(outcome: OutcomeKind) -> bool {
    matches!(outcome, OutcomeKind::Churned | OutcomeKind::Contracted)
}

/// Every candidate measure's value on the training accounts (a sample when
/// there are too many), as the plugin itself reads it: `weighted-health`
/// under the probe configuration reports each one in its factors.
fn probe_training(
    (store, rt, tenant): (&Store, &Runtime, &str),
    window: &Window,
    limits: &Limits,
    health: &Resolved,
    names: Vec<String>,
    sample: f64,
    seed: u64,
) -> Result<Training, BacktestError> {
    let probe = scorecard::probe_config(&names);
    let bad_outcome = bad_side(window.outcome);
    let (mut raw, mut bad) = (Vec::new(), Vec::new());
    scan::scan(
        store,
        rt,
        tenant,
        window,
        limits,
        None,
        |accounts, labels| {
            let picked: Vec<usize> = (0..accounts.len())
                .filter(|&i| sample >= 1.0 || held_out(&accounts[i].id, sample, seed ^ 0x5eed))
                .collect();
            let batch: Vec<_> = picked.iter().map(|&i| accounts[i].clone()).collect();
            let out = rt
                .run(
                    crate::runtime::Share::of(tenant),
                    &health.plugin,
                    limits,
                    &probe,
                    window.cutoff,
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
                    Err(PluginError::Returned { code, .. }) if code == "missing-data" => {
                        raw.extend(std::iter::repeat_n(f64::NAN, names.len()));
                    }
                    _ => continue,
                }
                bad.push(labels[i].positive == bad_outcome);
            }
            Ok(())
        },
    )?;
    if raw.len() != bad.len() * names.len() {
        return Err(BacktestError::Fit(format!(
            "the probe returned {} values for {} accounts of {} measures",
            raw.len(),
            bad.len(),
            names.len()
        )));
    }
    Ok(Training { names, raw, bad })
}

/// Proposes configurations from the tenant's outcomes (see the module doc).
pub fn suggest(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    spec: &SuggestSpec,
) -> Result<Suggestion, BacktestError> {
    check(spec)?;
    store.tenant(tenant)?;
    let catalog = store.catalog(tenant)?;
    score::check_conditions(tenant, &spec.conditions, &catalog)?;
    let health_candidate = match &spec.health {
        Some(c) => c.clone(),
        None => active_health(store, tenant)?,
    };
    let health = resolve(store, rt, tenant, &health_candidate, &catalog)?;
    if health.name != "weighted-health" || health.kind != PluginKind::HealthModel {
        return Err(BacktestError::Invalid(format!(
            "--suggest fits the configuration of weighted-health; {} {} is a {}",
            health.name, health.version, health.kind
        )));
    }
    let current: Value = serde_json::from_str(&health.config).unwrap_or_else(|_| json!({}));
    let forecast: Option<ActivePlugin> = store
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
        conditions: spec.conditions.clone(),
    };
    let onboarding_metric = setting(
        &current,
        &health.plugin.metadata.config_schema,
        "onboarding_metric",
    )
    .and_then(|v| v.as_str().map(str::to_string))
    .unwrap_or_default();

    // Pass 1: the metrics the accounts carry, and churn per health band.
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
                    if !first.metrics.contains(&m.name) {
                        first.metrics.insert(m.name.clone());
                    }
                }
                first.bands.add(a, spec.cutoff, l.churned);
            }
            Ok(())
        },
    )?;
    if counts.eligible == 0 {
        return Err(BacktestError::NoAccounts(format!(
            "no training account: {} accounts have a snapshot by the cut-off, {} had churned, {} failed a condition of where, {} are held out",
            counts.read, counts.churned_before, counts.failed_where, counts.outside_split
        )));
    }

    // Pass 2: the measures' values, then the fit.
    let (names, known) =
        scorecard::candidate_measures(&current, &first.metrics, &onboarding_metric);
    let sample = (MAX_FIT_ROWS as f64 / counts.eligible as f64).min(1.0);
    let data = probe_training(
        (store, rt, tenant),
        &training,
        &limits,
        &health,
        names,
        sample,
        spec.seed,
    )?;
    let listed = scorecard::listed_measures(&current);
    let options = FitOptions {
        listed: &listed,
        allow_leaks: spec.allow_leaks,
    };
    let fitted = scorecard::fit_scorecard(&data, &known, &current, &options)?;
    let rows = data.bad.len();
    let bad_outcome = bad_side(spec.outcome);
    let with_outcome = data.bad.iter().filter(|y| **y == bad_outcome).count();
    let mut notes = notes::describe_fit(spec, &fitted, rows, with_outcome);
    let mut warnings = health.warnings.clone();
    warnings.extend(notes::fit_warnings(spec, &fitted, rows, with_outcome));
    if sample < 1.0 {
        notes.push(format!(
            "the fit used a deterministic sample of {rows} of the {} training accounts",
            counts.eligible
        ));
    }

    // The judgement: current beside suggested on the held-out accounts.
    let judge = |plugin: &str, version: &str, current: Value, suggested: Value, outcome| {
        let pinned = |config: Value, label: &str| Candidate {
            plugin: plugin.into(),
            version: Some(version.into()),
            config: Some(config),
            label: Some(label.into()),
        };
        score::run(
            store,
            rt,
            tenant,
            &BacktestSpec {
                horizon_days: spec.horizon_days,
                outcome,
                candidates: vec![pinned(current, "current"), pinned(suggested, "suggested")],
                history_days: spec.history_days,
                accounts: AccountFilter::HeldOut {
                    fraction: spec.holdout,
                    seed: spec.seed,
                },
                conditions: spec.conditions.clone(),
                ..BacktestSpec::at(spec.cutoff)
            },
        )
    };
    let held_out = judge(
        &health.name,
        &health.version,
        current.clone(),
        fitted.config.clone(),
        spec.outcome,
    )?;
    warnings.extend(notes::judged_warning(&held_out));
    let weighted_health = HealthSuggestion {
        plugin: health.name.clone(),
        version: health.version.clone(),
        config: fitted.config,
        measures: fitted.measures,
        dropped: fitted.dropped,
        without_values: fitted.without_values,
        leaks: fitted
            .leaks
            .iter()
            .map(|(measure, roc_auc)| SuspectedLeak {
                measure: measure.clone(),
                roc_auc: *roc_auc,
                weighted: spec.allow_leaks,
            })
            .collect(),
        intercept: fitted.fit.intercept,
        penalty: fitted.fit.lambda,
        cross_validation: fitted.cross_validation,
        training_accounts: rows,
        training_with_outcome: with_outcome,
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
            let (config, bands) =
                renewal::probabilities(&current, &f.plugin.metadata.config_schema, &first.bands);
            notes.push(format!(
                "renewal probabilities per band: the share of training accounts in the band (by the current {} configuration at the cut-off; committed and omitted renewals aside) that did not churn within {} days, (accounts - churned + 1) / (accounts + 2); bands with fewer than {MIN_BAND_ACCOUNTS} accounts keep their current value",
                health.name, spec.horizon_days
            ));
            let judged = judge(
                &f.plugin.name,
                &f.plugin.version,
                current,
                config.clone(),
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
        warnings,
    })
}
