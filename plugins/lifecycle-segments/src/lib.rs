//! # lifecycle-segments
//!
//! The reference segmenter: places each account in the lifecycle segments of
//! DESIGN.md, each with the reason and the figures used. Segments overlap
//! where the lifecycle does (an adopting account can also be at risk).
//!
//! | segment | rule (defaults) |
//! | --- | --- |
//! | `onboarding` | fewer than `onboarding_days` (90) since the start date |
//! | `adoption` | past onboarding, not churned, utilisation below `expansion_utilisation` |
//! | `expansion-ready` | licence utilisation at or above `expansion_utilisation` (0.8) |
//! | `at-risk` | the latest health band is Red |
//! | `advocate` | NPS at or above `advocate_nps` (9) and tenure over `advocate_min_days` (365) |
//! | `churned` | ARR (current, else contract) is zero, or label `status` = `churned` |
//!
//! A churned account is in `churned` only (win-back lists stay clean).
//! Configuration fields: `onboarding_days`, `expansion_utilisation`,
//! `advocate_nps`, `advocate_min_days`, and `disabled` (segment names to skip).

use schemars::JsonSchema;
use serde::Deserialize;
use vitals_plugin_sdk::prelude::*;

/// Tenant configuration.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Accounts younger than this many days are onboarding.
    pub onboarding_days: i32,
    /// Utilisation at or above this is expansion-ready.
    pub expansion_utilisation: f64,
    /// NPS at or above this (with enough tenure) is an advocate.
    pub advocate_nps: u8,
    /// Minimum tenure in days for an advocate.
    pub advocate_min_days: i32,
    /// Segments this tenant does not use.
    pub disabled: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            onboarding_days: 90,
            expansion_utilisation: 0.8,
            advocate_nps: 9,
            advocate_min_days: 365,
            disabled: Vec::new(),
        }
    }
}

/// The lifecycle segmenter.
pub struct LifecycleSegments;

impl Plugin for LifecycleSegments {
    type Config = Config;
    const NAME: &'static str = "lifecycle-segments";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Lifecycle segments: onboarding, adoption, expansion-ready, \
        at-risk, advocate and churned, each with its reason.";
    const READS: Projection = Projection::current(&[
        Field::SeatsPurchased,
        Field::SeatsActive,
        Field::Nps,
        Field::Arr,
    ])
    .with_attributes(&[Attribute::StartDate, Attribute::ContractArr])
    .with_labels(&["status"])
    .with_health(Window::Latest(1));
}

impl Segmenter for LifecycleSegments {
    fn assign(
        config: &Config,
        ctx: &Context,
        account: &Account,
    ) -> Result<Vec<Segment>, PluginError> {
        let mut out = Vec::new();
        let mut add = |name: &str, reason: String| {
            if !config.disabled.iter().any(|d| d == name) {
                out.push(Segment {
                    name: name.into(),
                    reason,
                });
            }
        };
        if let Some(reason) = churned(account) {
            add("churned", reason);
            return Ok(out);
        }
        let tenure = measures::tenure_days(account, ctx.as_of);
        let utilisation = measures::licence_utilisation(&account.current);
        let onboarding = tenure.is_some_and(|t| t < config.onboarding_days);
        if let Some(t) = tenure.filter(|_| onboarding) {
            add(
                "onboarding",
                format!("started {t} days ago (< {} days)", config.onboarding_days),
            );
        }
        match utilisation {
            Some(u) if u >= config.expansion_utilisation => add(
                "expansion-ready",
                format!(
                    "licence utilisation {:.0} % (>= {:.0} %)",
                    u * 100.0,
                    config.expansion_utilisation * 100.0
                ),
            ),
            Some(u) if !onboarding => add(
                "adoption",
                format!(
                    "licence utilisation {:.0} % (< {:.0} %)",
                    u * 100.0,
                    config.expansion_utilisation * 100.0
                ),
            ),
            None if !onboarding => add("adoption", "past onboarding; utilisation unknown".into()),
            _ => {}
        }
        if let Some(h) = account.health.last().filter(|h| h.band == Band::Red) {
            add("at-risk", format!("health {:.0} is Red", h.score));
        }
        if let (Some(nps), Some(t)) = (account.current.nps, tenure)
            && nps >= config.advocate_nps
            && t > config.advocate_min_days
        {
            add(
                "advocate",
                format!("NPS {nps} (>= {}) after {t} days", config.advocate_nps),
            );
        }
        Ok(out)
    }
}

fn churned(account: &Account) -> Option<String> {
    let status = account
        .attributes
        .labels
        .iter()
        .find(|l| l.name == "status");
    if status.is_some_and(|l| l.value.eq_ignore_ascii_case("churned")) {
        return Some("status is churned".into());
    }
    let arr = account.current.arr.or(account.attributes.contract_arr)?;
    (arr <= 0.0).then(|| format!("ARR is {arr:.0}"))
}

export_segmenter!(LifecycleSegments);

#[cfg(test)]
mod tests {
    use super::*;
    use vitals_plugin_sdk::date::ymd;
    use vitals_plugin_sdk::testing::{AccountBuilder, assign_segments};

    fn names(config: &str, a: Account) -> Vec<String> {
        let out = assign_segments::<LifecycleSegments>(config, ymd(2026, 1, 1), &[a]).unwrap();
        out[0]
            .as_ref()
            .unwrap()
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    #[test]
    fn new_accounts_are_onboarding() {
        let a = AccountBuilder::new("n")
            .start(ymd(2025, 12, 1))
            .seats(10, 3)
            .arr(1000.0)
            .build();
        assert_eq!(names("{}", a), ["onboarding"]);
    }

    #[test]
    fn high_utilisation_is_expansion_ready_with_reason() {
        let a = AccountBuilder::new("x")
            .start(ymd(2024, 1, 1))
            .seats(10, 9)
            .arr(1000.0)
            .build();
        let out = assign_segments::<LifecycleSegments>("{}", ymd(2026, 1, 1), &[a]).unwrap();
        let segs = out[0].as_ref().unwrap();
        assert_eq!(segs[0].name, "expansion-ready");
        assert!(segs[0].reason.contains("90 %"), "{}", segs[0].reason);
    }

    #[test]
    fn red_health_is_at_risk_and_overlaps_adoption() {
        let a = AccountBuilder::new("r")
            .start(ymd(2024, 1, 1))
            .seats(10, 3)
            .arr(1000.0)
            .health_point(ymd(2026, 1, 1), 31.0, Band::Red)
            .build();
        assert_eq!(names("{}", a), ["adoption", "at-risk"]);
    }

    #[test]
    fn promoters_with_tenure_are_advocates() {
        let base = AccountBuilder::new("a").seats(10, 5).arr(1000.0).nps(10);
        assert!(
            names("{}", base.clone().start(ymd(2024, 1, 1)).build()).contains(&"advocate".into())
        );
        // Not yet a year: no advocate.
        assert!(!names("{}", base.start(ymd(2025, 6, 1)).build()).contains(&"advocate".into()));
    }

    #[test]
    fn zero_arr_is_churned_only() {
        let a = AccountBuilder::new("c")
            .start(ymd(2020, 1, 1))
            .seats(10, 9)
            .arr(0.0)
            .nps(10)
            .build();
        assert_eq!(names("{}", a), ["churned"]);
        let l = AccountBuilder::new("l").label("status", "Churned").build();
        assert_eq!(names("{}", l), ["churned"]);
    }

    #[test]
    fn no_history_no_seats_no_nps_still_segments() {
        let a = AccountBuilder::new("bare")
            .start(ymd(2020, 1, 1))
            .seats(0, 0)
            .build();
        assert_eq!(names("{}", a), ["adoption"]);
    }

    #[test]
    fn thresholds_and_disabled_segments_are_configurable() {
        let a = AccountBuilder::new("x")
            .start(ymd(2024, 1, 1))
            .seats(10, 7)
            .arr(1.0)
            .build();
        assert_eq!(
            names(r#"{"expansion_utilisation": 0.7}"#, a.clone()),
            ["expansion-ready"]
        );
        assert!(names(r#"{"disabled": ["adoption"]}"#, a).is_empty());
    }
}
