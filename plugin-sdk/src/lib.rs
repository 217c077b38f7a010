//! # Vitals plugin SDK
//!
//! Write Vitals plugins in Rust: customer health models, lifecycle segmenters,
//! expansion-propensity models and renewal forecasters. A plugin is a
//! WebAssembly component built for `wasm32-wasip2`; this crate hides the
//! generated bindings behind idiomatic types, parses the tenant's
//! configuration once per batch into your own typed struct, offers helpers for
//! the common measures, and ships a native test harness ([`testing`]) so you
//! unit-test a plugin with plain `cargo test`.
//!
//! It targets contract `vitals:plugin@0.2.0` ([`CONTRACT_VERSION`]). You
//! implement one function per account over an [`Account`]; the SDK handles
//! batching, the configuration schema (derived from your config type) and
//! the exports. You declare what you read as a [`Projection`] (`READS`, or
//! [`Plugin::project`] when the configuration decides): the host sends only
//! that, as a columnar batch the SDK decodes into accounts, and whatever was
//! not asked for reads as blank (`None`, no labels, no history).
//!
//! The sandbox is deterministic: the wall clock reads the run's as-of, the
//! monotonic clock never moves (sleeping returns at once), and randomness is
//! seeded the same for every instance. An instance serves batch after batch
//! of a run, so a plugin that draws random numbers, or keeps state between
//! calls, gets results that depend on where an account falls in the run:
//! score from the account's data alone.
//!
//! A complete health model:
//!
//! ```
//! use vitals_plugin_sdk::prelude::*;
//!
//! /// Scores accounts on licence utilisation alone.
//! pub struct Utilisation;
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[serde(default, deny_unknown_fields)]
//! pub struct Config {
//!     /// Scores below this are red.
//!     red_below: f64,
//! }
//! impl Default for Config {
//!     fn default() -> Self { Config { red_below: 50.0 } }
//! }
//!
//! impl Plugin for Utilisation {
//!     type Config = Config;
//!     const NAME: &'static str = "utilisation-health";
//!     const VERSION: &'static str = "1.0.0";
//!     const DESCRIPTION: &'static str = "Health from licence utilisation.";
//!     const READS: Projection = Projection::current(&[Field::SeatsPurchased, Field::SeatsActive]);
//! }
//! impl HealthModel for Utilisation {
//!     fn score(config: &Config, _ctx: &Context, account: &Account) -> Result<Health, PluginError> {
//!         let used = measures::licence_utilisation(&account.current)
//!             .ok_or_else(|| PluginError::MissingData("seats-purchased is blank or zero".into()))?;
//!         let score = (used * 100.0).clamp(0.0, 100.0);
//!         let factor = Factor { name: "licence-utilisation".into(), group: "usage".into(),
//!             value: Some(used), weight: 1.0, points: score };
//!         Ok(Health { score, band: band_for(score, config.red_below, 75.0), factors: vec![factor] })
//!     }
//! }
//! export_health_model!(Utilisation);
//!
//! let acme = testing::AccountBuilder::new("acme").seats(10, 9).build();
//! let out = testing::score_health::<Utilisation>("{}", date::ymd(2026, 1, 1), &[acme]).unwrap();
//! assert_eq!(out[0].as_ref().unwrap().band, Band::Green);
//! ```
#![deny(missing_docs)]

#[doc(hidden)]
pub mod alloc;
#[doc(hidden)]
pub mod bindings;
pub mod column;
pub mod config;
pub mod date;
pub mod decode;
#[doc(hidden)]
pub mod dispatch;
mod export;
pub mod kinds;
pub mod log;
pub mod measures;
pub mod projection;
pub mod results;
pub mod testing;
mod types;
#[doc(hidden)]
pub mod wire;

pub use date::Date;
pub use kinds::{Context, Forecaster, HealthModel, Plugin, PropensityModel, Segmenter};
pub use projection::{Attribute, AttributeSet, Field, FieldSet, Names, Projection, Reads, Window};
pub use types::{
    Account, Attributes, Band, Confidence, Driver, Factor, Forecast, Health, HealthPoint, Label,
    Metadata, Metric, PluginError, PluginKind, Propensity, Segment, Snapshot,
};

#[doc(hidden)]
pub use schemars as __schemars;

/// The version of the WIT contract (`vitals:plugin`) this SDK targets.
pub const CONTRACT_VERSION: &str = "0.2.0";

/// Band for a 0-100 score: red below `red_below`, yellow below `yellow_below`, else green.
pub fn band_for(score: f64, red_below: f64, yellow_below: f64) -> Band {
    if score < red_below {
        Band::Red
    } else if score < yellow_below {
        Band::Yellow
    } else {
        Band::Green
    }
}

/// Everything a plugin usually needs, in one import.
pub mod prelude {
    pub use crate::{
        Account, Attribute, Attributes, Band, Confidence, Context, Date, Driver, Factor, Field,
        Forecast, Forecaster, Health, HealthModel, HealthPoint, Label, Metric, Names, Plugin,
        PluginError, PluginKind, Projection, Propensity, PropensityModel, Reads, Segment,
        Segmenter, Snapshot, Window, band_for, date, log, measures, testing,
    };
    pub use crate::{
        export_forecaster, export_health_model, export_propensity_model, export_segmenter,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_split_at_thresholds() {
        assert_eq!(band_for(49.9, 50.0, 75.0), Band::Red);
        assert_eq!(band_for(50.0, 50.0, 75.0), Band::Yellow);
        assert_eq!(band_for(74.99, 50.0, 75.0), Band::Yellow);
        assert_eq!(band_for(75.0, 50.0, 75.0), Band::Green);
    }
}
