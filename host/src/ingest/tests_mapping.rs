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
    let p = mapped(
        m,
        "Cust,Day,Visits,Score,Region,Secret,Plan Name\nc1,2026-01-01,5,high,EU,pw,Gold\n",
    );
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
    let p = mapped(
        m,
        "account_id,as_of,Monthly,Pct,Hours\na,2026-01-01,,,1e308\n",
    );
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
        "account_id,as_of,start_date,Tenure,Left\na,2026-01-01,2020-01-01,3,\n",
    );
    let (line, column, reason) = only_error(&p);
    assert_eq!((line, column), (1, Some("Tenure")));
    assert!(reason.contains("start_date"), "{reason}");
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
    // Every unmapped column at once, not the first per attempt; a close
    // name the mapping has (and the file lacks) is offered.
    let p = mapped(
        r#"{"columns": {"Cust": "account_id", "Tenure In Months": "metric:tenure"},
            "unmapped": "error"}"#,
        "Cust,as_of,Extra,Tenure in Months,More\na,2026-01-01,5,3,x\n",
    );
    let listed: Vec<_> = p
        .errors
        .iter()
        .map(|e| e.column.as_deref().unwrap())
        .collect();
    assert_eq!(
        listed,
        ["Extra", "Tenure in Months", "More", "Tenure In Months"],
        "{:#?}",
        p.errors
    );
    assert!(p.errors.iter().all(|e| e.line == 1 && e.whole_file));
    assert!(
        p.errors[1]
            .reason
            .contains("the mapping names \"Tenure In Months\"")
    );
    assert!(
        p.errors[3]
            .reason
            .contains("did you mean \"Tenure in Months\"?")
    );
    assert!(p.rows.is_empty());
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

#[test]
fn a_mapping_column_the_input_lacks_is_refused_with_the_closest() {
    let m = r#"{"columns": {"Cust": "account_id", "Tenure In Months": "metric:tenure"},
        "values": {"Plan": {"G": "gold"}}, "years_before_as_of": {"start_date": "Years"}}"#;
    let p = mapped(
        m,
        "Cust,as_of,Tenure in Months,plan,Yrs\na,2026-01-01,3,G,1\n",
    );
    let got: Vec<_> = p
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref().unwrap(), e.whole_file))
        .collect();
    assert_eq!(
        got,
        [
            (1, "Tenure In Months", true),
            (1, "Plan", true),
            (1, "Years", true)
        ],
        "{:#?}",
        p.errors
    );
    let reasons: Vec<&str> = p.errors.iter().map(|e| e.reason.as_str()).collect();
    assert!(reasons[0].contains("columns") && reasons[0].contains("\"Tenure in Months\""));
    assert!(reasons[1].contains("values") && reasons[1].contains("\"plan\""));
    assert!(reasons[2].contains("years_before_as_of"), "{}", reasons[2]);
    assert!(p.rows.is_empty());
    // In JSON a key may be absent from some records, not from all.
    let m = Mapping::from_json(r#"{"columns": {"id": "account_id", "Seats": "seats_purchased"}}"#)
        .unwrap();
    let input = b"{\"id\":\"a\",\"as_of\":\"2026-01-01\",\"seats\":3}\n";
    let p = parse(input, Format::Ndjson, Some(&m));
    let e = p.errors.last().unwrap();
    assert_eq!(
        (e.line, e.column.as_deref(), e.whole_file),
        (0, Some("Seats"), true)
    );
    assert!(e.reason.contains("did you mean \"seats\"?"), "{}", e.reason);
    let input = b"{\"id\":\"a\",\"as_of\":\"2026-01-01\"}\n{\"id\":\"b\",\"as_of\":\"2026-01-01\",\"Seats\":3}\n";
    assert_eq!(parse(input, Format::Ndjson, Some(&m)).errors, vec![]);
}

#[test]
fn missing_values_blank_cells_in_every_column() {
    let m = r#"{"columns": {"Seats": "seats_purchased", "Tier": "tier", "Flag": "champion_left"},
        "values": {"Flag": {"NA": "false"}}, "missing": ["?", "NA", " n/a "]}"#;
    let text = "account_id,as_of,Seats,Tier,Flag,csat\n\
                a,2026-01-01,?,NA,NA,n/a\nb,2026-01-01,N/A, n/a ,?,80\n";
    let p = mapped(m, text);
    // Letter case counts: "N/A" is not "n/a", and is not a number.
    let (line, col, reason) = only_error(&p);
    assert_eq!((line, col), (3, Some("Seats")));
    assert!(reason.contains("\"N/A\""), "{reason}");
    let a = &p.rows[0];
    let s = a.snapshot.as_ref().unwrap();
    assert_eq!((s.seats_purchased, s.csat), (None, None));
    assert_eq!(a.attributes.tier, None);
    // A column's values win over the file-wide list.
    assert_eq!(s.champion_left, Some(false));
    assert!(mapping_error(r#"{"missing": ["?", " "]}"#).contains("missing[1]"));
    assert!(mapping_error(r#"{"missing": "?"}"#).starts_with("missing: invalid type"));
    // Without the list, "n/a" is no csat.
    let plain = parse(text.as_bytes(), Format::Csv, None);
    assert_eq!(only_error(&plain).1, Some("csat"));
}

#[test]
fn values_per_target_make_one_column_a_label_and_a_number() {
    let m = r#"{"columns": {"Churn": ["outcome", "label:churn",
            {"target": "metric:churned", "values": {"Yes": "1", "No": "0"}}]},
        "values": {"Churn": {"Yes": "churned", "No": "renewed"}}}"#;
    let p = mapped(
        m,
        "account_id,as_of,Churn\na,2026-01-01,Yes\nb,2026-01-01,No\n",
    );
    assert_eq!(p.errors, vec![]);
    let a = &p.rows[0];
    assert_eq!(a.outcome.as_ref().unwrap().kind, OutcomeKind::Churned);
    assert_eq!(label(a, "churn"), Some("churned"));
    assert_eq!(metric(a, "churned"), Some(1.0));
    assert_eq!(metric(&p.rows[1], "churned"), Some(0.0));
    // A target's values apply to the cell as written, not after the column's.
    let m = r#"{"columns": {"Plan": ["label:plan-as-written",
            {"target": "metric:premium", "values": {"Gold": "1", "Basic": "0"}}]}}"#;
    let p = mapped(
        m,
        "account_id,as_of,Plan\na,2026-01-01,Gold\nb,2026-01-01,Silver\n",
    );
    assert_eq!(label(&p.rows[0], "plan-as-written"), Some("Gold"));
    assert_eq!(metric(&p.rows[0], "premium"), Some(1.0));
    let (line, col, reason) = only_error(&p);
    assert_eq!((line, col), (3, Some("Plan")));
    assert!(reason.starts_with("metric:premium: \"Silver\""), "{reason}");
    // A single target may be written as an object too; it round-trips.
    let one = r#"{"columns": {"Left": {"target": "champion_left", "values": {"Y": "true"}}}}"#;
    let parsed = Mapping::from_json(one).unwrap();
    let again = serde_json::to_string(&parsed).unwrap();
    assert_eq!(Mapping::from_json(&again).unwrap(), parsed);
    assert!(again.contains(r#""Left":{"target":"champion_left","values":{"Y":"true"}}"#));
    assert!(
        mapping_error(r#"{"columns": {"a": {"target": "ignore", "values": {"x": "1"}}}}"#)
            .contains("takes no values")
    );
    let e = mapping_error(r#"{"columns": {"a": [{"target": "arr", "value": {}}]}}"#);
    assert!(
        e.starts_with("columns.a[0].value: unknown field `value`"),
        "{e}"
    );
    let e = mapping_error(r#"{"columns": {"a": {"target": "arr", "values": {"x": 1}}}}"#);
    assert!(e.starts_with("columns.a.values.x: invalid type"), "{e}");
}

#[test]
fn years_before_as_of_computes_dates_in_whole_months() {
    let m = r#"{"years_before_as_of": {"start_date": "Years"},
        "columns": {"Years": ["metric:tenure-years"]}}"#;
    let text = "account_id,as_of,Years\na,2026-03-31,2\nb,2026-01-01,1.5\nc,2026-01-01,0.3\nd,,1\n";
    let p = mapped(m, text);
    assert_eq!(p.rows[0].attributes.start_date, Some(d("2024-03-31")));
    assert_eq!(metric(&p.rows[0], "tenure-years"), Some(2.0));
    assert_eq!(p.rows[1].attributes.start_date, Some(d("2024-07-01")));
    let errs: Vec<_> = p
        .errors
        .iter()
        .map(|e| (e.line, e.reason.as_str()))
        .collect();
    assert_eq!(errs.len(), 3, "{errs:?}");
    assert_eq!(errs[0].0, 4);
    assert!(errs[0].1.contains(
        "start_date (years_before_as_of): \"0.3\" years is not a whole number of months"
    ));
    assert!(errs[1].1.contains("needs as_of") && errs[2].1.contains("needs as_of"));
    assert!(
        mapping_error(r#"{"years_before_as_of": {"start_date": "Y"}, "months_before_as_of": {"start_date": "M"}}"#)
            .contains("sets start_date already")
    );
    assert!(
        mapping_error(r#"{"years_before_as_of": {"tier": "Y"}}"#)
            .contains("years_before_as_of.tier")
    );
}

#[test]
fn mapping_type_errors_name_the_key() {
    for (text, key) in [
        (r#"{"scale": {"arr": "12"}}"#, "scale.arr: invalid type"),
        (
            r#"{"outcome_offset_days": "30"}"#,
            "outcome_offset_days: invalid type",
        ),
        (
            r#"{"values": {"Left": {"Y": true}}}"#,
            "values.Left.Y: invalid type",
        ),
        (
            r#"{"churn_arr_change_from_arr": 1}"#,
            "churn_arr_change_from_arr: invalid type",
        ),
        (r#"{"columns": {"a": 5}}"#, "columns.a: invalid type"),
        (r#"{"colums": {}}"#, "colums: unknown field `colums`"),
        (r#"{"columns": {}} x"#, "trailing characters"),
    ] {
        let e = mapping_error(text);
        assert!(e.starts_with(key), "{text}: {e}");
    }
}
