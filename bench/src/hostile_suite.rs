//! The `hostile` suite: what hostile tenants cost the good ones, measured as
//! a real server sees it, over HTTP on 127.0.0.1: runs (`POST .../runs`) and
//! on-demand scores (`POST .../accounts/{id}/score`).
//!
//! Four good tenants, three fast (the Rust reference pack) and one slow (the
//! Python health model `adoption-health`), first alone, then beside four
//! hostile tenants (an endless loop, a memory bomb, a panic on every
//! account, a log flood) started at the same moment. For runs, every tenant
//! starts one run at once; for on-demand scores, each good tenant scores
//! `SCORES` accounts one after the other while each hostile tenant keeps 16
//! scores in flight (the per-tenant limit refuses most with 429; a refused
//! client asks again after 250 ms). The
//! slowdown is the slowest good tenant beside the hostile ones over the
//! slowest alone, the median of `rounds`. The e2e test `load.rs` checks the
//! runs' 2x on the real `vitals serve` process.

use reqwest::blocking::Client;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use vitals::runtime::{Runtime, RuntimeConfig};
use vitals::server::{AppState, ServerLimits, app};
use vitals::service::{Service, keys};
use vitals::store::{Role, Store};

const AS_OF: i32 = 20_454;
const HOSTILE_MODES: [&str; 4] = ["loop", "memory-bomb", "panic", "log-flood"];
/// On-demand scores each good tenant makes per round.
const SCORES: usize = 40;
/// Scores each hostile tenant keeps in flight.
const HOSTILE_IN_FLIGHT: usize = 16;
/// How long a hostile client waits after a 429 before it asks again.
const BUSY_BACKOFF: Duration = Duration::from_millis(250);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn slowest(times: &[f64]) -> f64 {
    times.iter().copied().fold(0.0, f64::max)
}

/// A tenant as the server knows it: id and admin key.
type Tenant = (String, String);

struct Served {
    base: String,
    http: Client,
    _server: tokio::runtime::Runtime,
}

impl Served {
    /// One run of the tenant's active plugins; seconds until the answer.
    fn run(&self, (tenant, key): &Tenant) -> f64 {
        let started = Instant::now();
        let r = self
            .http
            .post(format!("{}/v1/tenants/{tenant}/runs", self.base))
            .bearer_auth(key)
            .json(&json!({"as_of": "2026-01-01"}))
            .send()
            .expect("run request");
        assert_eq!(r.status().as_u16(), 201, "{tenant}: {:?}", r.text());
        started.elapsed().as_secs_f64()
    }

    /// One on-demand score of account `i`; its status.
    fn score(&self, (tenant, key): &Tenant, i: usize) -> u16 {
        self.http
            .post(format!(
                "{}/v1/tenants/{tenant}/accounts/acct-{:06}/score?as_of=2026-01-01",
                self.base,
                i % 100
            ))
            .bearer_auth(key)
            .send()
            .map_or(0, |r| r.status().as_u16())
    }
}

/// Every tenant's run at once; seconds per tenant.
fn runs_together(s: &Served, tenants: &[Tenant]) -> Vec<f64> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = tenants
            .iter()
            .map(|t| scope.spawn(move || s.run(t)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Each good tenant's `SCORES` on-demand scores, one after the other, all
/// good tenants at once, beside `hostile` tenants that keep scores in
/// flight until the good ones are done; seconds per good tenant, and the
/// hostile scores answered 200 and 429.
fn scores_together(s: &Served, good: &[Tenant], hostile: &[Tenant]) -> (Vec<f64>, u64, u64) {
    let done = AtomicBool::new(false);
    let (served, refused) = (AtomicU64::new(0), AtomicU64::new(0));
    let times = std::thread::scope(|scope| {
        for t in hostile {
            for j in 0..HOSTILE_IN_FLIGHT {
                let (done, served, refused) = (&done, &served, &refused);
                scope.spawn(move || {
                    let mut i = j;
                    while !done.load(Ordering::Relaxed) {
                        if s.score(t, i) == 200 {
                            served.fetch_add(1, Ordering::Relaxed);
                        } else {
                            // A client told `busy` retries after a pause;
                            // one that floods regardless is the HTTP
                            // layer's to limit, not the scheduler's.
                            refused.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(BUSY_BACKOFF);
                        }
                        i += HOSTILE_IN_FLIGHT;
                    }
                });
            }
        }
        let handles: Vec<_> = good
            .iter()
            .map(|t| {
                scope.spawn(move || {
                    let started = Instant::now();
                    for i in 0..SCORES {
                        assert_eq!(s.score(t, i), 200, "{}: score {i}", t.0);
                    }
                    started.elapsed().as_secs_f64()
                })
            })
            .collect();
        let times: Vec<f64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        done.store(true, Ordering::Relaxed);
        times
    });
    (times, served.into_inner(), refused.into_inner())
}

/// Adds and activates a component for `tenant` with `config`.
fn install_plugin(store: &Store, rt: &Runtime, tenant: &str, bytes: &[u8], config: &str) {
    let plugin = rt.load(bytes).expect("plugin loads");
    let p = store
        .add_plugin(
            tenant,
            &plugin.hash,
            bytes,
            &plugin.metadata,
            plugin.contract,
        )
        .expect("add plugin");
    store
        .set_plugin_config(tenant, &p.name, config)
        .expect("config");
    store
        .activate(tenant, &p.name, &p.version)
        .expect("activate");
}

/// The store with the tenants, served in process on 127.0.0.1:0.
fn setup(dir: &std::path::Path, good_accounts: usize) -> (Served, Vec<Tenant>, Vec<Tenant>) {
    let store = Store::open(&dir.join("store")).expect("store");
    let rt = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let key = |tenant: &str| {
        keys::issue(&store, Some(tenant), Some(Role::Admin), "bench")
            .expect("key")
            .key
    };
    let mut good = vec![];
    for i in 0..3 {
        let t = format!("good-rust-{i}");
        vitals::demo::install(&store, &rt, &t, good_accounts, AS_OF, 7 + i).expect("install");
        good.push((t.clone(), key(&t)));
    }
    // The slow good tenant: the Python health model alone, a sixth of the
    // accounts (it is about 13x slower an account than Rust).
    let python = "good-python".to_string();
    let rows = vitals::demo::rows(&vitals::demo::generate(good_accounts / 6, AS_OF, 11));
    store.create_tenant(&python, &python).expect("tenant");
    store
        .ingest(
            &python,
            &rows,
            vec![],
            vitals::store::IngestMode::AllOrNothing,
        )
        .expect("ingest");
    install_plugin(&store, &rt, &python, vitals_e2e::ADOPTION_HEALTH_PY, "{}");
    good.push((python.clone(), key(&python)));
    let hostile_accounts = (good_accounts / 3).max(100);
    let mut hostile = vec![];
    for mode in HOSTILE_MODES {
        let t = format!("hostile-{mode}");
        vitals_e2e::install_hostile_tenant(&store, &rt, &t, mode, hostile_accounts, AS_OF)
            .expect("hostile tenant");
        hostile.push((t.clone(), key(&t)));
    }
    store.flush_all().expect("flush");
    let service = Arc::new(Service::new(store, rt));
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = server
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = AppState {
        service,
        limits: ServerLimits::default(),
    };
    server.spawn(async move { axum::serve(listener, app(state)).await });
    let http = Client::builder().timeout(None).build().expect("client");
    (
        Served {
            base,
            http,
            _server: server,
        },
        good,
        hostile,
    )
}

/// Prints the table (or JSON) for `good_accounts` per fast good tenant.
pub fn run(json: bool, good_accounts: usize, rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (s, good, hostile) = setup(dir.path(), good_accounts);
    let everyone: Vec<Tenant> = good.iter().chain(&hostile).cloned().collect();
    // Warm up: plugins loaded by the server.
    runs_together(&s, &good);
    scores_together(&s, &good, &[]);
    let (mut runs_alone, mut runs_beside) = (vec![], vec![]);
    let (mut scores_alone, mut scores_beside) = (vec![], vec![]);
    let (mut per_tenant_alone, mut per_tenant_beside) = (vec![vec![]; 4], vec![vec![]; 4]);
    let (mut hostile_served, mut hostile_refused) = (0, 0);
    for _ in 0..rounds {
        let alone = runs_together(&s, &good);
        let beside = runs_together(&s, &everyone);
        for i in 0..good.len() {
            per_tenant_alone[i].push(alone[i]);
            per_tenant_beside[i].push(beside[i]);
        }
        runs_alone.push(slowest(&alone));
        runs_beside.push(slowest(&beside[..good.len()]));
        scores_alone.push(slowest(&scores_together(&s, &good, &[]).0));
        let (times, served, refused) = scores_together(&s, &good, &hostile);
        scores_beside.push(slowest(&times));
        hostile_served += served;
        hostile_refused += refused;
    }
    let tenants: Vec<_> = good
        .iter()
        .enumerate()
        .map(|(i, (t, _))| {
            let (a, b) = (
                median(per_tenant_alone[i].clone()),
                median(per_tenant_beside[i].clone()),
            );
            json!({"tenant": t, "run_alone_s": a, "run_beside_s": b, "slowdown": b / a})
        })
        .collect();
    let (ra, rb) = (median(runs_alone), median(runs_beside));
    let (sa, sb) = (median(scores_alone), median(scores_beside));
    let report = json!({
        "good_tenants": good.len(),
        "good_accounts": good_accounts,
        "python_accounts": good_accounts / 6,
        "hostile_accounts": (good_accounts / 3).max(100),
        "rounds": rounds,
        "runs": {"good_alone_s": ra, "good_beside_hostile_s": rb, "slowdown": rb / ra},
        "scores": {
            "per_good_tenant": SCORES,
            "good_alone_s": sa,
            "good_beside_hostile_s": sb,
            "slowdown": sb / sa,
            "hostile_served": hostile_served,
            "hostile_refused_429": hostile_refused,
        },
        "run_per_tenant": tenants,
    });
    if json {
        println!("{report:#}");
        return;
    }
    println!(
        "over HTTP: 3 good Rust tenants x {good_accounts} accounts (reference pack), 1 good Python tenant x {} (adoption-health), 4 hostile x {} ({}); median of {rounds} rounds",
        good_accounts / 6,
        (good_accounts / 3).max(100),
        HOSTILE_MODES.join(", ")
    );
    println!("| work | good alone | good beside hostile | slowdown |");
    println!("| --- | ---: | ---: | ---: |");
    println!(
        "| runs (slowest good tenant) | {ra:.2} s | {rb:.2} s | {:.2}x |",
        rb / ra
    );
    println!(
        "| {SCORES} on-demand scores per good tenant (slowest) | {sa:.2} s | {sb:.2} s | {:.2}x |",
        sb / sa
    );
    for t in &report["run_per_tenant"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        println!(
            "| run of {} | {:.2} s | {:.2} s | {:.2}x |",
            t["tenant"].as_str().unwrap_or(""),
            t["run_alone_s"].as_f64().unwrap_or(f64::NAN),
            t["run_beside_s"].as_f64().unwrap_or(f64::NAN),
            t["slowdown"].as_f64().unwrap_or(f64::NAN),
        );
    }
    println!(
        "hostile on-demand scores: {hostile_served} answered, {hostile_refused} refused with 429 busy"
    );
}
