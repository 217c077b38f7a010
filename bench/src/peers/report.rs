//! What the peers suite measured, as a table or as JSON: each path's median
//! time per account, its ratio to the Vitals path it is paired with (the
//! median of the per-round ratios, so drift of the machine cancels out),
//! each process's peak memory and the machine.

use super::Options;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One timed path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Measure {
    Native,
    VitalsBatch1,
    VitalsBatch1000,
    VitalsStore1,
    VitalsStoreAll,
    VitalsStoreRead,
    ExtismJson1,
    ExtismJson1000,
    ExtismMsgpack1,
    ExtismMsgpack1000,
    PythonCompute,
    PythonEndToEnd,
    PythonRead,
    PythonWrite,
}

use Measure::*;

/// Rows in print order.
const ROWS: [Measure; 14] = [
    Native,
    VitalsBatch1,
    VitalsBatch1000,
    VitalsStore1,
    VitalsStoreAll,
    VitalsStoreRead,
    ExtismJson1,
    ExtismJson1000,
    ExtismMsgpack1,
    ExtismMsgpack1000,
    PythonCompute,
    PythonRead,
    PythonWrite,
    PythonEndToEnd,
];

impl Measure {
    fn key(self) -> &'static str {
        match self {
            Native => "native",
            VitalsBatch1 => "vitals_batch_1",
            VitalsBatch1000 => "vitals_batch_1000",
            VitalsStore1 => "vitals_store_run_1_worker",
            VitalsStoreAll => "vitals_store_run_all_cores",
            VitalsStoreRead => "vitals_store_read",
            ExtismJson1 => "extism_json_batch_1",
            ExtismJson1000 => "extism_json_batch_1000",
            ExtismMsgpack1 => "extism_msgpack_batch_1",
            ExtismMsgpack1000 => "extism_msgpack_batch_1000",
            PythonCompute => "python_compute",
            PythonRead => "python_read_csv",
            PythonWrite => "python_write_csv",
            PythonEndToEnd => "python_read_score_write",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Native => "native Rust, in the bench",
            VitalsBatch1 => "Vitals component, batch 1",
            VitalsBatch1000 => "Vitals component, batch 1000",
            VitalsStore1 => "Vitals run over the store, 1 worker",
            VitalsStoreAll => "Vitals run over the store, all cores",
            VitalsStoreRead => "Vitals run, reading the store",
            ExtismJson1 => "Extism, JSON, batch 1",
            ExtismJson1000 => "Extism, JSON, batch 1000",
            ExtismMsgpack1 => "Extism, MessagePack, batch 1",
            ExtismMsgpack1000 => "Extism, MessagePack, batch 1000",
            PythonCompute => "Python pandas, scoring only",
            PythonRead => "Python pandas, reading the CSV",
            PythonWrite => "Python pandas, writing the CSV",
            PythonEndToEnd => "Python pandas, read + score + write",
        }
    }

    /// The Vitals path this one is compared with; `None` for the Vitals
    /// paths themselves and for the parts of the Python run.
    fn pair(self) -> Option<Measure> {
        match self {
            ExtismJson1 | ExtismMsgpack1 => Some(VitalsBatch1),
            Native | ExtismJson1000 | ExtismMsgpack1000 | PythonCompute => Some(VitalsBatch1000),
            PythonEndToEnd => Some(VitalsStore1),
            VitalsBatch1 | VitalsBatch1000 | VitalsStore1 | VitalsStoreAll | VitalsStoreRead
            | PythonRead | PythonWrite => None,
        }
    }

    fn process(self) -> &'static str {
        match self {
            Native => "native",
            VitalsBatch1 | VitalsBatch1000 => "vitals_component",
            VitalsStore1 | VitalsStoreAll | VitalsStoreRead => "vitals_store",
            ExtismJson1 | ExtismJson1000 | ExtismMsgpack1 | ExtismMsgpack1000 => "extism_runner",
            PythonCompute | PythonRead | PythonWrite | PythonEndToEnd => "python",
        }
    }
}

/// Every round's figure of every path, ns per account.
#[derive(Default)]
pub struct Rounds(BTreeMap<Measure, Vec<f64>>);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl Rounds {
    pub fn add(&mut self, m: Measure, ns: f64) {
        self.0.entry(m).or_default().push(ns);
    }

    fn median(&self, m: Measure) -> f64 {
        median(self.0[&m].clone())
    }

    /// Median over rounds of `m / pair`, each ratio taken within one round.
    fn ratio(&self, m: Measure, pair: Measure) -> f64 {
        median(
            self.0[&m]
                .iter()
                .zip(&self.0[&pair])
                .map(|(a, b)| a / b)
                .collect(),
        )
    }
}

/// Peak resident memory of each peer process during the rounds, MiB.
pub struct Peaks {
    pub native: f64,
    pub component: f64,
    pub store: f64,
    pub extism: f64,
    pub python: f64,
}

/// One-off costs, not part of the per-account figures.
pub struct Startup {
    pub extism_load_ms: f64,
    pub python_s: f64,
    pub pandas: String,
    pub numpy: String,
}

/// The machine the figures come from.
pub fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let mem_gib = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0 / 1024.0);
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let runner_lock = read(&format!(
        "{}/peers/extism-runner/Cargo.lock",
        env!("CARGO_MANIFEST_DIR")
    ));
    json!({
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "cpu": cpu,
        "memory_gib": mem_gib,
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
        "rustc": rustc,
        "extism": locked_version(&runner_lock, "extism"),
        "extism_wasmtime": locked_version(&runner_lock, "wasmtime"),
    })
}

/// The version of `package` in a Cargo.lock.
fn locked_version(lock: &str, package: &str) -> String {
    let name = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == name
            && let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = "))
        {
            return v.trim_matches('"').to_string();
        }
    }
    "?".into()
}

pub fn print(
    options: &Options,
    rounds: &Rounds,
    peaks: &Peaks,
    startup: &Startup,
    agreement: &[(&str, f64)],
    machine: &Value,
) {
    let peak = |process: &str| match process {
        "native" => peaks.native,
        "vitals_component" => peaks.component,
        "vitals_store" => peaks.store,
        "extism_runner" => peaks.extism,
        _ => peaks.python,
    };
    let rows: Vec<Value> = ROWS
        .iter()
        .map(|&m| {
            json!({
                "key": m.key(),
                "path": m.label(),
                "ns_per_account": rounds.median(m),
                "compared_with": m.pair().map(Measure::key),
                "ratio_to_vitals": m.pair().map(|p| rounds.ratio(m, p)),
                "process": m.process(),
                "peak_rss_mib": peak(m.process()),
            })
        })
        .collect();
    let vitals_over_native = rounds.ratio(VitalsBatch1000, Native);
    let targets = json!({
        "vitals_faster_than_extism_json_batch_1": rounds.ratio(ExtismJson1, VitalsBatch1) > 1.0,
        "vitals_faster_than_extism_json_batch_1000": rounds.ratio(ExtismJson1000, VitalsBatch1000) > 1.0,
        "vitals_faster_than_extism_msgpack_batch_1": rounds.ratio(ExtismMsgpack1, VitalsBatch1) > 1.0,
        "vitals_faster_than_extism_msgpack_batch_1000": rounds.ratio(ExtismMsgpack1000, VitalsBatch1000) > 1.0,
        // pandas' vectorised scoring alone (no CSV read or write) against
        // the component at batch 1000, per account (issue #17).
        "vitals_faster_than_pandas_scoring_batch_1000": rounds.ratio(PythonCompute, VitalsBatch1000) > 1.0,
        "vitals_batch_1000_over_native": vitals_over_native,
        "vitals_within_2x_native_at_batch_1000": vitals_over_native <= 2.0,
    });
    let agreement_json: BTreeMap<&str, f64> = agreement.iter().copied().collect();
    let report = json!({
        "suite": "peers",
        "accounts": options.accounts,
        "rounds": options.rounds,
        "machine": machine,
        "rows": rows,
        "targets": targets,
        "startup": {
            "extism_plugin_load_ms": startup.extism_load_ms,
            "python_start_and_import_s": startup.python_s,
            "pandas": startup.pandas,
            "numpy": startup.numpy,
        },
        "scores_max_abs_diff_vs_native": agreement_json,
    });
    if options.json {
        println!("{report}");
        return;
    }
    println!(
        "vitals-bench peers: weighted-health over {} generated accounts, median of {} alternating rounds",
        options.accounts, options.rounds
    );
    println!(
        "machine: {} cores, {}, {:.0} GiB, {}; extism {} (wasmtime {}), pandas {}, numpy {}\n",
        machine["cores"],
        machine["cpu"].as_str().unwrap_or("?"),
        machine["memory_gib"].as_f64().unwrap_or(f64::NAN),
        machine["rustc"].as_str().unwrap_or("?"),
        machine["extism"].as_str().unwrap_or("?"),
        machine["extism_wasmtime"].as_str().unwrap_or("?"),
        startup.pandas,
        startup.numpy,
    );
    println!(
        "{:<40}{:>12}{:>10}   {:<38}{:>9}",
        "path", "ns/account", "x Vitals", "compared with", "peak MiB"
    );
    for &m in &ROWS {
        let (ratio, pair) = match m.pair() {
            Some(p) => (format!("{:.2}", rounds.ratio(m, p)), p.label()),
            None => ("-".to_string(), ""),
        };
        println!(
            "{:<40}{:>12.0}{:>10}   {:<38}{:>9.0}",
            m.label(),
            rounds.median(m),
            ratio,
            pair,
            peak(m.process()),
        );
    }
    println!(
        "\nx Vitals: the path's time over the Vitals path beside it, per round, median (above 1: Vitals is faster)."
    );
    println!(
        "Vitals batch 1000 over native: {vitals_over_native:.2}x (target: within 2x). Peak MiB: the peer process's peak resident memory over the rounds (its own copy of the accounts included)."
    );
    println!(
        "one-off: Extism plugin load (compile) {:.1} ms; Python start and pandas import {:.2} s",
        startup.extism_load_ms, startup.python_s
    );
    let worst = agreement.iter().map(|a| a.1).fold(0.0, f64::max);
    println!(
        "scores checked before timing: every peer agrees with native on every account (largest difference {worst:.1e})"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_version_is_read_from_its_package_entry() {
        let lock = "[[package]]\nname = \"extism-manifest\"\nversion = \"1.41.0\"\n\n[[package]]\nname = \"extism\"\nversion = \"1.30.0\"\n";
        assert_eq!(locked_version(lock, "extism"), "1.30.0");
        assert_eq!(locked_version(lock, "wasmtime"), "?");
    }

    #[test]
    fn ratios_are_taken_within_each_round() {
        let mut r = Rounds::default();
        // The machine slows down by 2x in the second round: the ratio stays 2.
        for (peer, vitals) in [(2.0, 1.0), (4.0, 2.0), (6.0, 3.0)] {
            r.add(ExtismJson1000, peer);
            r.add(VitalsBatch1000, vitals);
        }
        assert_eq!(r.ratio(ExtismJson1000, VitalsBatch1000), 2.0);
        assert_eq!(r.median(VitalsBatch1000), 2.0);
    }
}
