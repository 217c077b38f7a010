//! Hostile plugins under load: eight tenants run at once on one server, half
//! of them with hostile health models (an endless loop, a memory bomb, a
//! panic on every account, a log flood). The good tenants' results are
//! exactly those of running without the hostile ones, complete, and their
//! run time stays within 2x of that; a tenant cannot start a second run
//! while one is going.

use crate::served::{Server, json_of};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;
use vitals::runtime::{Runtime, RuntimeConfig, content_hash};
use vitals::service::keys;
use vitals::store::{Role, Store};

const ACCOUNTS: usize = 3_000;
const AS_OF: i32 = 20_454;
const HOSTILE_MODES: [&str; 4] = ["loop", "memory-bomb", "panic", "log-flood"];

/// Runs the active plugins of each tenant at once; per tenant: seconds and runs.
fn run_all(s: &Server, tenants: &[(String, String)]) -> Vec<(f64, Value)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = tenants
            .iter()
            .map(|(tenant, key)| {
                scope.spawn(move || {
                    let t = Instant::now();
                    let (status, runs) = json_of(
                        s.call(
                            Method::POST,
                            &format!("/v1/tenants/{tenant}/runs"),
                            Some(key),
                        )
                        .json(&json!({"as_of": "2026-01-01"}))
                        .send()
                        .unwrap(),
                    );
                    assert_eq!(status, 201, "{tenant}: {runs}");
                    (t.elapsed().as_secs_f64(), runs)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn health_results(s: &Server, tenant: &str, key: &str, runs: &Value) -> Value {
    let run = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["plugin"] == "weighted-health")
        .unwrap();
    assert_eq!(run["status"]["state"], "complete", "{tenant}: {run}");
    assert_eq!(run["ok"], ACCOUNTS as u64, "{tenant}: every account scored");
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
    assert_eq!(status, 200);
    page["results"].clone()
}

#[test]
fn hostile_tenants_do_not_slow_good_ones_past_twice_or_change_their_results() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut good = vec![];
    let mut hostile = vec![];
    {
        let store = Store::open(&data.join("store")).unwrap();
        let rt = Runtime::new(RuntimeConfig::default()).unwrap();
        for i in 0..4 {
            let tenant = format!("good-{i}");
            vitals::demo::install(&store, &rt, &tenant, ACCOUNTS, AS_OF, 7).unwrap();
            let key = keys::issue(&store, Some(&tenant), Some(Role::Admin), "t").unwrap();
            good.push((tenant, key.key));
        }
        let bytes = vitals_e2e::HOSTILE_HEALTH;
        let plugin = rt.load(bytes).unwrap();
        let rows = vitals::demo::rows(&vitals::demo::generate(ACCOUNTS, AS_OF, 7));
        for mode in HOSTILE_MODES {
            let tenant = format!("hostile-{mode}");
            store.create_tenant(&tenant, &tenant).unwrap();
            store
                .ingest(
                    &tenant,
                    &rows,
                    vec![],
                    vitals::store::IngestMode::AllOrNothing,
                )
                .unwrap();
            let p = store
                .add_plugin(&tenant, &content_hash(bytes), bytes, &plugin.metadata)
                .unwrap();
            store
                .set_plugin_config(&tenant, &p.name, &format!(r#"{{"mode": "{mode}"}}"#))
                .unwrap();
            store.activate(&tenant, &p.name, &p.version).unwrap();
            let key = keys::issue(&store, Some(&tenant), Some(Role::Admin), "t").unwrap();
            hostile.push((tenant, key.key));
        }
    }
    let s = Server::start(&data);
    // Alone: the four good tenants at once (and once before, to warm up).
    run_all(&s, &good);
    let alone = run_all(&s, &good);
    let expected: Vec<Value> = good
        .iter()
        .zip(&alone)
        .map(|((t, k), (_, runs))| health_results(&s, t, k, runs))
        .collect();
    // With the hostile four running at the same time.
    let everyone: Vec<(String, String)> = good.iter().chain(&hostile).cloned().collect();
    let started = Instant::now();
    let loaded = run_all(&s, &everyone);
    let all_done = started.elapsed().as_secs_f64();
    let slowest_alone = alone.iter().map(|(t, _)| *t).fold(0.0, f64::max);
    for (i, ((tenant, key), (secs, runs))) in good.iter().zip(&loaded).enumerate() {
        assert_eq!(
            health_results(&s, tenant, key, runs),
            expected[i],
            "{tenant}: results changed under load"
        );
        eprintln!("{tenant}: {secs:.2} s under load, slowest alone {slowest_alone:.2} s");
        assert!(
            *secs <= 2.0 * slowest_alone,
            "{tenant}: {secs:.2} s under load vs {slowest_alone:.2} s alone"
        );
    }
    for ((tenant, _), (secs, runs)) in hostile.iter().zip(&loaded[4..]) {
        let errors = &runs[0]["errors"];
        eprintln!("{tenant}: {secs:.2} s, errors {errors}");
        assert!(
            runs[0]["ok"].as_u64().unwrap() < ACCOUNTS as u64,
            "{tenant}: {runs}"
        );
    }
    eprintln!("all eight done in {all_done:.2} s");
    // One run at a time per tenant: a second one is refused while the first goes.
    let (tenant, key) = &hostile[0];
    std::thread::scope(|scope| {
        let first = scope.spawn(|| run_all(&s, &[(tenant.clone(), key.clone())]));
        std::thread::sleep(std::time::Duration::from_millis(300));
        let (status, err) = json_of(
            s.call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/runs"),
                Some(key),
            )
            .json(&json!({"as_of": "2026-01-01"}))
            .send()
            .unwrap(),
        );
        assert_eq!((status, err["code"].as_str()), (429, Some("busy")), "{err}");
        first.join().unwrap();
    });
    s.stop();
}
