//! A backtest run: the candidates resolved and loaded, every eligible
//! account scored by each of them at the cut-off, and the report built.

use super::leaks::{MeasureColumns, explained};
use super::report::{self, Row};
use super::scan::{self, HealthFeed, Window};
use super::spec::{AccountFilter, BacktestSpec, Candidate};
use super::{BacktestError, BacktestReport};
use crate::model::OutcomeKind;
use crate::runtime::types::Confidence;
use crate::runtime::{Output, Plugin, PluginKind, RunOptions, Runtime};
use crate::store::{Catalog, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Candidates judged side by side at most.
const MAX_CANDIDATES: usize = 8;

/// A candidate ready to call.
pub(super) struct Resolved {
    pub label: String,
    pub name: String,
    pub version: String,
    pub hash: String,
    pub kind: PluginKind,
    pub config: String,
    pub plugin: Arc<Plugin>,
    /// Names a given configuration names that no account has (`names`).
    pub warnings: Vec<String>,
}

/// Finds the candidate's version, its configuration (given, else the
/// tenant's) and loads it; the configuration must fit the plugin's schema.
/// A given configuration's names are checked against the tenant's
/// `catalog` (warnings, as when a configuration is set).
pub(super) fn resolve(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    c: &Candidate,
    catalog: &Catalog,
) -> Result<Resolved, BacktestError> {
    let installed = store
        .plugin(tenant, &c.plugin, c.version.as_deref())
        .map_err(|e| match e {
            StoreError::NotFound { .. } => BacktestError::Invalid(format!(
                "plugin {:?}{} is not installed for tenant {tenant:?} (see `vitals plugin list`)",
                c.plugin,
                c.version
                    .as_deref()
                    .map(|v| format!(" version {v}"))
                    .unwrap_or_default()
            )),
            other => other.into(),
        })?;
    let config = match &c.config {
        Some(v) => serde_json::to_string(v).expect("JSON values serialise"),
        None => store.plugin_config(tenant, &c.plugin)?,
    };
    let fail = |error| BacktestError::Plugin {
        plugin: c.plugin.clone(),
        error,
    };
    let plugin = rt.load(&store.component(&installed.hash)?).map_err(fail)?;
    plugin.check_config(&config).map_err(fail)?;
    let label = c
        .label
        .clone()
        .unwrap_or_else(|| format!("{} {}", installed.name, installed.version));
    let warnings = match &c.config {
        Some(given) => crate::names::check_names(
            &installed.name,
            tenant,
            &plugin.metadata.config_schema,
            given,
            catalog,
        )
        .into_iter()
        .map(|w| format!("{label}: configuration {}", w.message))
        .collect(),
        None => Vec::new(),
    };
    Ok(Resolved {
        label,
        name: installed.name,
        version: installed.version,
        hash: installed.hash,
        kind: installed.kind,
        config,
        plugin,
        warnings,
    })
}

/// What one result says about the outcome: a score that rises with its
/// likelihood, a probability when the plugin gives one, and a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Prediction {
    /// What the plugin gave: the health score, propensity or renewal probability.
    pub value: f64,
    /// The value turned so that it rises with the outcome's likelihood.
    pub score: f64,
    pub probability: Option<f64>,
    pub group: Option<&'static str>,
}

/// Churn and contraction are losses: lower health means more likely.
fn is_loss(outcome: OutcomeKind) -> bool {
    matches!(outcome, OutcomeKind::Churned | OutcomeKind::Contracted)
}

/// Refuses kinds that give nothing to rank by for `outcome`.
pub(super) fn check_kind(
    name: &str,
    kind: PluginKind,
    outcome: OutcomeKind,
) -> Result<(), BacktestError> {
    match kind {
        PluginKind::Segmenter => Err(BacktestError::Invalid(format!(
            "{name} is a segmenter: it places accounts in segments and gives no score to rank by; backtest a health model, propensity model or forecaster"
        ))),
        PluginKind::Forecaster
            if !matches!(outcome, OutcomeKind::Churned | OutcomeKind::Renewed) =>
        {
            Err(BacktestError::Invalid(format!(
                "{name} is a forecaster: its probability is of renewal, so it predicts `churned` or `renewed`, not `{}`",
                outcome.as_str()
            )))
        }
        _ => Ok(()),
    }
}

/// In words, what a kind gives each account ([`Prediction::value`]).
pub(super) fn figure_name(kind: PluginKind) -> &'static str {
    match kind {
        PluginKind::HealthModel => "health score",
        PluginKind::PropensityModel => "propensity",
        PluginKind::Forecaster => "renewal probability",
        PluginKind::Segmenter => "segments",
    }
}

/// In words, the score a kind is ranked by.
pub(super) fn score_meaning(kind: PluginKind, outcome: OutcomeKind) -> &'static str {
    match (kind, is_loss(outcome)) {
        (PluginKind::HealthModel, true) => "100 - health score (lower health ranks higher)",
        (PluginKind::HealthModel, false) => "health score",
        (PluginKind::PropensityModel, true) => "1 - propensity",
        (PluginKind::PropensityModel, false) => "propensity",
        (PluginKind::Forecaster, true) => "1 - renewal probability",
        (PluginKind::Forecaster, false) => "renewal probability",
        (PluginKind::Segmenter, _) => "none",
    }
}

fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Commit => "commit",
        Confidence::BestCase => "best-case",
        Confidence::Pipeline => "pipeline",
        Confidence::Omitted => "omitted",
    }
}

/// Reads one output as a prediction of `outcome`.
pub(super) fn predict(output: &Output, outcome: OutcomeKind) -> Option<Prediction> {
    let loss = is_loss(outcome);
    match output {
        Output::Health(h) => Some(Prediction {
            value: h.score,
            score: if loss { 100.0 - h.score } else { h.score },
            probability: None,
            group: Some(match h.band {
                crate::runtime::types::Band::Green => "green",
                crate::runtime::types::Band::Yellow => "yellow",
                crate::runtime::types::Band::Red => "red",
            }),
        }),
        Output::Propensity(p) => Some(Prediction {
            value: p.score,
            score: if loss { 1.0 - p.score } else { p.score },
            probability: None,
            group: None,
        }),
        Output::Forecast(f) => {
            let p = if loss {
                1.0 - f.renewal_probability
            } else {
                f.renewal_probability
            };
            Some(Prediction {
                value: f.renewal_probability,
                score: p,
                probability: Some(p),
                group: Some(confidence_name(f.confidence)),
            })
        }
        Output::Segments { .. } => None,
    }
}

fn check_spec(spec: &BacktestSpec) -> Result<(), BacktestError> {
    let bad = |m: String| Err(BacktestError::Invalid(m));
    if spec.horizon_days < 1 {
        return bad(format!(
            "horizon_days must be at least 1, got {}",
            spec.horizon_days
        ));
    }
    if spec.history_days < 0 {
        return bad(format!(
            "history_days must be 0 or more, got {}",
            spec.history_days
        ));
    }
    if !(1..=100).contains(&spec.calibration_bins) {
        return bad(format!(
            "calibration_bins must be 1-100, got {}",
            spec.calibration_bins
        ));
    }
    if spec.candidates.len() > MAX_CANDIDATES {
        return bad(format!(
            "at most {MAX_CANDIDATES} candidates side by side, got {}",
            spec.candidates.len()
        ));
    }
    if let AccountFilter::HeldOut { fraction, .. } | AccountFilter::Training { fraction, .. } =
        spec.accounts
        && !(fraction > 0.0 && fraction < 1.0)
    {
        return bad(format!(
            "the held-out fraction must be between 0 and 1 (exclusive), got {fraction}"
        ));
    }
    Ok(())
}

/// The tenant's active health model as a candidate.
pub(super) fn active_health(store: &Store, tenant: &str) -> Result<Candidate, BacktestError> {
    store
        .active_plugins(tenant)?
        .into_iter()
        .find(|p| p.plugin.kind == PluginKind::HealthModel)
        .map(|p| Candidate::active(&p.plugin.name))
        .ok_or_else(|| BacktestError::NoHealthModel(tenant.to_string()))
}

/// Runs a backtest for `tenant`: every eligible account scored as of the
/// cut-off by each candidate, and judged against the outcomes of the horizon.
/// Reads the store only.
pub fn run(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    spec: &BacktestSpec,
) -> Result<BacktestReport, BacktestError> {
    check_spec(spec)?;
    store.tenant(tenant)?;
    let catalog = store.catalog(tenant)?;
    check_conditions(tenant, &spec.conditions, &catalog)?;
    let candidates = match spec.candidates.is_empty() {
        true => vec![active_health(store, tenant)?],
        false => spec.candidates.clone(),
    };
    let resolved: Vec<Resolved> = candidates
        .iter()
        .map(|c| resolve(store, rt, tenant, c, &catalog))
        .collect::<Result<_, _>>()?;
    for c in &resolved {
        check_kind(&c.name, c.kind, spec.outcome)?;
    }
    let reads_health = resolved.iter().any(|c| c.kind != PluginKind::HealthModel);
    let feed = HealthFeed::active(store, rt, tenant, reads_health)?;
    let mut warnings: Vec<String> = resolved.iter().flat_map(|c| c.warnings.clone()).collect();
    if reads_health && feed.is_none() {
        warnings.push(
            "the tenant has no active health model: the other kinds read no health score".into(),
        );
    }
    let window = Window {
        cutoff: spec.cutoff,
        horizon_days: spec.horizon_days,
        outcome: spec.outcome,
        history_days: spec.history_days,
        filter: spec.accounts,
        conditions: spec.conditions.clone(),
    };
    let limits = crate::scoring::tenant_limits(store, rt, tenant)?;
    let mut rows: Vec<Row> = Vec::new();
    let mut measures: Vec<MeasureColumns> = (0..resolved.len())
        .map(|_| MeasureColumns::default())
        .collect();
    let mut errors: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); resolved.len()];
    let mut first_error: Vec<Option<String>> = vec![None; resolved.len()];
    let counts = scan::scan(
        store,
        rt,
        tenant,
        &window,
        &limits,
        feed.as_ref(),
        |accounts, labels| {
            let start = rows.len();
            rows.extend(accounts.iter().zip(labels).map(|(a, l)| Row {
                account: a.id.clone(),
                label: *l,
                predictions: vec![None; resolved.len()],
            }));
            for (ci, c) in resolved.iter().enumerate() {
                let out = rt
                    .run(
                        crate::runtime::Share::of(tenant),
                        &c.plugin,
                        &limits,
                        &c.config,
                        spec.cutoff,
                        accounts,
                        RunOptions::default(),
                    )
                    .map_err(|error| BacktestError::Plugin {
                        plugin: c.name.clone(),
                        error,
                    })?;
                for (i, (row, result)) in rows[start..].iter_mut().zip(out.results).enumerate() {
                    match result.map(|o| (predict(&o, spec.outcome), o)) {
                        Ok((Some(p), o)) => {
                            row.predictions[ci] = Some(p);
                            measures[ci].record(start + i, explained(&o));
                        }
                        Ok((None, _)) => *errors[ci].entry("no-score".into()).or_default() += 1,
                        Err(e) => {
                            *errors[ci].entry(e.kind().into()).or_default() += 1;
                            first_error[ci].get_or_insert_with(|| e.to_string());
                        }
                    }
                }
            }
            Ok(())
        },
    )?;
    report::build(
        report::Inputs {
            tenant,
            spec,
            window: &window,
            counts: &counts,
            candidates: &resolved,
            errors,
            first_error,
            warnings,
            measures,
        },
        rows,
    )
}

/// Fails unless every condition names a field the tenant's accounts have
/// (the message names the nearest ones).
pub(super) fn check_conditions(
    tenant: &str,
    conditions: &[super::Condition],
    catalog: &Catalog,
) -> Result<(), BacktestError> {
    for c in conditions {
        c.check(tenant, catalog)
            .map_err(|m| BacktestError::Invalid(format!("where {c}: {m}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::types::{Band, Forecast, Health};

    #[test]
    fn scores_rise_with_the_outcome_they_predict() {
        let h = Output::Health(Health {
            score: 30.0,
            band: Band::Red,
            factors: vec![],
        });
        let churn = predict(&h, OutcomeKind::Churned).unwrap();
        assert_eq!((churn.score, churn.group), (70.0, Some("red")));
        assert_eq!(predict(&h, OutcomeKind::Expanded).unwrap().score, 30.0);
        let f = Output::Forecast(Forecast {
            renewal_probability: 0.8,
            confidence: Confidence::Pipeline,
            basis: String::new(),
            renewal_date: None,
            expected_renewal_arr: 0.0,
            expected_expansion_arr: 0.0,
            expected_contraction_arr: 0.0,
        });
        let p = predict(&f, OutcomeKind::Churned).unwrap();
        assert!((p.probability.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(p.group, Some("pipeline"));
        assert_eq!(
            predict(&f, OutcomeKind::Renewed).unwrap().probability,
            Some(0.8)
        );
    }

    #[test]
    fn kinds_without_a_score_for_the_outcome_are_refused() {
        assert!(check_kind("s", PluginKind::Segmenter, OutcomeKind::Churned).is_err());
        let err = check_kind("rf", PluginKind::Forecaster, OutcomeKind::Expanded).unwrap_err();
        assert!(err.to_string().contains("renewal"), "{err}");
        assert!(err.is_bad_input());
        assert!(check_kind("h", PluginKind::HealthModel, OutcomeKind::Expanded).is_ok());
    }
}
