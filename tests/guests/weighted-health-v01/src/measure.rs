//! Measure values by name: the built-ins, else a free-form metric.

use vitals_plugin_sdk_v01::{Account, Date, measures};

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
        "arr-change-90d" => measures::change_over(account, 90, |s| s.arr),
        "logins-change-90d" => measures::change_over(account, 90, |s| s.logins.map(f64::from)),
        "tenure-days" => measures::tenure_days(account, as_of).map(f64::from),
        other => measures::metric(s, other),
    }
    .filter(|v| v.is_finite())
}
