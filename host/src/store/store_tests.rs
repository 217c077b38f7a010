//! Store tests on a temporary sled: ingest semantics, range scans, plugins,
//! runs and crash recovery.

use super::runs::{Encoded, encoded};
use super::*;
use super::{codec, keys};
use crate::contract::ContractVersion::V0_2;
use crate::contract::projection::Windows;
use crate::contract::{Attributes, PluginKind, PluginMetadata, Snapshot};
use crate::contract::{Output, PluginError};
use crate::model::{IngestRow, Outcome, OutcomeKind};

fn attrs(name: &str) -> Attributes {
    Attributes {
        name: Some(name.into()),
        start_date: Some(1000),
        contract_arr: Some(1200.0),
        ..Attributes::empty()
    }
}

fn snap(as_of: i32, logins: u32) -> Snapshot {
    Snapshot {
        seats_purchased: Some(10),
        seats_active: Some(5),
        logins: Some(logins),
        arr: Some(1200.0),
        ..Snapshot::empty(as_of)
    }
}

fn row(line: usize, id: &str, s: Option<Snapshot>) -> IngestRow {
    IngestRow {
        line,
        account_id: id.into(),
        attributes: attrs(&format!("{id} Inc")),
        snapshot: s,
        outcome: None,
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    s.create_tenant("t", "T").unwrap();
    (dir, s)
}

#[test]
fn identical_reingest_is_a_no_op_and_a_different_value_is_a_conflict() {
    let (_d, s) = store();
    let rows = vec![
        row(1, "a", Some(snap(10, 5))),
        row(2, "a", Some(snap(20, 6))),
    ];
    let r = s
        .ingest("t", &rows, vec![], IngestMode::AllOrNothing)
        .unwrap();
    assert_eq!((r.snapshots_added, r.accounts_created), (2, 1));
    let again = s
        .ingest("t", &rows, vec![], IngestMode::AllOrNothing)
        .unwrap();
    assert_eq!(
        (
            again.snapshots_added,
            again.snapshots_unchanged,
            again.accounts_created
        ),
        (0, 2, 0)
    );
    let conflicting = vec![
        row(1, "b", Some(snap(10, 1))),
        row(2, "a", Some(snap(20, 99))),
    ];
    let Err(StoreError::Rejected(errors)) =
        s.ingest("t", &conflicting, vec![], IngestMode::AllOrNothing)
    else {
        panic!("conflict must reject the file")
    };
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].column.as_deref(), Some("as_of"));
    assert!(
        errors[0].reason.contains("append-only"),
        "{}",
        errors[0].reason
    );
    // All or nothing: account b was not written either.
    assert!(s.account("t", "b").is_err());
    assert_eq!(s.history("t", "a").unwrap()[1].logins, Some(6));
    // Valid rows: b is written, the conflict is returned as a reject.
    let r = s
        .ingest("t", &conflicting, vec![], IngestMode::ValidRows)
        .unwrap();
    assert_eq!((r.snapshots_added, r.rejected.len()), (1, 1));
    assert_eq!(s.history("t", "b").unwrap().len(), 1);
    assert_eq!(
        s.history("t", "a").unwrap()[1].logins,
        Some(6),
        "never overwritten"
    );
}

#[test]
fn a_conflict_inside_one_file_is_caught_too() {
    let (_d, s) = store();
    let rows = vec![
        row(1, "a", Some(snap(10, 5))),
        row(2, "a", Some(snap(10, 6))),
    ];
    assert!(matches!(
        s.ingest("t", &rows, vec![], IngestMode::AllOrNothing),
        Err(StoreError::Rejected(_))
    ));
    assert!(s.history("t", "a").unwrap().is_empty());
}

#[test]
fn unknown_tenant_and_bad_ids_are_refused() {
    let (_d, s) = store();
    assert!(matches!(
        s.ingest("x", &[], vec![], IngestMode::AllOrNothing),
        Err(StoreError::NotFound { .. })
    ));
    let bad = vec![row(7, "a\u{0}b", Some(snap(1, 1)))];
    let Err(StoreError::Rejected(e)) = s.ingest("t", &bad, vec![], IngestMode::AllOrNothing) else {
        panic!()
    };
    assert_eq!((e[0].line, e[0].column.as_deref()), (7, Some("account_id")));
}

#[test]
fn accounts_at_an_instant_use_the_latest_snapshot_and_the_window() {
    let (_d, s) = store();
    let mut rows = vec![];
    for (i, id) in ["acme", "acme-2", "zed"].iter().enumerate() {
        for d in [100, 200, 300, 400] {
            rows.push(row(rows.len() + 1, id, Some(snap(d, d as u32 + i as u32))));
        }
    }
    rows.push(row(99, "future", Some(snap(1000, 1))));
    rows.push(row(100, "no-snapshots", None));
    s.ingest("t", &rows, vec![], IngestMode::AllOrNothing)
        .unwrap();
    let mut seen = vec![];
    s.for_each_chunk_at(
        "t",
        350,
        120,
        &Windows::all(),
        2,
        |chunk| -> Result<(), StoreError> {
            assert!(chunk.len() <= 2);
            seen.extend(chunk);
            Ok(())
        },
    )
    .unwrap();
    let ids: Vec<&str> = seen.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["acme", "acme-2", "zed"]);
    for a in &seen {
        assert_eq!(a.current.as_of, 300);
        let hist: Vec<i32> = a.history.iter().map(|h| h.as_of).collect();
        assert_eq!(hist, [200], "window of 120 days before 300");
        assert_eq!(
            a.attributes.name.as_deref(),
            Some(format!("{} Inc", a.id).as_str())
        );
    }
}

#[test]
fn only_the_snapshots_some_window_reads_are_read() {
    let (_d, s) = store();
    let days = [100, 160, 220, 280, 340, 400];
    let rows: Vec<_> = days
        .iter()
        .enumerate()
        .map(|(i, d)| row(i + 1, "acme", Some(snap(*d, *d as u32))))
        .collect();
    s.ingest("t", &rows, vec![], IngestMode::AllOrNothing)
        .unwrap();
    let history_at = |windows: Windows, cap: i32| {
        let mut seen = vec![];
        s.for_each_chunk_at("t", 400, cap, &windows, 10, |c| -> Result<(), StoreError> {
            seen.extend(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].current.as_of, 400);
        seen[0]
            .history
            .iter()
            .map(|h| h.as_of)
            .collect::<Vec<i32>>()
    };
    use crate::contract::projection::Window;
    assert_eq!(history_at(Windows::all(), 1000), [100, 160, 220, 280, 340]);
    assert_eq!(history_at(Windows::of([]), 1000), Vec::<i32>::new());
    assert_eq!(
        history_at(Windows::of([Window::None]), 1000),
        Vec::<i32>::new()
    );
    assert_eq!(
        history_at(Windows::of([Window::Latest(2)]), 1000),
        [280, 340]
    );
    // 90 days before 400 is 310: 340 is inside, 280 is its base.
    assert_eq!(
        history_at(Windows::of([Window::Days(90)]), 1000),
        [280, 340]
    );
    assert_eq!(
        history_at(Windows::of([Window::Days(90), Window::Latest(4)]), 1000),
        [160, 220, 280, 340]
    );
    // The run's own window still bounds every plugin's.
    assert_eq!(history_at(Windows::of([Window::All]), 130), [280, 340]);
    assert_eq!(
        history_at(Windows::of([Window::Latest(9)]), 130),
        [280, 340]
    );
}

#[test]
fn outcomes_are_stored_and_read_back() {
    let (_d, s) = store();
    let mut r = row(1, "a", None);
    r.outcome = Some(Outcome {
        date: 500,
        kind: OutcomeKind::Churned,
        arr_change: -1200.0,
    });
    let rep = s
        .ingest("t", &[r.clone()], vec![], IngestMode::AllOrNothing)
        .unwrap();
    assert_eq!(rep.outcomes_added, 1);
    assert_eq!(
        s.ingest("t", &[r], vec![], IngestMode::AllOrNothing)
            .unwrap()
            .outcomes_unchanged,
        1
    );
    assert_eq!(s.outcomes("t", "a").unwrap()[0].kind, OutcomeKind::Churned);
    assert_eq!(s.all_outcomes("t").unwrap().len(), 1);
}

fn meta(name: &str, version: &str) -> PluginMetadata {
    PluginMetadata {
        name: name.into(),
        version: version.into(),
        kind: PluginKind::HealthModel,
        description: "d".into(),
        config_schema: "{}".into(),
        reads: vec![],
    }
}

#[test]
fn plugin_versions_are_immutable_and_can_be_rolled_back() {
    let (_d, s) = store();
    s.add_plugin("t", "h1", b"one", &meta("p", "1.0.0"), V0_2)
        .unwrap();
    s.add_plugin("t", "h1", b"one", &meta("p", "1.0.0"), V0_2)
        .unwrap();
    assert!(matches!(
        s.add_plugin("t", "h9", b"other", &meta("p", "1.0.0"), V0_2),
        Err(StoreError::Conflict(_))
    ));
    s.add_plugin("t", "h2", b"two", &meta("p", "1.1.0"), V0_2)
        .unwrap();
    assert!(s.plugin("t", "p", None).is_err(), "nothing active yet");
    s.activate("t", "p", "1.0.0").unwrap();
    assert_eq!(s.activate("t", "p", "1.1.0").unwrap().plugin.hash, "h2");
    assert_eq!(s.active_plugins("t").unwrap().len(), 1);
    assert_eq!(s.rollback("t", "p").unwrap().plugin.version, "1.0.0");
    assert!(s.rollback("t", "p").is_err(), "no earlier version left");
    assert_eq!(s.component("h2").unwrap(), b"two");
    assert_eq!(s.plugin_config("t", "p").unwrap(), "{}");
    s.set_plugin_config("t", "p", r#"{"red_below": 40}"#)
        .unwrap();
    assert_eq!(
        s.active_plugins("t").unwrap()[0].config,
        r#"{"red_below": 40}"#
    );
}

fn health(score: f64) -> Result<Output, PluginError> {
    Ok(Output::Health(crate::contract::Health {
        score,
        band: crate::contract::Band::Green,
        factors: vec![],
    }))
}

#[test]
fn results_are_visible_only_once_the_run_completes() {
    let (_d, s) = store();
    let p = s
        .add_plugin("t", "h1", b"one", &meta("p", "1.0.0"), V0_2)
        .unwrap();
    let mut run = s.start_run("t", &p, "{}", 300).unwrap();
    s.write_results(
        &mut run,
        &[
            ("a".into(), health(80.0)),
            ("b".into(), Err(PluginError::BadOutput("nan".into()))),
        ],
        10,
        vec![crate::contract::LogLine {
            level: "warn".into(),
            message: "b has no seats".into(),
        }],
        3,
    )
    .unwrap();
    assert!(
        s.results("t", run.id).is_err(),
        "running runs have no results"
    );
    s.complete_run(&mut run).unwrap();
    let results = s.results("t", run.id).unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].result, health(80.0));
    assert_eq!(results[1].result, Err(PluginError::BadOutput("nan".into())));
    let stored = s.run("t", run.id).unwrap();
    assert_eq!(
        (
            stored.accounts,
            stored.ok,
            stored.errors["bad-output"],
            stored.fuel_used
        ),
        (2, 1, 1, 10)
    );
    assert_eq!(stored.plugin_hash, "h1");
    assert_eq!((stored.log.len(), stored.log_dropped), (1, 3));
    assert_eq!(stored.log[0].message, "b has no seats");
}

#[test]
fn a_run_interrupted_by_a_crash_is_failed_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        let p = s
            .add_plugin("t", "h1", b"one", &meta("p", "1.0.0"), V0_2)
            .unwrap();
        let mut run = s.start_run("t", &p, "{}", 300).unwrap();
        s.write_results(&mut run, &[("a".into(), health(80.0))], 1, vec![], 0)
            .unwrap();
        s.flush().unwrap();
        run.id
        // Dropped without completing: as if the process died here.
    };
    let s = Store::open(dir.path()).unwrap();
    let run = s.run("t", id).unwrap();
    assert!(
        matches!(run.status, RunStatus::Failed { ref reason } if reason.contains("interrupted")),
        "{:?}",
        run.status
    );
    assert!(s.results("t", id).is_err());
    assert_eq!(
        s.result("t", id, "a").unwrap(),
        None,
        "partial results removed"
    );
}

#[test]
fn results_in_blocks_are_found_one_by_one_and_all_together() {
    let (_d, s) = store();
    let p = s
        .add_plugin("t", "h1", b"one", &meta("p", "1.0.0"), V0_2)
        .unwrap();
    let mut run = s.start_run("t", &p, "{}", 300).unwrap();
    let ids: Vec<String> = (0..2500).map(|i| format!("acct-{i:05}")).collect();
    for chunk in ids.chunks(700) {
        let results: Vec<_> = chunk
            .iter()
            .map(|id| (id.clone(), health(id[5..].parse::<f64>().unwrap() / 100.0)))
            .collect();
        s.write_results(&mut run, &results, 0, vec![], 0).unwrap();
    }
    s.complete_run(&mut run).unwrap();
    let all = s.results("t", run.id).unwrap();
    assert_eq!(all.len(), 2500);
    assert!(all.windows(2).all(|w| w[0].account_id < w[1].account_id));
    for i in [0, 699, 700, 999, 1000, 1401, 2499] {
        let id = format!("acct-{i:05}");
        assert_eq!(
            s.result("t", run.id, &id).unwrap(),
            Some(health(i as f64 / 100.0)),
            "{id}"
        );
    }
    assert_eq!(s.result("t", run.id, "acct-0").unwrap(), None);
    assert_eq!(s.result("t", run.id, "zzz").unwrap(), None);
    assert_eq!(s.result("t", run.id, "a").unwrap(), None);
    // Pages across block boundaries equal the slices of the whole.
    for (offset, limit) in [
        (0, 10),
        (995, 10),
        (1990, 20),
        (2490, 100),
        (2500, 5),
        (0, 2500),
    ] {
        let page = s.results_page("t", run.id, offset, limit).unwrap();
        let want: Vec<_> = all.iter().skip(offset).take(limit).cloned().collect();
        assert_eq!(page, want, "offset {offset} limit {limit}");
    }
}

#[test]
fn result_blocks_written_before_indexed_blocks_are_still_read() {
    let (_d, s) = store();
    let p = s
        .add_plugin("t", "h1", b"one", &meta("p", "1.0.0"), V0_2)
        .unwrap();
    let mut run = s.start_run("t", &p, "{}", 300).unwrap();
    s.write_results(&mut run, &[("b".into(), health(0.5))], 0, vec![], 0)
        .unwrap();
    s.complete_run(&mut run).unwrap();
    // Replace the block with the older layout: one postcard list, format byte 1.
    let (key, _) = s.results.iter().next().unwrap().unwrap();
    let old: Vec<(String, Encoded)> = vec![
        (
            "a".into(),
            Encoded::Error(serde_json::to_string(&PluginError::NotRun("x".into())).unwrap()),
        ),
        ("b".into(), encoded(&health(0.5))),
    ];
    s.results.insert(key, codec::encode(&old)).unwrap();
    assert_eq!(s.result("t", run.id, "b").unwrap(), Some(health(0.5)));
    assert_eq!(s.results("t", run.id).unwrap().len(), 2);
    assert_eq!(
        s.results_page("t", run.id, 1, 5).unwrap()[0].account_id,
        "b"
    );
}

#[test]
fn an_account_without_attributes_does_not_take_the_next_ones() {
    let (_d, s) = store();
    let rows = vec![
        row(1, "a", Some(snap(10, 1))),
        row(2, "c", Some(snap(10, 3))),
    ];
    s.ingest("t", &rows, vec![], IngestMode::AllOrNothing)
        .unwrap();
    // A snapshot whose attribute record is missing (as after damage or a
    // partial migration), sorting between the two accounts.
    s.data
        .insert(keys::snapshot("t", "b", 10), codec::encode(&snap(10, 2)))
        .unwrap();
    let mut seen = vec![];
    s.for_each_chunk_at(
        "t",
        10,
        0,
        &Windows::all(),
        10,
        |c| -> Result<(), StoreError> {
            seen.extend(c);
            Ok(())
        },
    )
    .unwrap();
    let names: Vec<Option<String>> = seen.iter().map(|a| a.attributes.name.clone()).collect();
    assert_eq!(
        names,
        [Some("a Inc".to_string()), None, Some("c Inc".to_string())]
    );
}

#[test]
fn metric_order_does_not_make_a_snapshot_different() {
    use crate::contract::Metric;
    let (_d, s) = store();
    let m = |n: &str, v: f64| Metric {
        name: n.into(),
        value: v,
    };
    let mut one = snap(10, 1);
    one.metrics = vec![m("b", 2.0), m("a", 1.0)];
    let mut other = snap(10, 1);
    other.metrics = vec![m("a", 1.0), m("b", 2.0)];
    s.ingest(
        "t",
        &[row(1, "x", Some(one))],
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    let r = s
        .ingest(
            "t",
            &[row(1, "x", Some(other))],
            vec![],
            IngestMode::AllOrNothing,
        )
        .unwrap();
    assert_eq!(r.snapshots_unchanged, 1);
}

#[test]
fn concurrent_activations_each_take_effect_one_after_the_other() {
    let (_d, s) = store();
    for round in 0..20 {
        let name = format!("p{round}");
        for v in 0..4 {
            let hash = format!("h{round}-{v}");
            s.add_plugin(
                "t",
                &hash,
                hash.as_bytes(),
                &meta(&name, &format!("1.{v}.0")),
                V0_2,
            )
            .unwrap();
        }
        s.activate("t", &name, "1.0.0").unwrap();
        let barrier = std::sync::Barrier::new(3);
        std::thread::scope(|scope| {
            for v in 1..4 {
                let (s, name, barrier) = (&s, &name, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    s.activate("t", name, &format!("1.{v}.0")).unwrap();
                });
            }
        });
        // Every activation is in the history once: rolling back walks
        // through the three, then to 1.0.0, then no further.
        let mut seen = vec![s.plugin("t", &name, None).unwrap().version];
        while let Ok(p) = s.rollback("t", &name) {
            seen.push(p.plugin.version);
        }
        assert_eq!(
            seen.len(),
            4,
            "round {round}: an activation was lost: {seen:?}"
        );
        assert_eq!(seen.last().map(String::as_str), Some("1.0.0"));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 4, "round {round}: {seen:?}");
    }
}
