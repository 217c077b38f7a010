//! What a plugin gives back for one account, whatever its kind, and the
//! lines it logs: stored with every run, so they belong to the contract,
//! not to the sandbox that produced them.

use super::types::{Forecast, Health, Propensity, Segment};
use serde::{Deserialize, Serialize};

/// One account's result, whatever the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Output {
    /// From a health model.
    Health(Health),
    /// From a segmenter.
    Segments {
        /// The segments the account is in.
        segments: Vec<Segment>,
    },
    /// From a propensity model.
    Propensity(Propensity),
    /// From a forecaster.
    Forecast(Forecast),
}

/// One line of a plugin's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LogLine {
    /// `debug`, `info`, `warn`, `error`, or `stdout` / `stderr` for captured output.
    pub level: String,
    /// The text.
    pub message: String,
}
