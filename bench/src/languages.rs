//! Part of the runtime suite: the same runtime running plugins written in
//! Rust, Python (componentize-py) and JavaScript (QuickJS via componentize-qjs,
//! SpiderMonkey via componentize-js). Per plugin: component size, cold
//! compile and cached load, pooled instantiation, fuel per account, and the
//! cost per account at the runs' batch size with the instance reused (what a
//! run does) and with a fresh instance per batch. The hostile test guests in their well-behaved modes do
//! almost nothing per account: their rows are each language's floor under
//! contract 0.1; `floor-py` and `floor-js` are the floors under 0.2 (every
//! field, metric, label and snapshot sent; nothing read).

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;
use vitals::runtime::{Account, Limits, Plugin, RunOptions, Runtime, RuntimeConfig, Share};

const AS_OF: i32 = 20_454;
/// The runs' default batch size (`RunOptions`): the operator's default fuel
/// must cover a batch of the heaviest plugin.
const BATCH: usize = 500;
/// Accounts per pass: enough for 20 batches of the slowest plugin.
const ACCOUNTS: usize = 20_000;
const ROUNDS: usize = 5;
/// Cold compiles of the large components take seconds: fewer rounds.
const COMPILE_ROUNDS: usize = 3;

struct Subject {
    name: &'static str,
    lang: &'static str,
    bytes: &'static [u8],
    config: &'static str,
}

fn subjects() -> Vec<Subject> {
    let pack = |n| vitals_reference_pack::component(n).expect("reference plugin");
    vec![
        Subject {
            name: "weighted-health",
            lang: "Rust",
            bytes: pack("weighted-health"),
            config: "{}",
        },
        Subject {
            name: "adoption-health",
            lang: "Python",
            bytes: vitals_e2e::ADOPTION_HEALTH_PY,
            config: "{}",
        },
        Subject {
            name: "lifecycle-segments",
            lang: "Rust",
            bytes: pack("lifecycle-segments"),
            config: "{}",
        },
        Subject {
            name: "engagement-segments",
            lang: "JS QuickJS",
            bytes: vitals_e2e::ENGAGEMENT_SEGMENTS_JS,
            config: "{}",
        },
        Subject {
            name: "engagement-segments",
            lang: "JS StarlingMonkey",
            bytes: vitals_e2e::ENGAGEMENT_SEGMENTS_JS_STARLINGMONKEY,
            config: "{}",
        },
        Subject {
            name: "floor: hostile-health",
            lang: "Rust",
            bytes: vitals_e2e::HOSTILE_HEALTH,
            config: r#"{"mode":"good"}"#,
        },
        Subject {
            name: "floor: hostile-py",
            lang: "Python",
            bytes: vitals_e2e::HOSTILE_PY,
            config: "{}",
        },
        Subject {
            name: "floor: hostile-js",
            lang: "JS QuickJS",
            bytes: vitals_e2e::HOSTILE_JS,
            config: "{}",
        },
        // Contract 0.2's floors: the SDKs shipped with the templates,
        // reading everything and doing nothing.
        Subject {
            name: "floor 0.2: floor-py",
            lang: "Python",
            bytes: vitals_e2e::FLOOR_PY,
            config: "{}",
        },
        Subject {
            name: "floor 0.2: floor-js",
            lang: "JS QuickJS",
            bytes: vitals_e2e::FLOOR_JS,
            config: "{}",
        },
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// ns per account as a one-worker run makes them: the
/// instance reused from batch to batch (and replaced when its memory grew
/// past half the limit, as the Rust SDK's bump allocator makes it do).
fn reused_pass(rt: &Runtime, p: &Plugin, config: &str, accounts: &[Account]) -> (f64, u64, f64) {
    let options = RunOptions {
        batch_size: BATCH,
        workers: 1,
    };
    let started = Instant::now();
    let out = rt
        .run(
            Share::HOST,
            p,
            &Limits::default(),
            config,
            AS_OF,
            accounts,
            options,
        )
        .expect("run");
    let ns = started.elapsed().as_secs_f64() * 1e9 / accounts.len() as f64;
    // Per-account errors are results too (adoption-health refuses accounts
    // with more active seats than purchased); a failed instance is not.
    if let Some(Err(e)) = out
        .results
        .iter()
        .find(|r| r.as_ref().is_err_and(|e| e.fails_the_batch()))
    {
        panic!("{}: {e}", p.metadata.name);
    }
    assert_eq!(
        out.retried_batches, 0,
        "{}: a batch failed whole",
        p.metadata.name
    );
    let fuel = out.fuel_used as f64 / accounts.len() as f64;
    (ns, out.instances, fuel)
}

/// ns per account, a fresh instance for every batch.
fn fresh_pass(rt: &Runtime, p: &Plugin, config: &str, accounts: &[Account]) -> f64 {
    let limits = Limits::default();
    let started = Instant::now();
    for chunk in accounts.chunks(BATCH) {
        let out = rt
            .call(Share::HOST, p, &limits, config, AS_OF, chunk)
            .expect("call");
        std::hint::black_box(out.results);
    }
    started.elapsed().as_secs_f64() * 1e9 / accounts.len() as f64
}

/// Milliseconds to load (validate, compile or read the cache, call metadata).
fn load_ms(cache: &std::path::Path, bytes: &[u8]) -> f64 {
    let rt = Runtime::new(RuntimeConfig {
        cache_dir: Some(cache.to_path_buf()),
        max_instances: 4,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let t = Instant::now();
    rt.load(bytes).expect("load");
    t.elapsed().as_secs_f64() * 1e3
}

/// Measures every subject; prints a table unless `json`, returns the figures.
pub fn measure(json: bool) -> Value {
    let accounts = vitals::demo::generate(ACCOUNTS, AS_OF, 7);
    let rt = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let subjects = subjects();
    let plugins: Vec<Arc<Plugin>> = subjects
        .iter()
        .map(|s| rt.load(s.bytes).expect("load"))
        .collect();
    // The same accounts without their eight quarters of history: most of a
    // Python or JavaScript plugin's cost is turning them into its objects.
    let current_only: Vec<Account> = accounts
        .iter()
        .map(|a| Account {
            history: vec![],
            ..a.clone()
        })
        .collect();
    let n = subjects.len();
    let (mut reused, mut fresh, mut short, mut instances, mut fuel) = (
        vec![Vec::new(); n],
        vec![Vec::new(); n],
        vec![Vec::new(); n],
        vec![0; n],
        vec![0.0; n],
    );
    for _ in 0..ROUNDS {
        for (i, (s, p)) in subjects.iter().zip(&plugins).enumerate() {
            let (ns, made, used) = reused_pass(&rt, p, s.config, &accounts);
            reused[i].push(ns);
            (instances[i], fuel[i]) = (made, used);
            fresh[i].push(fresh_pass(&rt, p, s.config, &accounts));
            short[i].push(reused_pass(&rt, p, s.config, &current_only).0);
        }
    }
    let mut rows = Vec::new();
    for (i, (s, p)) in subjects.iter().zip(&plugins).enumerate() {
        let instantiate = median(
            (0..ROUNDS)
                .map(|_| rt.setup_timing(p, 50).expect("timing").instantiate_us)
                .collect(),
        );
        let cache = tempfile::tempdir().expect("tempdir");
        let (mut cold, mut cached) = (Vec::new(), Vec::new());
        for _ in 0..COMPILE_ROUNDS {
            for f in std::fs::read_dir(cache.path()).expect("cache").flatten() {
                let _ = std::fs::remove_dir_all(f.path());
            }
            cold.push(load_ms(cache.path(), s.bytes));
            cached.push(load_ms(cache.path(), s.bytes));
        }
        rows.push(json!({
            "plugin": s.name,
            "language": s.lang,
            "component_mb": s.bytes.len() as f64 / 1e6,
            "footprint": p.footprint,
            "ns_per_account_reused": median(reused[i].clone()),
            "ns_per_account_current_snapshot_only": median(short[i].clone()),
            "instances_per_run": instances[i],
            "fuel_per_account": fuel[i],
            "ns_per_account_fresh_instance_per_batch": median(fresh[i].clone()),
            "instantiate_us_pooled": instantiate,
            "load_ms_cold_compile": median(cold),
            "load_ms_cached": median(cached),
        }));
    }
    if !json {
        println!(
            "\nLanguages: {ACCOUNTS} generated accounts, batch {BATCH}, median of {ROUNDS} alternating rounds ({COMPILE_ROUNDS} for compiles), one thread\n"
        );
        println!(
            "{:<38}{:>6}{:>10}{:>7}{:>12}{:>11}{:>13}{:>12}{:>11}",
            "plugin",
            "MB",
            "ns/acct",
            "inst",
            "fresh/batch",
            "fuel/acct",
            "instantiate",
            "compile",
            "cached"
        );
        for r in &rows {
            let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
            println!(
                "{:<38}{:>6.1}{:>10.0}{:>7.0}{:>12.0}{:>10.0}{:>11.0}{:>10.0} us{:>9.0} ms{:>8.2} ms",
                format!(
                    "{} ({})",
                    r["plugin"].as_str().unwrap_or(""),
                    r["language"].as_str().unwrap_or("")
                ),
                f("component_mb"),
                f("ns_per_account_reused"),
                f("instances_per_run"),
                f("ns_per_account_fresh_instance_per_batch"),
                f("ns_per_account_current_snapshot_only"),
                f("fuel_per_account"),
                f("instantiate_us_pooled"),
                f("load_ms_cold_compile"),
                f("load_ms_cached"),
            );
        }
    }
    if !json {
        println!("\nWhat each needs of a pool slot (read from its modules):\n");
        println!(
            "{:<38}{:>9}{:>16}{:>8}{:>16}",
            "plugin", "memories", "initial memory", "tables", "largest table"
        );
        for (s, p) in subjects.iter().zip(&plugins) {
            if let Some(f) = p.footprint {
                println!(
                    "{:<38}{:>9}{:>12.1} MiB{:>8}{:>16}",
                    format!("{} ({})", s.name, s.lang),
                    f.memories,
                    f.initial_memory_bytes as f64 / f64::from(1 << 20),
                    f.tables,
                    f.initial_table_elements
                );
            }
        }
    }
    Value::Array(rows)
}
