//! The host bindings: one `bindgen!` per world over the one WIT package,
//! every world bound onto the contract's own types (`crate::contract`)
//! through `with`, so an account or a health score is one Rust type whatever
//! the plugin kind. The health-model world generates the `log` import; the
//! others reuse it.

#![allow(missing_docs, clippy::all)]

pub mod health_model {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/health-model@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::types_interface,
        },
    });
}

pub mod segmenter {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/segmenter@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::types_interface,
            "vitals:plugin/log": crate::runtime::bindings::health_model::vitals::plugin::log,
        },
    });
}

pub mod propensity_model {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/propensity-model@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::types_interface,
            "vitals:plugin/log": crate::runtime::bindings::health_model::vitals::plugin::log,
        },
    });
}

pub mod forecaster {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/forecaster@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::types_interface,
            "vitals:plugin/log": crate::runtime::bindings::health_model::vitals::plugin::log,
        },
    });
}

pub use crate::contract::types;
pub use health_model::vitals::plugin::log;

/// `vitals:plugin/types` as `bindgen!` expects an imported interface to
/// look: the contract's own types, the `date` alias, and the host side of an
/// interface without functions (nothing to link; the host's imports are
/// linked by hand in `wasi`).
pub mod types_interface {
    pub use crate::contract::types::*;
    use wasmtime::component::{HasData, Linker};

    /// A calendar date: days since 1970-01-01.
    pub type Date = i32;

    /// What the host implements of the interface: nothing.
    pub trait Host {}

    impl<H: Host + ?Sized> Host for &mut H {}

    /// The same, for functions that take the store: none.
    pub trait HostWithStore<T>: HasData {}

    impl<H: ?Sized, T> HostWithStore<T> for H where H: HasData {}

    /// Links the interface: it has no functions.
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

/// Contract 0.2 (`wit/0.2`): one `bindgen!` per world; the health-model
/// world generates the batch and result types and the `log` interface, the
/// other three reuse them through `with`, so a batch is one Rust type for
/// every kind. The host encodes batches from the contract's accounts
/// (`runtime::batch`) and decodes results into the same outputs as 0.1
/// (`runtime::results`).
pub mod v02 {
    pub mod health_model {
        wasmtime::component::bindgen!({
            path: "../wit/0.2",
            world: "vitals:plugin/health-model@0.2.0",
        });
    }

    pub mod segmenter {
        wasmtime::component::bindgen!({
            path: "../wit/0.2",
            world: "vitals:plugin/segmenter@0.2.0",
            with: {
                "vitals:plugin/types@0.2.0": crate::runtime::bindings::v02::health_model::vitals::plugin::types,
                "vitals:plugin/log@0.2.0": crate::runtime::bindings::v02::health_model::vitals::plugin::log,
            },
        });
    }

    pub mod propensity_model {
        wasmtime::component::bindgen!({
            path: "../wit/0.2",
            world: "vitals:plugin/propensity-model@0.2.0",
            with: {
                "vitals:plugin/types@0.2.0": crate::runtime::bindings::v02::health_model::vitals::plugin::types,
                "vitals:plugin/log@0.2.0": crate::runtime::bindings::v02::health_model::vitals::plugin::log,
            },
        });
    }

    pub mod forecaster {
        wasmtime::component::bindgen!({
            path: "../wit/0.2",
            world: "vitals:plugin/forecaster@0.2.0",
            with: {
                "vitals:plugin/types@0.2.0": crate::runtime::bindings::v02::health_model::vitals::plugin::types,
                "vitals:plugin/log@0.2.0": crate::runtime::bindings::v02::health_model::vitals::plugin::log,
            },
        });
    }

    pub use health_model::vitals::plugin::types;
}
