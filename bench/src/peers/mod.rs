//! The peers suite: the same `weighted-health` scorecard over the same
//! accounts in what a user would pick instead of Vitals, measured in one
//! run with the pairs alternating round by round:
//!
//! - native Rust compiled into the bench (the physical limit);
//! - Vitals: the component through the runtime at batch sizes 1 and 1000,
//!   and full runs over a sled store (read, score, write the results);
//! - Extism: the same scoring code as an Extism plugin, called through the
//!   `extism` host crate with JSON (its usual encoding) and MessagePack, at
//!   batch sizes 1 and 1000;
//! - Python: a vectorised pandas/numpy script reading the snapshots from a
//!   CSV and writing the scores back.
//!
//! Every peer is a child process (see [`child`]), built from source on first
//! use (see [`setup`]); each one's scores are checked against the native
//! scores before anything is timed (see [`check`]).

mod check;
mod child;
mod data;
mod report;
pub mod serve;
mod setup;

use child::Peer;
use report::{Measure, Rounds};
use std::path::Path;
use std::process::Command;

const AS_OF: i32 = 20_454;
const SEED: u64 = 7;

/// Suite options: `--accounts=N` (20,000), `--rounds=N` (7).
pub struct Options {
    pub json: bool,
    pub accounts: usize,
    pub rounds: usize,
}

/// Runs the suite; failures stop it with a message.
pub fn run(options: &Options) {
    if let Err(e) = suite(options) {
        eprintln!("vitals-bench peers: {e}");
        std::process::exit(1);
    }
}

struct Peers {
    native: Peer,
    component: Peer,
    store: Peer,
    extism: Peer,
    python: Peer,
}

fn worker(kind: &str, file: &Path) -> Result<Command, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.arg("peer-worker")
        .arg(kind)
        .arg(file)
        .arg(AS_OF.to_string());
    Ok(cmd)
}

fn suite(options: &Options) -> Result<(), String> {
    let accounts = vitals::demo::generate(options.accounts, AS_OF, SEED);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (json_file, csv_file) = (
        dir.path().join("accounts.json"),
        dir.path().join("snapshots.csv"),
    );
    data::write_json(&json_file, &accounts)?;
    data::write_csv(&csv_file, &accounts)?;
    let extism = setup::extism()?;
    let python = setup::python_venv()?;

    eprintln!("peers: starting the peers and checking their scores");
    let mut extism_cmd = Command::new(&extism.runner);
    extism_cmd
        .arg(&extism.plugin)
        .arg(&json_file)
        .arg(AS_OF.to_string());
    let mut python_cmd = Command::new(&python);
    python_cmd
        .arg(setup::sources().join("python").join("score.py"))
        .arg("--serve");
    let mut peers = Peers {
        native: Peer::spawn("native", worker("native", &json_file)?)?,
        component: Peer::spawn("vitals component", worker("component", &json_file)?)?,
        store: Peer::spawn("vitals store", worker("store", &csv_file)?)?,
        extism: Peer::spawn("extism", extism_cmd)?,
        python: Peer::spawn("python", python_cmd)?,
    };
    let agreement = check_all(&mut peers, &accounts, dir.path(), &csv_file)?;
    for p in [
        &peers.native,
        &peers.component,
        &peers.store,
        &peers.extism,
        &peers.python,
    ] {
        p.reset_peak()?;
    }

    let python_out = dir.path().join("python-scores.csv");
    let python_cmd = format!(
        "score {} {} {AS_OF}",
        csv_file.display(),
        python_out.display()
    );
    let mut rounds = Rounds::default();
    for round in 0..options.rounds {
        eprintln!("peers: round {} of {}", round + 1, options.rounds);
        // Every other round runs the steps in reverse, so no path always
        // follows the same neighbour.
        let order: Vec<&Step> = if round % 2 == 0 {
            STEPS.iter().collect()
        } else {
            STEPS.iter().rev().collect()
        };
        for &(who, command, measure) in order {
            let peer = match who {
                Who::Native => &mut peers.native,
                Who::Component => &mut peers.component,
                Who::Store => &mut peers.store,
                Who::Extism => &mut peers.extism,
                Who::Python => {
                    python_round(
                        &mut peers.python,
                        &python_cmd,
                        options.accounts,
                        &mut rounds,
                    )?;
                    continue;
                }
            };
            rounds.add(measure, peer.pass(command)?);
        }
    }

    let peaks = report::Peaks {
        native: peers.native.peak_rss_mib()?,
        component: peers.component.peak_rss_mib()?,
        store: peers.store.peak_rss_mib()?,
        extism: peers.extism.peak_rss_mib()?,
        python: peers.python.peak_rss_mib()?,
    };
    let startup = report::Startup {
        extism_load_ms: peers.extism.ready["load_ms"].as_f64().unwrap_or(f64::NAN),
        python_s: peers.python.startup_s,
        pandas: peers.python.ready["pandas"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
        numpy: peers.python.ready["numpy"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
    };
    for p in [
        peers.native,
        peers.component,
        peers.store,
        peers.extism,
        peers.python,
    ] {
        p.quit();
    }
    report::print(
        options,
        &rounds,
        &peaks,
        &startup,
        &agreement,
        &report::machine(),
    );
    Ok(())
}

#[derive(Clone, Copy)]
enum Who {
    Native,
    Component,
    Store,
    Extism,
    Python,
}

/// One timed step of a round: who, the command, what it measures.
type Step = (Who, &'static str, Measure);

/// A round, pairs side by side: each peer right beside the Vitals path it is
/// compared with. The Python step times three measures at once.
const STEPS: [Step; 11] = [
    (Who::Component, "pass 1", Measure::VitalsBatch1),
    (Who::Extism, "pass json 1", Measure::ExtismJson1),
    (Who::Extism, "pass msgpack 1", Measure::ExtismMsgpack1),
    (Who::Native, "pass 0", Measure::Native),
    (Who::Component, "pass 1000", Measure::VitalsBatch1000),
    (Who::Extism, "pass json 1000", Measure::ExtismJson1000),
    (Who::Extism, "pass msgpack 1000", Measure::ExtismMsgpack1000),
    (Who::Store, "read", Measure::VitalsStoreRead),
    (Who::Store, "pass 0", Measure::VitalsStoreAll),
    (Who::Store, "pass 1", Measure::VitalsStore1),
    (Who::Python, "", Measure::PythonEndToEnd),
];

/// One Python run: read the CSV, score, write the scores; each step timed
/// inside the script.
fn python_round(
    python: &mut Peer,
    command: &str,
    accounts: usize,
    rounds: &mut Rounds,
) -> Result<(), String> {
    let answer = python.ask(command)?;
    let seconds = |k: &str| {
        answer[k]
            .as_f64()
            .ok_or(format!("python: no {k} in {answer}"))
    };
    let per_account = |s: f64| s * 1e9 / accounts as f64;
    let (read, compute, write) = (
        seconds("read_s")?,
        seconds("compute_s")?,
        seconds("write_s")?,
    );
    rounds.add(Measure::PythonCompute, per_account(compute));
    rounds.add(Measure::PythonRead, per_account(read));
    rounds.add(Measure::PythonWrite, per_account(write));
    rounds.add(Measure::PythonEndToEnd, per_account(read + compute + write));
    Ok(())
}

/// Each peer scores every account once; all must agree with the native scores.
fn check_all(
    peers: &mut Peers,
    accounts: &[vitals::runtime::Account],
    dir: &Path,
    csv_file: &Path,
) -> Result<Vec<(&'static str, f64)>, String> {
    let reference = check::reference(accounts, AS_OF);
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut agreement = Vec::new();
    let mut check_one = |name: &'static str, peer: &mut Peer, command: &str| {
        let file = dir.join(format!("{}.scores", name.replace(' ', "-")));
        peer.ask(&format!("{command} {}", file.display()))?;
        let got = check::read_lines(&read(&file)?)?;
        agreement.push((name, check::compare(name, &reference, &got)?));
        Ok::<(), String>(())
    };
    check_one("native worker", &mut peers.native, "check")?;
    check_one("vitals component", &mut peers.component, "check")?;
    check_one("vitals store run", &mut peers.store, "check")?;
    check_one("extism json", &mut peers.extism, "check json")?;
    check_one("extism msgpack", &mut peers.extism, "check msgpack")?;
    let file = dir.join("python-check.csv");
    peers.python.ask(&format!(
        "score {} {} {AS_OF}",
        csv_file.display(),
        file.display()
    ))?;
    let got = check::read_python_csv(&read(&file)?)?;
    agreement.push(("python", check::compare("python", &reference, &got)?));
    Ok(agreement)
}
