//! Undoing mistakes through the real binary: `vitals account delete` erases
//! an account's attributes, snapshots, outcomes and results (runs count what
//! is left, pages and the dashboard follow), `vitals tenant delete` removes
//! a whole tenant, and the audit logs keep that it happened, locally and
//! over HTTP (`DELETE` routes, `GET .../audit`), with the keys each needs.
//! A reader polling during an erasure sees the account whole or not at all.

use crate::cli::{Cli, FIXTURE, setup_with_pack};
use crate::served::{Server, install_pack, json_of, local, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use vitals::store::Store;

/// The public id of a key `vk_ID_SECRET`, as the audit log names it.
fn key_id(key: &str) -> String {
    format!("key {}", key.split('_').nth(1).unwrap())
}

#[test]
fn account_delete_erases_the_account_everywhere_and_the_audit_log_keeps_that_it_happened() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    // Without --yes (and no terminal to ask on): refused, nothing erased.
    let refused = cli.run(&["account", "delete", "struggling"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("was not deleted") && refused.stderr.contains("--yes"),
        "{}",
        refused.stderr
    );
    cli.ok(&["account", "show", "struggling"]);
    // An unknown account: exit 2, named, with a hint.
    let unknown = cli.run(&["account", "delete", "strugling", "--yes"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("account \"strugling\" not found")
            && unknown.stderr.contains("hint:"),
        "{}",
        unknown.stderr
    );
    let runs = cli.ok(&["--json", "results"]).json();
    let run_ids: Vec<u64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    let erased = cli
        .ok(&["--json", "account", "delete", "struggling", "--yes"])
        .json();
    assert_eq!(
        erased,
        json!({"account": "struggling", "snapshots": 1, "outcomes": 0, "results": 4,
               "runs": run_ids, "shadow_rows": 0}),
    );
    let shown = cli.run(&["account", "show", "struggling"]);
    assert_eq!(shown.code, 2, "{}", shown.stderr);
    assert!(shown.stderr.contains("not found"), "{}", shown.stderr);
    // Every run counts what is left, and its pages hold only that.
    for r in cli.ok(&["--json", "results"]).json().as_array().unwrap() {
        assert_eq!(
            (r["accounts"].as_u64(), r["ok"].as_u64()),
            (Some(2), Some(2)),
            "{r}"
        );
        let id = r["id"].as_u64().unwrap().to_string();
        let rows = cli.ok(&["--json", "results", "--run", &id]).json();
        let accounts: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["account"].as_str().unwrap())
            .collect();
        assert_eq!(accounts, ["middling", "thriving"]);
        let first = cli
            .ok(&["--json", "results", "--run", &id, "--limit", "1"])
            .json();
        assert_eq!(first[0]["account"], "middling");
    }
    let summary = cli.ok(&["--json", "summary"]).json();
    assert_eq!(
        summary["health"]["now"],
        json!({"green": 1, "yellow": 1, "red": 0}),
        "{summary}"
    );
    // The audit log: that it happened, by whom, what it erased; CSV too.
    let log = cli.ok(&["--json", "audit"]).json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (&log[0]["action"], &log[0]["subject"], &log[0]["by"]),
        (
            &json!("account-deleted"),
            &json!("struggling"),
            &json!("local")
        )
    );
    assert!(
        log[0]["detail"].as_str().unwrap().contains("1 snapshot(s)"),
        "{}",
        log[0]
    );
    assert!(log[0]["at"].as_str().unwrap().ends_with('Z'));
    let csv = cli.ok(&["--csv", "audit"]).stdout;
    assert!(
        csv.starts_with("at,by,action,subject,detail\n")
            && csv.contains(",local,account-deleted,struggling,"),
        "{csv}"
    );
    let operator = cli.ok(&["--json", "audit", "--operator"]).json();
    assert_eq!(operator[0]["action"], "tenant-created");
    assert_eq!(operator[0]["subject"], "acme");
    // The account can be loaded again, as a new one.
    let again = cli
        .ok(&[
            "--json",
            "ingest",
            &cli.path("fixture.csv").display().to_string(),
        ])
        .json();
    assert_eq!(again["accounts_created"], 1, "{again}");
    // A human answer says what was erased.
    let said = cli.ok(&["account", "delete", "struggling", "--yes"]).stdout;
    assert!(
        said.contains("Erased account struggling") && said.contains("1 snapshot(s)"),
        "{said}"
    );
}

#[test]
fn tenant_delete_removes_the_tenant_and_only_it() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["tenant", "create", "other"]);
    let other_file = cli.write("other.csv", FIXTURE.as_bytes());
    crate::served::Out::of(
        crate::served::vitals(&cli.path("data"))
            .args(["--tenant", "other", "ingest"])
            .arg(&other_file),
    )
    .success(&["--tenant", "other", "ingest"]);
    let refused = cli.run(&["tenant", "delete", "acme"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let deleted = cli
        .ok(&["--json", "tenant", "delete", "acme", "--yes"])
        .json();
    assert_eq!(
        (
            &deleted["accounts"],
            &deleted["snapshots"],
            &deleted["plugins"],
            &deleted["components"]
        ),
        (&json!(3), &json!(3), &json!(4), &json!(4)),
        "{deleted}"
    );
    let missing = cli.run(&["results"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("tenant \"acme\" not found"),
        "{}",
        missing.stderr
    );
    let tenants = cli.ok(&["--json", "tenant", "list"]).json();
    let ids: Vec<&str> = tenants
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["other"]);
    assert_eq!(tenants[0]["accounts"], 3, "the other tenant is untouched");
    let log = cli.ok(&["--json", "audit", "--operator"]).json();
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["subject"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("tenant-created", "acme"),
            ("tenant-created", "other"),
            ("tenant-deleted", "acme")
        ]
    );
    // The id is free: a new tenant of it has nothing of the old one.
    cli.ok(&["tenant", "create", "acme"]);
    assert_eq!(cli.ok(&["--json", "results"]).json(), json!([]));
    assert_eq!(cli.ok(&["--json", "plugin", "list"]).json(), json!([]));
    assert_eq!(cli.ok(&["--json", "audit"]).json(), json!([]));
    let gone = cli.run(&["account", "show", "thriving"]);
    assert_eq!(gone.code, 2);
}

#[test]
fn over_http_erasure_needs_a_tenant_admin_and_tenant_deletion_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    let (other_admin, _) = tenant_with_keys(&s, &op, "globex");
    let (status, _) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?format=csv",
            Some(&admin),
        )
        .body(FIXTURE)
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200);
    install_pack(&s, &admin, "acme");
    let (status, runs) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/runs", Some(&admin))
            .json(&json!({"as_of": "2026-01-01"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{runs}");
    // The dashboard, read once, caches band counts of the health run.
    let overview = |key: &str| {
        json_of(
            s.call(
                Method::GET,
                "/v1/tenants/acme/dashboard/overview",
                Some(key),
            )
            .send()
            .unwrap(),
        )
    };
    let (status, before) = overview(&viewer);
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["now"], json!({"green": 1, "yellow": 1, "red": 1}));
    let delete = |key: &str, id: &str| {
        json_of(
            s.call(
                Method::DELETE,
                &format!("/v1/tenants/acme/accounts/{id}"),
                Some(key),
            )
            .send()
            .unwrap(),
        )
    };
    assert_eq!(delete(&viewer, "struggling").0, 403);
    assert_eq!(delete(&op, "struggling").0, 403);
    assert_eq!(
        delete(&other_admin, "struggling").0,
        404,
        "another tenant's"
    );
    let (status, err) = delete(&admin, "nobody");
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("not-found")),
        "{err}"
    );
    let (status, erased) = delete(&admin, "struggling");
    assert_eq!(status, 200, "{erased}");
    assert_eq!(
        (erased["results"].as_u64(), erased["snapshots"].as_u64()),
        (Some(4), Some(1))
    );
    let (status, _) = json_of(
        s.call(
            Method::GET,
            "/v1/tenants/acme/accounts/struggling",
            Some(&viewer),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 404);
    // The dashboard sees it at once: counts, and its health history.
    let (_, after) = overview(&viewer);
    assert_eq!(after["accounts"], 2, "{after}");
    assert_eq!(after["now"], json!({"green": 1, "yellow": 1, "red": 0}));
    let history = after["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["counts"]["red"], 0, "{after}");
    // The CLI on the server erases the same way.
    let out = s.cli(
        &admin,
        &["--json", "account", "delete", "middling", "--yes"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The tenant's audit log names the key; a viewer may read it.
    let (status, log) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/audit", Some(&viewer))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{log}");
    let entries: Vec<(&str, &str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["subject"].as_str().unwrap(),
                r["by"].as_str().unwrap(),
            )
        })
        .collect();
    let by = key_id(&admin);
    assert_eq!(
        entries,
        [
            ("account-deleted", "struggling", by.as_str()),
            ("account-deleted", "middling", by.as_str())
        ]
    );
    // Deleting a tenant: the operator's alone.
    let delete_tenant = |key: &str, t: &str| {
        json_of(
            s.call(Method::DELETE, &format!("/v1/tenants/{t}"), Some(key))
                .send()
                .unwrap(),
        )
    };
    assert_eq!(delete_tenant(&admin, "acme").0, 403);
    assert_eq!(delete_tenant(&admin, "globex").0, 404);
    let (status, plugins) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/plugins", Some(&viewer))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    let hashes: Vec<String> = plugins
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["hash"].as_str().unwrap().to_string())
        .collect();
    let (status, deleted) = delete_tenant(&op, "acme");
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(
        (deleted["accounts"].as_u64(), deleted["keys"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(delete_tenant(&op, "acme").0, 404);
    // Its keys are gone with it.
    let (status, _) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/runs", Some(&admin))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 401);
    // The operator's log, over HTTP and through the CLI.
    let (status, log) = json_of(s.call(Method::GET, "/v1/audit", Some(&op)).send().unwrap());
    assert_eq!(status, 200);
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (&last["action"], &last["subject"], &last["by"]),
        (
            &json!("tenant-deleted"),
            &json!("acme"),
            &json!(key_id(&op))
        )
    );
    assert_eq!(
        json_of(
            s.call(Method::GET, "/v1/audit", Some(&other_admin))
                .send()
                .unwrap()
        )
        .0,
        403
    );
    let out = s.cli(&op, &["--json", "audit", "--operator"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listed.as_array().unwrap().len(),
        log.as_array().unwrap().len()
    );
    let out = s.cli(&op, &["--json", "tenant", "delete", "globex", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = s.cli(&other_admin, &["tenant", "list"]);
    assert!(!out.status.success(), "globex's key went with it");
    s.stop();
    // On disk: nothing of acme, and its components (no one else had them).
    let store = Store::open(&data.join("store")).unwrap();
    assert!(store.tenant("acme").is_err());
    assert!(store.tenants().unwrap().is_empty());
    for hash in hashes {
        assert!(store.component(&hash).is_err(), "component {hash} left");
    }
}

/// One account with `n` daily snapshots, as NDJSON.
fn long_history(id: &str, n: usize) -> String {
    (0..n)
        .map(|d| {
            format!(
                "{{\"account_id\":\"{id}\",\"as_of\":\"{}\",\"seats_purchased\":10,\"seats_active\":{},\"contract_arr\":5000}}\n",
                crate::crash::vitals_day(10_000 + d as i32),
                d % 10
            )
        })
        .collect()
}

#[test]
fn a_reader_polling_during_an_erasure_sees_the_account_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    local(&data, &["init"]);
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    const N: usize = 20_000;
    let mut body = long_history("big", N);
    for k in 0..100 {
        body.push_str(&format!(
            "{{\"account_id\":\"small-{k:03}\",\"as_of\":\"2026-01-01\",\"seats_purchased\":10,\"seats_active\":5}}\n"
        ));
    }
    let (status, report) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/ingest", Some(&admin))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{report}");
    install_pack(&s, &admin, "acme");
    let (status, runs) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/runs", Some(&admin))
            .json(&json!({"as_of": "2026-01-01"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{runs}");
    let health = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["plugin"] == "weighted-health")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let (seen, partial) = std::thread::scope(|scope| {
        let poller = scope.spawn(|| {
            let (mut seen, mut partial) = (Vec::new(), Vec::new());
            let started = Instant::now();
            while !done.load(std::sync::atomic::Ordering::SeqCst)
                && started.elapsed() < Duration::from_secs(120)
            {
                let (status, a) = json_of(
                    s.call(Method::GET, "/v1/tenants/acme/accounts/big", Some(&viewer))
                        .send()
                        .unwrap(),
                );
                let whole = status == 200
                    && a["history"].as_array().unwrap().len() == N
                    && a["results"].as_array().unwrap().len() == 4;
                if !(whole || status == 404) {
                    partial.push(format!("account: {status}"));
                }
                let (status, page) = json_of(
                    s.call(
                        Method::GET,
                        &format!("/v1/tenants/acme/runs/{health}/results?limit=1000"),
                        Some(&viewer),
                    )
                    .send()
                    .unwrap(),
                );
                assert_eq!(status, 200, "{page}");
                let rows = page["results"].as_array().unwrap();
                let has_big = rows.iter().any(|r| r["account"] == "big");
                if page["total"].as_u64() != Some(rows.len() as u64)
                    || has_big != (rows.len() == 101)
                {
                    partial.push(format!("page: total {} rows {}", page["total"], rows.len()));
                }
                seen.push(whole);
            }
            (seen, partial)
        });
        std::thread::sleep(Duration::from_millis(200));
        let (status, erased) = json_of(
            s.call(
                Method::DELETE,
                "/v1/tenants/acme/accounts/big",
                Some(&admin),
            )
            .send()
            .unwrap(),
        );
        assert_eq!(status, 200, "{erased}");
        assert_eq!(erased["snapshots"], N);
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        poller.join().unwrap()
    });
    eprintln!("{} polls around the erasure", seen.len());
    assert!(partial.is_empty(), "half an erasure seen: {partial:?}");
    assert!(seen.iter().any(|w| *w), "the poller saw the account before");
    let (status, _) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/accounts/big", Some(&viewer))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
    s.stop();
}
