//! # weighted-health
//!
//! The reference customer health model: a weighted composite of measures
//! grouped into usage, engagement, support, feedback and account changes,
//! mapped to Green / Yellow / Red. Every number is tenant configuration.
//!
//! How a score is made:
//! - each configured measure turns its value into a 0-100 sub-score by a linear
//!   ramp from `worst` (0 points) to `best` (100 points), clamped;
//! - its raw weight is `group weight x measure weight`; measures that are blank
//!   for the account are dropped and the remaining weights renormalised to 1;
//! - the score is the sum of `weight x sub-score`; each factor carries its
//!   value, effective weight and points, so the factors add up to the score;
//! - accounts younger than `onboarding_days` that report the
//!   `onboarding_metric` are scored on onboarding progress alone;
//! - `tiers` overrides group weights and band thresholds per account tier
//!   (SMB and enterprise are judged differently).
//!
//! Built-in measures: `licence-utilisation`, `logins-per-seat`,
//! `feature-breadth`, `tickets-open`, `tickets-high-severity`, `nps`, `csat`,
//! `champion-left` (1 or 0), `late-payments`, `arr-change-90d` (relative),
//! `logins-change-90d` (relative), `tenure-days`. Any other measure name is
//! read from the snapshot's free-form metrics, so a new metric becomes a
//! measure by configuration alone.
//!
//! Configuration (JSON, every field optional):
//! `red_below` (50), `yellow_below` (75), `groups` (weight per group),
//! `measures` (list of `{measure, group, weight, worst, best}`),
//! `onboarding_days` (90), `onboarding_metric` (`onboarding-progress`, 0-100),
//! `tiers` (`{tier: {groups?, red_below?, yellow_below?}}`).
//!
//! What it reads follows the configuration ([`project`]): the fields,
//! metrics and attributes of the measures that can carry weight, the start
//! date and onboarding metric, the tier when `tiers` is set, and 90 days of
//! history (with the snapshot before them) for `arr-change-90d` and
//! `logins-change-90d`. `READS` is that of the default configuration.
//!
//! A configuration is checked before any account is scored, and refused
//! with the field named (the host asks when a tenant sets one): weights are
//! 0 or more and not all 0 (the schema says `minimum: 0` too); `red_below`
//! is at most `yellow_below`, for every tier; every group a measure names
//! has a weight in `groups` and in each tier's own `groups` (0 turns a group
//! off). The schema marks `measures[].measure` and `onboarding_metric` as
//! naming a measure (`x-vitals-measure`, with the built-ins above and the
//! fields each reads), so the host warns when a tenant names a metric no
//! account has, a text label, or a built-in whose fields no account has.

mod config;
mod measure;

pub use config::{Config, MeasureRule, TierOverride, check as check_config};
pub use measure::project;
use vitals_plugin_sdk::prelude::*;

/// The weighted health model.
pub struct WeightedHealth;

impl Plugin for WeightedHealth {
    type Config = Config;
    const NAME: &'static str = "weighted-health";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Weighted composite of usage, engagement, support, feedback \
        and account-change measures with per-measure thresholds, renormalised over the measures \
        present; onboarding accounts scored on onboarding progress.";
    /// What the default configuration reads ([`project`] derives it).
    const READS: Projection = Projection::current(&[
        Field::SeatsPurchased,
        Field::SeatsActive,
        Field::Logins,
        Field::FeaturesUsed,
        Field::FeaturesAvailable,
        Field::TicketsOpen,
        Field::TicketsHighSeverity,
        Field::Nps,
        Field::Csat,
        Field::Arr,
        Field::ChampionLeft,
        Field::LatePayments,
    ])
    .with_metrics(&[
        "webinars-attended",
        "community-posts",
        "onboarding-progress",
    ])
    .with_attributes(&[Attribute::StartDate])
    .with_history(Window::Days(90), &[Field::Arr]);

    fn project(config: &Config) -> Projection {
        project(config)
    }

    fn check_config(config: &Config) -> Result<(), String> {
        config::check(config)
    }
}

impl HealthModel for WeightedHealth {
    fn score(config: &Config, ctx: &Context, account: &Account) -> Result<Health, PluginError> {
        score_account(config, ctx.as_of, account)
    }
}

#[cfg(feature = "export")]
export_health_model!(WeightedHealth);

/// Scores one account; public so that benchmarks can call the native logic.
pub fn score_account(
    config: &Config,
    as_of: Date,
    account: &Account,
) -> Result<Health, PluginError> {
    let tier = account
        .attributes
        .tier
        .as_deref()
        .and_then(|t| config.tiers.get(t));
    let red_below = tier.and_then(|t| t.red_below).unwrap_or(config.red_below);
    let yellow_below = tier
        .and_then(|t| t.yellow_below)
        .unwrap_or(config.yellow_below);

    if let Some(onboarding) = onboarding_factor(config, as_of, account) {
        let score = onboarding.points;
        return Ok(Health {
            score,
            band: band_for(score, red_below, yellow_below),
            factors: vec![onboarding],
        });
    }

    let groups = tier
        .and_then(|t| t.groups.as_ref())
        .unwrap_or(&config.groups);
    // (rule, raw weight, value) for every measure whose group carries weight.
    let weighted: Vec<_> = config
        .measures
        .iter()
        .filter_map(|rule| {
            let raw = groups.get(&rule.group).copied().unwrap_or(0.0) * rule.weight;
            (raw > 0.0).then(|| (rule, raw, measure::value(&rule.measure, as_of, account)))
        })
        .collect();
    let total_weight: f64 = weighted.iter().filter(|w| w.2.is_some()).map(|w| w.1).sum();
    if total_weight <= 0.0 {
        return Err(PluginError::MissingData(format!(
            "none of the configured measures has a value for this account ({})",
            config
                .measures
                .iter()
                .map(|r| r.measure.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut score = 0.0;
    let factors = weighted
        .into_iter()
        .map(|(rule, raw, value)| {
            let (weight, points) = match value {
                Some(v) => (
                    raw / total_weight,
                    raw / total_weight * measures::scale(v, rule.worst, rule.best),
                ),
                None => (0.0, 0.0),
            };
            score += points;
            Factor {
                name: rule.measure.clone(),
                group: rule.group.clone(),
                value,
                weight,
                points,
            }
        })
        .collect();
    let score = score.clamp(0.0, 100.0);
    Ok(Health {
        score,
        band: band_for(score, red_below, yellow_below),
        factors,
    })
}

fn onboarding_factor(config: &Config, as_of: Date, account: &Account) -> Option<Factor> {
    let tenure = measures::tenure_days(account, as_of)?;
    if tenure >= config.onboarding_days {
        return None;
    }
    let progress = measures::metric(&account.current, &config.onboarding_metric)?;
    Some(Factor {
        name: config.onboarding_metric.clone(),
        group: "onboarding".into(),
        value: Some(progress),
        weight: 1.0,
        points: progress.clamp(0.0, 100.0),
    })
}

#[cfg(test)]
mod tests;
