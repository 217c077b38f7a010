//! The runtime suite: `weighted-health` native vs as a component at batch
//! sizes 1, 100 and 1000; instantiation pooled vs on demand; cold compile vs
//! cached load; the overheads of fuel and epoch interruption; then the same
//! figures for plugins in Rust, Python and JavaScript (`languages`).

use crate::native;
use serde_json::json;
use std::time::{Duration, Instant};
use vitals::runtime::{Account, Limits, Plugin, Runtime, RuntimeConfig, Share};

const AS_OF: i32 = 20_454;
const ACCOUNTS: usize = 20_000;
const ROUNDS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn per_account_ns(elapsed: Duration, n: usize) -> f64 {
    elapsed.as_secs_f64() * 1e9 / n as f64
}

fn wasm_pass(rt: &Runtime, plugin: &Plugin, accounts: &[Account], batch: usize) -> f64 {
    let limits = Limits::default();
    let started = Instant::now();
    for chunk in accounts.chunks(batch) {
        let out = rt
            .call(Share::HOST, plugin, &limits, "{}", AS_OF, chunk)
            .expect("call");
        std::hint::black_box(out.results);
    }
    per_account_ns(started.elapsed(), accounts.len())
}

fn native_pass(config: &weighted_health::Config, accounts: &[Account]) -> f64 {
    let started = Instant::now();
    std::hint::black_box(native::score_batch(config, AS_OF, accounts));
    per_account_ns(started.elapsed(), accounts.len())
}

fn runtime_with(config: RuntimeConfig) -> Runtime {
    Runtime::new(config).expect("runtime")
}

fn load(rt: &Runtime) -> std::sync::Arc<Plugin> {
    rt.load(vitals_reference_pack::component("weighted-health").expect("pack"))
        .expect("load")
}

/// Time of a call on an empty batch: store, instance, call, teardown.
fn instantiate_us(rt: &Runtime, plugin: &Plugin) -> f64 {
    let limits = Limits::default();
    let n = 2000;
    let started = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            rt.call(Share::HOST, plugin, &limits, "{}", AS_OF, &[])
                .expect("call"),
        );
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

pub fn run(json: bool) {
    let accounts = vitals::demo::generate(ACCOUNTS, AS_OF, 7);
    let config = weighted_health::Config::default();
    let rt = runtime_with(RuntimeConfig::default());
    let plugin = load(&rt);
    // The same rules built with the frozen 0.1 SDK: contract 0.1's figure
    // in the same run.
    let v01 = rt
        .load(vitals_e2e::WEIGHTED_HEALTH_V01)
        .expect("the 0.1 build");

    // Native and wasm passes (0.2, then 0.1) alternate within each round.
    let batches = [1usize, 100, 1000];
    let mut native_ns = Vec::new();
    let mut wasm_ns: Vec<Vec<f64>> = vec![Vec::new(); batches.len()];
    let mut v01_ns: Vec<Vec<f64>> = vec![Vec::new(); batches.len()];
    for _ in 0..ROUNDS {
        native_ns.push(native_pass(&config, &accounts));
        for (i, b) in batches.iter().enumerate() {
            wasm_ns[i].push(wasm_pass(&rt, &plugin, &accounts, *b));
            v01_ns[i].push(wasm_pass(&rt, &v01, &accounts, *b));
        }
    }
    let native = median(native_ns);
    let wasm: Vec<f64> = wasm_ns.into_iter().map(median).collect();
    let v01_wasm: Vec<f64> = v01_ns.into_iter().map(median).collect();

    // The same accounts without their history window: how much of the cost
    // is copying eight quarters of snapshots across the boundary.
    let current_only: Vec<Account> = accounts
        .iter()
        .map(|a| Account {
            history: vec![],
            ..a.clone()
        })
        .collect();
    let (mut n_short, mut w_short) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        n_short.push(native_pass(&config, &current_only));
        w_short.push(wasm_pass(&rt, &plugin, &current_only, 1000));
    }
    let (native_short, wasm_short) = (median(n_short), median(w_short));
    // The boundary alone: a guest that does almost no work per account
    // (the hostile test guest in its well-behaved mode).
    let minimal = rt.load(vitals_e2e::HOSTILE_HEALTH).expect("test guest");
    let boundary = |accts: &[Account]| {
        let limits = Limits::default();
        let rounds: Vec<f64> = (0..ROUNDS)
            .map(|_| {
                let t = Instant::now();
                for chunk in accts.chunks(1000) {
                    let out = rt
                        .call(
                            Share::HOST,
                            &minimal,
                            &limits,
                            r#"{"mode":"good"}"#,
                            AS_OF,
                            chunk,
                        )
                        .expect("call");
                    std::hint::black_box(out.results);
                }
                per_account_ns(t.elapsed(), accts.len())
            })
            .collect();
        median(rounds)
    };
    let (boundary_full, boundary_short) = (boundary(&accounts), boundary(&current_only));

    // Instantiation, pooled vs on demand, alternating.
    let on_demand_rt = runtime_with(RuntimeConfig {
        pooling: false,
        ..RuntimeConfig::default()
    });
    let on_demand_plugin = load(&on_demand_rt);
    let (mut pooled, mut on_demand) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        pooled.push(instantiate_us(&rt, &plugin));
        on_demand.push(instantiate_us(&on_demand_rt, &on_demand_plugin));
    }
    let (pooled, on_demand) = (median(pooled), median(on_demand));
    let (mut pooled_setup, mut on_demand_setup) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        pooled_setup.push(rt.setup_timing(&plugin, 2000).expect("timing"));
        on_demand_setup.push(
            on_demand_rt
                .setup_timing(&on_demand_plugin, 2000)
                .expect("timing"),
        );
    }
    let inst =
        |v: &[vitals::runtime::SetupTiming]| median(v.iter().map(|t| t.instantiate_us).collect());
    let store_setup = median(pooled_setup.iter().map(|t| t.store_us).collect());
    let (pooled_inst, on_demand_inst) = (inst(&pooled_setup), inst(&on_demand_setup));

    // Cold compile vs cached load (validation and metadata call included in both).
    let cache = tempfile::tempdir().expect("tempdir");
    let cached_config = || RuntimeConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        max_instances: 8,
        ..RuntimeConfig::default()
    };
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for f in std::fs::read_dir(cache.path())
            .expect("cache dir")
            .flatten()
        {
            let _ = std::fs::remove_dir_all(f.path());
        }
        let rt_cold = runtime_with(cached_config());
        let t = Instant::now();
        load(&rt_cold);
        cold.push(t.elapsed().as_secs_f64() * 1e3);
        let rt_warm = runtime_with(cached_config());
        let t = Instant::now();
        load(&rt_warm);
        warm.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (cold, warm) = (median(cold), median(warm));

    // Fuel and epoch overheads at batch 1000, alternating with the full setup.
    let no_fuel_rt = runtime_with(RuntimeConfig {
        fuel: false,
        ..RuntimeConfig::default()
    });
    let no_epoch_rt = runtime_with(RuntimeConfig {
        epochs: false,
        ..RuntimeConfig::default()
    });
    let neither_rt = runtime_with(RuntimeConfig {
        fuel: false,
        epochs: false,
        ..RuntimeConfig::default()
    });
    let (p_nf, p_ne, p_n) = (load(&no_fuel_rt), load(&no_epoch_rt), load(&neither_rt));
    let (mut full, mut nf, mut ne, mut neither) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        full.push(wasm_pass(&rt, &plugin, &accounts, 1000));
        nf.push(wasm_pass(&no_fuel_rt, &p_nf, &accounts, 1000));
        ne.push(wasm_pass(&no_epoch_rt, &p_ne, &accounts, 1000));
        neither.push(wasm_pass(&neither_rt, &p_n, &accounts, 1000));
    }
    let (full, nf, ne, neither) = (median(full), median(nf), median(ne), median(neither));

    let mut report = json!({
        "accounts": ACCOUNTS,
        "rounds": ROUNDS,
        "native_ns_per_account": native,
        "wasm_ns_per_account": {"batch_1": wasm[0], "batch_100": wasm[1], "batch_1000": wasm[2]},
        "wasm_over_native": {"batch_1": wasm[0] / native, "batch_100": wasm[1] / native, "batch_1000": wasm[2] / native},
        "contract": "0.2",
        "contract_0_1": {
            "wasm_ns_per_account": {"batch_1": v01_wasm[0], "batch_100": v01_wasm[1], "batch_1000": v01_wasm[2]},
            "wasm_over_native": {"batch_1": v01_wasm[0] / native, "batch_100": v01_wasm[1] / native, "batch_1000": v01_wasm[2] / native},
        },
        "target_batch_1000_at_most_2x": wasm[2] / native <= 2.0,
        "boundary_only_batch_1000": {"full_ns": boundary_full, "current_snapshot_only_ns": boundary_short},
        "no_history_batch_1000": {"native_ns": native_short, "wasm_ns": wasm_short, "wasm_over_native": wasm_short / native_short},
        "instantiate_us": {"pooled": pooled_inst, "on_demand": on_demand_inst, "on_demand_over_pooled": on_demand_inst / pooled_inst, "store_setup": store_setup},
        "instantiate_and_empty_call_us": {"pooled": pooled, "on_demand": on_demand},
        "load_ms": {"cold_compile": cold, "cached": warm, "cold_over_cached": cold / warm},
        "overhead_at_batch_1000": {
            "ns_per_account_fuel_and_epochs": full,
            "ns_per_account_no_fuel": nf,
            "ns_per_account_no_epochs": ne,
            "ns_per_account_neither": neither,
            "fuel_pct": (full / nf - 1.0) * 100.0,
            "epochs_pct": (full / ne - 1.0) * 100.0,
            "both_pct": (full / neither - 1.0) * 100.0,
        },
    });
    if json {
        report["languages"] = crate::languages::measure(true);
        println!("{report}");
        return;
    }
    println!(
        "vitals-bench runtime: weighted-health over {ACCOUNTS} generated accounts, median of {ROUNDS} alternating rounds, one thread\n"
    );
    println!("{:<34}{:>12}{:>14}", "path", "ns/account", "x native");
    println!(
        "{:<34}{:>12.0}{:>14.2}",
        "native (incl. input conversion)", native, 1.0
    );
    for (b, w) in batches.iter().zip(&wasm) {
        println!(
            "{:<34}{:>12.0}{:>14.2}",
            format!("component 0.2, batch {b}"),
            w,
            w / native
        );
    }
    for (b, w) in batches.iter().zip(&v01_wasm) {
        println!(
            "{:<34}{:>12.0}{:>14.2}",
            format!("component 0.1, batch {b}"),
            w,
            w / native
        );
    }
    println!(
        "{:<34}{:>12.0}{:>14.2}   (native {native_short:.0} ns without history)",
        "component, batch 1000, no history",
        wasm_short,
        wasm_short / native_short
    );
    println!(
        "{:<34}{:>12.0}   (current snapshot only: {boundary_short:.0})",
        "boundary only (guest does nothing)", boundary_full
    );
    println!(
        "\ninstantiate: pooled {pooled_inst:.1} us, on demand {on_demand_inst:.1} us ({:.2}x); store + WASI context {store_setup:.1} us",
        on_demand_inst / pooled_inst
    );
    println!(
        "store, instantiate and an empty call: pooled {pooled:.1} us, on demand {on_demand:.1} us"
    );
    println!(
        "load (validate, compile, metadata): cold {cold:.1} ms, from disk cache {warm:.2} ms ({:.0}x)",
        cold / warm
    );
    println!(
        "batch 1000 overheads: fuel {:+.1} %, epochs {:+.1} %, both {:+.1} % ({full:.0} vs {neither:.0} ns/account)",
        (full / nf - 1.0) * 100.0,
        (full / ne - 1.0) * 100.0,
        (full / neither - 1.0) * 100.0
    );
    crate::languages::measure(false);
}
