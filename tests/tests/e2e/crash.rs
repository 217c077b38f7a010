//! Crash safety: the real CLI killed with SIGKILL at random points during
//! ingests and runs, 24 times, the store reopened after each kill. Every
//! acknowledged ingest is there exactly; an ingest that was not acknowledged
//! is there whole or not at all; a run is complete with every result, or
//! failed, never left running or half-written. The kill points come from a
//! fixed seed (printed), so a failure can be replayed.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vitals::ingest::{Format, parse};
use vitals::runtime::types::Snapshot;
use vitals::store::{RunStatus, Store};

const ROUNDS: usize = 24;
const PER_BATCH: usize = 6_000;
const FIRST_DAY: i32 = 20_000;

/// A small deterministic generator for the kill points.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Batch `i`: 6,000 new accounts, and (from the second batch on) a later
/// snapshot of each account of the batch before, so a batch touches
/// existing accounts too. Over the journaled-write threshold.
fn batch(i: usize) -> String {
    let mut out = String::new();
    let day = |d: i32| vitals_day(FIRST_DAY + d);
    for k in 0..PER_BATCH {
        out.push_str(&format!(
            "{{\"account_id\":\"b{i:02}-{k:05}\",\"as_of\":\"{}\",\"seats_purchased\":{},\"seats_active\":{},\"logins\":{},\"nps\":{},\"contract_arr\":{}}}\n",
            day(0),
            10 + k % 90,
            k % 50,
            k * 3 + i,
            k % 11,
            1000 * (1 + k % 40)
        ));
        if i > 0 && k % 2 == 0 {
            out.push_str(&format!(
                "{{\"account_id\":\"b{:02}-{k:05}\",\"as_of\":\"{}\",\"seats_purchased\":{},\"seats_active\":{},\"logins\":{}}}\n",
                i - 1,
                day(1 + i as i32),
                20 + k % 80,
                (k + i) % 60,
                k + 7 * i
            ));
        }
    }
    out
}

pub(crate) fn vitals_day(d: i32) -> String {
    // Days since 1970-01-01 as YYYY-MM-DD (civil-from-days).
    let z = d + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i32::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The snapshots batch `i` writes, account by account, as the store must hold them.
fn expected(i: usize) -> Vec<(String, Snapshot)> {
    let parsed = parse(batch(i).as_bytes(), Format::Ndjson, None);
    assert!(parsed.errors.is_empty(), "{:?}", &parsed.errors[..1]);
    parsed
        .rows
        .into_iter()
        .map(|r| (r.account_id, r.snapshot.expect("every row has a snapshot")))
        .collect()
}

fn vitals(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vitals-e2e-cli"));
    c.arg("--data-dir")
        .arg(data)
        .args(["--tenant", "crash"])
        .env_remove("VITALS_SERVER")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Runs `child` until it ends or `after` passes, then SIGKILLs it; true if it
/// finished successfully (acknowledged) before the kill.
pub(crate) fn kill_after(mut child: Child, after: Duration) -> bool {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        if started.elapsed() >= after {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// How many of `want` are stored exactly, and whether any stored one differs.
fn stored(store: &Store, want: &[(String, Snapshot)]) -> usize {
    let mut present = 0;
    for (id, snap) in want {
        let history = store.history("crash", id).unwrap();
        if let Some(s) = history.iter().find(|s| s.as_of == snap.as_of) {
            assert_eq!(
                s, snap,
                "{id} at {} differs from what was ingested",
                s.as_of
            );
            present += 1;
        }
    }
    present
}

#[test]
fn sigkill_during_ingests_and_runs_loses_nothing_acknowledged_and_shows_nothing_half_done() {
    let seed = 0x5eed_0fc0_ffee_u64;
    eprintln!("crash test seed {seed:#x}");
    let mut rng = Lcg(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let ok = |args: &[&str]| {
        let out = vitals(&data).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&["init"]);
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let path = dir.path().join(format!("{name}.wasm"));
        std::fs::write(&path, bytes).unwrap();
        ok(&["plugin", "add", path.to_str().unwrap(), "--activate"]);
    }
    // Time one undisturbed ingest and run, to spread the kills over them.
    let probe = dir.path().join("probe.ndjson");
    std::fs::write(&probe, batch(99)).unwrap();
    let t = Instant::now();
    ok(&["ingest", probe.to_str().unwrap()]);
    let ingest_ms = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    ok(&["run", "--as-of", &vitals_day(FIRST_DAY)]);
    let run_ms = t.elapsed().as_millis() as u64;
    eprintln!("undisturbed: ingest {ingest_ms} ms, run {run_ms} ms");
    let mut acknowledged: Vec<usize> = vec![];
    let mut kills = 0;
    for i in 0..ROUNDS {
        let file = dir.path().join(format!("batch-{i}.ndjson"));
        std::fs::write(&file, batch(i)).unwrap();
        let during_run = i % 3 == 2;
        let (child, budget) = if during_run {
            let at = vitals_day(FIRST_DAY + 1 + i as i32);
            let c = vitals(&data).args(["run", "--as-of", &at]).spawn().unwrap();
            (c, run_ms)
        } else {
            let c = vitals(&data)
                .args(["ingest", file.to_str().unwrap()])
                .spawn()
                .unwrap();
            (c, ingest_ms)
        };
        // From a quarter of an undisturbed command to twice one: some finish,
        // most are cut inside their writes.
        let after = Duration::from_millis(budget / 4 + rng.below(budget * 7 / 4 + 1));
        let finished = kill_after(child, after);
        kills += usize::from(!finished);
        // Reopen: the store must open, roll back what was cut, fail cut runs.
        let store = Store::open(&data.join("store")).expect("the store opens after a kill");
        if !during_run {
            let want = expected(i);
            let present = stored(&store, &want);
            assert!(
                present == 0 || present == want.len(),
                "round {i}: ingest half-visible ({present} of {} snapshots)",
                want.len()
            );
            if finished {
                assert_eq!(present, want.len(), "round {i}: acknowledged but missing");
            }
            if present == want.len() {
                acknowledged.push(i);
            }
        }
        for run in store.runs("crash").unwrap() {
            match run.status {
                RunStatus::Complete => assert_eq!(
                    store.results("crash", run.id).unwrap().len() as u64,
                    run.accounts,
                    "round {i}: run {} complete with missing results",
                    run.id
                ),
                RunStatus::Failed { .. } => {
                    assert!(
                        store.results("crash", run.id).is_err(),
                        "failed runs show nothing"
                    )
                }
                RunStatus::Running => panic!("round {i}: run {} left running", run.id),
            }
        }
        drop(store);
    }
    assert!(
        kills >= 8,
        "only {kills} of {ROUNDS} rounds were killed mid-way"
    );
    assert!(
        acknowledged.len() >= 2,
        "too few ingests landed to check them"
    );
    // Byte for byte at the end: every batch that landed, every snapshot.
    let store = Store::open(&data.join("store")).unwrap();
    for &i in &acknowledged {
        let want = expected(i);
        assert_eq!(stored(&store, &want), want.len(), "batch {i}");
    }
    eprintln!(
        "{kills} kills in {ROUNDS} rounds; {} ingests landed",
        acknowledged.len()
    );
}
