//! Output that is safe to open, and free text that is checked, through the
//! real CLI over a real store: a formula in an account id is neutralised in
//! every CSV, an escape sequence in a name is shown escaped, tenant names
//! and key labels are refused with control characters or too long, each
//! tenant counts its own run ids, the store is private and `--out` key
//! files are 0600.

use crate::served::{Out, Server, json_of, operator_key, tenant_with_keys, vitals};
use reqwest::Method;
use serde_json::json;
use std::path::Path;

const FORMULA: &str = "=HYPERLINK(\"http://evil.example\",\"click\")";
const TITLE: &str = "\u{1b}]0;owned\u{7}Esc Co";

fn ok(data: &Path, args: &[&str]) -> Out {
    Out::of(vitals(data).args(["--tenant", "acme"]).args(args)).success(args)
}

/// A tenant with two hostile accounts and the reference pack, run once.
fn hostile_names(dir: &Path) -> (std::path::PathBuf, u64) {
    let data = dir.join("data");
    ok(&data, &["init"]);
    let lines: String = [
        json!({"account_id": FORMULA, "as_of": "2026-01-01", "name": "@SUM(A1:A9)", "contract_arr": 1000, "seats_purchased": 10, "seats_active": 9}),
        json!({"account_id": "esc", "as_of": "2026-01-01", "name": TITLE, "owner": "-2+3", "contract_arr": 1000, "seats_purchased": 10, "seats_active": 2}),
    ]
    .iter()
    .map(|v| format!("{v}\n"))
    .collect();
    let file = dir.join("hostile.ndjson");
    std::fs::write(&file, lines).unwrap();
    ok(&data, &["ingest", file.to_str().unwrap()]);
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let p = dir.join(format!("{name}.wasm"));
        std::fs::write(&p, bytes).unwrap();
        ok(&data, &["plugin", "add", p.to_str().unwrap(), "--activate"]);
    }
    let runs = ok(&data, &["--json", "run", "--as-of", "2026-01-01"]).json();
    let id = runs
        .as_array()
        .and_then(|r| r.first())
        .and_then(|r| r["id"].as_u64())
        .unwrap_or_else(|| panic!("{runs}"));
    (data, id)
}

/// No cell of a CSV text starts a formula.
fn assert_no_formula_cell(what: &str, csv: &str) {
    for line in csv.lines() {
        // Cells start after a comma or a line start, maybe inside quotes.
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '@']) && !cell.starts_with("-2+"),
                "{what}: a formula cell in {line:?}"
            );
        }
    }
}

#[test]
fn formulas_in_csv_and_escapes_on_the_terminal_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let (data, run) = hostile_names(dir.path());
    let run = run.to_string();
    let results = ok(&data, &["--csv", "results", "--run", &run]).stdout;
    assert!(results.contains("'=HYPERLINK("), "{results}");
    assert_no_formula_cell("results", &results);
    let show = ok(&data, &["--csv", "account", "show", FORMULA]).stdout;
    assert!(show.contains("'=HYPERLINK("), "{show}");
    assert_no_formula_cell("account show", &show);
    let shown = ok(&data, &["--csv", "account", "show", "esc"]).stdout;
    assert_no_formula_cell("account show", &shown);
    // The terminal gets the escape sequence spelled out, never the bytes.
    for args in [
        vec!["account", "show", "esc"],
        vec!["results", "--run", run.as_str()],
        vec!["tenant", "list"],
    ] {
        let out = ok(&data, &args).stdout;
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: raw control characters in {out:?}"
        );
    }
    let shown = ok(&data, &["account", "show", "esc"]).stdout;
    assert!(shown.contains("\\u{1b}]0;owned\\u{7}Esc Co"), "{shown}");
    // JSON keeps the exact text (escaped by JSON itself).
    let v = ok(&data, &["--json", "account", "show", "esc"]).json();
    assert_eq!(v["attributes"]["name"], TITLE);
    // The rejects file quotes the input's column names: neutralised too.
    let bad = dir.path().join("bad.ndjson");
    std::fs::write(
        &bad,
        "{\"account_id\":\"fine\",\"as_of\":\"2026-01-02\"}\n{\"account_id\":\"r1\",\"=evil()\":{\"a\":1}}\n",
    )
    .unwrap();
    let rejects = dir.path().join("rejects.csv");
    ok(
        &data,
        &[
            "ingest",
            bad.to_str().unwrap(),
            "--rejects",
            rejects.to_str().unwrap(),
        ],
    );
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(text.contains("'=evil()"), "{text}");
    assert_no_formula_cell("--rejects", &text);
}

#[test]
fn tenant_names_and_key_labels_are_checked_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    for (body, field) in [
        (json!({"id": "t1", "name": TITLE}), "name"),
        (json!({"id": "t2", "name": "n".repeat(201)}), "name"),
        (json!({"id": "t3", "name": "evil\u{202e}txt"}), "name"),
    ] {
        let (status, err) = json_of(
            s.call(Method::POST, "/v1/tenants", Some(&op))
                .json(&body)
                .send()
                .unwrap(),
        );
        assert_eq!(status, 400, "{body}: {err}");
        assert!(err["message"].as_str().unwrap().contains(field), "{err}");
    }
    let (_, tenants) = json_of(
        s.call(Method::GET, "/v1/tenants", Some(&op))
            .send()
            .unwrap(),
    );
    assert_eq!(tenants.as_array().unwrap().len(), 0, "{tenants}");
    tenant_with_keys(&s, &op, "acme");
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/keys", Some(&op))
            .json(&json!({"role": "viewer", "label": "ci\u{1b}[2J"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{err}");
    assert!(
        err["message"].as_str().unwrap().starts_with("label:"),
        "{err}"
    );
    s.stop();
    // The CLI on the local store refuses the same, exit code 2.
    let out = Out::of(vitals(&data).args(["tenant", "create", "t4", "--name", TITLE]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("name") && !out.stderr.contains('\u{1b}'),
        "{}",
        out.stderr
    );
}

#[test]
fn run_and_shadow_ids_count_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let mut admins = Vec::new();
    for t in ["acme", "demo"] {
        let (admin, _) = tenant_with_keys(&s, &op, t);
        crate::served::install_pack(&s, &admin, t);
        let (status, r) = json_of(
            s.call(Method::POST, &format!("/v1/tenants/{t}/ingest"), Some(&admin))
                .header("content-type", "application/x-ndjson")
                .body("{\"account_id\":\"a1\",\"as_of\":\"2026-01-01\",\"seats_purchased\":10,\"seats_active\":5}\n")
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{r}");
        admins.push((t, admin));
    }
    // Interleaved runs: each tenant sees its own 1, 2, 3... whatever the other did.
    let mut seen: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
    for round in 0..2 {
        for (t, admin) in &admins {
            if *t == "demo" && round == 1 {
                continue;
            }
            let (status, runs) = json_of(
                s.call(Method::POST, &format!("/v1/tenants/{t}/runs"), Some(admin))
                    .json(&json!({"as_of": "2026-01-01"}))
                    .send()
                    .unwrap(),
            );
            assert_eq!(status, 201, "{runs}");
            for r in runs.as_array().unwrap() {
                seen.entry(t).or_default().push(r["id"].as_u64().unwrap());
            }
        }
    }
    let acme = &seen["acme"];
    let demo = &seen["demo"];
    assert_eq!(
        *acme,
        (1..=acme.len() as u64).collect::<Vec<_>>(),
        "{seen:?}"
    );
    assert_eq!(
        *demo,
        (1..=demo.len() as u64).collect::<Vec<_>>(),
        "{seen:?}"
    );
    // Shadow runs likewise: acme, demo, acme give acme 1, 2 and demo 1.
    let mut shadows: std::collections::BTreeMap<&str, Vec<u64>> = Default::default();
    for i in [0, 1, 0] {
        let (t, admin) = &admins[i];
        let (status, report) = json_of(
            s.call(
                Method::POST,
                &format!("/v1/tenants/{t}/shadow-runs"),
                Some(admin),
            )
            .json(&json!({"plugin": "weighted-health", "version": "0.1.0"}))
            .send()
            .unwrap(),
        );
        assert!((200..300).contains(&status), "{report}");
        shadows
            .entry(t)
            .or_default()
            .push(report["id"].as_u64().unwrap());
    }
    assert_eq!(shadows["acme"], vec![1, 2], "{shadows:?}");
    assert_eq!(shadows["demo"], vec![1], "{shadows:?}");
    s.stop();
}

#[cfg(unix)]
#[test]
fn the_store_is_private_and_key_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = dir.path().join("op.key");
    let out = Out::of(vitals(&data).args(["key", "operator", "--out", key.to_str().unwrap()]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "the key went to stdout too: {}",
        out.stdout
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600);
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(secret.starts_with("vk_"), "{secret}");
    // Never over an existing file.
    let again = Out::of(vitals(&data).args(["key", "operator", "--out", key.to_str().unwrap()]));
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), secret);
    // The key works.
    let s = Server::start(&data);
    let (status, who) = json_of(
        s.call(Method::GET, "/v1/whoami", Some(secret.trim()))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{who}");
    s.stop();
    assert_eq!(mode(&data), 0o700);
    let store = data.join("store");
    assert_eq!(mode(&store), 0o700);
    for e in std::fs::read_dir(&store).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
        }
    }
}
