//! # vitals-e2e
//!
//! Fixtures for the end-to-end tests: the test-only guest components (built
//! from `tests/guests/` by this crate's build script), the Python and
//! JavaScript plugins (built from `plugins/python/` and `plugins/js/`), and
//! fixture accounts.
//!
//! The components are `static`, not `const`: a const's bytes go into the
//! crate metadata as well, which made this crate's `.rmeta` 200 MB.

/// The hostile health model (see `tests/guests/hostile-health`).
pub static HOSTILE_HEALTH: &[u8] = include_bytes!(env!("GUEST_HOSTILE_HEALTH"));

/// The hostile contract-0.2 health model (see `tests/guests/hostile-v02`).
pub static HOSTILE_V02: &[u8] = include_bytes!(env!("GUEST_HOSTILE_V02"));

/// weighted-health 0.2.0 (see `tests/guests/weighted-health-v2`).
pub static WEIGHTED_HEALTH_V2: &[u8] = include_bytes!(env!("GUEST_WEIGHTED_HEALTH_V2"));

/// weighted-health built with the frozen 0.1 SDK (`plugin-sdk-0.1`, see
/// `tests/guests/weighted-health-v01`): a contract-0.1 component kept to
/// show 0.1 plugins still load, run and score as before.
pub static WEIGHTED_HEALTH_V01: &[u8] = include_bytes!(env!("GUEST_WEIGHTED_HEALTH_V01"));

/// The Python health model `adoption-health` (componentize-py).
pub static ADOPTION_HEALTH_PY: &[u8] = include_bytes!(env!("POLYGLOT_ADOPTION_HEALTH"));

/// The JavaScript segmenter `engagement-segments`, QuickJS engine (componentize-qjs).
pub static ENGAGEMENT_SEGMENTS_JS: &[u8] = include_bytes!(env!("POLYGLOT_ENGAGEMENT_SEGMENTS"));

/// The same segmenter on the StarlingMonkey engine (componentize-js), for comparison.
pub static ENGAGEMENT_SEGMENTS_JS_STARLINGMONKEY: &[u8] =
    include_bytes!(env!("POLYGLOT_ENGAGEMENT_SEGMENTS_STARLINGMONKEY"));

/// The hostile Python health model (see `tests/guests/python/hostile-py`).
pub static HOSTILE_PY: &[u8] = include_bytes!(env!("POLYGLOT_HOSTILE_PY"));

/// The hostile JavaScript segmenter (see `tests/guests/js/hostile-js`).
pub static HOSTILE_JS: &[u8] = include_bytes!(env!("POLYGLOT_HOSTILE_JS"));

/// The Python floor of contract 0.2: reads everything, does nothing (see
/// `tests/guests/python/floor-py`; `vitals-bench languages`).
pub static FLOOR_PY: &[u8] = include_bytes!(env!("POLYGLOT_FLOOR_PY"));

/// The QuickJS floor of contract 0.2 (see `tests/guests/js/floor-js`).
pub static FLOOR_JS: &[u8] = include_bytes!(env!("POLYGLOT_FLOOR_JS"));

/// The toolchain cache the build script used (`vitals plugin build` in the
/// tests reuses it instead of installing again).
pub const TOOLCHAINS: &str = env!("VITALS_TEST_TOOLCHAINS");

/// Creates `tenant` with `accounts` generated accounts (as of `as_of`) and
/// the hostile health model as its only active plugin, misbehaving as
/// `mode` (`loop`, `memory-bomb`, `panic`, `log-flood`, ...): the hostile
/// tenants of the load test and of `vitals-bench hostile`.
pub fn install_hostile_tenant(
    store: &vitals::store::Store,
    rt: &vitals::runtime::Runtime,
    tenant: &str,
    mode: &str,
    accounts: usize,
    as_of: i32,
) -> Result<(), String> {
    use vitals::demo::{generate, rows};
    let plugin = rt.load(HOSTILE_HEALTH).map_err(|e| e.to_string())?;
    let rows = rows(&generate(accounts, as_of, 7));
    let stored = (|| {
        store.create_tenant(tenant, tenant)?;
        store.ingest(
            tenant,
            &rows,
            vec![],
            vitals::store::IngestMode::AllOrNothing,
        )?;
        let p = store.add_plugin(
            tenant,
            &plugin.hash,
            HOSTILE_HEALTH,
            &plugin.metadata,
            plugin.contract,
        )?;
        store.set_plugin_config(tenant, &p.name, &format!(r#"{{"mode": "{mode}"}}"#))?;
        store.activate(tenant, &p.name, &p.version)
    })();
    stored.map(drop).map_err(|e| e.to_string())
}
