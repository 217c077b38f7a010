//! Crash safety of erasures and deletions: the real CLI killed with SIGKILL
//! at points spread over `vitals account delete` and `vitals tenant
//! delete`, the store reopened after each kill. An erasure leaves the
//! account whole (every snapshot, every result, the runs' counts) or erased
//! (none of it, the counts without it, one audit record); a deletion leaves
//! the tenant whole or gone with nothing of it left, and a component another
//! tenant uses stays. The kill points come from a fixed seed (printed).

use crate::crash::{Lcg, kill_after, vitals_day};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vitals::store::{AuditAction, RunStatus, Store, StoreError};

fn cli(data: &Path, tenant: &str) -> Command {
    let mut c = crate::served::vitals(data);
    c.args(["--tenant", tenant])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn ok(data: &Path, tenant: &str, args: &[&str]) {
    let out = cli(data, tenant).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn plugin_file(dir: &Path, name: &str) -> String {
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, vitals_reference_pack::component(name).unwrap()).unwrap();
    path.display().to_string()
}

/// Runs the command `spawn` starts and SIGKILLs it at a point from a
/// tenth to nine tenths of `budget` (how long the last one that finished
/// took, start-up included, which a kill must get past to land inside the
/// writes); says whether it finished first, and after how long.
fn cut(
    rng: &mut Lcg,
    budget: &mut u64,
    spawn: impl FnOnce() -> std::process::Child,
) -> (bool, u64) {
    let after = Duration::from_millis(*budget / 10 + rng.below(*budget * 8 / 10 + 1));
    let started = Instant::now();
    let finished = kill_after(spawn(), after);
    let took = started.elapsed().as_millis() as u64;
    if finished {
        *budget = took;
    }
    (finished, took)
}

/// Every complete run holds as many results as it counts.
fn runs_agree_with_their_results(store: &Store, tenant: &str, round: usize) {
    for run in store.runs(tenant).unwrap() {
        match run.status {
            RunStatus::Complete => assert_eq!(
                store.results(tenant, run.id).unwrap().len() as u64,
                run.accounts,
                "round {round}: run {} counts what it does not hold",
                run.id
            ),
            RunStatus::Failed { .. } => {}
            RunStatus::Running => panic!("round {round}: run {} left running", run.id),
        }
    }
}

#[test]
fn sigkill_during_account_erasures_leaves_the_account_whole_or_erased() {
    const ROUNDS: usize = 10;
    const HISTORY: usize = 30_000;
    let seed = 0xe7a5_e0ff_u64;
    eprintln!("erasure crash test seed {seed:#x}");
    let mut rng = Lcg(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let t = "crash";
    ok(&data, t, &["init"]);
    ok(
        &data,
        t,
        &[
            "plugin",
            "add",
            &plugin_file(dir.path(), "weighted-health"),
            "--activate",
        ],
    );
    let mut big = String::new();
    for d in 0..HISTORY {
        big.push_str(&format!(
            "{{\"account_id\":\"big\",\"as_of\":\"{}\",\"seats_purchased\":10,\"seats_active\":{},\"logins\":{d}}}\n",
            vitals_day(1_000 + d as i32),
            d % 10
        ));
    }
    big.push_str("{\"account_id\":\"big\",\"outcome\":\"renewed\",\"outcome_date\":\"2026-01-01\",\"arr_change\":0}\n");
    let big_file = dir.path().join("big.ndjson");
    std::fs::write(&big_file, big).unwrap();
    let others: String = (0..500)
        .map(|k| format!("{{\"account_id\":\"small-{k:04}\",\"as_of\":\"2026-01-01\",\"seats_purchased\":10,\"seats_active\":{}}}\n", k % 10))
        .collect();
    let others_file = dir.path().join("others.ndjson");
    std::fs::write(&others_file, others).unwrap();
    ok(&data, t, &["ingest", others_file.to_str().unwrap()]);
    let mut run_day = 20_454;
    // Loads the account and scores it: the runs that must hold it whole.
    let mut load_big = |data: &Path| -> Vec<u64> {
        ok(data, t, &["ingest", big_file.to_str().unwrap()]);
        run_day += 1;
        ok(data, t, &["run", "--as-of", &vitals_day(run_day)]);
        let store = Store::open(&data.join("store")).unwrap();
        let runs = store.runs(t).unwrap();
        vec![runs.last().unwrap().id]
    };
    load_big(&data);
    // One undisturbed erasure, timed, to spread the kills over.
    let started = Instant::now();
    ok(&data, t, &["account", "delete", "big", "--yes"]);
    let mut budget = started.elapsed().as_millis() as u64;
    eprintln!("undisturbed erasure: {budget} ms");
    let mut erasures = 1;
    let mut with_big = load_big(&data);
    let mut kills = 0;
    for round in 0..ROUNDS {
        let (finished, took) = cut(&mut rng, &mut budget, || {
            cli(&data, t)
                .args(["account", "delete", "big", "--yes"])
                .spawn()
                .unwrap()
        });
        kills += usize::from(!finished);
        eprintln!(
            "round {round}: {} after {took} ms",
            if finished { "finished" } else { "killed" }
        );
        let store = Store::open(&data.join("store")).expect("the store opens after a kill");
        runs_agree_with_their_results(&store, t, round);
        let whole = match store.account(t, "big") {
            Ok(_) => true,
            Err(StoreError::NotFound { .. }) => false,
            Err(e) => panic!("round {round}: {e}"),
        };
        let history = store.history(t, "big").unwrap().len();
        let outcomes = store.outcomes(t, "big").unwrap().len();
        let results: Vec<bool> = with_big
            .iter()
            .map(|id| store.result(t, *id, "big").unwrap().is_some())
            .collect();
        if whole {
            assert!(
                !finished,
                "round {round}: acknowledged but the account is there"
            );
            assert_eq!(
                (history, outcomes),
                (HISTORY, 1),
                "round {round}: half erased"
            );
            assert!(
                results.iter().all(|r| *r),
                "round {round}: results half erased"
            );
        } else {
            erasures += 1;
            assert_eq!((history, outcomes), (0, 0), "round {round}: half erased");
            assert!(results.iter().all(|r| !*r), "round {round}: results left");
        }
        let logged = store
            .audit(Some(t))
            .unwrap()
            .iter()
            .filter(|r| r.action == AuditAction::AccountDeleted && r.subject == "big")
            .count();
        assert_eq!(
            logged, erasures,
            "round {round}: one audit record per erasure"
        );
        assert_eq!(store.account_count(t).unwrap(), 500 + usize::from(whole));
        drop(store);
        if !whole {
            with_big = load_big(&data);
        }
    }
    eprintln!("{kills} kills in {ROUNDS} rounds; {erasures} erasures landed");
    assert!(kills >= 3, "only {kills} of {ROUNDS} rounds were cut");
    assert!(erasures >= 3, "too few erasures landed to check them");
}

#[test]
fn sigkill_during_tenant_deletions_leaves_the_tenant_whole_or_gone() {
    const ROUNDS: usize = 6;
    const ACCOUNTS: usize = 30_000;
    let seed = 0x00de_1e7e_u64;
    eprintln!("deletion crash test seed {seed:#x}");
    let mut rng = Lcg(seed);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let shared = plugin_file(dir.path(), "weighted-health");
    let own = plugin_file(dir.path(), "lifecycle-segments");
    // A tenant that stays, sharing one component with the doomed one.
    ok(&data, "keeper", &["init"]);
    ok(&data, "keeper", &["plugin", "add", &shared, "--activate"]);
    let accounts: String = (0..ACCOUNTS)
        .map(|k| format!("{{\"account_id\":\"a-{k:05}\",\"as_of\":\"2026-01-01\",\"seats_purchased\":10,\"seats_active\":{},\"contract_arr\":1000}}\n", k % 10))
        .collect();
    let file = dir.path().join("accounts.ndjson");
    std::fs::write(&file, accounts).unwrap();
    let doomed = "doomed";
    let fill = |data: &Path| {
        ok(data, doomed, &["tenant", "create", doomed]);
        ok(data, doomed, &["ingest", file.to_str().unwrap()]);
        ok(data, doomed, &["plugin", "add", &shared, "--activate"]);
        ok(data, doomed, &["plugin", "add", &own, "--activate"]);
        ok(data, doomed, &["run", "--as-of", "2026-01-01"]);
    };
    let own_hash = vitals::runtime::content_hash(
        vitals_reference_pack::component("lifecycle-segments").unwrap(),
    );
    let shared_hash =
        vitals::runtime::content_hash(vitals_reference_pack::component("weighted-health").unwrap());
    fill(&data);
    let started = Instant::now();
    ok(&data, doomed, &["tenant", "delete", doomed, "--yes"]);
    let mut budget = started.elapsed().as_millis() as u64;
    eprintln!("undisturbed deletion: {budget} ms");
    let mut deletions = 1;
    let mut kills = 0;
    fill(&data);
    for round in 0..ROUNDS {
        let (finished, took) = cut(&mut rng, &mut budget, || {
            cli(&data, doomed)
                .args(["tenant", "delete", doomed, "--yes"])
                .spawn()
                .unwrap()
        });
        kills += usize::from(!finished);
        eprintln!(
            "round {round}: {} after {took} ms",
            if finished { "finished" } else { "killed" }
        );
        let store = Store::open(&data.join("store")).expect("the store opens after a kill");
        let whole = store.tenants().unwrap().iter().any(|x| x.id == doomed);
        if whole {
            assert!(
                !finished,
                "round {round}: acknowledged but the tenant is there"
            );
            assert_eq!(
                store.account_count(doomed).unwrap(),
                ACCOUNTS,
                "round {round}"
            );
            assert_eq!(store.plugins(doomed).unwrap().len(), 2, "round {round}");
            runs_agree_with_their_results(&store, doomed, round);
            assert!(store.component(&own_hash).is_ok(), "round {round}");
        } else {
            deletions += 1;
            assert!(matches!(
                store.tenant(doomed),
                Err(StoreError::NotFound { .. })
            ));
            assert!(
                store.component(&own_hash).is_err(),
                "round {round}: its own component left"
            );
        }
        assert!(
            store.component(&shared_hash).is_ok(),
            "round {round}: shared component removed"
        );
        assert_eq!(store.account_count("keeper").unwrap(), 0);
        assert_eq!(store.plugins("keeper").unwrap().len(), 1);
        let logged = store
            .audit(None)
            .unwrap()
            .iter()
            .filter(|r| r.action == AuditAction::TenantDeleted && r.subject == doomed)
            .count();
        assert_eq!(
            logged, deletions,
            "round {round}: one audit record per deletion"
        );
        if !whole {
            // Nothing of it is left: a tenant of the same id starts empty.
            store.create_tenant(doomed, "again").unwrap();
            assert_eq!(store.account_count(doomed).unwrap(), 0, "round {round}");
            assert!(store.runs(doomed).unwrap().is_empty(), "round {round}");
            assert!(store.plugins(doomed).unwrap().is_empty(), "round {round}");
            assert!(
                store.audit(Some(doomed)).unwrap().is_empty(),
                "round {round}"
            );
            assert!(
                store
                    .shadow_reports::<serde_json::Value>(doomed)
                    .unwrap()
                    .is_empty(),
                "round {round}"
            );
            drop(store);
            ok(&data, doomed, &["ingest", file.to_str().unwrap()]);
            ok(&data, doomed, &["plugin", "add", &shared, "--activate"]);
            ok(&data, doomed, &["plugin", "add", &own, "--activate"]);
            ok(&data, doomed, &["run", "--as-of", "2026-01-01"]);
        }
    }
    eprintln!("{kills} kills in {ROUNDS} rounds; {deletions} deletions landed");
    assert!(kills >= 2, "only {kills} of {ROUNDS} rounds were cut");
    assert!(deletions >= 3, "too few deletions landed to check them");
}
