//! # Vitals host
//!
//! The service that stores customer-account snapshots and runs each
//! company's own scoring rules as sandboxed WebAssembly components: health
//! models, lifecycle segmenters, expansion-propensity models and renewal
//! forecasters.
//!
//! - [`runtime`]: wasmtime with the component model; limits, a locked-down
//!   deterministic context, validation at upload, compile cache.

pub mod runtime;
