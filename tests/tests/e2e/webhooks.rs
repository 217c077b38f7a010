//! Webhook endpoints and deliveries (issue #19), end to end: the real CLI
//! and server over a real store, a real receiver on 127.0.0.1 that checks
//! every signature as a receiver would. Loopback is allowed only by the
//! operator's `vitals.toml` in the data dir, as the tests' own policy.

use crate::cli::Cli;
use crate::served::{Server, json_of, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::json;

/// The operator's configuration that lets tests deliver to loopback, fast.
const LOOPBACK_CONFIG: &str = "[webhooks]\ndestinations = [\"127.0.0.1/32\"]\nretry_schedule = [\"100ms\", \"200ms\"]\ntimeout_ms = 1000\n";

fn cli_with_loopback() -> Cli {
    let cli = Cli::new();
    cli.ok(&["init"]);
    std::fs::write(cli.path("data").join("vitals.toml"), LOOPBACK_CONFIG).unwrap();
    cli
}

#[test]
fn the_default_policy_refuses_loopback_at_add() {
    let cli = Cli::new();
    cli.ok(&["init"]);
    let url = "http://127.0.0.1:9/hook";
    let out = cli.run(&["webhook", "add", "crm", "--url", url]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(url) && out.stderr.contains("loopback"),
        "{}",
        out.stderr
    );
    let out = cli.run(&[
        "webhook",
        "add",
        "meta",
        "--url",
        "http://169.254.169.254/latest",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("link-local"), "{}", out.stderr);
    assert_eq!(cli.ok(&["webhook", "list", "--json"]).json(), json!([]));
}

#[test]
fn a_destination_outside_the_allow_list_is_refused_at_add() {
    let cli = cli_with_loopback();
    for (url, why) in [
        ("http://10.0.0.1/hook", "private"),
        ("http://127.0.0.2:8080/hook", "loopback"),
        ("http://8.8.8.8/hook", "webhooks.destinations"),
        ("ftp://127.0.0.1/hook", "http or https"),
    ] {
        let out = cli.run(&["webhook", "add", "crm", "--url", url]);
        assert_eq!(out.code, 2, "{url}: {}", out.stdout);
        assert!(
            out.stderr.contains(url.trim_end_matches('/')) && out.stderr.contains(why),
            "{url}: {}",
            out.stderr
        );
    }
    // Inside the listed network: allowed.
    cli.ok(&["webhook", "add", "crm", "--url", "http://127.0.0.1:9/hook"]);
}

#[test]
fn endpoints_are_managed_from_the_cli_and_secrets_are_shown_once() {
    let cli = cli_with_loopback();
    let added = cli
        .ok(&[
            "webhook",
            "add",
            "crm",
            "--url",
            "http://127.0.0.1:9/hook",
            "--json",
        ])
        .json();
    let secret = added["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && added["generated"] == json!(true));
    let list = cli.ok(&["webhook", "list"]).stdout;
    assert!(list.contains("crm") && !list.contains("whsec_"), "{list}");
    let csv = cli.ok(&["webhook", "list", "--csv"]).stdout;
    assert!(csv.starts_with("name,url,status"), "{csv}");
    let bad = cli.run(&["webhook", "rotate-secret", "crm", "--secret", "hunter2"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("whsec_"), "{}", bad.stderr);
    let rotated = cli
        .ok(&["webhook", "rotate-secret", "crm", "--json"])
        .json();
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    assert!(rotated["webhook"]["previous_secret_until_ms"].is_u64());
    let listed = cli.ok(&["webhook", "list", "--json"]).json();
    assert!(!listed.to_string().contains("whsec_"), "{listed}");
    cli.ok(&["webhook", "enable", "crm"]);
    cli.ok(&["webhook", "remove", "crm"]);
    let gone = cli.run(&["webhook", "remove", "crm"]);
    assert_eq!(gone.code, 2);
    assert!(gone.stderr.contains("crm"), "{}", gone.stderr);
}

#[test]
fn endpoints_over_http_follow_the_roles_and_stay_within_their_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    std::fs::write(data.join("vitals.toml"), LOOPBACK_CONFIG).unwrap();
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "alpha");
    let (other, _) = tenant_with_keys(&s, &op, "beta");
    let body = json!({"name": "crm", "url": "http://127.0.0.1:9/hook"});
    let add = |key: &str, tenant: &str| {
        json_of(
            s.call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/webhooks"),
                Some(key),
            )
            .json(&body)
            .send()
            .unwrap(),
        )
    };
    assert_eq!(add(&viewer, "alpha").0, 403);
    assert_eq!(add(&other, "alpha").0, 404);
    let (status, made) = add(&admin, "alpha");
    assert_eq!(status, 201, "{made}");
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    let (status, list) = json_of(
        s.call(Method::GET, "/v1/tenants/alpha/webhooks", Some(&viewer))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(list[0]["name"], "crm");
    assert!(!list.to_string().contains("whsec_"), "{list}");
    let (status, list) = json_of(
        s.call(Method::GET, "/v1/tenants/beta/webhooks", Some(&other))
            .send()
            .unwrap(),
    );
    assert_eq!((status, list), (200, json!([])));
    let refused = json_of(
        s.call(Method::POST, "/v1/tenants/alpha/webhooks", Some(&admin))
            .json(&json!({"name": "meta", "url": "http://169.254.169.254/"}))
            .send()
            .unwrap(),
    );
    assert_eq!(refused.0, 400, "{:?}", refused.1);
    assert!(
        refused.1["message"]
            .as_str()
            .unwrap()
            .contains("link-local")
    );
    // The CLI on the server: the same operations.
    let out = s.cli(&admin, &["webhook", "rotate-secret", "crm", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = s.cli(&admin, &["webhook", "remove", "crm"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.stop();
}
