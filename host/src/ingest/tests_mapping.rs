//! Each mapping feature on its own, and mapping validation.

use super::tests::{d, label, metric, only_error};
use super::*;
use crate::model::OutcomeKind;

fn mapped(mapping: &str, text: &str) -> Parsed {
    let m = Mapping::from_json(mapping).unwrap();
    parse(text.as_bytes(), Format::Csv, Some(&m))
}

fn mapping_error(mapping: &str) -> String {
    Mapping::from_json(mapping).expect_err(mapping)
}

#[test]
fn columns_to_canonical_metric_label_ignore_and_lists() {
    let m = r#"{"columns": {
        "Cust": "account_id", "Day": "as-of", "Visits": "logins",
        "Score": "metric:health-input", "Region": "label:region",
        "Secret": "ignore", "Plan Name": ["plan", "label:plan-name"]
    }}"#;
    let p = mapped(
        m,
        "Cust,Day,Visits,Score,Region,Secret,Plan Name\nc1,2026-01-01,5,7.5,EU,pw,Gold\n",
    );
    assert_eq!(p.errors, vec![]);
    let r = &p.rows[0];
    assert_eq!(r.account_id, "c1");
    assert_eq!(r.snapshot.as_ref().unwrap().logins, Some(5));
    assert_eq!(metric(r, "health-input"), Some(7.5));
    assert_eq!(label(r, "region"), Some("EU"));
    assert_eq!(label(r, "secret"), None);
    assert_eq!(r.attributes.plan.as_deref(), Some("Gold"));
    assert_eq!(label(r, "plan-name"), Some("Gold"));
    assert_eq!(r.attributes.labels.len(), 2);
    // A metric target refuses text, unlike a free-form column.
    let p = mapped(m, "Cust,Day,Score\nc1,2026-01-01,high\n");
    assert_eq!(only_error(&p).1, Some("Score"));
}

#[test]
fn values_replace_raw_text_before_conversion() {
    let m = r#"{"columns": {"id": "account_id", "Left": "champion_left", "Tier": "tier"},
        "values": {"Left": {"Y": "true", "N": "false", "?": ""}, "Tier": {"E": "enterprise"}}}"#;
    let p = mapped(
        m,
        "id,as_of,Left,Tier\na,2026-01-01, Y ,E\nb,2026-01-01,?,SMB\nc,2026-01-01,Z,\n",
    );
    let left: Vec<_> = p
        .rows
        .iter()
        .map(|r| r.snapshot.as_ref().unwrap().champion_left)
        .collect();
    assert_eq!(left, [Some(true), None]);
    assert_eq!(p.rows[0].attributes.tier.as_deref(), Some("enterprise"));
    assert_eq!(p.rows[1].attributes.tier.as_deref(), Some("SMB")); // unlisted: as given
    assert_eq!(only_error(&p).0, 4); // "Z" is not mapped and not a boolean
}

#[test]
fn scale_converts_units() {
    let m = r#"{"columns": {"Monthly": ["arr", "metric:monthly"], "Pct": "metric:usage",
            "Hours": "logins"},
        "scale": {"arr": 12, "metric:usage": 0.01, "logins": 2, "metric:free": 1000}}"#;
    let p = mapped(
        m,
        "account_id,as_of,Monthly,Pct,Hours,free\na,2026-01-01,10.5,85,4,0.25\n",
    );
    assert_eq!(p.errors, vec![]);
    let r = &p.rows[0];
    let s = r.snapshot.as_ref().unwrap();
    assert_eq!(s.arr, Some(126.0));
    assert_eq!(metric(r, "monthly"), Some(10.5));
    assert!((metric(r, "usage").unwrap() - 0.85).abs() < 1e-12);
    assert_eq!(s.logins, Some(8));
    assert_eq!(metric(r, "free"), Some(250.0)); // free-form metric scaled by name
    let p = mapped(m, "account_id,as_of,Hours\na,2026-01-01,1e308\n");
    assert!(only_error(&p).2.contains("too large"), "{:?}", p.errors);
}

#[test]
fn constants_fill_every_row_and_conflict_with_columns() {
    let m = r#"{"constants": {"as_of": "2026-01-01", "tier": "smb", "label:source": "crm",
        "metric:weight": 2, "seats_purchased": 10}}"#;
    let p = mapped(m, "account_id,logins\na,3\nb,\n");
    assert_eq!(p.errors, vec![]);
    for r in &p.rows {
        let s = r.snapshot.as_ref().unwrap();
        assert_eq!((s.as_of, s.seats_purchased), (d("2026-01-01"), Some(10)));
        assert_eq!(r.attributes.tier.as_deref(), Some("smb"));
        assert_eq!(label(r, "source"), Some("crm"));
        assert_eq!(metric(r, "weight"), Some(2.0));
    }
    let p = mapped(m, "account_id,as_of\na,2026-02-01\n");
    let (line, col, reason) = only_error(&p);
    assert_eq!((line, col), (1, Some("as_of")));
    assert!(reason.contains("constant"), "{reason}");
    let p = parse(
        br#"{"account_id":"a","tier":"x"}"#,
        Format::Ndjson,
        Some(&Mapping::from_json(m).unwrap()),
    );
    assert_eq!(only_error(&p).1, Some("tier"));
    assert!(mapping_error(r#"{"constants": {"as_of": "2026-02-30"}}"#).contains("constants.as_of"));
    assert!(mapping_error(r#"{"constants": {"nps": [1]}}"#).contains("constants.nps"));
}

#[test]
fn months_before_as_of_computes_dates() {
    let m = r#"{"months_before_as_of": {"start_date": "Tenure", "renewal_date": "Left"},
        "columns": {"Tenure": ["metric:tenure-months"]}}"#;
    let text = "account_id,as_of,Tenure,Left\na,2026-03-31,13,-2\nb,2026-01-01,,\nc,2026-01-01,1.5,\nd,,3,\n";
    let p = mapped(m, text);
    let a = &p.rows[0];
    assert_eq!(a.attributes.start_date, Some(d("2025-02-28"))); // day clamped
    assert_eq!(a.attributes.renewal_date, Some(d("2026-05-31")));
    assert_eq!(metric(a, "tenure-months"), Some(13.0));
    assert_eq!(metric(a, "left"), None); // consumed by months_before_as_of
    assert_eq!(p.rows[1].attributes.start_date, None);
    let errs: Vec<_> = p
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref().unwrap()))
        .collect();
    assert_eq!(
        errs,
        [(4, "Tenure"), (5, "Tenure"), (5, "Tenure")],
        "{:?}",
        p.errors
    );
    assert!(p.errors[0].reason.contains("whole number of months"));
    assert!(mapping_error(r#"{"months_before_as_of": {"arr": "x"}}"#).contains("start_date"));
    // A date column and a month count cannot both set start_date.
    let p = mapped(
        m,
        "account_id,as_of,start_date,Tenure\na,2026-01-01,2020-01-01,3\n",
    );
    assert_eq!(only_error(&p).0, 1);
}

#[test]
fn copy_fills_blank_columns_after_conversion() {
    let m = r#"{"columns": {"Monthly": "arr"}, "scale": {"arr": 12},
        "copy": {"contract_arr": "arr", "name": "account_id", "csat": "nps"}}"#;
    let text = "account_id,as_of,Monthly,contract_arr,nps\na,2026-01-01,10,,\nb,2026-01-01,10,99,7\nc,,,,\n";
    let p = mapped(m, text);
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows[0].attributes.contract_arr, Some(120.0));
    assert_eq!(p.rows[0].attributes.name.as_deref(), Some("a"));
    assert_eq!(p.rows[1].attributes.contract_arr, Some(99.0)); // given: kept
    assert_eq!(p.rows[1].snapshot.as_ref().unwrap().csat, Some(7.0));
    assert_eq!(p.rows[2].attributes.contract_arr, None);
    assert!(mapping_error(r#"{"copy": {"arr": "name"}}"#).contains("different kind"));
    assert!(mapping_error(r#"{"copy": {"as_of": "start_date"}}"#).contains("cannot be copied"));
    assert!(mapping_error(r#"{"copy": {"arr": "csat", "csat": "nps"}}"#).contains("chains"));
}

#[test]
fn churn_flag_becomes_an_outcome() {
    let m = r#"{"columns": {"Churn": "outcome", "Monthly": "arr"},
        "values": {"Churn": {"Yes": "churned", "No": "renewed"}}, "scale": {"arr": 12},
        "constants": {"as_of": "2026-01-01"}, "outcome_offset_days": 30,
        "churn_arr_change_from_arr": true}"#;
    let text = "account_id,Monthly,contract_arr,Churn,arr_change,outcome_date\n\
                a,10,,Yes,,\nb,10,,No,,\nc,,50,Yes,,\nd,10,,Yes,-7,2026-06-01\ne,,,Yes,,\nf,10,,,,\n";
    let p = mapped(m, text);
    assert_eq!(p.errors, vec![]);
    let o: Vec<_> = p
        .rows
        .iter()
        .map(|r| r.outcome.as_ref().map(|o| (o.kind, o.date, o.arr_change)))
        .collect();
    let (jan31, jun1) = (d("2026-01-31"), d("2026-06-01"));
    assert_eq!(
        o,
        [
            Some((OutcomeKind::Churned, jan31, -120.0)),
            Some((OutcomeKind::Renewed, jan31, 0.0)),
            Some((OutcomeKind::Churned, jan31, -50.0)), // contract_arr when no arr
            Some((OutcomeKind::Churned, jun1, -7.0)),   // given values win
            Some((OutcomeKind::Churned, jan31, 0.0)),   // nothing to take it from
            None,
        ]
    );
    let plain = parse(text.as_bytes(), Format::Csv, None);
    assert!(!plain.errors.is_empty()); // Yes/No are not outcomes without the mapping
}

#[test]
fn unmapped_columns_policy() {
    let text = "Cust,as_of,Extra\na,2026-01-01,5\n";
    let p = mapped(
        r#"{"columns": {"Cust": "account_id"}, "unmapped": "ignore"}"#,
        text,
    );
    assert_eq!(p.errors, vec![]);
    assert!(p.rows[0].snapshot.as_ref().unwrap().metrics.is_empty());
    let p = mapped(
        r#"{"columns": {"Cust": "account_id"}, "unmapped": "error"}"#,
        text,
    );
    let (line, col, reason) = only_error(&p);
    assert_eq!((line, col), (1, Some("Extra")));
    assert!(reason.contains("not in the mapping"));
    let p = mapped(r#"{"columns": {"Cust": "account_id"}}"#, text);
    assert_eq!(metric(&p.rows[0], "extra"), Some(5.0));
}

#[test]
fn mappings_apply_to_json_keys() {
    let m = Mapping::from_json(
        r#"{"columns": {"id": "account_id", "day": "as_of", "m": "arr"},
        "scale": {"arr": 12}, "values": {"m": {"none": ""}}}"#,
    )
    .unwrap();
    let input = b"{\"id\":\"a\",\"day\":\"2026-01-01\",\"m\":2.5}\n{\"id\":\"b\",\"day\":\"2026-01-01\",\"m\":\"none\"}\n";
    let p = parse(input, Format::Ndjson, Some(&m));
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows[0].snapshot.as_ref().unwrap().arr, Some(30.0));
    assert_eq!(p.rows[1].snapshot.as_ref().unwrap().arr, None);
}

#[test]
fn invalid_mappings_are_refused_with_the_key() {
    assert!(mapping_error(r#"{"column": {}}"#).contains("unknown field"));
    assert!(mapping_error(r#"{"columns": {"a": "arrr"}}"#).contains("columns.a"));
    assert!(mapping_error(r#"{"columns": {"a": ["ignore", "arr"]}}"#).contains("ignore"));
    assert!(mapping_error(r#"{"columns": {"a": []}}"#).contains("columns.a"));
    assert!(mapping_error(r#"{"columns": {"a": "metric:"}}"#).contains("no name"));
    assert!(mapping_error(r#"{"columns": {"a": 5}}"#).contains("target"));
    assert!(mapping_error(r#"{"scale": {"name": 2}}"#).contains("scale.name"));
    assert!(mapping_error(r#"{"unmapped": "drop"}"#).contains("unknown variant"));
    assert!(mapping_error(r#"{"outcome_offset_days": 99999}"#).contains("outcome_offset_days"));
    // A mapping that never went through from_json is checked by parse.
    let mut m = Mapping::default();
    m.copy.insert("arr".into(), "nope".into());
    let p = parse(b"account_id\na\n", Format::Csv, Some(&m));
    let (line, _, reason) = only_error(&p);
    assert_eq!(line, 0);
    assert!(reason.starts_with("mapping: copy"), "{reason}");
}

#[test]
fn mappings_round_trip_through_json() {
    let telco = Mapping::telco();
    let text = serde_json::to_string(&telco).unwrap();
    assert_eq!(Mapping::from_json(&text).unwrap(), telco);
    assert_eq!(
        telco.columns["Contract"],
        Targets(vec!["label:contract".into(), "plan".into()])
    );
    assert_eq!(telco.unmapped, Unmapped::Error);
}
