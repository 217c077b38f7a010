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
    /// Weight of each group (usage, engagement, support, feedback,
    /// account-changes), 0 or more; every group a measure names must be here
    /// (0 turns a group off).
    #[schemars(extend("additionalProperties" = {"type": "number", "minimum": 0}))]
    pub groups: BTreeMap<String, f64>,
    /// The measures, each with its group, weight within the group and thresholds.
    pub measures: Vec<MeasureRule>,
    /// Accounts younger than this many days are scored on onboarding progress.
    pub onboarding_days: i32,
    /// The free-form metric (0-100) holding onboarding progress.
    #[schemars(extend("x-vitals-measure" = "number"))]
    pub onboarding_metric: String,
    /// Overrides per account tier (the `tier` attribute).
    pub tiers: BTreeMap<String, TierOverride>,
}

/// One measure of the score.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasureRule {
    /// Built-in measure name, or the name of a free-form metric. Marked for
    /// the host, which warns when no account of the tenant has it: the
    /// built-ins with the snapshot fields and attributes each reads.
    #[schemars(extend("x-vitals-measure" = "number", "x-vitals-built-in" = {
        "licence-utilisation": ["seats-purchased", "seats-active"],
        "logins-per-seat": ["logins"],
        "feature-breadth": ["features-used", "features-available"],
        "tickets-open": ["tickets-open"],
        "tickets-high-severity": ["tickets-high-severity"],
        "nps": ["nps"],
        "csat": ["csat"],
        "champion-left": ["champion-left"],
        "late-payments": ["late-payments"],
        "arr-change-90d": ["arr"],
        "logins-change-90d": ["logins"],
        "tenure-days": ["start-date"]
    }))]
    pub measure: String,
    /// Group the measure belongs to (a key of `groups`).
    pub group: String,
    /// Weight within the group, 0 or more.
    #[serde(default = "one")]
    #[schemars(range(min = 0))]
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
    /// Group weights for this tier (0 or more; every group a measure names).
    #[schemars(extend("additionalProperties" = {"type": "number", "minimum": 0}))]
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

/// Why a configuration cannot score as meant, naming the field: what its
/// schema cannot say. Thresholds: Red below Yellow; weights: 0 or more,
/// not all 0; groups: every group a measure names has a weight (in `groups`
/// and in each tier's own `groups`).
pub fn check(config: &Config) -> Result<(), String> {
    check_thresholds("", config.red_below, config.yellow_below)?;
    for (i, m) in config.measures.iter().enumerate() {
        if m.weight < 0.0 {
            return Err(format!(
                "measures[{i}].weight ({}) of {} is negative: weights are 0 or more",
                m.weight, m.measure
            ));
        }
    }
    check_groups("groups", &config.groups, &config.measures)?;
    for (tier, t) in &config.tiers {
        let red = t.red_below.unwrap_or(config.red_below);
        let yellow = t.yellow_below.unwrap_or(config.yellow_below);
        check_thresholds(&format!("tiers.{tier}."), red, yellow)?;
        if let Some(groups) = &t.groups {
            check_groups(&format!("tiers.{tier}.groups"), groups, &config.measures)?;
        }
    }
    Ok(())
}

fn check_thresholds(at: &str, red_below: f64, yellow_below: f64) -> Result<(), String> {
    if red_below > yellow_below {
        return Err(format!(
            "{at}red_below ({red_below}) is above {at}yellow_below ({yellow_below}): Red is the band below Yellow, so red_below must be at most yellow_below"
        ));
    }
    Ok(())
}

fn check_groups(
    at: &str,
    groups: &BTreeMap<String, f64>,
    measures: &[MeasureRule],
) -> Result<(), String> {
    if let Some((g, w)) = groups.iter().find(|(_, w)| **w < 0.0) {
        return Err(format!("{at}.{g} ({w}) is negative: weights are 0 or more"));
    }
    for (i, m) in measures.iter().enumerate() {
        if !groups.contains_key(&m.group) {
            let known: Vec<&str> = groups.keys().map(String::as_str).collect();
            return Err(format!(
                "measures[{i}] ({}) is in group {:?}, which {at} does not list ({}): give the group a weight (0 turns it off)",
                m.measure,
                m.group,
                if known.is_empty() {
                    "it lists none".to_string()
                } else {
                    format!("it lists {}", known.join(", "))
                }
            ));
        }
    }
    let carried = measures
        .iter()
        .any(|m| m.weight > 0.0 && groups.get(&m.group).is_some_and(|w| *w > 0.0));
    if !measures.is_empty() && !carried {
        return Err(format!(
            "no measure carries weight: every measure's weight or its group's weight in {at} is 0"
        ));
    }
    Ok(())
}
