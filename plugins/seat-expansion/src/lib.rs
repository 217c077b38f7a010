//! # seat-expansion
//!
//! The reference expansion-propensity model: who to call about more seats.
//! The propensity (0-1) is a weighted sum of drivers, each a 0-1 sub-score;
//! drivers without data are dropped and weights renormalised, so the drivers'
//! contributions always add up to the score.
//!
//! | driver | sub-score (defaults) | weight |
//! | --- | --- | --- |
//! | `licence-utilisation` | 0 at 60 %, 1 at 100 % | 0.35 |
//! | `utilisation-growth` | change in utilisation per 90 days: 0 at 0, 1 at +0.2 | 0.20 |
//! | `feature-breadth` | 0 at 20 %, 1 at 80 % of features used | 0.15 |
//! | `health-trend` | Green twice running 1, Green 0.6, Yellow 0.3, Red 0 | 0.20 |
//! | `renewal-window` | 1 when renewal is 30-180 days away, 0.4 otherwise | 0.10 |
//!
//! Accounts below `min_utilisation` (0.5) score 0: nobody buys seats they do
//! not use. Configuration: `weights` (per driver), `min_utilisation`,
//! `full_utilisation` (1.0), `zero_utilisation` (0.6), `growth_for_full` (0.2),
//! `renewal_window_days` ([30, 180]).

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use vitals_plugin_sdk::prelude::*;

/// Tenant configuration.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Weight per driver name.
    pub weights: BTreeMap<String, f64>,
    /// Below this utilisation the propensity is 0.
    pub min_utilisation: f64,
    /// Utilisation that scores 0 on the utilisation driver.
    pub zero_utilisation: f64,
    /// Utilisation that scores 1 on the utilisation driver.
    pub full_utilisation: f64,
    /// Growth in utilisation per 90 days that scores 1.
    pub growth_for_full: f64,
    /// Days to renewal, [from, to], in which the renewal-window driver scores 1.
    pub renewal_window_days: [i32; 2],
}

impl Default for Config {
    fn default() -> Self {
        let weights = [
            ("licence-utilisation", 0.35),
            ("utilisation-growth", 0.20),
            ("feature-breadth", 0.15),
            ("health-trend", 0.20),
            ("renewal-window", 0.10),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Config {
            weights,
            min_utilisation: 0.5,
            zero_utilisation: 0.6,
            full_utilisation: 1.0,
            growth_for_full: 0.2,
            renewal_window_days: [30, 180],
        }
    }
}

/// The seat-expansion propensity model.
pub struct SeatExpansion;

impl Plugin for SeatExpansion {
    type Config = Config;
    const NAME: &'static str = "seat-expansion";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Seat-expansion propensity from licence utilisation, its \
        growth, feature breadth, health trend and the renewal window.";
    /// Utilisation growth is a slope over every earlier snapshot sent;
    /// "Green twice running" needs the latest two health scores.
    const READS: Projection = Projection::current(&[
        Field::SeatsPurchased,
        Field::SeatsActive,
        Field::FeaturesUsed,
        Field::FeaturesAvailable,
    ])
    .with_attributes(&[Attribute::RenewalDate])
    .with_history(Window::All, &[Field::SeatsPurchased, Field::SeatsActive])
    .with_health(Window::Latest(2));
}

impl PropensityModel for SeatExpansion {
    fn score(config: &Config, ctx: &Context, account: &Account) -> Result<Propensity, PluginError> {
        let utilisation = measures::licence_utilisation(&account.current).ok_or_else(|| {
            PluginError::MissingData(
                "licence utilisation needs seats purchased (> 0) and seats active".into(),
            )
        })?;
        let mut raw: Vec<(&str, f64, f64)> = Vec::new(); // (driver, value, 0-1 sub-score)
        raw.push((
            "licence-utilisation",
            utilisation,
            unit(
                utilisation,
                config.zero_utilisation,
                config.full_utilisation,
            ),
        ));
        let series = measures::series(account, measures::licence_utilisation);
        if let Some(slope) = measures::slope_per_day(&series) {
            let growth = slope * 90.0;
            raw.push((
                "utilisation-growth",
                growth,
                unit(growth, 0.0, config.growth_for_full),
            ));
        }
        if let Some(b) = measures::feature_breadth(&account.current) {
            raw.push(("feature-breadth", b, unit(b, 0.2, 0.8)));
        }
        if let Some(latest) = account.health.last() {
            let sub = match latest.band {
                Band::Green if measures::run_in_band(account, Band::Green) >= 2 => 1.0,
                Band::Green => 0.6,
                Band::Yellow => 0.3,
                Band::Red => 0.0,
            };
            raw.push(("health-trend", latest.score, sub));
        }
        if let Some(days) = measures::days_to_renewal(account, ctx.as_of) {
            let [from, to] = config.renewal_window_days;
            let sub = if (from..=to).contains(&days) {
                1.0
            } else {
                0.4
            };
            raw.push(("renewal-window", f64::from(days), sub));
        }
        let weight = |name: &str| config.weights.get(name).copied().unwrap_or(0.0).max(0.0);
        let total: f64 = raw.iter().map(|(n, _, _)| weight(n)).sum();
        if total <= 0.0 {
            return Err(PluginError::InvalidConfig(
                "every driver present has weight 0".into(),
            ));
        }
        let gate = if utilisation < config.min_utilisation {
            0.0
        } else {
            1.0
        };
        let drivers: Vec<Driver> = raw
            .iter()
            .map(|(name, value, sub)| Driver {
                name: (*name).into(),
                value: *value,
                contribution: gate * weight(name) / total * sub,
            })
            .collect();
        let score = drivers
            .iter()
            .map(|d| d.contribution)
            .sum::<f64>()
            .clamp(0.0, 1.0);
        Ok(Propensity { score, drivers })
    }
}

fn unit(value: f64, zero: f64, full: f64) -> f64 {
    measures::scale(value, zero, full) / 100.0
}

export_propensity_model!(SeatExpansion);

#[cfg(test)]
mod tests {
    use super::*;
    use vitals_plugin_sdk::date::ymd;
    use vitals_plugin_sdk::testing::{AccountBuilder, score_propensity};

    fn score(a: Account) -> Result<Propensity, PluginError> {
        score_propensity::<SeatExpansion>("{}", ymd(2026, 1, 1), &[a])
            .unwrap()
            .remove(0)
    }

    fn full() -> AccountBuilder {
        AccountBuilder::new("hot")
            .seats(100, 98)
            .features(10, 8)
            .renewal(ymd(2026, 3, 1))
            .history(ymd(2025, 7, 1), |s| s.seats(100, 70))
            .history(ymd(2025, 10, 1), |s| s.seats(100, 85))
            .health_point(ymd(2025, 10, 1), 82.0, Band::Green)
            .health_point(ymd(2026, 1, 1), 88.0, Band::Green)
    }

    #[test]
    fn a_full_growing_green_account_near_renewal_is_hot() {
        let p = score(full().build()).unwrap();
        assert!(p.score > 0.9, "{}", p.score);
        let sum: f64 = p.drivers.iter().map(|d| d.contribution).sum();
        assert!((sum - p.score).abs() < 1e-12);
        assert_eq!(p.drivers.len(), 5);
    }

    #[test]
    fn low_utilisation_scores_zero() {
        let p = score(AccountBuilder::new("cold").seats(100, 30).build()).unwrap();
        assert_eq!(p.score, 0.0);
    }

    #[test]
    fn no_history_drops_growth_and_renormalises() {
        let a = AccountBuilder::new("n").seats(10, 10).build();
        let p = score(a).unwrap();
        assert_eq!(p.drivers.len(), 1);
        assert!((p.score - 1.0).abs() < 1e-12);
    }

    #[test]
    fn red_health_cools_the_score() {
        let mut red = full().build();
        for h in &mut red.health {
            h.band = Band::Red;
        }
        assert!(score(red).unwrap().score < score(full().build()).unwrap().score - 0.15);
    }

    #[test]
    fn renewal_date_passed_is_outside_the_window() {
        let late = full().renewal(ymd(2025, 11, 1)).build();
        let d = score(late)
            .unwrap()
            .drivers
            .into_iter()
            .find(|d| d.name == "renewal-window")
            .unwrap();
        assert_eq!(d.value, -61.0);
    }

    #[test]
    fn zero_seats_is_missing_data() {
        let err = score(AccountBuilder::new("z").seats(0, 0).build()).unwrap_err();
        assert!(matches!(err, PluginError::MissingData(_)));
    }
}
