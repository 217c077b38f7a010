//! Endpoints through the service: the destination policy at add, secrets
//! shown once, rotation, enabling, tenants kept apart.

use super::*;
use crate::delivery::{DeliverySettings, WebhooksSection};
use crate::runtime::{Runtime, RuntimeConfig};
use crate::store::{EndpointDisabled, Store};

const T: &str = "t";

fn service(destinations: &[&str]) -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_tenant(T, "T").unwrap();
    store.create_tenant("other", "Other").unwrap();
    let rt = Runtime::new(RuntimeConfig {
        pooling: false,
        ..Default::default()
    })
    .unwrap();
    let settings: DeliverySettings = WebhooksSection {
        destinations: destinations.iter().map(|d| d.to_string()).collect(),
        ..Default::default()
    }
    .settings()
    .unwrap();
    (dir, Service::new(store, rt).with_delivery(settings))
}

fn add(name: &str, url: &str, secret: Option<&str>) -> AddWebhook {
    AddWebhook {
        name: name.into(),
        url: url.into(),
        secret: secret.map(str::to_string),
    }
}

#[test]
fn an_endpoint_is_added_with_a_generated_secret_shown_once() {
    let (_d, svc) = service(&["127.0.0.1/32"]);
    let made = svc
        .add_webhook(T, &add("crm", "http://127.0.0.1:9/hook", None))
        .unwrap();
    assert!(made.generated && made.secret.starts_with("whsec_"));
    let listed = svc.webhooks(T).unwrap();
    assert_eq!(listed, vec![made.webhook.clone()]);
    let json = serde_json::to_string(&listed).unwrap();
    assert!(
        !json.contains(&made.secret) && !json.contains("whsec_"),
        "{json}"
    );
    // Another tenant sees none of it.
    assert!(svc.webhooks("other").unwrap().is_empty());
    assert_eq!(svc.remove_webhook("other", "crm").unwrap_err().status, 404);
    let again = svc
        .add_webhook(T, &add("crm", "http://127.0.0.1:9/other", None))
        .unwrap_err();
    assert_eq!(again.status, 409, "{again:?}");
}

#[test]
fn the_default_policy_refuses_loopback_and_an_unlisted_host_is_refused() {
    let (_d, svc) = service(&[]);
    let err = svc
        .add_webhook(T, &add("crm", "http://127.0.0.1:9/hook", None))
        .unwrap_err();
    assert_eq!(err.status, 400);
    let message = err.body.message;
    assert!(
        message.contains("crm")
            && message.contains("http://127.0.0.1:9/hook")
            && message.contains("loopback"),
        "{message}"
    );
    let (_d, svc) = service(&["hooks.example.com"]);
    let err = svc
        .add_webhook(T, &add("crm", "https://evil.example.net/in", None))
        .unwrap_err();
    assert!(
        err.body.message.contains("webhooks.destinations"),
        "{:?}",
        err.body
    );
    let err = svc
        .add_webhook(T, &add("Bad Name", "https://hooks.example.com/in", None))
        .unwrap_err();
    assert!(err.body.message.contains("Bad Name"), "{:?}", err.body);
}

#[test]
fn a_given_secret_is_checked_and_kept() {
    let (_d, svc) = service(&["127.0.0.1/32"]);
    let err = svc
        .add_webhook(T, &add("crm", "http://127.0.0.1:9/", Some("hunter2")))
        .unwrap_err();
    assert!(err.body.message.contains("whsec_"), "{:?}", err.body);
    let secret = crate::delivery::sign::generate_secret().unwrap();
    let made = svc
        .add_webhook(T, &add("crm", "http://127.0.0.1:9/", Some(&secret)))
        .unwrap();
    assert!(!made.generated);
    assert_eq!(
        svc.store.endpoint(T, "crm").unwrap().unwrap().secret,
        secret
    );
}

#[test]
fn a_rotation_keeps_the_old_secret_signing_for_a_day() {
    let (_d, svc) = service(&["127.0.0.1/32"]);
    let first = svc
        .add_webhook(T, &add("crm", "http://127.0.0.1:9/", None))
        .unwrap();
    let rotated = svc
        .rotate_webhook_secret(T, "crm", &RotateSecret::default())
        .unwrap();
    assert_ne!(rotated.secret, first.secret);
    let stored = svc.store.endpoint(T, "crm").unwrap().unwrap();
    assert_eq!(stored.secret, rotated.secret);
    let previous = stored.previous_secret.unwrap();
    assert_eq!(previous.secret, first.secret);
    assert!(previous.until_ms > crate::store::now_ms() + ROTATION_WINDOW_MS - 60_000);
    assert_eq!(
        rotated.webhook.previous_secret_until_ms,
        Some(previous.until_ms)
    );
    let same = svc
        .rotate_webhook_secret(
            T,
            "crm",
            &RotateSecret {
                secret: Some(rotated.secret.clone()),
            },
        )
        .unwrap_err();
    assert!(same.body.message.contains("current one"));
    assert_eq!(
        svc.rotate_webhook_secret(T, "nope", &RotateSecret::default())
            .unwrap_err()
            .status,
        404
    );
}

#[test]
fn enabling_clears_disabled_flagged_and_failing() {
    let (_d, svc) = service(&["127.0.0.1/32"]);
    svc.add_webhook(T, &add("crm", "http://127.0.0.1:9/", None))
        .unwrap();
    let mut e = svc.store.endpoint(T, "crm").unwrap().unwrap();
    e.disabled = Some(EndpointDisabled {
        at_ms: 1,
        reason: "410 Gone".into(),
    });
    e.flagged = Some("410 Gone".into());
    e.failing_since_ms = Some(1);
    svc.store.put_endpoint(T, &e).unwrap();
    let view = svc.enable_webhook(T, "crm").unwrap();
    assert_eq!(
        (view.disabled, view.flagged, view.failing_since_ms),
        (None, None, None)
    );
    let removed = svc.remove_webhook(T, "crm").unwrap();
    assert_eq!(removed.name, "crm");
    assert!(svc.webhooks(T).unwrap().is_empty());
}

#[test]
fn https_is_refused_at_add_while_delivery_has_no_tls() {
    let (_d, svc) = service(&["203.0.113.0/24"]);
    let err = svc
        .add_webhook(T, &add("crm", "https://203.0.113.5/in", None))
        .unwrap_err();
    assert_eq!(err.body.code, "no-tls", "{:?}", err.body);
    assert!(err.body.message.contains("http only"), "{:?}", err.body);
    assert!(
        svc.add_webhook(T, &add("crm", "http://203.0.113.5/in", None))
            .is_ok()
    );
}
