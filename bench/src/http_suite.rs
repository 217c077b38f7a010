//! The `http` suite: `vitals serve`'s application on loopback over a demo
//! store, 64 concurrent clients. Single-account scoring (closed loop: as
//! fast as it goes; open loop: a fixed 1,000 requests/s, latency measured
//! from each request's scheduled start so queueing is not hidden) and
//! result-page queries. Server and clients share this machine's cores.

use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vitals::runtime::{Runtime, RuntimeConfig};
use vitals::server::{AppState, ServerLimits, app};
use vitals::service::{Service, keys};
use vitals::store::{Role, Store};

const CLIENTS: usize = 64;
const AS_OF: i32 = 20_454;

struct Phase {
    name: &'static str,
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
    /// Each latency's request number (`request`'s `i`: it picks the kind).
    numbers: Vec<usize>,
}

fn percentile_of(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        percentile_of(self.latencies_ms.clone(), p)
    }

    /// The percentile of the requests of each kind of the soak's mix.
    fn mixed_percentiles(&self, p: f64) -> Vec<(&'static str, f64)> {
        MIXED_KINDS
            .iter()
            .map(|(kind, numbers)| {
                let of_kind = self
                    .latencies_ms
                    .iter()
                    .zip(&self.numbers)
                    .filter(|(_, i)| numbers.contains(&(*i % 10)))
                    .map(|(ms, _)| *ms)
                    .collect();
                (*kind, percentile_of(of_kind, p))
            })
            .collect()
    }
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// The kinds of request of the soak's mix, by request number modulo 10.
const MIXED_KINDS: [(&str, &[usize]); 5] = [
    ("score", &[0, 1, 2, 3, 4]),
    ("results page", &[5, 6]),
    ("summary", &[7]),
    ("account", &[8]),
    ("ingest", &[9]),
];

/// One request: a score of a random account, or a page of a run's results.
#[derive(Clone)]
enum Work {
    Score,
    Results {
        run: u64,
    },
    /// The soak's mix: scores, pages, summaries, accounts, small ingests.
    Mixed {
        run: u64,
        admin: Arc<String>,
    },
}

fn request(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    work: &Work,
    i: usize,
    accounts: &[String],
) -> reqwest::RequestBuilder {
    match work {
        Work::Score => http
            .post(format!(
                "{base}/v1/tenants/demo/accounts/{}/score",
                accounts[(i * 7919) % accounts.len()]
            ))
            .bearer_auth(key),
        Work::Results { run } => http
            .get(format!(
                "{base}/v1/tenants/demo/runs/{run}/results?offset={}&limit=100",
                (i * 100) % accounts.len()
            ))
            .bearer_auth(key),
        Work::Mixed { run, admin } => match i % 10 {
            0..=4 => request(http, base, key, &Work::Score, i, accounts),
            5 | 6 => request(http, base, key, &Work::Results { run: *run }, i, accounts),
            7 => http
                .get(format!("{base}/v1/tenants/demo/summary"))
                .bearer_auth(key),
            8 => http
                .get(format!(
                    "{base}/v1/tenants/demo/accounts/{}",
                    accounts[(i * 31) % accounts.len()]
                ))
                .bearer_auth(key),
            _ => http
                .post(format!("{base}/v1/tenants/demo/ingest"))
                .bearer_auth(admin.as_str())
                .header("content-type", "application/x-ndjson")
                .body(format!(
                    "{{\"account_id\":\"soak-{i}\",\"as_of\":\"2026-01-01\",\"seats_purchased\":10,\"seats_active\":{}}}\n",
                    i % 10
                )),
        },
    }
}

async fn closed_loop(
    name: &'static str,
    base: Arc<String>,
    key: Arc<String>,
    work: Work,
    accounts: Arc<Vec<String>>,
    duration: Duration,
) -> Phase {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (http, base, key, work, accounts) = (
            http.clone(),
            base.clone(),
            key.clone(),
            work.clone(),
            accounts.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut numbers, mut errors, mut i) = (Vec::new(), Vec::new(), 0usize, c);
            while started.elapsed() < duration {
                let t = Instant::now();
                // A busy answer (an ingest of the tenant is going: one at a
                // time) is retried, as a client should; the wait counts in
                // the request's latency.
                let answer = loop {
                    let r = request(&http, &base, &key, &work, i, &accounts)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        other => break other,
                    }
                };
                let ok = match answer {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                numbers.push(i);
                errors += usize::from(!ok);
                i += CLIENTS;
            }
            (lat, numbers, errors)
        }));
    }
    let mut phase = Phase {
        name,
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_ms: vec![],
        numbers: vec![],
    };
    for t in tasks {
        let (lat, numbers, errors) = t.await.expect("client task");
        phase.requests += lat.len();
        phase.errors += errors;
        phase.latencies_ms.extend(lat);
        phase.numbers.extend(numbers);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase
}

async fn open_loop(
    name: &'static str,
    base: Arc<String>,
    key: Arc<String>,
    work: Work,
    accounts: Arc<Vec<String>>,
    rate: f64,
    duration: Duration,
) -> Phase {
    let http = reqwest::Client::new();
    let limit = Arc::new(tokio::sync::Semaphore::new(CLIENTS));
    let started = tokio::time::Instant::now();
    let total = (rate * duration.as_secs_f64()) as usize;
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let scheduled = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(scheduled).await;
        let (http, base, key, work, accounts, limit) = (
            http.clone(),
            base.clone(),
            key.clone(),
            work.clone(),
            accounts.clone(),
            limit.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _slot = limit.acquire().await.expect("semaphore");
            let ok = match request(&http, &base, &key, &work, i, &accounts)
                .send()
                .await
            {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            // From the scheduled start: waiting for a client slot counts.
            (scheduled.elapsed().as_secs_f64() * 1000.0, ok, i)
        }));
    }
    let mut phase = Phase {
        name,
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_ms: vec![],
        numbers: vec![],
    };
    for t in tasks {
        let (ms, ok, i) = t.await.expect("request task");
        phase.numbers.push(i);
        phase.requests += 1;
        phase.errors += usize::from(!ok);
        phase.latencies_ms.push(ms);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase
}

/// A served demo store.
struct Served {
    _dir: tempfile::TempDir,
    _server: tokio::runtime::Runtime,
    base: Arc<String>,
    viewer: Arc<String>,
    admin: Arc<String>,
    ids: Arc<Vec<String>>,
    health_run: u64,
}

fn serve_demo(accounts: usize) -> Served {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store")).expect("store");
    let rt = Runtime::new(RuntimeConfig::default()).expect("runtime");
    eprintln!("building a demo tenant of {accounts} accounts ...");
    vitals::demo::install(&store, &rt, "demo", accounts, AS_OF, 42).expect("demo");
    let key = keys::issue(&store, Some("demo"), Some(Role::Viewer), "bench")
        .expect("key")
        .key;
    let admin = keys::issue(&store, Some("demo"), Some(Role::Admin), "bench")
        .expect("key")
        .key;
    let ids: Vec<String> = vitals::demo::generate(accounts, AS_OF, 42)
        .into_iter()
        .map(|a| a.id)
        .collect();
    let health_run = store
        .runs("demo")
        .expect("runs")
        .into_iter()
        .filter(|r| r.plugin == "weighted-health")
        .map(|r| r.id)
        .max()
        .expect("a health run");
    let service = Arc::new(Service::new(store, rt));
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = server
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let base = Arc::new(format!("http://{}", listener.local_addr().expect("addr")));
    let state = AppState {
        service,
        limits: ServerLimits::default(),
    };
    server.spawn(async move { axum::serve(listener, app(state)).await });
    Served {
        _dir: dir,
        _server: server,
        base,
        viewer: Arc::new(key),
        admin: Arc::new(admin),
        ids: Arc::new(ids),
        health_run,
    }
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime")
}

pub fn run(json_out: bool, accounts: usize, seconds: u64) {
    let Served {
        base,
        viewer: key,
        ids,
        health_run,
        ..
    } = &serve_demo(accounts);
    let (base, key, ids, health_run) = (base.clone(), key.clone(), ids.clone(), *health_run);
    let clients = client_runtime();
    let duration = Duration::from_secs(seconds);
    // Warm up: every plugin loaded, connections open.
    clients.block_on(closed_loop(
        "warm-up",
        base.clone(),
        key.clone(),
        Work::Score,
        ids.clone(),
        Duration::from_secs(1),
    ));
    let phases = vec![
        clients.block_on(closed_loop(
            "score one account, 64 clients flat out",
            base.clone(),
            key.clone(),
            Work::Score,
            ids.clone(),
            duration,
        )),
        clients.block_on(open_loop(
            "score one account at 1,000 req/s",
            base.clone(),
            key.clone(),
            Work::Score,
            ids.clone(),
            1000.0,
            duration,
        )),
        clients.block_on(closed_loop(
            "results page (100 accounts), 64 clients flat out",
            base.clone(),
            key.clone(),
            Work::Results { run: health_run },
            ids.clone(),
            duration,
        )),
        clients.block_on(open_loop(
            "results page (100 accounts) at 1,000 req/s",
            base.clone(),
            key.clone(),
            Work::Results { run: health_run },
            ids.clone(),
            1000.0,
            duration,
        )),
    ];
    if json_out {
        let out: Vec<_> = phases
            .iter()
            .map(|p| {
                json!({"phase": p.name, "requests": p.requests, "errors": p.errors,
                    "requests_per_s": p.rate(), "p50_ms": p.percentile(0.5), "p99_ms": p.percentile(0.99)})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"suite": "http", "accounts": accounts, "clients": CLIENTS, "phases": out})
            )
            .expect("json")
        );
    } else {
        println!(
            "http: {accounts} demo accounts (4 active plugins), {CLIENTS} clients on loopback, server and clients on one 2-core machine\n"
        );
        println!(
            "{:<52}{:>10}{:>8}{:>10}{:>10}{:>10}",
            "phase", "requests", "errors", "req/s", "p50 ms", "p99 ms"
        );
        for p in &phases {
            println!(
                "{:<52}{:>10}{:>8}{:>10.0}{:>10.2}{:>10.2}",
                p.name,
                p.requests,
                p.errors,
                p.rate(),
                p.percentile(0.5),
                p.percentile(0.99)
            );
        }
    }
}

/// Resident memory of this process now, MiB (Linux).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `soak`: mixed traffic for a set time (half scores, pages, summaries,
/// account pages, one in ten a small ingest), in one-minute windows:
/// requests, errors, p99 and memory at the start and the end.
pub fn soak(json_out: bool, accounts: usize, seconds: u64) {
    let served = serve_demo(accounts);
    let clients = client_runtime();
    let work = Work::Mixed {
        run: served.health_run,
        admin: served.admin.clone(),
    };
    let window = Duration::from_secs(seconds.clamp(1, 60));
    let windows = seconds.div_ceil(window.as_secs()).max(1);
    let rss_start = rss_mib();
    let mut rows = Vec::new();
    for w in 0..windows {
        let p = clients.block_on(closed_loop(
            "mixed",
            served.base.clone(),
            served.viewer.clone(),
            work.clone(),
            served.ids.clone(),
            window,
        ));
        rows.push((
            w,
            p.requests,
            p.errors,
            p.rate(),
            p.percentile(0.99),
            rss_mib(),
            p.mixed_percentiles(0.99),
        ));
        if !json_out {
            let (w, n, e, r, p99, rss, kinds) = rows.last().expect("row");
            let kinds: Vec<String> = kinds.iter().map(|(k, ms)| format!("{k} {ms:.1}")).collect();
            eprintln!(
                "window {w}: {n} requests, {e} errors, {r:.0} req/s, p99 {p99:.1} ms (by kind: {}), RSS {rss:.0} MiB",
                kinds.join(", ")
            );
        }
    }
    let rss_end = rss_mib();
    let requests: usize = rows.iter().map(|r| r.1).sum();
    let errors: usize = rows.iter().map(|r| r.2).sum();
    let worst_p99 = rows.iter().map(|r| r.4).fold(0.0, f64::max);
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"suite": "soak", "seconds": seconds, "accounts": accounts,
                "requests": requests, "errors": errors, "worst_window_p99_ms": worst_p99,
                "rss_start_mib": rss_start, "rss_end_mib": rss_end,
                "windows": rows.iter().map(|r| json!({"window": r.0, "requests": r.1, "errors": r.2, "requests_per_s": r.3, "p99_ms": r.4, "rss_mib": r.5,
                    "p99_ms_by_kind": r.6.iter().map(|(k, ms)| (k.to_string(), json!(ms))).collect::<serde_json::Map<_, _>>()})).collect::<Vec<_>>()}))
            .expect("json")
        );
    } else {
        println!(
            "soak: {seconds} s of mixed traffic, {CLIENTS} clients, {accounts} demo accounts: {requests} requests, {errors} errors, worst one-minute p99 {worst_p99:.1} ms, RSS {rss_start:.0} MiB at start, {rss_end:.0} MiB at end (server and clients in this process)"
        );
    }
}
