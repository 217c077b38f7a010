//! Webhook endpoints and deliveries (issue #19), end to end: the real CLI
//! and server over a real store, a real receiver on 127.0.0.1 that checks
//! every signature as a receiver would. Loopback is allowed only by the
//! operator's `vitals.toml` in the data dir, as the tests' own policy.

use crate::cli::Cli;
use crate::receiver::{Mode, Receiver};
use crate::served::{Out, Server, json_of, operator_key, tenant_with_keys, vitals};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The Standard Webhooks example secret (24 bytes): receivers verify with it.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

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
    let receiver = Receiver::start(0, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Mode::Ok);
    let out = cli.run(&["webhook", "add", "crm", "--url", &receiver.url()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&receiver.url()) && out.stderr.contains("loopback"),
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
    let out = s.cli(&admin, &["deliveries", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        json!([])
    );
    let out = s.cli(&admin, &["webhook", "remove", "crm"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.stop();
}

/// The trigger tests' store (two days; on the second `a1` and `a4` turn
/// Red: three events), loopback allowed, and an endpoint per receiver.
fn fired(config: &str, endpoints: &[(&str, &str)]) -> Cli {
    let cli = Cli::new();
    crate::triggers::setup(&cli);
    std::fs::write(cli.path("data").join("vitals.toml"), config).unwrap();
    for (name, url) in endpoints {
        cli.ok(&["webhook", "add", name, "--url", url, "--secret", SECRET]);
    }
    cli.ok(&["run", "--as-of", "2026-01-01"]);
    cli.ok(&["run", "--as-of", "2026-02-01"]);
    cli
}

/// The event ids the runs fired.
fn event_ids(cli: &Cli) -> Vec<String> {
    let events = cli.ok(&["--json", "events"]).json();
    let mut ids: Vec<String> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// How often each webhook-id arrived; every arrival's signature verified.
fn arrived(receiver: &Receiver) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for a in receiver.arrivals() {
        assert!(a.verified, "a signature did not verify: {}", a.webhook_id);
        assert_eq!(a.body["data"]["id"], a.webhook_id.as_str(), "{}", a.body);
        *count.entry(a.webhook_id).or_insert(0) += 1;
    }
    count
}

fn deliveries(cli: &Cli, endpoint: &str) -> Vec<Value> {
    cli.ok(&["--json", "deliveries", "--endpoint", endpoint])
        .json()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_run_that_turns_accounts_red_is_delivered_once_per_event_signed() {
    let receiver = Receiver::start(0, SECRET, Mode::Ok);
    let cli = fired(LOOPBACK_CONFIG, &[("crm", &receiver.url())]);
    let ids = event_ids(&cli);
    assert_eq!(ids.len(), 3);
    let report = cli.ok(&["--json", "webhook", "deliver"]).json();
    assert_eq!(
        (report["attempted"].as_u64(), report["delivered"].as_u64()),
        (Some(3), Some(3)),
        "{report}"
    );
    let once: BTreeMap<String, usize> = ids.iter().map(|id| (id.clone(), 1)).collect();
    assert_eq!(arrived(&receiver), once);
    for d in deliveries(&cli, "crm") {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["last"]["code"], 200, "{d}");
        assert_eq!(d["last"]["response"], "receiver says 200 OK", "{d}");
    }
    let csv = cli.ok(&["--csv", "deliveries"]).stdout;
    assert!(
        csv.starts_with("endpoint,event,account,run,rule,status,attempts,code,latency_ms"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // Nothing is due any more: nothing is sent again.
    let again = cli.ok(&["--json", "webhook", "deliver"]).json();
    assert_eq!(again["attempted"], 0, "{again}");
    assert_eq!(arrived(&receiver), once);
    // Another tenant sees none of it.
    let rival =
        Out::of(vitals(&cli.path("data")).args(["--tenant", "rival", "--json", "deliveries"]))
            .success(&["deliveries"])
            .json();
    assert_eq!(rival, json!([]));
}

#[test]
fn a_receiver_down_then_up_gets_every_event_with_the_same_webhook_id() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/hook");
    // Retries far enough apart that one `deliver` makes one attempt each.
    let config = LOOPBACK_CONFIG.replace(
        "[\"100ms\", \"200ms\"]",
        "[\"300ms\", \"300ms\", \"300ms\"]",
    );
    let cli = fired(&config, &[("crm", &url)]);
    let report = cli.ok(&["--json", "webhook", "deliver"]).json();
    assert_eq!(report["retrying"], 3, "{report}");
    for d in deliveries(&cli, "crm") {
        assert_eq!(d["status"], "pending", "{d}");
        assert!(d["last"]["error"].is_string(), "{d}");
    }
    let receiver = Receiver::start(port, SECRET, Mode::Ok);
    // The first retry is due 300 ms (+-20%) after the failure.
    std::thread::sleep(Duration::from_millis(500));
    cli.ok(&["webhook", "deliver"]);
    let ids = event_ids(&cli);
    assert_eq!(
        arrived(&receiver),
        ids.iter().map(|id| (id.clone(), 1)).collect()
    );
    let listed: Vec<String> = deliveries(&cli, "crm")
        .iter()
        .map(|d| {
            assert_eq!(d["status"], "delivered", "{d}");
            assert!(d["attempts"].as_u64().unwrap() >= 2, "{d}");
            d["webhook_id"].as_str().unwrap().to_string()
        })
        .collect();
    let mut listed = listed;
    listed.sort();
    assert_eq!(listed, ids);
}

#[test]
fn a_receiver_that_times_out_or_answers_500_is_retried_and_410_disables_it() {
    let slow = Receiver::start(0, SECRET, Mode::Hang(Duration::from_millis(1500)));
    let broken = Receiver::start(0, SECRET, Mode::Fail);
    let gone = Receiver::start(0, SECRET, Mode::Gone);
    // One attempt at a time per endpoint: nothing is sent after a 410.
    let config = format!("{LOOPBACK_CONFIG}max_in_flight_per_endpoint = 1\n");
    let cli = fired(
        &config,
        &[
            ("slow", &slow.url()),
            ("broken", &broken.url()),
            ("gone", &gone.url()),
        ],
    );
    // Passes until the schedule (100 ms, 200 ms) is spent for every delivery.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        cli.ok(&["webhook", "deliver"]);
        let pending = cli
            .ok(&["--json", "deliveries", "--status", "pending"])
            .json();
        if pending == json!([]) {
            break;
        }
        assert!(Instant::now() < deadline, "{pending}");
        std::thread::sleep(Duration::from_millis(250));
    }
    for d in deliveries(&cli, "slow") {
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_u64()),
            (Some("dead"), Some(3)),
            "{d}"
        );
        assert_eq!(d["last"]["error"], "timed out after 1000 ms", "{d}");
    }
    for d in deliveries(&cli, "broken") {
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_u64()),
            (Some("dead"), Some(3)),
            "{d}"
        );
        assert_eq!(d["last"]["code"], 500, "{d}");
        assert!(
            d["dead_reason"].as_str().unwrap().contains("HTTP 500"),
            "{d}"
        );
    }
    assert_eq!(arrived(&broken).values().sum::<usize>(), 9);
    let dead = deliveries(&cli, "gone");
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().all(|d| d["status"] == "dead"), "{dead:?}");
    assert_eq!(gone.arrivals().len(), 1, "nothing is sent after a 410");
    let list = cli.ok(&["--json", "webhook", "list"]).json();
    let gone_view = list
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "gone")
        .unwrap();
    assert_eq!(gone_view["disabled"]["reason"], "410 Gone", "{list}");
    // Fixed and enabled, the gone endpoint gets its dead deliveries on replay.
    gone.set_mode(Mode::Ok);
    cli.ok(&["webhook", "enable", "gone"]);
    let replayed = cli
        .ok(&[
            "--json",
            "webhook",
            "replay",
            "--dead",
            "--endpoint",
            "gone",
        ])
        .json();
    assert_eq!(replayed["count"], 3, "{replayed}");
    cli.ok(&["webhook", "deliver"]);
    assert_eq!(arrived(&gone).len(), 3);
    assert!(
        deliveries(&cli, "gone")
            .iter()
            .all(|d| d["status"] == "delivered")
    );
}

#[test]
fn serve_delivers_on_its_own_and_a_replay_sends_the_same_ids_again() {
    let receiver = Receiver::start(0, SECRET, Mode::Ok);
    let cli = fired(LOOPBACK_CONFIG, &[("crm", &receiver.url())]);
    let data = cli.path("data");
    let admin = crate::served::local(&data, &["key", "issue", "acme", "--role", "admin"])
        .trim()
        .to_string();
    let s = Server::start(&data);
    let (ids, run) = event_ids_on(&s, &admin);
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while arrived(&receiver).values().sum::<usize>() < n {
            assert!(Instant::now() < deadline, "{:?}", arrived(&receiver));
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    wait_for(3);
    let out = s.cli(&admin, &["--json", "webhook", "replay", "--run", &run]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(6);
    let twice: BTreeMap<String, usize> = ids.iter().map(|id| (id.clone(), 2)).collect();
    assert_eq!(arrived(&receiver), twice);
    let (status, list) = json_of(
        s.call(
            Method::GET,
            "/v1/tenants/acme/deliveries?status=delivered",
            Some(&admin),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let metrics = s
        .call(Method::GET, "/metrics", None)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("vitals_webhook_deliveries_total{status=\"delivered\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("vitals_webhook_attempt_duration_seconds_count"),
        "{metrics}"
    );
    s.stop();
}

/// The events' ids over HTTP, and the run that fired them.
fn event_ids_on(s: &Server, key: &str) -> (Vec<String>, String) {
    let (status, events) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/events", Some(key))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{events}");
    let mut ids: Vec<String> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    (ids, events[0]["run"]["id"].to_string())
}

#[test]
fn a_server_killed_during_delivery_loses_nothing_and_repeats_only_the_same_ids() {
    // The receiver holds the first request for 3 s: a delivery is in flight
    // when the server is SIGKILLed.
    let receiver = Receiver::start(0, SECRET, Mode::Hang(Duration::from_secs(3)));
    let config = "[webhooks]\ndestinations = [\"127.0.0.1/32\"]\nretry_schedule = [\"100ms\", \"200ms\", \"400ms\"]\ntimeout_ms = 10000\n";
    let cli = fired(config, &[("crm", &receiver.url())]);
    let ids = event_ids(&cli);
    assert_eq!(ids.len(), 3);
    let data = cli.path("data");
    let admin = crate::served::local(&data, &["key", "issue", "acme", "--role", "admin"])
        .trim()
        .to_string();
    let s = Server::start(&data);
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.accepted() == 0 {
        assert!(Instant::now() < deadline, "no delivery started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = std::process::Command::new("kill")
        .args(["-9", &s.pid().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    drop(s);
    // Up again, with a receiver that answers: every event arrives, signed,
    // and anything sent twice carries the same webhook-id.
    receiver.set_mode(Mode::Ok);
    let s = Server::start(&data);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = arrived(&receiver);
        if ids.iter().all(|id| got.contains_key(id)) {
            break;
        }
        assert!(Instant::now() < deadline, "{got:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = arrived(&receiver);
    assert!(
        got.keys().all(|id| ids.contains(id)),
        "an id that is not an event's: {got:?}"
    );
    let (status, list) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/deliveries", Some(&admin))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 200, "{list}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut list = list;
    while !list
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["status"] == "delivered")
    {
        assert!(Instant::now() < deadline, "{list}");
        std::thread::sleep(Duration::from_millis(100));
        list = json_of(
            s.call(Method::GET, "/v1/tenants/acme/deliveries", Some(&admin))
                .send()
                .unwrap(),
        )
        .1;
    }
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    s.stop();
}
