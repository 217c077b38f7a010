//! An analyst's first hour (issue #16), the parts about runs and output:
//! a run where every account failed is said plainly and fails the command,
//! summaries say which runs they read and pass over failed ones, runs can
//! be discarded for the record, and every command gives JSON or CSV when
//! asked or refuses the flag, with ISO dates and kebab-case names.

use crate::cli::{Cli, setup_with_pack};

/// A weighted-health configuration whose only measure no account has.
const NOTHING_MEASURED: &str = r#"{"measures": [{"measure": "no-such-metric", "group": "usage", "weight": 1, "worst": 0, "best": 1}]}"#;

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("CSV").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn a_run_where_every_account_failed_fails_plainly_and_summaries_pass_it_over() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    cli.ok(&[
        "plugin",
        "config",
        "weighted-health",
        "--set",
        NOTHING_MEASURED,
    ]);
    // Today's run of the health model alone: every account fails.
    let failed = cli.run(&["run", "--plugin", "weighted-health"]);
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    assert!(
        failed
            .stderr
            .contains("weighted-health 0.1.0 (run 5): every account failed (3 of 3)")
            && failed
                .stderr
                .contains("none of the configured measures has a value")
            && failed.stderr.contains("hint:")
            && failed
                .stderr
                .contains("vitals plugin config weighted-health"),
        "{}",
        failed.stderr
    );
    // The summary reads the good run of 2026-01-01 and says it passed over
    // today's, instead of showing it as the latest.
    let s = cli.ok(&["--json", "summary"]).json();
    let health = s["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "health-model")
        .unwrap();
    assert_eq!(health["run"], 1, "{s}");
    assert_eq!(health["as_of"], "2026-01-01");
    assert_eq!(s["health"]["run"], 1);
    assert_eq!(s["passed_over"][0]["run"], 5, "{s}");
    assert!(
        s["passed_over"][0]["why"]
            .as_str()
            .unwrap()
            .starts_with("every account failed (3 of 3"),
        "{s}"
    );
    let table = cli.ok(&["summary"]).stdout;
    assert!(
        table.contains("health      run 1 (weighted-health 0.1.0, as of 2026-01-01)")
            && table.contains("passed over: run 5 (weighted-health 0.1.0"),
        "{table}"
    );
    // Discarded, it stays listed for the record and is no longer mentioned.
    let discarded = cli
        .ok(&[
            "--json",
            "run",
            "discard",
            "5",
            "--reason",
            "wrong configuration",
        ])
        .json();
    assert_eq!(discarded["discarded"]["by"], "local");
    assert_eq!(discarded["discarded"]["reason"], "wrong configuration");
    let runs = cli.ok(&["--json", "results"]).json();
    assert_eq!(runs.as_array().unwrap().len(), 5);
    assert!(cli.ok(&["results"]).stdout.contains("discarded by local"));
    let s = cli.ok(&["--json", "summary"]).json();
    assert_eq!(s["passed_over"], serde_json::json!([]), "{s}");
    assert_eq!(s["health"]["run"], 1);
    let again = cli.run(&["run", "discard", "5"]);
    assert_eq!(again.code, 2);
    assert!(
        again
            .stderr
            .contains("run 5 was already discarded by local"),
        "{}",
        again.stderr
    );
    let missing = cli.run(&["run", "discard", "99"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("run \"99\" not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_summary_reads_the_runs_asked_for_by_date_or_id() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2025-10-01"]);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    let latest = cli.ok(&["--json", "summary"]).json();
    assert_eq!(latest["health"]["run"], 5);
    assert_eq!(latest["runs"][0]["compared_with"], 1);
    let earlier = cli
        .ok(&["--json", "summary", "--as-of", "2025-12-31"])
        .json();
    assert_eq!(earlier["health"]["run"], 1);
    assert_eq!(earlier["runs"].as_array().unwrap().len(), 4);
    // Run 2 is the first segmenter run: it is read for segments only.
    let mixed = cli.ok(&["--json", "summary", "--run", "2"]).json();
    let read: Vec<(String, u64)> = mixed["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                r["run"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(read.contains(&("segmenter".to_string(), 2)), "{read:?}");
    assert!(read.contains(&("health-model".to_string(), 5)), "{read:?}");
    let none = cli
        .ok(&["--json", "summary", "--as-of", "2024-01-01"])
        .json();
    assert_eq!(none["runs"], serde_json::json!([]));
    assert!(
        cli.ok(&["summary", "--as-of", "2024-01-01"])
            .stdout
            .contains("No run to summarise yet")
    );
    for (args, says) in [
        (vec!["summary", "--run", "99"], "run 99 does not exist"),
        (
            vec!["summary", "--run", "1", "--run", "5"],
            "both health-model runs",
        ),
        (vec!["summary", "--as-of", "2026-13-01"], "--as-of"),
        (
            vec!["summary", "--run", "5", "--run", "5"],
            "--run: run 5 is named twice",
        ),
        (vec!["summary", "--run", "x5"], "'x5' for '--run <RUNS>'"),
    ] {
        let out = cli.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn every_command_gives_json_or_csv_when_asked_or_refuses_the_flag() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    let ran = cli.ok(&["--csv", "run", "--as-of", "2026-01-01"]);
    let rows = csv_rows(&ran.stdout);
    assert_eq!(rows[0][0], "run");
    assert_eq!(
        rows.len(),
        5,
        "pure CSV on stdout, the timing on stderr: {}",
        ran.stdout
    );
    assert!(ran.stderr.contains(" s)"), "{}", ran.stderr);
    // Refused, with what to use instead, before anything runs.
    for (args, flag) in [
        (vec!["--csv", "summary"], "csv"),
        (vec!["--csv", "plugin", "show", "weighted-health"], "csv"),
        (vec!["--csv", "backtest", "--cutoff", "2026-01-01"], "csv"),
        (vec!["--json", "serve"], "json"),
        (
            vec![
                "--json",
                "plugin",
                "new",
                "--lang",
                "rust",
                "health-model",
                "x",
            ],
            "json",
        ),
    ] {
        let out = cli.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stdout);
        assert!(
            out.stderr.contains(&format!("does not print {flag}")) && out.stderr.contains("hint:"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let summary = cli.run(&["--csv", "summary"]);
    assert!(summary.stderr.contains("--json"), "{}", summary.stderr);
    // A page of results: CSV alone on stdout, the count on stderr.
    let page = cli.ok(&["--csv", "results", "--run", "1", "--limit", "1"]);
    assert_eq!(csv_rows(&page.stdout).len(), 2, "{}", page.stdout);
    assert!(page.stderr.contains("(1 of 3 accounts"), "{}", page.stderr);
    // The forecast as one CSV row.
    let forecast = csv_rows(&cli.ok(&["--csv", "forecast", "--days", "90"]).stdout);
    assert_eq!(forecast.len(), 2);
    assert_eq!(forecast[0][0], "from");
    assert_eq!(forecast[1][2], "3", "{forecast:?}");
    // An account's snapshots, a column per measure, imported ones too.
    let shown = csv_rows(&cli.ok(&["--csv", "account", "show", "thriving"]).stdout);
    assert_eq!(shown[0][..2], ["account", "as_of"]);
    assert!(
        shown[0].contains(&"webinars-attended".to_string()),
        "{shown:?}"
    );
    assert_eq!(shown[1][..2], ["thriving", "2026-01-01"]);
    let score = cli.ok(&[
        "--csv",
        "account",
        "score",
        "thriving",
        "--as-of",
        "2026-01-01",
    ]);
    assert_eq!(csv_rows(&score.stdout)[0][0], "plugin");
    assert!(score.stderr.contains("scored as of 2026-01-01"));
    // JSON where the command used to print text.
    let init = cli.ok(&["--json", "init"]).json();
    assert_eq!(init["created"], false);
    assert_eq!(init["tenant"], "acme");
}

#[test]
fn json_has_iso_dates_and_kebab_case_names_and_account_show_shows_every_measure() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&[
        "ingest",
        &cli.write(
            "labels.csv",
            b"account_id,as_of,region,onboarding_progress\nthriving,2025-12-01,emea,80\n",
        )
        .display()
        .to_string(),
    ]);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    let runs = cli.ok(&["--json", "results"]).json();
    assert_eq!(runs[0]["kind"], "health-model");
    assert_eq!(runs[0]["as_of"], "2026-01-01");
    let results = cli.ok(&["--json", "results", "--run", "1"]).json();
    assert_eq!(results[0]["output"]["band"], "yellow", "{results}");
    let forecasts = cli.ok(&["--json", "results", "--run", "4"]).json();
    assert!(
        forecasts.as_array().unwrap().iter().all(|r| {
            let d = r["output"]["renewal_date"].as_str().unwrap();
            d.len() == 10 && d.starts_with("2026-")
        }),
        "{forecasts}"
    );
    let a = cli.ok(&["--json", "account", "show", "thriving"]).json();
    assert_eq!(a["attributes"]["start_date"], "2023-01-01");
    assert_eq!(a["history"][0]["as_of"], "2025-12-01");
    assert_eq!(a["history"][1]["as_of"], "2026-01-01");
    assert_eq!(a["results"][0]["kind"], "health-model");
    let table = cli.ok(&["account", "show", "thriving"]).stdout;
    assert!(
        table.contains("labels: region emea")
            && table.contains("webinars-attended")
            && table.contains("onboarding-progress"),
        "{table}"
    );
}

#[test]
fn a_forecast_with_no_renewal_in_the_period_says_so() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    // Every fixture account renews by March 2026: nothing is due in 2027.
    let text = cli
        .ok(&["forecast", "--from", "2027-01-01", "--days", "30"])
        .stdout;
    assert!(
        text.contains("no account has a renewal date from 2027-01-01 to 2027-01-30")
            && !text.contains("GRR 0.0 %"),
        "{text}"
    );
    let json = cli
        .ok(&["--json", "forecast", "--from", "2027-01-01", "--days", "30"])
        .json();
    assert_eq!(json["renewals_due"], 0);
    assert_eq!(json["grr"], serde_json::Value::Null);
    assert_eq!(json["nrr"], serde_json::Value::Null);
}

#[test]
fn over_http_a_run_is_discarded_in_the_keys_name_and_a_summary_reads_the_runs_asked_for() {
    use crate::served::{Server, install_pack, operator_key, tenant_with_keys};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    install_pack(&s, &admin, "acme");
    let fixture = dir.path().join("fixture.csv");
    std::fs::write(&fixture, crate::cli::FIXTURE).unwrap();
    let cli = |key: &str, args: &[&str]| {
        let out = s.cli(key, args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = cli(&admin, &["ingest", &fixture.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    for as_of in ["2025-10-01", "2026-01-01"] {
        let (code, _, err) = cli(&admin, &["run", "--as-of", as_of]);
        assert_eq!(code, 0, "{err}");
    }
    // A viewer reads; only an admin discards.
    let (code, _, err) = cli(&viewer, &["run", "discard", "5"]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = cli(
        &admin,
        &["--json", "run", "discard", "5", "--reason", "trial"],
    );
    assert_eq!(code, 0, "{err}");
    let run: serde_json::Value = serde_json::from_str(&out).unwrap();
    let by = run["discarded"]["by"].as_str().unwrap();
    assert!(by.starts_with("key ") && admin.contains(&by[4..]), "{by}");
    let (code, out, err) = cli(&viewer, &["--json", "summary"]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        summary["health"]["run"], 1,
        "the discarded run 5 is not read: {summary}"
    );
    let (code, out, err) = cli(&viewer, &["--json", "summary", "--run", "6"]);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        summary["runs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "segmenter" && r["run"] == 6),
        "{summary}"
    );
    let (code, _, err) = cli(&viewer, &["summary", "--run", "5"]);
    assert_eq!(code, 2);
    assert!(err.contains("run 5 was discarded"), "{err}");

    // The query form stays `runs=1,6`, read into typed run ids at the edge;
    // a bad item is a 400 naming the parameter and the item.
    let summary = |query: &str, tenant: &str, key: &str| {
        crate::served::json_of(
            s.call(
                reqwest::Method::GET,
                &format!("/v1/tenants/{tenant}/summary?{query}"),
                Some(key),
            )
            .send()
            .unwrap(),
        )
    };
    let (status, both) = summary("runs=1,6", "acme", &viewer);
    assert_eq!(status, 200, "{both}");
    let read: Vec<(&str, u64)> = both["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["run"].as_u64().unwrap()))
        .collect();
    assert!(read.contains(&("health-model", 1)), "{read:?}");
    assert!(read.contains(&("segmenter", 6)), "{read:?}");
    for (query, says) in [
        ("runs=1,x6", r#"runs: "x6" is not a run id"#),
        ("runs=1,-6", r#"runs: "-6" is not a run id"#),
        ("runs=6,6", "runs: run 6 is named twice"),
    ] {
        let (status, body) = summary(query, "acme", &viewer);
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["code"], "bad-request", "{query}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{query}: {message}");
    }
    // The OpenAPI description says the query form.
    let (_, doc) = crate::served::json_of(
        s.call(reqwest::Method::GET, "/openapi.json", None)
            .send()
            .unwrap(),
    );
    let params = doc["paths"]["/v1/tenants/{tenant}/summary"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let runs = params.iter().find(|p| p["name"] == "runs").unwrap();
    assert_eq!(runs["in"], "query", "{runs}");
    assert_eq!(runs["required"], false, "{runs}");
    assert_eq!(runs["example"], "3,5", "{runs}");
    assert!(
        runs["description"]
            .as_str()
            .unwrap()
            .contains("comma-separated"),
        "{runs}"
    );
    // Run ids are each tenant's own: acme's run 6 is no run of a tenant
    // that has run nothing.
    let (other_admin, _) = tenant_with_keys(&s, &op, "globex");
    let (status, body) = summary("runs=6", "globex", &other_admin);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["about"], "runs", "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("run 6 does not exist"),
        "{body}"
    );
}

#[test]
fn results_page_by_cursor_and_stream_whole_runs() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    // Accounts in id order: middling, struggling, thriving.
    let first = cli.ok(&["--json", "results", "--run", "1", "--limit", "1"]);
    assert_eq!(first.json()[0]["account"], "middling");
    assert!(
        first.stderr.contains("--after middling"),
        "{}",
        first.stderr
    );
    let second = cli
        .ok(&[
            "--json", "results", "--run", "1", "--limit", "1", "--after", "middling",
        ])
        .json();
    assert_eq!(second[0]["account"], "struggling");
    let last = cli.ok(&[
        "--json",
        "results",
        "--run",
        "1",
        "--limit",
        "5",
        "--after",
        "struggling",
    ]);
    assert_eq!(last.json().as_array().unwrap().len(), 1);
    assert!(
        !last.stderr.contains("--after"),
        "no next page: {}",
        last.stderr
    );
    // Whole runs: NDJSON a line per account, CSV with one header.
    let ndjson = cli.ok(&["--json", "results", "--run", "1", "--all"]).stdout;
    let lines: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["account"], "thriving");
    let csv = csv_rows(&cli.ok(&["--csv", "results", "--run", "1", "--all"]).stdout);
    assert_eq!(csv.len(), 4);
    assert_eq!(csv[0], ["account", "value", "detail"]);
    let table = cli.run(&["results", "--run", "1", "--all"]);
    assert_eq!(table.code, 2);
    assert!(
        table.stderr.contains("--all streams NDJSON or CSV"),
        "{}",
        table.stderr
    );
}
