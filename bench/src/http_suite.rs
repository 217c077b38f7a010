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
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return f64::NAN;
        }
        v[((v.len() - 1) as f64 * p).round() as usize]
    }
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// One request: a score of a random account, or a page of a run's results.
#[derive(Clone)]
enum Work {
    Score,
    Results { run: u64 },
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
            let (mut lat, mut errors, mut i) = (Vec::new(), 0usize, c);
            while started.elapsed() < duration {
                let t = Instant::now();
                let ok = match request(&http, &base, &key, &work, i, &accounts)
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
                errors += usize::from(!ok);
                i += CLIENTS;
            }
            (lat, errors)
        }));
    }
    let mut phase = Phase {
        name,
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_ms: vec![],
    };
    for t in tasks {
        let (lat, errors) = t.await.expect("client task");
        phase.requests += lat.len();
        phase.errors += errors;
        phase.latencies_ms.extend(lat);
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
            (scheduled.elapsed().as_secs_f64() * 1000.0, ok)
        }));
    }
    let mut phase = Phase {
        name,
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_ms: vec![],
    };
    for t in tasks {
        let (ms, ok) = t.await.expect("request task");
        phase.requests += 1;
        phase.errors += usize::from(!ok);
        phase.latencies_ms.push(ms);
    }
    phase.seconds = started.elapsed().as_secs_f64();
    phase
}

pub fn run(json_out: bool, accounts: usize, seconds: u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store")).expect("store");
    let rt = Runtime::new(RuntimeConfig::default()).expect("runtime");
    eprintln!("building a demo tenant of {accounts} accounts ...");
    vitals::demo::install(&store, &rt, "demo", accounts, AS_OF, 42).expect("demo");
    let key = keys::issue(&store, Some("demo"), Some(Role::Viewer), "bench")
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
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("client runtime");
    let key = Arc::new(key);
    let ids = Arc::new(ids);
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
