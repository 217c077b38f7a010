//! The dashboard's aggregates against `vitals summary` and `/forecast` (two
//! implementations of one set of rules must agree), its lists' filters,
//! sorts and pages, and when its index is rebuilt.

use super::*;
use crate::model::IngestRow;
use crate::runtime::types::{
    Attributes, Confidence, Driver, Forecast, Health, PluginMetadata, Propensity, Segment, Snapshot,
};
use crate::runtime::{ContractVersion, Output, PluginError, Runtime, RuntimeConfig};
use crate::scoring::Summary;
use crate::service::{Api, RunIds};
use crate::store::{IngestMode, Store};

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

/// Accounts with an owner (but `e`), an ARR and a renewal date.
fn ingest(s: &Service, owner_of_a: &str) {
    ingest_with(s, owner_of_a, 100.0);
}

/// The same, with `a`'s contract ARR.
fn ingest_with(s: &Service, owner_of_a: &str, arr_of_a: f64) {
    let rows: Vec<IngestRow> = [
        ("a", arr_of_a, "Alpha Corp"),
        ("b", 200.0, "Beta Ltd"),
        ("c", 300.0, "Gamma"),
        ("d", 400.0, "Delta Alpha"),
        ("e", 500.0, "Epsilon"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (id, arr, name))| IngestRow {
        line: i + 1,
        account_id: id.into(),
        attributes: Attributes {
            name: Some(name.into()),
            owner: match id {
                "a" => Some(owner_of_a.into()),
                "e" => None,
                _ => Some("ben".into()),
            },
            tier: Some(if arr > 250.0 { "enterprise" } else { "smb" }.into()),
            contract_arr: Some(arr),
            renewal_date: Some(1000 + 40 * i as i32),
            ..Attributes::empty()
        },
        snapshot: Some(Snapshot::empty(900)),
        outcome: None,
    })
    .collect();
    s.ingest_parsed(
        T,
        crate::ingest::Parsed {
            rows,
            errors: vec![],
        },
        IngestMode::AllOrNothing,
    )
    .unwrap();
}

/// Installs a plugin of `kind` named `name` (its component: its name).
fn plugin(s: &Service, kind: PluginKind, name: &str) -> crate::store::InstalledPlugin {
    let meta = PluginMetadata {
        name: name.into(),
        version: "1.0.0".into(),
        kind,
        description: String::new(),
        config_schema: "{}".into(),
        reads: vec![],
    };
    s.store
        .add_plugin(T, name, name.as_bytes(), &meta, ContractVersion::V0_2)
        .unwrap()
}

fn run(
    s: &Service,
    kind: PluginKind,
    name: &str,
    as_of: i32,
    results: Vec<(&str, Result<Output, PluginError>)>,
) -> u64 {
    let plugin = plugin(s, kind, name);
    let mut r = s.store.start_run(T, &plugin, "{}", as_of).unwrap();
    let results: Vec<(String, Result<Output, PluginError>)> = results
        .into_iter()
        .map(|(a, o)| (a.to_string(), o))
        .collect();
    s.store
        .write_results(&mut r, &results, 0, vec![], 0)
        .unwrap();
    s.store.complete_run(&mut r).unwrap();
    r.id
}

/// A health run after the fixture's, that scores `a` alone (Green).
fn a_later_health_run(s: &Service) {
    run(
        s,
        PluginKind::HealthModel,
        "h",
        1000,
        vec![("a", health(90.0, Band::Green))],
    );
}

fn health(score: f64, band: Band) -> Result<Output, PluginError> {
    Ok(Output::Health(Health {
        score,
        band,
        factors: vec![],
    }))
}

fn segments(names: &[&str]) -> Result<Output, PluginError> {
    Ok(Output::Segments {
        segments: names
            .iter()
            .map(|n| Segment {
                name: (*n).into(),
                reason: String::new(),
            })
            .collect(),
    })
}

fn propensity(score: f64) -> Result<Output, PluginError> {
    Ok(Output::Propensity(Propensity {
        score,
        drivers: vec![Driver {
            name: "licence-utilisation".into(),
            value: score,
            contribution: score,
        }],
    }))
}

fn forecast(p: f64, arr: f64, renewal: i32) -> Result<Output, PluginError> {
    Ok(Output::Forecast(Forecast {
        renewal_probability: p,
        confidence: if p >= 1.0 {
            Confidence::Commit
        } else {
            Confidence::Pipeline
        },
        basis: String::new(),
        renewal_date: Some(renewal),
        expected_renewal_arr: p * arr,
        expected_expansion_arr: 10.0,
        expected_contraction_arr: 5.0,
    }))
}

fn trap() -> Result<Output, PluginError> {
    Err(PluginError::Trap {
        message: "boom".into(),
        backtrace: None,
    })
}

/// Two health and segmenter runs, one propensity and one forecast run.
fn tenant() -> (tempfile::TempDir, Service) {
    let (dir, s) = service();
    ingest(&s, "ana");
    let h = PluginKind::HealthModel;
    run(
        &s,
        h,
        "h",
        800,
        vec![
            ("a", health(80.0, Band::Green)),
            ("b", health(20.0, Band::Red)),
            ("c", health(60.0, Band::Yellow)),
        ],
    );
    // A re-run at the same as-of: only the latest counts in the trend.
    run(
        &s,
        h,
        "h",
        800,
        vec![
            ("a", health(81.0, Band::Green)),
            ("b", health(21.0, Band::Red)),
            ("c", health(61.0, Band::Yellow)),
            ("d", health(90.0, Band::Green)),
        ],
    );
    run(
        &s,
        h,
        "h",
        900,
        vec![
            ("a", health(10.0, Band::Red)),
            ("b", health(15.0, Band::Red)),
            ("c", health(65.0, Band::Yellow)),
            ("d", health(30.0, Band::Red)),
            ("e", health(35.0, Band::Red)),
        ],
    );
    let sg = PluginKind::Segmenter;
    run(
        &s,
        sg,
        "s",
        800,
        vec![
            ("a", segments(&["adoption"])),
            ("b", segments(&["at-risk"])),
            ("c", segments(&["advocate"])),
            ("d", segments(&["adoption"])),
        ],
    );
    run(
        &s,
        sg,
        "s",
        900,
        vec![
            ("a", segments(&["at-risk"])),
            ("b", segments(&["at-risk"])),
            ("c", trap()),
            ("d", segments(&["at-risk", "expansion-ready"])),
            ("e", segments(&[])),
        ],
    );
    run(
        &s,
        PluginKind::PropensityModel,
        "p",
        900,
        vec![
            ("a", propensity(0.2)),
            ("b", propensity(0.0)),
            ("c", propensity(0.9)),
            ("d", propensity(0.9)),
            ("e", trap()),
        ],
    );
    run(
        &s,
        PluginKind::Forecaster,
        "f",
        900,
        vec![
            ("a", forecast(0.5, 100.0, 920)),
            ("b", forecast(1.0, 200.0, 1000)),
            ("c", forecast(0.2, 300.0, 1050)),
            ("d", forecast(0.0, 400.0, 1200)),
            ("e", trap()),
        ],
    );
    (dir, s)
}

#[test]
fn the_overview_agrees_with_the_summary_and_the_forecast() {
    let (_dir, s) = tenant();
    let o = s.dashboard_overview(T).unwrap();
    let summary = Summary::build(&s.store, T, 90, 10).unwrap();
    let h = summary.health.unwrap();
    assert_eq!((o.now, o.before), (h.now, h.before));
    assert_eq!(o.turned_red, h.turned_red.len());
    assert_eq!(
        o.turned_red, 2,
        "a and d: e was not scored before, b was Red"
    );
    assert_eq!(o.errors, summary.errors);
    // One point per as-of, the re-run's counts at 800.
    let trend: Vec<(&str, usize, usize, usize)> = o
        .history
        .iter()
        .map(|p| {
            (
                p.as_of.as_str(),
                p.counts.green,
                p.counts.yellow,
                p.counts.red,
            )
        })
        .collect();
    assert_eq!(trend, [("1972-03-11", 2, 1, 1), ("1972-06-19", 0, 1, 4)]);
    let owners: Vec<(&str, usize, usize, usize)> = o
        .by_owner
        .iter()
        .map(|g| (g.name.as_str(), g.accounts, g.bands.red, g.turned_red))
        .collect();
    assert_eq!(
        owners,
        [("(none)", 1, 1, 0), ("ana", 1, 1, 1), ("ben", 3, 2, 1)]
    );
    let ben = &o.by_owner[2];
    assert_eq!((ben.arr, ben.red_arr), (900.0, 600.0));
    let at_risk = o.by_segment.iter().find(|g| g.name == "at-risk").unwrap();
    assert_eq!(
        (at_risk.accounts, at_risk.bands.red, at_risk.arr),
        (3, 3, 700.0)
    );

    let seg = s.dashboard_segments(T).unwrap();
    assert_eq!(seg.segments, summary.segments);

    let x = s
        .dashboard_expansion(T, &ExpansionQuery::default())
        .unwrap();
    let ours: Vec<(String, f64, f64)> = x
        .candidates
        .iter()
        .map(|c| (c.account.id.clone(), c.propensity, c.account.arr.unwrap()))
        .collect();
    assert_eq!(ours, summary.expansion);
    assert_eq!((x.total, x.arr), (3, 800.0));
    assert_eq!(
        x.candidates[0].drivers[0].name.as_ref(),
        "licence-utilisation"
    );
    let found = s
        .dashboard_expansion(
            T,
            &ExpansionQuery {
                q: Some("alpha".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let ranks: Vec<(usize, &str)> = found
        .candidates
        .iter()
        .map(|c| (c.rank, c.account.id.as_str()))
        .collect();
    assert_eq!(
        ranks,
        [(2, "d"), (3, "a")],
        "ranks stay those among all candidates"
    );

    let r = s.dashboard_renewals(T).unwrap();
    assert_eq!(r.periods.len(), 3);
    for p in &r.periods {
        let api = s.forecast(T, None, p.days).unwrap();
        assert_eq!(p.forecast, api.summary, "{} days", p.days);
    }
    assert_eq!(r.periods[1].forecast, summary.forecast.unwrap());
    assert_eq!(r.periods[0].forecast.renewals_due, 1);
    assert_eq!(r.periods[2].by_confidence.get("commit"), Some(&1));
}

fn ids(list: &AccountList) -> Vec<&str> {
    list.rows.iter().map(|r| r.id.as_str()).collect()
}

#[test]
fn lists_filter_search_sort_and_page() {
    let (_dir, s) = tenant();
    let q = |f: &dyn Fn(&mut AccountQuery)| {
        let mut q = AccountQuery::default();
        f(&mut q);
        s.dashboard_accounts(T, &q)
    };
    let by_score = q(&|q| {
        q.sort = Some("score".into());
        q.order = Some("desc".into());
    })
    .unwrap();
    assert_eq!(ids(&by_score), ["c", "e", "d", "b", "a"]);
    let by_band = q(&|q| q.sort = Some("band".into())).unwrap();
    assert_eq!(
        ids(&by_band),
        ["a", "b", "d", "e", "c"],
        "Red first, ties by id"
    );
    let turned = q(&|q| q.turned_red = Some(true)).unwrap();
    assert_eq!(ids(&turned), ["a", "d"]);
    let none = q(&|q| q.owner = Some(NO_OWNER.into())).unwrap();
    assert_eq!(ids(&none), ["e"]);
    let search = q(&|q| q.q = Some("  ALPHA ".into())).unwrap();
    assert_eq!(ids(&search), ["a", "d"]);
    let both = q(&|q| q.q = Some("alpha delta".into())).unwrap();
    assert_eq!(ids(&both), ["d"]);
    let members = q(&|q| q.segment = Some("at-risk".into())).unwrap();
    assert_eq!(ids(&members), ["a", "b", "d"]);
    let entered = q(&|q| {
        q.segment = Some("at-risk".into());
        q.membership = Some("entered".into());
    })
    .unwrap();
    assert_eq!(ids(&entered), ["a", "d"]);
    let left = q(&|q| {
        q.segment = Some("adoption".into());
        q.membership = Some("left".into());
    })
    .unwrap();
    assert_eq!(ids(&left), ["a", "d"]);
    let unknown = q(&|q| q.segment = Some("gone".into())).unwrap();
    assert_eq!(unknown.total, 0);
    // Renewals in the 151 days from the forecast's as-of (900 to 1050): 920, 1000, 1050.
    let due = q(&|q| {
        q.renewal_within = Some(151);
        q.sort = Some("renewal_date".into());
        q.order = Some("desc".into());
    })
    .unwrap();
    assert_eq!(ids(&due), ["c", "b", "a"]);
    // Pages of two cover everything once, in order.
    let mut paged = Vec::new();
    for offset in [0, 2, 4] {
        let page = q(&|q| {
            q.sort = Some("arr".into());
            q.order = Some("desc".into());
            q.limit = Some(2);
            q.offset = offset;
        })
        .unwrap();
        assert_eq!(page.total, 5);
        paged.extend(page.rows.into_iter().map(|r| r.id));
    }
    assert_eq!(paged, ["e", "d", "c", "b", "a"]);
    let row = &by_score.rows[2];
    assert_eq!(
        (
            row.band,
            row.band_before,
            row.segments.clone(),
            row.renewal_date.as_deref()
        ),
        (
            Some(Band::Red),
            Some(Band::Green),
            vec!["at-risk".to_string(), "expansion-ready".to_string()],
            Some("1973-04-15")
        )
    );
    for (bad, field) in [
        (
            AccountQuery {
                sort: Some("colour".into()),
                ..Default::default()
            },
            "sort",
        ),
        (
            AccountQuery {
                order: Some("up".into()),
                ..Default::default()
            },
            "order",
        ),
        (
            AccountQuery {
                band: Some("blue".into()),
                ..Default::default()
            },
            "band",
        ),
        (
            AccountQuery {
                limit: Some(501),
                ..Default::default()
            },
            "limit",
        ),
        (
            AccountQuery {
                membership: Some("left".into()),
                ..Default::default()
            },
            "membership",
        ),
        (
            AccountQuery {
                renewal_within: Some(0),
                ..Default::default()
            },
            "renewal_within",
        ),
    ] {
        let e = s.dashboard_accounts(T, &bad).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.body.message.starts_with(field), "{}", e.body.message);
    }
}

#[test]
fn a_new_run_or_an_ingest_rebuilds_the_index() {
    let (_dir, s) = tenant();
    assert_eq!(s.dashboard_overview(T).unwrap().now.red, 4);
    a_later_health_run(&s);
    let o = s.dashboard_overview(T).unwrap();
    assert_eq!((o.now.green, o.now.red, o.history.len()), (1, 0, 3));
    ingest(&s, "zoe");
    let fresh = |s: &Service| {
        let (generation, completions) = (s.dashboard.generation(T), s.store.run_completions(T));
        s.dashboard.current(T, generation, completions).is_some()
    };
    assert!(!fresh(&s), "an ingest makes the index stale");
    s.warm_dashboard(T).unwrap();
    assert!(fresh(&s), "warming builds it before any view");
    let o = s.dashboard_overview(T).unwrap();
    assert!(
        o.by_owner.iter().any(|g| g.name == "zoe"),
        "{:?}",
        o.by_owner
    );
    assert!(!o.by_owner.iter().any(|g| g.name == "ana"));
}

#[test]
fn the_summary_served_agrees_with_the_one_built_from_the_runs() {
    let (_dir, s) = tenant();
    let agree = |s: &Service, when: &str| {
        for days in [1, 90, 180] {
            assert_eq!(
                serde_json::to_value(s.summary(T, &q(days, 2)).unwrap()).unwrap(),
                serde_json::to_value(Summary::build(&s.store, T, days, 2).unwrap()).unwrap(),
                "{when}, {days} days"
            );
        }
    };
    agree(&s, "first");
    a_later_health_run(&s);
    agree(&s, "after a run");
    ingest(&s, "zoe");
    agree(&s, "after an ingest");
    // `a` renews within 90 days: its contract ARR is up for renewal.
    let due = |s: &Service| s.summary(T, &q(90, 2)).unwrap().forecast.unwrap().arr_due;
    let before = due(&s);
    ingest_with(&s, "zoe", 1100.0);
    assert_eq!(due(&s), before + 1000.0, "the new ARR is joined");
    agree(&s, "after an ingest that changed an ARR");
}

#[test]
fn a_summary_of_chosen_runs_agrees_with_the_one_built_from_the_runs() {
    let (_dir, s) = tenant();
    let first_health = s
        .store
        .runs(T)
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == PluginKind::HealthModel)
        .max_by_key(|r| r.id)
        .unwrap();
    a_later_health_run(&s);
    let latest = s.summary(T, &q(90, 2)).unwrap();
    for (what, query, selection) in [
        (
            "--run",
            crate::service::SummaryQuery {
                runs: RunIds::new(vec![first_health.id]).unwrap(),
                ..q(90, 2)
            },
            Selection {
                runs: vec![first_health.id],
                ..Selection::default()
            },
        ),
        (
            "--as-of",
            crate::service::SummaryQuery {
                as_of: Some(first_health.as_of),
                ..q(90, 2)
            },
            Selection {
                as_of: Some(first_health.as_of),
                ..Selection::default()
            },
        ),
    ] {
        let served = s.summary(T, &query).unwrap();
        assert_eq!(
            serde_json::to_value(&served).unwrap(),
            serde_json::to_value(Summary::build_with(&s.store, T, 90, 2, &selection).unwrap())
                .unwrap(),
            "{what}"
        );
        assert_eq!(
            served.health.as_ref().unwrap().run,
            first_health.id,
            "{what}"
        );
        assert_ne!(
            serde_json::to_value(&served.health).unwrap(),
            serde_json::to_value(&latest.health).unwrap(),
            "{what} reads another run than the latest"
        );
    }
    let refused = s.summary(
        T,
        &crate::service::SummaryQuery {
            runs: "999".parse().unwrap(),
            ..q(90, 2)
        },
    );
    assert_eq!(refused.unwrap_err().status, 400);
}

#[test]
fn an_ingest_joins_the_kept_scores_again_and_a_run_reads_them_anew() {
    let (_dir, s) = tenant();
    let scores = |s: &Service| s.dashboard_index(T).unwrap().scores.clone();
    let first = scores(&s);
    assert!(Arc::ptr_eq(&first, &scores(&s)), "nothing changed");
    ingest(&s, "zoe");
    let index = s.dashboard_index(T).unwrap();
    assert!(Arc::ptr_eq(&first, &index.scores), "an ingest keeps them");
    assert_eq!(
        index.rows[0].owner.as_deref(),
        Some("zoe"),
        "and joins anew"
    );
    a_later_health_run(&s);
    assert!(!Arc::ptr_eq(&first, &scores(&s)), "a run completed");
}

#[test]
fn a_run_completing_after_a_newer_one_still_refreshes_the_index() {
    let (_dir, s) = tenant();
    let h = plugin(&s, PluginKind::HealthModel, "h2");
    let p = plugin(&s, PluginKind::PropensityModel, "p2");
    let mut older = s.store.start_run(T, &h, "{}", 1000).unwrap();
    let mut newer = s.store.start_run(T, &p, "{}", 1000).unwrap();
    assert!(older.id < newer.id);
    let results = |out: Result<Output, PluginError>| vec![("a".to_string(), out)];
    s.store
        .write_results(&mut newer, &results(propensity(0.9)), 0, vec![], 0)
        .unwrap();
    s.store.complete_run(&mut newer).unwrap();
    assert_eq!(s.dashboard_index(T).unwrap().rows[0].propensity, Some(0.9));
    let health_run = |s: &Service| s.summary(T, &q(90, 10)).unwrap().health.map(|h| h.run);
    assert_ne!(health_run(&s), Some(older.id));
    s.store
        .write_results(
            &mut older,
            &results(health(99.0, Band::Green)),
            0,
            vec![],
            0,
        )
        .unwrap();
    s.store.complete_run(&mut older).unwrap();
    let o = s.dashboard_overview(T).unwrap();
    assert_eq!(o.health_run.map(|r| r.run), Some(older.id));
    assert_eq!((o.now.green, o.now.red), (1, 0));
    assert_eq!(health_run(&s), Some(older.id));
}

#[test]
fn a_tenant_without_runs_has_an_empty_dashboard() {
    let (_dir, s) = service();
    ingest(&s, "ana");
    let o = s.dashboard_overview(T).unwrap();
    assert_eq!(
        (o.accounts, o.health_run.is_none(), o.history.len()),
        (5, true, 0)
    );
    assert_eq!(o.by_owner.len(), 3);
    assert!(s.dashboard_renewals(T).unwrap().periods.is_empty());
    assert_eq!(
        s.dashboard_expansion(T, &ExpansionQuery::default())
            .unwrap()
            .total,
        0
    );
    assert!(s.dashboard_segments(T).unwrap().segments.is_empty());
    assert!(s.dashboard_plugins(T).unwrap().is_empty());
    assert_eq!(s.dashboard_overview("nobody").unwrap_err().status, 404);
}

#[test]
fn plugins_list_versions_runs_and_errors() {
    let (_dir, s) = tenant();
    let panels = s.dashboard_plugins(T).unwrap();
    let names: Vec<&str> = panels.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["f", "h", "p", "s"]);
    let h = &panels[1];
    assert_eq!((h.run_count, h.runs.len(), h.versions.len()), (3, 3, 1));
    assert!(h.runs[0].id > h.runs[1].id, "newest first");
    let seg = &panels[3];
    assert_eq!(seg.errors.get("trap"), Some(&1));
}

#[test]
fn a_request_that_waited_takes_a_newer_index_than_it_asked_for() {
    let (_dir, s) = tenant();
    let (generation, completions) = (s.dashboard.generation(T), s.store.run_completions(T));
    ingest(&s, "zoe");
    a_later_health_run(&s);
    let newer = s.dashboard_index(T).unwrap();
    assert!(newer.generation > generation && newer.scores.completions > completions);
    let taken = s.dashboard.current(T, generation, completions).unwrap();
    assert!(Arc::ptr_eq(&newer, &taken));
    assert!(
        s.dashboard
            .current(T, newer.generation + 1, completions)
            .is_none(),
        "never an older one"
    );
}

/// The summary query for a horizon and a number of candidates.
fn q(days: i32, top: usize) -> crate::service::SummaryQuery {
    crate::service::SummaryQuery {
        days,
        top,
        ..Default::default()
    }
}
