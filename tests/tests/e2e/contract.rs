//! The reference pack built from source: each component is a valid plugin of
//! its world, imports only what is allowed, and gives the expected results.

use crate::common::*;
use vitals::runtime::types::{Band, Confidence, PluginKind};
use vitals::runtime::{Limits, Output, RunOptions};

#[test]
fn every_reference_component_loads_with_its_metadata() {
    let expected = [
        ("weighted-health", PluginKind::HealthModel),
        ("lifecycle-segments", PluginKind::Segmenter),
        ("seat-expansion", PluginKind::PropensityModel),
        ("renewal-forecast", PluginKind::Forecaster),
    ];
    for (name, kind) in expected {
        let p = reference(name);
        assert_eq!(p.kind, kind, "{name}");
        assert_eq!(p.metadata.name, name);
        assert_eq!(p.metadata.version, "0.1.0");
        assert!(!p.metadata.description.is_empty());
        assert!(!p.metadata.reads.is_empty());
        let schema: serde_json::Value = serde_json::from_str(&p.metadata.config_schema).unwrap();
        assert_eq!(schema["type"], "object", "{name}: {schema}");
    }
}

#[test]
fn reference_components_import_only_the_allowed_interfaces() {
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let imports = runtime().component_imports(bytes).unwrap();
        assert!(
            imports
                .iter()
                .any(|i| i.starts_with("vitals:plugin/log@0.1.0"))
                || !imports.is_empty(),
            "{name}"
        );
        for import in &imports {
            let ok = import.starts_with("vitals:plugin/log@")
                || import.starts_with("vitals:plugin/types@")
                || [
                    "wasi:cli/",
                    "wasi:clocks/",
                    "wasi:random/",
                    "wasi:io/",
                    "wasi:filesystem/",
                    "wasi:sockets/",
                ]
                .iter()
                .any(|p| import.starts_with(p));
            assert!(ok, "{name} imports {import}");
        }
    }
}

fn run(name: &str, config: &str, accounts: &[vitals::runtime::Account]) -> Vec<Output> {
    let p = reference(name);
    let out = run_default(&p, config, accounts);
    out.results.into_iter().map(|r| r.unwrap()).collect()
}

#[test]
fn weighted_health_scores_fixture_accounts() {
    let out = run("weighted-health", "{}", &[thriving("t"), struggling("s")]);
    let Output::Health(t) = &out[0] else {
        panic!("{out:?}")
    };
    let Output::Health(s) = &out[1] else {
        panic!("{out:?}")
    };
    assert_eq!(t.band, Band::Green);
    assert!(t.score > 99.0, "{}", t.score);
    assert_eq!(s.band, Band::Red);
    assert!(s.score < 5.0, "{}", s.score);
    let points: f64 = s.factors.iter().map(|f| f.points).sum();
    assert!((points - s.score).abs() < 1e-9);
}

#[test]
fn weighted_health_reports_missing_data_per_account_without_failing_others() {
    let p = reference("weighted-health");
    let out = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &p,
            &Limits::default(),
            "{}",
            AS_OF,
            &[blank("empty"), thriving("t")],
            RunOptions::default(),
        )
        .unwrap();
    let err = out.results[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), "returned", "{err}");
    assert!(err.to_string().contains("missing-data"), "{err}");
    assert!(out.results[1].is_ok());
}

#[test]
fn lifecycle_segments_give_reasons() {
    let out = run(
        "lifecycle-segments",
        "{}",
        &[thriving("t"), struggling("s")],
    );
    let Output::Segments { segments } = &out[0] else {
        panic!()
    };
    let names: Vec<&str> = segments.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["expansion-ready", "advocate"]);
    assert!(
        segments[0].reason.contains("96 %"),
        "{}",
        segments[0].reason
    );
    let Output::Segments { segments } = &out[1] else {
        panic!()
    };
    let names: Vec<&str> = segments.iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["adoption", "at-risk"]);
}

#[test]
fn seat_expansion_ranks_the_thriving_account_first() {
    let out = run("seat-expansion", "{}", &[thriving("t"), struggling("s")]);
    let (Output::Propensity(t), Output::Propensity(s)) = (&out[0], &out[1]) else {
        panic!()
    };
    assert!(t.score > 0.8, "{}", t.score);
    assert_eq!(s.score, 0.0);
    let sum: f64 = t.drivers.iter().map(|d| d.contribution).sum();
    assert!((sum - t.score).abs() < 1e-9);
}

#[test]
fn renewal_forecast_follows_band_and_tier() {
    let mut committed = struggling("c");
    committed.attributes.renewal_confidence = Some(Confidence::Commit);
    let out = run(
        "renewal-forecast",
        "{}",
        &[thriving("t"), struggling("s"), committed],
    );
    let [
        Output::Forecast(t),
        Output::Forecast(s),
        Output::Forecast(c),
    ] = &out[..]
    else {
        panic!()
    };
    assert_eq!(t.renewal_probability, 0.95);
    assert_eq!(t.expected_renewal_arr, 0.95 * 120_000.0);
    assert_eq!(s.renewal_probability, 0.20);
    assert!(s.expected_contraction_arr > 0.0);
    assert_eq!(
        (c.renewal_probability, c.confidence),
        (1.0, Confidence::Commit)
    );
}

#[test]
fn configuration_is_checked_against_the_plugin_schema_before_running() {
    let p = reference("weighted-health");
    let err = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &p,
            &Limits::default(),
            r#"{"red_below": "low"}"#,
            AS_OF,
            &[thriving("t")],
            RunOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind(), "invalid-config");
    assert!(err.to_string().contains("red_below"), "{err}");
    // And a configuration changes the result without recompiling anything.
    let out = run(
        "weighted-health",
        r#"{"red_below": 99.9, "yellow_below": 99.95}"#,
        &[struggling("s"), thriving("t")],
    );
    let Output::Health(t) = &out[1] else { panic!() };
    assert_eq!(t.band, Band::Green);
}
