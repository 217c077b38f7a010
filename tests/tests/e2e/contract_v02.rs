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

fn hostile_v02() -> std::sync::Arc<vitals::runtime::Plugin> {
    runtime()
        .load(vitals_e2e::HOSTILE_V02)
        .expect("the hostile 0.2 guest loads")
}

/// The value of the factor `name` in an echo result.
fn echoed(out: &Result<Output, vitals::runtime::PluginError>, name: &str) -> Option<f64> {
    let Ok(Output::Health(h)) = out else {
        panic!("{out:?}")
    };
    h.factors
        .iter()
        .find(|f| *f.name == *name)
        .expect(name)
        .value
}

#[test]
fn a_0_2_plugin_receives_only_what_its_projection_reads() {
    let plugin = hostile_v02();
    let accounts = vitals::demo::generate(50, AS_OF, 3);
    let limits = vitals::runtime::Limits::default();
    let narrow = r#"{"reads":"narrow"}"#;
    let projection = runtime()
        .projection(&plugin, &limits, narrow)
        .unwrap()
        .unwrap();
    let out = run_default(&plugin, narrow, &accounts);
    for (a, r) in accounts.iter().zip(&out.results) {
        // logins now, arr in history: two field columns, no metric.
        assert_eq!(echoed(r, "fields"), Some(2.0));
        assert_eq!(echoed(r, "metrics"), Some(0.0));
        assert_eq!(echoed(r, "logins"), a.current.logins.map(f64::from));
        let rows = projection.apply(a).history.len();
        assert!(
            rows < a.history.len().max(1),
            "{} of {}",
            rows,
            a.history.len()
        );
        assert_eq!(echoed(r, "rows"), Some(rows as f64), "{}", a.id);
    }
    // Everything: every field and the demo's three metrics, all history.
    let out = run_default(&plugin, "{}", &accounts);
    for (a, r) in accounts.iter().zip(&out.results) {
        assert_eq!(echoed(r, "fields"), Some(12.0));
        assert_eq!(echoed(r, "metrics"), Some(3.0));
        assert_eq!(echoed(r, "rows"), Some(a.history.len() as f64));
    }
}

#[test]
fn a_broken_0_2_wire_is_a_typed_error_for_that_plugin() {
    let plugin = hostile_v02();
    let accounts = vitals::demo::generate(5, AS_OF, 3);
    // A name outside the call's table: that account alone.
    let out = run_default(&plugin, r#"{"mode":"bad-index"}"#, &accounts);
    let err = out.results[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), "bad-output", "{err}");
    assert!(
        err.to_string().contains("factors[0].name is name 99"),
        "{err}"
    );
    assert!(out.results[1..].iter().all(Result::is_ok));
    // A thousand factors per account naming one 1 MiB name.
    // The run retries the first accounts alone, then gives the rest up as
    // `not-run`, saying why.
    let failed_as = |config: &str, kind: &str, why: &str| {
        let out = run_default(&plugin, config, &accounts);
        let errors: Vec<_> = out
            .results
            .iter()
            .map(|r| r.as_ref().unwrap_err())
            .collect();
        assert_eq!(errors[0].kind(), kind, "{config}: {:?}", errors[0]);
        for e in &errors {
            assert!(
                e.kind() == kind || (e.kind() == "not-run" && e.to_string().contains(why)),
                "{config}: {e}"
            );
        }
    };
    failed_as(
        r#"{"mode":"name-bomb"}"#,
        "output-too-large",
        "output too large",
    );
    // One result short.
    failed_as(r#"{"mode":"wrong-count"}"#, "bad-output", "results for");
    // A projection over the host's bounds.
    let err = runtime()
        .projection(
            &plugin,
            &vitals::runtime::Limits::default(),
            r#"{"reads":"huge-window"}"#,
        )
        .unwrap_err();
    assert_eq!(err.kind(), "bad-output", "{err}");
    assert!(err.to_string().contains("history: latest("), "{err}");
    // And the host carries on: the reference pack still scores.
    let out = run_default(&reference("weighted-health"), "{}", &accounts);
    assert!(out.results.iter().any(Result::is_ok));
}

#[test]
fn the_0_2_floor_guests_read_everything_and_answer_every_account() {
    let accounts = vitals::demo::generate(30, AS_OF, 9);
    for bytes in [vitals_e2e::FLOOR_PY, vitals_e2e::FLOOR_JS] {
        let plugin = runtime().load(bytes).unwrap();
        let name = &plugin.metadata.name;
        assert_eq!(plugin.contract, ContractVersion::V0_2, "{name}");
        let reads = plugin.reads.as_ref().unwrap().describe();
        for everything in ["metric:*", "history:all:metric:*", "label:*", "health:all"] {
            assert!(reads.contains(&everything.to_string()), "{name}: {reads:?}");
        }
        let out = run_default(&plugin, "{}", &accounts);
        assert_eq!(out.results.len(), accounts.len());
        assert!(
            out.results.iter().all(Result::is_ok),
            "{name}: {:?}",
            out.results[0]
        );
    }
}
