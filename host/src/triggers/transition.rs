//! Whether a rule's transition happened between an account's previous
//! result and this one, and what the event says of it. Pure: the caller
//! reads the results, snapshots and segments.

use super::event::Explanation;
use super::rule::{Condition, Direction, Filters};
use crate::contract::{Attributes, Band, Output, Segment};
use serde_json::{Value, json};

/// What one event says of its transition.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The compared value before.
    pub before: Value,
    /// And now.
    pub after: Value,
    /// The plugin's explanation.
    pub explanation: Explanation,
}

/// One account's two results and their instants.
#[derive(Debug, Clone, Copy)]
pub struct Compared<'a> {
    /// Its result in the previous run.
    pub before: &'a Output,
    /// Its result in this run.
    pub after: &'a Output,
    /// The previous run's instant (days).
    pub before_as_of: i32,
    /// This run's instant (days).
    pub after_as_of: i32,
    /// The account's attributes.
    pub attributes: &'a Attributes,
}

fn band_name(b: Band) -> &'static str {
    match b {
        Band::Green => "green",
        Band::Yellow => "yellow",
        Band::Red => "red",
    }
}

fn explain(out: &Output) -> Explanation {
    match out {
        Output::Health(h) => Explanation {
            factors: h.factors.clone(),
            ..Explanation::default()
        },
        Output::Propensity(p) => Explanation {
            drivers: p.drivers.clone(),
            ..Explanation::default()
        },
        Output::Forecast(f) => Explanation {
            basis: Some(f.basis.clone()),
            ..Explanation::default()
        },
        Output::Segments { .. } => Explanation::default(),
    }
}

fn segments(out: &Output) -> &[Segment] {
    match out {
        Output::Segments { segments } => segments,
        _ => &[],
    }
}

/// Days from `as_of` to the renewal, when the forecast or the account says
/// when it is.
fn days_to_renewal(out: &Output, attributes: &Attributes, as_of: i32) -> Option<i32> {
    let date = match out {
        Output::Forecast(f) => f.renewal_date.or(attributes.renewal_date),
        _ => None,
    }?;
    Some(date - as_of)
}

/// The transition `condition` names between `c.before` and `c.after`, if
/// it happened. `measure-crossed` is [`measure_crossed`].
pub fn transition(condition: &Condition, c: &Compared) -> Option<Change> {
    match (condition, c.before, c.after) {
        (Condition::BandChanged { from, to }, Output::Health(b), Output::Health(a)) => {
            let changed = b.band != a.band
                && from.is_none_or(|f| f == b.band)
                && to.is_none_or(|t| t == a.band);
            changed.then(|| Change {
                before: json!({"band": band_name(b.band), "score": b.score}),
                after: json!({"band": band_name(a.band), "score": a.score}),
                explanation: explain(c.after),
            })
        }
        (Condition::ScoreDropped { points }, Output::Health(b), Output::Health(a)) => {
            (b.score - a.score >= *points).then(|| Change {
                before: json!({"band": band_name(b.band), "score": b.score}),
                after: json!({"band": band_name(a.band), "score": a.score, "dropped": b.score - a.score}),
                explanation: explain(c.after),
            })
        }
        (Condition::SegmentEntered { segment }, before, after) => {
            segment_change(segment.as_deref(), segments(before), segments(after), true)
        }
        (Condition::SegmentLeft { segment }, before, after) => {
            segment_change(segment.as_deref(), segments(after), segments(before), false)
        }
        (Condition::PropensityCrossed { threshold }, Output::Propensity(b), Output::Propensity(a)) => {
            (b.score < *threshold && a.score >= *threshold).then(|| Change {
                before: json!({"propensity": b.score}),
                after: json!({"propensity": a.score, "threshold": threshold}),
                explanation: explain(c.after),
            })
        }
        (
            Condition::RenewalAtRisk {
                within_days,
                probability_below,
            },
            Output::Forecast(b),
            Output::Forecast(a),
        ) => {
            let at_risk = |out: &Output, p: f64, as_of: i32| {
                days_to_renewal(out, c.attributes, as_of)
                    .is_some_and(|d| (0..=*within_days as i32).contains(&d))
                    && p < *probability_below
            };
            let now = at_risk(c.after, a.renewal_probability, c.after_as_of);
            let was = at_risk(c.before, b.renewal_probability, c.before_as_of);
            (now && !was).then(|| Change {
                before: json!({"renewal_probability": b.renewal_probability,
                    "days_to_renewal": days_to_renewal(c.before, c.attributes, c.before_as_of)}),
                after: json!({"renewal_probability": a.renewal_probability,
                    "days_to_renewal": days_to_renewal(c.after, c.attributes, c.after_as_of),
                    "renewal_date": a.renewal_date.or(c.attributes.renewal_date)
                        .map(vitals_plugin_sdk::date::format)}),
                explanation: explain(c.after),
            })
        }
        _ => None,
    }
}

/// A segment entered (`entered`: in `now`, not in `was`) or left (the
/// sides swapped by the caller), one segment or any.
fn segment_change(
    only: Option<&str>,
    was: &[Segment],
    now: &[Segment],
    entered: bool,
) -> Option<Change> {
    let moved: Vec<&Segment> = now
        .iter()
        .filter(|s| only.is_none_or(|o| *s.name == *o))
        .filter(|s| !was.iter().any(|w| w.name == s.name))
        .collect();
    if moved.is_empty() {
        return None;
    }
    let names: Vec<&str> = moved.iter().map(|s| &*s.name).collect();
    let reason = moved
        .iter()
        .map(|s| format!("{}: {}", &*s.name, s.reason))
        .collect::<Vec<_>>()
        .join("; ");
    let (before, after) = if entered { (was, now) } else { (now, was) };
    let list = |s: &[Segment]| s.iter().map(|s| s.name.to_string()).collect::<Vec<_>>();
    let key = if entered { "entered" } else { "left" };
    Some(Change {
        before: json!({"segments": list(before)}),
        after: json!({"segments": list(after), key: names}),
        explanation: Explanation {
            reason: Some(reason),
            ..Explanation::default()
        },
    })
}

/// A measure crossed `threshold` between two snapshots.
pub fn measure_crossed(
    measure: &str,
    threshold: f64,
    direction: Direction,
    before: Option<f64>,
    after: Option<f64>,
    health: Option<&Output>,
) -> Option<Change> {
    let (b, a) = (before?, after?);
    let crossed = match direction {
        Direction::Up => b < threshold && a >= threshold,
        Direction::Down => b >= threshold && a < threshold,
    };
    crossed.then(|| Change {
        before: json!({"measure": measure, "value": b}),
        after: json!({"measure": measure, "value": a, "threshold": threshold}),
        explanation: health.map(explain).unwrap_or_default(),
    })
}

/// Whether a measure rule could fire on an account whose value is now
/// `after` (the previous snapshot is read only then).
pub fn measure_may_cross(threshold: f64, direction: Direction, after: Option<f64>) -> bool {
    after.is_some_and(|a| match direction {
        Direction::Up => a >= threshold,
        Direction::Down => a < threshold,
    })
}

/// Whether the account passes the filters that read its attributes (the
/// segment filter is the caller's: it needs the account's segments).
pub fn attributes_pass(f: &Filters, a: &Attributes) -> bool {
    let one_of = |allowed: &[String], v: &Option<String>| {
        allowed.is_empty() || v.as_ref().is_some_and(|v| allowed.contains(v))
    };
    one_of(&f.tier, &a.tier)
        && one_of(&f.owner, &a.owner)
        && one_of(&f.plan, &a.plan)
        && f.min_arr
            .is_none_or(|min| a.contract_arr.is_some_and(|arr| arr >= min))
        && f.labels.iter().all(|(name, value)| {
            a.labels
                .iter()
                .any(|l| &l.name == name && &l.value == value)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{Forecast, Health, Label, Propensity};

    fn health(score: f64, band: Band) -> Output {
        Output::Health(Health {
            score,
            band,
            factors: vec![],
        })
    }

    fn compared<'a>(
        before: &'a Output,
        after: &'a Output,
        attributes: &'a Attributes,
    ) -> Compared<'a> {
        Compared {
            before,
            after,
            before_as_of: 100,
            after_as_of: 107,
            attributes,
        }
    }

    #[test]
    fn band_changes_match_from_and_to() {
        let a = Attributes::empty();
        let (y, r, g) = (
            health(55.0, Band::Yellow),
            health(30.0, Band::Red),
            health(80.0, Band::Green),
        );
        let to_red = Condition::BandChanged {
            from: None,
            to: Some(Band::Red),
        };
        let change = transition(&to_red, &compared(&y, &r, &a)).unwrap();
        assert_eq!(change.before, json!({"band": "yellow", "score": 55.0}));
        assert_eq!(change.after["band"], "red");
        assert!(transition(&to_red, &compared(&r, &r, &a)).is_none());
        assert!(transition(&to_red, &compared(&y, &g, &a)).is_none());
        let from_green = Condition::BandChanged {
            from: Some(Band::Green),
            to: None,
        };
        assert!(transition(&from_green, &compared(&g, &y, &a)).is_some());
        assert!(transition(&from_green, &compared(&y, &r, &a)).is_none());
        let drop = Condition::ScoreDropped { points: 20.0 };
        assert!(transition(&drop, &compared(&y, &r, &a)).is_some());
        assert!(transition(&drop, &compared(&g, &y, &a)).is_some());
        assert!(transition(&drop, &compared(&r, &y, &a)).is_none());
        // Another kind's results never match.
        let p = Output::Propensity(Propensity {
            score: 0.9,
            drivers: vec![],
        });
        assert!(transition(&to_red, &compared(&p, &p, &a)).is_none());
    }

    #[test]
    fn segments_entered_and_left_name_the_segment_and_reason() {
        let seg = |names: &[&str]| Output::Segments {
            segments: names
                .iter()
                .map(|n| Segment {
                    name: (*n).into(),
                    reason: format!("why {n}"),
                })
                .collect(),
        };
        let a = Attributes::empty();
        let (before, after) = (seg(&["onboarding"]), seg(&["expansion-ready"]));
        let entered = Condition::SegmentEntered {
            segment: Some("expansion-ready".into()),
        };
        let c = transition(&entered, &compared(&before, &after, &a)).unwrap();
        assert_eq!(c.after["entered"], json!(["expansion-ready"]));
        assert_eq!(
            c.explanation.reason.as_deref(),
            Some("expansion-ready: why expansion-ready")
        );
        let left = Condition::SegmentLeft { segment: None };
        let c = transition(&left, &compared(&before, &after, &a)).unwrap();
        assert_eq!(c.after["left"], json!(["onboarding"]));
        assert_eq!(
            c.explanation.reason.as_deref(),
            Some("onboarding: why onboarding")
        );
        assert!(transition(&entered, &compared(&after, &after, &a)).is_none());
    }

    #[test]
    fn propensity_and_renewal_cross_only_once() {
        let a = Attributes::empty();
        let p = |s| {
            Output::Propensity(Propensity {
                score: s,
                drivers: vec![],
            })
        };
        let up = Condition::PropensityCrossed { threshold: 0.7 };
        assert!(transition(&up, &compared(&p(0.5), &p(0.8), &a)).is_some());
        assert!(transition(&up, &compared(&p(0.75), &p(0.8), &a)).is_none());
        assert!(transition(&up, &compared(&p(0.8), &p(0.5), &a)).is_none());
        let f = |prob| {
            Output::Forecast(Forecast {
                renewal_probability: prob,
                confidence: crate::contract::Confidence::Pipeline,
                basis: "b".into(),
                renewal_date: Some(130),
                expected_renewal_arr: 0.0,
                expected_expansion_arr: 0.0,
                expected_contraction_arr: 0.0,
            })
        };
        let risk = Condition::RenewalAtRisk {
            within_days: 25,
            probability_below: 0.6,
        };
        // 30 days out before, 23 now: entered the window with a low probability.
        let c = transition(&risk, &compared(&f(0.4), &f(0.4), &a)).unwrap();
        assert_eq!(c.after["days_to_renewal"], 23);
        // Already at risk before (a wider window): nothing new.
        let wide = Condition::RenewalAtRisk {
            within_days: 60,
            probability_below: 0.6,
        };
        assert!(transition(&wide, &compared(&f(0.4), &f(0.4), &a)).is_none());
        // The probability fell under the line inside the window.
        assert!(transition(&wide, &compared(&f(0.7), &f(0.4), &a)).is_some());
    }

    #[test]
    fn measures_cross_either_way_and_filters_read_attributes() {
        assert!(
            measure_crossed(
                "licence-utilisation",
                0.75,
                Direction::Up,
                Some(0.7),
                Some(0.8),
                None
            )
            .is_some()
        );
        assert!(
            measure_crossed(
                "licence-utilisation",
                0.75,
                Direction::Up,
                Some(0.8),
                Some(0.9),
                None
            )
            .is_none()
        );
        assert!(
            measure_crossed(
                "licence-utilisation",
                0.75,
                Direction::Up,
                None,
                Some(0.9),
                None
            )
            .is_none()
        );
        assert!(measure_crossed("nps", 7.0, Direction::Down, Some(8.0), Some(5.0), None).is_some());
        assert!(measure_may_cross(0.75, Direction::Up, Some(0.75)));
        assert!(!measure_may_cross(0.75, Direction::Up, Some(0.5)));
        let a = Attributes {
            tier: Some("enterprise".into()),
            contract_arr: Some(80_000.0),
            labels: vec![Label {
                name: "region".into(),
                value: "emea".into(),
            }],
            ..Attributes::empty()
        };
        let f: Filters = serde_json::from_value(
            json!({"tier": ["enterprise"], "min_arr": 50000, "labels": {"region": "emea"}}),
        )
        .unwrap();
        assert!(attributes_pass(&f, &a));
        let f: Filters = serde_json::from_value(json!({"min_arr": 100000})).unwrap();
        assert!(!attributes_pass(&f, &a));
        let f: Filters = serde_json::from_value(json!({"owner": ["dana"]})).unwrap();
        assert!(!attributes_pass(&f, &a));
        assert!(attributes_pass(&Filters::default(), &Attributes::empty()));
    }
}
