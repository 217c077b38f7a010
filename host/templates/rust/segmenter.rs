//! {{name}}: a segmenter. Places each account in zero or more segments, each
//! with the reason and the figures used.

use vitals_plugin_sdk::prelude::*;

/// The tenant's configuration (every field optional).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Utilisation (0-1) from which an account is expansion-ready.
    pub expansion_utilisation: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config { expansion_utilisation: 0.8 }
    }
}

/// The plugin.
pub struct Model;

impl Plugin for Model {
    type Config = Config;
    const NAME: &'static str = "{{name}}";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Expansion-ready accounts: licence utilisation at or above a threshold.";
    /// What the host sends: only these fields (everything else reads as blank).
    const READS: Projection = Projection::current(&[Field::SeatsPurchased, Field::SeatsActive]);
}

impl Segmenter for Model {
    fn assign(config: &Config, _ctx: &Context, account: &Account) -> Result<Vec<Segment>, PluginError> {
        let mut segments = Vec::new();
        if let Some(used) = measures::licence_utilisation(&account.current)
            && used >= config.expansion_utilisation
        {
            segments.push(Segment {
                name: "expansion-ready".into(),
                reason: format!(
                    "{:.0}% of seats active (>= {:.0}%)",
                    used * 100.0,
                    config.expansion_utilisation * 100.0
                ),
            });
        }
        Ok(segments)
    }
}

export_segmenter!(Model);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_utilisation_is_expansion_ready_with_its_reason() {
        let acme = testing::AccountBuilder::new("acme").seats(10, 9).build();
        let out = testing::assign_segments::<Model>("{}", date::ymd(2026, 1, 1), &[acme]).unwrap();
        let segments = out[0].as_ref().unwrap();
        assert_eq!(segments[0].name, "expansion-ready");
        assert!(segments[0].reason.contains("90%"), "{}", segments[0].reason);
    }
}
