//! Contract 0.2 beside 0.1: the reference pack is built for 0.2, a 0.1
//! build of weighted-health (the frozen 0.1 SDK, `tests/guests/
//! weighted-health-v01`) still loads and runs, and the two score every
//! account exactly alike, through runs and through the service.

use crate::common::*;
use vitals::runtime::{ContractVersion, Output};

/// Configurations that reach every kind of read: fields only (the
/// default), a metric and history (`logins-change-90d`, a free-form metric
/// kept in history), attributes and tiers, onboarding by tenure.
const CONFIGS: [&str; 3] = [
    "{}",
    r#"{"groups":{"usage":1,"engagement":1},
        "measures":[
          {"measure":"logins-change-90d","group":"usage","worst":-0.5,"best":0.5},
          {"measure":"webinars-attended","group":"engagement","worst":0,"best":6},
          {"measure":"arr-change-90d","group":"usage","worst":-0.2,"best":0.2}]}"#,
    r#"{"onboarding_days":400,"onboarding_metric":"onboarding-progress",
        "tiers":{"enterprise":{"red_below":60,"yellow_below":80}}}"#,
];

#[test]
fn the_reference_pack_is_0_2_and_the_kept_build_is_0_1() {
    for (name, _) in vitals_reference_pack::COMPONENTS {
        let p = reference(name);
        assert_eq!(p.contract, ContractVersion::V0_2, "{name}");
        assert!(p.reads.is_some(), "{name}: a 0.2 plugin says what it reads");
    }
    let old = runtime().load(vitals_e2e::WEIGHTED_HEALTH_V01).unwrap();
    assert_eq!(old.contract, ContractVersion::V0_1);
    assert!(old.reads.is_none());
    assert_eq!(old.metadata.name, "weighted-health");
}

#[test]
fn a_0_1_build_and_its_0_2_build_score_every_account_alike() {
    let accounts = vitals::demo::generate(700, AS_OF, 11);
    let new = reference("weighted-health");
    let old = runtime().load(vitals_e2e::WEIGHTED_HEALTH_V01).unwrap();
    for config in CONFIGS {
        let (a, b) = (
            run_default(&new, config, &accounts),
            run_default(&old, config, &accounts),
        );
        assert_eq!(a.results.len(), accounts.len());
        let scored = a.results.iter().filter(|r| r.is_ok()).count();
        assert!(scored > accounts.len() / 2, "{config}: {scored} scored");
        for (i, (x, y)) in a.results.iter().zip(&b.results).enumerate() {
            match (x, y) {
                (Ok(x), Ok(y)) => assert_eq!(x, y, "{config}: account {i}"),
                (Err(x), Err(y)) => assert_eq!(x.to_string(), y.to_string(), "{config}: {i}"),
                _ => panic!("{config}: account {i}: 0.2 {x:?} against 0.1 {y:?}"),
            }
        }
    }
}

#[test]
fn a_projection_follows_the_configuration() {
    let new = reference("weighted-health");
    let rt = runtime();
    let limits = vitals::runtime::Limits::default();
    let default = rt.projection(&new, &limits, "{}").unwrap().unwrap();
    let reads = default.describe();
    assert!(reads.contains(&"seats-active".to_string()), "{reads:?}");
    assert!(reads.contains(&"nps".to_string()), "{reads:?}");
    // Only the configured measures' fields, metrics and history.
    let custom = rt.projection(&new, &limits, CONFIGS[1]).unwrap().unwrap();
    let reads = custom.describe();
    assert!(
        reads.contains(&"metric:webinars-attended".to_string()),
        "{reads:?}"
    );
    assert!(!reads.contains(&"nps".to_string()), "{reads:?}");
    assert!(
        !reads.iter().any(|r| r.contains("community-posts")),
        "{reads:?}"
    );
    assert!(
        reads
            .iter()
            .any(|r| r.starts_with("history:") && r.ends_with(":logins")),
        "{reads:?}"
    );
    // A configuration the plugin refuses refuses its projection too.
    let err = rt
        .projection(&new, &limits, r#"{"red_below":"high"}"#)
        .unwrap_err();
    assert_eq!(err.kind(), "invalid-config", "{err}");
}

#[test]
fn every_kind_runs_as_0_2_with_explained_results() {
    let accounts = vitals::demo::generate(300, AS_OF, 5);
    for (name, _) in vitals_reference_pack::COMPONENTS {
        let out = run_default(&reference(name), "{}", &accounts);
        assert_eq!(out.results.len(), accounts.len(), "{name}");
        let ok: Vec<&Output> = out.results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert!(!ok.is_empty(), "{name}: {:?}", out.results.first());
        let explained = ok.iter().any(|o| match o {
            Output::Health(h) => !h.factors.is_empty() && !h.factors[0].name.is_empty(),
            Output::Segments { segments } => segments.iter().any(|s| !s.reason.is_empty()),
            Output::Propensity(p) => p.drivers.iter().any(|d| !d.name.is_empty()),
            Output::Forecast(f) => !f.basis.is_empty(),
        });
        assert!(explained, "{name}");
    }
}
