//! {{name}}: an expansion-propensity model. Scores each account 0-1; its
//! drivers' contributions add up to the score.

use vitals_plugin_sdk::prelude::*;

/// The tenant's configuration (every field optional).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Utilisation (0-1) at which propensity starts above 0.
    pub floor: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { floor: 0.5 }
    }
}

/// The plugin.
pub struct Model;

impl Plugin for Model {
    type Config = Config;
    const NAME: &'static str = "{{name}}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Expansion propensity from licence utilisation above a floor.";
    /// What the host sends: only these fields (everything else reads as blank).
    const READS: Projection = Projection::current(&[Field::SeatsPurchased, Field::SeatsActive]);
}

impl PropensityModel for Model {
    fn score(config: &Config, _ctx: &Context, account: &Account) -> Result<Propensity, PluginError> {
        let used = measures::licence_utilisation(&account.current)
            .ok_or_else(|| PluginError::MissingData("seats-purchased is blank or zero".into()))?;
        let score = ((used - config.floor) / (1.0 - config.floor)).clamp(0.0, 1.0);
        let driver = Driver { name: "licence-utilisation".into(), value: used, contribution: score };
        Ok(Propensity { score, drivers: vec![driver] })
    }
}

export_propensity_model!(Model);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propensity_rises_with_utilisation_above_the_floor() {
        let full = testing::AccountBuilder::new("full").seats(10, 10).build();
        let half = testing::AccountBuilder::new("half").seats(10, 5).build();
        let out = testing::score_propensity::<Model>("{}", date::ymd(2026, 1, 1), &[full, half]).unwrap();
        assert_eq!(out[0].as_ref().unwrap().score, 1.0);
        assert_eq!(out[1].as_ref().unwrap().score, 0.0);
    }
}
