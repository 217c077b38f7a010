//! The scorecard fit on fixtures: ramps, refusals, direction, leaks, bands.

use super::*;

#[test]
fn columns_ramp_between_percentiles_and_fill_blanks_with_the_mean() {
    let values: Vec<f64> = (0..=100).map(f64::from).chain([f64::NAN]).collect();
    let c = column("m", values.into_iter(), 102).unwrap();
    assert_eq!((c.lo, c.hi), (5.0, 95.0));
    assert_eq!(c.scaled[0], 0.0);
    assert_eq!(c.scaled[50], 0.5);
    assert_eq!(c.scaled[100], 1.0);
    assert!((c.scaled[101] - 0.5).abs() < 1e-12);
}

#[test]
fn sparse_and_constant_columns_are_refused_with_why() {
    let sparse = [1.0, f64::NAN, f64::NAN, f64::NAN];
    assert!(
        column("m", sparse.into_iter(), 4)
            .unwrap_err()
            .contains("25 %")
    );
    let flat = [3.0, 3.0, 3.0];
    assert!(
        column("m", flat.into_iter(), 3)
            .unwrap_err()
            .contains("same value (3)")
    );
    // Mostly zero: the percentiles agree, so the ramp spans min to max.
    let mut skewed = vec![0.0; 97];
    skewed.extend([1.0, 2.0, 4.0]);
    let c = column("m", skewed.into_iter(), 100).unwrap();
    assert_eq!((c.lo, c.hi), (0.0, 4.0));
}

#[test]
fn rounding_keeps_ramps_readable() {
    assert_eq!(round_significant(6910.345, 4), 6910.0);
    assert_eq!(round_significant(19.6512, 4), 19.65);
    assert_eq!(round_significant(0.123456, 4), 0.1235);
    assert_eq!(round_to(-0.00001, 2), 0.0);
}

#[test]
fn candidates_start_from_the_configuration_then_metrics_then_built_ins() {
    let metrics: BTreeSet<String> = ["zz".to_string(), "onboarding".to_string()].into();
    let (names, known) = candidate_measures(&json!({}), &metrics, "onboarding");
    assert_eq!(names[0], "licence-utilisation");
    assert_eq!(names[DEFAULT_MEASURES], "zz");
    assert_eq!(names.last().unwrap(), "tenure-days");
    assert!(!names.contains(&"onboarding".to_string()));
    assert_eq!(known["nps"].group, "feedback");
    assert_eq!(known["tickets-open"].higher_is_better, Some(false));
    let custom =
        json!({"measures": [{"measure": "nps", "group": "voice", "worst": 0, "best": 10}]});
    let (names, known) = candidate_measures(&custom, &BTreeSet::new(), "");
    assert_eq!(names[0], "nps");
    assert_eq!(known["nps"].group, "voice");
    assert_eq!(known["nps"].higher_is_better, Some(true));
}

/// 400 accounts: `risk` (0-100) drives the outcome, `noise` does not,
/// `copy` is `risk` in other units, `sparse` is mostly blank.
fn training() -> Training {
    let names = ["risk", "noise", "copy", "sparse"]
        .map(String::from)
        .to_vec();
    let (mut raw, mut bad) = (Vec::new(), Vec::new());
    for i in 0..400u32 {
        let risk = f64::from(i % 101);
        let noise = f64::from((i * 7919) % 13);
        let sparse = if i % 5 == 0 { 1.0 } else { f64::NAN };
        raw.extend([risk, noise, risk * 12.0, sparse]);
        // Churn mostly above 60, with a few exceptions either way.
        bad.push((risk > 60.0) ^ (i % 11 == 0));
    }
    Training { names, raw, bad }
}

#[test]
fn the_scorecard_turns_risky_measures_and_sets_bands_at_the_fitted_rates() {
    let t = training();
    let s = fit_scorecard(
        &t,
        &BTreeMap::new(),
        &json!({"tiers": {"smb": {}}, "onboarding_days": 30}),
        &options(),
    )
    .unwrap();
    let reasons: BTreeMap<&str, &str> = s
        .dropped
        .iter()
        .map(|d| (d.measure.as_str(), d.reason.as_str()))
        .collect();
    assert!(reasons["copy"].contains("moves with risk"), "{reasons:?}");
    assert!(reasons["sparse"].contains("20 %"), "{reasons:?}");
    let risk = &s.measures[0];
    assert_eq!(risk.measure, "risk");
    // More risk, more churn: the ramp is turned, high values earn 0 points.
    assert!(risk.worst > risk.best, "{risk:?}");
    assert_eq!(risk.group, "metrics");
    assert!(risk.share > 0.8);
    // At the Red threshold the fitted probability is the Red rate: with
    // the measures kept at their value for that score.
    assert!(s.red_below < s.yellow_below);
    let config = &s.config;
    assert_eq!(config["onboarding_days"], 30);
    assert!(config.get("tiers").is_none() && s.had_tiers);
    assert_eq!(config["measures"][0]["measure"], "risk");
    assert_eq!(config["red_below"], s.red_below);
}

#[test]
fn band_thresholds_sit_where_the_fitted_probability_crosses_the_rates() {
    // One measure: the score is 100 x its points, and its points are
    // 1 - ramp (the ramp is turned), so the fitted probability at a score
    // S is the fit's at ramp 1 - S / 100.
    let full = training();
    let t = Training {
        names: vec!["risk".into()],
        raw: full.raw.chunks(4).map(|r| r[0]).collect(),
        bad: full.bad,
    };
    let s = fit_scorecard(&t, &BTreeMap::new(), &json!({}), &options()).unwrap();
    assert_eq!(s.measures.len(), 1);
    let at = |score: f64| s.fit.probability(&[1.0 - score / 100.0]);
    // Thresholds are rounded to 0.1 points: allow that much slope.
    assert!(
        (at(s.red_below) - s.red_rate).abs() < 0.01,
        "{}",
        at(s.red_below)
    );
    assert!((at(s.yellow_below) - s.bad_rate).abs() < 0.01);
    assert!((s.bad_rate - t.bad.iter().filter(|b| **b).count() as f64 / 400.0).abs() < 1e-12);
    let b = s.bad_rate;
    assert!((s.red_rate - (2.0 * b).min((1.0 + b) / 2.0)).abs() < 1e-12);
}

#[test]
fn a_measure_fitted_against_its_known_direction_is_left_out() {
    // The configuration says more `risk` is better; the data says the
    // opposite: `risk` is left out and the rest fitted again.
    let known: BTreeMap<String, Known> = [(
        "risk".to_string(),
        Known {
            group: "g".into(),
            higher_is_better: Some(true),
            source: FROM_CONFIGURATION,
        },
    )]
    .into();
    let s = fit_scorecard(&training(), &known, &json!({}), &options()).unwrap();
    let risk = s.dropped.iter().find(|d| d.measure == "risk").unwrap();
    assert_eq!(
        risk.reason,
        "the current configuration counts higher values as better, yet on the training accounts lower values went with less risk: left out rather than turned around"
    );
    assert!(s.measures.iter().all(|m| m.measure != "risk"));
    assert_eq!(s.measures[0].measure, "noise");
}

#[test]
fn a_single_class_cannot_be_fitted() {
    let mut t = training();
    t.bad.iter_mut().for_each(|y| *y = false);
    assert!(matches!(
        fit_scorecard(&t, &BTreeMap::new(), &json!({}), &options()),
        Err(BacktestError::SingleClass(_))
    ));
}

fn options() -> FitOptions<'static> {
    static LISTED: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    FitOptions {
        listed: LISTED.get_or_init(|| ["sparse".to_string()].into()),
        allow_leaks: false,
    }
}

/// `training()` with `leak`: 1 exactly for the accounts on the bad
/// side, and `absent`, a built-in no account has.
fn with_a_leak() -> Training {
    let t = training();
    let mut names = t.names.clone();
    names.extend(["leak".to_string(), "absent".to_string()]);
    let raw = t
        .raw
        .chunks(4)
        .zip(&t.bad)
        .flat_map(|(r, bad)| {
            let mut row = r.to_vec();
            row.extend([f64::from(u8::from(*bad)), f64::NAN]);
            row
        })
        .collect();
    Training {
        names,
        raw,
        bad: t.bad,
    }
}

#[test]
fn a_leak_is_not_weighted_unless_allowed() {
    let t = with_a_leak();
    let s = fit_scorecard(&t, &BTreeMap::new(), &json!({}), &options()).unwrap();
    assert_eq!(s.leaks, [("leak".to_string(), 1.0)]);
    let leak = s.dropped.iter().find(|d| d.measure == "leak").unwrap();
    assert!(
        leak.reason.starts_with(
            "alone ranks the outcome at ROC-AUC 1.000 on the training accounts (above 0.95)"
        ),
        "{leak:?}"
    );
    assert!(s.measures.iter().all(|m| m.measure != "leak"));
    // A tried measure without any value is one name, not a reason each.
    assert_eq!(s.without_values, ["absent"]);
    assert!(s.dropped.iter().all(|d| d.measure != "absent"));
    let allowed = FitOptions {
        allow_leaks: true,
        ..options()
    };
    let s = fit_scorecard(&t, &BTreeMap::new(), &json!({}), &allowed).unwrap();
    assert_eq!(s.measures[0].measure, "leak");
    assert!(s.measures[0].share > 0.5, "{:?}", s.measures);
}

#[test]
fn a_small_share_never_reads_as_its_own_threshold() {
    assert_eq!(small_share(0.009_99), "0.99 % of the score (under 1 %)");
    assert_eq!(small_share(0.0098), "0.98 % of the score (under 1 %)");
    assert_eq!(small_share(0.0001), "0.01 % of the score (under 1 %)");
}
