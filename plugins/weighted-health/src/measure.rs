//! Measure values by name: the built-ins, else a free-form metric; and what
//! a configuration's measures read (the plugin's projection).

use crate::Config;
use vitals_plugin_sdk::prelude::{Attribute, Field, Names, Projection, Window};
use vitals_plugin_sdk::{Account, Date, measures};

/// How far back the `*-change-90d` measures look.
const CHANGE_DAYS: u32 = 90;

/// What a measure reads: current fields, the field of its 90-day change, an attribute.
enum Reads {
    Fields(&'static [Field]),
    ChangeOver(Field),
    Attribute(Attribute),
    Metric,
}

fn reads(name: &str) -> Reads {
    use Field::*;
    match name {
        "licence-utilisation" => Reads::Fields(&[SeatsPurchased, SeatsActive]),
        "logins-per-seat" => Reads::Fields(&[Logins, SeatsActive, SeatsPurchased]),
        "feature-breadth" => Reads::Fields(&[FeaturesUsed, FeaturesAvailable]),
        "tickets-open" => Reads::Fields(&[TicketsOpen]),
        "tickets-high-severity" => Reads::Fields(&[TicketsHighSeverity]),
        "nps" => Reads::Fields(&[Nps]),
        "csat" => Reads::Fields(&[Csat]),
        "champion-left" => Reads::Fields(&[ChampionLeft]),
        "late-payments" => Reads::Fields(&[LatePayments]),
        "arr-change-90d" => Reads::ChangeOver(Arr),
        "logins-change-90d" => Reads::ChangeOver(Logins),
        "tenure-days" => Reads::Attribute(Attribute::StartDate),
        _ => Reads::Metric,
    }
}

/// What a configuration reads: the fields, metrics and attributes of the
/// measures that can carry weight (in `groups` or a tier's), the tier when
/// tiers are configured, the start date and onboarding metric for the
/// onboarding rule, and 90 days of history for the `*-change-90d` measures.
pub fn project(config: &Config) -> Projection {
    let carries_weight = |group: &str| {
        let weighs = |groups: &std::collections::BTreeMap<String, f64>| {
            groups.get(group).is_some_and(|w| *w > 0.0)
        };
        weighs(&config.groups)
            || config
                .tiers
                .values()
                .any(|t| t.groups.as_ref().is_some_and(weighs))
    };
    let mut p = Projection::current(&[]).with_attributes(&[Attribute::StartDate]);
    if !config.tiers.is_empty() {
        p.attributes.insert(Attribute::Tier);
    }
    let mut metrics: Vec<&str> = Vec::new();
    for rule in config
        .measures
        .iter()
        .filter(|r| r.weight > 0.0 && carries_weight(&r.group))
    {
        match reads(&rule.measure) {
            Reads::Fields(fields) => fields.iter().for_each(|f| p.current.fields.insert(*f)),
            Reads::ChangeOver(field) => {
                p.current.fields.insert(field);
                p.history = Window::Days(CHANGE_DAYS);
                p.history_reads.fields.insert(field);
            }
            Reads::Attribute(a) => p.attributes.insert(a),
            Reads::Metric if !metrics.contains(&rule.measure.as_str()) => {
                metrics.push(&rule.measure)
            }
            Reads::Metric => {}
        }
    }
    if !metrics.contains(&config.onboarding_metric.as_str()) {
        metrics.push(&config.onboarding_metric);
    }
    p.current.metrics = Names::listed(&metrics);
    p
}

/// The value of a measure for an account, or `None` when blank.
pub fn value(name: &str, as_of: Date, account: &Account) -> Option<f64> {
    let s = &account.current;
    match name {
        "licence-utilisation" => measures::licence_utilisation(s),
        "logins-per-seat" => match (s.logins, s.seats_active.or(s.seats_purchased)) {
            (Some(l), Some(seats)) if seats > 0 => Some(f64::from(l) / f64::from(seats)),
            _ => None,
        },
        "feature-breadth" => measures::feature_breadth(s),
        "tickets-open" => s.tickets_open.map(f64::from),
        "tickets-high-severity" => s.tickets_high_severity.map(f64::from),
        "nps" => s.nps.map(f64::from),
        "csat" => s.csat,
        "champion-left" => s.champion_left.map(|b| if b { 1.0 } else { 0.0 }),
        "late-payments" => s.late_payments.map(f64::from),
        "arr-change-90d" => measures::change_over(account, CHANGE_DAYS as i32, |s| s.arr),
        "logins-change-90d" => {
            measures::change_over(account, CHANGE_DAYS as i32, |s| s.logins.map(f64::from))
        }
        "tenure-days" => measures::tenure_days(account, as_of).map(f64::from),
        other => measures::metric(s, other),
    }
    .filter(|v| v.is_finite())
}
