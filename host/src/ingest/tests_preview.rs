//! Dry runs: each column's targets and first values, the counts and the
//! verdict per mode, read as a stream.

use super::*;

fn telco_file() -> std::fs::File {
    std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/telco-customer-churn.csv"
    ))
    .unwrap()
}

fn target<'p>(p: &'p IngestPreview, source: &str, target: &str) -> &'p TargetPreview {
    let c = p.columns.iter().find(|c| c.source == source).unwrap();
    c.targets.iter().find(|t| t.target == target).unwrap()
}

fn shown(t: &TargetPreview) -> Vec<(String, Option<String>)> {
    t.samples
        .iter()
        .map(|s| (s.cell.clone(), s.value.clone()))
        .collect()
}

#[test]
fn the_telco_file_previews_every_column_with_its_first_values() {
    let p = preview(telco_file(), Format::Csv, Some(&Mapping::telco()), false).unwrap();
    assert_eq!(
        (p.records, p.valid, p.rejected, p.would_load),
        (7043, 7043, 0, 7043)
    );
    assert_eq!((p.snapshots, p.outcomes), (7043, 7043));
    assert!(p.errors.is_empty() && !p.whole_file_error);
    let sources: Vec<&str> = p.columns.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(sources.len(), 21);
    assert_eq!((sources[0], sources[20]), ("customerID", "Churn"));
    let arr = target(&p, "MonthlyCharges", "arr");
    assert_eq!(arr.rule.as_deref(), Some("x12"));
    let s = |cell: &str, value: &str| (cell.to_owned(), Some(value.to_owned()));
    assert_eq!(
        shown(arr),
        [
            s("29.85", "358.2"),
            s("56.95", "683.4"),
            s("53.85", "646.2")
        ]
    );
    let start = target(&p, "tenure", "start_date");
    assert_eq!(
        shown(start),
        [
            s("1", "2025-12-01"),
            s("34", "2023-03-01"),
            s("2", "2025-11-01")
        ]
    );
    assert_eq!(
        shown(target(&p, "Partner", "metric:partner"))[0],
        s("Yes", "1")
    );
    assert_eq!(
        shown(target(&p, "Churn", "outcome"))[2],
        s("Yes", "churned")
    );
    assert_eq!(target(&p, "Churn", "outcome").samples[2].line, 4);
    let derived: Vec<(&str, &str)> = p
        .derived
        .iter()
        .map(|d| (d.target.as_str(), d.rule.as_str()))
        .collect();
    assert_eq!(derived[0], ("as_of", "constant 2026-01-01"));
    assert!(derived.contains(&("contract_arr", "copy of arr when blank")));
}

#[test]
fn counts_and_the_verdict_follow_the_mode() {
    let text = "account_id,as_of,nps,start_date,Extra\na,2026-01-01,9,,x\n\
                b,2026-01-01,11,,\nc,2026-01-01,12,2026-13-01,\nd,2026-01-01,,,?\n";
    let all = preview(text.as_bytes(), Format::Csv, None, false).unwrap();
    assert_eq!((all.records, all.valid, all.rejected), (4, 2, 2));
    assert_eq!(
        all.would_load, 0,
        "all-or-nothing: one bad record and nothing loads"
    );
    assert_eq!(all.mode, "all-or-nothing");
    // Line 4 has two bad cells: two errors, one record.
    let lines: Vec<usize> = all.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 4]);
    let some = preview(text.as_bytes(), Format::Csv, None, true).unwrap();
    assert_eq!((some.would_load, some.mode.as_str()), (2, "valid-rows"));
    // Refused cells are shown with why; an unmapped column is free-form.
    let nps = target(&all, "nps", "nps");
    assert_eq!(nps.samples[1].cell, "11");
    assert!(nps.samples[1].error.as_deref().unwrap().contains("0-10"));
    let extra = target(&all, "Extra", "metric|label:extra");
    assert_eq!(
        shown(extra),
        [
            ("x".to_owned(), Some("x".to_owned())),
            ("?".to_owned(), Some("?".to_owned()))
        ]
    );
}

#[test]
fn a_whole_file_error_loads_nothing_in_any_mode() {
    let p = preview(b"name\nx\n".as_slice(), Format::Csv, None, true).unwrap();
    assert!(p.whole_file_error);
    assert_eq!((p.records, p.would_load), (0, 0));
    assert_eq!(p.columns.len(), 1, "the header is still described");
    let mut bad = Mapping::default();
    bad.scale.insert("name".into(), 2.0);
    let p = preview(b"account_id\na\n".as_slice(), Format::Csv, Some(&bad), true).unwrap();
    assert!(p.whole_file_error && p.columns.is_empty());
    assert!(p.errors[0].reason.starts_with("mapping: scale.name"));
}

#[test]
fn samples_come_from_the_first_records_and_errors_are_bounded() {
    // Blank cells are skipped; past SAMPLE_RECORDS nothing more is taken.
    let mut text = String::from("account_id,as_of,logins\n");
    for i in 0..SAMPLE_RECORDS + 10 {
        let logins = if i == 1 || i >= SAMPLE_RECORDS {
            "7".to_owned()
        } else {
            String::new()
        };
        text.push_str(&format!("a{i},2026-01-01,{logins}\n"));
    }
    let p = preview(text.as_bytes(), Format::Csv, None, false).unwrap();
    let logins = target(&p, "logins", "logins");
    assert_eq!(logins.samples.len(), 1, "{:?}", logins.samples);
    assert_eq!(logins.samples[0].line, 3);
    // More errors than are listed are counted.
    let mut text = String::from("account_id,as_of\n");
    for i in 0..PREVIEW_ERRORS + 5 {
        text.push_str(&format!("a{i},2026-02-30\n"));
    }
    let p = preview(text.as_bytes(), Format::Csv, None, false).unwrap();
    assert_eq!((p.errors.len(), p.errors_not_listed), (PREVIEW_ERRORS, 5));
    assert_eq!(p.rejected, PREVIEW_ERRORS + 5);
}

#[test]
fn json_keys_are_previewed_in_first_seen_order() {
    let input = b"{\"account_id\":\"a\",\"as_of\":\"2026-01-01\",\"arr\":12}\n{\"account_id\":\"b\",\"seats\":\"?\"}\n";
    let m = Mapping::from_json(r#"{"missing": ["?"]}"#).unwrap();
    let p = preview(input.as_slice(), Format::Ndjson, Some(&m), false).unwrap();
    let sources: Vec<&str> = p.columns.iter().map(|c| c.source.as_str()).collect();
    assert_eq!(sources, ["account_id", "as_of", "arr", "seats"]);
    let seats = target(&p, "seats", "metric|label:seats");
    assert_eq!(shown(seats), [("?".to_owned(), None)], "read as blank");
    assert_eq!(p.would_load, 2);
}
