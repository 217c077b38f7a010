//! The pack lifecycle in the store: all or nothing, switches, rollback, patches.

use super::*;
use crate::contract::{ContractVersion, PluginKind, PluginMetadata};
use std::collections::BTreeMap;

fn meta(name: &str, version: &str, kind: PluginKind) -> PluginMetadata {
    PluginMetadata {
        name: name.into(),
        version: version.into(),
        kind,
        description: "d".into(),
        config_schema: "{}".into(),
        reads: vec![],
    }
}

/// A release of pack `p` at `version` with plugins (name, kind, bytes).
struct Fixture {
    release: PackRelease,
    metas: Vec<PluginMetadata>,
    bytes: Vec<Vec<u8>>,
    hashes: Vec<String>,
}

fn fixture(version: &str, plugins: &[(&str, PluginKind, &str)]) -> Fixture {
    let metas: Vec<_> = plugins
        .iter()
        .map(|(n, k, _)| meta(n, version, *k))
        .collect();
    let bytes: Vec<Vec<u8>> = plugins
        .iter()
        .map(|(n, _, b)| format!("{n}{version}{b}").into_bytes())
        .collect();
    let hashes: Vec<String> = bytes
        .iter()
        .map(|b| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b)))
        .collect();
    let release = PackRelease {
        name: "p".into(),
        version: version.into(),
        vendor: "Acme".into(),
        description: "d".into(),
        key_id: Some("AB12".into()),
        manifest: format!("{{\"v\":\"{version}\"}}"),
        signature: Some("sig".into()),
        plugins: plugins
            .iter()
            .zip(&hashes)
            .map(|((n, k, _), h)| PackReleasePlugin {
                name: (*n).into(),
                version: version.into(),
                kind: *k,
                hash: h.clone(),
                defaults: serde_json::json!({"w": 1}),
                readme: None,
            })
            .collect(),
        installed_ms: 0,
    };
    Fixture {
        release,
        metas,
        bytes,
        hashes,
    }
}

impl Fixture {
    fn components(&self) -> Vec<PackComponent<'_>> {
        self.metas
            .iter()
            .zip(&self.bytes)
            .zip(&self.hashes)
            .map(|((m, b), h)| PackComponent {
                hash: h,
                bytes: b,
                metadata: m,
                contract: ContractVersion::V0_2,
            })
            .collect()
    }

    fn configs(&self, text: &str) -> BTreeMap<String, String> {
        self.metas
            .iter()
            .map(|m| (m.name.clone(), text.to_string()))
            .collect()
    }
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    s.create_tenant("t", "T").unwrap();
    (dir, s)
}

fn active(s: &Store) -> Vec<(String, String, String)> {
    s.active_plugins("t")
        .unwrap()
        .into_iter()
        .map(|a| (a.plugin.name, a.plugin.version, a.config))
        .collect()
}

const H: PluginKind = PluginKind::HealthModel;
const S: PluginKind = PluginKind::Segmenter;

#[test]
fn an_install_with_activation_switches_every_plugin_on_at_once() {
    let (_d, s) = store();
    let f = fixture("1.0.0", &[("health", H, ""), ("segs", S, "")]);
    let change = s
        .install_pack(
            "t",
            &f.release,
            &f.components(),
            Some(&f.configs("{\"w\":1}")),
        )
        .unwrap();
    assert_eq!(change.active.as_deref(), Some("1.0.0"));
    assert_eq!(change.activated.len(), 2);
    assert_eq!(
        active(&s),
        [
            ("health".into(), "1.0.0".into(), "{\"w\":1}".into()),
            ("segs".into(), "1.0.0".into(), "{\"w\":1}".into())
        ]
    );
    // The exact manifest is kept, and the same release again is a no-op.
    assert_eq!(
        s.pack_release("t", "p", "1.0.0").unwrap().manifest,
        f.release.manifest
    );
    s.install_pack("t", &f.release, &f.components(), None)
        .unwrap();
    assert_eq!(s.pack_releases("t").unwrap().len(), 1);
    assert_eq!(
        s.pack_of("t", "health", &f.hashes[0]).unwrap(),
        Some(PackRef {
            name: "p".into(),
            version: "1.0.0".into()
        })
    );
    // Runs name the pack release.
    let p = s.plugin("t", "health", None).unwrap();
    let run = s.start_run("t", &p, "{}", 100).unwrap();
    assert_eq!(run.pack.unwrap().version, "1.0.0");
}

#[test]
fn one_conflicting_component_and_nothing_is_installed() {
    let (_d, s) = store();
    // The tenant already has segs 2.0.0 with other bytes.
    let other = fixture("2.0.0", &[("segs", S, "mine")]);
    let c = &other.components()[0];
    s.add_plugin("t", c.hash, c.bytes, c.metadata, c.contract)
        .unwrap();
    let f = fixture("2.0.0", &[("health", H, ""), ("segs", S, "vendor")]);
    let err = s
        .install_pack("t", &f.release, &f.components(), Some(&f.configs("{}")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("segs 2.0.0"), "{err}");
    assert!(s.pack_releases("t").unwrap().is_empty());
    assert!(s.pack_state("t", "p").is_err());
    assert_eq!(s.plugins("t").unwrap().len(), 1, "health was not installed");
    assert!(
        s.component(&f.hashes[0]).is_err(),
        "its bytes were not stored"
    );
    assert!(active(&s).is_empty());
}

#[test]
fn the_same_version_with_another_manifest_is_refused() {
    let (_d, s) = store();
    let f = fixture("1.0.0", &[("health", H, "")]);
    s.install_pack("t", &f.release, &f.components(), None)
        .unwrap();
    let mut changed = fixture("1.0.0", &[("health", H, "")]);
    changed.release.manifest.push(' ');
    let err = s
        .install_pack("t", &changed.release, &changed.components(), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("immutable"), "{err}");
}

#[test]
fn an_upgrade_switches_plugins_and_rollback_goes_back_with_the_patch() {
    let (_d, s) = store();
    let v1 = fixture("1.0.0", &[("health", H, ""), ("old-segs", S, "")]);
    s.install_pack(
        "t",
        &v1.release,
        &v1.components(),
        Some(&v1.configs("{\"a\":1}")),
    )
    .unwrap();
    s.set_pack_patch(
        "t",
        "p",
        "health",
        Some(&serde_json::json!({"w": 2})),
        Some("{\"w\":2}"),
    )
    .unwrap();
    assert_eq!(active(&s)[0].2, "{\"w\":2}");
    let v2 = fixture("2.0.0", &[("health", H, ""), ("segs", S, "")]);
    // Installed but not active: nothing changes until asked.
    s.install_pack("t", &v2.release, &v2.components(), None)
        .unwrap();
    assert_eq!(
        s.pack_state("t", "p").unwrap().active.as_deref(),
        Some("1.0.0")
    );
    let change = s
        .activate_pack("t", "p", "2.0.0", &v2.configs("{\"b\":2}"))
        .unwrap();
    let off: Vec<_> = change.deactivated.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(off, ["old-segs"]);
    assert_eq!(
        active(&s),
        [
            ("health".into(), "2.0.0".into(), "{\"b\":2}".into()),
            ("segs".into(), "2.0.0".into(), "{\"b\":2}".into())
        ]
    );
    let state = s.pack_state("t", "p").unwrap();
    assert_eq!(state.previous, ["1.0.0"]);
    assert_eq!(state.patches["health"], serde_json::json!({"w": 2}));
    assert_eq!(
        s.pack_rollback_target("t", "p").unwrap().as_deref(),
        Some("1.0.0")
    );
    let back = s.rollback_pack("t", "p", &v1.configs("{\"a\":3}")).unwrap();
    assert_eq!(back.active.as_deref(), Some("1.0.0"));
    let names: Vec<_> = active(&s)
        .into_iter()
        .map(|(n, v, _)| format!("{n} {v}"))
        .collect();
    assert_eq!(names, ["health 1.0.0", "old-segs 1.0.0"]);
    assert!(s.pack_state("t", "p").unwrap().previous.is_empty());
    assert!(s.rollback_pack("t", "p", &v1.configs("{}")).is_err());
}

#[test]
fn a_pack_health_model_replaces_the_tenants_own() {
    let (_d, s) = store();
    let own = fixture("9.0.0", &[("my-health", H, "")]);
    let c = &own.components()[0];
    s.add_plugin("t", c.hash, c.bytes, c.metadata, c.contract)
        .unwrap();
    s.activate("t", "my-health", "9.0.0").unwrap();
    let f = fixture("1.0.0", &[("health", H, "")]);
    let change = s
        .install_pack("t", &f.release, &f.components(), Some(&f.configs("{}")))
        .unwrap();
    assert_eq!(change.deactivated[0].name, "my-health");
    let names: Vec<_> = active(&s).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(names, ["health"]);
}

#[test]
fn a_missing_configuration_refuses_the_switch_whole() {
    let (_d, s) = store();
    let f = fixture("1.0.0", &[("health", H, ""), ("segs", S, "")]);
    let mut configs = f.configs("{}");
    configs.remove("segs");
    assert!(
        s.install_pack("t", &f.release, &f.components(), Some(&configs))
            .is_err()
    );
    assert!(s.pack_releases("t").unwrap().is_empty());
    assert!(active(&s).is_empty());
}

#[test]
fn a_pack_that_loses_a_plugin_to_another_is_switched_off_whole_and_rolls_back() {
    let (_d, s) = store();
    let p = fixture("1.0.0", &[("health", H, ""), ("segs", S, "")]);
    s.install_pack("t", &p.release, &p.components(), Some(&p.configs("{}")))
        .unwrap();
    let mut q = fixture("1.0.0", &[("other-health", H, "")]);
    q.release.name = "q".into();
    let change = s
        .install_pack("t", &q.release, &q.components(), Some(&q.configs("{}")))
        .unwrap();
    assert_eq!(change.packs_deactivated, ["p"]);
    assert_eq!(change.deactivated[0].name, "health");
    let state = s.pack_state("t", "p").unwrap();
    assert_eq!(
        (state.active, state.previous),
        (None, vec!["1.0.0".to_string()])
    );
    // Its rollback switches it on again, taking the health model back.
    let back = s.rollback_pack("t", "p", &p.configs("{}")).unwrap();
    assert_eq!(back.active.as_deref(), Some("1.0.0"));
    assert_eq!(back.packs_deactivated, ["q"]);
}

#[test]
fn a_revocation_is_checked_in_the_writing_transaction() {
    let (_d, s) = store();
    let f = fixture("1.0.0", &[("health", H, "")]);
    s.revoke_vendor_key("AB12", None, "leaked").unwrap();
    let err = s
        .install_pack("t", &f.release, &f.components(), Some(&f.configs("{}")))
        .unwrap_err();
    assert!(matches!(err, StoreError::Revoked(_)), "{err}");
    assert!(s.pack_releases("t").unwrap().is_empty());
}
