//! Scoring runs over a tenant's stored accounts with its active plugins, and
//! the summaries read from stored results. The health model runs first: its
//! scores join each account's health history before the other kinds (which
//! read health) run on the same chunk.

mod run;
mod summary;

pub(crate) use run::health_history;
pub use run::{RunError, RunSettings, run_active, tenant_limits};
pub use summary::{BandSummary, ForecastSummary, SegmentChange, Summary, forecast_summary};
