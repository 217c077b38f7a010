//! {{name}}: a health model. Scores each account 0-100 from licence
//! utilisation and maps the score to Green / Yellow / Red. Add measures by
//! adding factors: their points must add up to the score.

use vitals_plugin_sdk::prelude::*;

/// The tenant's configuration (every field optional).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Scores below this are Red.
    pub red_below: f64,
    /// Scores below this are Yellow.
    pub yellow_below: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { red_below: 50.0, yellow_below: 75.0 }
    }
}

/// The plugin.
pub struct Model;

impl Plugin for Model {
    type Config = Config;
    const NAME: &'static str = "{{name}}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Health from licence utilisation (seats active / purchased).";
    /// What the host sends: only these fields (everything else reads as blank).
    const READS: Projection = Projection::current(&[Field::SeatsPurchased, Field::SeatsActive]);
}

impl HealthModel for Model {
    fn score(config: &Config, _ctx: &Context, account: &Account) -> Result<Health, PluginError> {
        let used = measures::licence_utilisation(&account.current)
            .ok_or_else(|| PluginError::MissingData("seats-purchased is blank or zero".into()))?;
        let score = (used * 100.0).clamp(0.0, 100.0);
        let factor = Factor {
            name: "licence-utilisation".into(),
            group: "usage".into(),
            value: Some(used),
            weight: 1.0,
            points: score,
        };
        Ok(Health { score, band: band_for(score, config.red_below, config.yellow_below), factors: vec![factor] })
    }
}

export_health_model!(Model);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilisation_sets_score_and_band() {
        let acme = testing::AccountBuilder::new("acme").seats(10, 9).build();
        let out = testing::score_health::<Model>("{}", date::ymd(2026, 1, 1), &[acme]).unwrap();
        let health = out[0].as_ref().unwrap();
        assert_eq!((health.score, health.band), (90.0, Band::Green));
    }

    #[test]
    fn blank_seats_are_missing_data() {
        let blank = testing::AccountBuilder::new("blank").build();
        let out = testing::score_health::<Model>("{}", date::ymd(2026, 1, 1), &[blank]).unwrap();
        assert!(matches!(out[0], Err(PluginError::MissingData(_))));
    }
}
