//! Switching plugins off, rollback after it, one health model active at a
//! time, and what a store from before that rule (two active) does.

use super::{Local, on_server, refused};
use crate::served::{Server, json_of, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::{Value, json};

/// `name version` of each active plugin, from `plugin list --json`.
fn active(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect()
}

fn pack(l: &Local, tenant: &str) {
    for name in ["weighted-health", "lifecycle-segments", "renewal-forecast"] {
        l.ok_as(
            tenant,
            &["plugin", "add", &format!("reference/{name}"), "--activate"],
        );
    }
}

#[test]
fn a_plugin_is_switched_off_and_a_rollback_switches_it_back_on() {
    let l = Local::new();
    l.tenant_with_accounts("acme");
    pack(&l, "acme");
    let off = l
        .ok_as("acme", &["plugin", "deactivate", "renewal-forecast"])
        .stdout;
    assert_eq!(
        off,
        "renewal-forecast 0.1.0 was deactivated; `vitals plugin rollback renewal-forecast` switches it on again\n"
    );
    let list = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    assert_eq!(
        active(&list),
        ["lifecycle-segments 0.1.0", "weighted-health 0.1.0"]
    );
    // A run no longer runs it.
    let runs = l
        .ok_as("acme", &["--json", "run", "--as-of", "2026-01-01"])
        .json();
    let plugins: Vec<&str> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["plugin"].as_str().unwrap())
        .collect();
    assert_eq!(plugins, ["weighted-health", "lifecycle-segments"]);
    refused(
        &l.run_as("acme", &["plugin", "deactivate", "renewal-forecast"]),
        &["renewal-forecast is already inactive"],
    );
    refused(
        &l.run_as("acme", &["plugin", "deactivate", "nope"]),
        &["plugin \"nope\" not found"],
    );
    // Rollback after a deactivate switches the same version back on.
    let back = l
        .ok_as("acme", &["plugin", "rollback", "renewal-forecast"])
        .stdout;
    assert_eq!(back, "renewal-forecast rolled back to 0.1.0\n");
    let list = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    assert_eq!(active(&list).len(), 3);
    refused(
        &l.run_as("acme", &["plugin", "rollback", "renewal-forecast"]),
        &["no earlier active version"],
    );
}

#[test]
fn one_health_model_is_active_at_a_time_and_the_switch_is_said() {
    let l = Local::new();
    l.tenant_with_accounts("acme");
    pack(&l, "acme");
    let hostile = l.write("hostile.wasm", vitals_e2e::HOSTILE_HEALTH);
    let added = l
        .ok_as("acme", &["plugin", "add", &hostile, "--activate"])
        .stdout;
    assert!(
        added.contains(
            "\nweighted-health 0.1.0 was deactivated: one health model is active at a time\n"
        ),
        "{added}"
    );
    let list = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    assert_eq!(
        active(&list),
        [
            "hostile-health 0.1.0",
            "lifecycle-segments 0.1.0",
            "renewal-forecast 0.1.0"
        ]
    );
    // Rolling the replaced one back switches it on and the newcomer off.
    let back = l
        .ok_as("acme", &["--json", "plugin", "rollback", "weighted-health"])
        .json();
    assert_eq!(back["name"], "weighted-health");
    assert_eq!(back["active"], true);
    assert_eq!(back["deactivated"][0]["name"], "hostile-health", "{back}");
    let runs = l
        .ok_as("acme", &["--json", "run", "--as-of", "2026-01-01"])
        .json();
    assert_eq!(runs[0]["plugin"], "weighted-health", "{runs}");
    assert_eq!(runs.as_array().unwrap().len(), 3);
}

#[test]
fn over_http_deactivate_and_the_health_model_switch_answer_in_fields() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    let cli = |key: &str, args: &[&str]| on_server(&s.url, key, args);
    cli(
        &admin,
        &["plugin", "add", "reference/weighted-health", "--activate"],
    )
    .success(&["plugin", "add"]);
    // Added, not active, then activated: the answer names the one it replaced.
    let (status, added) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/plugins", Some(&admin))
            .body(vitals_e2e::HOSTILE_HEALTH.to_vec())
            .send()
            .unwrap(),
    );
    assert_eq!((status, &added["active"]), (201, &json!(false)), "{added}");
    let (status, a) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/plugins/hostile-health/activate",
            Some(&admin),
        )
        .json(&json!({"version": "0.1.0"}))
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{a}");
    assert_eq!(
        (&a["name"], &a["active"]),
        (&json!("hostile-health"), &json!(true))
    );
    assert_eq!(a["deactivated"][0]["name"], "weighted-health", "{a}");
    assert_eq!(a["deactivated"][0]["active"], false);
    // The CLI on the server says it too.
    let out = cli(&admin, &["plugin", "activate", "weighted-health", "0.1.0"])
        .success(&["plugin", "activate"]);
    assert_eq!(
        out.stdout,
        "weighted-health 0.1.0 is active\nhostile-health 0.1.0 was deactivated: one health model is active at a time\n"
    );
    // Deactivate: admin only; the answer is the version switched off.
    let deactivate = |key: &str| {
        json_of(
            s.call(
                Method::POST,
                "/v1/tenants/acme/plugins/weighted-health/deactivate",
                Some(key),
            )
            .send()
            .unwrap(),
        )
    };
    assert_eq!(deactivate(&viewer).0, 403);
    let (status, off) = deactivate(&admin);
    assert_eq!(status, 200, "{off}");
    assert_eq!(
        (&off["version"], &off["active"]),
        (&json!("0.1.0"), &json!(false))
    );
    let (status, err) = deactivate(&admin);
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("conflict")),
        "{err}"
    );
    let out = cli(&admin, &["plugin", "rollback", "weighted-health"]).success(&["rollback"]);
    assert_eq!(out.stdout, "weighted-health rolled back to 0.1.0\n");
    let out = cli(&admin, &["plugin", "deactivate", "weighted-health"]).success(&["deactivate"]);
    assert!(
        out.stdout
            .starts_with("weighted-health 0.1.0 was deactivated"),
        "{}",
        out.stdout
    );
    let listed = cli(&admin, &["--json", "plugin", "list"])
        .success(&["list"])
        .json();
    assert!(active(&listed).is_empty(), "{listed}");
    s.stop();
}

/// A store written before one health model at a time may hold two active:
/// runs (and on-demand scores) refuse, naming both and the way out, rather
/// than pick one; the summary still shows the runs made, with a warning.
#[test]
fn a_store_holding_two_active_health_models_refuses_runs_and_says_why() {
    let l = Local::new();
    l.tenant_with_accounts("acme");
    pack(&l, "acme");
    l.ok_as("acme", &["run", "--as-of", "2026-01-01"]);
    {
        // What such a store holds, written as an earlier version did.
        let store = vitals::store::Store::open(&l.data().join("store")).unwrap();
        let rt = vitals::runtime::Runtime::new(vitals::runtime::RuntimeConfig::default()).unwrap();
        let hostile = rt.load(vitals_e2e::HOSTILE_HEALTH).unwrap();
        store
            .add_plugin(
                "acme",
                &hostile.hash,
                vitals_e2e::HOSTILE_HEALTH,
                &hostile.metadata,
                hostile.contract,
            )
            .unwrap();
        store
            .activate_beside_other_health_models("acme", "hostile-health", "0.1.0")
            .unwrap();
    }
    let two = "2 health models are active (hostile-health 0.1.0, weighted-health 0.1.0)";
    refused(
        &l.run_as("acme", &["run", "--as-of", "2026-01-01"]),
        &[two, "`vitals plugin deactivate NAME`"],
    );
    refused(
        &l.run_as("acme", &["run", "--plugin", "lifecycle-segments"]),
        &[two],
    );
    let summary = l.ok_as("acme", &["summary"]);
    assert!(
        summary.stdout.contains("Health as of 2026-01-01"),
        "{}",
        summary.stdout
    );
    assert!(
        summary.stderr.contains(
            "warning: 2 health models are active (hostile-health 0.1.0, weighted-health 0.1.0)"
        ),
        "{}",
        summary.stderr
    );
    // Over HTTP: 409 with its own code.
    let admin = crate::served::local(&l.data(), &["key", "issue", "acme", "--role", "admin"])
        .trim()
        .to_string();
    let s = Server::start(&l.data());
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/runs", Some(&admin))
            .json(&json!({"as_of": "2026-01-01"}))
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("several-health-models")),
        "{err}"
    );
    assert!(err["message"].as_str().unwrap().starts_with(two), "{err}");
    // The way out: deactivate one; runs run again.
    on_server(&s.url, &admin, &["plugin", "deactivate", "hostile-health"]).success(&["deactivate"]);
    let runs = on_server(&s.url, &admin, &["--json", "run", "--as-of", "2026-01-01"])
        .success(&["run"])
        .json();
    assert_eq!(runs.as_array().unwrap().len(), 3, "{runs}");
    s.stop();
}
