//! Each installed version says the contract it implements (`0.1.0` or
//! `0.2.0`) wherever plugins are listed or shown: `plugin add`, `plugin
//! list` (table, `--json`, `--csv`), `plugin show` (text, `--json`), the
//! HTTP API and the dashboard's plugin panel. The 0.1 build of
//! weighted-health kept in the tests is 0.1.0; the reference pack is 0.2.0.

use super::{Local, on_server};
use crate::served::{Server, install_pack, json_of, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::Value;

/// The `contract` of each listed version, by name.
fn contracts(listed: &Value) -> Vec<(String, String)> {
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["contract"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_cli_says_each_plugin_s_contract_version() {
    let l = Local::new();
    // weighted-health 0.1.0 in both builds: one tenant each.
    for tenant in ["old", "new"] {
        l.ok_as(tenant, &["tenant", "create", tenant]);
    }
    let v01 = l.write("weighted-health-v01.wasm", vitals_e2e::WEIGHTED_HEALTH_V01);
    let added = l.ok_as("old", &["plugin", "add", &v01]).stdout;
    assert!(added.contains(", contract 0.1.0, "), "{added}");
    let added = l
        .ok_as("new", &["plugin", "add", "reference/weighted-health"])
        .stdout;
    assert!(added.contains(", contract 0.2.0, "), "{added}");
    l.ok_as("new", &["plugin", "add", "reference/renewal-forecast"]);

    let old = l.ok_as("old", &["--json", "plugin", "list"]).json();
    assert_eq!(
        contracts(&old),
        [("weighted-health".to_string(), "0.1.0".to_string())]
    );
    let new = l.ok_as("new", &["--json", "plugin", "list"]).json();
    assert_eq!(
        contracts(&new),
        [
            ("renewal-forecast".to_string(), "0.2.0".to_string()),
            ("weighted-health".to_string(), "0.2.0".to_string()),
        ]
    );
    let csv = l.ok_as("old", &["--csv", "plugin", "list"]).stdout;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("name,version,kind,contract,active,sha-256"),
        "{csv}"
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("weighted-health,0.1.0,health-model,0.1.0,,"),
        "{csv}"
    );
    let table = l.ok_as("new", &["plugin", "list"]).stdout;
    let header = table.lines().next().unwrap();
    assert!(header.contains("contract"), "{table}");
    assert!(
        table
            .lines()
            .skip(1)
            .all(|row| row.split_whitespace().nth(3) == Some("0.2.0")),
        "{table}"
    );

    for (tenant, version) in [("old", "0.1.0"), ("new", "0.2.0")] {
        let show = l
            .ok_as(
                tenant,
                &["plugin", "show", "weighted-health", "--version", "0.1.0"],
            )
            .stdout;
        assert!(
            show.contains(&format!("\ncontract     vitals:plugin@{version}\n")),
            "{show}"
        );
        let json = l
            .ok_as(
                tenant,
                &[
                    "--json",
                    "plugin",
                    "show",
                    "weighted-health",
                    "--version",
                    "0.1.0",
                ],
            )
            .json();
        assert_eq!(json["plugin"]["contract"], version, "{json}");
    }
}

#[test]
fn the_api_and_the_dashboard_say_each_plugin_s_contract_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "new");
    install_pack(&s, &admin, "new");
    let (old_admin, _) = tenant_with_keys(&s, &op, "old");
    let (status, added) = json_of(
        s.call(Method::POST, "/v1/tenants/old/plugins", Some(&old_admin))
            .header("content-type", "application/wasm")
            .body(vitals_e2e::WEIGHTED_HEALTH_V01.to_vec())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["contract"], "0.1.0", "{added}");

    let get = |tenant: &str, key: &str, path: &str| {
        let (status, body) = json_of(
            s.call(
                Method::GET,
                &format!("/v1/tenants/{tenant}/{path}"),
                Some(key),
            )
            .send()
            .unwrap(),
        );
        assert_eq!(status, 200, "{path}: {body}");
        body
    };
    let listed = get("new", &viewer, "plugins");
    assert_eq!(contracts(&listed).len(), 4);
    assert!(
        contracts(&listed).iter().all(|(_, c)| c == "0.2.0"),
        "{listed}"
    );
    assert_eq!(
        contracts(&get("old", &old_admin, "plugins")),
        [("weighted-health".to_string(), "0.1.0".to_string())]
    );
    let shown = get("old", &old_admin, "plugins/weighted-health?version=0.1.0");
    assert_eq!(shown["plugin"]["contract"], "0.1.0", "{shown}");
    let shown = get("new", &viewer, "plugins/weighted-health");
    assert_eq!(shown["plugin"]["contract"], "0.2.0", "{shown}");

    // The dashboard's plugin panel: each version with its contract.
    let panels = get("old", &old_admin, "dashboard/plugins");
    assert_eq!(panels[0]["versions"][0]["contract"], "0.1.0", "{panels}");
    let panels = get("new", &viewer, "dashboard/plugins");
    for panel in panels.as_array().unwrap() {
        assert_eq!(panel["versions"][0]["contract"], "0.2.0", "{panel}");
    }

    // Documented: a version is one of the two the host binds.
    let (_, doc) = json_of(s.call(Method::GET, "/openapi.json", None).send().unwrap());
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ContractVersion"]["enum"],
        serde_json::json!(["0.1.0", "0.2.0"]),
        "{}",
        schemas["ContractVersion"]
    );
    let required = schemas["InstalledPlugin"]["required"].as_array().unwrap();
    assert!(required.contains(&"contract".into()), "{required:?}");

    // The CLI on the server says the same.
    let csv = on_server(&s.url, &old_admin, &["--csv", "plugin", "list"])
        .success(&["plugin", "list"])
        .stdout;
    assert!(
        csv.contains("\nweighted-health,0.1.0,health-model,0.1.0,,"),
        "{csv}"
    );
}
