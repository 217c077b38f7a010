//! # renewal-forecast
//!
//! The reference renewal forecaster. Per account: a renewal probability from
//! the account team's confidence tier or else the health band, times the
//! contract value, with expansion and contraction kept apart.
//!
//! - Tier set by the account team: `commit` renews at `commit` (1.0),
//!   `omitted` at 0; `best-case` and `pipeline` use the band's probability.
//! - Otherwise by the latest health band: Green `green` (0.95, best case),
//!   Yellow `yellow` (0.70, pipeline), Red `red` (0.20, pipeline; with
//!   `red_policy` = `omit`, 0 and omitted). No health score: `unscored` (0.70).
//! - Expected renewal ARR = probability x contract ARR (contract value, else
//!   current ARR): never above the contract value.
//! - Expected expansion = probability x seats used beyond those purchased x
//!   the contract's price per seat.
//! - Expected contraction = probability x contract ARR x unused share x
//!   `contraction_share` (0.5) when utilisation is below `contraction_below` (0.5).

use schemars::JsonSchema;
use serde::Deserialize;
use vitals_plugin_sdk::prelude::*;

/// What to do with Red accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RedPolicy {
    /// Weight them at the Red probability.
    Weighted,
    /// Leave them out (probability 0).
    Omit,
}

/// Tenant configuration.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Probability for Green accounts.
    pub green: f64,
    /// Probability for Yellow accounts.
    pub yellow: f64,
    /// Probability for Red accounts (with `red_policy` = `weighted`).
    pub red: f64,
    /// Probability for committed renewals.
    pub commit: f64,
    /// Probability when no health score is known.
    pub unscored: f64,
    /// How Red accounts count.
    pub red_policy: RedPolicy,
    /// Utilisation below which contraction is expected.
    pub contraction_below: f64,
    /// Share of the unused seats' value expected to be cut.
    pub contraction_share: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            green: 0.95,
            yellow: 0.70,
            red: 0.20,
            commit: 1.0,
            unscored: 0.70,
            red_policy: RedPolicy::Weighted,
            contraction_below: 0.5,
            contraction_share: 0.5,
        }
    }
}

/// The renewal forecaster.
pub struct RenewalForecast;

impl Plugin for RenewalForecast {
    type Config = Config;
    const NAME: &'static str = "renewal-forecast";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Renewal probability from confidence tier and health band, \
        times contract value; expansion and contraction kept apart.";
    const READS: Projection =
        Projection::current(&[Field::Arr, Field::SeatsPurchased, Field::SeatsActive])
            .with_attributes(&[
                Attribute::ContractArr,
                Attribute::RenewalDate,
                Attribute::RenewalConfidence,
            ])
            .with_health(Window::Latest(1));
}

impl Forecaster for RenewalForecast {
    fn forecast(
        config: &Config,
        ctx: &Context,
        account: &Account,
    ) -> Result<Forecast, PluginError> {
        for (name, p) in [
            ("green", config.green),
            ("yellow", config.yellow),
            ("red", config.red),
            ("commit", config.commit),
            ("unscored", config.unscored),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(PluginError::InvalidConfig(format!(
                    "{name} must be a probability in 0..1, got {p}"
                )));
            }
        }
        let contract = account
            .attributes
            .contract_arr
            .or(account.current.arr)
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                PluginError::MissingData("neither contract-arr nor arr is set".into())
            })?;
        let (probability, confidence, mut basis) = probability(config, account);
        if let Some(days) = measures::days_to_renewal(account, ctx.as_of).filter(|d| *d < 0) {
            basis.push_str(&format!(
                "; renewal date passed {} days ago, not yet recorded",
                -days
            ));
        }
        let s = &account.current;
        let (expansion, contraction) = match (s.seats_purchased, s.seats_active) {
            (Some(bought), Some(active)) if bought > 0 => {
                let per_seat = contract / f64::from(bought);
                let extra = f64::from(active.saturating_sub(bought)) * per_seat;
                let utilisation = f64::from(active) / f64::from(bought);
                let cut = if utilisation < config.contraction_below {
                    contract * (1.0 - utilisation) * config.contraction_share
                } else {
                    0.0
                };
                (extra, cut)
            }
            _ => (0.0, 0.0),
        };
        Ok(Forecast {
            renewal_probability: probability,
            confidence,
            basis,
            renewal_date: account.attributes.renewal_date,
            expected_renewal_arr: (probability * contract).min(contract),
            expected_expansion_arr: probability * expansion,
            expected_contraction_arr: probability * contraction,
        })
    }
}

fn probability(config: &Config, account: &Account) -> (f64, Confidence, String) {
    match account.attributes.renewal_confidence {
        Some(Confidence::Commit) => {
            return (
                config.commit,
                Confidence::Commit,
                "committed by the account team".into(),
            );
        }
        Some(Confidence::Omitted) => {
            return (
                0.0,
                Confidence::Omitted,
                "omitted by the account team".into(),
            );
        }
        _ => {}
    }
    let tier = account.attributes.renewal_confidence;
    let Some(h) = account.health.last() else {
        return (
            config.unscored,
            tier.unwrap_or(Confidence::Pipeline),
            "no health score: unscored rate".into(),
        );
    };
    let (p, default_tier) = match h.band {
        Band::Green => (config.green, Confidence::BestCase),
        Band::Yellow => (config.yellow, Confidence::Pipeline),
        Band::Red if config.red_policy == RedPolicy::Omit => (0.0, Confidence::Omitted),
        Band::Red => (config.red, Confidence::Pipeline),
    };
    let band = h.band;
    (
        p,
        tier.unwrap_or(default_tier),
        format!("health {:.0} ({band}): {:.0} %", h.score, p * 100.0),
    )
}

export_forecaster!(RenewalForecast);

#[cfg(test)]
mod tests {
    use super::*;
    use vitals_plugin_sdk::date::ymd;
    use vitals_plugin_sdk::testing::{AccountBuilder, forecast};

    fn run(config: &str, a: Account) -> Result<Forecast, PluginError> {
        forecast::<RenewalForecast>(config, ymd(2026, 1, 1), &[a])
            .unwrap()
            .remove(0)
    }

    fn account(band: Band) -> AccountBuilder {
        AccountBuilder::new("a")
            .contract_arr(100_000.0)
            .renewal(ymd(2026, 6, 1))
            .seats(100, 80)
            .health_point(ymd(2026, 1, 1), 60.0, band)
    }

    #[test]
    fn band_probabilities_default_as_documented() {
        for (band, p) in [(Band::Green, 0.95), (Band::Yellow, 0.70), (Band::Red, 0.20)] {
            let f = run("{}", account(band).build()).unwrap();
            assert_eq!(f.renewal_probability, p);
            assert!((f.expected_renewal_arr - p * 100_000.0).abs() < 1e-6);
        }
    }

    #[test]
    fn committed_renewals_count_in_full() {
        let f = run(
            "{}",
            account(Band::Red).confidence(Confidence::Commit).build(),
        )
        .unwrap();
        assert_eq!(
            (f.renewal_probability, f.confidence),
            (1.0, Confidence::Commit)
        );
        assert_eq!(f.expected_renewal_arr, 100_000.0);
    }

    #[test]
    fn red_can_be_omitted_by_policy() {
        let f = run(r#"{"red_policy": "omit"}"#, account(Band::Red).build()).unwrap();
        assert_eq!(
            (f.renewal_probability, f.confidence),
            (0.0, Confidence::Omitted)
        );
    }

    #[test]
    fn expansion_is_kept_apart_and_renewal_capped() {
        let f = run("{}", account(Band::Green).seats(100, 120).build()).unwrap();
        assert_eq!(f.expected_renewal_arr, 95_000.0);
        assert!((f.expected_expansion_arr - 0.95 * 20.0 * 1000.0).abs() < 1e-6);
        assert_eq!(f.expected_contraction_arr, 0.0);
    }

    #[test]
    fn low_utilisation_expects_contraction() {
        let f = run("{}", account(Band::Yellow).seats(100, 30).build()).unwrap();
        assert!((f.expected_contraction_arr - 0.7 * 100_000.0 * 0.7 * 0.5).abs() < 1e-6);
    }

    #[test]
    fn no_health_uses_the_unscored_rate() {
        let a = AccountBuilder::new("u").contract_arr(10.0).build();
        let f = run("{}", a).unwrap();
        assert_eq!(f.renewal_probability, 0.7);
        assert!(f.basis.contains("no health"));
    }

    #[test]
    fn passed_renewal_date_is_noted() {
        let f = run("{}", account(Band::Green).renewal(ymd(2025, 12, 1)).build()).unwrap();
        assert!(f.basis.contains("passed 31 days ago"), "{}", f.basis);
    }

    #[test]
    fn zero_seats_and_missing_value() {
        let f = run("{}", account(Band::Green).seats(0, 0).build()).unwrap();
        assert_eq!(f.expected_expansion_arr, 0.0);
        let err = run("{}", AccountBuilder::new("x").build()).unwrap_err();
        assert!(matches!(err, PluginError::MissingData(_)));
    }

    #[test]
    fn probabilities_outside_0_1_are_invalid_config() {
        let err = run(r#"{"green": 1.5}"#, account(Band::Green).build()).unwrap_err();
        assert!(matches!(err, PluginError::InvalidConfig(m) if m.contains("green")));
    }
}
