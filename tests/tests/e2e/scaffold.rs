//! `vitals plugin new`, `test` and `build` as an analyst uses them: a plugin
//! scaffolded in each language (outside the repository), its own unit tests
//! run, built into a component, added and run over a store through the real
//! binary. The Python and JavaScript toolchains are the ones the build script
//! installed; a Rust plugin compiles against the SDK by path, into a target
//! folder kept between test runs.

use crate::served::{Out, vitals};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Three accounts: 9 of 10 seats active, 2 of 10, and blank seats.
const FIXTURE: &str = "\
account_id,as_of,name,renewal_date,contract_arr,seats_purchased,seats_active
busy,2026-01-01,Busy Co,2026-03-01,1000,10,9
quiet,2026-01-01,Quiet Co,2026-03-01,2000,10,2
blank,2026-01-01,Blank Co,2026-03-01,,,
";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    /// A folder with a store holding the fixture accounts.
    fn new() -> Self {
        let ws = Workspace {
            dir: tempfile::tempdir().unwrap(),
        };
        ws.ok(&["init"]);
        let csv = ws.path("fixture.csv");
        std::fs::write(&csv, FIXTURE).unwrap();
        ws.ok(&["ingest", &csv.display().to_string()]);
        ws
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Out {
        Out::of(
            vitals(&self.path("data"))
                .current_dir(self.dir.path())
                .args(args)
                .env("VITALS_TOOLCHAINS", vitals_e2e::TOOLCHAINS)
                .env(
                    "CARGO_TARGET_DIR",
                    Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-rust"),
                ),
        )
    }

    fn ok(&self, args: &[&str]) -> Out {
        self.run(args).success(args)
    }

    /// Scaffolds, tests, builds, adds and runs a plugin; returns its results
    /// by account.
    fn scaffold_and_run(&self, lang: &str, kind: &str, name: &str) -> Vec<(String, Value)> {
        let dir = self.path(name).display().to_string();
        self.ok(&["plugin", "new", "--lang", lang, kind, name, "--dir", &dir]);
        let tested = self.ok(&["plugin", "test", &dir]);
        assert!(
            tested
                .stdout
                .contains(&format!("the tests of {name} passed")),
            "{}",
            tested.stdout
        );
        let built = self.ok(&["plugin", "build", &dir]);
        assert!(
            built
                .stdout
                .starts_with(&format!("built {name} 0.1.0 ({lang} {kind})")),
            "{}",
            built.stdout
        );
        let wasm = self
            .path(name)
            .join("build")
            .join(format!("{}.wasm", name.replace('-', "_")));
        self.ok(&["plugin", "add", &wasm.display().to_string(), "--activate"]);
        let runs: Value = serde_json::from_str(
            &self
                .ok(&["--json", "run", "--as-of", "2026-01-01", "--plugin", name])
                .stdout,
        )
        .unwrap();
        let run = &runs[0];
        assert_eq!(run["status"]["state"], "complete", "{run}");
        let id = run["id"].to_string();
        let results: Value =
            serde_json::from_str(&self.ok(&["--json", "results", "--run", &id]).stdout).unwrap();
        results
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["account"].as_str().unwrap().to_string(), r.clone()))
            .collect()
    }
}

fn by_account<'a>(results: &'a [(String, Value)], id: &str) -> &'a Value {
    &results.iter().find(|(a, _)| a == id).unwrap().1
}

#[test]
fn a_scaffolded_python_health_model_is_tested_built_added_and_run() {
    let ws = Workspace::new();
    let results = ws.scaffold_and_run("python", "health-model", "my-health");
    let busy = by_account(&results, "busy");
    assert_eq!(busy["output"]["score"], 90.0, "{busy}");
    assert_eq!(busy["output"]["band"], "green");
    assert_eq!(busy["output"]["factors"][0]["name"], "licence-utilisation");
    assert_eq!(by_account(&results, "quiet")["output"]["band"], "red");
    let blank = by_account(&results, "blank");
    assert_eq!(blank["error"]["detail"]["code"], "missing-data", "{blank}");
}

#[test]
fn scaffolded_javascript_plugins_are_tested_built_added_and_run() {
    let ws = Workspace::new();
    let segments = ws.scaffold_and_run("js", "segmenter", "my-segments");
    let busy = &by_account(&segments, "busy")["output"]["segments"][0];
    assert_eq!(busy["name"], "expansion-ready");
    assert_eq!(busy["reason"], "90% of seats active (>= 80%)");
    assert_eq!(
        by_account(&segments, "quiet")["output"]["segments"],
        Value::Array(vec![])
    );
    let forecasts = ws.scaffold_and_run("js", "forecaster", "my-forecast");
    let quiet = &by_account(&forecasts, "quiet")["output"];
    assert_eq!(quiet["expected_renewal_arr"], 1800.0, "{quiet}");
    assert_eq!(quiet["confidence"], "best-case");
}

#[test]
fn a_scaffolded_rust_propensity_model_builds_outside_the_workspace_and_runs() {
    let ws = Workspace::new();
    let results = ws.scaffold_and_run("rust", "propensity-model", "my-propensity");
    let busy = &by_account(&results, "busy")["output"];
    assert!(
        (busy["score"].as_f64().unwrap() - 0.8).abs() < 1e-9,
        "{busy}"
    );
    assert_eq!(busy["drivers"][0]["name"], "licence-utilisation");
    assert_eq!(by_account(&results, "quiet")["output"]["score"], 0.0);
}

#[test]
fn authoring_mistakes_get_clear_errors() {
    let ws = Workspace::new();
    for (args, says) in [
        (
            vec!["plugin", "new", "--lang", "cobol", "segmenter", "x"],
            "unknown language \"cobol\"",
        ),
        (
            vec!["plugin", "new", "--lang", "js", "scorer", "x"],
            "unknown kind \"scorer\"",
        ),
        (
            vec!["plugin", "new", "--lang", "js", "segmenter", "My_Plugin"],
            "must be kebab-case",
        ),
        (vec!["plugin", "build", "."], "vitals-plugin.toml"),
    ] {
        let out = ws.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    // A build that fails says why, with the tool's own message.
    let dir = ws.path("broken").display().to_string();
    ws.ok(&[
        "plugin",
        "new",
        "--lang",
        "js",
        "segmenter",
        "broken",
        "--dir",
        &dir,
    ]);
    std::fs::write(ws.path("broken/src/rules.js"), "export const NAME = ;\n").unwrap();
    let out = ws.run(&["plugin", "build", &dir]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("could not build the JavaScript plugin broken"),
        "{}",
        out.stderr
    );
}
