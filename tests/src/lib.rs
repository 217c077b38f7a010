//! # vitals-e2e
//!
//! Fixtures for the end-to-end tests: the test-only guest components (built
//! from `tests/guests/` by this crate's build script), the Python and
//! JavaScript plugins (built from `plugins/python/` and `plugins/js/`), and
//! fixture accounts.

/// The hostile health model (see `tests/guests/hostile-health`).
pub const HOSTILE_HEALTH: &[u8] = include_bytes!(env!("GUEST_HOSTILE_HEALTH"));

/// weighted-health 0.2.0 (see `tests/guests/weighted-health-v2`).
pub const WEIGHTED_HEALTH_V2: &[u8] = include_bytes!(env!("GUEST_WEIGHTED_HEALTH_V2"));

/// The Python health model `adoption-health` (componentize-py).
pub const ADOPTION_HEALTH_PY: &[u8] = include_bytes!(env!("POLYGLOT_ADOPTION_HEALTH"));

/// The JavaScript segmenter `engagement-segments`, QuickJS engine (componentize-qjs).
pub const ENGAGEMENT_SEGMENTS_JS: &[u8] = include_bytes!(env!("POLYGLOT_ENGAGEMENT_SEGMENTS"));

/// The same segmenter on the StarlingMonkey engine (componentize-js), for comparison.
pub const ENGAGEMENT_SEGMENTS_JS_STARLINGMONKEY: &[u8] =
    include_bytes!(env!("POLYGLOT_ENGAGEMENT_SEGMENTS_STARLINGMONKEY"));

/// The hostile Python health model (see `tests/guests/python/hostile-py`).
pub const HOSTILE_PY: &[u8] = include_bytes!(env!("POLYGLOT_HOSTILE_PY"));

/// The hostile JavaScript segmenter (see `tests/guests/js/hostile-js`).
pub const HOSTILE_JS: &[u8] = include_bytes!(env!("POLYGLOT_HOSTILE_JS"));

/// The toolchain cache the build script used (`vitals plugin build` in the
/// tests reuses it instead of installing again).
pub const TOOLCHAINS: &str = env!("VITALS_TEST_TOOLCHAINS");
