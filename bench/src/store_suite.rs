//! The store suites: `ingest` (durable ingest rate, parsing and writing
//! apart and then as one stream the way the CLI and the server ingest, and
//! the record encoding measured against JSON) and `run` (the four reference plugins over a
//! million accounts: seconds, accounts/s, peak memory).

use serde_json::json;
use std::time::Instant;
use vitals::ingest::{Format, parse};
use vitals::runtime::{Runtime, RuntimeConfig, content_hash};
use vitals::scoring::{RunSettings, run_active};
use vitals::service::Service;
use vitals::store::{IngestMode, Store};

pub(crate) const AS_OF: i32 = 20_454;

/// A line of this process's `/proc/self/status` in MiB (Linux): `VmHWM`
/// (peak resident memory since start or the last [`reset_peak_rss`]),
/// `VmRSS` (resident now).
fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    status_mib("VmHWM")
}

/// Starts a new peak: `VmHWM` becomes the resident memory now (Linux's
/// `clear_refs` value 5), so each phase of a suite has a peak of its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peaks of a suite's phases: each phase's own (from the resident memory
/// it started with) and the process's over all of them.
#[derive(Default)]
struct PhasePeaks {
    phases: Vec<(&'static str, f64, f64)>,
}

impl PhasePeaks {
    /// Closes the phase `name` (its peak is `VmHWM` now) and starts the next.
    fn end(&mut self, name: &'static str, started_at_mib: f64) -> f64 {
        self.phases.push((name, started_at_mib, peak_rss_mib()));
        reset_peak_rss();
        status_mib("VmRSS")
    }

    /// The process's peak over every phase.
    fn overall(&self) -> f64 {
        self.phases.iter().map(|p| p.2).fold(f64::NAN, f64::max)
    }

    fn json(&self) -> serde_json::Value {
        self.phases
            .iter()
            .map(|(name, start, peak)| {
                (
                    (*name).to_string(),
                    json!({ "rss_at_start_mib": start, "peak_rss_mib": peak }),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// CSV of `accounts` accounts with `per_account` quarterly snapshots each,
/// ids offset by `first` (so several files make one tenant).
pub(crate) fn csv(first: usize, accounts: usize, per_account: usize) -> Vec<u8> {
    use std::fmt::Write;
    let mut out = String::from(
        "account_id,as_of,name,owner,tier,start_date,renewal_date,contract_arr,seats_purchased,seats_active,logins,features_used,features_available,tickets_open,tickets_high_severity,nps,csat,arr,webinars_attended\n",
    );
    for i in first..first + accounts {
        let seats = 10 + (i * 7919) % 490;
        for q in 0..per_account {
            let day = vitals_plugin_sdk::date::format(AS_OF - 91 * (per_account - 1 - q) as i32);
            let active = (seats * (40 + (i * 31 + q * 17) % 70)) / 100;
            let _ = writeln!(
                out,
                "acct-{i:07},{day},Account {i},csm-{},{},2023-0{}-15,2026-{:02}-01,{},{seats},{active},{},{},20,{},{},{},{},{},{}",
                i % 40,
                ["smb", "mid-market", "enterprise"][i % 3],
                1 + i % 9,
                1 + (i % 12),
                seats * 600,
                active * 9,
                3 + (i + q) % 15,
                (i + q) % 9,
                (i + q) % 3,
                (i * 13 + q) % 11,
                50 + (i * 3) % 50,
                seats * 600,
                (i + q) % 5,
            );
        }
    }
    out.into_bytes()
}

pub fn ingest(json_out: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    store.create_tenant("bench", "Bench").expect("tenant");
    let (accounts, per) = (100_000, 4);
    let input = csv(0, accounts, per);
    let t = Instant::now();
    let parsed = parse(&input, Format::Csv, None);
    let parse_s = t.elapsed().as_secs_f64();
    assert!(parsed.errors.is_empty(), "{:?}", &parsed.errors[..1]);
    let n = parsed.rows.len();
    let t = Instant::now();
    let report = store
        .ingest("bench", &parsed.rows, vec![], IngestMode::AllOrNothing)
        .expect("ingest");
    let write_s = t.elapsed().as_secs_f64();
    assert_eq!(report.snapshots_added, n);
    // Re-ingest of the same file: every snapshot checked and found identical.
    let t = Instant::now();
    let again = store
        .ingest("bench", &parsed.rows, vec![], IngestMode::AllOrNothing)
        .expect("re-ingest");
    let reingest_s = t.elapsed().as_secs_f64();
    assert_eq!(again.snapshots_unchanged, n);
    let stream_s = streamed_ingest(&input, n);

    // Encoding: postcard (what the store uses) against JSON, same snapshots.
    let snaps: Vec<_> = parsed
        .rows
        .iter()
        .filter_map(|r| r.snapshot.clone())
        .collect();
    let t = Instant::now();
    let compact: Vec<Vec<u8>> = snaps
        .iter()
        .map(|s| postcard::to_allocvec(s).expect("postcard"))
        .collect();
    let pc_enc = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let json_bytes: Vec<Vec<u8>> = snaps
        .iter()
        .map(|s| serde_json::to_vec(s).expect("json"))
        .collect();
    let js_enc = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for b in &compact {
        std::hint::black_box(
            postcard::from_bytes::<vitals::runtime::types::Snapshot>(b).expect("decode"),
        );
    }
    let pc_dec = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for b in &json_bytes {
        std::hint::black_box(
            serde_json::from_slice::<vitals::runtime::types::Snapshot>(b).expect("decode"),
        );
    }
    let js_dec = t.elapsed().as_secs_f64();
    let size = |v: &Vec<Vec<u8>>| v.iter().map(Vec::len).sum::<usize>() as f64 / v.len() as f64;

    let report = json!({
        "snapshots": n,
        "parse_csv_per_s": n as f64 / parse_s,
        "durable_ingest_per_s": n as f64 / write_s,
        "end_to_end_per_s": n as f64 / stream_s,
        "parse_then_write_per_s": n as f64 / (parse_s + write_s),
        "reingest_identical_per_s": n as f64 / reingest_s,
        "encoding": {
            "postcard_bytes": size(&compact), "json_bytes": size(&json_bytes),
            "postcard_encode_per_s": n as f64 / pc_enc, "json_encode_per_s": n as f64 / js_enc,
            "postcard_decode_per_s": n as f64 / pc_dec, "json_decode_per_s": n as f64 / js_dec,
        },
        "peak_rss_mib": peak_rss_mib(),
    });
    if json_out {
        println!("{report}");
        return;
    }
    println!(
        "vitals-bench ingest: {n} snapshots ({accounts} accounts x {per} quarters), CSV, one atomic ingest, flushed\n"
    );
    println!(
        "  parse CSV                 {:>10.0} snapshots/s",
        n as f64 / parse_s
    );
    println!(
        "  write to sled (durable)   {:>10.0} snapshots/s",
        n as f64 / write_s
    );
    println!(
        "  parse, then write         {:>10.0} snapshots/s (the two above, one after the other)",
        n as f64 / (parse_s + write_s)
    );
    println!(
        "  end to end, streamed      {:>10.0} snapshots/s (the CLI's and the server's ingest)",
        n as f64 / stream_s
    );
    println!(
        "  re-ingest, all identical  {:>10.0} snapshots/s",
        n as f64 / reingest_s
    );
    println!("\n  encoding       bytes   encode/s    decode/s");
    println!(
        "  postcard    {:>8.1} {:>10.0}  {:>10.0}",
        size(&compact),
        n as f64 / pc_enc,
        n as f64 / pc_dec
    );
    println!(
        "  JSON        {:>8.1} {:>10.0}  {:>10.0}",
        size(&json_bytes),
        n as f64 / js_enc,
        n as f64 / js_dec
    );
    println!(
        "  JSON / postcard: {:.2}x bytes, {:.2}x encode time, {:.2}x decode time",
        size(&json_bytes) / size(&compact),
        js_enc / pc_enc,
        js_dec / pc_dec
    );
    println!("\n  peak memory {:.0} MiB", peak_rss_mib());
}

/// Seconds to ingest `input` (`snapshots` new snapshots) into a fresh store
/// as the CLI and the server do: [`Service::ingest_stream`], which parses
/// the bytes as it reads them and writes each batch as the next is parsed.
fn streamed_ingest(input: &[u8], snapshots: usize) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    store.create_tenant("bench", "Bench").expect("tenant");
    let service = Service::new(
        store,
        Runtime::new(RuntimeConfig::default()).expect("runtime"),
    );
    let t = Instant::now();
    let report = service
        .ingest_stream("bench", input, Format::Csv, IngestMode::AllOrNothing, None)
        .expect("streamed ingest");
    let seconds = t.elapsed().as_secs_f64();
    assert_eq!(report.snapshots_added, snapshots);
    seconds
}

pub fn run(json_out: bool, accounts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store")).expect("store");
    store.create_tenant("bench", "Bench").expect("tenant");
    let per = 2;
    let mut peaks = PhasePeaks::default();
    let start_rss = status_mib("VmRSS");
    reset_peak_rss();
    let t = Instant::now();
    let file_accounts = 100_000;
    for first in (0..accounts).step_by(file_accounts) {
        let input = csv(first, file_accounts.min(accounts - first), per);
        let parsed = parse(&input, Format::Csv, None);
        store
            .ingest(
                "bench",
                &parsed.rows,
                parsed.errors,
                IngestMode::AllOrNothing,
            )
            .expect("ingest");
    }
    let ingest_s = t.elapsed().as_secs_f64();
    let rt = Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.path().join("compiled")),
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    for (_, bytes) in vitals_reference_pack::COMPONENTS {
        let p = rt.load(bytes).expect("load");
        let installed = store
            .add_plugin(
                "bench",
                &content_hash(bytes),
                bytes,
                &p.metadata,
                p.contract,
            )
            .expect("add");
        store
            .activate("bench", &installed.name, &installed.version)
            .expect("activate");
    }
    let rss_before = peak_rss_mib();
    let run_start_rss = peaks.end("ingest", start_rss);
    let t = Instant::now();
    let runs = run_active(
        &store,
        &rt,
        "bench",
        AS_OF,
        None,
        RunSettings {
            history_days: 100,
            ..RunSettings::default()
        },
        |_| {},
    )
    .expect("run");
    let run_s = t.elapsed().as_secs_f64();
    let second_start_rss = peaks.end("run", run_start_rss);
    // A quarter later, with the first run's health as history (read back
    // from the store for every account) and the CLI's default window.
    let t = Instant::now();
    run_active(
        &store,
        &rt,
        "bench",
        AS_OF + 91,
        None,
        RunSettings::default(),
        |_| {},
    )
    .expect("second run");
    let second_s = t.elapsed().as_secs_f64();
    peaks.end("second_run", second_start_rss);
    let results: u64 = runs.iter().map(|r| r.accounts).sum();
    let errors: u64 = runs.iter().map(|r| r.errors.values().sum::<u64>()).sum();
    let report = json!({
        "accounts": accounts,
        "snapshots": accounts * per,
        "ingest_s": ingest_s,
        "run_s": run_s,
        "second_run_with_history_s": second_s,
        "accounts_per_s": accounts as f64 / run_s,
        "results": results,
        "errors": errors,
        "peak_rss_mib": peaks.overall(),
        "peak_rss_mib_before_run": rss_before,
        "phases": peaks.json(),
        "workers": std::thread::available_parallelism().map_or(1, |n| n.get()),
    });
    if json_out {
        println!("{report}");
        return;
    }
    println!(
        "vitals-bench run: the four reference plugins over {accounts} accounts ({} snapshots), stored results, history window 100 days\n",
        accounts * per
    );
    println!("  ingest (setup)    {ingest_s:>8.1} s");
    println!(
        "  run, 4 plugins    {run_s:>8.1} s   {:.0} accounts/s   {results} results, {errors} per-account errors",
        accounts as f64 / run_s
    );
    println!(
        "  second run        {second_s:>8.1} s   a quarter later, the first run's health as history, 400-day window"
    );
    println!(
        "  peak memory       {:>8.0} MiB ({:.0} MiB before the runs)",
        peaks.overall(),
        rss_before
    );
    for (name, start, peak) in &peaks.phases {
        println!("    {name:<12} peak {peak:>6.0} MiB (resident at its start {start:.0} MiB)");
    }
}
