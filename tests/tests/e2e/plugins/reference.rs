//! `plugin reference`, `plugin add reference/NAME` and `plugin export`,
//! locally and over a server.

use super::{Local, on_server, refused};
use crate::served::{Server, json_of, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::Value;
use vitals::runtime::content_hash;

const NAMES: [&str; 4] = [
    "weighted-health",
    "lifecycle-segments",
    "seat-expansion",
    "renewal-forecast",
];

#[test]
fn the_reference_plugins_are_listed_with_what_they_do() {
    let l = Local::new();
    let table = l.ok_as("acme", &["plugin", "reference"]).stdout;
    assert!(
        table.starts_with("name  ") && table.contains("description"),
        "{table}"
    );
    let json = l.ok_as("acme", &["--json", "plugin", "reference"]).json();
    let listed: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, NAMES);
    let wh = &json[0];
    assert_eq!(wh["kind"], "health-model", "{wh}");
    assert_eq!(wh["version"], "0.1.0");
    assert_eq!(wh["add"], "reference/weighted-health");
    let description = wh["description"].as_str().unwrap();
    assert!(description.starts_with("Weighted composite"), "{wh}");
    assert!(table.contains(description), "{table}");
    assert_eq!(json[3]["kind"], "forecaster");
    let csv = l.ok_as("acme", &["--csv", "plugin", "reference"]).stdout;
    assert!(
        csv.starts_with("name,kind,version,description\nweighted-health,health-model,0.1.0,"),
        "{csv}"
    );
    // Listing needs no store: none was created.
    assert!(!l.data().exists());
}

#[test]
fn reference_plugins_are_added_by_name_run_and_exported_byte_for_byte() {
    let l = Local::new();
    l.tenant_with_accounts("acme");
    // A typo: exit 2, the known names closest first, nothing stored.
    let out = l.run_as("acme", &["plugin", "add", "reference/weighted-helth"]);
    refused(
        &out,
        &[
            "reference/weighted-helth: no reference plugin of that name; the reference plugins are weighted-health, ",
            "hint: `vitals plugin reference`",
        ],
    );
    let listed = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    assert_eq!(listed, Value::Array(vec![]));
    for name in NAMES {
        let added = l
            .ok_as(
                "acme",
                &["plugin", "add", &format!("reference/{name}"), "--activate"],
            )
            .stdout;
        assert!(
            added.starts_with(&format!("added {name} 0.1.0 (")) && added.contains(", active"),
            "{added}"
        );
    }
    // They are the real plugins: a run scores every account with each.
    let runs = l
        .ok_as("acme", &["--json", "run", "--as-of", "2026-01-01"])
        .json();
    assert_eq!(runs.as_array().unwrap().len(), 4, "{runs}");
    assert!(
        runs.as_array().unwrap().iter().all(|r| r["ok"] == 3),
        "{runs}"
    );
    // Export: the stored bytes, whose sha-256 is the stored hash.
    let out = l.path("wh.wasm");
    let out_arg = out.display().to_string();
    let exported = l
        .ok_as(
            "acme",
            &[
                "--json",
                "plugin",
                "export",
                "weighted-health",
                "--out",
                &out_arg,
            ],
        )
        .json();
    let bytes = std::fs::read(&out).unwrap();
    let stored = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    let stored_hash = stored
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "weighted-health")
        .unwrap()["hash"]
        .clone();
    assert_eq!(content_hash(&bytes), stored_hash.as_str().unwrap());
    assert_eq!(exported["hash"], stored_hash);
    assert_eq!(exported["bytes"], bytes.len());
    assert_eq!(
        bytes,
        vitals_reference_pack::component("weighted-health").unwrap()
    );
    // An existing file is refused (exit 2) and left alone, unless --force.
    std::fs::write(&out, b"keep me").unwrap();
    let again = l.run_as(
        "acme",
        &["plugin", "export", "weighted-health", "--out", &out_arg],
    );
    refused(&again, &["the file exists", "--force"]);
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let forced = l
        .ok_as(
            "acme",
            &[
                "plugin",
                "export",
                "weighted-health",
                "--version",
                "0.1.0",
                "--out",
                &out_arg,
                "--force",
            ],
        )
        .stdout;
    assert!(
        forced.starts_with("exported weighted-health 0.1.0"),
        "{forced}"
    );
    assert_eq!(content_hash(&std::fs::read(&out).unwrap()), stored_hash);
    // A version or name that is not stored: exit 2, no file.
    let missing = l.path("none.wasm").display().to_string();
    let out = l.run_as(
        "acme",
        &[
            "plugin",
            "export",
            "weighted-health",
            "--version",
            "9.9.9",
            "--out",
            &missing,
        ],
    );
    refused(&out, &["weighted-health 9.9.9"]);
    assert!(!l.path("none.wasm").exists());
}

#[test]
fn reference_plugins_are_added_and_components_exported_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    let out = on_server(
        &s.url,
        &admin,
        &["plugin", "add", "reference/seat-expansoin"],
    );
    refused(&out, &["the reference plugins are seat-expansion, "]);
    let added = on_server(
        &s.url,
        &admin,
        &[
            "--json",
            "plugin",
            "add",
            "reference/seat-expansion",
            "--activate",
        ],
    )
    .success(&["plugin", "add"])
    .json();
    assert_eq!(added["name"], "seat-expansion");
    assert_eq!(added["active"], true);
    assert_eq!(added["deactivated"], Value::Array(vec![]));
    let hash = added["hash"].as_str().unwrap().to_string();
    // The CLI's export over HTTP, as a viewer (a read).
    let file = dir.path().join("seat.wasm");
    let file_arg = file.display().to_string();
    on_server(
        &s.url,
        &viewer,
        &["plugin", "export", "seat-expansion", "--out", &file_arg],
    )
    .success(&["plugin", "export"]);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(content_hash(&bytes), hash);
    let again = on_server(
        &s.url,
        &viewer,
        &["plugin", "export", "seat-expansion", "--out", &file_arg],
    );
    refused(&again, &["the file exists"]);
    // The route itself: application/wasm, the hash as its ETag.
    let r = s
        .call(
            Method::GET,
            "/v1/tenants/acme/plugins/seat-expansion/component?version=0.1.0",
            Some(&viewer),
        )
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.headers()["etag"], format!("\"{hash}\"").as_str());
    assert_eq!(r.bytes().unwrap().as_ref(), bytes.as_slice());
    let (status, err) = json_of(
        s.call(
            Method::GET,
            "/v1/tenants/acme/plugins/nope/component",
            Some(&viewer),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (404, Some("not-found")),
        "{err}"
    );
    // Documented in the OpenAPI description.
    let (_, doc) = json_of(s.call(Method::GET, "/openapi.json", None).send().unwrap());
    let paths = &doc["paths"];
    let component = &paths["/v1/tenants/{tenant}/plugins/{name}/component"]["get"];
    assert!(
        component["responses"]["200"]["content"]["application/wasm"].is_object(),
        "{component}"
    );
    assert!(paths["/v1/tenants/{tenant}/plugins/{name}/deactivate"]["post"].is_object());
    s.stop();
}
