//! What `--suggest` says about a fit in words: how it was made (notes) and
//! what makes it doubtful (warnings: too few accounts, likely leaks).

use super::scorecard::{FOLDS, Scorecard};
use super::{BacktestReport, SuggestSpec, bad_side};
use crate::backtest::leaks::LEAK_MEASURE_AUC;

/// Accounts of the rarer side a logistic fit wants per measure (the usual
/// rule of ten events per variable).
const PER_MEASURE: usize = 10;
/// Held-out accounts below which a ROC-AUC moves a lot with the split.
const MIN_JUDGED: usize = 100;

pub(super) fn describe_fit(
    spec: &SuggestSpec,
    s: &Scorecard,
    rows: usize,
    with_outcome: usize,
) -> Vec<String> {
    let side = if bad_side(spec.outcome) {
        spec.outcome.as_str().to_string()
    } else {
        format!("not-{}", spec.outcome.as_str())
    };
    let mut notes = vec![
        format!(
            "fitted on {rows} training accounts ({with_outcome} {} within {} days of {}), judged on the held-out {:.0} % (split seed {})",
            spec.outcome.as_str(),
            spec.horizon_days,
            vitals_plugin_sdk::date::format(spec.cutoff),
            spec.holdout * 100.0,
            spec.seed
        ),
        format!(
            "each measure is a ramp from its 5th to its 95th percentile on the training accounts, turned so that points mean less risk; its weight is its share of the fitted coefficients (L2 penalty {} chosen by {FOLDS}-fold cross-validation)",
            s.fit.lambda
        ),
        format!(
            "bands: Red below {}, where the fitted probability of {side} reaches {:.1} % (twice the training rate, or halfway to certainty); Yellow below {}, where it reaches the training rate ({:.1} %)",
            s.red_below,
            s.red_rate * 100.0,
            s.yellow_below,
            s.bad_rate * 100.0
        ),
    ];
    if !s.without_values.is_empty() {
        notes.push(format!(
            "{} more built-in measures of weighted-health have no value on any training account (the data has none of the fields they read) and were not fitted; `without_values` lists them",
            s.without_values.len()
        ));
    }
    if s.had_tiers {
        notes.push(
            "the current per-tier overrides are left out: the fit is one scorecard for every tier"
                .into(),
        );
    }
    notes
}

/// Warnings on the fit: too few training accounts for the measures it
/// weighs, and the likely leaks (left out, or weighted as allowed).
pub(super) fn fit_warnings(
    spec: &SuggestSpec,
    s: &Scorecard,
    rows: usize,
    with_outcome: usize,
) -> Vec<String> {
    let outcome = spec.outcome.as_str();
    let mut warnings = Vec::new();
    let rarer = with_outcome.min(rows - with_outcome);
    let need = PER_MEASURE * s.measures.len().max(1);
    if rarer < need {
        warnings.push(format!(
            "fitted on {rows} training accounts ({with_outcome} {outcome}) for {} measures: a logistic fit wants about {PER_MEASURE} accounts of the rarer side per measure ({need} here, {rarer} given), so these weights and thresholds are mostly noise; hold out a smaller share, or widen the horizon",
            s.measures.len()
        ));
    }
    for (measure, auc) in &s.leaks {
        warnings.push(if spec.allow_leaks {
            format!(
                "{measure} alone ranks {outcome} at ROC-AUC {auc:.3} on the training accounts (above {LEAK_MEASURE_AUC}) and is weighted because leaks are allowed: if it was recorded with or after the outcome, the scorecard will fail before it"
            )
        } else {
            format!(
                "{measure} alone ranks {outcome} at ROC-AUC {auc:.3} on the training accounts (above {LEAK_MEASURE_AUC}): most likely recorded with or after the outcome, so it is left out of the fit; allow leaks to weight it anyway"
            )
        });
    }
    warnings
}

/// A warning when the held-out judgement rests on few accounts.
pub(super) fn judged_warning(held_out: &BacktestReport) -> Option<String> {
    (held_out.compared < MIN_JUDGED).then(|| {
        format!(
            "judged on only {} held-out accounts ({} {}): a ROC-AUC over so few moves a lot from one split to another; try other seeds",
            held_out.compared,
            held_out.with_outcome,
            held_out.outcome.as_str()
        )
    })
}
