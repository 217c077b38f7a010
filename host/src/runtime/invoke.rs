//! One call into a plugin: a fresh store and instance under the limits, the
//! kind's batch function, and the output checked against the contract.

use super::bindings::{forecaster, health_model, propensity_model, segmenter};
use super::error::PluginError;
use super::limits::Limits;
use super::sandbox::{CallLog, CallState};
use super::types::{Account, Forecast, Health, PluginMetadata, Propensity, Segment};
use serde::{Deserialize, Serialize};
use wasmtime::component::InstancePre;
use wasmtime::{Engine, Store, Trap};

/// Epoch ticks happen this often; deadlines are counted in ticks.
pub const EPOCH_TICK_MS: u64 = 5;

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
}

impl KindPre {
    /// Wraps a linked component as its kind's typed pre-instance.
    pub fn new(
        kind: super::types::PluginKind,
        pre: InstancePre<CallState>,
    ) -> wasmtime::Result<Self> {
        use super::types::PluginKind as K;
        Ok(match kind {
            K::HealthModel => KindPre::Health(health_model::HealthModelPre::new(pre)?),
            K::Segmenter => KindPre::Segmenter(segmenter::SegmenterPre::new(pre)?),
            K::PropensityModel => {
                KindPre::Propensity(propensity_model::PropensityModelPre::new(pre)?)
            }
            K::Forecaster => KindPre::Forecaster(forecaster::ForecasterPre::new(pre)?),
        })
    }
}

/// One account's result, whatever the kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Output {
    /// From a health model.
    Health(Health),
    /// From a segmenter.
    Segments {
        /// The segments the account is in.
        segments: Vec<Segment>,
    },
    /// From a propensity model.
    Propensity(Propensity),
    /// From a forecaster.
    Forecast(Forecast),
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

fn new_store(
    engine: &Engine,
    limits: &Limits,
    fuel: bool,
    as_of: i32,
) -> Result<Store<CallState>, PluginError> {
    let mut store = Store::new(engine, CallState::new(limits, as_of));
    store.limiter(|s| &mut s.limiter);
    if fuel {
        store
            .set_fuel(limits.fuel)
            .map_err(|e| PluginError::Host(format!("{e:#}")))?;
    }
    store.set_epoch_deadline(limits.deadline_ms.div_ceil(EPOCH_TICK_MS) + 1);
    Ok(store)
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
        let mut store = new_store(engine, limits, fuel, 0)?;
        store_t += t.elapsed();
        let t = std::time::Instant::now();
        let ok = match pre {
            KindPre::Health(p) => p.instantiate(&mut store).map(drop),
            KindPre::Segmenter(p) => p.instantiate(&mut store).map(drop),
            KindPre::Propensity(p) => p.instantiate(&mut store).map(drop),
            KindPre::Forecaster(p) => p.instantiate(&mut store).map(drop),
        };
        inst_t += t.elapsed();
        ok.map_err(|e| PluginError::Host(format!("{e:#}")))?;
    }
    let us = |d: std::time::Duration| d.as_secs_f64() * 1e6 / f64::from(n);
    Ok(SetupTiming {
        store_us: us(store_t),
        instantiate_us: us(inst_t),
    })
}

/// Calls `metadata` under the limits.
pub fn metadata(
    engine: &Engine,
    pre: &KindPre,
    limits: &Limits,
    fuel: bool,
) -> Result<PluginMetadata, PluginError> {
    let mut store = new_store(engine, limits, fuel, 0)?;
    let result = (|| -> wasmtime::Result<PluginMetadata> {
        match pre {
            KindPre::Health(p) => p
                .instantiate(&mut store)?
                .vitals_plugin_health()
                .call_metadata(&mut store),
            KindPre::Segmenter(p) => p
                .instantiate(&mut store)?
                .vitals_plugin_segments()
                .call_metadata(&mut store),
            KindPre::Propensity(p) => p
                .instantiate(&mut store)?
                .vitals_plugin_propensity()
                .call_metadata(&mut store),
            KindPre::Forecaster(p) => p
                .instantiate(&mut store)?
                .vitals_plugin_forecast()
                .call_metadata(&mut store),
        }
    })();
    let meta = result.map_err(|e| classify(e, &store, limits))?;
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
    Ok(meta)
}

type Batch<T> = Result<Vec<Result<T, super::types::PluginError>>, super::types::PluginError>;

/// Calls the kind's batch function on `accounts` in a fresh instance.
/// A batch-level `Err` means no account got a result.
pub fn call(
    engine: &Engine,
    pre: &KindPre,
    limits: &Limits,
    fuel: bool,
    config: &str,
    as_of: i32,
    accounts: &[Account],
) -> Result<CallOutcome, PluginError> {
    let mut store = new_store(engine, limits, fuel, as_of)?;
    let raw = (|| -> wasmtime::Result<Batch<Output>> {
        fn wrap<T>(b: Batch<T>, f: impl Fn(T) -> Output) -> Batch<Output> {
            b.map(|v| v.into_iter().map(|r| r.map(&f)).collect())
        }
        Ok(match pre {
            KindPre::Health(p) => {
                let b = p
                    .instantiate(&mut store)?
                    .vitals_plugin_health()
                    .call_score(&mut store, config, as_of, accounts)?;
                wrap(b, Output::Health)
            }
            KindPre::Segmenter(p) => {
                let b = p
                    .instantiate(&mut store)?
                    .vitals_plugin_segments()
                    .call_assign(&mut store, config, as_of, accounts)?;
                wrap(b, |segments| Output::Segments { segments })
            }
            KindPre::Propensity(p) => {
                let b = p
                    .instantiate(&mut store)?
                    .vitals_plugin_propensity()
                    .call_score(&mut store, config, as_of, accounts)?;
                wrap(b, Output::Propensity)
            }
            KindPre::Forecaster(p) => {
                let b = p
                    .instantiate(&mut store)?
                    .vitals_plugin_forecast()
                    .call_predict(&mut store, config, as_of, accounts)?;
                wrap(b, Output::Forecast)
            }
        })
    })();
    let fuel_used = if fuel {
        limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0))
    } else {
        0
    };
    let batch = raw.map_err(|e| classify(e, &store, limits))?;
    let log = std::mem::take(&mut *store.data().log.lock().expect("log lock"));
    let results = batch.map_err(PluginError::from)?;
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
        .map(|r| r.map_err(PluginError::from).and_then(check_output))
        .collect();
    Ok(CallOutcome {
        results,
        log,
        fuel_used,
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

fn output_size(r: &Result<Output, super::types::PluginError>) -> u64 {
    use super::types::PluginError as G;
    let n = match r {
        Ok(Output::Health(h)) => {
            16 + h
                .factors
                .iter()
                .map(|f| 40 + f.name.len() + f.group.len())
                .sum::<usize>()
        }
        Ok(Output::Segments { segments }) => segments
            .iter()
            .map(|s| 8 + s.name.len() + s.reason.len())
            .sum(),
        Ok(Output::Propensity(p)) => 8 + p.drivers.iter().map(|d| 24 + d.name.len()).sum::<usize>(),
        Ok(Output::Forecast(f)) => 48 + f.basis.len(),
        Err(G::InvalidConfig(m) | G::MissingData(m) | G::InvalidInput(m) | G::Internal(m)) => {
            8 + m.len()
        }
    };
    n as u64
}

/// Checks one output against the contract's ranges.
fn check_output(out: Output) -> Result<Output, PluginError> {
    let bad = |what: String| Err(PluginError::BadOutput(what));
    let finite = |name: &str, v: f64| {
        if v.is_finite() {
            Ok(())
        } else {
            Err(PluginError::BadOutput(format!("{name} is {v}")))
        }
    };
    match &out {
        Output::Health(h) => {
            finite("score", h.score)?;
            if !(0.0..=100.0).contains(&h.score) {
                return bad(format!("score {} is outside 0-100", h.score));
            }
            for f in &h.factors {
                finite(&format!("factor {} weight", f.name), f.weight)?;
                finite(&format!("factor {} points", f.name), f.points)?;
                if let Some(v) = f.value {
                    finite(&format!("factor {} value", f.name), v)?;
                }
            }
        }
        Output::Segments { segments } => {
            if let Some(s) = segments.iter().find(|s| s.name.is_empty()) {
                return bad(format!(
                    "a segment has an empty name (reason {:?})",
                    s.reason
                ));
            }
        }
        Output::Propensity(p) => {
            finite("propensity", p.score)?;
            if !(0.0..=1.0).contains(&p.score) {
                return bad(format!("propensity {} is outside 0-1", p.score));
            }
            for d in &p.drivers {
                finite(&format!("driver {} value", d.name), d.value)?;
                finite(&format!("driver {} contribution", d.name), d.contribution)?;
            }
        }
        Output::Forecast(f) => {
            finite("renewal probability", f.renewal_probability)?;
            if !(0.0..=1.0).contains(&f.renewal_probability) {
                return bad(format!(
                    "renewal probability {} is outside 0-1",
                    f.renewal_probability
                ));
            }
            for (name, v) in [
                ("expected renewal ARR", f.expected_renewal_arr),
                ("expected expansion ARR", f.expected_expansion_arr),
                ("expected contraction ARR", f.expected_contraction_arr),
            ] {
                finite(name, v)?;
                if v < 0.0 {
                    return bad(format!("{name} {v} is negative"));
                }
            }
        }
    }
    Ok(out)
}
