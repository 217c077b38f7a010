//! Erasing an account and deleting a tenant on a temporary sled: nothing of
//! either is left (raw keys checked), runs count what is left, readers from
//! before an erasure see the account whole, a crash on either side of the
//! commit leaves the account whole or erased, a deletion cut short is
//! finished at open, and the audit logs keep that it happened.

use super::keys::{self, Kind};
use super::*;
use crate::contract::ContractVersion::V0_2;
use crate::contract::{Attributes, PluginKind, PluginMetadata, Snapshot};
use crate::contract::{Output, PluginError};
use crate::model::{IngestRow, Outcome, OutcomeKind};
use serde::{Deserialize, Serialize};

/// A stored report listing accounts, as a shadow-run report does.
#[derive(Serialize, Deserialize)]
struct Report {
    rows: Vec<String>,
    total: usize,
}

impl NamesAccounts for Report {
    fn forget_account(&mut self, account: &str) -> usize {
        let before = self.rows.len();
        self.rows.retain(|r| r != account);
        before - self.rows.len()
    }
}

fn row(id: &str, as_of: i32, outcome: bool) -> IngestRow {
    IngestRow {
        line: 1,
        account_id: id.into(),
        attributes: Attributes {
            name: Some(format!("{id} Inc")),
            ..Attributes::empty()
        },
        snapshot: Some(Snapshot {
            logins: Some(as_of as u32),
            ..Snapshot::empty(as_of)
        }),
        outcome: outcome.then_some(Outcome {
            date: as_of,
            kind: OutcomeKind::Renewed,
            arr_change: 0.0,
        }),
    }
}

fn meta(name: &str) -> PluginMetadata {
    PluginMetadata {
        name: name.into(),
        version: "1.0.0".into(),
        kind: PluginKind::HealthModel,
        description: "d".into(),
        config_schema: "{}".into(),
        reads: vec![],
    }
}

fn health(score: f64) -> Result<Output, PluginError> {
    Ok(Output::Health(crate::contract::Health {
        score,
        band: crate::contract::Band::Green,
        factors: vec![],
    }))
}

/// A complete run of `tenant` with a result (an error for `failing`) for
/// every account of `ids`.
fn run_over(s: &Store, tenant: &str, hash: &str, ids: &[&str], failing: &str) -> u64 {
    let p = s
        .add_plugin(tenant, hash, b"component", &meta("p"), V0_2)
        .unwrap();
    let mut run = s.start_run(tenant, &p, "{}", 300).unwrap();
    let results: Vec<_> = ids
        .iter()
        .map(|id| {
            let r = if *id == failing {
                Err(PluginError::BadOutput("nan".into()))
            } else {
                health(50.0)
            };
            (id.to_string(), r)
        })
        .collect();
    s.write_results(&mut run, &results, 0, vec![], 0).unwrap();
    s.complete_run(&mut run).unwrap();
    run.id
}

/// Tenant `t`: accounts a, b (two snapshots and an outcome), c; run 1 over
/// a, b (an error), c; run 2 over b and c; a report naming b twice.
fn setup() -> (tempfile::TempDir, Store, [u64; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    s.create_tenant("t", "T").unwrap();
    let rows = [
        row("a", 10, false),
        row("b", 10, true),
        row("b", 20, false),
        row("c", 10, false),
    ];
    s.ingest("t", &rows, vec![], IngestMode::AllOrNothing)
        .unwrap();
    let runs = [
        run_over(&s, "t", "h1", &["a", "b", "c"], "b"),
        run_over(&s, "t", "h1", &["b", "c"], ""),
    ];
    s.put_shadow_report("t", |_| Report {
        rows: vec!["a".into(), "b".into(), "b".into()],
        total: 3,
    })
    .unwrap();
    (dir, s, runs)
}

/// Every data record of an account on disk, tombstones included.
fn raw_records(s: &Store, tenant: &str, account: &str) -> usize {
    let mut n = usize::from(s.data.contains_key(keys::account(tenant, account)).unwrap());
    for kind in [Kind::Snapshot, Kind::Outcome] {
        n += s
            .data
            .scan_prefix(keys::account_prefix(tenant, kind, account))
            .count();
    }
    n
}

/// Undo log entries of a tenant on disk.
fn undo_entries(s: &Store, tenant: &str) -> usize {
    s.data.scan_prefix(undo::undo_logs_of(tenant)).count()
}

#[test]
fn an_erased_account_leaves_no_record_and_runs_count_what_is_left() {
    let (_d, s, [r1, r2]) = setup();
    let erased = s.erase_account::<Report>("t", "b", "key k1").unwrap();
    assert_eq!(
        erased,
        AccountErased {
            account: "b".into(),
            snapshots: 2,
            outcomes: 1,
            results: 2,
            runs: vec![r1, r2],
            shadow_rows: 2,
        }
    );
    assert!(matches!(
        s.account("t", "b"),
        Err(StoreError::NotFound {
            what: "account",
            ..
        })
    ));
    assert!(s.history("t", "b").unwrap().is_empty());
    assert!(s.outcomes("t", "b").unwrap().is_empty());
    assert_eq!(s.account_count("t").unwrap(), 2);
    assert_eq!((raw_records(&s, "t", "b"), undo_entries(&s, "t")), (0, 0));
    // The others are untouched.
    assert_eq!(s.history("t", "a").unwrap().len(), 1);
    assert_eq!(raw_records(&s, "t", "c"), 2);
    // Run 1 lost an error, run 2 a result; counts say what is left.
    let one = s.run("t", r1).unwrap();
    assert_eq!((one.accounts, one.ok, one.errors.len()), (2, 2, 0));
    let two = s.run("t", r2).unwrap();
    assert_eq!((two.accounts, two.ok), (1, 1));
    let ids = |run| -> Vec<String> {
        s.results("t", run)
            .unwrap()
            .into_iter()
            .map(|r| r.account_id)
            .collect()
    };
    assert_eq!(ids(r1), ["a", "c"]);
    assert_eq!(ids(r2), ["c"], "the block is under its new first account");
    assert_eq!(s.result("t", r2, "b").unwrap(), None);
    assert_eq!(s.result("t", r2, "c").unwrap(), Some(health(50.0)));
    assert_eq!(s.results_page("t", r1, 1, 5).unwrap()[0].account_id, "c");
    let report: Vec<Report> = s.shadow_reports("t").unwrap();
    assert_eq!(
        (report[0].rows.clone(), report[0].total),
        (vec!["a".into()], 3)
    );
    // The audit log keeps that it happened, and the id; nothing else.
    let log = s.audit(Some("t")).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].action, log[0].subject.as_str(), log[0].by.as_str()),
        (AuditAction::AccountDeleted, "b", "key k1")
    );
    assert!(log[0].detail.contains("2 snapshot(s)"), "{}", log[0].detail);
    // Erased is not found again, and a refusal is not logged.
    assert!(matches!(
        s.erase_account::<Report>("t", "b", "local"),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.erase_account::<Report>("t", "nobody", "local"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.audit(Some("t")).unwrap().len(), 1);
    // The account can come back: as new.
    let again = s
        .ingest(
            "t",
            &[row("b", 30, false)],
            vec![],
            IngestMode::AllOrNothing,
        )
        .unwrap();
    assert_eq!((again.accounts_created, again.snapshots_added), (1, 1));
    assert_eq!(s.history("t", "b").unwrap().len(), 1);
}

#[test]
fn a_reader_from_before_an_erasure_sees_the_account_whole_and_ingests_wait_for_it() {
    let (_d, s, _) = setup();
    let before = s.view("t").unwrap();
    s.erase_account::<Report>("t", "b", "local").unwrap();
    assert_eq!(before.account("b").unwrap().name.as_deref(), Some("b Inc"));
    assert_eq!(before.history("b").unwrap().len(), 2);
    assert_eq!(before.outcomes("b").unwrap().len(), 1);
    assert_eq!(before.account_count().unwrap(), 3);
    let after = s.view("t").unwrap();
    assert!(after.account("b").is_err());
    assert_eq!(after.account_count().unwrap(), 2);
    drop(after);
    // Its tombstones stay while that reader reads: an ingest must wait.
    assert!(raw_records(&s, "t", "b") > 0);
    assert!(matches!(
        s.begin_ingest("t", IngestMode::AllOrNothing),
        Err(StoreError::Retry(m)) if m.contains("erased an account")
    ));
    drop(before);
    let ingest = s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
    assert_eq!((raw_records(&s, "t", "b"), undo_entries(&s, "t")), (0, 0));
    drop(ingest);
}

#[test]
fn no_run_is_going_during_an_erasure() {
    let (_d, s, _) = setup();
    let p = s.plugin("t", "p", Some("1.0.0")).unwrap();
    let mut run = s.start_run("t", &p, "{}", 300).unwrap();
    assert!(matches!(
        s.erase_account::<Report>("t", "b", "local"),
        Err(StoreError::Retry(m)) if m.contains(&format!("run {} ", run.id))
    ));
    assert!(matches!(
        s.delete_tenant("t", "local"),
        Err(StoreError::Retry(_))
    ));
    assert_eq!(s.history("t", "b").unwrap().len(), 2, "nothing erased");
    s.complete_run(&mut run).unwrap();
    let turn = s.erase_turn("t").unwrap();
    assert!(matches!(
        s.start_run("t", &p, "{}", 300),
        Err(StoreError::Retry(_))
    ));
    assert!(matches!(
        s.begin_ingest("t", IngestMode::AllOrNothing),
        Err(StoreError::Busy(_))
    ));
    drop(turn);
    s.start_run("t", &p, "{}", 300).unwrap();
}

#[test]
fn an_erasure_cut_before_its_commit_leaves_the_account_whole_after_a_restart() {
    let (dir, s, [r1, _]) = setup();
    {
        // What a crash leaves: tombstones written, nothing committed.
        let turn = s.erase_turn("t").unwrap();
        s.write_tombstones("t", "b", turn.generation).unwrap();
        s.flush().unwrap();
        std::mem::forget(turn);
    }
    drop(s);
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.recovery().ingests.len(), 1, "rolled back");
    assert_eq!(s.history("t", "b").unwrap().len(), 2);
    assert_eq!(s.outcomes("t", "b").unwrap().len(), 1);
    assert_eq!(s.account("t", "b").unwrap().name.as_deref(), Some("b Inc"));
    assert_eq!(s.run("t", r1).unwrap().accounts, 3);
    assert_eq!(undo_entries(&s, "t"), 0);
    assert!(s.audit(Some("t")).unwrap().is_empty());
    // And it can be erased after all.
    s.erase_account::<Report>("t", "b", "local").unwrap();
    assert_eq!(raw_records(&s, "t", "b"), 0);
}

#[test]
fn an_erasure_committed_before_its_cleanup_is_erased_and_clean_after_a_restart() {
    let (dir, s, [r1, _]) = setup();
    {
        // A reader from before keeps the tombstones and the undo log.
        let before = s.view("t").unwrap();
        s.erase_account::<Report>("t", "b", "local").unwrap();
        assert!(raw_records(&s, "t", "b") > 0 && undo_entries(&s, "t") > 0);
        std::mem::forget(before);
    }
    drop(s);
    let s = Store::open(dir.path()).unwrap();
    assert!(s.account("t", "b").is_err());
    assert_eq!((raw_records(&s, "t", "b"), undo_entries(&s, "t")), (0, 0));
    assert_eq!(s.run("t", r1).unwrap().accounts, 2);
    assert_eq!(s.audit(Some("t")).unwrap().len(), 1);
    s.ingest(
        "t",
        &[row("b", 40, false)],
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    assert_eq!(s.history("t", "b").unwrap().len(), 1);
}

/// Keys under `tenant 0` in every tree that keeps tenant records that way.
fn tenant_keys(s: &Store, tenant: &str) -> usize {
    let prefix = keys::tenant_key(tenant, &[&[]]);
    [
        &s.data,
        &s.plugin_state,
        &s.runs,
        &s.results,
        &s.shadows,
        &s.audit,
    ]
    .iter()
    .map(|t| t.scan_prefix(&prefix).count())
    .sum::<usize>()
        + undo_entries(s, tenant)
        + usize::from(s.data.contains_key(undo::committed_key(tenant)).unwrap())
}

fn key(id: &str, tenant: &str) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        tenant: Some(tenant.into()),
        role: Some(Role::Admin),
        secret_sha256: "ab".repeat(32),
        label: String::new(),
        created_ms: 1,
    }
}

#[test]
fn deleting_a_tenant_removes_every_record_of_it_and_only_its_own_components() {
    let (_d, s, _) = setup();
    s.erase_account::<Report>("t", "a", "local").unwrap();
    s.create_tenant("t-2", "T2").unwrap();
    s.ingest(
        "t-2",
        &[row("a", 10, true)],
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    run_over(&s, "t-2", "h1", &["a"], "");
    s.add_plugin("t", "h2", b"only t's", &meta("q"), V0_2)
        .unwrap();
    s.insert_key(&key("k1", "t")).unwrap();
    s.insert_key(&key("k2", "t-2")).unwrap();
    s.set_tenant_limits("t", Some(crate::contract::Limits::default()))
        .unwrap();
    let other_before = tenant_keys(&s, "t-2");
    let deleted = s.delete_tenant("t", "key op").unwrap();
    assert_eq!(
        deleted,
        TenantDeleted {
            tenant: "t".into(),
            accounts: 2,
            snapshots: 3,
            outcomes: 1,
            plugins: 2,
            components: 1,
            runs: 2,
            shadow_reports: 1,
            keys: 1,
        }
    );
    assert!(matches!(s.tenant("t"), Err(StoreError::NotFound { .. })));
    assert_eq!(tenant_keys(&s, "t"), 0);
    assert!(s.key("k1").unwrap().is_none());
    assert!(s.component("h2").is_err(), "no other tenant used it");
    assert!(s.component("h1").is_ok(), "t-2 uses it");
    assert_eq!(tenant_keys(&s, "t-2"), other_before, "t-2 untouched");
    assert!(s.key("k2").unwrap().is_some());
    assert!(s.meta.scan_prefix(b"deleting:").next().is_none());
    let log = s.audit(None).unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.action, last.subject.as_str(), last.by.as_str()),
        (AuditAction::TenantDeleted, "t", "key op")
    );
    // The id is free again, for a tenant with nothing of the old one.
    s.create_tenant("t", "T again").unwrap();
    assert_eq!(s.account_count("t").unwrap(), 0);
    assert!(s.runs("t").unwrap().is_empty());
    assert!(s.audit(Some("t")).unwrap().is_empty());
    assert_eq!(s.tenant("t").unwrap().limits, None);
    s.ingest(
        "t",
        &[row("z", 10, false)],
        vec![],
        IngestMode::AllOrNothing,
    )
    .unwrap();
    assert_eq!(s.history("t", "z").unwrap().len(), 1);
}

#[test]
fn a_deletion_cut_short_is_finished_at_the_next_open() {
    let (dir, s, _) = setup();
    s.delete_tenant("t", "local").unwrap();
    // What a crash after the mark leaves: the mark and some records.
    s.meta
        .insert(tenant_delete::deletion_key("t"), b"{}".to_vec())
        .unwrap();
    s.data
        .insert(keys::account("t", "left"), b"x".to_vec())
        .unwrap();
    s.results
        .insert(keys::tenant_key("t", &[b"x"]), b"x".to_vec())
        .unwrap();
    assert!(matches!(
        s.create_tenant("t", "T"),
        Err(StoreError::Retry(m)) if m.contains("being deleted")
    ));
    s.flush().unwrap();
    drop(s);
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(s.recovery().deletions, ["t"]);
    assert!(
        s.recovery()
            .lines()
            .iter()
            .any(|l| l.contains("finished deleting tenant \"t\""))
    );
    assert_eq!(tenant_keys(&s, "t"), 0);
    assert!(s.meta.scan_prefix(b"deleting:").next().is_none());
    s.create_tenant("t", "T").unwrap();
}

#[test]
fn discarding_a_run_is_in_the_tenants_audit_log() {
    let (_d, s, [r1, _]) = setup();
    s.discard_run("t", r1, "key k9", Some("wrong mapping"))
        .unwrap();
    assert!(s.discard_run("t", r1, "local", None).is_err());
    let log = s.audit(Some("t")).unwrap();
    assert_eq!(log.len(), 1, "a refused discard is not logged");
    assert_eq!(
        (log[0].action, log[0].subject.clone(), log[0].by.as_str()),
        (AuditAction::RunDiscarded, r1.to_string(), "key k9")
    );
    assert!(
        log[0].detail.contains("reason: wrong mapping"),
        "{}",
        log[0].detail
    );
}
