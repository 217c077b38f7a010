//! Canonical input in every format, free-form columns, and the real Telco file.

use super::*;
use crate::contract::{Confidence, Label, Metric};
use crate::model::{Outcome, OutcomeKind};
use vitals_plugin_sdk::date;

pub(super) fn csv(text: &str) -> Parsed {
    parse(text.as_bytes(), Format::Csv, None)
}

pub(super) fn d(text: &str) -> i32 {
    date::parse(text).unwrap()
}

/// The one error of a parse, as (line, column, reason).
pub(super) fn only_error(p: &Parsed) -> (usize, Option<&str>, &str) {
    assert_eq!(p.errors.len(), 1, "expected one error, got {:#?}", p.errors);
    let e = &p.errors[0];
    (e.line, e.column.as_deref(), e.reason.as_str())
}

pub(super) fn metric(row: &IngestRow, name: &str) -> Option<f64> {
    let s = row.snapshot.as_ref()?;
    s.metrics.iter().find(|m| m.name == name).map(|m| m.value)
}

pub(super) fn label<'a>(row: &'a IngestRow, name: &str) -> Option<&'a str> {
    let l = row.attributes.labels.iter().find(|l| l.name == name)?;
    Some(l.value.as_str())
}

const FULL_HEADER: &str = "account_id,as_of,name,owner,tier,plan,start_date,renewal_date,\
contract_arr,renewal_confidence,seats_purchased,seats_active,logins,features_used,\
features_available,tickets_open,tickets_high_severity,nps,csat,arr,champion_left,\
late_payments,outcome,outcome_date,arr_change,Webinars Attended,region";

const FULL_ROW: &str = "acme,2026-01-15,Acme Corp,alice,enterprise,pro,2024-03-01,2026-06-30,\
120000,best-case,100,80,2400,12,20,3,1,9,87.5,118000.5,yes,2,expanded,2026-02-01,\
15000,4,EMEA";

/// Checks the row FULL_HEADER/FULL_ROW describe, whatever the format.
fn assert_full_row(row: &IngestRow, line: usize) {
    assert_eq!(row.line, line);
    assert_eq!(row.account_id, "acme");
    let a = &row.attributes;
    assert_eq!(a.name.as_deref(), Some("Acme Corp"));
    assert_eq!(a.owner.as_deref(), Some("alice"));
    assert_eq!(a.tier.as_deref(), Some("enterprise"));
    assert_eq!(a.plan.as_deref(), Some("pro"));
    assert_eq!(a.start_date, Some(d("2024-03-01")));
    assert_eq!(a.renewal_date, Some(d("2026-06-30")));
    assert_eq!(a.contract_arr, Some(120_000.0));
    assert_eq!(a.renewal_confidence, Some(Confidence::BestCase));
    let region = Label {
        name: "region".into(),
        value: "EMEA".into(),
    };
    assert_eq!(a.labels, vec![region]);
    let s = row.snapshot.as_ref().expect("a snapshot");
    assert_eq!(s.as_of, d("2026-01-15"));
    assert_eq!(s.seats_purchased, Some(100));
    assert_eq!(s.seats_active, Some(80));
    assert_eq!(s.logins, Some(2400));
    assert_eq!(s.features_used, Some(12));
    assert_eq!(s.features_available, Some(20));
    assert_eq!(s.tickets_open, Some(3));
    assert_eq!(s.tickets_high_severity, Some(1));
    assert_eq!(s.nps, Some(9));
    assert_eq!(s.csat, Some(87.5));
    assert_eq!(s.arr, Some(118_000.5));
    assert_eq!(s.champion_left, Some(true));
    assert_eq!(s.late_payments, Some(2));
    let webinars = Metric {
        name: "webinars-attended".into(),
        value: 4.0,
    };
    assert_eq!(s.metrics, vec![webinars]);
    let outcome = Outcome {
        date: d("2026-02-01"),
        kind: OutcomeKind::Expanded,
        arr_change: 15_000.0,
    };
    assert_eq!(row.outcome, Some(outcome));
}

#[test]
fn csv_with_every_canonical_column() {
    let p = csv(&format!("{FULL_HEADER}\n{FULL_ROW}\n"));
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows.len(), 1);
    assert_full_row(&p.rows[0], 2);
}

#[test]
fn csv_kebab_case_header_quotes_crlf_and_bom() {
    let header = FULL_HEADER
        .replace('_', "-")
        .to_uppercase()
        .replace("WEBINARS", "Webinars");
    let row = FULL_ROW.replace("Acme Corp", "\"Acme Corp\"");
    let text = format!("\u{feff}{header}\r\n{row}\r\n");
    let p = csv(&text);
    assert_eq!(p.errors, vec![]);
    assert_full_row(&p.rows[0], 2);
    // "REGION" kebab-cases to "region" whatever its case.
    assert_eq!(label(&p.rows[0], "region"), Some("EMEA"));
}

#[test]
fn csv_line_numbers_are_physical_lines() {
    let text = "\r\naccount_id,name\r\na,x\r\n\r\nb,\"two\r\nlines\"\r\nc,y,z\n\n\nd,w";
    let p = csv(text);
    let rows: Vec<(usize, &str)> = p
        .rows
        .iter()
        .map(|r| (r.line, r.account_id.as_str()))
        .collect();
    assert_eq!(rows, [(3, "a"), (5, "b"), (10, "d")]);
    assert_eq!(p.rows[1].attributes.name.as_deref(), Some("two\r\nlines"));
    assert_eq!(only_error(&p).0, 7);
}

fn full_object() -> serde_json::Value {
    serde_json::json!({
        "account_id": "acme", "as-of": "2026-01-15", "name": "Acme Corp", "owner": "alice",
        "tier": "enterprise", "plan": "pro", "start_date": "2024-03-01",
        "renewal_date": "2026-06-30", "contract_arr": 120000, "renewal_confidence": "best-case",
        "seats_purchased": 100, "seats_active": 80, "logins": 2400.0, "features_used": "12",
        "features_available": 20, "tickets_open": 3, "tickets_high_severity": 1, "nps": 9,
        "csat": 87.5, "arr": 118000.5, "champion_left": true, "late_payments": 2,
        "outcome": "expanded", "outcome_date": "2026-02-01", "arr_change": 15000,
        "Webinars Attended": 4, "region": "EMEA", "note": null
    })
}

#[test]
fn ndjson_with_every_canonical_column() {
    let line = full_object().to_string();
    let text = format!("{line}\n\n   \n{line}\r\n");
    let p = parse(text.as_bytes(), Format::Ndjson, None);
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows.len(), 2);
    assert_full_row(&p.rows[0], 1);
    assert_full_row(&p.rows[1], 4);
}

#[test]
fn json_array_and_records_object() {
    let array = serde_json::Value::Array(vec![full_object(), full_object()]);
    let p = parse(array.to_string().as_bytes(), Format::Json, None);
    assert_eq!(p.errors, vec![]);
    assert_full_row(&p.rows[0], 1);
    assert_full_row(&p.rows[1], 2);
    let wrapped = serde_json::json!({"source": "crm", "records": [full_object()]});
    let p = parse(wrapped.to_string().as_bytes(), Format::Json, None);
    assert_eq!(p.errors, vec![]);
    assert_full_row(&p.rows[0], 1);
    let p = parse(b"[]", Format::Json, None);
    assert_eq!(p, Parsed::default());
}

#[test]
fn blank_cells_are_absent_not_errors() {
    let text = "account_id,as_of,name,nps,csat,arr,champion_left,outcome,extra\n\
                a1,2026-01-01,,  ,,,,,\n";
    let p = csv(text);
    assert_eq!(p.errors, vec![]);
    let row = &p.rows[0];
    assert_eq!(row.attributes.name, None);
    assert!(row.attributes.labels.is_empty());
    let s = row.snapshot.as_ref().unwrap();
    assert_eq!(
        (s.nps, s.csat, s.arr, s.champion_left),
        (None, None, None, None)
    );
    assert!(s.metrics.is_empty());
    assert_eq!(row.outcome, None);
    let p = parse(
        br#"{"account_id":"a1","as_of":"2026-01-01","nps":null,"arr":""}"#,
        Format::Ndjson,
        None,
    );
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows[0].snapshot.as_ref().unwrap().nps, None);
}

#[test]
fn rows_without_as_of_carry_attributes_and_outcomes_only() {
    let text = "account_id,as_of,owner,employees,outcome,outcome_date\n\
                a1,,bob,250,,\n\
                a2,,,,churned,2026-03-01\n\
                a3,2026-01-01,,250,renewed,\n";
    let p = csv(text);
    assert_eq!(p.errors, vec![]);
    let [a1, a2, a3] = &p.rows[..] else {
        panic!("three rows")
    };
    assert_eq!(a1.snapshot, None);
    assert_eq!(a1.attributes.owner.as_deref(), Some("bob"));
    // No snapshot to hold a metric: the number is kept as a label.
    assert_eq!(label(a1, "employees"), Some("250"));
    let churned = Outcome {
        date: d("2026-03-01"),
        kind: OutcomeKind::Churned,
        arr_change: 0.0,
    };
    assert_eq!(a2.outcome, Some(churned));
    assert_eq!(metric(a3, "employees"), Some(250.0));
    // outcome_date defaults to as_of.
    assert_eq!(a3.outcome.as_ref().unwrap().date, d("2026-01-01"));
}

#[test]
fn free_form_numbers_are_metrics_and_text_labels_per_cell() {
    let text = "account_id,as_of,Health_Score,Industry,Mixed\n\
                a1,2026-01-01,-1.5e2,Retail,7\n\
                a2,2026-01-01, 42 ,\"Food, drink\",seven\n";
    let p = csv(text);
    assert_eq!(p.errors, vec![]);
    assert_eq!(metric(&p.rows[0], "health-score"), Some(-150.0));
    assert_eq!(label(&p.rows[0], "industry"), Some("Retail"));
    assert_eq!(metric(&p.rows[0], "mixed"), Some(7.0));
    assert_eq!(metric(&p.rows[1], "health-score"), Some(42.0));
    assert_eq!(label(&p.rows[1], "industry"), Some("Food, drink"));
    assert_eq!(label(&p.rows[1], "mixed"), Some("seven"));
}

#[test]
fn formats_by_path_and_name() {
    use std::path::Path;
    assert_eq!(Format::from_path(Path::new("a/b.CSV")), Some(Format::Csv));
    assert_eq!(
        Format::from_path(Path::new("x.jsonl")),
        Some(Format::Ndjson)
    );
    assert_eq!(
        Format::from_path(Path::new("x.ndjson")),
        Some(Format::Ndjson)
    );
    assert_eq!(Format::from_path(Path::new("x.json")), Some(Format::Json));
    assert_eq!(Format::from_path(Path::new("x.txt")), None);
    assert_eq!(Format::from_path(Path::new("noext")), None);
    assert_eq!(Format::parse_name(" NDJSON "), Some(Format::Ndjson));
    assert_eq!(Format::parse_name("xml"), None);
    for f in [Format::Csv, Format::Ndjson, Format::Json] {
        assert_eq!(Format::parse_name(f.as_str()), Some(f));
    }
}

fn telco() -> Parsed {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/telco-customer-churn.csv"
    );
    let bytes = std::fs::read(path).expect("examples/data/telco-customer-churn.csv");
    parse(&bytes, Format::Csv, Some(&Mapping::telco()))
}

#[test]
fn telco_file_loads_whole() {
    let p = telco();
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows.len(), 7043);
    let kinds = |k| {
        p.rows
            .iter()
            .filter(|r| r.outcome.as_ref().map(|o| o.kind) == Some(k))
            .count()
    };
    assert_eq!(kinds(OutcomeKind::Churned), 1869);
    assert_eq!(kinds(OutcomeKind::Renewed), 5174);
    let as_of = d("2026-01-01");
    for r in &p.rows {
        let s = r.snapshot.as_ref().unwrap();
        assert_eq!(s.as_of, as_of);
        let o = r.outcome.as_ref().unwrap();
        assert_eq!(o.date, d("2026-01-31"));
        match o.kind {
            OutcomeKind::Churned => assert_eq!(o.arr_change, -s.arr.unwrap()),
            _ => assert_eq!(o.arr_change, 0.0),
        }
        assert_eq!(r.attributes.contract_arr, s.arr);
        assert_eq!(
            s.metrics.len() + usize::from(metric(r, "total-charges").is_none()),
            15
        );
    }
    let blank: Vec<&IngestRow> = p
        .rows
        .iter()
        .filter(|r| metric(r, "total-charges").is_none())
        .collect();
    assert_eq!(blank.len(), 11);
    // They are the brand-new customers (tenure 0): start_date is as_of.
    for r in blank {
        assert_eq!(metric(r, "tenure-months"), Some(0.0));
        assert_eq!(r.attributes.start_date, Some(as_of));
    }
}

#[test]
fn telco_spot_check_7590_vhveg() {
    let p = telco();
    let r = p
        .rows
        .iter()
        .find(|r| r.account_id == "7590-VHVEG")
        .unwrap();
    assert_eq!(r.line, 2);
    let a = &r.attributes;
    assert_eq!(a.start_date, Some(d("2025-12-01")));
    assert_eq!(a.plan.as_deref(), Some("Month-to-month"));
    assert_eq!(label(r, "contract"), Some("Month-to-month"));
    assert_eq!(label(r, "gender"), Some("Female"));
    assert_eq!(label(r, "internet-service"), Some("DSL"));
    assert_eq!(label(r, "payment-method"), Some("Electronic check"));
    let arr = r.snapshot.as_ref().unwrap().arr.unwrap();
    assert!((arr - 358.2).abs() < 1e-9, "{arr}");
    assert_eq!(a.contract_arr, Some(arr));
    assert_eq!(metric(r, "monthly-charges"), Some(29.85));
    assert_eq!(metric(r, "total-charges"), Some(29.85));
    assert_eq!(metric(r, "tenure-months"), Some(1.0));
    assert_eq!(metric(r, "senior-citizen"), Some(0.0));
    assert_eq!(metric(r, "partner"), Some(1.0));
    assert_eq!(metric(r, "dependents"), Some(0.0));
    assert_eq!(metric(r, "phone-service"), Some(0.0));
    assert_eq!(metric(r, "multiple-lines"), Some(0.0)); // "No phone service"
    assert_eq!(metric(r, "online-backup"), Some(1.0));
    assert_eq!(metric(r, "paperless-billing"), Some(1.0));
    let o = r.outcome.as_ref().unwrap();
    assert_eq!(
        (o.kind, o.arr_change, o.date),
        (OutcomeKind::Renewed, 0.0, d("2026-01-31"))
    );
    // A churned customer: 3668-QPYBK, 2 months at 53.85 a month.
    let r = p
        .rows
        .iter()
        .find(|r| r.account_id == "3668-QPYBK")
        .unwrap();
    let o = r.outcome.as_ref().unwrap();
    assert_eq!(o.kind, OutcomeKind::Churned);
    assert!((o.arr_change + 53.85 * 12.0).abs() < 1e-9);
    assert_eq!(r.attributes.start_date, Some(d("2025-11-01")));
}

#[test]
fn telco_builtin_matches_example_file() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/mappings/telco.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(Mapping::from_json(&text).unwrap(), Mapping::telco());
}

#[test]
fn hundred_thousand_rows_parse() {
    let mut text = String::from("account_id,as_of,logins,arr,nps,segment,score\n");
    for i in 0..100_000 {
        text.push_str(&format!(
            "acct-{i},2026-01-01,{},{}.5,{},smb,{}\n",
            i % 500,
            i,
            i % 11,
            i % 7
        ));
    }
    let p = csv(&text);
    assert_eq!(p.errors, vec![]);
    assert_eq!(p.rows.len(), 100_000);
    assert_eq!(p.rows[99_999].line, 100_001);
    assert_eq!(metric(&p.rows[99_999], "score"), Some((99_999 % 7) as f64));
}
