//! A wasmtime set up as the runtime sets itself up (`host/src/runtime`:
//! component model without concurrency support, fuel, epoch interruption
//! ticking every 5 ms, the pooling allocator's shape and its resident
//! memory, a fresh store and instance per call), able to call the candidate
//! worlds of the layout probe, which the runtime does not bind. The 0.1
//! component runs through both this harness and the runtime itself, so the
//! report shows what the harness leaves out (the seed, output checks, the
//! scheduler).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vitals::runtime::Limits;
use wasmtime::component::{Component, HasData, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder, UpdateDeadline,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// `vitals:plugin/types@0.1.0` as `bindgen!` expects an imported interface:
/// the host's own contract types (as `runtime::bindings` does), so results
/// lift straight into `vitals::runtime::types`. The linking half is what
/// `bindgen!`'s world-level `add_to_linker` would call; the harness links by
/// hand, so it stays unused.
#[allow(dead_code)]
pub mod types_interface {
    pub use vitals::runtime::types::*;
    use wasmtime::component::{HasData, Linker};

    /// A calendar date: days since 1970-01-01.
    pub type Date = i32;

    /// Nothing to implement: the interface has no functions.
    pub trait Host {}

    impl<H: Host + ?Sized> Host for &mut H {}

    /// The same, for functions that take the store: none.
    pub trait HostWithStore<T>: HasData {}

    impl<H: ?Sized, T> HostWithStore<T> for H where H: HasData {}

    /// Nothing to link.
    pub fn add_to_linker<T, D>(
        _linker: &mut Linker<T>,
        _host_getter: fn(&mut T) -> D::Data<'_>,
    ) -> wasmtime::Result<()>
    where
        D: HostWithStore<T>,
        for<'a> D::Data<'a>: Host,
        T: 'static,
    {
        Ok(())
    }
}

/// The probe's world: the candidate layouts.
#[allow(missing_docs, clippy::all)]
pub mod probe {
    wasmtime::component::bindgen!({
        path: "guests/layout-probe/wit",
        world: "vitals:layout-probe/probe@0.0.1",
        // Parameters borrow the host's data: no string is copied on the host
        // before the canonical ABI copies it into the guest.
        ownership: Borrowing {
            duplicate_if_necessary: true
        },
        with: {
            "vitals:plugin/types": crate::layouts::harness::types_interface,
        },
    });
}

/// The 0.1 health-model world, bound as the runtime binds it.
#[allow(missing_docs, clippy::all)]
pub mod v01 {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/health-model@0.1.0",
        with: {
            "vitals:plugin/types": crate::layouts::harness::types_interface,
            "vitals:plugin/log": crate::layouts::harness::probe::vitals::plugin::log,
        },
    });
}

/// A call's store data: an empty WASI context (no files, no environment),
/// the memory limit.
pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

struct HasState;

impl HasData for HasState {
    type Data<'a> = &'a mut State;
}

impl probe::vitals::plugin::log::Host for State {
    /// Lines are dropped: the scoring paths log nothing.
    fn log(&mut self, _level: probe::vitals::plugin::log::Level, _message: String) {}
}

/// The engine, linker and epoch ticker shared by every path.
pub struct Harness {
    engine: Engine,
    linker: Linker<State>,
    limits: Limits,
    stop: Arc<AtomicBool>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The pool the runtime configures (`runtime/pool.rs`), for a few instances.
fn pool(limits: &Limits) -> PoolingAllocationConfig {
    let instances = 8;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(instances)
        .total_core_instances(instances * 16)
        .total_memories(instances * 2)
        .total_tables(instances * 8)
        .total_stacks(instances)
        .max_memory_size(limits.memory_bytes as usize)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_core_instances_per_component(32)
        .table_elements(100_000)
        .linear_memory_keep_resident(4 << 20)
        .table_keep_resident((4 << 20) / 16)
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

impl Harness {
    pub fn new() -> Self {
        let limits = Limits::default();
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .concurrency_support(false)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool(&limits)));
        let engine = Engine::new(&config).expect("engine");
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("wasi");
        probe::vitals::plugin::log::add_to_linker::<State, HasState>(&mut linker, |s| s)
            .expect("log");
        let stop = Arc::new(AtomicBool::new(false));
        let (ticker, flag) = (engine.clone(), stop.clone());
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
                ticker.increment_epoch();
            }
        });
        Harness {
            engine,
            linker,
            limits,
            stop,
        }
    }

    /// A fresh store under the default limits: fuel, memory cap, epochs.
    pub fn store(&self) -> Store<State> {
        let state = State {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes as usize)
                .build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_fuel(self.limits.fuel).expect("fuel");
        store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Continue(1)));
        store.set_epoch_deadline(1);
        store
    }

    /// The probe, pre-instantiated.
    pub fn probe(&self, bytes: &[u8]) -> probe::ProbePre<State> {
        let component = Component::new(&self.engine, bytes).expect("probe component");
        let pre = self
            .linker
            .instantiate_pre(&component)
            .expect("probe links");
        probe::ProbePre::new(pre).expect("probe world")
    }

    /// A Python or JavaScript layout probe, pre-instantiated.
    pub fn polyglot(&self, bytes: &[u8]) -> super::polyglot::poly::HealthModelPre<State> {
        let component = Component::new(&self.engine, bytes).expect("polyglot probe");
        let pre = self
            .linker
            .instantiate_pre(&component)
            .expect("polyglot probe links");
        super::polyglot::poly::HealthModelPre::new(pre).expect("probe world")
    }

    /// A 0.1 health model, pre-instantiated.
    pub fn v01(&self, bytes: &[u8]) -> v01::HealthModelPre<State> {
        let component = Component::new(&self.engine, bytes).expect("0.1 component");
        let pre = self
            .linker
            .instantiate_pre(&component)
            .expect("0.1 component links");
        v01::HealthModelPre::new(pre).expect("health-model world")
    }
}
