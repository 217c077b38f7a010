//! One export macro per kind. Each implements the world's generated `Guest`
//! trait by delegating to [`crate::dispatch`], then invokes wit-bindgen's
//! export macro for that world only, so a component exports exactly one world.

/// Exports a [`crate::HealthModel`] as the component's `health-model` world.
#[macro_export]
macro_rules! export_health_model {
    ($model:ty) => {
        const _: () = {
            use $crate::bindings::health_model::exports::vitals::plugin::health as __w;
            struct __VitalsExport;
            impl __w::Guest for __VitalsExport {
                fn metadata() -> $crate::wire::PluginMetadata {
                    $crate::dispatch::health_metadata::<$model>().into()
                }
                fn project(
                    config: String,
                ) -> $crate::dispatch::Outcome<$crate::wire::Projection> {
                    $crate::dispatch::wire_project::<$model>(&config)
                }
                fn score(
                    config: String,
                    as_of: $crate::Date,
                    accounts: $crate::wire::Batch,
                ) -> $crate::dispatch::Outcome<$crate::wire::HealthResults> {
                    $crate::dispatch::health_score::<$model>(&config, as_of, &accounts)
                }
            }
            // Exported symbols only exist in the component; natively the
            // impl above is type-checked and the harness calls dispatch.
            #[cfg(target_arch = "wasm32")]
            #[global_allocator]
            static __VITALS_ALLOCATOR: $crate::alloc::Bump = $crate::alloc::Bump::new();
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::health_model::__export_health_model_world!(__VitalsExport with_types_in $crate::bindings::health_model);
        };
    };
}

/// Exports a [`crate::Segmenter`] as the component's `segmenter` world.
#[macro_export]
macro_rules! export_segmenter {
    ($model:ty) => {
        const _: () = {
            use $crate::bindings::segmenter::exports::vitals::plugin::segments as __w;
            struct __VitalsExport;
            impl __w::Guest for __VitalsExport {
                fn metadata() -> $crate::wire::PluginMetadata {
                    $crate::dispatch::segmenter_metadata::<$model>().into()
                }
                fn project(
                    config: String,
                ) -> $crate::dispatch::Outcome<$crate::wire::Projection> {
                    $crate::dispatch::wire_project::<$model>(&config)
                }
                fn assign(
                    config: String,
                    as_of: $crate::Date,
                    accounts: $crate::wire::Batch,
                ) -> $crate::dispatch::Outcome<$crate::wire::SegmentResults> {
                    $crate::dispatch::segmenter_assign::<$model>(&config, as_of, &accounts)
                }
            }
            // Exported symbols only exist in the component; natively the
            // impl above is type-checked and the harness calls dispatch.
            #[cfg(target_arch = "wasm32")]
            #[global_allocator]
            static __VITALS_ALLOCATOR: $crate::alloc::Bump = $crate::alloc::Bump::new();
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::segmenter::__export_segmenter_world!(__VitalsExport with_types_in $crate::bindings::segmenter);
        };
    };
}

/// Exports a [`crate::PropensityModel`] as the component's `propensity-model` world.
#[macro_export]
macro_rules! export_propensity_model {
    ($model:ty) => {
        const _: () = {
            use $crate::bindings::propensity_model::exports::vitals::plugin::propensity as __w;
            struct __VitalsExport;
            impl __w::Guest for __VitalsExport {
                fn metadata() -> $crate::wire::PluginMetadata {
                    $crate::dispatch::propensity_metadata::<$model>().into()
                }
                fn project(
                    config: String,
                ) -> $crate::dispatch::Outcome<$crate::wire::Projection> {
                    $crate::dispatch::wire_project::<$model>(&config)
                }
                fn score(
                    config: String,
                    as_of: $crate::Date,
                    accounts: $crate::wire::Batch,
                ) -> $crate::dispatch::Outcome<$crate::wire::PropensityResults> {
                    $crate::dispatch::propensity_score::<$model>(&config, as_of, &accounts)
                }
            }
            // Exported symbols only exist in the component; natively the
            // impl above is type-checked and the harness calls dispatch.
            #[cfg(target_arch = "wasm32")]
            #[global_allocator]
            static __VITALS_ALLOCATOR: $crate::alloc::Bump = $crate::alloc::Bump::new();
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::propensity_model::__export_propensity_model_world!(__VitalsExport with_types_in $crate::bindings::propensity_model);
        };
    };
}

/// Exports a [`crate::Forecaster`] as the component's `forecaster` world.
#[macro_export]
macro_rules! export_forecaster {
    ($model:ty) => {
        const _: () = {
            use $crate::bindings::forecaster::exports::vitals::plugin::forecast as __w;
            struct __VitalsExport;
            impl __w::Guest for __VitalsExport {
                fn metadata() -> $crate::wire::PluginMetadata {
                    $crate::dispatch::forecaster_metadata::<$model>().into()
                }
                fn project(
                    config: String,
                ) -> $crate::dispatch::Outcome<$crate::wire::Projection> {
                    $crate::dispatch::wire_project::<$model>(&config)
                }
                fn predict(
                    config: String,
                    as_of: $crate::Date,
                    accounts: $crate::wire::Batch,
                ) -> $crate::dispatch::Outcome<$crate::wire::ForecastResults> {
                    $crate::dispatch::forecaster_forecast::<$model>(&config, as_of, &accounts)
                }
            }
            // Exported symbols only exist in the component; natively the
            // impl above is type-checked and the harness calls dispatch.
            #[cfg(target_arch = "wasm32")]
            #[global_allocator]
            static __VITALS_ALLOCATOR: $crate::alloc::Bump = $crate::alloc::Bump::new();
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::forecaster::__export_forecaster_world!(__VitalsExport with_types_in $crate::bindings::forecaster);
        };
    };
}
