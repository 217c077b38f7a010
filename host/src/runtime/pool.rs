//! The pooling allocator's shape. Its slots are sized for the largest
//! components plugins are built into (Python by componentize-py, JavaScript by
//! componentize-js: 12-18 MB, a linear memory of about 12 MiB at start, tens
//! of thousands of table elements, several memories and many core instances)
//! while each memory stays capped by the operator's memory limit. A component
//! that cannot fit a slot is refused when added, with what it needs.

use crate::contract::Limits;
use crate::contract::PluginError;
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

/// What of each linear memory a slot keeps resident for the next instance.
pub const KEEP_RESIDENT_BYTES: usize = 4 << 20;

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
    // A slot given back is reset by writing zeros over the pages the guest
    // touched (found with Linux's PAGEMAP_SCAN where the kernel has it)
    // instead of returning them to the kernel: `madvise` in a process whose
    // other threads run wasm on every core costs each of them a TLB
    // shootdown, and the next instance faults the pages in again. Beside
    // plugins spinning on the other core, a Python score (12 MiB of memory
    // image) took 2.4x as long without it; on-demand scores beside hostile
    // tenants went from 1.96x to 1.61x their time alone (BENCHMARKS.md,
    // hostile), with the same peak memory at 4 MiB a memory (16 MiB: 1.62x
    // and 230 MB more).
    pool.linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_BYTES / 16)
        .pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// What a component needs of a pool slot, read from its modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Footprint {
    /// Linear memories.
    pub memories: u32,
    /// The largest initial size of a memory, in bytes.
    pub initial_memory_bytes: u64,
    /// Tables.
    pub tables: u32,
    /// The largest initial size of a table, in elements.
    pub initial_table_elements: u64,
}

impl Footprint {
    /// The component's footprint; `None` when it instantiates modules it
    /// imports (no static figure; instantiation itself then refuses it).
    pub fn of(component: &Component) -> Option<Footprint> {
        component.resources_required().map(|r| Footprint {
            memories: r.num_memories,
            initial_memory_bytes: r
                .max_initial_memory_size
                .unwrap_or(0)
                .saturating_mul(65_536),
            tables: r.num_tables,
            initial_table_elements: r.max_initial_table_size.unwrap_or(0),
        })
    }
}

/// Refuses a component that cannot be instantiated in a pool slot under
/// `limits`, saying what it needs and what the slot offers.
pub fn check_fits(need: Option<Footprint>, limits: &Limits) -> Result<(), PluginError> {
    let Some(need) = need else {
        return Ok(());
    };
    let refuse = |what: String| Err(PluginError::InvalidComponent(what));
    if need.memories > MEMORIES_PER_COMPONENT {
        return refuse(format!(
            "it has {} linear memories; a plugin may have at most {MEMORIES_PER_COMPONENT}",
            need.memories
        ));
    }
    if need.tables > TABLES_PER_COMPONENT {
        return refuse(format!(
            "it has {} tables; a plugin may have at most {TABLES_PER_COMPONENT}",
            need.tables
        ));
    }
    if need.initial_memory_bytes > limits.memory_bytes {
        return refuse(format!(
            "it starts with {} MiB of linear memory, over the memory limit of {} MiB",
            need.initial_memory_bytes >> 20,
            limits.memory_bytes >> 20
        ));
    }
    if need.initial_table_elements > TABLE_ELEMENTS as u64 {
        return refuse(format!(
            "it starts with a table of {} elements; a plugin may have at most {TABLE_ELEMENTS}",
            need.initial_table_elements
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_too_large_for_a_slot_is_refused_saying_why() {
        let fits = Footprint {
            memories: 1,
            initial_memory_bytes: 12 << 20,
            tables: 2,
            initial_table_elements: 20_000,
        };
        check_fits(Some(fits), &Limits::default()).unwrap();
        check_fits(None, &Limits::default()).unwrap();
        let tight = Limits {
            memory_bytes: 8 << 20,
            ..Limits::default()
        };
        let err = check_fits(Some(fits), &tight).unwrap_err();
        assert!(err.to_string().contains("starts with 12 MiB"), "{err}");
        for (too_big, says) in [
            (
                Footprint {
                    memories: 9,
                    ..fits
                },
                "9 linear memories",
            ),
            (Footprint { tables: 40, ..fits }, "40 tables"),
            (
                Footprint {
                    initial_table_elements: 200_000,
                    ..fits
                },
                "200000 elements",
            ),
        ] {
            let err = check_fits(Some(too_big), &Limits::default()).unwrap_err();
            assert!(err.to_string().contains(says), "{err}");
        }
    }
}
