//! The pack lifecycle through the service: real reference components in
//! signed packs, a real store; trust, install, tune, upgrade, rollback.

use super::*;
use crate::pack::{self, BuildTools, PackArchive};
use crate::runtime::RuntimeConfig;
use serde_json::json;
use std::path::Path;

const T: &str = "t";

fn service() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.create_tenant(T, "T").unwrap();
    let rt = Runtime::new(RuntimeConfig {
        pooling: false,
        ..Default::default()
    })
    .unwrap();
    (dir, Service::new(store, rt))
}

/// Validates as `plugin add` does (no sources here: components only).
struct Tools<'a>(&'a Runtime);

impl BuildTools for Tools<'_> {
    fn build_source(&mut self, _dir: &Path) -> Result<Vec<u8>, String> {
        Err("no sources in these tests".into())
    }
    fn validate(
        &mut self,
        component: &[u8],
        defaults: &serde_json::Value,
    ) -> Result<crate::contract::PluginMetadata, String> {
        let (p, _) = self
            .0
            .load_with_defaults(component, &defaults.to_string(), 20_454)?;
        Ok(p.metadata.clone())
    }
}

/// The reference health model and segments as pack `acme` at `version`,
/// with `health` as weighted-health's defaults.
fn build(rt: &Runtime, version: &str, health: serde_json::Value) -> PackArchive {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    for name in ["weighted-health", "lifecycle-segments"] {
        write(
            &format!("{name}.wasm"),
            vitals_reference_pack::component(name).unwrap(),
        );
    }
    write("health.json", health.to_string().as_bytes());
    write(
        "pack.toml",
        format!(
            r#"[pack]
name = "acme"
version = "{version}"
vendor = "Acme Analytics"
description = "Health and lifecycle"

[[plugins]]
wasm = "weighted-health.wasm"
config = "health.json"

[[plugins]]
wasm = "lifecycle-segments.wasm"
"#
        )
        .as_bytes(),
    );
    pack::build(dir.path(), &mut Tools(rt)).unwrap()
}

fn signed(mut archive: PackArchive, key: &pack::KeyPairText) -> Vec<u8> {
    pack::sign(&mut archive, &key.secret, None).unwrap();
    archive.to_bytes()
}

fn trusted(s: &Service) -> pack::KeyPairText {
    let key = pack::keygen("acme").unwrap();
    s.trust_key(&TrustKeyRequest {
        public_key: key.public.clone(),
        name: "Acme".into(),
    })
    .unwrap();
    key
}

fn activate() -> PackInstallQuery {
    PackInstallQuery {
        activate: true,
        ..Default::default()
    }
}

fn health_config(s: &Service) -> serde_json::Value {
    serde_json::from_str(&s.store.plugin_config(T, "weighted-health").unwrap()).unwrap()
}

#[test]
fn a_signed_pack_installs_whole_tunes_upgrades_with_the_patch_and_rolls_back() {
    let (_d, s) = service();
    let key = trusted(&s);
    let v1 = signed(
        build(
            &s.runtime,
            "1.0.0",
            json!({"red_below": 40, "yellow_below": 70}),
        ),
        &key,
    );
    let installed = s.install_pack(T, &v1, &activate()).unwrap();
    assert_eq!(installed.pack.active.as_deref(), Some("1.0.0"));
    assert_eq!(installed.pack.key_id.as_deref(), Some(key.key_id.as_str()));
    assert_eq!(installed.pack.key_name.as_deref(), Some("Acme"));
    assert_eq!(installed.change.activated.len(), 2);
    assert_eq!(health_config(&s)["red_below"], 40);

    // Tuning: a merge patch, live at once, shown beside the defaults.
    let tuned = s
        .tune_pack(
            T,
            "acme",
            "weighted-health",
            &PackTune {
                patch: json!({"red_below": 30}),
                mode: TuneMode::Merge,
            },
        )
        .unwrap();
    assert!(tuned.live);
    assert_eq!(tuned.plugin.effective["red_below"], 30);
    assert_eq!(tuned.plugin.effective["yellow_below"], 70);
    assert_eq!(health_config(&s)["red_below"], 30);

    // Upgrade: the vendor's new defaults under the same patch.
    let v2 = signed(
        build(
            &s.runtime,
            "1.1.0",
            json!({"red_below": 45, "yellow_below": 80}),
        ),
        &key,
    );
    let up = s
        .install_pack(
            T,
            &v2,
            &PackInstallQuery {
                upgrade: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        up.pack.active.as_deref(),
        Some("1.0.0"),
        "nothing goes live unasked"
    );
    s.activate_pack(T, "acme", "1.1.0").unwrap();
    let c = health_config(&s);
    assert_eq!(
        (c["red_below"].clone(), c["yellow_below"].clone()),
        (json!(30), json!(80))
    );
    let detail = s.pack(T, "acme", None).unwrap();
    assert_eq!(detail.plugins[0].patch, json!({"red_below": 30}));
    // The pack says which version runs: a plugin-level switch is refused.
    let err = Api::rollback(&s, T, "weighted-health").unwrap_err();
    assert_eq!(err.status, 409, "{}", err.body.message);
    assert!(
        err.body.message.contains("pack acme"),
        "{}",
        err.body.message
    );
    assert_eq!(detail.previous, ["1.0.0"]);

    // A patch that no longer fits: refused naming the field, nothing changed.
    s.tune_pack(
        T,
        "acme",
        "weighted-health",
        &PackTune {
            patch: json!({"yellow_below": 50}),
            mode: TuneMode::Replace,
        },
    )
    .unwrap();
    let v3 = signed(
        build(
            &s.runtime,
            "2.0.0",
            json!({"red_below": 60, "yellow_below": 85}),
        ),
        &key,
    );
    let err = s
        .install_pack(
            T,
            &v3,
            &PackInstallQuery {
                upgrade: true,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.body.code, "invalid-config");
    assert!(
        err.body.message.contains("tuning of weighted-health"),
        "{}",
        err.body.message
    );
    assert!(
        err.body.message.contains("red_below"),
        "{}",
        err.body.message
    );
    assert_eq!(
        s.pack(T, "acme", None).unwrap().summary.versions,
        ["1.0.0", "1.1.0"]
    );

    // A lower version is refused unless allowed.
    let older = signed(build(&s.runtime, "0.9.0", json!({})), &key);
    let err = s.install_pack(T, &older, &activate()).unwrap_err();
    assert_eq!(err.body.code, "downgrade");

    // Rollback: the earlier release, the same patch.
    let back = s.rollback_pack(T, "acme").unwrap();
    assert_eq!(back.active.as_deref(), Some("1.0.0"));
    let c = health_config(&s);
    assert_eq!(
        (c["red_below"].clone(), c["yellow_below"].clone()),
        (json!(40), json!(50))
    );
}

#[test]
fn untrusted_unsigned_and_revoked_packs_are_refused_and_nothing_is_stored() {
    let (_d, s) = service();
    let stranger = pack::keygen("stranger").unwrap();
    let archive = build(&s.runtime, "1.0.0", json!({}));
    let unsigned = archive.to_bytes();
    let err = s.install_pack(T, &unsigned, &activate()).unwrap_err();
    assert_eq!(err.body.code, "missing-signature");
    let err = s
        .install_pack(T, &signed(archive.clone(), &stranger), &activate())
        .unwrap_err();
    assert_eq!(err.body.code, "untrusted-key");
    assert!(err.body.message.contains(&stranger.key_id));
    // A revoked key: refused by name, even though it was trusted.
    let key = trusted(&s);
    s.revoke(&RevokeRequest {
        key_id: Some(key.key_id.clone()),
        public_key: None,
        pack: None,
        version: None,
        reason: "leaked".into(),
    })
    .unwrap();
    let err = s
        .install_pack(T, &signed(archive.clone(), &key), &activate())
        .unwrap_err();
    assert_eq!(err.body.code, "revoked-key");
    assert!(err.body.message.contains("leaked"));
    assert!(s.store.plugins(T).unwrap().is_empty());
    assert!(s.store.pack_releases(T).unwrap().is_empty());
    // Unsigned, once the operator allows it.
    s.set_allow_unsigned(true).unwrap();
    let ok = s.install_pack(T, &unsigned, &activate()).unwrap();
    assert_eq!(ok.pack.key_id, None);
}

#[test]
fn a_revoked_version_is_flagged_on_the_tenants_running_it_and_cannot_be_switched_on_again() {
    let (_d, s) = service();
    let key = trusted(&s);
    let v1 = signed(build(&s.runtime, "1.0.0", json!({})), &key);
    let v2 = signed(build(&s.runtime, "1.1.0", json!({})), &key);
    s.install_pack(T, &v1, &activate()).unwrap();
    s.install_pack(T, &v2, &activate()).unwrap();
    s.revoke(&RevokeRequest {
        key_id: None,
        public_key: None,
        pack: Some("acme".into()),
        version: Some("1.0.0".into()),
        reason: "scores churned accounts green".into(),
    })
    .unwrap();
    assert!(!s.packs(T).unwrap()[0].revoked, "1.1.0 runs");
    let err = s.rollback_pack(T, "acme").unwrap_err();
    assert_eq!(err.body.code, "revoked");
    s.revoke(&RevokeRequest {
        key_id: None,
        public_key: None,
        pack: Some("acme".into()),
        version: Some("1.1.0".into()),
        reason: "also bad".into(),
    })
    .unwrap();
    let listed = &s.packs(T).unwrap()[0];
    assert!(listed.revoked);
    assert!(listed.flag.as_deref().unwrap().contains("also bad"));
}

#[test]
fn a_configuration_set_by_hand_on_a_pack_plugin_is_kept_as_the_patch() {
    let (_d, s) = service();
    let key = trusted(&s);
    let v1 = signed(
        build(
            &s.runtime,
            "1.0.0",
            json!({"red_below": 40, "yellow_below": 70}),
        ),
        &key,
    );
    s.install_pack(T, &v1, &activate()).unwrap();
    s.set_config(
        T,
        "weighted-health",
        &json!({"red_below": 35, "yellow_below": 70}),
    )
    .unwrap();
    let v2 = signed(
        build(
            &s.runtime,
            "1.1.0",
            json!({"red_below": 40, "yellow_below": 75}),
        ),
        &key,
    );
    s.install_pack(T, &v2, &activate()).unwrap();
    let c = health_config(&s);
    assert_eq!(
        (c["red_below"].clone(), c["yellow_below"].clone()),
        (json!(35), json!(75))
    );
}

#[test]
fn an_upgrade_is_judged_on_the_tenants_outcomes_beside_the_running_model() {
    let (_d, s) = service();
    // The demo's tenant: generated accounts with outcomes, the reference pack running.
    let as_of = 20_454; // 2026-01-01
    crate::demo::install(&s.store, &s.runtime, "demo", 300, as_of, 3).unwrap();
    let key = trusted(&s);
    let v1 = signed(
        build(
            &s.runtime,
            "1.0.0",
            json!({"red_below": 55, "yellow_below": 75}),
        ),
        &key,
    );
    s.install_pack("demo", &v1, &PackInstallQuery::default())
        .unwrap();
    let report = s
        .backtest_pack("demo", "acme", "1.0.0", as_of - 365, 365)
        .unwrap();
    let labels: Vec<&str> = report.candidates.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "running: weighted-health 0.1.0",
            "acme 1.0.0: weighted-health 0.1.0"
        ]
    );
    assert_eq!(report.candidates[1].config["red_below"], 55);
    // Nothing went live.
    assert_eq!(s.pack("demo", "acme", None).unwrap().summary.active, None);
}
