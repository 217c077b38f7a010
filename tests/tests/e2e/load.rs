//! Hostile plugins under load: eight tenants run at once on one server,
//! half of them with hostile health models (an endless loop, a memory bomb,
//! a panic on every account, a log flood). The good tenants' results are
//! exactly those they get without the hostile ones, complete, and their
//! run time stays within 2x of that; every hostile run ends with typed
//! errors; a tenant cannot start a second run while one is going.
//!
//! "Alone" is the four good tenants running together without the hostile
//! four: on a machine of a few cores, eight runs at once cannot each be as
//! fast as one run alone, but the hostile ones must not cost the good ones
//! more than twice their time. The runtime's scheduler (`runtime::sched`)
//! keeps the slowdown low; `vitals-bench hostile` measures it against the
//! operating system's thread sharing alone (BENCHMARKS.md: 1.26x against
//! 2.6x). Timings vary with what else the machine runs (the other tests),
//! so an attempt over 2x is repeated, up to three times.

use crate::served::{Server, json_of};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;
use vitals::runtime::{Runtime, RuntimeConfig};
use vitals::service::keys;
use vitals::store::{Role, Store};

const GOOD_ACCOUNTS: usize = 6_000;
const HOSTILE_ACCOUNTS: usize = 2_000;
const AS_OF: i32 = 20_454; // 2026-01-01
const HOSTILE_MODES: [(&str, &str); 4] = [
    ("loop", "fuel-exhausted"),
    ("memory-bomb", "memory-limit"),
    ("panic", "trap"),
    ("log-flood", "not-run"),
];
/// Load runs allowed when one comes out over 2x: other tests share the
/// machine, and a run of theirs landing in one measurement is not ours.
const ATTEMPTS: usize = 3;

type Tenants = Vec<(String, String)>;

/// Runs the tenant's active plugins at the test's as-of: status and body.
fn post_run(s: &Server, tenant: &str, key: &str) -> (u16, Value) {
    json_of(
        s.call(
            Method::POST,
            &format!("/v1/tenants/{tenant}/runs"),
            Some(key),
        )
        .json(&json!({"as_of": "2026-01-01"}))
        .send()
        .unwrap(),
    )
}

/// Starts a run of the active plugins for each tenant at once; per tenant:
/// the seconds until its response and the runs it made.
fn run_all(s: &Server, tenants: &[(String, String)]) -> Vec<(f64, Value)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = tenants
            .iter()
            .map(|(tenant, key)| {
                scope.spawn(move || {
                    let t = Instant::now();
                    let (status, runs) = post_run(s, tenant, key);
                    assert_eq!(status, 201, "{tenant}: {runs}");
                    (t.elapsed().as_secs_f64(), runs)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Every run of a good tenant complete with every account scored, and
/// every result of those runs, by plugin.
fn results_of(s: &Server, tenant: &str, key: &str, runs: &Value) -> Vec<(String, Value)> {
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 4, "{tenant}: the whole pack ran");
    runs.iter()
        .map(|run| {
            assert_eq!(run["status"]["state"], "complete", "{tenant}: {run}");
            assert_eq!(
                run["ok"], GOOD_ACCOUNTS as u64,
                "{tenant}: every account scored: {run}"
            );
            let (status, page) = json_of(
                s.call(
                    Method::GET,
                    &format!(
                        "/v1/tenants/{tenant}/runs/{}/results?limit=10000",
                        run["id"]
                    ),
                    Some(key),
                )
                .send()
                .unwrap(),
            );
            assert_eq!(status, 200, "{page}");
            let results = page["results"].clone();
            assert_eq!(results.as_array().unwrap().len(), GOOD_ACCOUNTS);
            (run["plugin"].as_str().unwrap().to_string(), results)
        })
        .collect()
}

fn setup(data: &std::path::Path) -> (Tenants, Tenants) {
    let store = Store::open(&data.join("store")).unwrap();
    let rt = Runtime::new(RuntimeConfig::default()).unwrap();
    let mut good = vec![];
    for i in 0..4 {
        let tenant = format!("good-{i}");
        vitals::demo::install(&store, &rt, &tenant, GOOD_ACCOUNTS, AS_OF, 7 + i).unwrap();
        let key = keys::issue(&store, Some(&tenant), Some(Role::Admin), "t").unwrap();
        good.push((tenant, key.key));
    }
    let mut hostile = vec![];
    for (mode, _) in HOSTILE_MODES {
        let tenant = format!("hostile-{mode}");
        vitals_e2e::install_hostile_tenant(&store, &rt, &tenant, mode, HOSTILE_ACCOUNTS, AS_OF)
            .unwrap();
        let key = keys::issue(&store, Some(&tenant), Some(Role::Admin), "t").unwrap();
        hostile.push((tenant, key.key));
    }
    store.flush_all().unwrap();
    (good, hostile)
}

/// The slowest of the good tenants' runs.
fn slowest(timed: &[(f64, Value)]) -> f64 {
    timed.iter().map(|(t, _)| *t).fold(0.0, f64::max)
}

#[test]
fn hostile_tenants_do_not_slow_good_ones_past_twice_or_change_their_results() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (good, hostile) = setup(&data);
    let s = Server::start(&data);
    // Warm up: plugins loaded and compiled by the server.
    run_all(&s, &good);
    let everyone: Tenants = good.iter().chain(&hostile).cloned().collect();
    let mut expected = None;
    let mut ratios = vec![];
    for attempt in 1..=ATTEMPTS {
        let alone = run_all(&s, &good);
        let started = Instant::now();
        let loaded = run_all(&s, &everyone);
        let all_done = started.elapsed().as_secs_f64();
        let expected = expected.get_or_insert_with(|| {
            good.iter()
                .zip(&alone)
                .map(|((t, k), (_, runs))| results_of(&s, t, k, runs))
                .collect::<Vec<_>>()
        });
        for (i, ((tenant, key), (_, runs))) in good.iter().zip(&loaded).enumerate() {
            // The same as-of and the same inputs: the very same results.
            assert!(
                results_of(&s, tenant, key, runs) == expected[i],
                "{tenant}: results changed under load"
            );
        }
        for ((tenant, _), ((mode, kind), (secs, runs))) in
            hostile.iter().zip(HOSTILE_MODES.iter().zip(&loaded[4..]))
        {
            let run = &runs[0];
            eprintln!(
                "{tenant}: {secs:.1} s, ok {}, errors {}",
                run["ok"], run["errors"]
            );
            assert_eq!(run["status"]["state"], "complete", "{tenant}: {run}");
            assert!(
                run["ok"].as_u64().unwrap() < HOSTILE_ACCOUNTS as u64,
                "{mode}: some accounts must fail: {run}"
            );
            assert!(
                run["errors"][kind].as_u64().unwrap_or(0) > 0,
                "{mode}: expected {kind} errors: {run}"
            );
        }
        let (alone_s, loaded_s) = (slowest(&alone), slowest(&loaded[..4]));
        let ratio = loaded_s / alone_s;
        eprintln!(
            "attempt {attempt}: good tenants {alone_s:.2} s alone, {loaded_s:.2} s beside the hostile ones ({ratio:.2}x); all eight done in {all_done:.1} s"
        );
        ratios.push(ratio);
        if ratio <= 2.0 {
            break;
        }
    }
    assert!(
        ratios.iter().any(|r| *r <= 2.0),
        "the good tenants' runs took more than 2x their time alone beside the hostile ones in every attempt: {ratios:.2?}"
    );
    // One run at a time per tenant: a second one is refused while the first goes.
    let (tenant, key) = &hostile[0];
    std::thread::scope(|scope| {
        let first = scope.spawn(|| run_all(&s, &[(tenant.clone(), key.clone())]));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let (status, err) = post_run(&s, tenant, key);
        assert_eq!((status, err["code"].as_str()), (429, Some("busy")), "{err}");
        first.join().unwrap();
    });
    s.stop();
}
