//! Plugins written in Python (componentize-py) and JavaScript (QuickJS and
//! StarlingMonkey), built from `plugins/` and `tests/guests/` by this crate's
//! build script, run by the same runtime beside the Rust pack on the same
//! fixture accounts: results and explanations, configuration errors, limits,
//! exceptions, instance reuse and determinism. (Python's runtime imports the
//! sockets interfaces but its standard library has no `socket` module: the
//! stubs that serve them are exercised by the Rust hostile guest.)

use crate::common::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use vitals::runtime::types::Band;
use vitals::runtime::{Account, Limits, Output, Plugin, PluginError, RunOptions, RunOutput, Share};

fn load(bytes: &[u8]) -> Arc<Plugin> {
    runtime().load(bytes).expect("polyglot plugin loads")
}

fn adoption() -> Arc<Plugin> {
    load(vitals_e2e::ADOPTION_HEALTH_PY)
}

fn engagement() -> Arc<Plugin> {
    load(vitals_e2e::ENGAGEMENT_SEGMENTS_JS)
}

fn run_with(
    plugin: &Plugin,
    config: &str,
    limits: Limits,
    accounts: &[Account],
    options: RunOptions,
) -> RunOutput {
    runtime()
        .run(
            Share::HOST,
            plugin,
            &limits,
            config,
            AS_OF,
            accounts,
            options,
        )
        .expect("run")
}

fn health(r: &Result<Output, PluginError>) -> &vitals::runtime::types::Health {
    match r {
        Ok(Output::Health(h)) => h,
        other => panic!("not a health result: {other:?}"),
    }
}

fn segment_names(r: &Result<Output, PluginError>) -> Vec<String> {
    match r {
        Ok(Output::Segments { segments }) => segments.iter().map(|s| s.name.to_string()).collect(),
        other => panic!("not a segments result: {other:?}"),
    }
}

#[test]
fn python_and_javascript_plugins_run_beside_the_rust_pack_on_the_same_accounts() {
    let accounts = mixed(40);
    let python = run_default(&adoption(), "{}", &accounts);
    let rust = run_default(&reference("weighted-health"), "{}", &accounts);
    let js = run_default(&engagement(), "{}", &accounts);
    let rust_segments = run_default(&reference("lifecycle-segments"), "{}", &accounts);
    for (i, account) in accounts.iter().enumerate() {
        let (py, rs) = (health(&python.results[i]), health(&rust.results[i]));
        // Both health models see a thriving customer as Green and a
        // struggling one as Red; the Python one explains itself the same way.
        let want = if i % 2 == 0 { Band::Green } else { Band::Red };
        assert_eq!(
            (py.band, rs.band),
            (want, want),
            "{}: {py:?} / {rs:?}",
            account.id
        );
        let points: f64 = py.factors.iter().map(|f| f.points).sum();
        assert!(
            (points - py.score).abs() < 1e-9,
            "{}: factors add up",
            account.id
        );
        let weights: f64 = py.factors.iter().map(|f| f.weight).sum();
        assert!((weights - 1.0).abs() < 1e-9);
        let segments = segment_names(&js.results[i]);
        let want: &[&str] = if i % 2 == 0 {
            &["power-users"]
        } else {
            &["dormant", "champion-lost", "support-heavy", "detractor"]
        };
        assert_eq!(segments, want, "{}", account.id);
        assert!(rust_segments.results[i].is_ok());
    }
    // The struggling account's momentum is measured against its history:
    // the thriving one grew from 75 to 96 active seats in 180 days.
    let grown = health(&python.results[0]);
    let trend = grown
        .factors
        .iter()
        .find(|f| &*f.name == "active-seats-trend")
        .unwrap();
    assert!(
        (trend.value.unwrap() - 21.0 / 75.0).abs() < 1e-12,
        "{trend:?}"
    );
    // Reasons carry the figures used.
    let Ok(Output::Segments { segments }) = &js.results[1] else {
        unreachable!()
    };
    let dormant = &segments[0].reason;
    assert!(
        dormant.contains("12 of 100 seats active (12 %, below 25 %)"),
        "{dormant}"
    );
}

#[test]
fn both_javascript_engines_give_the_same_segments() {
    let accounts = mixed(30);
    let quickjs = run_default(&engagement(), "{}", &accounts);
    let spidermonkey = run_default(
        &load(vitals_e2e::ENGAGEMENT_SEGMENTS_JS_STARLINGMONKEY),
        "{}",
        &accounts,
    );
    assert_eq!(quickjs.results, spidermonkey.results);
}

#[test]
fn polyglot_metadata_and_configuration_errors_name_the_field() {
    let py = adoption();
    assert_eq!(
        (py.metadata.name.as_str(), py.kind.to_string()),
        ("adoption-health", "health-model".into())
    );
    assert!(py.metadata.reads.contains(&"seats-active".to_string()));
    let js = engagement();
    assert_eq!(
        (js.metadata.name.as_str(), js.kind.to_string()),
        ("engagement-segments", "segmenter".into())
    );
    // The schema each plugin reports is what the host checks first...
    let err = py.check_config(r#"{"red_below": "low"}"#).unwrap_err();
    assert!(err.to_string().contains("/red_below"), "{err}");
    let err = js.check_config(r#"{"disabled": ["vip"]}"#).unwrap_err();
    assert!(err.to_string().contains("/disabled/0"), "{err}");
    // ...and what only the plugin can check fails the run with its message.
    let err = runtime()
        .run(
            Share::HOST,
            &py,
            &Limits::default(),
            r#"{"red_below": 80, "yellow_below": 60}"#,
            AS_OF,
            &mixed(3),
            RunOptions::default(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        PluginError::InvalidConfig("red_below (80) must not exceed yellow_below (60)".into())
    );
}

#[test]
fn an_account_the_plugin_cannot_score_gets_its_own_error() {
    let mut accounts = mixed(4);
    accounts[2].current.seats_active = Some(150);
    let out = run_default(&adoption(), "{}", &accounts);
    assert_eq!(
        out.results[2],
        Err(PluginError::Returned {
            code: "invalid-input".into(),
            message: "seats-active 150 exceeds seats-purchased 100".into()
        })
    );
    assert!(
        out.results
            .iter()
            .enumerate()
            .all(|(i, r)| i == 2 || r.is_ok())
    );
    assert!(
        out.log
            .iter()
            .any(|l| l.message == "1 of 4 accounts had no result"),
        "{:?}",
        out.log
    );
}

fn hostile(bytes: &[u8]) -> Arc<Plugin> {
    runtime().load(bytes).expect("hostile polyglot guest loads")
}

#[test]
fn infinite_loops_in_python_and_javascript_are_stopped_by_fuel() {
    for (bytes, name) in [
        (vitals_e2e::HOSTILE_PY, "python"),
        (vitals_e2e::HOSTILE_JS, "js"),
    ] {
        let limits = Limits {
            fuel: 100_000_000,
            ..Limits::default()
        };
        let out = run_with(
            &hostile(bytes),
            r#"{"mode": "loop"}"#,
            limits,
            &[thriving("spinner")],
            RunOptions::default(),
        );
        assert_eq!(
            out.results[0],
            Err(PluginError::FuelExhausted { fuel: 100_000_000 }),
            "{name}"
        );
    }
}

#[test]
fn a_python_memory_bomb_hits_the_memory_limit() {
    let limits = Limits {
        memory_bytes: 48 << 20,
        ..Limits::default()
    };
    let out = run_with(
        &hostile(vitals_e2e::HOSTILE_PY),
        r#"{"mode": "memory"}"#,
        limits,
        &[thriving("hoarder")],
        RunOptions::default(),
    );
    assert_eq!(
        out.results[0],
        Err(PluginError::MemoryLimit {
            limit_bytes: 48 << 20
        })
    );
}

/// The `calls` factor / segment of a hostile guest: calls into its instance so far.
fn calls_seen(r: &Result<Output, PluginError>) -> f64 {
    match r {
        Ok(Output::Health(h)) => h
            .factors
            .iter()
            .find(|f| &*f.name == "calls")
            .and_then(|f| f.value)
            .unwrap(),
        Ok(Output::Segments { segments }) => segments[0]
            .name
            .strip_prefix("calls-")
            .unwrap()
            .parse()
            .unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_exception_kills_its_instance_names_the_account_and_the_run_carries_on() {
    for (bytes, mode, says) in [
        (
            vitals_e2e::HOSTILE_PY,
            "raise",
            "ValueError: hostile exception on account acct-5",
        ),
        (
            vitals_e2e::HOSTILE_JS,
            "throw",
            "hostile exception on account acct-5",
        ),
    ] {
        let config = format!(r#"{{"mode": "{mode}", "target": "acct-5"}}"#);
        let one_worker = RunOptions {
            batch_size: 4,
            workers: 1,
        };
        let out = run_with(
            &hostile(bytes),
            &config,
            Limits::default(),
            &mixed(12),
            one_worker,
        );
        for (i, r) in out.results.iter().enumerate() {
            if i == 5 {
                let Err(PluginError::Trap { message, .. }) = r else {
                    panic!("{mode}: {r:?}")
                };
                assert!(message.contains(says), "{mode}: {message}");
            } else {
                assert!(r.is_ok(), "{mode}: acct-{i}: {r:?}");
            }
        }
        // Every call has a fresh instance: batch 0-3, batch 4-7 (failed),
        // its four accounts alone, batch 8-11.
        for i in [0, 3, 4, 6, 7, 11] {
            assert_eq!(calls_seen(&out.results[i]), 1.0, "{mode}: acct-{i}");
        }
        assert_eq!((out.instances, out.retried_batches), (7, 1), "{mode}");
    }
}

#[test]
fn a_run_gives_every_call_a_fresh_instance() {
    for bytes in [vitals_e2e::HOSTILE_PY, vitals_e2e::HOSTILE_JS] {
        let out = run_with(
            &hostile(bytes),
            "{}",
            Limits::default(),
            &mixed(40),
            RunOptions {
                batch_size: 4,
                workers: 1,
            },
        );
        // What one call leaves in an instance never reaches the next.
        assert_eq!((out.instances, out.calls), (10, 10));
        assert!(out.results.iter().all(|r| calls_seen(r) == 1.0));
    }
}

#[test]
fn python_and_javascript_see_a_frozen_clock_an_empty_environment_and_seeded_randomness() {
    let py = hostile(vitals_e2e::HOSTILE_PY);
    let ambient = |as_of: i32| -> BTreeMap<String, f64> {
        let out = runtime()
            .run(
                Share::HOST,
                &py,
                &Limits::default(),
                r#"{"mode": "ambient"}"#,
                as_of,
                &[thriving("a")],
                RunOptions::default(),
            )
            .unwrap();
        health(&out.results[0])
            .factors
            .iter()
            .map(|f| (f.name.to_string(), f.value.unwrap()))
            .collect()
    };
    let first = ambient(AS_OF);
    assert_eq!(first["wall-clock-secs"], f64::from(AS_OF) * 86_400.0);
    assert_eq!(first["env-vars"], 0.0);
    assert_eq!(
        first,
        ambient(AS_OF),
        "random numbers and hashes must repeat"
    );
    assert_eq!(
        ambient(AS_OF + 1)["wall-clock-secs"],
        f64::from(AS_OF + 1) * 86_400.0
    );
    let js = hostile(vitals_e2e::HOSTILE_JS);
    let reason = || {
        let out = run_default(&js, r#"{"mode": "ambient"}"#, &[thriving("a")]);
        let Ok(Output::Segments { segments }) = &out.results[0] else {
            panic!("{:?}", out.results[0])
        };
        segments[1].reason.clone()
    };
    let first = reason();
    let millis = i64::from(AS_OF) * 86_400_000;
    assert!(
        first.starts_with(&format!("now {millis} random ")),
        "{first}"
    );
    assert_eq!(first, reason());
}

#[test]
fn two_runs_of_the_polyglot_plugins_give_byte_identical_results() {
    let accounts = mixed(300);
    for plugin in [adoption(), engagement()] {
        let run = || serde_json::to_vec(&run_default(&plugin, "{}", &accounts).results).unwrap();
        assert_eq!(run(), run(), "{}", plugin.metadata.name);
    }
}

#[test]
fn the_plugins_own_unit_tests_pass_in_their_languages() {
    let tools = vitals_polyglot_build::Toolchains::at(vitals_e2e::TOOLCHAINS);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for dir in [
        "plugins/python/adoption-health",
        "plugins/js/engagement-segments",
    ] {
        let m = vitals_polyglot_build::Manifest::read(&root.join(dir)).unwrap();
        let report = vitals_polyglot_build::test(&m, &tools).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.contains("OK") || report.contains("# fail 0"),
            "{dir}: {report}"
        );
    }
}

/// The Python and JavaScript SDKs shipped with the templates
/// (`host/templates/python/vitals_sdk.py`, `host/templates/js/vitals.js`)
/// pass their own tests: decoding a hand-built 0.2 batch, the names table,
/// the per-account errors, the projection.
#[test]
fn the_sdks_shipped_with_the_templates_pass_their_own_tests() {
    use std::process::Command;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tools = vitals_polyglot_build::Toolchains::at(vitals_e2e::TOOLCHAINS);
    let said = |out: std::process::Output| {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };

    let js = Command::new(vitals_polyglot_build::node())
        .args(["--test", "vitals.test.js"])
        .current_dir(root.join("host/templates/js"))
        .output()
        .expect("node");
    let (ok, text) = said(js);
    assert!(ok && text.contains("# fail 0"), "{text}");

    let py = tools.python().unwrap_or_else(|e| panic!("{e}"));
    let bindings = tempfile::tempdir().unwrap();
    let generated = Command::new(&py.componentize_py)
        .arg("-d")
        .arg(root.join("wit/0.2"))
        .args(["-w", "health-model", "bindings"])
        .arg(bindings.path())
        .output()
        .expect("componentize-py");
    let (ok, text) = said(generated);
    assert!(ok, "{text}");
    let templates = root.join("host/templates/python");
    let path = std::env::join_paths([templates.clone(), bindings.path().to_path_buf()]).unwrap();
    let tests = Command::new(&py.python)
        .env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .args(["-m", "unittest", "test_vitals_sdk"])
        .current_dir(&templates)
        .output()
        .expect("python");
    let (ok, text) = said(tests);
    assert!(ok && text.contains("OK"), "{text}");
}
