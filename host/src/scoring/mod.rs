//! Scoring runs over a tenant's stored accounts with its active plugins, and
//! the summaries read from stored results. The health model runs first: its
//! scores join each account's health history before the other kinds (which
//! read health) run on the same chunk.

pub mod events;
mod history;
pub mod pick;
mod run;
mod summary;

pub(crate) use history::health_history;
pub use pick::{RunPassedOver, RunRead, Selection};
pub use run::{PastReads, PastWindows, RunError, RunSettings, run_active, tenant_limits};
pub(crate) use summary::KINDS;
pub use summary::{
    BandCounts, BandSummary, ForecastSummary, SegmentChange, Summary, forecast_summary,
    renewal_base,
};
