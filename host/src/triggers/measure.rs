//! The measures a `measure-crossed` rule can watch, read from one snapshot:
//! the built-in fields by their kebab-case names, the derived ratios the
//! reference health model uses (`licence-utilisation`, `logins-per-seat`,
//! `feature-breadth`), and any free-form metric by its name.

use crate::contract::Snapshot;

/// Built-in and derived measure names (anything else is read as a metric).
pub const BUILT_IN: &[&str] = &[
    "licence-utilisation",
    "logins-per-seat",
    "feature-breadth",
    "seats-purchased",
    "seats-active",
    "logins",
    "features-used",
    "features-available",
    "tickets-open",
    "tickets-high-severity",
    "nps",
    "csat",
    "arr",
    "champion-left",
    "late-payments",
];

fn ratio(num: Option<u32>, den: Option<u32>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d > 0 => Some(f64::from(n) / f64::from(d)),
        _ => None,
    }
}

/// The value of measure `name` in a snapshot; `None` when blank.
pub fn value(name: &str, s: &Snapshot) -> Option<f64> {
    match name {
        "licence-utilisation" => ratio(s.seats_active, s.seats_purchased),
        "logins-per-seat" => ratio(s.logins, s.seats_active.or(s.seats_purchased)),
        "feature-breadth" => ratio(s.features_used, s.features_available),
        "seats-purchased" => s.seats_purchased.map(f64::from),
        "seats-active" => s.seats_active.map(f64::from),
        "logins" => s.logins.map(f64::from),
        "features-used" => s.features_used.map(f64::from),
        "features-available" => s.features_available.map(f64::from),
        "tickets-open" => s.tickets_open.map(f64::from),
        "tickets-high-severity" => s.tickets_high_severity.map(f64::from),
        "nps" => s.nps.map(f64::from),
        "csat" => s.csat,
        "arr" => s.arr,
        "champion-left" => s.champion_left.map(|b| if b { 1.0 } else { 0.0 }),
        "late-payments" => s.late_payments.map(f64::from),
        metric => s.metrics.iter().find(|m| m.name == metric).map(|m| m.value),
    }
    .filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Metric;

    #[test]
    fn derived_measures_and_metrics_read_from_a_snapshot() {
        let s = Snapshot {
            seats_purchased: Some(40),
            seats_active: Some(30),
            metrics: vec![Metric {
                name: "webinars-attended".into(),
                value: 3.0,
            }],
            ..Snapshot::empty(20_000)
        };
        assert_eq!(value("licence-utilisation", &s), Some(0.75));
        assert_eq!(value("webinars-attended", &s), Some(3.0));
        assert_eq!(value("nps", &s), None);
        let empty = Snapshot {
            seats_purchased: Some(0),
            seats_active: Some(0),
            ..Snapshot::empty(20_000)
        };
        assert_eq!(value("licence-utilisation", &empty), None);
    }
}
