//! Scoring runs over accounts with a tenant's plugins, and the summaries read
//! from their results. The health model runs first: its scores are handed to
//! the other kinds (segments, propensity, forecast read health).

mod summary;

pub use summary::{ForecastSummary, Summary, summarise};

use crate::runtime::types::{Account, Health, HealthPoint};
use crate::runtime::{Limits, Output, Plugin, PluginError, RunOptions, Runtime};

/// The four plugins of a pack, one per kind.
pub struct Pack<'a> {
    /// The health model.
    pub health: &'a Plugin,
    /// The segmenter.
    pub segmenter: &'a Plugin,
    /// The propensity model.
    pub propensity: &'a Plugin,
    /// The forecaster.
    pub forecaster: &'a Plugin,
}

/// Every plugin's results for every account, in account order.
#[derive(Debug)]
pub struct PackResults {
    /// Health scores.
    pub health: Vec<Result<Output, PluginError>>,
    /// Segments.
    pub segments: Vec<Result<Output, PluginError>>,
    /// Expansion propensity.
    pub propensity: Vec<Result<Output, PluginError>>,
    /// Renewal forecasts.
    pub forecast: Vec<Result<Output, PluginError>>,
}

/// Runs the pack over `accounts` at `as_of` with default configuration.
/// Health runs first; each account's health score is appended to its health
/// history before the other plugins see it.
pub fn run_pack(
    rt: &Runtime,
    pack: &Pack,
    accounts: &mut [Account],
    as_of: i32,
) -> Result<PackResults, PluginError> {
    let limits = Limits::default();
    let opts = RunOptions::default();
    let health = rt
        .run(pack.health, &limits, "{}", as_of, accounts, opts)?
        .results;
    for (account, h) in accounts.iter_mut().zip(&health) {
        if let Ok(Output::Health(Health { score, band, .. })) = h {
            account.health.push(HealthPoint {
                as_of,
                score: *score,
                band: *band,
            });
        }
    }
    let segments = rt
        .run(pack.segmenter, &limits, "{}", as_of, accounts, opts)?
        .results;
    let propensity = rt
        .run(pack.propensity, &limits, "{}", as_of, accounts, opts)?
        .results;
    let forecast = rt
        .run(pack.forecaster, &limits, "{}", as_of, accounts, opts)?
        .results;
    Ok(PackResults {
        health,
        segments,
        propensity,
        forecast,
    })
}
