//! Helpers for the measures most rules use: utilisation, breadth, trends over
//! the history window, tenure and days to renewal, NPS categories.

use crate::{Account, Band, Date, Snapshot};

/// Active seats / purchased seats; `None` when either is blank or none were purchased.
pub fn licence_utilisation(s: &Snapshot) -> Option<f64> {
    match (s.seats_purchased?, s.seats_active?) {
        (0, _) => None,
        (bought, active) => Some(f64::from(active) / f64::from(bought)),
    }
}

/// Features used / features available; `None` when blank or none available.
pub fn feature_breadth(s: &Snapshot) -> Option<f64> {
    match (s.features_available?, s.features_used?) {
        (0, _) => None,
        (avail, used) => Some(f64::from(used) / f64::from(avail)),
    }
}

/// A free-form metric of a snapshot by name.
pub fn metric(s: &Snapshot, name: &str) -> Option<f64> {
    s.metrics.iter().find(|m| m.name == name).map(|m| m.value)
}

/// Days from `as_of` to the renewal date (negative once it has passed).
pub fn days_to_renewal(account: &Account, as_of: Date) -> Option<i32> {
    account.attributes.renewal_date.map(|d| d - as_of)
}

/// Days since the account started (its tenure).
pub fn tenure_days(account: &Account, as_of: Date) -> Option<i32> {
    account.attributes.start_date.map(|d| as_of - d)
}

/// The series of a measure over history then the current snapshot, oldest
/// first, skipping snapshots where it is blank.
pub fn series(account: &Account, measure: impl Fn(&Snapshot) -> Option<f64>) -> Vec<(Date, f64)> {
    account
        .history
        .iter()
        .chain(std::iter::once(&account.current))
        .filter_map(|s| measure(s).map(|v| (s.as_of, v)))
        .collect()
}

/// Least-squares slope of a series, in units per day; `None` with fewer than
/// two points or all points on one day.
pub fn slope_per_day(points: &[(Date, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| f64::from(p.0)).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in points {
        let dx = f64::from(*x) - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Relative change of a measure from its value `days` before the current
/// snapshot (the latest snapshot at or before that day) to now: -0.3 means it
/// fell 30 %. `None` without such a snapshot or when the old value is zero.
pub fn change_over(
    account: &Account,
    days: i32,
    measure: impl Fn(&Snapshot) -> Option<f64>,
) -> Option<f64> {
    let now = measure(&account.current)?;
    let cutoff = account.current.as_of - days;
    let old = account
        .history
        .iter()
        .rev()
        .find(|s| s.as_of <= cutoff)
        .and_then(&measure)?;
    (old != 0.0).then(|| (now - old) / old.abs())
}

/// How many of the latest health points in a row are in `band` (0 when the
/// latest is not). "Green two quarters running" is `run_in_band(..) >= 2`
/// over quarterly scores.
pub fn run_in_band(account: &Account, band: Band) -> usize {
    account
        .health
        .iter()
        .rev()
        .take_while(|h| h.band == band)
        .count()
}

/// NPS answer categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpsCategory {
    /// 9-10.
    Promoter,
    /// 7-8.
    Passive,
    /// 0-6.
    Detractor,
}

/// Category of an NPS answer.
pub fn nps_category(nps: u8) -> NpsCategory {
    match nps {
        9.. => NpsCategory::Promoter,
        7 | 8 => NpsCategory::Passive,
        _ => NpsCategory::Detractor,
    }
}

/// Linear 0-100 sub-score of `value` between `worst` and `best` (either
/// order), clamped. Used to turn a measure into points.
pub fn scale(value: f64, worst: f64, best: f64) -> f64 {
    if best == worst {
        return if value >= best { 100.0 } else { 0.0 };
    }
    // `+ 0.0` turns -0.0 into 0.0 so explanations never show "-0.00" points.
    ((value - worst) / (best - worst) * 100.0).clamp(0.0, 100.0) + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::ymd;
    use crate::testing::AccountBuilder;

    #[test]
    fn utilisation_and_breadth() {
        let a = AccountBuilder::new("a")
            .seats(10, 8)
            .features(20, 5)
            .build();
        assert_eq!(licence_utilisation(&a.current), Some(0.8));
        assert_eq!(feature_breadth(&a.current), Some(0.25));
        let zero = AccountBuilder::new("z").seats(0, 0).build();
        assert_eq!(licence_utilisation(&zero.current), None);
        let blank = AccountBuilder::new("b").build();
        assert_eq!(licence_utilisation(&blank.current), None);
    }

    #[test]
    fn trend_over_history() {
        let a = AccountBuilder::new("a")
            .as_of(ymd(2026, 7, 1))
            .logins(70)
            .history(ymd(2026, 1, 1), |s| s.logins(100))
            .history(ymd(2026, 4, 1), |s| s.logins(90))
            .build();
        let pts = series(&a, |s| s.logins.map(f64::from));
        assert_eq!(pts.len(), 3);
        assert!(slope_per_day(&pts).unwrap() < 0.0);
        // 60 days before 2026-07-01 is 2026-05-02: the 2026-04-01 snapshot (90).
        let change = change_over(&a, 60, |s| s.logins.map(f64::from)).unwrap();
        assert!((change - (70.0 - 90.0) / 90.0).abs() < 1e-12);
        assert_eq!(slope_per_day(&pts[..1]), None);
    }

    #[test]
    fn renewal_and_tenure() {
        let a = AccountBuilder::new("a")
            .start(ymd(2025, 1, 1))
            .renewal(ymd(2026, 1, 1))
            .build();
        assert_eq!(days_to_renewal(&a, ymd(2025, 12, 1)), Some(31));
        assert_eq!(days_to_renewal(&a, ymd(2026, 1, 11)), Some(-10));
        assert_eq!(tenure_days(&a, ymd(2025, 1, 31)), Some(30));
    }

    #[test]
    fn bands_in_a_row() {
        let a = AccountBuilder::new("a")
            .health_point(ymd(2025, 7, 1), 40.0, Band::Red)
            .health_point(ymd(2025, 10, 1), 80.0, Band::Green)
            .health_point(ymd(2026, 1, 1), 85.0, Band::Green)
            .build();
        assert_eq!(run_in_band(&a, Band::Green), 2);
        assert_eq!(run_in_band(&a, Band::Red), 0);
    }

    #[test]
    fn scaling_and_nps() {
        assert_eq!(scale(5.0, 0.0, 10.0), 50.0);
        assert_eq!(scale(15.0, 0.0, 10.0), 100.0);
        assert_eq!(scale(2.0, 10.0, 0.0), 80.0);
        assert_eq!(nps_category(9), NpsCategory::Promoter);
        assert_eq!(nps_category(7), NpsCategory::Passive);
        assert_eq!(nps_category(6), NpsCategory::Detractor);
    }
}
