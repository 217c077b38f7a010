//! The Rust peers as child processes of the bench (`vitals-bench peer-worker
//! KIND FILE AS_OF`), so that each has a peak memory of its own and is driven
//! like the Extism and Python peers: a `ready` line, then one JSON answer
//! per command on stdin.
//!
//! - `native ACCOUNTS.json`: weighted-health compiled into the bench;
//! - `component ACCOUNTS.json`: the weighted-health component through the
//!   Vitals runtime, one `Runtime::call` per batch;
//! - `store SNAPSHOTS.csv`: the CSV ingested into a fresh sled store with
//!   weighted-health installed; a pass is a full `run_active` (read the
//!   store, score on every worker, write the results).
//!
//! Commands: `pass N` (N is the batch size, or for `store` the number of
//! workers, 0 meaning one per core; `native` ignores it) answers
//! `{"ns_per_account": ...}`; `read` (store only) times the run's read of
//! the store alone; `check FILE` writes `id,score,band` lines.

use crate::native;
use serde_json::{Value, json};
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Instant;
use vitals::contract::projection::Windows;
use vitals::ingest::{Format, parse};
use vitals::runtime::{
    Account, Limits, Output, Plugin, Runtime, RuntimeConfig, Share, content_hash,
};
use vitals::scoring::{RunSettings, run_active};
use vitals::store::{IngestMode, Store};

const TENANT: &str = "peers";

enum Worker {
    Native(Vec<Account>),
    Component {
        rt: Runtime,
        plugin: Arc<Plugin>,
        accounts: Vec<Account>,
    },
    Store {
        // Boxed: the store handle is much larger than the other variants.
        store: Box<Store>,
        rt: Runtime,
        accounts: usize,
        _dir: tempfile::TempDir,
    },
}

/// Entry point of `vitals-bench peer-worker ...`; never returns normally.
pub fn main(args: &[String]) -> ! {
    let mut out = std::io::stdout().lock();
    let (worker, as_of) = match start(args) {
        Ok(w) => w,
        Err(e) => {
            let _ = writeln!(out, "{}", json!({ "error": e }));
            std::process::exit(2);
        }
    };
    let _ = writeln!(out, "{}", json!({ "ready": true }));
    let _ = out.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "quit" {
            break;
        }
        let reply = answer(&worker, as_of, &line).unwrap_or_else(|e| json!({ "error": e }));
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    // `exit` runs no destructors: the store worker's temporary store goes first.
    drop(worker);
    std::process::exit(0)
}

fn start(args: &[String]) -> Result<(Worker, i32), String> {
    let [kind, file, as_of] = args else {
        return Err("usage: vitals-bench peer-worker native|component|store FILE AS_OF".into());
    };
    let as_of: i32 = as_of
        .parse()
        .map_err(|_| format!("AS_OF {as_of:?} is not a day number"))?;
    let read = || std::fs::read(file).map_err(|e| format!("{file}: {e}"));
    let accounts = || -> Result<Vec<Account>, String> {
        serde_json::from_slice(&read()?).map_err(|e| format!("{file}: {e}"))
    };
    let worker = match kind.as_str() {
        "native" => Worker::Native(accounts()?),
        "component" => {
            let rt = Runtime::new(RuntimeConfig::default()).map_err(|e| e.to_string())?;
            let plugin = rt
                .load(weighted_health_component()?)
                .map_err(|e| e.to_string())?;
            Worker::Component {
                rt,
                plugin,
                accounts: accounts()?,
            }
        }
        "store" => open_store(&read()?)?,
        other => return Err(format!("unknown worker kind {other:?}")),
    };
    Ok((worker, as_of))
}

fn weighted_health_component() -> Result<&'static [u8], String> {
    vitals_reference_pack::component("weighted-health")
        .ok_or_else(|| "the reference pack has no weighted-health".to_string())
}

/// A fresh store holding the CSV's snapshots and weighted-health, active.
fn open_store(csv: &[u8]) -> Result<Worker, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = Store::open(&dir.path().join("store")).map_err(|e| e.to_string())?;
    store
        .create_tenant(TENANT, "Peers")
        .map_err(|e| e.to_string())?;
    let parsed = parse(csv, Format::Csv, None);
    if let Some(e) = parsed.errors.first() {
        return Err(format!("snapshots CSV: {e:?}"));
    }
    store
        .ingest(TENANT, &parsed.rows, vec![], IngestMode::AllOrNothing)
        .map_err(|e| e.to_string())?;
    let accounts = store.account_count(TENANT).map_err(|e| e.to_string())?;
    let rt = Runtime::new(RuntimeConfig::default()).map_err(|e| e.to_string())?;
    let bytes = weighted_health_component()?;
    let plugin = rt.load(bytes).map_err(|e| e.to_string())?;
    let installed = store
        .add_plugin(
            TENANT,
            &content_hash(bytes),
            bytes,
            &plugin.metadata,
            plugin.contract,
        )
        .map_err(|e| e.to_string())?;
    store
        .activate(TENANT, &installed.name, &installed.version)
        .map_err(|e| e.to_string())?;
    Ok(Worker::Store {
        store: Box::new(store),
        rt,
        accounts,
        _dir: dir,
    })
}

fn answer(worker: &Worker, as_of: i32, line: &str) -> Result<Value, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["pass", n] => {
            let n: usize = n
                .parse()
                .map_err(|_| format!("{n:?} is not a whole number"))?;
            let ns = pass(worker, as_of, n)?;
            Ok(json!({ "ns_per_account": ns }))
        }
        ["read"] => {
            let Worker::Store {
                store, accounts, ..
            } = worker
            else {
                return Err("only the store worker reads a store".into());
            };
            let settings = RunSettings::default();
            let started = Instant::now();
            store
                .for_each_chunk_at(
                    TENANT,
                    as_of,
                    settings.history_days,
                    // Every snapshot of the window, as a 0.1 plugin reads.
                    &Windows::all(),
                    settings.chunk,
                    |c| {
                        std::hint::black_box(c);
                        Ok::<_, vitals::store::StoreError>(())
                    },
                )
                .map_err(|e| e.to_string())?;
            Ok(json!({ "ns_per_account": per_account_ns(started, *accounts) }))
        }
        ["check", file] => {
            let lines = check(worker, as_of)?;
            std::fs::write(file, lines).map_err(|e| format!("{file}: {e}"))?;
            Ok(json!({ "written": file }))
        }
        _ => Err(format!(
            "unknown command {line:?} (pass N | check FILE | quit)"
        )),
    }
}

fn per_account_ns(started: Instant, accounts: usize) -> f64 {
    started.elapsed().as_secs_f64() * 1e9 / accounts as f64
}

fn pass(worker: &Worker, as_of: i32, n: usize) -> Result<f64, String> {
    match worker {
        Worker::Native(accounts) => {
            let config = weighted_health::Config::default();
            let started = Instant::now();
            std::hint::black_box(native::score_batch(&config, as_of, accounts));
            Ok(per_account_ns(started, accounts.len()))
        }
        Worker::Component {
            rt,
            plugin,
            accounts,
        } => {
            if n == 0 {
                return Err("batch size 0".into());
            }
            let limits = Limits::default();
            let started = Instant::now();
            for chunk in accounts.chunks(n) {
                let out = rt
                    .call(Share::HOST, plugin, &limits, "{}", as_of, chunk)
                    .map_err(|e| e.to_string())?;
                std::hint::black_box(out.results);
            }
            Ok(per_account_ns(started, accounts.len()))
        }
        Worker::Store {
            store,
            rt,
            accounts,
            ..
        } => {
            let started = Instant::now();
            store_run(store, rt, as_of, n)?;
            Ok(per_account_ns(started, *accounts))
        }
    }
}

fn store_run(store: &Store, rt: &Runtime, as_of: i32, workers: usize) -> Result<u64, String> {
    let mut settings = RunSettings::default();
    settings.options.workers = workers;
    let runs = run_active(
        store,
        rt,
        TENANT,
        as_of,
        Some("weighted-health"),
        settings,
        |_| {},
    )
    .map_err(|e| e.to_string())?;
    Ok(runs[0].id)
}

fn line(id: &str, result: Result<(f64, String), String>) -> String {
    match result {
        Ok((score, band)) => format!("{id},{score:?},{band}\n"),
        Err(e) => format!("{id},error,{}\n", e.replace(['\n', ','], " ")),
    }
}

fn check(worker: &Worker, as_of: i32) -> Result<String, String> {
    let health = |r: Result<Output, String>| match r? {
        Output::Health(h) => Ok((h.score, h.band.to_string())),
        other => Err(format!("not a health output: {other:?}")),
    };
    let mut out = String::new();
    match worker {
        Worker::Native(accounts) => {
            let config = weighted_health::Config::default();
            for a in accounts {
                let r = weighted_health::score_account(&config, as_of, &native::account(a));
                out.push_str(&line(
                    &a.id,
                    r.map(|h| (h.score, h.band.to_string()))
                        .map_err(|e| format!("{e:?}")),
                ));
            }
        }
        Worker::Component {
            rt,
            plugin,
            accounts,
        } => {
            let limits = Limits::default();
            for chunk in accounts.chunks(1000) {
                let call = rt
                    .call(Share::HOST, plugin, &limits, "{}", as_of, chunk)
                    .map_err(|e| e.to_string())?;
                for (a, r) in chunk.iter().zip(call.results) {
                    out.push_str(&line(&a.id, health(r.map_err(|e| e.to_string()))));
                }
            }
        }
        Worker::Store { store, rt, .. } => {
            let run = store_run(store, rt, as_of, 0)?;
            for r in store.results(TENANT, run).map_err(|e| e.to_string())? {
                out.push_str(&line(
                    &r.account_id,
                    health(r.result.map_err(|e| e.to_string())),
                ));
            }
        }
    }
    Ok(out)
}
