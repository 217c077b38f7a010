//! `weighted-health`'s scoring (plugins/weighted-health/src/lib.rs and
//! measure.rs) over the account view: the same rules line for line, with
//! factor names borrowed from the configuration instead of cloned, so that
//! the SDK can send them as strings (0.1) or intern them (names once per call).

use crate::view::{Account, measures as m};
use vitals_plugin_sdk_v01::{Band, Date, Factor, Health, PluginError, band_for, measures::scale};
use weighted_health::Config;

/// A factor whose name and group borrow the configuration.
pub struct FactorRef<'c> {
    pub name: &'c str,
    pub group: &'c str,
    pub value: Option<f64>,
    pub weight: f64,
    pub points: f64,
}

/// An explained score whose factors borrow the configuration.
pub struct HealthRef<'c> {
    pub score: f64,
    pub band: Band,
    pub factors: Vec<FactorRef<'c>>,
}

impl HealthRef<'_> {
    /// The 0.1 result: every factor's name and group as strings.
    pub fn owned(&self) -> Health {
        Health {
            score: self.score,
            band: self.band,
            factors: self
                .factors
                .iter()
                .map(|f| Factor {
                    name: f.name.to_string(),
                    group: f.group.to_string(),
                    value: f.value,
                    weight: f.weight,
                    points: f.points,
                })
                .collect(),
        }
    }
}

fn value(name: &str, as_of: Date, account: &Account) -> Option<f64> {
    let s = &account.current;
    match name {
        "licence-utilisation" => m::licence_utilisation(s),
        "logins-per-seat" => match (s.logins, s.seats_active.or(s.seats_purchased)) {
            (Some(l), Some(seats)) if seats > 0 => Some(f64::from(l) / f64::from(seats)),
            _ => None,
        },
        "feature-breadth" => m::feature_breadth(s),
        "tickets-open" => s.tickets_open.map(f64::from),
        "tickets-high-severity" => s.tickets_high_severity.map(f64::from),
        "nps" => s.nps.map(f64::from),
        "csat" => s.csat,
        "champion-left" => s.champion_left.map(|b| if b { 1.0 } else { 0.0 }),
        "late-payments" => s.late_payments.map(f64::from),
        "arr-change-90d" => m::change_over(account, 90, |s| s.arr),
        "logins-change-90d" => m::change_over(account, 90, |s| s.logins.map(f64::from)),
        "tenure-days" => m::tenure_days(account, as_of).map(f64::from),
        other => m::metric(s, other),
    }
    .filter(|v| v.is_finite())
}

/// Scores one account exactly as `weighted_health::score_account`.
pub fn score<'c>(
    config: &'c Config,
    as_of: Date,
    account: &Account,
) -> Result<HealthRef<'c>, PluginError> {
    let tier = account.attributes.tier.and_then(|t| config.tiers.get(t));
    let red_below = tier.and_then(|t| t.red_below).unwrap_or(config.red_below);
    let yellow_below = tier
        .and_then(|t| t.yellow_below)
        .unwrap_or(config.yellow_below);

    if let Some(onboarding) = onboarding_factor(config, as_of, account) {
        let score = onboarding.points;
        return Ok(HealthRef {
            score,
            band: band_for(score, red_below, yellow_below),
            factors: vec![onboarding],
        });
    }

    let groups = tier
        .and_then(|t| t.groups.as_ref())
        .unwrap_or(&config.groups);
    let weighted: Vec<_> = config
        .measures
        .iter()
        .filter_map(|rule| {
            let raw = groups.get(&rule.group).copied().unwrap_or(0.0) * rule.weight;
            (raw > 0.0).then(|| (rule, raw, value(&rule.measure, as_of, account)))
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
                    raw / total_weight * scale(v, rule.worst, rule.best),
                ),
                None => (0.0, 0.0),
            };
            score += points;
            FactorRef {
                name: &rule.measure,
                group: &rule.group,
                value,
                weight,
                points,
            }
        })
        .collect();
    let score = score.clamp(0.0, 100.0);
    Ok(HealthRef {
        score,
        band: band_for(score, red_below, yellow_below),
        factors,
    })
}

fn onboarding_factor<'c>(
    config: &'c Config,
    as_of: Date,
    account: &Account,
) -> Option<FactorRef<'c>> {
    let tenure = m::tenure_days(account, as_of)?;
    if tenure >= config.onboarding_days {
        return None;
    }
    let progress = m::metric(&account.current, &config.onboarding_metric)?;
    Some(FactorRef {
        name: &config.onboarding_metric,
        group: "onboarding",
        value: Some(progress),
        weight: 1.0,
        points: progress.clamp(0.0, 100.0),
    })
}
