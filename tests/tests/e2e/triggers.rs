//! Trigger rules over the real binary on a local store (issue #19): a run
//! that turns accounts Red fires exactly those, once each, with the
//! explanation; a rule of another tenant never
//! fires on this tenant's accounts; `trigger test` shows a past run's events
//! and sends nothing.

use crate::cli::Cli;
use serde_json::Value;

const HEADER: &str = "account_id,as_of,name,owner,tier,start_date,renewal_date,contract_arr,seats_purchased,seats_active,logins,features_used,features_available,tickets_open,tickets_high_severity,nps,csat,champion_left,late_payments,webinars_attended,community_posts";
/// The measures of the three bands in `cli::FIXTURE`.
const GREEN: &str = "100,110,2000,15,20,0,0,10,98,false,0,4,6";
const YELLOW: &str = "100,60,,,,,,7,,,,,";
const RED: &str = "100,10,5,1,20,10,4,1,20,true,3,0,0";

/// Six accounts on two days: on the second, `a1` (enterprise, from Green)
/// and `a4` (smb, from Yellow) turn Red; the others stay as they were.
pub(crate) fn two_days() -> String {
    let mut rows = vec![HEADER.to_string()];
    let day = |d: &str, id: &str, tier: &str, arr: u32, bands: &str| {
        format!("{id},{d},{id} Co,ana,{tier},2023-01-01,2026-06-01,{arr},{bands}")
    };
    for (id, tier, arr, first, second) in [
        ("a1", "enterprise", 100_000, GREEN, RED),
        ("a2", "enterprise", 90_000, GREEN, GREEN),
        ("a3", "smb", 10_000, GREEN, GREEN),
        ("a4", "smb", 20_000, YELLOW, RED),
        ("a5", "smb", 15_000, YELLOW, YELLOW),
        ("a6", "enterprise", 70_000, RED, RED),
    ] {
        rows.push(day("2026-01-01", id, tier, arr, first));
        rows.push(day("2026-02-01", id, tier, arr, second));
    }
    rows.join("\n") + "\n"
}

/// The store with both days and the reference plugins, `turned-red` and a
/// second rule for enterprise accounts only.
pub(crate) fn setup(cli: &Cli) {
    cli.ok(&["init"]);
    cli.ok(&["tenant", "create", "rival", "--name", "Rival"]);
    cli.ok(&[
        "ingest",
        &cli.write("two-days.csv", two_days().as_bytes())
            .display()
            .to_string(),
    ]);
    // The rival tenant watches every band change, on no account of its own.
    let everything = cli.write(
        "rival-rule.json",
        br#"{"name": "turned-red", "event": {"type": "band-changed"}}"#,
    );
    let add = [
        "trigger",
        "add",
        "--file",
        &everything.display().to_string(),
    ];
    cli.run_as("rival", &add).success(&add);
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let path = cli.write(&format!("{name}.wasm"), bytes);
        cli.ok(&["plugin", "add", &path.display().to_string(), "--activate"]);
    }
    let rule = |name: &str, body: &str| {
        cli.write(&format!("{name}.json"), body.as_bytes())
            .display()
            .to_string()
    };
    cli.ok(&[
        "trigger",
        "add",
        "--file",
        &rule(
            "turned-red",
            r#"{"name": "turned-red", "event": {"type": "band-changed", "to": "red"}}"#,
        ),
    ]);
    cli.ok(&[
        "trigger",
        "add",
        "--file",
        &rule(
            "big-red",
            r#"{"name": "big-red", "event": {"type": "band-changed", "to": "red"},
                "filters": {"tier": ["enterprise"], "min_arr": 50000}}"#,
        ),
    ]);
}

fn ids(events: &Value, rule: &str) -> Vec<String> {
    let mut ids: Vec<String> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"]["name"] == rule)
        .map(|e| e["account"]["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_run_that_turns_accounts_red_fires_exactly_those_once() {
    let cli = Cli::new();
    setup(&cli);
    // The first run has nothing to compare with: no event.
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    assert_eq!(cli.ok(&["--json", "events"]).json(), serde_json::json!([]));
    let runs = cli.ok(&["--json", "run", "--as-of", "2026-02-01"]).json();
    let health = runs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["plugin"] == "weighted-health")
        .unwrap();
    assert_eq!(health["events"], 3, "{health}");
    let events = cli.ok(&["--json", "events"]).json();
    assert_eq!(ids(&events, "turned-red"), ["a1", "a4"], "{events}");
    assert_eq!(ids(&events, "big-red"), ["a1"], "{events}");
    let a1 = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["rule"]["name"] == "turned-red" && e["account"]["id"] == "a1")
        .unwrap();
    assert_eq!(a1["type"], "band-changed");
    assert_eq!(a1["before"]["band"], "green");
    assert_eq!(a1["after"]["band"], "red");
    assert_eq!(a1["account"]["tier"], "enterprise");
    assert_eq!(a1["account"]["contract_arr"], 100_000.0);
    assert_eq!(a1["run"]["id"], health["id"]);
    assert_eq!(a1["run"]["plugin_hash"], health["plugin_hash"]);
    assert_eq!(
        a1["run"]["config"].to_string(),
        health["config"]
            .as_str()
            .unwrap()
            .parse::<Value>()
            .unwrap()
            .to_string(),
        "the event names the configuration the run used"
    );
    assert_eq!(a1["run"]["as_of"], "2026-02-01");
    assert_eq!(a1["run"]["previous_as_of"], "2026-01-01");
    assert!(
        !a1["explanation"]["factors"].as_array().unwrap().is_empty(),
        "{a1}"
    );
    let id = a1["id"].as_str().unwrap();
    assert!(id.starts_with("evt_"), "{id}");
    // The table and CSV name the same events.
    let csv = cli.ok(&["--csv", "events", "--rule", "turned-red"]).stdout;
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(id), "{csv}");

    // `trigger test` on that run shows the same events and stores nothing.
    let run = health["id"].as_u64().unwrap().to_string();
    let test = cli
        .ok(&["--json", "trigger", "test", "turned-red", "--run", &run])
        .json();
    assert_eq!(test["events"].as_array().unwrap().len(), 2, "{test}");
    assert_eq!(test["accounts"], 6);
    assert_eq!(
        test["events"][0]["id"],
        events
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["rule"]["name"] == "turned-red"
                && e["account"]["id"] == test["events"][0]["account"]["id"])
            .unwrap()["id"]
    );
    assert_eq!(cli.ok(&["--json", "events"]).json(), events);

    // Running the same instant again compares with the run just made:
    // nothing turned Red since, nothing fires.
    cli.ok(&[
        "run",
        "--as-of",
        "2026-02-01",
        "--plugin",
        "weighted-health",
    ]);
    assert_eq!(cli.ok(&["--json", "events"]).json(), events);

    // The other tenant's rule never fires on this tenant's accounts, and
    // this tenant's events are not the other tenant's.
    let rival = |args: &[&str]| cli.run_as("rival", args).success(args);
    assert_eq!(rival(&["--json", "events"]).json(), serde_json::json!([]));
    let rules = rival(&["--json", "trigger", "list"]).json();
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
}

#[test]
fn rules_are_checked_versioned_and_removed() {
    let cli = Cli::new();
    setup(&cli);
    let bad = cli.write(
        "bad.json",
        br#"{"name": "oops", "event": {"type": "score-dropped", "points": -5}}"#,
    );
    let out = cli.run(&["trigger", "add", "--file", &bad.display().to_string()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("/event"), "{}", out.stderr);
    let unknown = cli.write(
        "unknown.json",
        br#"{"name": "to-crm", "event": {"type": "band-changed"}, "webhooks": ["crm"]}"#,
    );
    let out = cli.run(&["trigger", "add", "--file", &unknown.display().to_string()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("\"crm\""), "{}", out.stderr);
    // A new version of a rule; the list shows the latest.
    let v2 = cli.write(
        "v2.json",
        br#"{"name": "turned-red", "event": {"type": "band-changed", "from": "yellow", "to": "red"}}"#,
    );
    let saved = cli
        .ok(&[
            "--json",
            "trigger",
            "add",
            "--file",
            &v2.display().to_string(),
        ])
        .json();
    assert_eq!(saved["rule"]["version"], 2);
    let list = cli.ok(&["--json", "trigger", "list"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    cli.ok(&["trigger", "remove", "big-red"]);
    let versions = cli.ok(&["--json", "trigger", "show", "big-red"]).json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[1]["rule"], Value::Null);
    assert_eq!(
        cli.ok(&["--json", "trigger", "list"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Only Yellow-to-Red now: a4.
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    cli.ok(&["run", "--as-of", "2026-02-01"]);
    let events = cli.ok(&["--json", "events"]).json();
    assert_eq!(ids(&events, "turned-red"), ["a4"], "{events}");
    assert_eq!(events[0]["rule"]["version"], 2);
    let schema = cli.ok(&["trigger", "schema"]).stdout;
    let schema: Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(schema["title"], "Vitals trigger rule");
}
