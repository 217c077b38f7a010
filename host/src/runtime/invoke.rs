//! Calls into a plugin: an [`Instance`] (its own store under the limits,
//! instantiated from the pre-instance, its randomness seeded from the call's
//! inputs) serves a call; each call gets its fuel, deadline and log afresh,
//! and its output is checked against the contract. An instance that failed a
//! call is never called again.

use super::bindings::v02;
use super::bindings::{forecaster, health_model, propensity_model, segmenter};
use super::output::{check_output, output_size};
use super::sandbox::{CallLog, CallState, RunClock};
use super::sched::{Member, Turn};
use super::types::{Account, PluginMetadata};
use super::{batch, results};
use crate::contract::Limits;
use crate::contract::{ContractVersion, Output, PluginError, Projection};
use std::sync::Arc;
use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store, StoreContextMut, Trap, UpdateDeadline};

/// Epoch ticks happen this often; deadlines are counted in ticks.
pub const EPOCH_TICK_MS: u64 = 5;

/// Every epoch tick of a running call: it counts towards the deadline the
/// time the call ran since the last tick (a host call that took a second is
/// seen by one tick, after it), charges the fuel of what the guest wrote to
/// stdout and stderr, and is where the scheduler may pass the core to
/// another tenant's call (time waiting for it is not counted).
fn on_tick(mut ctx: StoreContextMut<'_, CallState>) -> wasmtime::Result<UpdateDeadline> {
    CallState::charge_output(&mut ctx)?;
    let state = ctx.data_mut();
    if state.clock.passed() {
        return Ok(UpdateDeadline::Interrupt);
    }
    if let Some(turn) = state.turn.as_mut() {
        state.clock.pause();
        turn.checkpoint();
        state.clock.resume();
    }
    Ok(UpdateDeadline::Continue(1))
}

/// Restarts the deadline of a store for a new call.
fn reset_deadline(store: &mut Store<CallState>, limits: &Limits) {
    store.data_mut().clock = RunClock::start(limits.deadline_ms);
    store.set_epoch_deadline(1);
}

/// A pre-instantiated component of one kind: instantiation only fills a slot.
#[derive(Clone)]
pub enum KindPre {
    /// A health model.
    Health(health_model::HealthModelPre<CallState>),
    /// A segmenter.
    Segmenter(segmenter::SegmenterPre<CallState>),
    /// A propensity model.
    Propensity(propensity_model::PropensityModelPre<CallState>),
    /// A forecaster.
    Forecaster(forecaster::ForecasterPre<CallState>),
    /// A contract-0.2 health model.
    Health02(v02::health_model::HealthModelPre<CallState>),
    /// A contract-0.2 segmenter.
    Segmenter02(v02::segmenter::SegmenterPre<CallState>),
    /// A contract-0.2 propensity model.
    Propensity02(v02::propensity_model::PropensityModelPre<CallState>),
    /// A contract-0.2 forecaster.
    Forecaster02(v02::forecaster::ForecasterPre<CallState>),
}

impl KindPre {
    /// Wraps a linked component as its kind's typed pre-instance for its
    /// contract version.
    pub fn new(
        kind: super::types::PluginKind,
        contract: ContractVersion,
        pre: InstancePre<CallState>,
    ) -> wasmtime::Result<Self> {
        use super::types::PluginKind as K;
        use ContractVersion::{V0_1, V0_2};
        Ok(match (contract, kind) {
            (V0_1, K::HealthModel) => KindPre::Health(health_model::HealthModelPre::new(pre)?),
            (V0_1, K::Segmenter) => KindPre::Segmenter(segmenter::SegmenterPre::new(pre)?),
            (V0_1, K::PropensityModel) => {
                KindPre::Propensity(propensity_model::PropensityModelPre::new(pre)?)
            }
            (V0_1, K::Forecaster) => KindPre::Forecaster(forecaster::ForecasterPre::new(pre)?),
            (V0_2, K::HealthModel) => {
                KindPre::Health02(v02::health_model::HealthModelPre::new(pre)?)
            }
            (V0_2, K::Segmenter) => KindPre::Segmenter02(v02::segmenter::SegmenterPre::new(pre)?),
            (V0_2, K::PropensityModel) => {
                KindPre::Propensity02(v02::propensity_model::PropensityModelPre::new(pre)?)
            }
            (V0_2, K::Forecaster) => {
                KindPre::Forecaster02(v02::forecaster::ForecasterPre::new(pre)?)
            }
        })
    }

    /// Instantiates the component in `store`.
    fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<Bound> {
        Ok(match self {
            KindPre::Health(p) => Bound::Health(p.instantiate(store)?),
            KindPre::Segmenter(p) => Bound::Segmenter(p.instantiate(store)?),
            KindPre::Propensity(p) => Bound::Propensity(p.instantiate(store)?),
            KindPre::Forecaster(p) => Bound::Forecaster(p.instantiate(store)?),
            KindPre::Health02(p) => Bound::Health02(p.instantiate(store)?),
            KindPre::Segmenter02(p) => Bound::Segmenter02(p.instantiate(store)?),
            KindPre::Propensity02(p) => Bound::Propensity02(p.instantiate(store)?),
            KindPre::Forecaster02(p) => Bound::Forecaster02(p.instantiate(store)?),
        })
    }
}

/// An instantiated component of one kind.
enum Bound {
    Health(health_model::HealthModel),
    Segmenter(segmenter::Segmenter),
    Propensity(propensity_model::PropensityModel),
    Forecaster(forecaster::Forecaster),
    Health02(v02::health_model::HealthModel),
    Segmenter02(v02::segmenter::Segmenter),
    Propensity02(v02::propensity_model::PropensityModel),
    Forecaster02(v02::forecaster::Forecaster),
}

/// What one call returned.
pub struct CallOutcome {
    /// One result per account, in input order.
    pub results: Vec<Result<Output, PluginError>>,
    /// The call's bounded log.
    pub log: CallLog,
    /// Fuel consumed.
    pub fuel_used: u64,
}

/// What the host copies out of the guest in one host call or return value
/// (wasmtime's hostcall fuel), in multiples of the output limit: room for
/// the records' own bytes around the strings `output_size` counts, while an
/// output that aliases one string many times is stopped before the host
/// allocates it (16 x the default 8 MiB is wasmtime's default, 128 MiB).
const HOSTCALL_BYTES_PER_OUTPUT_BYTE: u64 = 16;

/// The hostcall fuel of a store under `limits`, in bytes.
fn hostcall_bytes(limits: &Limits) -> u64 {
    limits
        .output_bytes
        .saturating_mul(HOSTCALL_BYTES_PER_OUTPUT_BYTE)
        .max(1 << 20)
}

fn new_store(
    engine: &Engine,
    limits: &Limits,
    fuel: bool,
    as_of: i32,
    seed: u64,
) -> Result<Store<CallState>, PluginError> {
    let mut store = Store::new(engine, CallState::new(limits, as_of, seed));
    store.limiter(|s| &mut s.limiter);
    store.set_hostcall_fuel(usize::try_from(hostcall_bytes(limits)).unwrap_or(usize::MAX));
    if fuel {
        store
            .set_fuel(limits.fuel)
            .map_err(|e| PluginError::Host(format!("{e:#}")))?;
    }
    store.epoch_deadline_callback(on_tick);
    reset_deadline(&mut store, limits);
    Ok(store)
}

type Batch<T> = Result<Vec<Result<T, super::types::PluginError>>, super::types::PluginError>;

/// What `metadata` said: as the host stores it, and, for a 0.2 component,
/// the projection of its default configuration.
pub type Described = (PluginMetadata, Option<Projection>);

/// A live instance of a plugin in its own locked-down store. A run makes one
/// per call: an instance's state after a call (a random generator's
/// position, a hash map's keys, any global) would make the next call's
/// results depend on which batches it served before, that is on scheduling.
pub struct Instance {
    store: Store<CallState>,
    bound: Bound,
    fuel: bool,
    as_of: i32,
    /// What a 0.2 component is sent (its projection for the call's
    /// configuration); a 0.1 component gets whole accounts.
    projection: Option<Arc<Projection>>,
    /// Calls made on this instance.
    pub calls: u32,
}

impl Instance {
    /// Instantiates `pre` in a fresh store whose clocks read `as_of` and
    /// whose randomness starts from `seed`. Its memory and log limits are
    /// `limits`' for the instance's life; fuel and the deadline are set
    /// again for every call.
    pub fn new(
        engine: &Engine,
        pre: &KindPre,
        limits: &Limits,
        fuel: bool,
        as_of: i32,
        seed: u64,
    ) -> Result<Self, PluginError> {
        let mut store = new_store(engine, limits, fuel, as_of, seed)?;
        let bound = pre
            .instantiate(&mut store)
            .map_err(|e| classify(e, &store, limits))?;
        Ok(Instance {
            store,
            bound,
            fuel,
            as_of,
            projection: None,
            calls: 0,
        })
    }

    /// Sends a 0.2 component only what `projection` reads.
    pub fn with_projection(mut self, projection: Option<Arc<Projection>>) -> Self {
        self.projection = projection;
        self
    }

    fn start_call(&mut self, limits: &Limits) -> Result<(), PluginError> {
        self.calls += 1;
        if self.fuel {
            self.store
                .set_fuel(limits.fuel)
                .map_err(|e| PluginError::Host(format!("{e:#}")))?;
        }
        reset_deadline(&mut self.store, limits);
        self.store.data_mut().limiter.refused = false;
        Ok(())
    }

    /// Fuel the last call used (failed calls included).
    pub fn fuel_used(&self, limits: &Limits) -> u64 {
        if self.fuel {
            limits
                .fuel
                .saturating_sub(self.store.get_fuel().unwrap_or(0))
        } else {
            0
        }
    }

    /// Calls `metadata` under the limits.
    pub fn metadata(&mut self, limits: &Limits) -> Result<Described, PluginError> {
        self.start_call(limits)?;
        let s = &mut self.store;
        /// What either version's `metadata` returned.
        enum Said {
            V01(PluginMetadata),
            V02(Box<v02::types::PluginMetadata>),
        }
        let v02 = |m: v02::types::PluginMetadata| Said::V02(Box::new(m));
        let result = match &self.bound {
            Bound::Health(b) => b.vitals_plugin_health().call_metadata(s).map(Said::V01),
            Bound::Segmenter(b) => b.vitals_plugin_segments().call_metadata(s).map(Said::V01),
            Bound::Propensity(b) => b.vitals_plugin_propensity().call_metadata(s).map(Said::V01),
            Bound::Forecaster(b) => b.vitals_plugin_forecast().call_metadata(s).map(Said::V01),
            Bound::Health02(b) => b.vitals_plugin_health().call_metadata(s).map(v02),
            Bound::Segmenter02(b) => b.vitals_plugin_segments().call_metadata(s).map(v02),
            Bound::Propensity02(b) => b.vitals_plugin_propensity().call_metadata(s).map(v02),
            Bound::Forecaster02(b) => b.vitals_plugin_forecast().call_metadata(s).map(v02),
        };
        let (meta, projection) = match result.map_err(|e| classify(e, &self.store, limits))? {
            Said::V01(meta) => (meta, None),
            Said::V02(said) => {
                let (meta, projection) = results::metadata(*said)?;
                (meta, Some(projection))
            }
        };
        let size = meta.name.len()
            + meta.version.len()
            + meta.description.len()
            + meta.config_schema.len()
            + meta.reads.iter().map(String::len).sum::<usize>();
        if size as u64 > limits.output_bytes.min(1 << 20) {
            return Err(PluginError::OutputTooLarge {
                bytes: size as u64,
                limit_bytes: limits.output_bytes.min(1 << 20),
            });
        }
        Ok((meta, projection))
    }

    /// Calls a 0.2 component's `project` under the limits: what it reads
    /// under `config` (a 0.1 component reads everything). An error from the
    /// plugin refuses the configuration.
    pub fn project(&mut self, limits: &Limits, config: &str) -> Result<Projection, PluginError> {
        self.start_call(limits)?;
        let s = &mut self.store;
        let result = match &self.bound {
            Bound::Health(_)
            | Bound::Segmenter(_)
            | Bound::Propensity(_)
            | Bound::Forecaster(_) => {
                return Ok(Projection::everything());
            }
            Bound::Health02(b) => b.vitals_plugin_health().call_project(s, config),
            Bound::Segmenter02(b) => b.vitals_plugin_segments().call_project(s, config),
            Bound::Propensity02(b) => b.vitals_plugin_propensity().call_project(s, config),
            Bound::Forecaster02(b) => b.vitals_plugin_forecast().call_project(s, config),
        };
        let answer = result.map_err(|e| classify(e, &self.store, limits))?;
        let projection = answer.map_err(results::guest_error)?;
        results::projection(projection).map_err(|e| match e {
            PluginError::BadMetadata(m) => PluginError::BadOutput(m),
            other => other,
        })
    }

    /// Calls the kind's batch function on `accounts`, on a core of
    /// `member`'s share when given (waiting for its turn). A batch-level
    /// `Err` means no account got a result; after any `Err` the instance
    /// must be dropped (a trapped instance cannot be entered again).
    pub fn call(
        &mut self,
        member: Option<&Member>,
        limits: &Limits,
        config: &str,
        accounts: &[Account],
    ) -> Result<CallOutcome, PluginError> {
        let mut turn = member.map(Member::turn);
        let outcome = self.call_on(&mut turn, limits, config, accounts);
        if let Some(turn) = turn {
            turn.end(false);
        }
        outcome
    }

    /// [`Instance::call`] on a turn the caller already holds (or none); the
    /// turn stays held, a failed call charged to it.
    pub fn call_on(
        &mut self,
        turn: &mut Option<Turn>,
        limits: &Limits,
        config: &str,
        accounts: &[Account],
    ) -> Result<CallOutcome, PluginError> {
        self.start_call(limits)?;
        let state = self.store.data_mut();
        state.turn = turn.take();
        if let Some(t) = state.turn.as_mut() {
            t.begin_call();
        }
        // The wait for a core is not the call's time.
        state.clock.resume();
        let outcome = self.call_batch(limits, config, accounts);
        *turn = self.store.data_mut().turn.take();
        if let Some(t) = turn.as_mut()
            && outcome.as_ref().is_err_and(PluginError::fails_the_batch)
        {
            t.call_failed();
        }
        outcome
    }

    fn call_batch(
        &mut self,
        limits: &Limits,
        config: &str,
        accounts: &[Account],
    ) -> Result<CallOutcome, PluginError> {
        fn v01<T>(
            b: Batch<T>,
            f: impl Fn(T) -> Output,
        ) -> Result<Vec<results::Decoded>, PluginError> {
            let list = b.map_err(PluginError::from)?;
            Ok(list
                .into_iter()
                .map(|r| r.map(&f).map_err(PluginError::from))
                .collect())
        }
        fn v02<T>(
            b: Result<T, v02::types::PluginError>,
            limit: u64,
            decode: fn(T, u64) -> Result<Vec<results::Decoded>, PluginError>,
        ) -> Result<Vec<results::Decoded>, PluginError> {
            b.map_err(results::guest_error)
                .and_then(|r| decode(r, limit))
        }
        let limit = limits.output_bytes;
        let (s, as_of) = (&mut self.store, self.as_of);
        let encoded = match &self.bound {
            Bound::Health02(_)
            | Bound::Segmenter02(_)
            | Bound::Propensity02(_)
            | Bound::Forecaster02(_) => {
                let everything;
                let projection = match &self.projection {
                    Some(p) => p.as_ref(),
                    None => {
                        everything = Projection::everything();
                        &everything
                    }
                };
                Some(batch::encode(accounts, projection))
            }
            _ => None,
        };
        let encoded = || encoded.as_ref().expect("a 0.2 batch");
        let raw = match &self.bound {
            Bound::Health(b) => b
                .vitals_plugin_health()
                .call_score(s, config, as_of, accounts)
                .map(|r| v01(r, Output::Health)),
            Bound::Segmenter(b) => b
                .vitals_plugin_segments()
                .call_assign(s, config, as_of, accounts)
                .map(|r| v01(r, |segments| Output::Segments { segments })),
            Bound::Propensity(b) => b
                .vitals_plugin_propensity()
                .call_score(s, config, as_of, accounts)
                .map(|r| v01(r, Output::Propensity)),
            Bound::Forecaster(b) => b
                .vitals_plugin_forecast()
                .call_predict(s, config, as_of, accounts)
                .map(|r| v01(r, Output::Forecast)),
            Bound::Health02(b) => b
                .vitals_plugin_health()
                .call_score(s, config, as_of, encoded())
                .map(|r| v02(r, limit, results::health)),
            Bound::Segmenter02(b) => b
                .vitals_plugin_segments()
                .call_assign(s, config, as_of, encoded())
                .map(|r| v02(r, limit, results::segments)),
            Bound::Propensity02(b) => b
                .vitals_plugin_propensity()
                .call_score(s, config, as_of, encoded())
                .map(|r| v02(r, limit, results::propensities)),
            Bound::Forecaster02(b) => b
                .vitals_plugin_forecast()
                .call_predict(s, config, as_of, encoded())
                .map(|r| v02(r, limit, results::forecasts)),
        };
        let fuel_used = self.fuel_used(limits);
        let batch = raw.map_err(|e| classify(e, &self.store, limits))?;
        let log = self
            .store
            .data()
            .log
            .lock()
            .expect("log lock")
            .finish_call();
        let results = batch?;
        if results.len() != accounts.len() {
            return Err(PluginError::BadOutput(format!(
                "returned {} results for {} accounts",
                results.len(),
                accounts.len()
            )));
        }
        let bytes: u64 = results.iter().map(output_size).sum();
        if bytes > limits.output_bytes {
            return Err(PluginError::OutputTooLarge {
                bytes,
                limit_bytes: limits.output_bytes,
            });
        }
        let results = results
            .into_iter()
            .map(|r| r.and_then(check_output))
            .collect();
        Ok(CallOutcome {
            results,
            log,
            fuel_used,
        })
    }
}

/// Mean time of the steps before a call, for benchmarks: building the
/// locked-down store, and instantiating from the pre-instance (pooled or not).
#[derive(Debug, Clone, Copy)]
pub struct SetupTiming {
    /// Store and WASI context, microseconds.
    pub store_us: f64,
    /// Instantiation alone, microseconds.
    pub instantiate_us: f64,
}

/// Measures [`SetupTiming`] over `n` rounds.
pub fn setup_timing(
    engine: &Engine,
    pre: &KindPre,
    limits: &Limits,
    fuel: bool,
    n: u32,
) -> Result<SetupTiming, PluginError> {
    let (mut store_t, mut inst_t) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..n {
        let t = std::time::Instant::now();
        let mut store = new_store(engine, limits, fuel, 0, 0)?;
        store_t += t.elapsed();
        let t = std::time::Instant::now();
        let ok = pre.instantiate(&mut store).map(drop);
        inst_t += t.elapsed();
        ok.map_err(|e| PluginError::Host(format!("{e:#}")))?;
    }
    let us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / f64::from(n);
    Ok(SetupTiming {
        store_us: us(store_t),
        instantiate_us: us(inst_t),
    })
}

/// Turns a wasmtime error into the typed error, using what the store saw.
fn classify(err: wasmtime::Error, store: &Store<CallState>, limits: &Limits) -> PluginError {
    // The host's own capacity, not the plugin's fault: fail loudly.
    if err
        .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .is_some()
    {
        return PluginError::Host(format!("{err:#}"));
    }
    // wasmtime's hostcall fuel stopped a copy out of the guest: an output
    // (or log line) larger than the host copies, aliased strings included.
    // Its error type is private; its message is the one mark it has.
    if err.chain().any(|e| {
        e.to_string()
            .contains("fuel allocated for hostcalls has been exhausted")
    }) {
        return PluginError::OutputTooLarge {
            bytes: hostcall_bytes(limits),
            limit_bytes: limits.output_bytes,
        };
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => return PluginError::FuelExhausted { fuel: limits.fuel },
        Some(Trap::Interrupt) => {
            return PluginError::Deadline {
                deadline_ms: limits.deadline_ms,
            };
        }
        _ => {}
    }
    // After fuel and the deadline: a guest that survived a refused growth
    // (the SDK's allocator retries with fewer pages) and then looped ran out
    // of fuel or time, not memory.
    if store.data().limiter.refused {
        return PluginError::MemoryLimit {
            limit_bytes: limits.memory_bytes,
        };
    }
    let backtrace = err
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(|b| format!("{b}"));
    let stderr = store
        .data()
        .log
        .lock()
        .map(|l| l.stderr_tail())
        .unwrap_or_default();
    let trap = err
        .downcast_ref::<Trap>()
        .map_or_else(|| format!("{err:#}"), |t| t.to_string());
    let message = if stderr.is_empty() {
        trap
    } else {
        format!("{trap}; guest stderr: {stderr}")
    };
    PluginError::Trap { message, backtrace }
}
