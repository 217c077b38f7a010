//! # vitals-e2e
//!
//! Fixtures for the end-to-end tests: the test-only guest components (built
//! from `tests/guests/` by this crate's build script) and fixture accounts.

/// The hostile health model (see `tests/guests/hostile-health`).
pub const HOSTILE_HEALTH: &[u8] = include_bytes!(env!("GUEST_HOSTILE_HEALTH"));

/// weighted-health 0.2.0 (see `tests/guests/weighted-health-v2`).
pub const WEIGHTED_HEALTH_V2: &[u8] = include_bytes!(env!("GUEST_WEIGHTED_HEALTH_V2"));
