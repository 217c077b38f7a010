//! The code behind every export: parse the configuration once, decode the
//! batch into accounts, call the author's per-account function for each, in
//! order, and encode the results with their name tables. The test harness
//! calls the same functions, so native tests exercise the real path.

use crate::kinds::{Context, Forecaster, HealthModel, Plugin, PropensityModel, Segmenter};
use crate::projection::Projection;
use crate::results::{self, Results};
use crate::{Account, Date, Metadata, PluginError, PluginKind, config, decode, wire};

/// What a scoring export returns: the outer error is a configuration error.
pub type Outcome<T> = Result<T, wire::PluginError>;

fn metadata<M: Plugin>(kind: PluginKind) -> Metadata {
    Metadata {
        name: M::NAME.to_string(),
        version: M::VERSION.to_string(),
        kind,
        description: M::DESCRIPTION.to_string(),
        config_schema: config::schema_json::<M::Config>(),
        reads: M::READS,
    }
}

/// The configuration parsed and checked, as every export needs it.
fn configured<M: Plugin>(config: &str) -> Result<M::Config, PluginError> {
    let config: M::Config = config::parse(config)?;
    M::check_config(&config).map_err(PluginError::InvalidConfig)?;
    Ok(config)
}

/// What the plugin reads under a configuration (the `project` export): the
/// configuration's errors, else [`Plugin::project`].
pub fn project<M: Plugin>(config: &str) -> Result<Projection, PluginError> {
    configured::<M>(config).map(|c| M::project(&c))
}

/// The `project` export.
pub fn wire_project<M: Plugin>(config: &str) -> Outcome<wire::Projection> {
    project::<M>(config)
        .map(|p| wire::Projection::from(&p))
        .map_err(wire::PluginError::from)
}

fn run<M: Plugin, T, W>(
    config: &str,
    as_of: Date,
    batch: &wire::Batch,
    each: fn(&M::Config, &Context, &Account) -> Result<T, PluginError>,
    encode: fn(Results<T>) -> W,
) -> Outcome<W> {
    let config = configured::<M>(config)?;
    let ctx = Context { as_of };
    let mut results = Vec::with_capacity(batch.accounts.id.len());
    // A malformed batch is the host's fault, not an account's: the call fails.
    decode::for_each(batch, |a| results.push(each(&config, &ctx, a)))
        .map_err(|e| wire::PluginError::InvalidInput(e.to_string()))?;
    Ok(encode(results))
}

/// Metadata of a health model.
pub fn health_metadata<M: HealthModel>() -> Metadata {
    metadata::<M>(PluginKind::HealthModel)
}

/// Scores a batch with a health model (the `score` export).
pub fn health_score<M: HealthModel>(
    config: &str,
    as_of: Date,
    batch: &wire::Batch,
) -> Outcome<wire::HealthResults> {
    run::<M, _, _>(config, as_of, batch, M::score, results::health)
}

/// Metadata of a segmenter.
pub fn segmenter_metadata<M: Segmenter>() -> Metadata {
    metadata::<M>(PluginKind::Segmenter)
}

/// Assigns segments for a batch (the `assign` export).
pub fn segmenter_assign<M: Segmenter>(
    config: &str,
    as_of: Date,
    batch: &wire::Batch,
) -> Outcome<wire::SegmentResults> {
    run::<M, _, _>(config, as_of, batch, M::assign, results::segments)
}

/// Metadata of a propensity model.
pub fn propensity_metadata<M: PropensityModel>() -> Metadata {
    metadata::<M>(PluginKind::PropensityModel)
}

/// Scores a batch with a propensity model (the `score` export).
pub fn propensity_score<M: PropensityModel>(
    config: &str,
    as_of: Date,
    batch: &wire::Batch,
) -> Outcome<wire::PropensityResults> {
    run::<M, _, _>(config, as_of, batch, M::score, results::propensities)
}

/// Metadata of a forecaster.
pub fn forecaster_metadata<M: Forecaster>() -> Metadata {
    metadata::<M>(PluginKind::Forecaster)
}

/// Forecasts a batch (the `predict` export).
pub fn forecaster_forecast<M: Forecaster>(
    config: &str,
    as_of: Date,
    batch: &wire::Batch,
) -> Outcome<wire::ForecastResults> {
    run::<M, _, _>(config, as_of, batch, M::forecast, results::forecasts)
}
