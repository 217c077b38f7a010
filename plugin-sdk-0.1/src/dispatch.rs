//! The code behind every export: parse the configuration once, call the
//! author's per-account function for each account, in order. The test
//! harness calls the same functions, so native tests exercise the real path.

use crate::kinds::{Context, Forecaster, HealthModel, PropensityModel, Segmenter};
use crate::{
    Account, Date, Forecast, Health, Metadata, PluginError, PluginKind, Propensity, Segment, config,
};

/// Results of one batch: the outer error is a configuration error.
pub type Batch<T> = Result<Vec<Result<T, PluginError>>, PluginError>;

fn metadata<C: schemars::JsonSchema>(
    name: &str,
    version: &str,
    kind: PluginKind,
    description: &str,
    reads: &[&str],
) -> Metadata {
    Metadata {
        name: name.to_string(),
        version: version.to_string(),
        kind,
        description: description.to_string(),
        config_schema: config::schema_json::<C>(),
        reads: reads.iter().map(|r| r.to_string()).collect(),
    }
}

fn batch<C, T>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
    check: fn(&C) -> Result<(), String>,
    each: impl Fn(&C, &Context, &Account) -> Result<T, PluginError>,
) -> Batch<T>
where
    C: serde::de::DeserializeOwned + Default,
{
    let config: C = config::parse(config)?;
    check(&config).map_err(PluginError::InvalidConfig)?;
    let ctx = Context { as_of };
    Ok(accounts.iter().map(|a| each(&config, &ctx, a)).collect())
}

/// Metadata of a health model.
pub fn health_metadata<M: HealthModel>() -> Metadata {
    metadata::<M::Config>(
        M::NAME,
        M::VERSION,
        PluginKind::HealthModel,
        M::DESCRIPTION,
        M::READS,
    )
}

/// Scores a batch with a health model.
pub fn health_score<M: HealthModel>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Health> {
    batch(config, as_of, accounts, M::check_config, M::score)
}

/// Metadata of a segmenter.
pub fn segmenter_metadata<M: Segmenter>() -> Metadata {
    metadata::<M::Config>(
        M::NAME,
        M::VERSION,
        PluginKind::Segmenter,
        M::DESCRIPTION,
        M::READS,
    )
}

/// Assigns segments for a batch.
pub fn segmenter_assign<M: Segmenter>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Vec<Segment>> {
    batch(config, as_of, accounts, M::check_config, M::assign)
}

/// Metadata of a propensity model.
pub fn propensity_metadata<M: PropensityModel>() -> Metadata {
    metadata::<M::Config>(
        M::NAME,
        M::VERSION,
        PluginKind::PropensityModel,
        M::DESCRIPTION,
        M::READS,
    )
}

/// Scores a batch with a propensity model.
pub fn propensity_score<M: PropensityModel>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Propensity> {
    batch(config, as_of, accounts, M::check_config, M::score)
}

/// Metadata of a forecaster.
pub fn forecaster_metadata<M: Forecaster>() -> Metadata {
    metadata::<M::Config>(
        M::NAME,
        M::VERSION,
        PluginKind::Forecaster,
        M::DESCRIPTION,
        M::READS,
    )
}

/// Forecasts a batch.
pub fn forecaster_forecast<M: Forecaster>(
    config: &str,
    as_of: Date,
    accounts: &[Account],
) -> Batch<Forecast> {
    batch(config, as_of, accounts, M::check_config, M::forecast)
}
