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
        "not-a-component"
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

/// A run of the hostile guest in `mode` with `options`, as JSON bytes.
fn run_bytes(mode: &str, accounts: &[vitals::runtime::Account], options: RunOptions) -> Vec<u8> {
    let out = runtime()
        .run(
            vitals::runtime::Share::HOST,
            &hostile(),
            &Limits::default(),
            &format!(r#"{{"mode": "{mode}"}}"#),
            AS_OF,
            accounts,
            options,
        )
        .unwrap();
    serde_json::to_vec(&out.results).unwrap()
}

#[test]
fn a_plugin_drawing_random_numbers_gives_the_same_bytes_whatever_workers_or_batch_order() {
    let accounts = mixed(60);
    let split = |workers| RunOptions {
        batch_size: 7,
        workers,
    };
    let one_worker = run_bytes("random", &accounts, split(1));
    // Two workers while other threads keep the cores busy, so which worker
    // takes which batch, and when, varies from run to run.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let two_workers_loaded: Vec<Vec<u8>> = std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::black_box(0u64);
                }
            });
        }
        let runs = (0..3)
            .map(|_| run_bytes("random", &accounts, split(2)))
            .collect();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        runs
    });
    for (i, run) in two_workers_loaded.iter().enumerate() {
        assert!(
            *run == one_worker,
            "run {i} with 2 workers differs from 1 worker"
        );
    }
    // The same batches called one by one, last first.
    let chunks: Vec<_> = accounts.chunks(7).collect();
    let mut reversed: Vec<Vec<Result<Output, PluginError>>> = chunks
        .iter()
        .rev()
        .map(|chunk| {
            runtime()
                .call(
                    vitals::runtime::Share::HOST,
                    &hostile(),
                    &Limits::default(),
                    r#"{"mode": "random"}"#,
                    AS_OF,
                    chunk,
                )
                .unwrap()
                .results
        })
        .collect();
    reversed.reverse();
    let in_order: Vec<_> = reversed.into_iter().flatten().collect();
    assert!(
        serde_json::to_vec(&in_order).unwrap() == one_worker,
        "batches called in reverse order differ"
    );
    // The guest does draw: scores and factor orders differ between accounts.
    let results: Vec<Result<Output, PluginError>> = serde_json::from_slice(&one_worker).unwrap();
    let orders: std::collections::BTreeSet<Vec<String>> = results
        .iter()
        .map(|r| match r {
            Ok(Output::Health(h)) => h.factors.iter().map(|f| f.name.to_string()).collect(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(orders.len() > 1, "one factor order for every account");
}

#[test]
fn an_account_scored_alone_gets_the_same_result_as_its_retry_and_on_demand() {
    // A call on one account (an on-demand score, or an account retried
    // alone after its batch failed) draws from a seed of that account's:
    // the same result whichever way it is reached.
    let accounts = mixed(5);
    let alone = run_bytes(
        "random",
        &accounts,
        RunOptions {
            batch_size: 1,
            workers: 2,
        },
    );
    let alone: Vec<Result<Output, PluginError>> = serde_json::from_slice(&alone).unwrap();
    for (i, account) in accounts.iter().enumerate() {
        let on_demand = runtime()
            .call(
                vitals::runtime::Share::of("someone"),
                &hostile(),
                &Limits::default(),
                r#"{"mode": "random"}"#,
                AS_OF,
                std::slice::from_ref(account),
            )
            .unwrap();
        assert_eq!(on_demand.results[0], alone[i], "acct-{i}");
    }
    assert_ne!(alone[0], alone[1], "different accounts draw differently");
}

#[test]
fn a_guest_logging_a_huge_line_again_and_again_is_stopped_quickly() {
    // 100,000 lines of 32 MiB: the host reads each line's length in place
    // and charges fuel by its bytes, so the call runs out of fuel after
    // about 60 lines instead of copying 3 TB for the deadline to notice.
    let started = std::time::Instant::now();
    let err = only_error("log-huge", Limits::default());
    assert_eq!(
        err,
        PluginError::FuelExhausted {
            fuel: Limits::default().fuel
        }
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    // With a deadline shorter than the fuel lasts, the time spent in the
    // host calls counts against it.
    let started = std::time::Instant::now();
    let err = only_error(
        "log-huge",
        Limits {
            deadline_ms: 50,
            ..Limits::default()
        },
    );
    assert_eq!(err, PluginError::Deadline { deadline_ms: 50 });
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn factors_outside_the_documented_ranges_are_bad_output_naming_the_field() {
    for (mode, says) in [
        ("bad-weight", "factors[0] (logins).weight 7 is outside 0-1"),
        (
            "bad-points",
            "factors' points add up to -1e308, not to the score 50",
        ),
        ("inf-value", "factors[0] (logins).value is inf"),
    ] {
        let err = only_error(mode, Limits::default());
        let PluginError::BadOutput(message) = &err else {
            panic!("{mode}: {err:?}")
        };
        assert!(message.contains(says), "{mode}: {message}");
    }
}

#[test]
fn an_output_aliasing_one_buffer_is_output_too_large_not_a_trap() {
    // 200 names pointing at one 1 MiB buffer: 200 MiB for the host to copy.
    // wasmtime's hostcall fuel stops the copy; that is the output's size.
    // Before the host's own size check could see it: the copy stops at
    // 16x the output limit (128 MiB), which is what the error reports.
    let err = only_error("aliased-output", Limits::default());
    let limit = Limits::default().output_bytes;
    assert_eq!(
        err,
        PluginError::OutputTooLarge {
            bytes: 16 * limit,
            limit_bytes: limit
        }
    );
}

#[test]
fn an_unlinked_interface_of_an_allowed_package_is_a_forbidden_import() {
    for import in ["wasi:clocks/timezone@0.2.0", "wasi:random/quantum@0.2.0"] {
        let wat =
            format!(r#"(component (import "{import}" (instance (export "display" (func)))))"#);
        let err = runtime().load(&wat::parse_str(&wat).unwrap()).unwrap_err();
        assert_eq!(
            err,
            PluginError::ForbiddenImport {
                import: import.into()
            }
        );
    }
}

/// `vitals_plugin_fuel_total` as the server's `/metrics` reports it.
fn fuel_total(s: &crate::served::Server) -> u64 {
    let text = s
        .call(reqwest::Method::GET, "/metrics", None)
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("vitals_plugin_fuel_total "))
        .unwrap_or_else(|| panic!("no fuel counter in {text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_fuel_a_looping_plugin_burns_shows_in_its_run_and_the_metrics() {
    use crate::served::{Server, json_of};
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = {
        let store = vitals::store::Store::open(&data.join("store")).unwrap();
        vitals_e2e::install_hostile_tenant(&store, runtime(), "looper", "loop", 20, AS_OF).unwrap();
        let key = vitals::service::keys::issue(
            &store,
            Some("looper"),
            Some(vitals::store::Role::Admin),
            "t",
        )
        .unwrap();
        store.flush_all().unwrap();
        key.key
    };
    let s = Server::start(&data);
    let fuel = Limits::default().fuel;
    let (status, runs) = json_of(
        s.call(Method::POST, "/v1/tenants/looper/runs", Some(&key))
            .json(&serde_json::json!({"as_of": "2026-01-01"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{runs}");
    let run = &runs[0];
    // The batch of 20 and three accounts retried alone: four calls, each
    // stopped when it had burnt all its fuel; the other 17 were not run.
    assert_eq!(run["errors"]["fuel-exhausted"], 3, "{run}");
    assert_eq!(run["errors"]["not-run"], 17, "{run}");
    assert_eq!(run["fuel_used"], 4 * fuel, "{run}");
    let after_run = fuel_total(&s);
    assert!(after_run >= 4 * fuel, "metrics show {after_run}");
    // An on-demand score of a looping plugin burns a call's fuel too.
    let (_, page) = json_of(
        s.call(
            Method::GET,
            &format!("/v1/tenants/looper/runs/{}/results?limit=1", run["id"]),
            Some(&key),
        )
        .send()
        .unwrap(),
    );
    let account = page["results"][0]["account"].as_str().unwrap().to_string();
    let (status, score) = json_of(
        s.call(
            Method::POST,
            &format!("/v1/tenants/looper/accounts/{account}/score?as_of=2026-01-01"),
            Some(&key),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{score}");
    assert_eq!(
        score["results"][0]["result"]["error"]["kind"], "fuel-exhausted",
        "{score}"
    );
    assert_eq!(fuel_total(&s) - after_run, fuel);
    s.stop();
}

#[test]
fn a_tenant_gets_only_so_many_on_demand_scores_at_once_and_another_is_served_beside() {
    use crate::served::{Server, json_of};
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let issue = |store: &vitals::store::Store, tenant: &str| {
        vitals::service::keys::issue(store, Some(tenant), Some(vitals::store::Role::Admin), "t")
            .unwrap()
            .key
    };
    let (looper, good) = {
        let store = vitals::store::Store::open(&data.join("store")).unwrap();
        vitals_e2e::install_hostile_tenant(&store, runtime(), "looper", "loop", 20, AS_OF).unwrap();
        vitals::demo::install(&store, runtime(), "good", 20, AS_OF, 7).unwrap();
        let keys = (issue(&store, "looper"), issue(&store, "good"));
        store.flush_all().unwrap();
        keys
    };
    let s = Server::start(&data);
    let score = |tenant: &str, key: &str| {
        let started = std::time::Instant::now();
        let (status, body) = json_of(
            s.call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/accounts/acct-000001/score?as_of=2026-01-01"),
                Some(key),
            )
            .send()
            .unwrap(),
        );
        (status, body, started.elapsed())
    };
    // Warm up: both tenants' plugins loaded by the server.
    assert_eq!(score("good", &good).0, 200);
    let (hostile, beside) = std::thread::scope(|scope| {
        let hostile: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| score("looper", &looper)))
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let beside = score("good", &good);
        let hostile: Vec<_> = hostile.into_iter().map(|h| h.join().unwrap()).collect();
        (hostile, beside)
    });
    let served: Vec<_> = hostile
        .iter()
        .filter(|(status, ..)| *status == 200)
        .collect();
    let refused: Vec<_> = hostile
        .iter()
        .filter(|(status, ..)| *status == 429)
        .collect();
    assert_eq!(served.len() + refused.len(), 16);
    assert!(
        served.len() <= vitals::service::fair::SCORES_PER_TENANT,
        "{} scores of one tenant went at once",
        served.len()
    );
    for (_, body, took) in &refused {
        assert_eq!(body["code"], "busy", "{body}");
        assert!(took.as_secs() < 2, "a refusal took {took:?}");
    }
    for (_, body, _) in &served {
        assert_eq!(
            body["results"][0]["result"]["error"]["kind"], "fuel-exhausted",
            "{body}"
        );
    }
    let (status, body, took) = beside;
    assert_eq!(status, 200, "{body}");
    assert!(took.as_secs() < 3, "the good tenant's score took {took:?}");
    s.stop();
}
