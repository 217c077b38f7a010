//! Rules and edge cases of weighted-health, through the SDK harness.

use super::*;
use vitals_plugin_sdk::date::ymd;
use vitals_plugin_sdk::testing::{AccountBuilder, score_health};

fn as_of() -> Date {
    ymd(2026, 1, 1)
}

fn healthy() -> AccountBuilder {
    AccountBuilder::new("healthy")
        .start(ymd(2023, 1, 1))
        .seats(100, 95)
        .logins(1500)
        .features(20, 14)
        .tickets(0, 0)
        .nps(10)
        .csat(96.0)
        .champion_left(false)
        .late_payments(0)
        .metric("webinars-attended", 4.0)
        .metric("community-posts", 6.0)
}

fn one(config: &str, account: Account) -> Result<Health, PluginError> {
    score_health::<WeightedHealth>(config, as_of(), &[account])
        .unwrap()
        .remove(0)
}

#[test]
fn a_model_customer_is_green_near_100() {
    let h = one("{}", healthy().build()).unwrap();
    assert_eq!(h.band, Band::Green);
    assert!(h.score > 99.0, "{}", h.score);
}

#[test]
fn factors_add_up_to_the_score_and_weights_to_one() {
    let a = healthy().seats(100, 40).tickets(4, 1).nps(6).build();
    let h = one("{}", a).unwrap();
    let points: f64 = h.factors.iter().map(|f| f.points).sum();
    let weights: f64 = h.factors.iter().map(|f| f.weight).sum();
    assert!((points - h.score).abs() < 1e-9);
    assert!((weights - 1.0).abs() < 1e-9);
}

#[test]
fn a_struggling_customer_is_red() {
    let a = AccountBuilder::new("sad")
        .start(ymd(2023, 1, 1))
        .seats(100, 10)
        .logins(20)
        .features(20, 1)
        .tickets(12, 4)
        .nps(2)
        .csat(30.0)
        .champion_left(true)
        .late_payments(3)
        .build();
    let h = one("{}", a).unwrap();
    assert_eq!(h.band, Band::Red);
    assert!(h.score < 5.0, "{}", h.score);
}

#[test]
fn blank_measures_are_dropped_and_weights_renormalised() {
    // Only NPS is known: it carries the whole weight.
    let a = AccountBuilder::new("nps-only")
        .start(ymd(2020, 1, 1))
        .nps(7)
        .build();
    let h = one("{}", a).unwrap();
    assert!((h.score - 70.0).abs() < 1e-9, "{}", h.score);
    let nps = h.factors.iter().find(|f| f.name == "nps").unwrap();
    assert!((nps.weight - 1.0).abs() < 1e-12);
    let blank = h.factors.iter().find(|f| f.name == "csat").unwrap();
    assert_eq!((blank.value, blank.weight, blank.points), (None, 0.0, 0.0));
}

#[test]
fn no_nps_still_scores() {
    let mut a = healthy().build();
    a.current.nps = None;
    let h = one("{}", a).unwrap();
    assert_eq!(h.band, Band::Green);
}

#[test]
fn an_account_with_no_data_is_a_missing_data_error() {
    let err = one(
        "{}",
        AccountBuilder::new("empty").start(ymd(2020, 1, 1)).build(),
    )
    .unwrap_err();
    assert!(matches!(err, PluginError::MissingData(_)), "{err:?}");
}

#[test]
fn zero_seats_drop_utilisation_instead_of_dividing_by_zero() {
    let a = healthy().seats(0, 0).build();
    let h = one("{}", a).unwrap();
    let util = h
        .factors
        .iter()
        .find(|f| f.name == "licence-utilisation")
        .unwrap();
    assert_eq!(util.value, None);
    assert!(h.score.is_finite());
}

#[test]
fn young_accounts_are_scored_on_onboarding_progress() {
    let a = healthy()
        .start(ymd(2025, 12, 1))
        .metric("onboarding-progress", 40.0)
        .build();
    let h = one("{}", a).unwrap();
    assert_eq!(h.score, 40.0);
    assert_eq!(h.band, Band::Red);
    assert_eq!(h.factors.len(), 1);
    assert_eq!(h.factors[0].group, "onboarding");
    // Past the onboarding window the same account is scored normally.
    let older = healthy()
        .start(ymd(2025, 9, 1))
        .metric("onboarding-progress", 40.0)
        .build();
    assert_eq!(one("{}", older).unwrap().band, Band::Green);
}

#[test]
fn band_thresholds_and_weights_come_from_config() {
    let a = AccountBuilder::new("nps-only")
        .start(ymd(2020, 1, 1))
        .nps(7)
        .build();
    assert_eq!(one("{}", a.clone()).unwrap().band, Band::Yellow);
    assert_eq!(
        one(r#"{"yellow_below": 65}"#, a.clone()).unwrap().band,
        Band::Green
    );
    assert_eq!(
        one(r#"{"red_below": 80, "yellow_below": 90}"#, a)
            .unwrap()
            .band,
        Band::Red
    );
}

#[test]
fn a_free_form_metric_becomes_a_measure_by_configuration() {
    let config = r#"{"groups": {"engagement": 1.0},
        "measures": [{"measure": "qbr-attended", "group": "engagement", "worst": 0, "best": 4}]}"#;
    let a = AccountBuilder::new("m")
        .start(ymd(2020, 1, 1))
        .metric("qbr-attended", 3.0)
        .build();
    let h = one(config, a).unwrap();
    assert_eq!(h.score, 75.0);
    assert_eq!(h.factors[0].name, "qbr-attended");
}

#[test]
fn tiers_override_thresholds() {
    let config = r#"{"tiers": {"enterprise": {"yellow_below": 60}}}"#;
    let smb = AccountBuilder::new("s")
        .start(ymd(2020, 1, 1))
        .nps(7)
        .tier("smb")
        .build();
    let ent = AccountBuilder::new("e")
        .start(ymd(2020, 1, 1))
        .nps(7)
        .tier("enterprise")
        .build();
    assert_eq!(one(config, smb).unwrap().band, Band::Yellow);
    assert_eq!(one(config, ent).unwrap().band, Band::Green);
}

#[test]
fn arr_contraction_over_history_counts_against_health() {
    let base = AccountBuilder::new("c")
        .start(ymd(2020, 1, 1))
        .nps(10)
        .arr(70_000.0);
    let shrinking = base
        .clone()
        .history(ymd(2025, 9, 1), |s| s.arr(100_000.0))
        .build();
    let steady = base.history(ymd(2025, 9, 1), |s| s.arr(70_000.0)).build();
    assert!(one("{}", shrinking).unwrap().score < one("{}", steady).unwrap().score);
}

#[test]
fn invalid_configuration_fails_the_batch_with_the_field_named() {
    let err = score_health::<WeightedHealth>(r#"{"groups": {"usage": "high"}}"#, as_of(), &[])
        .unwrap_err();
    let PluginError::InvalidConfig(msg) = err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("groups.usage"), "{msg}");
}

#[test]
fn metadata_describes_the_plugin_and_its_schema() {
    let m = vitals_plugin_sdk::dispatch::health_metadata::<WeightedHealth>();
    assert_eq!(m.name, "weighted-health");
    assert_eq!(m.kind, PluginKind::HealthModel);
    assert!(m.config_schema.contains("red_below"));
    assert!(m.reads.current.fields.contains(Field::Nps));
    assert_eq!(m.reads, WeightedHealth::READS);
}

/// The configuration error of an empty batch (what the host asks when a
/// tenant sets a configuration).
fn refused(config: &str) -> String {
    match score_health::<WeightedHealth>(config, as_of(), &[]) {
        Err(PluginError::InvalidConfig(m)) => m,
        other => panic!("{config}: accepted: {other:?}"),
    }
}

#[test]
fn nonsensical_configurations_are_refused_naming_the_field() {
    let m = refused(r#"{"red_below": 90, "yellow_below": 10}"#);
    assert!(
        m.contains("red_below (90) is above yellow_below (10)"),
        "{m}"
    );
    let m = refused(r#"{"tiers": {"smb": {"red_below": 80}}}"#);
    assert!(m.contains("tiers.smb.red_below (80)"), "{m}");
    let m = refused(
        r#"{"groups": {"a": -1}, "measures": [{"measure": "nps", "group": "a", "worst": 0, "best": 10}]}"#,
    );
    assert!(m.contains("groups.a (-1) is negative"), "{m}");
    let m = refused(
        r#"{"groups": {"a": 1}, "measures": [{"measure": "nps", "group": "a", "weight": -2, "worst": 0, "best": 10}]}"#,
    );
    assert!(
        m.contains("measures[0].weight (-2) of nps is negative"),
        "{m}"
    );
    let m = refused(
        r#"{"groups": {"a": 0}, "measures": [{"measure": "nps", "group": "a", "worst": 0, "best": 10}]}"#,
    );
    assert!(m.contains("no measure carries weight"), "{m}");
    // Equal thresholds (no Yellow band) and a group turned off are fine.
    assert!(
        score_health::<WeightedHealth>(r#"{"red_below": 60, "yellow_below": 60}"#, as_of(), &[])
            .is_ok()
    );
}

#[test]
fn a_measure_whose_group_is_missing_says_so() {
    // A typo in the group: the measure would carry no weight.
    let config = r#"{"groups": {"tenure": 1}, "measures": [{"measure": "tenure-days", "group": "tenur", "worst": 0, "best": 700}]}"#;
    let m = refused(config);
    assert!(
        m.contains(r#"measures[0] (tenure-days) is in group "tenur", which groups does not list (it lists tenure)"#),
        "{m}"
    );
    // Replacing the groups keeps the default measures: their groups must stay.
    let m = refused(r#"{"groups": {"usage": 1}}"#);
    assert!(m.contains(r#"group "engagement""#), "{m}");
    let m = refused(r#"{"tiers": {"smb": {"groups": {"usage": 1}}}}"#);
    assert!(m.contains("which tiers.smb.groups does not list"), "{m}");
}

#[test]
fn the_schema_refuses_negative_weights_and_marks_the_measure_names() {
    let m = vitals_plugin_sdk::dispatch::health_metadata::<WeightedHealth>();
    let schema: serde_json::Value = serde_json::from_str(&m.config_schema).unwrap();
    assert_eq!(
        schema["properties"]["groups"]["additionalProperties"]["minimum"],
        0
    );
    let rule = &schema["$defs"]["MeasureRule"]["properties"];
    assert_eq!(rule["weight"]["minimum"], 0);
    assert_eq!(rule["measure"]["x-vitals-measure"], "number");
    assert_eq!(
        rule["measure"]["x-vitals-built-in"]["licence-utilisation"],
        serde_json::json!(["seats-purchased", "seats-active"])
    );
    assert_eq!(
        schema["properties"]["onboarding_metric"]["x-vitals-measure"],
        "number"
    );
}

#[test]
fn the_default_configuration_reads_what_reads_declares() {
    assert_eq!(project(&Config::default()), WeightedHealth::READS);
}

#[test]
fn the_projection_follows_the_configured_measures() {
    let config: Config = vitals_plugin_sdk::config::parse(
        r#"{"groups": {"a": 1, "off": 0},
            "measures": [
                {"measure": "logins-change-90d", "group": "a", "worst": -1, "best": 0},
                {"measure": "qbr-attended", "group": "a", "worst": 0, "best": 4},
                {"measure": "csat", "group": "off", "worst": 0, "best": 100},
                {"measure": "tenure-days", "group": "a", "worst": 0, "best": 700}],
            "tiers": {"smb": {"yellow_below": 60}}}"#,
    )
    .unwrap();
    let p = project(&config);
    assert_eq!(p.current.fields.iter().collect::<Vec<_>>(), [Field::Logins]);
    assert_eq!(p.history, Window::Days(90));
    assert_eq!(
        p.history_reads.fields.iter().collect::<Vec<_>>(),
        [Field::Logins]
    );
    assert_eq!(
        p.current.metrics,
        Names::Only(&["qbr-attended", "onboarding-progress"])
    );
    assert!(p.attributes.contains(Attribute::Tier) && p.attributes.contains(Attribute::StartDate));
    // A bad configuration is refused by `project` as by `score`.
    let err = vitals_plugin_sdk::dispatch::project::<WeightedHealth>(
        r#"{"red_below": 90, "yellow_below": 10}"#,
    )
    .unwrap_err();
    assert!(matches!(err, PluginError::InvalidConfig(_)), "{err:?}");
}

#[test]
fn a_change_over_90_days_finds_its_base_through_the_projection() {
    // The 2025-09-01 snapshot is 122 days back: the base of the 90-day change,
    // sent as the latest snapshot before the window.
    let a = AccountBuilder::new("c")
        .start(ymd(2020, 1, 1))
        .nps(10)
        .arr(70_000.0)
        .history(ymd(2025, 9, 1), |s| s.arr(100_000.0).nps(3))
        .history(ymd(2025, 12, 1), |s| s.arr(70_000.0))
        .build();
    let h = one("{}", a).unwrap();
    let change = h
        .factors
        .iter()
        .find(|f| f.name == "arr-change-90d")
        .unwrap();
    assert_eq!(change.value, Some(-0.3));
}
