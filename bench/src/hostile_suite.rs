//! The `hostile` suite: what the hostile tenants cost the good ones, with
//! the runtime's fair scheduler and without it (the operating system
//! sharing the cores between threads), measured in one run.
//!
//! Four good tenants (the reference pack over generated accounts) run
//! together alone, then beside four hostile tenants (an endless loop, a
//! memory bomb, a panic on every account, a log flood) all started at once;
//! rounds alternate between the two runtimes. In process, no HTTP: the
//! e2e test `load.rs` checks the same over the real server.

use serde_json::json;
use std::time::Instant;
use vitals::runtime::{Runtime, RuntimeConfig};
use vitals::scoring::{RunSettings, run_active};
use vitals::store::Store;

const AS_OF: i32 = 20_454;
const HOSTILE_MODES: [&str; 4] = ["loop", "memory-bomb", "panic", "log-flood"];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs every tenant's active plugins at once; seconds per tenant.
fn run_together(store: &Store, rt: &Runtime, tenants: &[String]) -> Vec<f64> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = tenants
            .iter()
            .map(|t| {
                scope.spawn(move || {
                    let started = Instant::now();
                    run_active(store, rt, t, AS_OF, None, RunSettings::default(), |_| {})
                        .expect("run");
                    started.elapsed().as_secs_f64()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn slowest(times: &[f64]) -> f64 {
    times.iter().copied().fold(0.0, f64::max)
}

/// Prints the table (or JSON) for `good_accounts` per good tenant.
pub fn run(json: bool, good_accounts: usize, rounds: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store")).expect("store");
    let fair = Runtime::new(RuntimeConfig::default()).expect("runtime");
    let unfair = Runtime::new(RuntimeConfig {
        fair_scheduling: false,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let good: Vec<String> = (0..4).map(|i| format!("good-{i}")).collect();
    for (i, t) in good.iter().enumerate() {
        vitals::demo::install(&store, &fair, t, good_accounts, AS_OF, 7 + i as u64)
            .expect("install");
    }
    let hostile_accounts = (good_accounts / 3).max(100);
    let mut hostile = vec![];
    for mode in HOSTILE_MODES {
        let t = format!("hostile-{mode}");
        vitals_e2e::install_hostile_tenant(&store, &fair, &t, mode, hostile_accounts, AS_OF)
            .expect("hostile tenant");
        hostile.push(t);
    }
    let everyone: Vec<String> = good.iter().chain(&hostile).cloned().collect();
    // Warm both runtimes (plugins loaded), then alternate.
    run_together(&store, &fair, &good);
    run_together(&store, &unfair, &good);
    let mut figures = vec![];
    for (name, rt) in [("fair scheduler", &fair), ("threads only", &unfair)] {
        let (mut alone, mut beside, mut all) = (vec![], vec![], vec![]);
        for _ in 0..rounds {
            alone.push(slowest(&run_together(&store, rt, &good)));
            let started = Instant::now();
            let times = run_together(&store, rt, &everyone);
            all.push(started.elapsed().as_secs_f64());
            beside.push(slowest(&times[..good.len()]));
        }
        let (alone, beside, all) = (median(alone), median(beside), median(all));
        figures.push(json!({
            "runtime": name,
            "good_alone_s": alone,
            "good_beside_hostile_s": beside,
            "slowdown": beside / alone,
            "all_eight_s": all,
        }));
    }
    let report = json!({
        "good_tenants": good.len(),
        "good_accounts": good_accounts,
        "hostile_accounts": hostile_accounts,
        "rounds": rounds,
        "figures": figures,
    });
    if json {
        println!("{report:#}");
        return;
    }
    println!(
        "4 good tenants x {good_accounts} accounts (reference pack), 4 hostile x {hostile_accounts} ({}); median of {rounds} rounds",
        HOSTILE_MODES.join(", ")
    );
    println!("| runtime | good alone | good beside hostile | slowdown | all eight done |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for f in &figures {
        println!(
            "| {} | {:.2} s | {:.2} s | {:.2}x | {:.1} s |",
            f["runtime"].as_str().unwrap_or(""),
            f["good_alone_s"].as_f64().unwrap_or(f64::NAN),
            f["good_beside_hostile_s"].as_f64().unwrap_or(f64::NAN),
            f["slowdown"].as_f64().unwrap_or(f64::NAN),
            f["all_eight_s"].as_f64().unwrap_or(f64::NAN),
        );
    }
}
