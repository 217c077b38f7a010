//! The four plugin kinds as traits. Implement one per account; the SDK batches.

use crate::projection::Projection;
use crate::{Account, Date, Forecast, Health, PluginError, Propensity, Segment};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

/// What every call knows besides the account: the run's instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The instant the run scores at (days since 1970-01-01). The plugin's
    /// clock is frozen here: never read the real time.
    pub as_of: Date,
}

/// What every plugin says about itself, whatever its kind.
pub trait Plugin {
    /// The tenant's configuration, parsed once per batch. Use
    /// `#[serde(default, deny_unknown_fields)]` so that blank settings take
    /// defaults and misspelt ones are refused with the field's name.
    type Config: DeserializeOwned + JsonSchema + Default;
    /// Plugin name, kebab-case.
    const NAME: &'static str;
    /// Semantic version.
    const VERSION: &'static str;
    /// One paragraph for people.
    const DESCRIPTION: &'static str;
    /// What the plugin reads under its default configuration (the
    /// metadata's `reads`): the host sends only that. Build it in const
    /// context: `Projection::current(&[Field::Nps]).with_metrics(&["x"])`.
    const READS: Projection;

    /// What the plugin reads under a tenant's configuration; the host asks
    /// (the component's `project` export) when a configuration is set and
    /// before a run. Override it when the configuration decides what is read
    /// (measures named in the configuration, a trend over N days). Called
    /// after [`Plugin::check_config`] accepted the configuration.
    fn project(config: &Self::Config) -> Projection {
        let _ = config;
        Self::READS
    }

    /// Checks a parsed configuration for what its schema cannot say
    /// (thresholds in order, a reference to a group that exists, ...).
    /// Called once per batch before any account, empty batches included,
    /// and by `project`: the host asks when a tenant sets a configuration,
    /// so an `Err` here refuses the configuration with its message (name
    /// the field). The default accepts every configuration.
    fn check_config(config: &Self::Config) -> Result<(), String> {
        let _ = config;
        Ok(())
    }
}

/// A customer health model: one explained 0-100 score per account.
pub trait HealthModel: Plugin {
    /// Scores one account.
    fn score(
        config: &Self::Config,
        ctx: &Context,
        account: &Account,
    ) -> Result<Health, PluginError>;
}

/// A lifecycle segmenter: the segments each account is in, with reasons.
pub trait Segmenter: Plugin {
    /// Segments of one account.
    fn assign(
        config: &Self::Config,
        ctx: &Context,
        account: &Account,
    ) -> Result<Vec<Segment>, PluginError>;
}

/// An expansion-propensity model: a 0-1 score with drivers per account.
pub trait PropensityModel: Plugin {
    /// Propensity of one account.
    fn score(
        config: &Self::Config,
        ctx: &Context,
        account: &Account,
    ) -> Result<Propensity, PluginError>;
}

/// A renewal forecaster: probability and expected value per account.
pub trait Forecaster: Plugin {
    /// Forecast for one account.
    fn forecast(
        config: &Self::Config,
        ctx: &Context,
        account: &Account,
    ) -> Result<Forecast, PluginError>;
}
