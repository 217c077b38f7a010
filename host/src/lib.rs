//! # Vitals host
//!
//! The service that stores customer-account snapshots and runs each
//! company's own scoring rules as sandboxed WebAssembly components: health
//! models, lifecycle segmenters, expansion-propensity models and renewal
//! forecasters.
//!
//! - [`contract`]: the plugin contract's types (accounts, snapshots,
//!   results), shared by the store, ingest, scoring and the sandbox.
//! - [`runtime`]: wasmtime with the component model; limits, a locked-down
//!   deterministic context, validation at upload, compile cache.
//! - [`scoring`]: runs of a plugin pack over accounts, and their summaries.
//! - [`backtest`]: plugins judged against real outcomes; calibration from history.
//! - [`demo`]: a generated tenant for `vitals demo`.
//! - [`store`]: sled: tenants, snapshots, outcomes, plugins, runs, results.
//! - [`ingest`]: CSV, NDJSON and JSON input, mappings.
//! - [`names`]: the measures and labels a plugin configuration names,
//!   checked against what the tenant's accounts have.
//! - [`config`]: the operator's configuration file.
//! - [`delivery`]: webhook deliveries: destination policy, signing, retries.
//! - [`triggers`]: trigger rules, the transitions they watch, their events.
//! - [`pack`]: vendor packs (`.vpack`): format, signing, building.
//! - [`cli`]: the `vitals` command line.
//!
//! ```no_run
//! use vitals::runtime::{Limits, RunOptions, Runtime, RuntimeConfig, Share};
//! let rt = Runtime::new(RuntimeConfig::default()).unwrap();
//! let plugin = rt.load(vitals_reference_pack::component("weighted-health").unwrap()).unwrap();
//! let accounts = vitals::demo::generate(100, 20_454, 1);
//! let (limits, options) = (Limits::default(), RunOptions::default());
//! let out = rt.run(Share::of("acme"), &plugin, &limits, "{}", 20_454, &accounts, options).unwrap();
//! assert_eq!(out.results.len(), 100);
//! ```

pub mod backtest;
pub mod cli;
pub mod client;
pub mod config;
pub mod contract;
pub mod delivery;
pub mod demo;
pub mod ingest;
pub mod model;
pub mod names;
pub mod pack;
pub mod runtime;
pub mod scoring;
pub mod server;
pub mod service;
pub mod store;
pub mod triggers;
pub mod tuning;
