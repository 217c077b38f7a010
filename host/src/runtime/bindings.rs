//! The host bindings: one `bindgen!` per world over the one WIT package. The
//! health-model world generates the shared types and the `log` import; the
//! other worlds reuse them through `with`, so an account or a health score is
//! one Rust type whatever the plugin kind.

#![allow(missing_docs, clippy::all)]

pub mod health_model {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/health-model@0.1.0",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema],
    });
}

pub mod segmenter {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/segmenter@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log": crate::runtime::bindings::health_model::vitals::plugin::log,
        },
    });
}

pub mod propensity_model {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/propensity-model@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log": crate::runtime::bindings::health_model::vitals::plugin::log,
        },
    });
}

pub mod forecaster {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "vitals:plugin/forecaster@0.1.0",
        with: {
            "vitals:plugin/types": crate::runtime::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log": crate::runtime::bindings::health_model::vitals::plugin::log,
        },
    });
}

pub use health_model::vitals::plugin::log;
pub use health_model::vitals::plugin::types;

impl std::fmt::Display for types::Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            types::Band::Green => "green",
            types::Band::Yellow => "yellow",
            types::Band::Red => "red",
        })
    }
}

impl std::fmt::Display for types::PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            types::PluginKind::HealthModel => "health-model",
            types::PluginKind::Segmenter => "segmenter",
            types::PluginKind::PropensityModel => "propensity-model",
            types::PluginKind::Forecaster => "forecaster",
        })
    }
}

impl types::Snapshot {
    /// A snapshot at `as_of` with every measure blank.
    pub fn empty(as_of: i32) -> Self {
        types::Snapshot {
            as_of,
            seats_purchased: None,
            seats_active: None,
            logins: None,
            features_used: None,
            features_available: None,
            tickets_open: None,
            tickets_high_severity: None,
            nps: None,
            csat: None,
            arr: None,
            champion_left: None,
            late_payments: None,
            metrics: Vec::new(),
        }
    }
}

impl types::Attributes {
    /// Attributes with every field blank.
    pub fn empty() -> Self {
        types::Attributes {
            name: None,
            owner: None,
            tier: None,
            plan: None,
            start_date: None,
            renewal_date: None,
            contract_arr: None,
            renewal_confidence: None,
            labels: Vec::new(),
        }
    }
}
