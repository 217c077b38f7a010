//! `vitals backtest` as a user runs it (a real process over a real store
//! and the reference components): figures checked against values computed
//! by hand on a small fixture (ties included), a single class refused, the
//! point-in-time guarantee, two versions and configurations side by side,
//! and the Telco figures of the README.

use crate::served::{Out, vitals};
use serde_json::Value;
use std::path::Path;

/// A fixture tenant: ten accounts scored by one metric `m` (score = m with
/// the configuration below), contract values 500 to 9,000. a0 churned before
/// the cut-off 2026-01-01; a9 churns after the 180-day horizon; a6 has no
/// outcome. Churned inside the horizon: a1, a3, a5, a8. Ties: a2/a3 (30),
/// a4/a5 (50), a7/a8 (90). Later snapshots (2026-04-01) reverse `m` for a1
/// and a7: a plugin that saw them would rank differently.
pub(crate) const FIXTURE: &str = "\
account_id,as_of,contract_arr,arr,m,outcome,outcome_date
a0,2025-11-01,500,500,5,churned,2025-12-01
a1,2026-01-01,1000,1000,10,churned,2026-03-01
a2,2026-01-01,2000,2000,30,renewed,2026-03-01
a3,2026-01-01,3000,3000,30,churned,2026-03-01
a4,2026-01-01,4000,4000,50,renewed,2026-03-01
a5,2026-01-01,5000,5000,50,churned,2026-03-01
a6,2026-01-01,6000,6000,72,,
a7,2026-01-01,7000,7000,90,renewed,2026-03-01
a8,2026-01-01,8000,8000,90,churned,2026-03-01
a9,2026-01-01,9000,9000,95,churned,2026-09-01
a1,2026-04-01,1000,1000,100,,
a7,2026-04-01,7000,7000,0,,
";

/// Score = m; Red below 40, Yellow below 70.
pub(crate) const SCORE_IS_M: &str = r#"{"red_below": 40, "yellow_below": 70, "groups": {"g": 1}, "measures": [{"measure": "m", "group": "g", "worst": 0, "best": 100}]}"#;

pub(crate) struct Store {
    pub(crate) dir: tempfile::TempDir,
}

impl Store {
    pub(crate) fn new() -> Store {
        Store {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub(crate) fn run(&self, args: &[&str]) -> Out {
        Out::of(
            vitals(&self.dir.path().join("data"))
                .args(["--tenant", "acme"])
                .args(args),
        )
    }

    /// Runs, expecting success.
    pub(crate) fn ok(&self, args: &[&str]) -> Out {
        self.run(args).success(args)
    }

    /// Runs with `--json`, expecting success.
    pub(crate) fn json(&self, args: &[&str]) -> Value {
        self.ok(&[&["--json"], args].concat()).json()
    }

    pub(crate) fn file(&self, name: &str, content: &[u8]) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p.display().to_string()
    }

    pub(crate) fn with_pack(data: &str, mapping: Option<&str>) -> Store {
        let s = Store::new();
        s.ok(&["init"]);
        let mut ingest = vec!["ingest", data];
        ingest.extend(mapping.iter().flat_map(|m| ["--mapping", m]));
        s.ok(&ingest);
        for (name, bytes) in vitals_reference_pack::COMPONENTS {
            let path = s.file(&format!("{name}.wasm"), bytes);
            s.ok(&["plugin", "add", &path, "--activate"]);
        }
        s
    }

    pub(crate) fn fixture() -> Store {
        let s = Store::new();
        let csv = s.file("fixture.csv", FIXTURE.as_bytes());
        let s = Store::with_pack(&csv, None);
        s.ok(&["plugin", "config", "weighted-health", "--set", SCORE_IS_M]);
        s
    }
}

pub(crate) fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - expected).abs() < 1e-9)
}

fn group<'a>(candidate: &'a Value, name: &str) -> &'a Value {
    candidate["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no group {name}: {candidate}"))
}

#[test]
fn health_figures_match_hand_computed_values_with_ties() {
    let s = Store::fixture();
    let r = s.json(&["backtest", "--cutoff", "2026-01-01"]);
    assert_eq!(r["read"], 10);
    assert_eq!(r["left_out_churned"], 1, "a0 churned before the cut-off");
    assert_eq!(
        (r["compared"].as_u64(), r["with_outcome"].as_u64()),
        (Some(9), Some(4))
    );
    assert_eq!(r["horizon_end"], "2026-06-30");
    let c = &r["candidates"][0];
    assert_eq!(c["label"], "weighted-health 0.1.0");
    // Churner vs non-churner pairs where the churner has the lower m (ties
    // one half): a1 5, a3 4.5, a5 3.5, a8 1.5 of 20.
    assert!(close(&c["roc_auc"], 14.5 / 20.0), "{c}");
    // Ascending m, tied m one threshold: 1/4 x (1 + 2/3 + 3/5 + 4/8).
    assert!(
        close(&c["pr_auc"], (1.0 + 2.0 / 3.0 + 0.6 + 0.5) / 4.0),
        "{c}"
    );
    let (red, yellow, green) = (group(c, "red"), group(c, "yellow"), group(c, "green"));
    assert_eq!(
        (red["accounts"].as_u64(), red["with_outcome"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        (yellow["accounts"].as_u64(), yellow["with_outcome"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (green["accounts"].as_u64(), green["with_outcome"].as_u64()),
        (Some(4), Some(1))
    );
    assert!(close(&red["arr"], 6000.0) && close(&red["arr_with_outcome"], 4000.0));
    assert!(close(&green["arr"], 30000.0) && close(&green["arr_with_outcome"], 8000.0));
    // (2/3) / (1/4).
    assert!(close(&c["lift_red_over_green"], 8.0 / 3.0), "{c}");
    assert!(
        c["calibration"].is_null(),
        "a health score is no probability"
    );
    // The table for people says the same.
    let table = s.run(&["backtest", "--cutoff", "2026-01-01"]);
    assert!(
        table.stdout.contains("0.7250") && table.stdout.contains("2.67"),
        "{}",
        table.stdout
    );
}

#[test]
fn forecast_calibration_and_brier_match_hand_computed_values() {
    let s = Store::fixture();
    // renewal-forecast reads the health weighted-health gives at the cut-off:
    // Red 0.20, Yellow 0.70, Green 0.95 to renew, so churn 0.8, 0.3, 0.05.
    let r = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--plugin",
        "renewal-forecast",
    ]);
    let c = &r["candidates"][0];
    assert_eq!(c["ranked_by"], "1 - renewal probability");
    // Churners at 0.8, 0.8, 0.3, 0.05; others at 0.8, 0.3, 0.05 x 3:
    // 4.5 + 4.5 + 3.5 + 1.5 of 20.
    assert!(close(&c["roc_auc"], 0.7), "{c}");
    let k = &c["calibration"];
    // Green: 3 x 0.05^2 + 0.95^2; Yellow: 0.3^2 + 0.7^2; Red: 2 x 0.2^2 + 0.8^2.
    let brier = (3.0 * 0.0025 + 0.9025 + 0.09 + 0.49 + 2.0 * 0.04 + 0.64) / 9.0;
    assert!(close(&k["brier"], brier), "{k}");
    assert!(close(&k["brier_baseline"], 4.0 / 9.0 * 5.0 / 9.0));
    let bins: Vec<(f64, u64, f64, f64)> = k["bins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["from"].as_f64().unwrap(),
                b["accounts"].as_u64().unwrap(),
                b["mean_predicted"].as_f64().unwrap(),
                b["observed_rate"].as_f64().unwrap(),
            )
        })
        .collect();
    let expected = [
        (0.0, 4, 0.05, 0.25),
        (0.3, 2, 0.3, 0.5),
        (0.8, 3, 0.8, 2.0 / 3.0),
    ];
    assert_eq!(bins.len(), 3, "{bins:?}");
    for (got, want) in bins.iter().zip(expected) {
        assert!(
            (got.0 - want.0).abs() < 1e-9 && got.1 == want.1,
            "{got:?} {want:?}"
        );
        assert!(
            (got.2 - want.2).abs() < 1e-9 && (got.3 - want.3).abs() < 1e-9,
            "{got:?}"
        );
    }
    // Grouped by the forecast's confidence tier: Green is best-case.
    assert_eq!(c["grouped_by"], "confidence");
    assert_eq!(group(c, "best-case")["accounts"], 4);
    assert_eq!(group(c, "pipeline")["with_outcome"], 3);
}

#[test]
fn a_single_class_is_a_clear_error_not_a_number() {
    let s = Store::fixture();
    // The churns of the fixture come 59 days after the cut-off.
    let out = s.run(&["backtest", "--cutoff", "2026-01-01", "--horizon", "30"]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("none of the 9 compared accounts churned between 2026-01-02 and 2026-01-31")
            && out
                .stderr
                .contains("need accounts with and without the outcome"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "no figure printed: {}", out.stdout);
}

#[test]
fn a_plugin_never_sees_snapshots_after_the_cutoff() {
    let s = Store::fixture();
    let csv = s.dir.path().join("scores.csv");
    let csv_arg = csv.display().to_string();
    s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--per-account",
        &csv_arg,
    ]);
    let scores = std::fs::read_to_string(&csv).unwrap();
    // a1 scored 10 and a7 90 as of the cut-off (the health score itself,
    // named so in the header); their 2026-04-01 snapshots (100 and 0)
    // would rank them the other way.
    assert!(
        scores.starts_with(
            "account,outcome,arr,weighted-health 0.1.0 health score,weighted-health 0.1.0 group\n"
        ),
        "{scores}"
    );
    assert!(scores.contains("\na1,1,1000,10,red\n"), "{scores}");
    assert!(scores.contains("\na7,0,7000,90,green\n"), "{scores}");
    assert!(
        !scores.contains("a0,"),
        "churned before the cut-off: {scores}"
    );
    // A cut-off after the later snapshots reads them: the same accounts now
    // score from 2026-04-01, so the ranking (and the figure) changes. The
    // churns of 2026-03-01 are then in the past and a1 has come back.
    let later = s.json(&[
        "backtest",
        "--cutoff",
        "2026-04-01",
        "--horizon",
        "200",
        "--per-account",
        &csv_arg,
    ]);
    let scores = std::fs::read_to_string(&csv).unwrap();
    assert!(scores.contains("\na7,0,7000,0,red\n"), "{scores}");
    assert!(scores.contains("\na1,0,1000,100,green\n"), "{scores}");
    assert_eq!(
        later["with_outcome"], 1,
        "only a9 churns after 2026-04-01: {later}"
    );
}

#[test]
fn versions_and_configurations_side_by_side_on_the_same_accounts() {
    let s = Store::fixture();
    let v2 = s.file("v2.wasm", vitals_e2e::WEIGHTED_HEALTH_V2);
    s.ok(&["plugin", "add", &v2]);
    // 0.2.0 raises Yellow by 5 points: a6 (72) turns Yellow; ranks are the same.
    let r = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--against-version",
        "0.2.0",
    ]);
    let (a, b) = (&r["candidates"][0], &r["candidates"][1]);
    assert_eq!(r["compared"], 9);
    assert_eq!(
        (a["version"].as_str(), b["version"].as_str()),
        (Some("0.1.0"), Some("0.2.0"))
    );
    assert_eq!(a["roc_auc"], b["roc_auc"]);
    assert!(close(&a["lift_red_over_green"], 8.0 / 3.0));
    // Green is now a7, a8, a9: one churner of three; (2/3) / (1/3).
    assert!(close(&b["lift_red_over_green"], 2.0), "{b}");
    // The reversed ramp ranks every pair the other way: 1 - 0.725.
    let reversed = SCORE_IS_M.replace(r#""worst": 0, "best": 100"#, r#""worst": 100, "best": 0"#);
    let file = s.file("reversed.json", reversed.as_bytes());
    let r = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--against-config",
        &format!("@{file}"),
    ]);
    assert!(close(&r["candidates"][1]["roc_auc"], 1.0 - 0.725), "{r}");
    assert_eq!(r["candidates"][1]["scored"], 9);
    // Nothing was changed: the tenant's configuration is still its own.
    let out = s.run(&["plugin", "config", "weighted-health"]);
    let stored: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let given: serde_json::Value = serde_json::from_str(SCORE_IS_M).unwrap();
    assert_eq!(stored, given);
}

#[test]
fn requests_that_cannot_be_judged_are_refused_with_why() {
    let s = Store::fixture();
    for (args, says) in [
        (
            vec!["--plugin", "lifecycle-segments"],
            "no score to rank by",
        ),
        (vec!["--plugin", "nope"], "not installed"),
        (
            vec!["--plugin", "renewal-forecast", "--outcome", "expanded"],
            "renewal",
        ),
        (vec!["--outcome", "left"], "--outcome"),
        (vec!["--plugin-config", "{not json"], "not JSON"),
        (
            vec!["--plugin-config", r#"{"red_below": "low"}"#],
            "invalid configuration",
        ),
    ] {
        let out = s.run(&[&["backtest", "--cutoff", "2026-01-01"], args.as_slice()].concat());
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    let out = s.run(&["backtest", "--cutoff", "2026-13-01"]);
    assert_eq!(out.code, 2);
    let out = s.run(&["--csv", "backtest", "--cutoff", "2026-01-01"]);
    assert_eq!(out.code, 2);
    // A cut-off before any snapshot: nothing to judge, said plainly.
    let out = s.run(&["backtest", "--cutoff", "2020-01-01"]);
    assert!(
        out.stderr
            .contains("no account of tenant \"acme\" has a snapshot"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_telco_figures() {
    let telco =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/telco-customer-churn.csv");
    let s = Store::with_pack(&telco.display().to_string(), Some("telco"));
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/configs/telco-weighted-health.json");
    let config = format!("@{}", config.display());
    // The documented configuration, on every account.
    let r = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--horizon",
        "30",
        "--plugin-config",
        &config,
    ]);
    assert_eq!(
        (r["compared"].as_u64(), r["with_outcome"].as_u64()),
        (Some(7043), Some(1869))
    );
    let auc = r["candidates"][0]["roc_auc"].as_f64().unwrap();
    eprintln!("Telco, documented configuration: ROC-AUC {auc:.4}");
    assert!((0.80..0.9).contains(&auc), "{auc}");
    assert!(r["candidates"][0]["lift_red_over_green"].as_f64().unwrap() > 3.0);

    // A configuration fitted by --suggest, judged on held-out accounts.
    let out = s.dir.path().join("suggestions");
    let out_arg = out.display().to_string();
    let sug = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--horizon",
        "30",
        "--suggest",
        "--out",
        &out_arg,
    ]);
    let judged = &sug["weighted_health"]["held_out"];
    assert_eq!(judged["accounts"]["split"], "held-out");
    assert_eq!(
        judged["compared"].as_u64().unwrap() + judged["left_out_split"].as_u64().unwrap(),
        7043
    );
    let suggested = &judged["candidates"][1];
    assert_eq!(suggested["label"], "suggested");
    let held_out_auc = suggested["roc_auc"].as_f64().unwrap();
    eprintln!("Telco, suggested configuration on held-out accounts: ROC-AUC {held_out_auc:.4}");
    assert!((0.83..0.9).contains(&held_out_auc), "{held_out_auc}");
    // The default configuration reads measures the file does not have.
    assert_eq!(judged["candidates"][0]["scored"], 0);
    // Written for review, not activated.
    assert_eq!(
        s.run(&["plugin", "config", "weighted-health"])
            .stdout
            .trim(),
        "{}"
    );
    let file = out.join("weighted-health.json");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, sug["weighted_health"]["config"]);
    assert!(out.join("renewal-forecast.json").exists() && out.join("suggestion.json").exists());
    // Applied by hand, it gives the same figure on the same held-out accounts.
    let file_arg = file.display().to_string();
    assert_eq!(
        s.run(&["plugin", "config", "weighted-health", "--file", &file_arg])
            .code,
        0
    );
    let again = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--horizon",
        "30",
        "--held-out",
    ]);
    assert_eq!(again["candidates"][0]["roc_auc"], suggested["roc_auc"]);
}
