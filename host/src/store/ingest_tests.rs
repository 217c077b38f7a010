//! Ingests side by side: one writer per tenant, readers that see an ingest
//! whole or not at all, rollbacks that touch only their own records, and
//! recovery after a crash.

use super::*;
use crate::contract::projection::Windows;
use crate::contract::{Attributes, Snapshot};
use crate::model::{IngestRow, RowError};

fn row(line: usize, id: &str, as_of: i32, arr: f64, name: &str) -> IngestRow {
    IngestRow {
        line,
        account_id: id.into(),
        attributes: Attributes {
            name: Some(name.into()),
            ..Attributes::empty()
        },
        snapshot: Some(Snapshot {
            arr: Some(arr),
            ..Snapshot::empty(as_of)
        }),
        outcome: None,
    }
}

fn rows(ids: std::ops::Range<usize>, as_of: i32, arr: f64, name: &str) -> Vec<IngestRow> {
    ids.enumerate()
        .map(|(i, n)| row(i + 1, &format!("acct-{n:05}"), as_of, arr, name))
        .collect()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    s.create_tenant("t", "T").unwrap();
    s.create_tenant("u", "U").unwrap();
    (dir, s)
}

/// Every account's (name, arr of its one snapshot at `as_of`).
fn contents(s: &Store, tenant: &str, as_of: i32) -> Vec<(String, String, Option<f64>)> {
    let view = s.view(tenant).unwrap();
    let mut out = Vec::new();
    view.for_each_chunk_at(
        as_of,
        0,
        &Windows::all(),
        100,
        |chunk| -> Result<(), StoreError> {
            for a in chunk {
                out.push((a.id, a.attributes.name.unwrap_or_default(), a.current.arr));
            }
            Ok(())
        },
    )
    .unwrap();
    out
}

#[test]
fn a_second_ingest_of_a_tenant_is_busy_while_the_first_is_going() {
    let (_d, s) = store();
    let first = s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
    assert!(matches!(
        s.begin_ingest("t", IngestMode::AllOrNothing),
        Err(StoreError::Busy(t)) if t == "t"
    ));
    // Another tenant is not held up.
    let other = s.begin_ingest("u", IngestMode::AllOrNothing).unwrap();
    drop(other);
    drop(first);
    // Dropped (rolled back), the turn is free again.
    s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
}

#[test]
fn readers_see_an_ingest_whole_once_it_commits_and_nothing_before() {
    let (_d, s) = store();
    s.ingest(
        "t",
        &rows(0..10, 100, 1.0, "old"),
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    let mut ingest = s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
    // Batch one replaces the names of 0..10 and adds 10..20 ...
    ingest.write(&rows(0..20, 200, 2.0, "new"), vec![]).unwrap();
    // ... batch two adds 20..30.
    ingest
        .write(&rows(20..30, 200, 2.0, "new"), vec![])
        .unwrap();
    let before = s.view("t").unwrap();
    assert_eq!(before.account_count().unwrap(), 10);
    assert_eq!(
        s.account("t", "acct-00003").unwrap().name.as_deref(),
        Some("old")
    );
    assert!(before.history("acct-00003").unwrap().len() == 1);
    assert!(matches!(
        s.account("t", "acct-00015"),
        Err(StoreError::NotFound { .. })
    ));
    let report = ingest.finish().unwrap();
    assert_eq!(
        (
            report.accounts_created,
            report.accounts_updated,
            report.snapshots_added
        ),
        (20, 10, 30)
    );
    // A view taken before the commit still reads the data it started on.
    assert_eq!(before.account_count().unwrap(), 10);
    assert_eq!(
        before.account("acct-00003").unwrap().name.as_deref(),
        Some("old")
    );
    assert_eq!(before.history("acct-00003").unwrap().len(), 1);
    drop(before);
    let after = s.view("t").unwrap();
    assert_eq!(after.account_count().unwrap(), 30);
    assert_eq!(
        after.account("acct-00003").unwrap().name.as_deref(),
        Some("new")
    );
    assert_eq!(after.history("acct-00003").unwrap().len(), 2);
}

#[test]
fn a_rejected_ingest_leaves_what_was_there_and_frees_the_turn() {
    let (_d, s) = store();
    s.ingest(
        "t",
        &rows(0..5, 100, 1.0, "old"),
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    let before = contents(&s, "t", 100);
    let mut ingest = s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
    ingest.write(&rows(0..50, 200, 2.0, "new"), vec![]).unwrap();
    // A later batch holds a bad record: the whole ingest is refused.
    let bad = RowError::record(51, Some("arr".into()), "not a number");
    ingest
        .write(&rows(50..60, 200, 2.0, "new"), vec![bad])
        .unwrap();
    let Err(StoreError::Rejected(errors)) = ingest.finish() else {
        panic!("an all-or-nothing ingest with a bad record is refused");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 51);
    assert_eq!(contents(&s, "t", 100), before);
    assert_eq!(s.account_count("t").unwrap(), 5);
    assert!(
        contents(&s, "t", 200)
            .iter()
            .all(|(_, name, arr)| name == "old" && *arr == Some(1.0))
    );
    // Nothing of it is left on disk either: the next ingest adds all 50.
    let again = s
        .ingest(
            "t",
            &rows(0..50, 200, 2.0, "new"),
            vec![],
            IngestMode::AllOrNothing,
        )
        .unwrap();
    assert_eq!(again.snapshots_added, 50);
}

#[test]
fn each_batch_is_checked_against_the_one_before_it_before_that_one_is_written() {
    let (_d, s) = store();
    s.ingest(
        "t",
        &rows(0..3, 100, 1.0, "old"),
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    // A batch is written while the next is checked: the second batch reads
    // the first from what it staged, the third and fourth read it stored.
    let mut ingest = s.begin_ingest("t", IngestMode::ValidRows).unwrap();
    ingest.write(&rows(0..3, 200, 2.0, "a"), vec![]).unwrap();
    ingest.write(&rows(0..3, 300, 3.0, "b"), vec![]).unwrap();
    ingest.write(&rows(0..3, 200, 2.0, "b"), vec![]).unwrap();
    ingest.write(&rows(0..1, 200, 9.0, "b"), vec![]).unwrap();
    let report = ingest.finish().unwrap();
    assert_eq!(
        (
            report.accounts_updated,
            report.snapshots_added,
            report.snapshots_unchanged
        ),
        (3, 6, 3),
        "each account replaced once (its value before the ingest kept for undo)"
    );
    assert_eq!(report.rejected.len(), 1);
    assert!(
        report.rejected[0]
            .reason
            .contains("is earlier in this input"),
        "{}",
        report.rejected[0].reason
    );
    let at = |day| {
        contents(&s, "t", day)
            .into_iter()
            .map(|(_, name, arr)| (name, arr))
            .collect::<Vec<_>>()
    };
    assert_eq!(at(200), vec![("b".to_string(), Some(2.0)); 3]);
    assert_eq!(at(300), vec![("b".to_string(), Some(3.0)); 3]);
}

#[test]
fn a_conflict_with_an_earlier_batch_of_the_same_ingest_says_so() {
    let (_d, s) = store();
    let mut ingest = s.begin_ingest("t", IngestMode::ValidRows).unwrap();
    ingest.write(&rows(0..3, 100, 1.0, "a"), vec![]).unwrap();
    ingest.write(&rows(0..3, 100, 9.0, "a"), vec![]).unwrap();
    let report = ingest.finish().unwrap();
    assert_eq!(report.snapshots_added, 3);
    assert_eq!(report.rejected.len(), 3);
    assert!(
        report.rejected[0]
            .reason
            .contains("is earlier in this input"),
        "{}",
        report.rejected[0].reason
    );
    // A file with no good record at all is refused whole.
    let Err(StoreError::Rejected(stored)) = s.ingest(
        "t",
        &rows(0..1, 100, 5.0, "a"),
        vec![],
        IngestMode::ValidRows,
    ) else {
        panic!("a conflicting record is refused");
    };
    assert!(
        stored[0].reason.contains("is already stored"),
        "{}",
        stored[0].reason
    );
    assert!(
        contents(&s, "t", 100)
            .iter()
            .all(|(_, _, arr)| *arr == Some(1.0))
    );
}

#[test]
fn two_threads_ingesting_the_same_accounts_never_both_write() {
    let (_d, s) = store();
    let barrier = std::sync::Barrier::new(2);
    let outcomes: Vec<Result<IngestReport, StoreError>> = std::thread::scope(|scope| {
        let jobs: Vec<_> = [1.0, 2.0]
            .into_iter()
            .map(|arr| {
                let (s, barrier) = (&s, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    // Retry while busy, as a client would on 429.
                    loop {
                        let r = s.ingest(
                            "t",
                            &rows(0..2000, 100, arr, &format!("file-{arr}")),
                            vec![],
                            IngestMode::AllOrNothing,
                        );
                        if !matches!(r, Err(StoreError::Busy(_))) {
                            break r;
                        }
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    // One ingest wrote all 2,000; the other found every snapshot conflicting.
    let won: Vec<_> = outcomes.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    let Ok(report) = won[0] else { unreachable!() };
    assert_eq!(report.snapshots_added, 2000);
    let lost = outcomes.iter().find(|r| r.is_err()).unwrap();
    let Err(StoreError::Rejected(errors)) = lost else {
        panic!("{lost:?}");
    };
    assert_eq!(errors.len(), 2000);
    // Every account has the winner's attributes and the winner's snapshot.
    let stored = contents(&s, "t", 100);
    assert_eq!(stored.len(), 2000);
    let (_, name, arr) = &stored[0];
    assert!(
        stored.iter().all(|(_, n, a)| n == name && a == arr),
        "a mix of the two files"
    );
    assert_eq!(name, &format!("file-{}", arr.unwrap()));
}

#[test]
fn a_crash_mid_ingest_is_rolled_back_at_open_and_keeps_committed_ingests() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        s.ingest(
            "t",
            &rows(0..10, 100, 1.0, "old"),
            vec![],
            IngestMode::AllOrNothing,
        )
        .unwrap();
        let mut ingest = s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
        // More than one batch: each is written while the next is checked.
        ingest
            .write(&rows(0..10_000, 200, 2.0, "new"), vec![])
            .unwrap();
        // The crash comes while this last batch is checked and staged:
        // everything before it is written, it is not.
        ingest
            .write(&rows(10_000..10_001, 200, 2.0, "new"), vec![])
            .unwrap();
        s.flush().unwrap();
        // A crash: the process ends with the ingest neither finished nor
        // dropped (a drop would roll it back).
        std::mem::forget(ingest);
    }
    let s = Store::open(dir.path()).unwrap();
    let recovery = s.recovery();
    assert_eq!(recovery.ingests.len(), 1, "{recovery:?}");
    assert_eq!(recovery.ingests[0].tenant, "t");
    // 9,990 accounts and 10,000 snapshots added, 10 accounts' names replaced.
    assert_eq!(recovery.ingests[0].records, 20_000);
    assert_eq!(
        recovery.lines(),
        vec![format!(
            "rolled back an unfinished ingest of tenant \"t\" (generation {}, 20000 record(s)): the process stopped before it was committed",
            recovery.ingests[0].generation
        )]
    );
    assert_eq!(s.account_count("t").unwrap(), 10);
    let stored = contents(&s, "t", 200);
    assert_eq!(stored.len(), 10);
    assert!(stored.iter().all(|(_, n, a)| n == "old" && *a == Some(1.0)));
    // The tenant takes ingests again, and the next open finds nothing to do.
    s.ingest(
        "t",
        &rows(0..40, 200, 2.0, "new"),
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    drop(s);
    let s = Store::open(dir.path()).unwrap();
    assert!(s.recovery().ingests.is_empty());
    assert_eq!(s.account_count("t").unwrap(), 40);
}
