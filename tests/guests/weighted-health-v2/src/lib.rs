//! weighted-health 0.2.0 for tests: the reference logic with one known
//! change, the Yellow threshold raised by 5 points (75 -> 80 by default).
//! Same name, same configuration schema: a new version of the same plugin.

use vitals_plugin_sdk::prelude::*;
use weighted_health::{Config, WeightedHealth};

/// The 0.2.0 variant.
pub struct WeightedHealthV2;

impl Plugin for WeightedHealthV2 {
    type Config = Config;
    const NAME: &'static str = "weighted-health";
    const VERSION: &'static str = "0.2.0";
    const DESCRIPTION: &'static str = "weighted-health with Yellow below 80 (test variant).";
    const READS: Projection = WeightedHealth::READS;

    fn project(config: &Config) -> Projection {
        weighted_health::project(config)
    }

    fn check_config(config: &Config) -> Result<(), String> {
        weighted_health::check_config(config)
    }
}

impl HealthModel for WeightedHealthV2 {
    fn score(config: &Config, ctx: &Context, account: &Account) -> Result<Health, PluginError> {
        let mut raised = config.clone();
        raised.yellow_below += 5.0;
        weighted_health::score_account(&raised, ctx.as_of, account)
    }
}

export_health_model!(WeightedHealthV2);
