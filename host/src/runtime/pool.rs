//! The pooling allocator's shape. Its slots are sized for the largest
//! components plugins are built into (Python by componentize-py, JavaScript by
//! componentize-js: 12-18 MB, a linear memory of about 12 MiB at start, tens
//! of thousands of table elements, several memories and many core instances)
//! while each memory stays capped by the operator's memory limit. A component
//! that cannot fit a slot is refused when added, with what it needs.

use super::error::PluginError;
use super::limits::Limits;
use wasmtime::PoolingAllocationConfig;
use wasmtime::component::Component;

/// Core wasm instances one component may create. componentize-py links
/// libc, libpython, the bindings and shims as separate modules (BENCHMARKS.md
/// lists what each plugin needs); Rust plugins need one or two.
pub const CORE_INSTANCES_PER_COMPONENT: u32 = 32;
/// Linear memories per component (most use one; adapters may add one).
pub const MEMORIES_PER_COMPONENT: u32 = 4;
/// Tables per component.
pub const TABLES_PER_COMPONENT: u32 = 16;
/// Elements per table: function references of the largest runtimes.
pub const TABLE_ELEMENTS: usize = 100_000;

/// Pool capacity for `instances` live component instances whose memories
/// are capped at the operator's memory limit.
pub fn config(instances: u32, limits: &Limits) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::default();
    // Totals: every live instance of the largest kind at once. Slots are
    // virtual reservations; memory is committed only as guests touch it.
    pool.total_component_instances(instances)
        .total_core_instances(instances * CORE_INSTANCES_PER_COMPONENT / 2)
        .total_memories(instances * 2)
        .total_tables(instances * TABLES_PER_COMPONENT / 2)
        .total_stacks(instances)
        .max_memory_size(limits.memory_bytes as usize)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .table_elements(TABLE_ELEMENTS);
    pool
}

/// Refuses a component that cannot be instantiated in a pool slot under
/// `limits`, saying what it needs and what the slot offers.
pub fn check_fits(component: &Component, limits: &Limits) -> Result<(), PluginError> {
    // Components that instantiate imported modules have no static figure;
    // instantiation itself then refuses them.
    let Some(need) = component.resources_required() else {
        return Ok(());
    };
    let refuse = |what: String| Err(PluginError::InvalidComponent(what));
    if need.num_memories > MEMORIES_PER_COMPONENT {
        return refuse(format!(
            "it has {} linear memories; a plugin may have at most {MEMORIES_PER_COMPONENT}",
            need.num_memories
        ));
    }
    if need.num_tables > TABLES_PER_COMPONENT {
        return refuse(format!(
            "it has {} tables; a plugin may have at most {TABLES_PER_COMPONENT}",
            need.num_tables
        ));
    }
    if let Some(pages) = need.max_initial_memory_size {
        let bytes = pages.saturating_mul(65_536);
        if bytes > limits.memory_bytes {
            return refuse(format!(
                "it starts with {} MiB of linear memory, over the memory limit of {} MiB",
                bytes >> 20,
                limits.memory_bytes >> 20
            ));
        }
    }
    if let Some(elements) = need.max_initial_table_size
        && elements > TABLE_ELEMENTS as u64
    {
        return refuse(format!(
            "it starts with a table of {elements} elements; a plugin may have at most {TABLE_ELEMENTS}"
        ));
    }
    Ok(())
}
