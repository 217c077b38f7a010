//! Configurations that cannot quietly be wrong, through the real binary on
//! the Telco file: a measure no account has (a typo), a text label named as
//! a number and a built-in whose fields the data lacks are each a warning
//! naming the field and the nearest names (stderr and `--json`, exit 0,
//! stored anyway), locally, with `--server` and over HTTP; a nonsensical
//! configuration (thresholds inverted, a negative weight, a measure whose
//! group is missing) is refused by the schema or the plugin itself, exit 2,
//! naming the field, and nothing is stored.

use crate::backtest::Store;
use crate::served::{Server, json_of, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;

fn telco() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data/telco-customer-churn.csv")
        .display()
        .to_string()
}

/// Three mistakes of the trial: `tenure-month` for the metric
/// `tenure-months`, the text label `contract`, and `nps`, which the Telco
/// file does not have.
const MISTAKES: &str = r#"{"groups": {"tenure": 0.5, "billing": 0.5},
    "measures": [
        {"measure": "tenure-month", "group": "tenure", "worst": 0, "best": 72},
        {"measure": "contract", "group": "billing", "worst": 0, "best": 1},
        {"measure": "nps", "group": "billing", "worst": 0, "best": 10},
        {"measure": "monthly-charges", "group": "billing", "worst": 100, "best": 20}]}"#;

/// Each mistake is a warning line, `prefix` (what is warned of) first.
fn check_mistakes(stderr: &str, prefix: &str) {
    for needle in [
        "measures[0].measure \"tenure-month\": no account of tenant \"acme\" has a metric of that name, so it has no value for any account; nearest: tenure-months",
        "measures[1].measure \"contract\": a text label of tenant \"acme\"'s accounts, not a number",
        "measures[2].measure \"nps\": weighted-health computes it from nps, which no account of tenant \"acme\" has",
    ] {
        let line = format!("warning: {prefix}{needle}");
        assert!(stderr.contains(&line), "missing {line:?} in\n{stderr}");
    }
    assert!(!stderr.contains("monthly-charges"), "{stderr}");
}

#[test]
fn a_configuration_naming_what_no_account_has_is_set_with_warnings() {
    let s = Store::with_pack(&telco(), Some("telco"));
    let out = s.ok(&["plugin", "config", "weighted-health", "--set", MISTAKES]);
    check_mistakes(&out.stderr, "");
    assert_eq!(out.stdout.trim(), "configuration of weighted-health set");
    // Stored as given: the accounts may come later.
    let stored: Value =
        serde_json::from_str(s.ok(&["plugin", "config", "weighted-health"]).stdout.trim()).unwrap();
    assert_eq!(stored, serde_json::from_str::<Value>(MISTAKES).unwrap());
    // --json carries them in a field.
    let set = s.json(&["plugin", "config", "weighted-health", "--set", MISTAKES]);
    let problems: Vec<(&str, &str)> = set["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["field"].as_str().unwrap(), w["problem"].as_str().unwrap()))
        .collect();
    assert_eq!(
        problems,
        [
            ("measures[0].measure", "unknown"),
            ("measures[1].measure", "text-label"),
            ("measures[2].measure", "no-values")
        ]
    );
    assert_eq!(set["warnings"][0]["nearest"][0], "tenure-months");
    // The documented Telco configuration names only what the file has.
    let config = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/configs/telco-weighted-health.json");
    let out = s.ok(&[
        "plugin",
        "config",
        "weighted-health",
        "--file",
        &config.display().to_string(),
    ]);
    assert_eq!(out.stderr, "", "no warning for a sound configuration");
}

#[test]
fn a_backtest_plugin_config_warns_the_same_way() {
    let s = Store::with_pack(&telco(), Some("telco"));
    let args = [
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--horizon",
        "30",
        "--plugin-config",
        MISTAKES,
    ];
    let out = s.ok(&args);
    check_mistakes(&out.stderr, "weighted-health 0.1.0: configuration ");
    let r = s.json(&args);
    let warnings = r["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().starts_with(
            "weighted-health 0.1.0: configuration measures[0].measure \"tenure-month\""
        )),
        "{r}"
    );
    // With nothing left to score, the error itself says why.
    let out = s.run(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--plugin-config",
        r#"{"groups": {"g": 1}, "measures": [{"measure": "tenure-month", "group": "g", "worst": 0, "best": 72}]}"#,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no candidate scored any")
            && out.stderr.contains("nearest: tenure-months"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_nonsensical_configuration_is_refused_naming_the_field() {
    let s = Store::fixture();
    let before = s.ok(&["plugin", "config", "weighted-health"]).stdout;
    for (config, says) in [
        (
            r#"{"red_below": 90, "yellow_below": 10, "groups": {"a": -1}}"#,
            "/groups/a: -1 is less than the minimum of 0",
        ),
        (
            r#"{"red_below": 90, "yellow_below": 10}"#,
            "red_below (90) is above yellow_below (10)",
        ),
        (
            r#"{"groups": {"g": 1}, "measures": [{"measure": "m", "group": "g", "weight": -1, "worst": 0, "best": 1}]}"#,
            "/measures/0/weight: -1 is less than the minimum of 0",
        ),
        (
            r#"{"groups": {"tenure": 1}, "measures": [{"measure": "m", "group": "tenur", "worst": 0, "best": 100}]}"#,
            "measures[0] (m) is in group \"tenur\", which groups does not list (it lists tenure)",
        ),
        (
            r#"{"tiers": {"enterprise": {"yellow_below": 20}}}"#,
            "tiers.enterprise.red_below (50) is above tiers.enterprise.yellow_below (20)",
        ),
    ] {
        let out = s.run(&["plugin", "config", "weighted-health", "--set", config]);
        assert_eq!(out.code, 2, "{config}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{config}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("hint: `vitals plugin show weighted-health`"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        s.ok(&["plugin", "config", "weighted-health"]).stdout,
        before,
        "nothing refused was stored"
    );
    // A backtest's configuration meets the same check, by the same plugin:
    // the missing group is said, not "none of the measures has a value".
    let out = s.run(&[
        "backtest",
        "--cutoff",
        "2026-01-01",
        "--plugin-config",
        r#"{"groups": {"a": 1}, "measures": [{"measure": "m", "group": "b", "worst": 0, "best": 100}]}"#,
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("measures[0] (m) is in group \"b\", which groups does not list"),
        "{}",
        out.stderr
    );
}

#[test]
fn warnings_and_refusals_over_http_and_with_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, _) = tenant_with_keys(&s, &op, "acme");
    let body = std::fs::read(telco()).unwrap();
    let (status, report) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?format=csv&mapping=telco",
            Some(&admin),
        )
        .body(body)
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{report}");
    crate::served::install_pack(&s, &admin, "acme");
    let put = |config: Value| {
        json_of(
            s.call(
                Method::PUT,
                "/v1/tenants/acme/plugins/weighted-health/config",
                Some(&admin),
            )
            .json(&config)
            .send()
            .unwrap(),
        )
    };
    let (status, set) = put(serde_json::from_str(MISTAKES).unwrap());
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["plugin"], "weighted-health");
    assert_eq!(set["warnings"].as_array().unwrap().len(), 3, "{set}");
    assert_eq!(set["warnings"][1]["problem"], "text-label");
    let (status, err) = put(json!({"red_below": 90, "yellow_below": 10}));
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("invalid-config")),
        "{err}"
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("red_below (90) is above yellow_below (10)"),
        "{err}"
    );
    // The CLI on the server says the same as on a local store.
    let out = s.cli(
        &admin,
        &["plugin", "config", "weighted-health", "--set", MISTAKES],
    );
    assert!(out.status.success());
    check_mistakes(&String::from_utf8_lossy(&out.stderr), "");
    let out = s.cli(
        &admin,
        &[
            "plugin",
            "config",
            "weighted-health",
            "--set",
            r#"{"red_below": 90, "yellow_below": 10}"#,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("red_below (90) is above"));
    s.stop();
}
