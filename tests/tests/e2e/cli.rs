//! The `vitals` command line as a user runs it: a real process over a real
//! sled store in a temporary folder, real components from source. Every
//! command is a fresh process, so each one also proves a restart reads back
//! what the previous one acknowledged.

use crate::served::{Out, vitals};
use std::path::{Path, PathBuf};

pub(crate) struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    pub(crate) fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    pub(crate) fn run(&self, args: &[&str]) -> Out {
        self.run_as("acme", args)
    }

    pub(crate) fn run_as(&self, tenant: &str, args: &[&str]) -> Out {
        Out::of(
            vitals(&self.path("data"))
                .args(["--tenant", tenant])
                .args(args),
        )
    }

    pub(crate) fn ok(&self, args: &[&str]) -> Out {
        self.run(args).success(args)
    }

    fn plugin_file(&self, name: &str, bytes: &[u8]) -> String {
        self.write(&format!("{name}.wasm"), bytes)
            .display()
            .to_string()
    }
}

/// Three accounts whose bands are known: thriving (Green), middling
/// (Yellow, about 62), struggling (Red); contracts 100k, 50k, 20k, all
/// renewing inside 90 days of 2026-01-01.
pub(crate) const FIXTURE: &str = "\
account_id,as_of,name,owner,start_date,renewal_date,contract_arr,seats_purchased,seats_active,logins,features_used,features_available,tickets_open,tickets_high_severity,nps,csat,champion_left,late_payments,webinars_attended,community_posts
thriving,2026-01-01,Thriving Co,ana,2023-01-01,2026-02-01,100000,100,110,2000,15,20,0,0,10,98,false,0,4,6
middling,2026-01-01,Middling Co,ben,2023-01-01,2026-02-15,50000,100,60,,,,,,7,,,,,
struggling,2026-01-01,Struggling Co,ben,2023-01-01,2026-03-01,20000,100,10,5,1,20,10,4,1,20,true,3,0,0
";

pub(crate) fn setup_with_pack(cli: &Cli) {
    cli.ok(&["init"]);
    cli.ok(&[
        "ingest",
        &cli.write("fixture.csv", FIXTURE.as_bytes())
            .display()
            .to_string(),
    ]);
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        cli.ok(&["plugin", "add", &cli.plugin_file(name, bytes), "--activate"]);
    }
}

#[test]
fn forecast_figures_match_hand_computed_values() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    let runs = cli.ok(&["--json", "run", "--as-of", "2026-01-01"]).json();
    assert_eq!(runs.as_array().unwrap().len(), 4);
    assert!(
        runs.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"]["state"] == "complete" && r["ok"] == 3),
        "{runs}"
    );
    let f = cli.ok(&["--json", "forecast", "--days", "90"]).json();
    // Green 0.95 x 100k + Yellow 0.70 x 50k + Red 0.20 x 20k.
    assert_eq!(f["renewals_due"], 3);
    assert_eq!(f["arr_due"], 170_000.0);
    let close = |key: &str, want: f64| {
        let got = f[key].as_f64().unwrap();
        assert!((got - want).abs() < 1e-6, "{key}: {got} != {want}");
    };
    close("expected_renewal_arr", 134_000.0);
    close("expected_churn_arr", 36_000.0);
    // 10 seats over the 100 bought, at 1,000 a seat, x 0.95.
    close("expected_expansion_arr", 9_500.0);
    // Struggling uses 10 % of its seats: 0.20 x 20k x 0.9 unused x 0.5.
    close("expected_contraction_arr", 1_800.0);
    close("grr", (170_000.0 - 1_800.0 - 36_000.0) / 170_000.0);
    close(
        "nrr",
        (170_000.0 + 9_500.0 - 1_800.0 - 36_000.0) / 170_000.0,
    );
    // The forecaster alone at the same instant reads the health scored then.
    cli.ok(&[
        "run",
        "--as-of",
        "2026-01-01",
        "--plugin",
        "renewal-forecast",
    ]);
    let again = cli.ok(&["--json", "forecast", "--days", "90"]).json();
    assert_eq!(
        again["expected_renewal_arr"], f["expected_renewal_arr"],
        "{again}"
    );
    // A period that holds only the first renewal.
    let f = cli
        .ok(&["--json", "forecast", "--from", "2026-01-15", "--days", "20"])
        .json();
    assert_eq!(
        (
            f["renewals_due"].as_u64(),
            f["expected_renewal_arr"].as_f64()
        ),
        (Some(1), Some(95_000.0))
    );
}

#[test]
fn results_and_account_show_trace_scores_to_runs_after_a_restart() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    let runs = cli.ok(&["--json", "results"]).json();
    let health = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["plugin"] == "weighted-health")
        .unwrap();
    let id = health["id"].as_u64().unwrap().to_string();
    let results = cli.ok(&["--json", "results", "--run", &id]).json();
    let bands: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["output"]["band"].as_str().unwrap())
        .collect();
    // Accounts come back in id order: middling, struggling, thriving.
    assert_eq!(bands, ["yellow", "red", "green"]);
    let shown = cli.ok(&["--json", "account", "show", "struggling"]).json();
    assert_eq!(shown["attributes"]["owner"], "ben");
    assert_eq!(shown["history"].as_array().unwrap().len(), 1);
    let traced = shown["results"].as_array().unwrap();
    assert_eq!(traced.len(), 4);
    assert!(
        traced
            .iter()
            .all(|r| r["plugin_hash"].as_str().unwrap().len() == 64)
    );
    let table = cli.ok(&["account", "show", "struggling"]).stdout;
    assert!(
        table.contains("Why") && table.contains("tickets-high-severity"),
        "{table}"
    );
    let summary = cli.ok(&["summary"]).stdout;
    assert!(
        summary.contains("Red") && summary.contains("at-risk"),
        "{summary}"
    );
}

#[test]
fn bad_input_is_refused_with_line_and_column_and_nothing_is_written() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    let bad = "account_id,as_of,nps,seats_active\nok-1,2026-01-01,9,4\nbad-1,2026-02-30,9,4\nbad-2,2026-01-01,11,4\nbad-3,2026-01-01,8,-2\n";
    let out = cli.run(&[
        "ingest",
        &cli.write("bad.csv", bad.as_bytes()).display().to_string(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    for needle in [
        "line 3",
        "as_of",
        "line 4",
        "nps",
        "line 5",
        "seats_active",
        "nothing was loaded",
    ] {
        assert!(
            out.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            out.stderr
        );
    }
    let tenants = cli.ok(&["--json", "tenant", "list"]).stdout;
    assert!(
        cli.run(&["account", "show", "ok-1"]).code == 2,
        "nothing may be written: {tenants}"
    );
    // With --rejects the valid row loads and the others are set aside.
    let rejects = cli.path("rejects.csv");
    let out = cli.ok(&[
        "ingest",
        &cli.path("bad.csv").display().to_string(),
        "--rejects",
        &rejects.display().to_string(),
    ]);
    assert!(
        out.stdout.contains("3 record(s) rejected"),
        "{}",
        out.stdout
    );
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(written.lines().count(), 4, "{written}");
    cli.ok(&["account", "show", "ok-1"]);
    // A file with no usable header loads nothing, even with --rejects.
    let headless = cli
        .write("headless.csv", b"nps,as_of\n9,2026-01-01\n")
        .display()
        .to_string();
    let out = cli.run(&[
        "ingest",
        &headless,
        "--rejects",
        &rejects.display().to_string(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stdout);
}

#[test]
fn reingest_is_a_no_op_and_a_conflict_is_reported() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    let file = cli
        .write("a.csv", b"account_id,as_of,logins\na,2026-01-01,10\n")
        .display()
        .to_string();
    cli.ok(&["ingest", &file]);
    let again = cli.ok(&["--json", "ingest", &file]).json();
    assert_eq!(
        (
            again["snapshots_added"].as_u64(),
            again["snapshots_unchanged"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let conflict = cli
        .write("b.csv", b"account_id,as_of,logins\na,2026-01-01,11\n")
        .display()
        .to_string();
    let out = cli.run(&["ingest", &conflict]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("append-only"), "{}", out.stderr);
    let history = cli.ok(&["--json", "account", "show", "a"]).json();
    assert_eq!(history["history"][0]["logins"], 10, "never overwritten");
}

#[test]
fn plugins_are_validated_versioned_configured_and_rolled_back() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    // Not a component, and a hostile world: refused with a typed reason.
    let junk = cli
        .write("junk.wasm", b"\0asm garbage")
        .display()
        .to_string();
    let out = cli.run(&["plugin", "add", &junk]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("not a WebAssembly component"),
        "{}",
        out.stderr
    );
    // Configuration is checked against the schema.
    let out = cli.run(&[
        "plugin",
        "config",
        "weighted-health",
        "--set",
        r#"{"red_below": "high"}"#,
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("red_below"), "{}", out.stderr);
    cli.ok(&[
        "plugin",
        "config",
        "weighted-health",
        "--set",
        r#"{"red_below": 65}"#,
    ]);
    assert!(
        cli.ok(&["plugin", "config", "weighted-health"])
            .stdout
            .contains("65")
    );
    // A new version, activated, then rolled back.
    let v2 = cli.plugin_file("v2", vitals_e2e::WEIGHTED_HEALTH_V2);
    cli.ok(&["plugin", "add", &v2, "--activate"]);
    let list = cli.ok(&["--json", "plugin", "list"]).json();
    let active: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| (p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    assert!(active.contains(&("weighted-health", "0.2.0")), "{active:?}");
    cli.ok(&[
        "run",
        "--as-of",
        "2026-01-01",
        "--plugin",
        "weighted-health",
    ]);
    let shown = cli
        .ok(&["--json", "plugin", "show", "weighted-health"])
        .json();
    assert_eq!(shown["plugin"]["version"], "0.2.0");
    assert!(
        cli.ok(&["plugin", "rollback", "weighted-health"])
            .stdout
            .contains("0.1.0")
    );
    let out = cli.run(&["plugin", "rollback", "weighted-health"]);
    assert_eq!(out.code, 2, "no earlier version left");
    // Re-adding the same bytes is a no-op.
    cli.ok(&["plugin", "add", &v2]);
}

#[test]
fn the_telco_sample_loads_through_its_mapping() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    let telco =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/telco-customer-churn.csv");
    let report = cli
        .ok(&[
            "--json",
            "ingest",
            &telco.display().to_string(),
            "--mapping",
            "telco",
        ])
        .json();
    assert_eq!(report["snapshots_added"], 7043);
    assert_eq!(report["accounts_created"], 7043);
    assert_eq!(report["outcomes_added"], 7043);
    let a = cli.ok(&["--json", "account", "show", "7590-VHVEG"]).json();
    assert_eq!(
        a["attributes"]["start_date"], "2025-12-01",
        "tenure 1 month before 2026-01-01: {a}"
    );
    assert_eq!(a["outcomes"][0]["kind"], "renewed");
}

#[test]
fn errors_have_distinct_exit_codes_and_hints() {
    let cli = Cli::new();
    let out = cli.run(&["summary"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("tenant \"acme\" not found") && out.stderr.contains("hint:"),
        "{}",
        out.stderr
    );
    let out = cli.run(&["run", "--as-of", "yesterday"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--as-of"), "{}", out.stderr);
    cli.ok(&["init"]);
    let out = cli.run(&["run"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no active plugin"), "{}", out.stderr);
}

#[test]
fn the_demo_runs_into_its_own_tenant() {
    let cli = Cli::new();
    // `--tenant acme` (as every command here): a new tenant, the demo's own.
    let out = cli.ok(&["demo", "--accounts", "300"]);
    assert!(
        out.stdout.contains("Health as of 2026-11-24"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Renewals due"), "{}", out.stdout);
    let out = cli.run_as("acme", &["--json", "results"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let runs = out.json();
    assert_eq!(
        runs.as_array().unwrap().len(),
        16,
        "4 plugins x 4 quarter ends"
    );
}

#[test]
fn the_operator_sets_limits_in_a_file_and_per_tenant_never_above() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    // Per tenant: lower is applied, higher is capped at the operator's.
    let capped = cli
        .ok(&[
            "--json",
            "tenant",
            "limits",
            "acme",
            "--set",
            r#"{"fuel": 99999999999999}"#,
        ])
        .json();
    assert_eq!(capped["fuel"], 2_000_000_000u64);
    cli.ok(&["tenant", "limits", "acme", "--set", r#"{"fuel": 1000}"#]);
    // Every account stopped by the limit: the run is recorded, and the
    // command fails saying why.
    let starved = cli.run(&[
        "--json",
        "run",
        "--as-of",
        "2026-01-01",
        "--plugin",
        "weighted-health",
    ]);
    assert_eq!(starved.code, 1, "{}", starved.stderr);
    assert!(
        starved.stderr.contains("fuel exhausted")
            && starved.stderr.contains("vitals tenant limits"),
        "{}",
        starved.stderr
    );
    let runs = starved.json();
    let errors = &runs[0]["errors"];
    assert_eq!(runs[0]["ok"], 0, "{runs}");
    assert!(errors["fuel-exhausted"].as_u64().unwrap() >= 1, "{errors}");
    let out = cli.run(&["tenant", "limits", "acme", "--set", r#"{"fuell": 1}"#]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("fuell"), "{}", out.stderr);
    cli.ok(&["tenant", "limits", "acme", "--clear"]);
    // The configuration file: with almost no fuel even `metadata` cannot answer.
    let config = cli
        .write("vitals.toml", b"[limits]\nfuel = 1000\n")
        .display()
        .to_string();
    let wasm = cli.plugin_file(
        "seat",
        vitals_reference_pack::component("seat-expansion").unwrap(),
    );
    let out = cli.run(&["--config", &config, "plugin", "add", &wasm]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("fuel exhausted"), "{}", out.stderr);
    let bad = cli
        .write("bad.toml", b"[limits]\nfuel = \"lots\"\n")
        .display()
        .to_string();
    let out = cli.run(&["--config", &bad, "plugin", "add", &wasm]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("fuel"), "{}", out.stderr);
}

#[test]
fn a_plugins_log_is_kept_with_its_run_within_bounds() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&[
        "plugin",
        "add",
        &cli.plugin_file("hostile", vitals_e2e::HOSTILE_HEALTH),
        "--activate",
    ]);
    cli.ok(&[
        "plugin",
        "config",
        "hostile-health",
        "--set",
        r#"{"mode": "log-flood"}"#,
    ]);
    let runs = cli
        .ok(&[
            "--json",
            "run",
            "--as-of",
            "2026-01-01",
            "--plugin",
            "hostile-health",
        ])
        .json();
    let run = &runs[0];
    assert_eq!(run["ok"], 3, "{run}");
    let log = run["log"].as_array().unwrap();
    assert_eq!(log.len(), 500, "kept up to the run's bound");
    assert!(
        log[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("flood line"),
        "{}",
        log[0]
    );
    assert!(run["log_dropped"].as_u64().unwrap() > 1_000_000);
    let table = cli.ok(&["results", "--run", &run["id"].to_string()]).stdout;
    assert!(table.contains("Plugin log (500 lines kept"), "{table}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly_and_a_failed_write_is_an_error() {
    let cli = Cli::new();
    setup_with_pack(&cli);
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    let runs = cli.ok(&["--json", "results"]).json();
    let run = runs[0]["id"].as_u64().unwrap().to_string();
    let commands: [&[&str]; 5] = [
        &["results"],
        &["--json", "results", "--run", &run],
        &["--csv", "results", "--run", &run],
        &["summary"],
        &["account", "show", "struggling"],
    ];
    let run_into = |args: &[&str], stdout: std::process::Stdio| {
        let out = vitals(&cli.path("data"))
            .args(["--tenant", "acme"])
            .args(args)
            .stdout(stdout)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for args in commands {
        // `vitals ... | head`: the reader has gone before the first line.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (code, stderr) = run_into(args, writer.into());
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} said: {stderr}");

        // A write that fails (a full disk) is said, with exit code 1.
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (code, stderr) = run_into(args, full.into());
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("could not write the output") && !stderr.contains("panicked"),
            "{args:?} said: {stderr}"
        );
    }
}
