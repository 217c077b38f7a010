//! What a backtest warns of and lets the analyst choose, through the real
//! binary: each measure's own ROC-AUC and the leak warnings (a churn-reason
//! code added to the Telco file: 1.000 alone), `--suggest` leaving such a
//! measure out unless `--allow-leaks`, a fit on too few accounts said,
//! `--where` conditions (counted, refused when malformed or unknown, with
//! the nearest names), and options refused by their flags.

use crate::backtest::{FIXTURE, Store, close};
use serde_json::Value;
use std::path::Path;

/// The Telco file with `ChurnReasonCode`, a churn reason coded 1-5 for the
/// customers who left and 0 for the others: known only once a customer has
/// left, so it carries the outcome. Mapped as the metric `churn-reason-code`.
fn leaky_telco(s: &Store) -> (String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text =
        std::fs::read_to_string(root.join("examples/data/telco-customer-churn.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let churn = header.split(',').position(|h| h == "Churn").unwrap();
    let mut csv = format!("{header},ChurnReasonCode\n");
    for (i, line) in lines.enumerate() {
        // No quoted commas in this file: the Churn cell is the last field.
        let left = line.split(',').nth(churn) == Some("Yes");
        let code = if left { 1 + i % 5 } else { 0 };
        csv.push_str(&format!("{line},{code}\n"));
    }
    let mut mapping: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("examples/mappings/telco.json")).unwrap(),
    )
    .unwrap();
    mapping["columns"]["ChurnReasonCode"] = "metric:churn-reason-code".into();
    (
        s.file("leaky.csv", csv.as_bytes()),
        s.file("leaky-mapping.json", mapping.to_string().as_bytes()),
    )
}

/// The documented Telco configuration with the leak added as a measure.
fn leaky_config() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/configs/telco-weighted-health.json");
    let mut c: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    c["groups"]["reason"] = 0.3.into();
    c["measures"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!(
            {"measure": "churn-reason-code", "group": "reason", "worst": 5, "best": 0}
        ));
    c.to_string()
}

#[test]
fn leaks_are_named_by_each_measures_own_auc_and_kept_out_of_a_fit() {
    let tmp = Store::new();
    let (csv, mapping) = leaky_telco(&tmp);
    let s = Store::with_pack(&csv, Some(&mapping));
    let config = leaky_config();
    let args = [
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--horizon",
        "30",
        "--plugin-config",
        &config,
    ];
    let r = s.json(&args);
    let c = &r["candidates"][0];
    let measures = c["measures"].as_array().unwrap();
    assert_eq!(measures[0]["measure"], "churn-reason-code", "{c}");
    assert!(close(&measures[0]["roc_auc"], 1.0), "{c}");
    assert_eq!(measures[0]["outcome_with"], "higher");
    assert_eq!(measures[0]["accounts"], 7043);
    // The honest measures keep their own figures: tenure alone about 0.74.
    let tenure = measures
        .iter()
        .find(|m| m["measure"] == "tenure-months")
        .unwrap();
    let auc = tenure["roc_auc"].as_f64().unwrap();
    assert!((0.73..0.75).contains(&auc), "{auc}");
    assert_eq!(tenure["outcome_with"], "lower");
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.starts_with(
            "weighted-health 0.1.0: churn-reason-code alone ranks churned at ROC-AUC 1.000 (above 0.95)"
        )),
        "{warnings:?}"
    );
    let whole = c["roc_auc"].as_f64().unwrap();
    assert!(whole > 0.9, "{whole}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("ranks churned at ROC-AUC {whole:.3}, above 0.9"))),
        "{warnings:?}"
    );
    // For people: the table of measures, the warnings on stderr.
    let out = s.ok(&args);
    assert!(out.stdout.contains("Each measure alone"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("warning: weighted-health 0.1.0: churn-reason-code alone ranks churned"),
        "{}",
        out.stderr
    );

    // --suggest refuses to weight it, and says so.
    let out_dir = s.dir.path().join("suggestions").display().to_string();
    let suggest = [
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--horizon",
        "30",
        "--suggest",
        "--out",
        &out_dir,
    ];
    let sug = s.json(&suggest);
    let h = &sug["weighted_health"];
    assert!(
        h["measures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["measure"] != "churn-reason-code"),
        "{h}"
    );
    assert_eq!(h["leaks"][0]["measure"], "churn-reason-code");
    assert_eq!(h["leaks"][0]["weighted"], false);
    let held = h["held_out"]["candidates"][1]["roc_auc"].as_f64().unwrap();
    assert!((0.8..0.9).contains(&held), "the fit stays honest: {held}");
    // The default configuration's absent built-ins are one count, not a line each.
    assert!(h["without_values"].as_array().unwrap().len() >= 12, "{h}");
    assert!(
        h["dropped"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["measure"] != "nps"),
        "{h}"
    );
    let out = s.ok(&suggest);
    assert!(out.stderr.contains("hint: --allow-leaks"), "{}", out.stderr);
    assert!(
        !out.stdout.contains("nps:") && out.stdout.contains("Not fitted: "),
        "{}",
        out.stdout
    );
    // --allow-leaks weights it: the analyst chose.
    let allowed = s.json(&[&suggest[..], &["--allow-leaks"]].concat());
    let first = &allowed["weighted_health"]["measures"][0];
    assert_eq!(first["measure"], "churn-reason-code", "{allowed}");
    assert!(first["share"].as_f64().unwrap() > 0.5);
    assert_eq!(allowed["weighted_health"]["leaks"][0]["weighted"], true);
    // A fit on a handful of accounts says it is noise.
    let few = s.run(&[&suggest[..], &["--holdout", "0.99"]].concat());
    assert_eq!(few.code, 0, "{}", few.stderr);
    assert!(
        few.stderr.contains("warning: fitted on") && few.stderr.contains("mostly noise"),
        "{}",
        few.stderr
    );
}

/// The fixture with a `status` label: a2 and a3 are `Joined`, a4 `Stayed`.
fn with_status() -> Store {
    let mut lines = FIXTURE.lines();
    let mut csv = format!("{},status\n", lines.next().unwrap());
    for line in lines {
        let status = match &line[..3] {
            "a2," | "a3," if line.contains("2026-01-01") => "Joined",
            "a4," => "Stayed",
            _ => "",
        };
        csv.push_str(&format!("{line},{status}\n"));
    }
    let s = Store::new();
    let file = s.file("status.csv", csv.as_bytes());
    let s = Store::with_pack(&file, None);
    s.ok(&[
        "plugin",
        "config",
        "weighted-health",
        "--set",
        crate::backtest::SCORE_IS_M,
    ]);
    s
}

#[test]
fn where_leaves_accounts_out_and_says_how_many() {
    let s = with_status();
    let r = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--where",
        "label:status!=Joined",
    ]);
    assert_eq!(
        (r["read"].as_u64(), r["left_out_churned"].as_u64()),
        (Some(10), Some(1))
    );
    assert_eq!(r["left_out_where"], 2, "a2 and a3: {r}");
    assert_eq!(r["where"][0]["field"], "label:status");
    assert_eq!(r["where"][0]["op"], "is-not");
    // Left: churners a1 (10), a5 (50), a8 (90) against a4 (50), a6 (72),
    // a7 (90), a9 (95): 4 + 3.5 + 1.5 of 12 pairs.
    assert_eq!(
        (r["compared"].as_u64(), r["with_outcome"].as_u64()),
        (Some(7), Some(3))
    );
    assert!(close(&r["candidates"][0]["roc_auc"], 9.0 / 12.0), "{r}");
    // Repeated: every condition holds.
    let both = s.json(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--where",
        "label:status!=Joined",
        "--where",
        "label:status!=Stayed",
    ]);
    assert_eq!(both["left_out_where"], 3);
    let table = s.ok(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--where",
        "label:status!=Joined",
    ]);
    assert!(
        table
            .stdout
            .contains("Left out: 1 churned by the cut-off, 2 by --where label:status!=Joined"),
        "{}",
        table.stdout
    );
    // Malformed or unknown: exit 2, the flag and the nearest names.
    for (condition, says) in [
        ("label:status", "--where \"label:status\" has no = or !="),
        (
            "label:stauts=Joined",
            "--where label:stauts=Joined: no account of tenant \"acme\" has a label \"stauts\"; nearest: label:status",
        ),
        (
            "status=Joined",
            "\"status\" is no field to filter on: use tier, plan, owner, name, renewal-confidence or label:NAME; nearest: label:status",
        ),
        (
            "tier=enterprise",
            "no account of tenant \"acme\" has a tier",
        ),
    ] {
        let out = s.run(&["backtest", "--cutoff", "2026-01-01", "--where", condition]);
        assert_eq!(out.code, 2, "{condition}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{condition}: {}", out.stderr);
    }
    // Everything left out: the error counts it.
    let out = s.run(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--where",
        "label:status=Nobody",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("9 failed a condition of where"),
        "{}",
        out.stderr
    );
}

#[test]
fn options_are_refused_by_their_flags() {
    let s = Store::fixture();
    for (args, says) in [
        (vec!["--horizon", "0"], "--horizon 0: give at least 1 day"),
        (
            vec!["--history-days=-1"],
            "--history-days -1: give 0 or more days",
        ),
        (vec!["--bins", "0"], "--bins 0: give 1 to 100"),
        (
            vec!["--suggest", "--holdout", "1"],
            "--holdout 1: give a share between 0 and 1",
        ),
        (
            vec!["--held-out", "--holdout", "0"],
            "--holdout 0: give a share",
        ),
    ] {
        let out = s.run(&[&["backtest", "--cutoff", "2026-01-01"], args.as_slice()].concat());
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("_days") && !out.stderr.contains("holdout must"),
            "{}",
            out.stderr
        );
    }
    // --allow-leaks belongs to --suggest.
    let out = s.run(&["backtest", "--cutoff", "2026-01-01", "--allow-leaks"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
