//! Ingest as an analyst meets it in the first hour, through the real binary:
//! a dry run that writes nothing (locally and over HTTP), mappings that are
//! checked against the file and never skipped silently, the new mapping
//! keys, and messages that point at the fix.

use crate::served::{Out, Server, json_of, operator_key, tenant_with_keys, vitals};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn telco() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/telco-customer-churn.csv")
}

/// A scratch folder, a store folder in it, and the CLI over that store.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
    fn run(&self, args: &[&str]) -> Out {
        Out::of(vitals(&self.data()).args(["--tenant", "acme"]).args(args))
    }
    fn ok(&self, args: &[&str]) -> Out {
        self.run(args).success(args)
    }
    fn refused(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code, 2,
            "{args:?} must exit 2:\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }
}

/// Every file under `dir` with its bytes: equal before and after means
/// nothing was written (nor created, nor removed).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    if !dir.exists() {
        return out;
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.insert(path.clone(), Vec::new());
            out.extend(tree(&path));
        } else {
            out.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    out
}

#[test]
fn a_dry_run_shows_columns_values_counts_and_errors_and_writes_nothing() {
    let s = Scratch::new();
    let file = telco().display().to_string();
    // No store yet: the dry run reads the file alone and makes no folder.
    let out = s.ok(&["ingest", &file, "--mapping", "telco", "--dry-run"]);
    assert!(!s.data().exists(), "a dry run must not create the store");
    for needle in [
        "customerID        account_id",
        "MonthlyCharges    arr",
        "29.85->358.2, 56.95->683.4, 53.85->646.2",
        "start_date",
        "1->2025-12-01",
        "No->renewed",
        "(mapping)         as_of                     constant 2026-01-01",
        "7043 record(s): 7043 valid (7043 snapshots, 7043 outcomes), 0 rejected; an ingest would load 7043 record(s). Nothing was written.",
    ] {
        assert!(
            out.stdout.contains(needle),
            "{needle:?} not in:\n{}",
            out.stdout
        );
    }
    // Readable: one line per column target, none wider than a wide terminal.
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.len() < 40, "{}", out.stdout);
    let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 140, "{widest} columns wide:\n{}", out.stdout);
    // --json is the report itself.
    let json = s
        .ok(&["--json", "ingest", &file, "--mapping", "telco", "--dry-run"])
        .json();
    assert_eq!(json["would_load"], 7043);
    assert_eq!(json["columns"].as_array().unwrap().len(), 21);
    assert_eq!(
        json["columns"][0]["targets"][0]["samples"][0]["cell"],
        "7590-VHVEG"
    );
    // Over an existing store: not a byte changes, and the real ingest
    // afterwards finds everything new.
    s.ok(&["init"]);
    let before = tree(&s.data());
    let bad = s.write(
        "bad.csv",
        "account_id,as_of,nps\na,2026-01-01,9\nb,2026-01-01,11\n",
    );
    let out = s.refused(&["ingest", &bad, "--dry-run"]);
    assert!(out.stdout.contains("line 3, column nps"), "{}", out.stdout);
    assert!(out.stdout.contains("11->(refused)"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("an ingest would be refused: 1 bad record(s)"),
        "{}",
        out.stderr
    );
    let rejects = s.dir.path().join("rejects.csv");
    let rejects = rejects.to_str().unwrap();
    let out = s.ok(&["--json", "ingest", &bad, "--dry-run", "--rejects", rejects]);
    assert_eq!(out.json()["would_load"], 1);
    assert!(
        !Path::new(rejects).exists(),
        "a dry run writes no rejects file"
    );
    s.ok(&["ingest", &file, "--mapping", "telco", "--dry-run"]);
    assert_eq!(
        tree(&s.data()),
        before,
        "a dry run changed the store folder"
    );
    let report = s
        .ok(&["--json", "ingest", &file, "--mapping", "telco"])
        .json();
    assert_eq!(report["accounts_created"], 7043);
}

#[test]
fn a_dry_run_over_http_answers_the_same_report_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, _) = tenant_with_keys(&s, &op, "acme");
    let file = telco().display().to_string();
    let out = s.cli(
        &admin,
        &["--json", "ingest", &file, "--mapping", "telco", "--dry-run"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let via_cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    let local = Scratch::new();
    let locally = local
        .ok(&["--json", "ingest", &file, "--mapping", "telco", "--dry-run"])
        .json();
    assert_eq!(via_cli, locally, "the same report locally and over HTTP");
    // The route itself, with its query parameter.
    let (status, body) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?dry_run=true&mapping=telco&format=csv",
            Some(&admin),
        )
        .body(std::fs::read(telco()).unwrap())
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["records"].as_u64(), body["would_load"].as_u64()),
        (Some(7043), Some(7043))
    );
    assert_eq!(body["mode"], "all-or-nothing");
    let (_, summary) = json_of(
        s.call(
            Method::GET,
            "/v1/tenants/acme/accounts/7590-VHVEG",
            Some(&admin),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(
        summary["code"], "not-found",
        "nothing was written: {summary}"
    );
    // A refused file: the report, not an error, with what is wrong.
    let (status, body) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?dry_run=true&format=csv",
            Some(&admin),
        )
        .body(std::fs::read(telco()).unwrap())
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["whole_file_error"], true);
    let reason = body["errors"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("\"customerID\" looks like the account id"),
        "{reason}"
    );
    let out = s.cli(&admin, &["--json", "ingest", &file, "--mapping", "telco"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["accounts_created"], 7043,
        "the dry runs wrote nothing"
    );
    s.stop();
}

#[test]
fn mapping_columns_the_file_lacks_are_refused_never_skipped() {
    let s = Scratch::new();
    s.ok(&["init"]);
    let file = s.write(
        "crm.csv",
        "Customer,Snapshot,Tenure in Months,Region,Segment\nacme,2026-01-01,14,EU,smb\n",
    );
    let mapping = s.write(
        "crm.json",
        r#"{"columns": {"Customer": "account_id", "Snapshot": "as_of",
            "Tenure In Months": "metric:tenure-months"}}"#,
    );
    let out = s.refused(&["ingest", &file, "--mapping", &mapping]);
    assert!(
        out.stderr.contains(
            "column Tenure In Months: the mapping's columns name \"Tenure In Months\", which is not a column of the input; did you mean \"Tenure in Months\"?"
        ),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("--rejects FILE"),
        "no use here: {}",
        out.stderr
    );
    assert!(out.stderr.contains("--dry-run"), "{}", out.stderr);
    // The same with --rejects: a mapping mistake is never a bad record.
    let rejects = s.dir.path().join("r.csv");
    s.refused(&[
        "ingest",
        &file,
        "--mapping",
        &mapping,
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert_eq!(
        s.run(&["account", "show", "acme"]).code,
        2,
        "nothing loaded"
    );
    // unmapped: error lists every unmapped column at once.
    let strict = s.write(
        "strict.json",
        r#"{"columns": {"Customer": "account_id", "Snapshot": "as_of",
            "Tenure in Months": "metric:tenure-months"}, "unmapped": "error"}"#,
    );
    let out = s.refused(&["ingest", &file, "--mapping", &strict]);
    for column in ["column Region:", "column Segment:"] {
        assert!(
            out.stderr.contains(column),
            "{column} not in {}",
            out.stderr
        );
    }
}

#[test]
fn the_new_mapping_keys_load_locally_and_over_http() {
    let csv = "Customer,Snapshot,Years,Plan,Seats\n\
               acme,2026-01-01,2,Gold,NA\n\
               beta,2026-01-01,1.5,Basic,?\n";
    let mapping = r#"{
        "columns": {"Customer": "account_id", "Snapshot": "as_of", "Seats": "seats_purchased",
            "Plan": ["label:plan-name", {"target": "metric:premium", "values": {"Gold": "1", "Basic": "0"}}]},
        "missing": ["NA", "?"],
        "years_before_as_of": {"start_date": "Years"},
        "unmapped": "error"
    }"#;
    let check = |acme: &Value, beta: &Value| {
        assert_eq!(
            acme["attributes"]["start_date"], "2024-01-01",
            "2024-01-01: {acme}"
        );
        assert_eq!(
            beta["attributes"]["start_date"], "2024-07-01",
            "2024-07-01: {beta}"
        );
        let labels = acme["attributes"]["labels"].to_string();
        assert!(
            labels.contains("plan-name") && labels.contains("Gold"),
            "{labels}"
        );
        let metrics = acme["history"][0]["metrics"].to_string();
        assert!(
            metrics.contains("premium") && metrics.contains("1.0"),
            "{metrics}"
        );
        assert!(
            acme["history"][0]["seats_purchased"].is_null(),
            "NA is missing: {acme}"
        );
    };
    let s = Scratch::new();
    s.ok(&["init"]);
    let file = s.write("crm.csv", csv);
    let map = s.write("crm.json", mapping);
    s.ok(&["ingest", &file, "--mapping", &map]);
    let show = |id: &str| s.ok(&["--json", "account", "show", id]).json();
    check(&show("acme"), &show("beta"));
    // Over HTTP, the mapping travels in its header.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let server = Server::start(&data);
    let (admin, _) = tenant_with_keys(&server, &op, "acme");
    let out = server.cli(&admin, &["ingest", &file, "--mapping", &map]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let show = |id: &str| {
        let out = server.cli(&admin, &["--json", "account", "show", id]);
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    check(&show("acme"), &show("beta"));
    server.stop();
    // A broken mapping file is refused naming the key, before any reading.
    for (text, needle) in [
        (r#"{"missing": "NA"}"#, "missing: invalid type"),
        (
            r#"{"years_before_as_of": {"start_date": 3}}"#,
            "years_before_as_of.start_date: invalid type",
        ),
        (
            r#"{"columns": {"Plan": [{"target": "metric:p", "value": {}}]}}"#,
            "columns.Plan[0].value: unknown field `value`",
        ),
        (r#"{"missng": []}"#, "unknown field `missng`"),
    ] {
        let bad = s.write("bad-map.json", text);
        let out = s.refused(&["ingest", &file, "--mapping", &bad]);
        assert!(
            out.stderr.contains(needle),
            "{needle:?} not in {}",
            out.stderr
        );
    }
}

#[test]
fn messages_point_at_the_fix() {
    let s = Scratch::new();
    let file = telco().display().to_string();
    // A mistyped built-in mapping, and a store that does not exist: the
    // failed ingest leaves no folder behind.
    let out = s.refused(&["ingest", &file, "--mapping", "telcoo"]);
    assert!(
        out.stderr
            .contains("hint: did you mean `--mapping telco` (built in)?"),
        "{}",
        out.stderr
    );
    let out = s.refused(&["ingest", &file, "--mapping", "telco"]);
    assert!(out.stderr.contains("no store in"), "{}", out.stderr);
    assert!(out.stderr.contains("vitals init"), "{}", out.stderr);
    assert!(
        !s.data().exists(),
        "a failed ingest must not create the store"
    );
    s.ok(&["init"]);
    // No account_id: the likely column, from the real file's header.
    let out = s.refused(&["ingest", &file]);
    assert!(
        out.stderr
            .contains("\"customerID\" looks like the account id"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("--rejects FILE"), "{}", out.stderr);
    // A scaled negative cell: quoted as written, its target named.
    let monthly = s.write("monthly.csv", "customerID,MonthlyCharges\nok,10\nneg,-4\n");
    let map = s.write(
        "monthly.json",
        r#"{"columns": {"customerID": "account_id", "MonthlyCharges": "arr"},
            "scale": {"arr": 12}, "constants": {"as_of": "2026-01-01"}}"#,
    );
    let out = s.refused(&["ingest", &monthly, "--mapping", &map]);
    assert!(
        out.stderr.contains(
            "line 3, column MonthlyCharges: arr: \"-4\" (x12 = -48) must not be negative"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pass --rejects FILE"), "{}", out.stderr);
    // With --rejects and no valid record, --rejects is not suggested again.
    let all_bad = s.write("allbad.csv", "customerID,MonthlyCharges\nneg,-4\n");
    let rejects = s.dir.path().join("r.csv");
    let out = s.refused(&[
        "ingest",
        &all_bad,
        "--mapping",
        &map,
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(!out.stderr.contains("pass --rejects"), "{}", out.stderr);
    assert!(out.stderr.contains("was not written"), "{}", out.stderr);
    // Over HTTP, a mistyped built-in mapping name is answered with the near one.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let server = Server::start(&data);
    let (admin, _) = tenant_with_keys(&server, &op, "acme");
    let (status, body) = json_of(
        server
            .call(
                Method::POST,
                "/v1/tenants/acme/ingest?mapping=telcoo&format=csv",
                Some(&admin),
            )
            .body("customerID\nx\n")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("did you mean \"telco\"?"),
        "{body}"
    );
    let (status, body) = json_of(
        server
            .call(
                Method::POST,
                "/v1/tenants/acme/ingest?format=csv",
                Some(&admin),
            )
            .body(std::fs::read(telco()).unwrap())
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid-file")),
        "{body}"
    );
    server.stop();
}
