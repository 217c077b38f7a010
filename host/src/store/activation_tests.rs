//! Activation tests on a temporary sled: deactivate, rollback after it, one
//! health model at a time (atomically), and stores holding two.

use super::*;
use crate::contract::ContractVersion::V0_2;
use crate::contract::{PluginKind, PluginMetadata};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    s.create_tenant("t", "T").unwrap();
    (dir, s)
}

fn add(s: &Store, name: &str, version: &str, kind: PluginKind) {
    let hash = format!("{name}-{version}");
    let meta = PluginMetadata {
        name: name.into(),
        version: version.into(),
        kind,
        description: "d".into(),
        config_schema: "{}".into(),
        reads: vec![],
    };
    s.add_plugin("t", &hash, hash.as_bytes(), &meta, V0_2)
        .unwrap();
}

fn active(s: &Store) -> Vec<String> {
    s.plugins("t")
        .unwrap()
        .into_iter()
        .filter(|p| p.active)
        .map(|p| format!("{} {}", p.name, p.version))
        .collect()
}

#[test]
fn deactivate_switches_a_name_off_and_rollback_switches_it_back_on() {
    let (_d, s) = store();
    add(&s, "seg", "1.0.0", PluginKind::Segmenter);
    add(&s, "seg", "1.1.0", PluginKind::Segmenter);
    s.activate("t", "seg", "1.0.0").unwrap();
    s.activate("t", "seg", "1.1.0").unwrap();
    let off = s.deactivate("t", "seg").unwrap();
    assert_eq!((off.version.as_str(), off.active), ("1.1.0", false));
    assert!(active(&s).is_empty());
    assert!(s.active_plugins("t").unwrap().is_empty());
    assert!(s.plugin("t", "seg", None).is_err(), "no active version");
    assert!(
        matches!(s.deactivate("t", "seg"), Err(StoreError::Conflict(m)) if m.contains("already inactive"))
    );
    assert!(matches!(
        s.deactivate("t", "nope"),
        Err(StoreError::NotFound { .. })
    ));
    // Rollback after a deactivate: the version switched off, then the one
    // active before it, then nothing further.
    assert_eq!(
        s.rollback_target("t", "seg").unwrap().as_deref(),
        Some("1.1.0")
    );
    assert_eq!(s.rollback("t", "seg").unwrap().plugin.version, "1.1.0");
    assert_eq!(s.rollback("t", "seg").unwrap().plugin.version, "1.0.0");
    assert!(s.rollback("t", "seg").is_err());
    // Activating after a deactivate keeps the history: rollback goes to
    // the version active before the deactivate.
    s.deactivate("t", "seg").unwrap();
    s.activate("t", "seg", "1.1.0").unwrap();
    assert_eq!(s.rollback("t", "seg").unwrap().plugin.version, "1.0.0");
}

#[test]
fn activating_a_health_model_deactivates_the_other_in_the_same_step() {
    let (_d, s) = store();
    add(&s, "wh", "0.1.0", PluginKind::HealthModel);
    add(&s, "py", "0.1.0", PluginKind::HealthModel);
    add(&s, "seg", "1.0.0", PluginKind::Segmenter);
    assert!(
        s.activate("t", "wh", "0.1.0")
            .unwrap()
            .deactivated
            .is_empty()
    );
    assert!(
        s.activate("t", "seg", "1.0.0")
            .unwrap()
            .deactivated
            .is_empty()
    );
    let a = s.activate("t", "py", "0.1.0").unwrap();
    assert_eq!(a.plugin.name, "py");
    let gone: Vec<_> = a
        .deactivated
        .iter()
        .map(|p| (&*p.name, &*p.version, p.active))
        .collect();
    assert_eq!(gone, [("wh", "0.1.0", false)]);
    assert_eq!(active(&s), ["py 0.1.0", "seg 1.0.0"]);
    // Activating the active one again changes nothing.
    assert!(
        s.activate("t", "py", "0.1.0")
            .unwrap()
            .deactivated
            .is_empty()
    );
    // Rolling the other back switches it on and this one off.
    let back = s.rollback("t", "wh").unwrap();
    assert_eq!(back.plugin.name, "wh");
    assert_eq!(back.deactivated[0].name, "py");
    assert_eq!(active(&s), ["seg 1.0.0", "wh 0.1.0"]);
    // It survives a reopen: written and flushed as one.
    drop(s);
    let s = Store::open(_d.path()).unwrap();
    assert_eq!(active(&s), ["seg 1.0.0", "wh 0.1.0"]);
}

#[test]
fn readers_never_see_two_health_models_or_none_while_they_swap() {
    let (_d, s) = store();
    add(&s, "a", "1.0.0", PluginKind::HealthModel);
    add(&s, "b", "1.0.0", PluginKind::HealthModel);
    s.activate("t", "a", "1.0.0").unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..200 {
                let name = if i % 2 == 0 { "b" } else { "a" };
                s.activate("t", name, "1.0.0").unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let mut reads = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let health = s.active_plugins("t").unwrap();
            assert_eq!(health.len(), 1, "read {reads}: {health:?}");
            reads += 1;
        }
    });
}

#[test]
fn a_store_holding_two_active_health_models_refuses_to_pick_one() {
    let (_d, s) = store();
    add(&s, "wh", "0.1.0", PluginKind::HealthModel);
    add(&s, "py", "0.1.0", PluginKind::HealthModel);
    s.activate("t", "wh", "0.1.0").unwrap();
    s.activate_beside_other_health_models("t", "py", "0.1.0")
        .unwrap();
    assert_eq!(active(&s), ["py 0.1.0", "wh 0.1.0"]);
    let err = s.active_plugins("t").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "2 health models are active (py 0.1.0, wh 0.1.0); one is active at a time"
        ),
        "{err}"
    );
    // Deactivating one is the way out.
    s.deactivate("t", "py").unwrap();
    assert_eq!(s.active_plugins("t").unwrap().len(), 1);
}

#[test]
fn records_written_before_deactivation_existed_still_read() {
    let (_d, s) = store();
    add(&s, "wh", "0.1.0", PluginKind::HealthModel);
    add(&s, "wh", "0.2.0", PluginKind::HealthModel);
    // The record as earlier versions wrote it: a version always present.
    let old = serde_json::json!({
        "version": "0.2.0", "hash": "wh-0.2.0", "previous": [["0.1.0", "wh-0.1.0"]]
    });
    s.plugin_state
        .insert(
            keys::tenant_key("t", &[b"a", b"wh"]),
            codec::encode_json(&old),
        )
        .unwrap();
    assert_eq!(active(&s), ["wh 0.2.0"]);
    assert_eq!(s.rollback("t", "wh").unwrap().plugin.version, "0.1.0");
}
