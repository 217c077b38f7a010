//! The HTTP service as its users meet it: the real `vitals serve` process on
//! 127.0.0.1:0 over a real store, driven with an HTTP client and with the
//! CLI's `--server`: the whole flow, auth and cross-tenant denial on every
//! route of the OpenAPI document, a shadow run with known changes, body
//! limits, streamed ingest, a graceful stop and a restart.

use crate::served::{Server, install_pack, json_of, local, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::{Value, json};
use vitals::service::Api;

const FIXTURE: &str = "\
account_id,as_of,name,owner,start_date,renewal_date,contract_arr,seats_purchased,seats_active,logins,features_used,features_available,tickets_open,tickets_high_severity,nps,csat,champion_left,late_payments,webinars_attended,community_posts
thriving,2026-01-01,Thriving Co,ana,2023-01-01,2026-02-01,100000,100,110,2000,15,20,0,0,10,98,false,0,4,6
middling,2026-01-01,Middling Co,ben,2023-01-01,2026-02-15,50000,100,60,,,,,,7,,,,,
struggling,2026-01-01,Struggling Co,ben,2023-01-01,2026-03-01,20000,100,10,5,1,20,10,4,1,20,true,3,0,0
";

#[test]
fn the_whole_flow_over_http_and_the_cli_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    // Ingest CSV as admin; a viewer may not.
    let ingest = |key: &str| {
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?format=csv",
            Some(key),
        )
        .body(FIXTURE)
        .send()
        .unwrap()
    };
    assert_eq!(ingest(&viewer).status().as_u16(), 403);
    let (status, report) = json_of(ingest(&admin));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["snapshots_added"], 3);
    install_pack(&s, &admin, "acme");
    // Configure (validated against the schema), then run.
    let (status, err) = json_of(
        s.call(
            Method::PUT,
            "/v1/tenants/acme/plugins/weighted-health/config",
            Some(&admin),
        )
        .json(&json!({"red_below": "low"}))
        .send()
        .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("invalid-config")),
        "{err}"
    );
    assert!(
        err["message"].as_str().unwrap().contains("red_below"),
        "{err}"
    );
    let (status, runs) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/runs", Some(&admin))
            .json(&json!({"as_of": "2026-01-01"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{runs}");
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert!(
        runs.iter()
            .all(|r| r["status"]["state"] == "complete" && r["ok"] == 3)
    );
    let health_run = runs
        .iter()
        .find(|r| r["plugin"] == "weighted-health")
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    // Typed reads through the same client the CLI uses.
    let viewer_api = s.client(&viewer);
    let page = viewer_api
        .results(
            "acme",
            health_run,
            vitals::service::Page {
                offset: 1,
                limit: 1,
                after: None,
            },
        )
        .unwrap();
    assert_eq!((page.total, page.results.len()), (3, 1));
    assert_eq!(page.results[0].account, "struggling");
    let forecast = viewer_api.forecast("acme", None, 90).unwrap();
    assert_eq!(forecast.summary.renewals_due, 3);
    assert!((forecast.summary.expected_renewal_arr - 134_000.0).abs() < 1e-6);
    let summary = viewer_api.summary("acme", &q(90, 10)).unwrap();
    let bands = summary.health.as_ref().unwrap().now;
    assert_eq!((bands.green, bands.yellow, bands.red), (1, 1, 1));
    // Scoring on demand gives what the run stored, for the same instant.
    let scored = viewer_api
        .score("acme", "struggling", Some(day("2026-01-01")))
        .unwrap();
    assert_eq!(scored.results.len(), 4);
    let account = viewer_api.account("acme", "struggling").unwrap();
    for r in &scored.results {
        let stored = account
            .results
            .iter()
            .find(|a| a.plugin == r.plugin)
            .unwrap();
        assert_eq!(stored.result.output, r.result.output, "{}", r.plugin);
        assert_eq!(stored.plugin_hash, r.plugin_hash);
    }
    // Backtests over HTTP: this fixture has no outcomes, so no figure can be
    // made, and the answer says why.
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/backtests", Some(&viewer))
            .json(&json!({"cutoff": "2026-01-01", "horizon_days": 90}))
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (422, Some("invalid-backtest")),
        "{err}"
    );
    // The CLI on the server: same commands, the tenant from the key.
    let out = s.cli(&viewer, &["--json", "summary"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli_summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli_summary, serde_json::to_value(&summary).unwrap());
    let out = s.cli(&viewer, &["account", "show", "struggling"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("Why"), "{text}");
    let out = s.cli(&viewer, &["run"]);
    assert_eq!(out.status.code(), Some(2), "a viewer cannot run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin"));
    let out = s.cli(&admin, &["--json", "plugin", "list"]);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    // Operator routes: tenants with their account counts; keys never show secrets.
    let out = s.cli(&op, &["--json", "tenant", "list"]);
    let tenants: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(tenants[0]["accounts"], 3, "{tenants}");
    let (_, keys) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/keys", Some(&op))
            .send()
            .unwrap(),
    );
    assert_eq!(keys.as_array().unwrap().len(), 2);
    assert!(
        !keys
            .to_string()
            .contains(admin.split('_').next_back().unwrap())
    );
    // Metrics: requests by route, plugin work, run durations.
    let metrics = s
        .call(Method::GET, "/metrics", None)
        .send()
        .unwrap()
        .text()
        .unwrap();
    for needle in [
        "vitals_http_requests_total{method=\"POST\",route=\"/v1/tenants/{tenant}/runs\",status=\"201\"} 1",
        "vitals_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/tenants/{tenant}/summary\"",
        "vitals_run_duration_seconds_count{kind=\"health-model\"} 1",
        "vitals_plugin_fuel_total",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    let (status, health) = json_of(s.call(Method::GET, "/healthz", None).send().unwrap());
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    s.stop();
}

/// Fills a route template's parameters.
fn concrete(template: &str, tenant: &str) -> String {
    template
        .replace("{tenant}", tenant)
        .replace("{name}", "weighted-health")
        .replace("{id}", "1")
}

/// A body that parses for each operation, so that only authorisation decides.
fn valid_body(method: &str, path: &str) -> Option<Value> {
    match (method, path.rsplit('/').next().unwrap()) {
        ("post", "tenants") => Some(json!({"id": "zeta"})),
        ("put", "limits") => Some(json!({"fuel": 1000})),
        ("post", "keys") => Some(json!({"role": "viewer"})),
        ("put", "config") => Some(json!({})),
        ("post", "activate") => Some(json!({"version": "0.1.0"})),
        ("post", "runs") => Some(json!({})),
        ("post", "shadow-runs") => Some(json!({"plugin": "weighted-health", "version": "0.1.0"})),
        _ => None,
    }
}

#[test]
fn every_route_needs_a_key_and_no_tenant_reaches_another() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (a_admin, a_viewer) = tenant_with_keys(&s, &op, "alpha");
    let (b_admin, _) = tenant_with_keys(&s, &op, "beta");
    install_pack(&s, &b_admin, "beta");
    let (_, doc) = json_of(s.call(Method::GET, "/openapi.json", None).send().unwrap());
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let send = |key: Option<&str>, tenant: &str| {
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let mut r = s.call(m, &concrete(template, tenant), key);
                if let Some(b) = valid_body(method, template) {
                    r = r.json(&b);
                }
                json_of(r.send().unwrap())
            };
            let what = format!("{method} {template}");
            if template.starts_with("/v1/schemas/") {
                // Published schemas are public: nothing of a tenant in them.
                let (status, schema) = send(None, "beta");
                assert_eq!(status, 200, "{what}");
                assert!(schema["$schema"].is_string(), "{what}");
                continue;
            }
            // No key, or a wrong one: 401 everywhere.
            assert_eq!(send(None, "beta").0, 401, "{what}");
            assert_eq!(
                send(Some("vk_0000000000000000_00"), "beta").0,
                401,
                "{what}"
            );
            if template == "/v1/whoami" {
                continue;
            }
            if template.contains("{tenant}") {
                // Another tenant's route: the very answer of a tenant that does not exist.
                let other = send(Some(&a_admin), "beta");
                let missing = send(Some(&a_admin), "nobody");
                assert_eq!(other.0, 404, "{what}: {other:?}");
                assert_eq!(
                    other.1["message"].as_str().unwrap().replace("beta", "X"),
                    missing.1["message"]
                        .as_str()
                        .unwrap()
                        .replace("nobody", "X"),
                    "{what}"
                );
            }
            let operator_route = template == "/v1/tenants"
                || template == "/v1/tenants/{tenant}"
                || template == "/v1/audit"
                || template.starts_with("/v1/trust")
                || template.ends_with("/limits")
                || template.contains("/keys");
            if operator_route {
                assert_eq!(send(Some(&a_admin), "alpha").0, 403, "{what}");
            } else {
                assert_eq!(
                    send(Some(&op), "alpha").0,
                    403,
                    "{what}: operator on tenant data"
                );
                let reads = method == "get"
                    || template.ends_with("/score")
                    || template.ends_with("/triggers/{name}/test")
                    || template.contains("/backtests");
                if !reads {
                    assert_eq!(send(Some(&a_viewer), "alpha").0, 403, "{what}: viewer");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} operations in the document");
    // Beta is untouched by everything alpha tried.
    let beta = s.client(&b_admin);
    assert!(beta.runs("beta").unwrap().is_empty());
    assert_eq!(beta.plugins("beta").unwrap().len(), 4);
}

#[test]
fn a_shadow_run_reports_the_known_changes_and_leaves_active_results_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The demo tenant: 5,000 accounts scored by the pack at four quarter ends.
    local(&data, &["demo", "--tenant", "demo"]);
    let op = operator_key(&data);
    let admin = local(&data, &["key", "issue", "demo", "--role", "admin"])
        .trim()
        .to_string();
    let s = Server::start(&data);
    let api = s.client(&admin);
    let runs_before = api.runs("demo").unwrap();
    let latest = runs_before
        .iter()
        .filter(|r| r.plugin == "weighted-health")
        .max_by_key(|r| (r.as_of, r.id))
        .unwrap()
        .clone();
    let page = |id| {
        api.results(
            "demo",
            id,
            vitals::service::Page {
                offset: 0,
                limit: 10_000,
                after: None,
            },
        )
        .unwrap()
    };
    let active = page(latest.id);
    // weighted-health 0.2.0 only raises the Yellow threshold by 5 points:
    // exactly the Green accounts scoring below it + 5 turn Yellow.
    let config = api.config("demo", "weighted-health").unwrap();
    let yellow_below = config["yellow_below"].as_f64().unwrap_or(75.0);
    let mut expected = Vec::new();
    for r in &active.results {
        if let Some(vitals::runtime::Output::Health(h)) = &r.output
            && h.band == vitals::runtime::types::Band::Green
            && h.score < yellow_below + 5.0
        {
            expected.push(r.account.clone());
        }
    }
    assert!(!expected.is_empty(), "the demo has accounts near the line");
    let (status, v2) = json_of(
        s.call(Method::POST, "/v1/tenants/demo/plugins", Some(&admin))
            .body(vitals_e2e::WEIGHTED_HEALTH_V2.to_vec())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["active"], false);
    let report = api
        .shadow(
            "demo",
            &vitals::service::ShadowRequest {
                plugin: "weighted-health".into(),
                version: "0.2.0".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(day(&report.as_of), latest.as_of);
    assert_eq!(report.accounts, active.total);
    assert_eq!(report.changed, expected.len());
    assert_eq!(report.band_changes.len(), 1, "{:?}", report.band_changes);
    let change = &report.band_changes[0];
    assert_eq!(
        (change.from, change.to, change.accounts),
        (
            vitals::runtime::types::Band::Green,
            vitals::runtime::types::Band::Yellow,
            expected.len()
        )
    );
    let score = report.score.as_ref().unwrap();
    assert_eq!((score.max_abs, score.up, score.down), (0.0, 0, 0));
    let mut listed: Vec<String> = report.changes.iter().map(|c| c.account.clone()).collect();
    listed.sort();
    expected.sort();
    expected.truncate(vitals::service::shadow::SHADOW_LISTED);
    assert_eq!(
        listed, expected,
        "no score moves, so the first accounts by id are listed"
    );
    // A forecaster with another configuration: the ARR that moves.
    let forecast = api
        .shadow(
            "demo",
            &vitals::service::ShadowRequest {
                plugin: "renewal-forecast".into(),
                version: "0.1.0".into(),
                config: Some(json!({"green": 0.5})),
                ..Default::default()
            },
        )
        .unwrap();
    let f = forecast.forecast.as_ref().unwrap();
    assert!(f.accounts_changed > 0 && f.arr_affected > 0.0, "{f:?}");
    assert!(f.expected_renewal_arr_candidate < f.expected_renewal_arr_active);
    // Active results and runs untouched; the reports are kept.
    assert_eq!(api.runs("demo").unwrap(), runs_before);
    assert_eq!(page(latest.id), active);
    assert_eq!(
        api.plugin("demo", "weighted-health", None)
            .unwrap()
            .plugin
            .version,
        "0.1.0"
    );
    assert_eq!(api.shadow_reports("demo").unwrap().len(), 2);
    drop(op);
    s.stop();
}

#[test]
fn bodies_are_limited_ndjson_is_streamed_and_a_restart_serves_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    // A JSON body over 1 MiB: 413 with the API's error shape.
    let big = json!({"id": "x".repeat(2 << 20)});
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants", Some(&op))
            .json(&big)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (413, Some("payload-too-large")),
        "{err}"
    );
    // Malformed JSON and unknown fields: 4xx naming the problem.
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants", Some(&op))
            .header("content-type", "application/json")
            .body("{\"id\": ")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400, "{err}");
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants", Some(&op))
            .json(&json!({"id": "y", "colour": "red"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 422, "{err}");
    assert!(err["message"].as_str().unwrap().contains("colour"), "{err}");
    // A 3 MiB NDJSON body, parsed block by block as it arrives: one bad
    // record far past the first block is named by its real line.
    let mut body = String::new();
    let n = 20_000;
    for i in 0..n {
        let nps = if i == 17_321 { 42 } else { 8 };
        body.push_str(&format!(
            "{{\"account_id\":\"a{i:05}\",\"as_of\":\"2026-01-01\",\"seats_purchased\":100,\"seats_active\":{},\"nps\":{nps},\"name\":\"Account number {i} with a longer name to fill the line\"}}\n",
            i % 100
        ));
    }
    assert!(body.len() > 3 << 20);
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/ingest", Some(&admin))
            .header("content-type", "application/x-ndjson")
            .body(body.clone())
            .send()
            .unwrap(),
    );
    assert_eq!(status, 422, "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("line 17322") && message.contains("nps"),
        "{message}"
    );
    assert!(
        s.client(&viewer).account("acme", "a00001").is_err(),
        "nothing loaded"
    );
    let fixed = body.replace("\"nps\":42", "\"nps\":9");
    let (status, report) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/ingest", Some(&admin))
            .body(fixed)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, report["snapshots_added"].as_u64()),
        (200, Some(n)),
        "{report}"
    );
    install_pack(&s, &admin, "acme");
    let runs = s
        .client(&admin)
        .run(
            "acme",
            &vitals::service::RunRequest {
                as_of: Some(day("2026-01-01")),
                ..Default::default()
            },
            &mut |_| {},
        )
        .unwrap();
    let before = s.client(&viewer).summary("acme", &q(90, 5)).unwrap();
    s.stop();
    // The same store, served again: keys, runs, results and summaries.
    let s = Server::start(&data);
    let viewer_api = s.client(&viewer);
    assert_eq!(viewer_api.runs("acme").unwrap(), runs);
    assert_eq!(
        serde_json::to_value(viewer_api.summary("acme", &q(90, 5)).unwrap()).unwrap(),
        serde_json::to_value(before).unwrap()
    );
    assert_eq!(
        viewer_api.account("acme", "a19999").unwrap().history.len(),
        1
    );
    s.stop();
}

/// The summary query for a horizon and a number of candidates.
fn q(days: i32, top: usize) -> vitals::service::SummaryQuery {
    vitals::service::SummaryQuery {
        days,
        top,
        ..Default::default()
    }
}

/// A `YYYY-MM-DD` date as the API's day number.
fn day(text: &str) -> i32 {
    vitals::contract::date::parse(text).expect("a date")
}
