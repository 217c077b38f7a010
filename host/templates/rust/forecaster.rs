//! {{name}}: a renewal forecaster. Gives each account a renewal probability,
//! its confidence tier and the basis in words; expected renewal ARR is the
//! probability times the contract value.

use vitals_plugin_sdk::prelude::*;

/// The tenant's configuration (every field optional).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Renewal probability of a Green or Yellow account.
    pub healthy: f64,
    /// Renewal probability of a Red account.
    pub at_risk: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { healthy: 0.9, at_risk: 0.4 }
    }
}

/// The plugin.
pub struct Model;

impl Plugin for Model {
    type Config = Config;
    const NAME: &'static str = "{{name}}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Renewal probability from the latest health band.";
    /// What the host sends: these attributes and the latest health score
    /// (everything else reads as blank).
    const READS: Projection = Projection::current(&[])
        .with_attributes(&[Attribute::ContractArr, Attribute::RenewalDate])
        .with_health(Window::Latest(1));
}

impl Forecaster for Model {
    fn forecast(config: &Config, _ctx: &Context, account: &Account) -> Result<Forecast, PluginError> {
        let arr = account
            .attributes
            .contract_arr
            .ok_or_else(|| PluginError::MissingData("contract-arr is blank".into()))?;
        let red = account.health.last().is_some_and(|h| h.band == Band::Red);
        let (p, confidence) = if red { (config.at_risk, Confidence::Pipeline) } else { (config.healthy, Confidence::BestCase) };
        Ok(Forecast {
            renewal_probability: p,
            confidence,
            basis: format!("health {}: {:.0}% x contract {arr:.0}", if red { "Red" } else { "not Red" }, p * 100.0),
            renewal_date: account.attributes.renewal_date,
            expected_renewal_arr: p * arr,
            expected_expansion_arr: 0.0,
            expected_contraction_arr: 0.0,
        })
    }
}

export_forecaster!(Model);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_value_is_probability_times_contract() {
        let acme = testing::AccountBuilder::new("acme").contract_arr(1000.0).build();
        let out = testing::forecast::<Model>("{}", date::ymd(2026, 1, 1), &[acme]).unwrap();
        assert_eq!(out[0].as_ref().unwrap().expected_renewal_arr, 900.0);
    }
}
