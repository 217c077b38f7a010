//! Hostile guests against the runtime: each yields its typed error, the
//! culprit account is named, and a good plugin for another tenant running at
//! the same time is unaffected. Plus determinism and the compile cache.

use crate::common::*;
use vitals::runtime::{Limits, Loaded, Output, PluginError, RunOptions, Runtime, RuntimeConfig};

fn hostile_run(
    mode: &str,
    limits: Limits,
    accounts: &[vitals::runtime::Account],
) -> vitals::runtime::RunOutput {
    let config = format!(r#"{{"mode": "{mode}"}}"#);
    runtime()
        .run(
            vitals::runtime::Share::HOST,
            &hostile(),
            &limits,
            &config,
            AS_OF,
            accounts,
            RunOptions::default(),
        )
        .unwrap()
}

fn only_error(mode: &str, limits: Limits) -> PluginError {
    let out = hostile_run(mode, limits, &[thriving("victim")]);
    out.results.into_iter().next().unwrap().unwrap_err()
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let err = only_error(
        "loop",
        Limits {
            fuel: 20_000_000,
            ..Limits::default()
        },
    );
    assert_eq!(err, PluginError::FuelExhausted { fuel: 20_000_000 });
}

#[test]
fn an_infinite_loop_with_ample_fuel_hits_the_deadline() {
    let started = std::time::Instant::now();
    let err = only_error(
        "loop",
        Limits {
            fuel: u64::MAX / 2,
            deadline_ms: 100,
            ..Limits::default()
        },
    );
    assert_eq!(err, PluginError::Deadline { deadline_ms: 100 });
    assert!(
        started.elapsed().as_secs() < 10,
        "the deadline must stop the loop"
    );
}

#[test]
fn a_memory_bomb_hits_the_memory_limit() {
    let err = only_error(
        "memory-bomb",
        Limits {
            memory_bytes: 16 << 20,
            ..Limits::default()
        },
    );
    assert_eq!(
        err,
        PluginError::MemoryLimit {
            limit_bytes: 16 << 20
        }
    );
}

#[test]
fn deep_recursion_is_a_trap() {
    let err = only_error("recursion", Limits::default());
    let PluginError::Trap { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("stack"), "{message}");
}

#[test]
fn a_giant_output_is_refused() {
    let err = only_error(
        "giant-output",
        Limits {
            output_bytes: 1 << 20,
            ..Limits::default()
        },
    );
    assert!(
        matches!(err, PluginError::OutputTooLarge { limit_bytes: 1_048_576, bytes } if bytes > 8_000_000),
        "{err:?}"
    );
}

#[test]
fn a_log_flood_is_truncated_and_the_call_succeeds() {
    let limits = Limits {
        log_lines: 50,
        log_bytes: 4096,
        ..Limits::default()
    };
    let out = hostile_run("log-flood", limits, &[thriving("chatty")]);
    assert!(out.results[0].is_ok(), "{:?}", out.results[0]);
    assert!(out.log.len() <= 50);
    assert!(out.log.iter().map(|l| l.message.len()).sum::<usize>() <= 4096);
    assert!(out.log_dropped > 1_000_000, "{}", out.log_dropped);
    assert!(out.log.iter().any(|l| l.level == "info"));
}

#[test]
fn a_panic_is_a_trap_with_the_guest_message() {
    let err = only_error("panic", Limits::default());
    let PluginError::Trap { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("hostile panic on account victim"),
        "{message}"
    );
}

#[test]
fn nan_and_out_of_range_scores_are_bad_output() {
    for mode in ["nan", "out-of-range"] {
        let err = only_error(mode, Limits::default());
        assert_eq!(err.kind(), "bad-output", "{mode}: {err}");
    }
}

#[test]
fn a_wrong_result_count_is_bad_output_for_every_account() {
    let out = hostile_run("wrong-count", Limits::default(), &mixed(3));
    for r in &out.results {
        let err = r.as_ref().unwrap_err();
        assert!(
            matches!(err, PluginError::BadOutput(m) if m.contains("2 results for 1 accounts")),
            "{err:?}"
        );
    }
}

#[test]
fn files_are_denied_and_sockets_trap_at_run_time() {
    let err = only_error("file", Limits::default());
    let PluginError::Returned { message, .. } = &err else {
        panic!("file: {err:?}")
    };
    assert!(message.contains("denied"), "file: {message}");
    // The sockets interfaces link (language runtimes import them) to stubs
    // that trap, naming the call.
    let err = only_error("socket", Limits::default());
    let PluginError::Trap { message, .. } = &err else {
        panic!("socket: {err:?}")
    };
    assert!(message.contains("wasi:sockets/"), "socket: {message}");
    assert!(
        message.contains("is not available to plugins"),
        "socket: {message}"
    );
}

#[test]
fn a_trap_fails_only_its_batch_and_the_retry_names_the_account() {
    let accounts = mixed(6);
    let config = r#"{"mode": "panic", "target": "acct-3"}"#;
    let out = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &hostile(),
            &Limits::default(),
            config,
            AS_OF,
            &accounts,
            RunOptions {
                batch_size: 6,
                workers: 1,
            },
        )
        .unwrap();
    assert_eq!(out.retried_batches, 1);
    for (i, r) in out.results.iter().enumerate() {
        if i == 3 {
            let err = r.as_ref().unwrap_err();
            assert!(err.to_string().contains("acct-3"), "{err}");
        } else {
            assert!(r.is_ok(), "acct-{i}: {r:?}");
        }
    }
}

#[test]
fn a_good_tenant_is_unaffected_by_a_hostile_one_running_at_once() {
    let accounts = mixed(2000);
    let weighted = reference("weighted-health");
    let alone = run_default(&weighted, "{}", &accounts);
    let (good, _) = std::thread::scope(|s| {
        let hostile = s.spawn(|| {
            for mode in ["loop", "memory-bomb", "panic", "recursion"] {
                let limits = Limits {
                    fuel: 50_000_000,
                    memory_bytes: 16 << 20,
                    ..Limits::default()
                };
                hostile_run(mode, limits, &mixed(8));
            }
        });
        let good = s.spawn(|| {
            runtime().run(
                vitals::runtime::Share::HOST,
                &weighted,
                &Limits::default(),
                "{}",
                AS_OF,
                &accounts,
                RunOptions::default(),
            )
        });
        (good.join().unwrap().unwrap(), hostile.join().unwrap())
    });
    assert_eq!(good.results.len(), 2000);
    assert!(good.results.iter().all(|r| r.is_ok()));
    assert_eq!(good.results, alone.results);
}

#[test]
fn the_same_inputs_give_byte_identical_outputs() {
    let accounts = mixed(300);
    for name in [
        "weighted-health",
        "lifecycle-segments",
        "seat-expansion",
        "renewal-forecast",
    ] {
        let p = reference(name);
        let run = || {
            let out = run_default(&p, "{}", &accounts);
            let ok: Vec<Output> = out.results.into_iter().map(|r| r.unwrap()).collect();
            serde_json::to_vec(&ok).unwrap()
        };
        assert_eq!(run(), run(), "{name}");
    }
}

#[test]
fn clocks_are_frozen_randomness_seeded_and_the_environment_empty() {
    let factors = |as_of: i32| {
        let out = runtime()
            .run(
                vitals::runtime::Share::HOST,
                &hostile(),
                &Limits::default(),
                r#"{"mode":"ambient"}"#,
                as_of,
                &[thriving("a")],
                RunOptions::default(),
            )
            .unwrap();
        let Ok(Output::Health(h)) = &out.results[0] else {
            panic!("{:?}", out.results[0])
        };
        h.factors
            .iter()
            .map(|f| (f.name.clone(), f.value.unwrap()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let first = factors(AS_OF);
    assert_eq!(first["wall-clock-secs"], f64::from(AS_OF) * 86_400.0);
    assert_eq!(first["monotonic-elapsed-ns"], 0.0);
    assert_eq!(first["env-vars"], 0.0);
    assert_eq!(first["args"], 0.0);
    assert_eq!(first, factors(AS_OF), "random numbers must repeat");
    assert_eq!(
        factors(AS_OF + 1)["wall-clock-secs"],
        f64::from(AS_OF + 1) * 86_400.0
    );
}

#[test]
fn components_importing_other_interfaces_are_refused_at_upload() {
    for import in [
        "wasi:keyvalue/store@0.2.0-draft",
        "acme:secrets/vault@1.0.0",
        "wasi:cli/environment@0.3.0",
    ] {
        let wat = format!(r#"(component (import "{import}" (instance)))"#);
        let bytes = wat::parse_str(&wat).unwrap();
        let err = runtime().load(&bytes).unwrap_err();
        assert_eq!(
            err,
            PluginError::ForbiddenImport {
                import: import.into()
            }
        );
    }
}

#[test]
fn components_importing_http_pass_the_import_check() {
    // wasi:http is linked to trapping stubs (a StarlingMonkey component with
    // fetch imports it), so such a component is judged on its world.
    let wat = r#"(component (import "wasi:http/outgoing-handler@0.2.0" (instance)))"#;
    let err = runtime().load(&wat::parse_str(wat).unwrap()).unwrap_err();
    assert_eq!(err.kind(), "unknown-world", "{err}");
}

#[test]
fn a_component_of_an_unknown_world_is_refused() {
    let bytes = wat::parse_str(
        r#"(component
            (core module $m (func (export "f") (result i32) i32.const 1))
            (core instance $i (instantiate $m))
            (func $f (result u32) (canon lift (core func $i "f")))
            (export "run" (func $f)))"#,
    )
    .unwrap();
    let err = runtime().load(&bytes).unwrap_err();
    assert!(
        matches!(&err, PluginError::UnknownWorld(m) if m.contains("run")),
        "{err:?}"
    );
    let core_module = wat::parse_str("(module)").unwrap();
    assert_eq!(
        runtime().load(&core_module).unwrap_err().kind(),
        "invalid-component"
    );
}

#[test]
fn a_restart_loads_precompiled_code_instead_of_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = vitals_reference_pack::component("seat-expansion").unwrap();
    let config = || RuntimeConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        max_instances: 4,
        ..Default::default()
    };
    let first = Runtime::new(config()).unwrap().load(bytes).unwrap();
    assert_eq!(first.loaded, Loaded::Compiled);
    let again = Runtime::new(config()).unwrap().load(bytes).unwrap();
    assert_eq!(again.loaded, Loaded::FromCache);
    assert_eq!(again.hash, first.hash);
}

#[test]
fn a_batch_over_the_memory_limit_is_retried_account_by_account() {
    // The SDK's bump allocator keeps a whole batch in memory; with a tight
    // cap a large batch hits it, and the retry one account at a time fits.
    let weighted = reference("weighted-health");
    let accounts = mixed(3000);
    let limits = Limits {
        memory_bytes: 4 << 20,
        ..Limits::default()
    };
    let out = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &weighted,
            &limits,
            "{}",
            AS_OF,
            &accounts,
            RunOptions {
                batch_size: 3000,
                workers: 1,
            },
        )
        .unwrap();
    assert_eq!(
        out.retried_batches, 1,
        "the 3000-account batch must exceed 4 MiB"
    );
    assert!(
        out.results.iter().all(|r| r.is_ok()),
        "{:?}",
        out.results.iter().find(|r| r.is_err())
    );
    let roomy = run_default(&weighted, "{}", &accounts);
    assert_eq!(out.results, roomy.results);
}

#[test]
fn sleeping_cannot_outlast_the_deadline() {
    // wasmtime-wasi's clock would sleep in real time inside the host call,
    // out of reach of epoch interruption; the frozen clock ends every wait.
    let started = std::time::Instant::now();
    for mode in ["sleep", "sleep-forever"] {
        let out = hostile_run(
            mode,
            Limits {
                deadline_ms: 2000,
                ..Limits::default()
            },
            &[thriving("sleepy")],
        );
        assert!(out.results[0].is_ok(), "{mode}: {:?}", out.results[0]);
    }
    let err = only_error(
        "wait-for-time",
        Limits {
            fuel: 50_000_000,
            deadline_ms: 2000,
            ..Limits::default()
        },
    );
    assert!(
        matches!(
            err,
            PluginError::FuelExhausted { .. } | PluginError::Deadline { .. }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_plugin_that_fails_everything_is_stopped_not_retried_for_ever() {
    let accounts = mixed(50);
    let out = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &hostile(),
            &Limits::default(),
            r#"{"mode":"panic"}"#,
            AS_OF,
            &accounts,
            RunOptions {
                batch_size: 10,
                workers: 1,
            },
        )
        .unwrap();
    // Three batches: one whole call and three single retries each; then the
    // run stops calling the plugin.
    assert_eq!(out.calls, 12);
    let kinds: Vec<&str> = out
        .results
        .iter()
        .map(|r| r.as_ref().unwrap_err().kind())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "trap").count(), 9);
    assert_eq!(kinds.iter().filter(|k| **k == "not-run").count(), 41);
}

#[test]
fn retries_share_the_batch_output_budget() {
    // 8 MB per account: a batch of 5 is over 32 MiB, and alone each account
    // gets a fifth of it, not 32 MiB again.
    let limits = Limits {
        output_bytes: 32 << 20,
        ..Limits::default()
    };
    let out = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &hostile(),
            &limits,
            r#"{"mode":"giant-output"}"#,
            AS_OF,
            &mixed(5),
            RunOptions {
                batch_size: 5,
                workers: 1,
            },
        )
        .unwrap();
    let kinds: Vec<&str> = out
        .results
        .iter()
        .map(|r| r.as_ref().unwrap_err().kind())
        .collect();
    assert_eq!(
        kinds,
        [
            "output-too-large",
            "output-too-large",
            "output-too-large",
            "not-run",
            "not-run"
        ]
    );
}

#[test]
fn a_run_past_its_fuel_budget_stops_calling_the_plugin() {
    let accounts = mixed(4_000);
    let options = RunOptions {
        batch_size: 500,
        workers: 1,
    };
    let run = |limits: &Limits| {
        runtime()
            .run(
                vitals::runtime::Share::HOST,
                &hostile(),
                limits,
                r#"{"mode": "good"}"#,
                AS_OF,
                &accounts,
                options,
            )
            .unwrap()
    };
    let whole = run(&Limits::default());
    assert!(whole.results.iter().all(Result::is_ok));
    let per_batch = whole.fuel_used / 8;
    // Each batch fits its call, but the run may use only the start-up
    // allowance of four calls' fuel: about six of the eight batches.
    let tight = Limits {
        fuel: per_batch * 3 / 2,
        run_fuel_per_account: 0,
        ..Limits::default()
    };
    let out = run(&tight);
    let scored = out.results.iter().take_while(|r| r.is_ok()).count();
    assert!(
        scored % 500 == 0 && (2_000..4_000).contains(&scored),
        "whole batches scored until the budget ran out: {scored}"
    );
    for r in &out.results[scored..] {
        let err = r.as_ref().unwrap_err();
        assert_eq!(err.kind(), "not-run");
        assert!(err.to_string().contains("run_fuel_per_account"), "{err}");
    }
    assert!(
        out.fuel_used <= 4 * tight.fuel + tight.fuel,
        "{}",
        out.fuel_used
    );
}
