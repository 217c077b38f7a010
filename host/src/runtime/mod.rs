//! The sandboxed plugin runtime: wasmtime with the component model, every
//! call under the operator's limits, in a locked-down deterministic context.
//! Components are validated when added, compiled once (disk cache keyed by
//! engine and content hash, loaded with a memory map) and pre-instantiated;
//! instances come from a pooling allocator sized for Python and JavaScript
//! runtimes, and every call gets a fresh instance whose randomness is seeded
//! from the call's inputs (`seed`), so that results never depend on
//! scheduling.

mod batch;
mod bindings;
mod cache;
mod invoke;
mod output;
mod pool;
mod results;
mod run;
mod sandbox;
pub mod sched;
mod seed;
mod sniff;
mod validate;
mod wasi;

pub use crate::contract::{ContractVersion, Limits, LogLine, Output, PluginError, Projection};
pub use bindings::types;
pub use cache::Loaded;
pub use invoke::{Instance, SetupTiming};
pub use pool::Footprint;
pub use run::{Job, RunOptions, RunOutput};
pub use sched::Share;
pub use types::{Account, PluginKind, PluginMetadata};
pub use validate::{SUPPORTED_CONTRACT, check_config};

use cache::CompileCache;
use invoke::{EPOCH_TICK_MS, KindPre};
use sandbox::CallState;
use sched::Scheduler;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy};

/// How the runtime is set up by the operator.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The operator's default (and maximum) limits.
    pub limits: Limits,
    /// Where compiled components are cached; `None` compiles in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Instances that may be alive at once (pool size).
    pub max_instances: u32,
    /// Instances from a pooling allocator (on-demand allocation otherwise).
    /// Only benchmarks turn this, fuel or epochs off, to measure their cost.
    pub pooling: bool,
    /// Meter fuel (the `fuel` limit needs it).
    pub fuel: bool,
    /// Epoch interruption (the `deadline_ms` limit needs it).
    pub epochs: bool,
    /// Share the cores between tenants (`sched`); off, every call runs at
    /// once and the operating system shares the cores between threads.
    /// Only benchmarks turn it off, to measure what it buys.
    pub fair_scheduling: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            limits: Limits::default(),
            cache_dir: None,
            max_instances: 64,
            pooling: true,
            fuel: true,
            epochs: true,
            fair_scheduling: true,
        }
    }
}

/// What [`Runtime::call_metered`] returns: the call's outcome and its fuel.
pub struct Metered {
    /// The outcome, as [`Runtime::call`] gives it.
    pub outcome: Result<invoke::CallOutcome, PluginError>,
    /// Fuel the call used, failed or not.
    pub fuel_used: u64,
}

/// A validated, compiled plugin version, ready to call.
pub struct Plugin {
    /// sha-256 of the component bytes, hex.
    pub hash: String,
    /// The world it implements.
    pub kind: PluginKind,
    /// The contract version of that world.
    pub contract: ContractVersion,
    /// What a 0.2 plugin reads under its default configuration (its
    /// metadata's `reads`); `None` for 0.1, which is sent everything.
    pub reads: Option<Projection>,
    /// What it says about itself.
    pub metadata: PluginMetadata,
    /// How it was obtained (compiled now or from the disk cache).
    pub loaded: Loaded,
    /// What an instance needs of a pool slot (memories, tables).
    pub footprint: Option<Footprint>,
    schema: jsonschema::Validator,
    pre: KindPre,
    /// A 0.2 plugin's projection for each configuration seen, by the
    /// configuration's sha-256: asked once, in an instance of its own.
    projections: Mutex<HashMap<String, Arc<Projection>>>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("hash", &self.hash)
            .field("kind", &self.kind)
            .field("name", &self.metadata.name)
            .field("version", &self.metadata.version)
            .finish()
    }
}

impl Plugin {
    /// Validates a tenant configuration against this plugin's schema.
    pub fn check_config(&self, config: &str) -> Result<(), PluginError> {
        validate::check_config(&self.schema, config)
    }
}

/// The runtime: one engine, one linker, the compile cache, the epoch ticker
/// and the scheduler sharing the cores between tenants.
pub struct Runtime {
    engine: Engine,
    scheduler: Arc<Scheduler>,
    linker: Linker<CallState>,
    limits: Limits,
    fuel: bool,
    max_instances: u32,
    cache: Option<CompileCache>,
    plugins: Mutex<HashMap<String, Arc<Plugin>>>,
    /// One lock per component being loaded: threads loading the same one
    /// wait for the first instead of compiling it again beside it.
    loading: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// sha-256 of component bytes, hex: the plugin's content address.
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Runtime {
    /// Builds the engine (synchronous calls, fuel, epochs, pooling) and the
    /// linker (our `log` import and the locked-down WASI 0.2 interfaces).
    pub fn new(config: RuntimeConfig) -> Result<Self, PluginError> {
        let host = |e: wasmtime::Error| PluginError::Host(format!("{e:#}"));
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .concurrency_support(false)
            .consume_fuel(config.fuel)
            .epoch_interruption(config.epochs)
            .max_wasm_stack(1 << 20);
        if config.pooling {
            wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool::config(
                config.max_instances,
                &config.limits,
            )));
        }
        let engine = Engine::new(&wasm).map_err(host)?;
        let linker = wasi::base_linker(&engine).map_err(host)?;
        let cache =
            match &config.cache_dir {
                Some(dir) => Some(CompileCache::new(dir, &engine).map_err(|e| {
                    PluginError::Host(format!("compile cache {}: {e}", dir.display()))
                })?),
                None => None,
            };
        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (ticker_engine, stop) = (engine.clone(), ticker_stop.clone());
        std::thread::Builder::new()
            .name("vitals-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(EPOCH_TICK_MS));
                    ticker_engine.increment_epoch();
                }
            })
            .map_err(|e| PluginError::Host(format!("epoch ticker: {e}")))?;
        let cores = match config.fair_scheduling {
            true => std::thread::available_parallelism().map_or(1, |n| n.get()),
            // Never a wait, so never a turn passed on.
            false => usize::MAX,
        };
        // A call waiting behind a more-used tenant brings the running calls
        // to their epoch callback (the scheduler's checkpoint) at once.
        let nudge_engine = engine.clone();
        Ok(Runtime {
            engine,
            scheduler: Scheduler::with_nudge(cores, move || nudge_engine.increment_epoch()),
            linker,
            limits: config.limits,
            fuel: config.fuel,
            max_instances: config.max_instances,
            cache,
            plugins: Mutex::new(HashMap::new()),
            loading: Mutex::default(),
            ticker_stop,
        })
    }

    /// The operator's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Validates and compiles a component (or finds it already loaded):
    /// it must parse, implement exactly one known world of a supported
    /// contract version, import nothing outside the allow-list, and answer
    /// `metadata` within limits with the same kind and a valid JSON Schema.
    pub fn load(&self, bytes: &[u8]) -> Result<Arc<Plugin>, PluginError> {
        let hash = content_hash(bytes);
        if let Some(p) = self.plugins.lock().expect("plugins lock").get(&hash) {
            return Ok(p.clone());
        }
        let gate = self
            .loading
            .lock()
            .expect("loading lock")
            .entry(hash.clone())
            .or_default()
            .clone();
        let loaded = {
            let _first = gate.lock().unwrap_or_else(|e| e.into_inner());
            let done = self
                .plugins
                .lock()
                .expect("plugins lock")
                .get(&hash)
                .cloned();
            match done {
                Some(p) => Ok(p),
                None => self.load_new(&hash, bytes),
            }
        };
        self.loading.lock().expect("loading lock").remove(&hash);
        loaded
    }

    fn load_new(&self, hash: &str, bytes: &[u8]) -> Result<Arc<Plugin>, PluginError> {
        sniff::check(bytes)?;
        let hash = hash.to_string();
        let (component, loaded) = match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, &hash, bytes)?,
            None => (
                Component::new(&self.engine, bytes)
                    .map_err(|e| PluginError::InvalidComponent(format!("{e:#}")))?,
                Loaded::Compiled,
            ),
        };
        validate::check_imports(&self.engine, &component)?;
        let (kind, contract) = validate::world_of(&self.engine, &component)?;
        let footprint = Footprint::of(&component);
        pool::check_fits(footprint, &self.limits)?;
        let pre = wasi::linker_for(&self.linker, &self.engine, &component)?
            .instantiate_pre(&component)
            .and_then(|pre| KindPre::new(kind, contract, pre))
            .map_err(|e| PluginError::UnknownWorld(format!("does not match its world: {e:#}")))?;
        let (metadata, reads) = Instance::new(&self.engine, &pre, &self.limits, self.fuel, 0, 0)?
            .metadata(&self.limits)?;
        validate::check_metadata(kind, &metadata)?;
        let schema = validate::compile_schema(&metadata.config_schema)
            .map_err(|e| PluginError::BadMetadata(format!("config-schema: {e}")))?;
        let plugin = Arc::new(Plugin {
            hash: hash.clone(),
            kind,
            contract,
            reads,
            metadata,
            loaded,
            footprint,
            schema,
            pre,
            projections: Mutex::default(),
        });
        self.plugins
            .lock()
            .expect("plugins lock")
            .insert(hash, plugin.clone());
        Ok(plugin)
    }

    /// The names of a component's imports (parses and compiles it; no checks).
    pub fn component_imports(&self, bytes: &[u8]) -> Result<Vec<String>, PluginError> {
        let component = Component::new(&self.engine, bytes)
            .map_err(|e| PluginError::InvalidComponent(format!("{e:#}")))?;
        Ok(component
            .component_type()
            .imports(&self.engine)
            .map(|(n, _)| n.to_string())
            .collect())
    }

    /// Mean store-setup and instantiation times over `n` rounds (benchmarks).
    pub fn setup_timing(&self, plugin: &Plugin, n: u32) -> Result<SetupTiming, PluginError> {
        invoke::setup_timing(&self.engine, &plugin.pre, &self.limits, self.fuel, n)
    }

    /// One call on one batch, in a fresh instance, on `share`'s turn of a
    /// core. Low level: most callers want [`Runtime::run_job`], which
    /// batches, parallelises and retries.
    /// Asks a plugin whether it can use a configuration: a call on an
    /// empty batch, which a plugin answers with `invalid-config` when it
    /// cannot (what its schema cannot say: thresholds out of order, a
    /// group that does not exist). `invalid-config` and host failures are
    /// errors; any other failure (a trap, a plugin that cannot take an
    /// empty batch) refuses nothing and is returned as `Ok(Some(why))`.
    pub fn ask_config(
        &self,
        share: Share,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
    ) -> Result<Option<String>, PluginError> {
        match self.call(share, plugin, limits, config, as_of, &[]) {
            Ok(_) => Ok(None),
            Err(e @ (PluginError::InvalidConfig(_) | PluginError::Host(_))) => Err(e),
            Err(e) => Ok(Some(e.to_string())),
        }
    }

    /// Loads a component with the default configuration it ships with and
    /// checks both as `plugin add` and a configuration change do: the
    /// schema, then the plugin's own check (host share, operator limits).
    /// Returns the plugin and, when the plugin could not check itself, why.
    pub fn load_with_defaults(
        &self,
        component: &[u8],
        defaults: &str,
        as_of: i32,
    ) -> Result<(Arc<Plugin>, Option<String>), String> {
        let plugin = self.load(component).map_err(|e| e.to_string())?;
        plugin
            .check_config(defaults)
            .map_err(|e| format!("its default configuration does not fit its schema: {e}"))?;
        let unchecked = self
            .ask_config(Share::HOST, &plugin, &self.limits, defaults, as_of)
            .map_err(|e| format!("its default configuration is refused: {e}"))?;
        Ok((plugin, unchecked))
    }

    pub fn call(
        &self,
        share: Share,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
        accounts: &[Account],
    ) -> Result<invoke::CallOutcome, PluginError> {
        self.call_metered(share, plugin, limits, config, as_of, accounts)
            .outcome
    }

    /// [`Runtime::call`], with the fuel the call used whether it succeeded
    /// or not (a call that fails on fuel burnt all of it: the tenant's
    /// metrics must show it).
    pub fn call_metered(
        &self,
        share: Share,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
        accounts: &[Account],
    ) -> Metered {
        self.work(share)
            .call_metered(plugin, limits, config, as_of, accounts)
    }

    /// Waits for a core on `share`'s turn and holds it for a piece of host
    /// work and the plugin calls within it (see [`Work`]).
    pub fn work(&self, share: Share) -> Work<'_> {
        let member = self.scheduler.join(share);
        Work {
            runtime: self,
            turn: Some(member.turn()),
            _member: member,
        }
    }

    /// A fresh instance of `plugin` for a call with `config` at `as_of` on
    /// `accounts`, under `limits` (capped by the operator's): its clocks
    /// read `as_of` and its randomness is seeded from those inputs.
    pub fn instance(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
        accounts: &[Account],
    ) -> Result<Instance, PluginError> {
        let limits = limits.capped_by(&self.limits);
        let projection = self.projection(plugin, &limits, config)?;
        let seed = seed::call_seed(&plugin.hash, config, as_of, accounts);
        Ok(
            Instance::new(&self.engine, &plugin.pre, &limits, self.fuel, as_of, seed)?
                .with_projection(projection),
        )
    }

    /// What a 0.2 plugin reads under `config` (its `project`, asked once per
    /// configuration in an instance of its own, so that no call's instance
    /// differs by whether the answer was cached); `None` for a 0.1 plugin,
    /// which is sent everything. A plugin's error refuses the configuration.
    pub fn projection(
        &self,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
    ) -> Result<Option<Arc<Projection>>, PluginError> {
        if plugin.contract == ContractVersion::V0_1 {
            return Ok(None);
        }
        let key = hex::encode(Sha256::digest(config.as_bytes()));
        if let Some(p) = plugin
            .projections
            .lock()
            .expect("projections lock")
            .get(&key)
        {
            return Ok(Some(p.clone()));
        }
        let limits = limits.capped_by(&self.limits);
        let projection = Arc::new(
            Instance::new(&self.engine, &plugin.pre, &limits, self.fuel, 0, 0)?
                .project(&limits, config)?,
        );
        let mut cached = plugin.projections.lock().expect("projections lock");
        // A plugin asked with ever new configurations keeps a bounded cache.
        if cached.len() >= 256 {
            cached.clear();
        }
        cached.insert(key, projection.clone());
        Ok(Some(projection))
    }
}

/// A tenant's hold on a core, from [`Runtime::work`]: the host work of a
/// short request (reading the store, building the account) and its plugin
/// calls, scheduled and charged to the tenant as one. Host work outside a
/// turn competes at the operating system's level with the calls holding
/// every core: beside tenants whose plugins spin, an on-demand score took
/// 2.3x as long as alone, most of it its host work waiting for a core.
/// Keep it short and never wait for another turn while holding one.
pub struct Work<'r> {
    runtime: &'r Runtime,
    // Dropped before the membership, so its time is charged to the share.
    turn: Option<sched::Turn>,
    _member: sched::Member,
}

impl Work<'_> {
    /// One call on one batch in a fresh instance, on this turn, with the
    /// fuel it used whether it succeeded or not.
    pub fn call_metered(
        &mut self,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
        accounts: &[Account],
    ) -> Metered {
        let limits = limits.capped_by(&self.runtime.limits);
        let mut instance = match self
            .runtime
            .instance(plugin, &limits, config, as_of, accounts)
        {
            Ok(i) => i,
            Err(e) => {
                return Metered {
                    outcome: Err(e),
                    fuel_used: 0,
                };
            }
        };
        let outcome = instance.call_on(&mut self.turn, &limits, config, accounts);
        Metered {
            outcome,
            fuel_used: instance.fuel_used(&limits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_component() {
        let rt = Runtime::new(RuntimeConfig {
            max_instances: 2,
            ..Default::default()
        })
        .unwrap();
        let err = rt.load(b"not wasm at all").unwrap_err();
        assert_eq!(err.kind(), "not-a-component", "{err}");
    }

    #[test]
    fn threads_loading_one_plugin_at_once_compile_it_once() {
        let cache = tempfile::tempdir().unwrap();
        let rt = Runtime::new(RuntimeConfig {
            max_instances: 4,
            cache_dir: Some(cache.path().to_path_buf()),
            ..Default::default()
        })
        .unwrap();
        let bytes = vitals_reference_pack::component("lifecycle-segments").unwrap();
        let loaded: Vec<Arc<Plugin>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| rt.load(bytes))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().unwrap())
                .collect()
        });
        assert!(loaded.iter().all(|p| Arc::ptr_eq(p, &loaded[0])));
        let files: Vec<String> = std::fs::read_dir(cache.path())
            .unwrap()
            .flat_map(|engine_dir| std::fs::read_dir(engine_dir.unwrap().path()).unwrap())
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, [format!("{}.cwasm", content_hash(bytes))]);
    }

    #[test]
    fn calls_within_a_work_run_on_its_turn_even_when_every_core_is_held() {
        use types::{Attributes, Snapshot};
        let rt = Arc::new(
            Runtime::new(RuntimeConfig {
                max_instances: 4,
                ..Default::default()
            })
            .unwrap(),
        );
        let plugin = rt
            .load(vitals_reference_pack::component("lifecycle-segments").unwrap())
            .unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        let worker = {
            let rt = rt.clone();
            std::thread::spawn(move || {
                // Every core held by works of one tenant: a call that asked
                // for another turn would wait for ever.
                let cores = rt.scheduler.cores();
                let mut works: Vec<Work<'_>> =
                    (0..cores).map(|_| rt.work(Share::of("t"))).collect();
                let account = Account {
                    id: "a".into(),
                    attributes: Attributes::empty(),
                    current: Snapshot::empty(20_000),
                    history: vec![],
                    health: vec![],
                };
                let last = works.last_mut().unwrap();
                for _ in 0..2 {
                    let called = last.call_metered(
                        &plugin,
                        &Limits::default(),
                        "{}",
                        20_000,
                        std::slice::from_ref(&account),
                    );
                    assert_eq!(called.outcome.unwrap().results.len(), 1);
                    assert!(called.fuel_used > 0);
                }
                drop(works);
                done.send(()).unwrap();
            })
        };
        finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the calls ran on the work's own turn");
        worker.join().unwrap();
    }
}
