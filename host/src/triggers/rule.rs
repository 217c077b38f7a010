//! A trigger rule: which transition of which plugin's results, on which
//! accounts, goes to which endpoints. Written as JSON and checked against the
//! published JSON Schema ([`SCHEMA`]) before it is read.

use crate::contract::{Band, PluginKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The rule's JSON Schema, as published (`vitals trigger schema`,
/// `GET /v1/schemas/trigger-rule.json`).
pub const SCHEMA: &str = include_str!("rule.schema.json");

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("the rule schema is JSON");
    jsonschema::validator_for(&schema).expect("the rule schema compiles")
});

/// A tenant's trigger rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Its name, kebab-case.
    pub name: String,
    /// What it is for, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The plugin whose runs it watches; `None`: the tenant's plugin of
    /// the event's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// The transition.
    pub event: Condition,
    /// Which accounts.
    #[serde(default, skip_serializing_if = "Filters::is_empty")]
    pub filters: Filters,
    /// The endpoints its events go to; empty: every endpoint of the tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<String>,
    /// Whether it fires.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// The transitions a rule can watch for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Condition {
    /// The health band changed (`to: red` is "turned Red").
    BandChanged {
        /// Only from this band.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Band>,
        /// Only to this band.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Band>,
    },
    /// The health score fell by at least `points`.
    ScoreDropped {
        /// Points (0-100 scale).
        points: f64,
    },
    /// The account entered a segment (any, or this one).
    SegmentEntered {
        /// Only this segment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        segment: Option<String>,
    },
    /// The account left a segment (any, or this one).
    SegmentLeft {
        /// Only this segment.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        segment: Option<String>,
    },
    /// The expansion propensity rose to or past `threshold`.
    PropensityCrossed {
        /// 0-1.
        threshold: f64,
    },
    /// The renewal is within `within_days` of the run's instant and its
    /// probability is under `probability_below` (and was not both before).
    RenewalAtRisk {
        /// Days ahead.
        within_days: u32,
        /// Probability 0-1.
        probability_below: f64,
    },
    /// A snapshot measure (or a derived one, such as
    /// `licence-utilisation`) crossed `threshold`.
    MeasureCrossed {
        /// The measure's name (a built-in field, a derived measure, or a
        /// metric).
        measure: String,
        /// The threshold.
        threshold: f64,
        /// Upwards (reaching at least the threshold) or downwards (falling
        /// under it).
        #[serde(default)]
        direction: Direction,
    },
}

/// Which way a threshold is crossed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// From under it to at least it.
    #[default]
    Up,
    /// From at least it to under it.
    Down,
}

/// The account filters of a rule; every one given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// The account's tier is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tier: Vec<String>,
    /// Its owner is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner: Vec<String>,
    /// Its plan is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<String>,
    /// It is a member of this segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Its contract ARR is at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_arr: Option<f64>,
    /// It carries these labels with these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Filters {
    /// Whether no filter is set (every account).
    pub fn is_empty(&self) -> bool {
        self == &Filters::default()
    }
}

impl Condition {
    /// The event's name (`band-changed`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Condition::BandChanged { .. } => "band-changed",
            Condition::ScoreDropped { .. } => "score-dropped",
            Condition::SegmentEntered { .. } => "segment-entered",
            Condition::SegmentLeft { .. } => "segment-left",
            Condition::PropensityCrossed { .. } => "propensity-crossed",
            Condition::RenewalAtRisk { .. } => "renewal-at-risk",
            Condition::MeasureCrossed { .. } => "measure-crossed",
        }
    }

    /// The kind of plugin whose results it compares (a measure is read
    /// from the snapshots the health model's run scored).
    pub fn kind(&self) -> PluginKind {
        match self {
            Condition::BandChanged { .. }
            | Condition::ScoreDropped { .. }
            | Condition::MeasureCrossed { .. } => PluginKind::HealthModel,
            Condition::SegmentEntered { .. } | Condition::SegmentLeft { .. } => {
                PluginKind::Segmenter
            }
            Condition::PropensityCrossed { .. } => PluginKind::PropensityModel,
            Condition::RenewalAtRisk { .. } => PluginKind::Forecaster,
        }
    }
}

impl Rule {
    /// Reads a rule from its JSON text: checked against [`SCHEMA`], every
    /// problem named by its place in the document.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let problems: Vec<String> = VALIDATOR
            .iter_errors(&value)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() {
                    "(top level)".into()
                } else {
                    at
                };
                format!("{at}: {e}")
            })
            .collect();
        // The schema says what is wrong; serde says it field by field
        // (a `oneOf` of the events only says that none matched).
        let typed = serde_json::from_value::<Rule>(value);
        match (problems.is_empty(), typed) {
            (true, Ok(rule)) => Ok(rule),
            (_, Err(e)) => Err(if problems.is_empty() {
                e.to_string()
            } else {
                format!("{}; {e}", problems.join("; "))
            }),
            (false, Ok(_)) => Err(problems.join("; ")),
        }
    }

    /// Whether the rule watches runs of `plugin` (of `kind`), given the
    /// tenant's health model's name for measure rules without a plugin.
    pub fn watches(&self, plugin: &str, kind: PluginKind) -> bool {
        match &self.plugin {
            Some(p) => p == plugin,
            None => self.event.kind() == kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_reads_with_its_defaults() {
        let r = Rule::parse(
            r#"{"name":"turned-red","event":{"type":"band-changed","to":"red"},
                "filters":{"tier":["enterprise"],"min_arr":50000}}"#,
        )
        .unwrap();
        assert!(r.enabled);
        assert_eq!(
            r.event,
            Condition::BandChanged {
                from: None,
                to: Some(Band::Red)
            }
        );
        assert_eq!(r.filters.min_arr, Some(50000.0));
        assert!(r.watches("weighted-health", PluginKind::HealthModel));
        assert!(!r.watches("lifecycle-segments", PluginKind::Segmenter));
        let m = Rule::parse(
            r#"{"name":"seats-75","event":{"type":"measure-crossed","measure":"licence-utilisation","threshold":0.75}}"#,
        )
        .unwrap();
        assert_eq!(
            m.event,
            Condition::MeasureCrossed {
                measure: "licence-utilisation".into(),
                threshold: 0.75,
                direction: Direction::Up
            }
        );
        // What it reads back as is what it writes.
        let again = Rule::parse(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn bad_rules_are_refused_naming_the_field() {
        for (text, says) in [
            (
                r#"{"name":"Bad Name","event":{"type":"band-changed"}}"#,
                "/name",
            ),
            (r#"{"name":"x","event":{"type":"score-dropped"}}"#, "points"),
            (
                r#"{"name":"x","event":{"type":"score-dropped","points":-3}}"#,
                "/event",
            ),
            (
                r#"{"name":"x","event":{"type":"turned-purple"}}"#,
                "turned-purple",
            ),
            (
                r#"{"name":"x","event":{"type":"band-changed","to":"blue"}}"#,
                "blue",
            ),
            (
                r#"{"name":"x","event":{"type":"band-changed"},"filters":{"arr":1}}"#,
                "arr",
            ),
            (
                r#"{"name":"x","event":{"type":"band-changed"},"colour":1}"#,
                "colour",
            ),
            (
                r#"{"name":"x","event":{"type":"renewal-at-risk","within_days":0,"probability_below":0.5}}"#,
                "/event",
            ),
            (r#"{"name":"x"}"#, "event"),
            ("{", "not JSON"),
        ] {
            let e = Rule::parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn the_published_schema_is_a_valid_json_schema() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        jsonschema::meta::validate(&schema).unwrap();
    }
}
