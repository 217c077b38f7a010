//! The tenant configuration of `weighted-health` and its defaults.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Tenant configuration. Every field is optional; blanks take the defaults.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Scores below this are Red.
    pub red_below: f64,
    /// Scores below this (and not Red) are Yellow; the rest Green.
    pub yellow_below: f64,
    /// Weight of each group (usage, engagement, support, feedback, account-changes).
    pub groups: BTreeMap<String, f64>,
    /// The measures, each with its group, weight within the group and thresholds.
    pub measures: Vec<MeasureRule>,
    /// Accounts younger than this many days are scored on onboarding progress.
    pub onboarding_days: i32,
    /// The free-form metric (0-100) holding onboarding progress.
    pub onboarding_metric: String,
    /// Overrides per account tier (the `tier` attribute).
    pub tiers: BTreeMap<String, TierOverride>,
}

/// One measure of the score.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureRule {
    /// Built-in measure name, or the name of a free-form metric.
    pub measure: String,
    /// Group the measure belongs to.
    pub group: String,
    /// Weight within the group.
    #[serde(default = "one")]
    pub weight: f64,
    /// Value that earns 0 points.
    pub worst: f64,
    /// Value that earns 100 points (may be below `worst`: fewer tickets is better).
    pub best: f64,
}

/// Per-tier overrides.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TierOverride {
    /// Group weights for this tier.
    pub groups: Option<BTreeMap<String, f64>>,
    /// Red threshold for this tier.
    pub red_below: Option<f64>,
    /// Yellow threshold for this tier.
    pub yellow_below: Option<f64>,
}

fn one() -> f64 {
    1.0
}

fn rule(measure: &str, group: &str, weight: f64, worst: f64, best: f64) -> MeasureRule {
    MeasureRule {
        measure: measure.into(),
        group: group.into(),
        weight,
        worst,
        best,
    }
}

impl Default for Config {
    fn default() -> Self {
        let groups = [
            ("usage", 0.35),
            ("engagement", 0.10),
            ("support", 0.20),
            ("feedback", 0.20),
            ("account-changes", 0.15),
        ]
        .into_iter()
        .map(|(g, w)| (g.to_string(), w))
        .collect();
        Config {
            red_below: 50.0,
            yellow_below: 75.0,
            groups,
            measures: vec![
                rule("licence-utilisation", "usage", 0.5, 0.2, 0.9),
                rule("logins-per-seat", "usage", 0.25, 1.0, 15.0),
                rule("feature-breadth", "usage", 0.25, 0.1, 0.6),
                rule("webinars-attended", "engagement", 0.5, 0.0, 3.0),
                rule("community-posts", "engagement", 0.5, 0.0, 5.0),
                rule("tickets-open", "support", 0.4, 10.0, 0.0),
                rule("tickets-high-severity", "support", 0.6, 3.0, 0.0),
                rule("nps", "feedback", 0.6, 0.0, 10.0),
                rule("csat", "feedback", 0.4, 40.0, 95.0),
                rule("champion-left", "account-changes", 0.4, 1.0, 0.0),
                rule("late-payments", "account-changes", 0.3, 3.0, 0.0),
                rule("arr-change-90d", "account-changes", 0.3, -0.3, 0.0),
            ],
            onboarding_days: 90,
            onboarding_metric: "onboarding-progress".into(),
            tiers: BTreeMap::new(),
        }
    }
}
