//! # Backtests and calibration
//!
//! Does a score predict anything? A backtest scores every account as of a
//! past cut-off, using only the snapshots at or before it (checked before
//! every plugin call), then compares the scores with the outcomes of the
//! following days: ROC-AUC and PR-AUC from the scores (never from hard
//! predictions), the outcome rate and ARR per band with the lift of Red
//! over Green, and for forecasts a calibration table and the Brier score.
//! Several versions or configurations are judged side by side on the same
//! accounts, optionally only those meeting `where` conditions ([`Condition`]).
//! Each measure a candidate explains its scores with is ranked alone too, and
//! one far too good ([`leaks`]) is a warning: the outcome has leaked into it.
//! Nothing is written to the store.
//!
//! [`suggest`] calibrates from the tenant's own history: `weighted-health`
//! weights from a regularised logistic fit, and `renewal-forecast`
//! probabilities per band from observed rates, each judged on held-out
//! accounts beside the current configuration; a likely leak is left out of
//! the fit unless allowed. Suggestions are returned as configurations to
//! review; nothing is activated.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use vitals::backtest::{BacktestSpec, run};
//! let store = vitals::store::Store::open(std::path::Path::new("vitals-data/store"))?;
//! let rt = vitals::runtime::Runtime::new(Default::default())?;
//! let report = run(&store, &rt, "default", &BacktestSpec::at(20_454))?;
//! println!("ROC-AUC {:?}", report.candidates[0].roc_auc);
//! # Ok(()) }
//! ```
//!
//! Attributes (renewal date, contract value, confidence tier) are stored as
//! they are now, not as they were: a backtest reads them as of today.

mod filter;
pub mod fit;
pub mod leaks;
pub mod metrics;
mod report;
mod scan;
mod score;
mod spec;
mod suggest;

pub use filter::{Condition, ConditionOp};
pub use leaks::{Direction, MeasureReport};
pub use report::{AccountScores, BacktestReport, CandidateReport};
pub use score::run;
pub use spec::{AccountFilter, BacktestSpec, Candidate, SuggestSpec, held_out, iso_date};
pub use suggest::{
    DroppedMeasure, FittedMeasure, ForecastSuggestion, HealthSuggestion, ObservedBand, Suggestion,
    SuspectedLeak, readable, suggest,
};

use crate::runtime::PluginError;
use crate::store::StoreError;

/// Why a backtest or a suggestion could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// The request is wrong (unknown plugin, a kind that gives no score,
    /// a bad horizon); the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// No plugin was named and the tenant has no active health model to
    /// backtest by default.
    #[error("tenant {0:?} has no active health model: name the plugin to backtest")]
    NoHealthModel(String),
    /// No account could be judged (none at the cut-off, or none scored).
    #[error("{0}")]
    NoAccounts(String),
    /// Every compared account had the outcome, or none did: a ranking
    /// cannot be judged, so no figure is made up.
    #[error("{0}")]
    SingleClass(String),
    /// A plugin failed the whole backtest (invalid configuration, host failure).
    #[error("{plugin}: {error}")]
    Plugin {
        /// The plugin name.
        plugin: String,
        /// What went wrong.
        error: PluginError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An account about to be scored carried data from after the cut-off:
    /// a bug in the host, never the caller's fault.
    #[error("point in time broken: {0}")]
    PointInTime(String),
    /// The fit failed in a way the data does not explain.
    #[error("fit: {0}")]
    Fit(String),
}

impl BacktestError {
    /// Whether the caller can fix it (bad input) rather than an internal failure.
    pub fn is_bad_input(&self) -> bool {
        match self {
            BacktestError::Invalid(_)
            | BacktestError::NoHealthModel(_)
            | BacktestError::NoAccounts(_)
            | BacktestError::SingleClass(_) => true,
            BacktestError::Plugin { error, .. } => !matches!(error, PluginError::Host(_)),
            BacktestError::Store(e) => matches!(
                e,
                StoreError::NotFound { .. } | StoreError::Invalid(_) | StoreError::Rejected(_)
            ),
            BacktestError::PointInTime(_) | BacktestError::Fit(_) => false,
        }
    }
}
