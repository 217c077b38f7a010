//! `vitals-bench triggers`: what trigger rules add to a run, and how fast
//! the host delivers their events to a receiver on this machine.
//!
//! The run part scores N accounts with the reference health model a
//! quarter apart, then runs the second quarter twice, once with no rule
//! and once under three rules (turned Red, a 10-point drop, licence
//! utilisation crossing 0.75 upwards), so the time added by deriving and
//! staging the events is a difference measured in one process.

use super::store_suite::{AS_OF, csv};
use serde_json::json;
use std::time::Instant;
use vitals::ingest::{Format, parse};
use vitals::runtime::{Runtime, RuntimeConfig, content_hash};
use vitals::scoring::{RunSettings, run_active};
use vitals::store::{IngestMode, Store};
use vitals::triggers::Rule;

const RULES: [&str; 3] = [
    r#"{"name": "turned-red", "event": {"type": "band-changed", "to": "red"}}"#,
    r#"{"name": "dropped-10", "event": {"type": "score-dropped", "points": 10}}"#,
    r#"{"name": "seats-75", "event": {"type": "measure-crossed", "measure": "licence-utilisation", "threshold": 0.75}}"#,
];

fn timed_run(store: &Store, rt: &Runtime, as_of: i32) -> (f64, vitals::store::RunRecord) {
    let t = Instant::now();
    let mut runs = run_active(
        store,
        rt,
        "bench",
        as_of,
        Some("weighted-health"),
        RunSettings::default(),
        |_| {},
    )
    .expect("run");
    (t.elapsed().as_secs_f64(), runs.remove(0))
}

/// The run part: the time events add to a run of `accounts` accounts.
pub fn run(json_out: bool, accounts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store")).expect("store");
    store.create_tenant("bench", "Bench").expect("tenant");
    for first in (0..accounts).step_by(100_000) {
        let input = csv(first, 100_000.min(accounts - first), 2);
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
    let rt = Runtime::new(RuntimeConfig {
        cache_dir: Some(dir.path().join("compiled")),
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let bytes = vitals_reference_pack::component("weighted-health").expect("weighted-health");
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
    let (first_s, _) = timed_run(&store, &rt, AS_OF - 91);
    // The second quarter with no rule: the baseline. Discarded, so that the
    // run under rules compares with the first quarter too.
    let (plain_s, plain) = timed_run(&store, &rt, AS_OF);
    store
        .discard_run("bench", plain.id, "bench", Some("baseline"))
        .expect("discard");
    for text in RULES {
        store
            .put_rule("bench", &Rule::parse(text).expect("rule"), "bench")
            .expect("rule");
    }
    let (rules_s, fired) = timed_run(&store, &rt, AS_OF);
    let t = Instant::now();
    let fanned = store.fan_out(usize::MAX).expect("fan out");
    let fan_out_s = t.elapsed().as_secs_f64();
    let added = rules_s - plain_s;
    let report = json!({
        "accounts": accounts,
        "first_run_s": first_s,
        "run_without_rules_s": plain_s,
        "run_with_rules_s": rules_s,
        "added_s": added,
        "added_ratio": rules_s / plain_s,
        "events": fired.events,
        "events_per_s_added": fired.events as f64 / added.max(1e-9),
        "fan_out_s": fan_out_s,
        "fanned_out": fanned,
    });
    if json_out {
        println!("{report}");
        return;
    }
    println!(
        "vitals-bench triggers: weighted-health over {accounts} accounts, the second quarter with and without 3 rules\n"
    );
    println!("  run without rules  {plain_s:>8.1} s");
    println!(
        "  run with 3 rules   {rules_s:>8.1} s   {} events, {:+.1} s ({:.3}x)",
        fired.events,
        added,
        rules_s / plain_s
    );
    println!(
        "  fan-out            {fan_out_s:>8.1} s   {fanned} events (no endpoint: none becomes a delivery)"
    );
}
