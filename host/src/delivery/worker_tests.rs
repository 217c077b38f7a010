//! Delivery passes over a real store and a real receiver on 127.0.0.1
//! (a small HTTP server on a thread answering what the test says, and
//! verifying each signature with the specification's crate).

use super::*;
use crate::contract::ContractVersion::V0_2;
use crate::contract::{PluginKind, PluginMetadata};
use crate::delivery::WebhooksSection;
use crate::store::{DeliveryFilter, DeliveryStatus};
use crate::triggers::{AccountRef, Event, EventRun, Explanation, RuleRef, event_id};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Mutex;

const T: &str = "t";

/// A receiver answering `status` to everything, keeping each request's
/// `webhook-id` and whether its signature verified.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<(String, bool)>>>,
    status: Arc<Mutex<u16>>,
}

impl Receiver {
    fn start(secret: &str, status: u16) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(status));
        let verifier = standardwebhooks::Webhook::new(secret).unwrap();
        let (seen2, status2) = (seen.clone(), status.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = reqwest::header::HeaderMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut length = 0;
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let Some((name, value)) = line.trim_end().split_once(':') else {
                        break;
                    };
                    let name = name.to_ascii_lowercase();
                    if name == "content-length" {
                        length = value.trim().parse().unwrap();
                    }
                    headers.insert(
                        reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                        value.trim().parse().unwrap(),
                    );
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let id = headers["webhook-id"].to_str().unwrap().to_string();
                let verified = verifier.verify(&body, &headers).is_ok();
                seen2.lock().unwrap().push((id, verified));
                let code = *status2.lock().unwrap();
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} X\r\ncontent-length: 9\r\nconnection: close\r\n\r\nhello\x1b[0m"
                );
            }
        });
        Receiver { url, seen, status }
    }

    fn seen(&self) -> Vec<(String, bool)> {
        self.seen.lock().unwrap().clone()
    }
}

fn settings(schedule: &[&str]) -> DeliverySettings {
    WebhooksSection {
        destinations: vec!["127.0.0.1/32".into()],
        retry_schedule: schedule.iter().map(|s| s.to_string()).collect(),
        jitter: 0.0,
        timeout_ms: 2_000,
        ..Default::default()
    }
    .settings()
    .unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_tenant(T, "T").unwrap();
    (dir, store)
}

fn endpoint(store: &Store, name: &str, url: &str, secret: &str) {
    store
        .add_endpoint(
            T,
            &Endpoint {
                name: name.into(),
                url: url.into(),
                secret: secret.into(),
                previous_secret: None,
                created_ms: now_ms(),
                disabled: None,
                failing_since_ms: None,
                flagged: None,
            },
        )
        .unwrap();
}

/// A complete run that fired one event per account, to `endpoints`.
fn run_with_events(store: &Store, accounts: &[&str], endpoints: &[&str]) -> u64 {
    let meta = PluginMetadata {
        name: "h".into(),
        version: "1.0.0".into(),
        kind: PluginKind::HealthModel,
        description: "d".into(),
        config_schema: "{}".into(),
        reads: vec![],
    };
    let plugin = store.add_plugin(T, "hash", b"c", &meta, V0_2).unwrap();
    let mut run = store.start_run(T, &plugin, "{}", 20_000).unwrap();
    let events: Vec<Event> = accounts
        .iter()
        .map(|a| Event {
            id: event_id(T, run.id, "turned-red", a),
            event: "band-changed".into(),
            rule: RuleRef {
                name: "turned-red".into(),
                version: 1,
            },
            account: AccountRef {
                id: a.to_string(),
                name: None,
                owner: None,
                tier: None,
                plan: None,
                contract_arr: None,
            },
            before: serde_json::json!({"band": "yellow"}),
            after: serde_json::json!({"band": "red"}),
            explanation: Explanation::default(),
            run: EventRun {
                id: run.id,
                plugin: "h".into(),
                version: "1.0.0".into(),
                plugin_hash: "hash".into(),
                config: serde_json::json!({}),
                pack: None,
                as_of: "2024-10-04".into(),
                previous_run: 0,
                previous_as_of: "2024-07-04".into(),
            },
            webhooks: endpoints.iter().map(|e| e.to_string()).collect(),
            occurred_at: "2024-10-04T00:00:00Z".into(),
        })
        .collect();
    store.stage_events(T, run.id, &events).unwrap();
    run.events = events.len() as u64;
    store.complete_run(&mut run).unwrap();
    run.id
}

fn worker(store: &Store, schedule: &[&str]) -> Worker {
    Worker::new(store.clone(), settings(schedule), Arc::default()).unwrap()
}

fn drain(w: &Worker) -> PassReport {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(w.drain())
        .unwrap()
}

fn all(store: &Store) -> Vec<Delivery> {
    store.deliveries(T, &DeliveryFilter::default()).unwrap()
}

fn secret() -> String {
    crate::delivery::sign::generate_secret().unwrap()
}

#[test]
fn each_event_is_delivered_once_signed_with_its_id() {
    let (_d, store) = store();
    let key = secret();
    let rx = Receiver::start(&key, 200);
    endpoint(&store, "crm", &rx.url, &key);
    run_with_events(&store, &["a-1", "a-2", "a-3"], &["crm"]);
    let report = drain(&worker(&store, &["0ms"]));
    assert_eq!((report.fanned_out, report.delivered), (3, 3), "{report:?}");
    let seen = rx.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|(_, verified)| *verified), "{seen:?}");
    let deliveries = all(&store);
    let mut ids: Vec<_> = deliveries.iter().map(|d| d.webhook_id.clone()).collect();
    let mut arrived: Vec<_> = seen.into_iter().map(|(id, _)| id).collect();
    ids.sort();
    arrived.sort();
    assert_eq!(ids, arrived);
    for d in &deliveries {
        assert_eq!(d.status, DeliveryStatus::Delivered);
        let last = d.last.as_ref().unwrap();
        assert_eq!(last.code, Some(200));
        // The receiver's bytes, capped and made printable.
        assert_eq!(last.response.as_deref(), Some("hello\\u{1b}[0m"));
    }
    // Nothing is sent twice.
    assert!(drain(&worker(&store, &["0ms"])).idle());
    assert_eq!(rx.seen().len(), 3);
}

#[test]
fn failures_are_retried_per_schedule_then_dead_and_replay_sends_the_same_id() {
    let (_d, store) = store();
    let key = secret();
    let rx = Receiver::start(&key, 500);
    endpoint(&store, "crm", &rx.url, &key);
    run_with_events(&store, &["a-1"], &["crm"]);
    let report = drain(&worker(&store, &["0ms", "0ms"]));
    assert_eq!(
        (report.attempted, report.retrying, report.dead),
        (3, 2, 1),
        "{report:?}"
    );
    let d = &all(&store)[0];
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Dead, 3));
    assert!(
        d.dead_reason.as_ref().unwrap().contains("HTTP 500"),
        "{d:?}"
    );
    assert!(
        store
            .endpoint(T, "crm")
            .unwrap()
            .unwrap()
            .failing_since_ms
            .is_some()
    );
    // The receiver is fixed: a replay delivers, with the same webhook-id.
    *rx.status.lock().unwrap() = 200;
    let replayed = store.replay(T, &DeliveryFilter::default()).unwrap();
    assert_eq!(replayed.len(), 1);
    drain(&worker(&store, &["0ms", "0ms"]));
    let seen = rx.seen();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter().all(|(id, ok)| *id == d.webhook_id && *ok),
        "{seen:?}"
    );
    assert_eq!(all(&store)[0].status, DeliveryStatus::Delivered);
    assert_eq!(
        store.endpoint(T, "crm").unwrap().unwrap().failing_since_ms,
        None
    );
}

#[test]
fn a_410_disables_the_endpoint_and_its_other_deliveries_go_dead() {
    let (_d, store) = store();
    let key = secret();
    let rx = Receiver::start(&key, 410);
    endpoint(&store, "crm", &rx.url, &key);
    run_with_events(&store, &["a-1", "a-2"], &["crm"]);
    let w = Worker::new(
        store.clone(),
        DeliverySettings {
            max_in_flight_per_endpoint: 1,
            ..settings(&["0ms"])
        },
        Arc::default(),
    )
    .unwrap();
    let report = drain(&w);
    assert_eq!(report.dead, 2, "{report:?}");
    assert_eq!(rx.seen().len(), 1, "nothing more is sent after a 410");
    let e = store.endpoint(T, "crm").unwrap().unwrap();
    assert_eq!(e.disabled.unwrap().reason, "410 Gone");
    assert!(all(&store).iter().all(|d| d.status == DeliveryStatus::Dead));
}

#[test]
fn a_removed_or_disabled_endpoint_gets_nothing_and_the_deliveries_can_be_replayed() {
    let (_d, store) = store();
    let key = secret();
    let rx = Receiver::start(&key, 200);
    endpoint(&store, "crm", &rx.url, &key);
    run_with_events(&store, &["a-1"], &["crm", "gone"]);
    let mut e = store.endpoint(T, "crm").unwrap().unwrap();
    e.disabled = Some(EndpointDisabled {
        at_ms: 1,
        reason: "by the tenant".into(),
    });
    store.put_endpoint(T, &e).unwrap();
    let report = drain(&worker(&store, &["0ms"]));
    assert_eq!((report.attempted, report.dead), (0, 2), "{report:?}");
    assert!(rx.seen().is_empty());
    let reasons: Vec<String> = all(&store)
        .into_iter()
        .map(|d| d.dead_reason.unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("\"crm\" is disabled: by the tenant")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("\"gone\" was removed")),
        "{reasons:?}"
    );
    e.disabled = None;
    store.put_endpoint(T, &e).unwrap();
    store.replay(T, &DeliveryFilter::default()).unwrap();
    drain(&worker(&store, &["0ms"]));
    assert_eq!(rx.seen().len(), 1);
}

#[test]
fn an_endpoint_failing_past_the_limit_is_disabled_and_flagged() {
    let (_d, store) = store();
    let key = secret();
    let rx = Receiver::start(&key, 503);
    endpoint(&store, "crm", &rx.url, &key);
    let mut e = store.endpoint(T, "crm").unwrap().unwrap();
    e.failing_since_ms = Some(now_ms() - 121 * 3_600_000);
    store.put_endpoint(T, &e).unwrap();
    run_with_events(&store, &["a-1"], &["crm"]);
    drain(&worker(&store, &["1h"]));
    let e = store.endpoint(T, "crm").unwrap().unwrap();
    assert!(e.disabled.is_some(), "{e:?}");
    assert!(e.flagged.unwrap().contains("120 hours"));
}

#[test]
fn during_a_rotation_both_secrets_sign() {
    let (_d, store) = store();
    let (old, new) = (secret(), secret());
    let rx_old = Receiver::start(&old, 200);
    endpoint(&store, "crm", &rx_old.url, &new);
    let mut e = store.endpoint(T, "crm").unwrap().unwrap();
    e.previous_secret = Some(crate::store::PreviousSecret {
        secret: old.clone(),
        until_ms: now_ms() + 60_000,
    });
    store.put_endpoint(T, &e).unwrap();
    run_with_events(&store, &["a-1"], &["crm"]);
    drain(&worker(&store, &["0ms"]));
    // A receiver still on the old secret verifies.
    assert_eq!(rx_old.seen().len(), 1);
    assert!(rx_old.seen()[0].1);
}
