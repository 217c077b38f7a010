//! The generated bindings of `vitals:plugin@0.2.0`: one `generate!` per world.
//! The health-model world generates the shared types; the other three reuse
//! them through `with`, so a batch is one type for every kind. Authors never
//! see these: [`crate::decode`] and [`crate::results`] translate.
#![allow(missing_docs, unsafe_code, clippy::all)]

/// Bindings of the `health-model` world (and the shared types).
pub mod health_model {
    wit_bindgen::generate!({
        path: "../wit/0.2",
        world: "vitals:plugin/health-model@0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_health_model_world",
        default_bindings_module: "vitals_plugin_sdk::bindings::health_model",
        additional_derives: [PartialEq],
    });
}

/// Bindings of the `segmenter` world.
pub mod segmenter {
    wit_bindgen::generate!({
        path: "../wit/0.2",
        world: "vitals:plugin/segmenter@0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_segmenter_world",
        default_bindings_module: "vitals_plugin_sdk::bindings::segmenter",
        with: {
            "vitals:plugin/types@0.2.0": crate::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log@0.2.0": crate::bindings::health_model::vitals::plugin::log,
        },
    });
}

/// Bindings of the `propensity-model` world.
pub mod propensity_model {
    wit_bindgen::generate!({
        path: "../wit/0.2",
        world: "vitals:plugin/propensity-model@0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_propensity_model_world",
        default_bindings_module: "vitals_plugin_sdk::bindings::propensity_model",
        with: {
            "vitals:plugin/types@0.2.0": crate::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log@0.2.0": crate::bindings::health_model::vitals::plugin::log,
        },
    });
}

/// Bindings of the `forecaster` world.
pub mod forecaster {
    wit_bindgen::generate!({
        path: "../wit/0.2",
        world: "vitals:plugin/forecaster@0.2.0",
        pub_export_macro: true,
        export_macro_name: "__export_forecaster_world",
        default_bindings_module: "vitals_plugin_sdk::bindings::forecaster",
        with: {
            "vitals:plugin/types@0.2.0": crate::bindings::health_model::vitals::plugin::types,
            "vitals:plugin/log@0.2.0": crate::bindings::health_model::vitals::plugin::log,
        },
    });
}
