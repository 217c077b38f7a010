//! Messages that point at the fix: the cell as written and the target that
//! refused it, the likely account id column, whole-file errors marked.

use super::tests::{csv, only_error};
use super::*;

fn mapped(mapping: &str, text: &str) -> Parsed {
    let m = Mapping::from_json(mapping).unwrap();
    parse(text.as_bytes(), Format::Csv, Some(&m))
}

#[test]
fn a_scaled_cell_is_quoted_as_written_and_the_target_named() {
    let m = r#"{"columns": {"Monthly": ["arr", "metric:monthly"], "Pct": "csat"},
        "scale": {"arr": 12, "csat": 100}}"#;
    let p = mapped(
        m,
        "account_id,as_of,Monthly,Pct\na,2026-01-01,-4,\nb,2026-01-01,,1.5\n",
    );
    let reasons: Vec<(usize, &str, &str)> = p
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref().unwrap(), e.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (2, "Monthly", "arr: \"-4\" (x12 = -48) must not be negative"),
            (
                3,
                "Pct",
                "csat: \"1.5\" (x100 = 150) is out of range (csat is 0-100)"
            ),
        ]
    );
    // Without a mapping the column is the target: no repetition, no scale.
    let p = csv("account_id,as_of,arr\na,2026-01-01,-4\n");
    assert_eq!(only_error(&p).2, "\"-4\" must not be negative");
    // A count scaled out of range names both.
    let m = r#"{"columns": {"Hours": "logins"}, "scale": {"logins": 2}}"#;
    let p = mapped(m, "account_id,as_of,Hours\na,2026-01-01,-1.5\n");
    assert_eq!(
        only_error(&p).2,
        "logins: \"-1.5\" (x2 = -3) must not be negative"
    );
}

#[test]
fn no_account_id_offers_the_likely_column() {
    let telco = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/data/telco-customer-churn.csv"
    ))
    .unwrap();
    let p = csv(&telco);
    let (line, column, reason) = only_error(&p);
    assert_eq!((line, column), (1, None));
    assert!(
        reason.starts_with(
            "no account_id column (after mapping); \"customerID\" looks like the account id"
        ),
        "{reason}"
    );
    assert!(
        reason.contains(r#"{"customerID": "account_id"}"#),
        "{reason}"
    );
    assert!(p.errors[0].whole_file);
    let bank = "RowNumber,CustomerId,Surname,Tenure,Exited\n1,15634602,Hargrave,2,1\n";
    assert!(
        only_error(&csv(bank))
            .2
            .contains("\"CustomerId\" looks like")
    );
    // Nothing id-like: say what to do without guessing.
    let p = csv("RowNumber,Surname\n1,Hargrave\n");
    let reason = only_error(&p).2;
    assert!(!reason.contains("looks like"), "{reason}");
    assert!(reason.contains("YOUR COLUMN"), "{reason}");
    // A column the mapping already sends elsewhere is not offered.
    let p = mapped(
        r#"{"columns": {"Customer ID": "label:crm-id"}}"#,
        "Customer ID,id\nx,1\n",
    );
    assert!(
        only_error(&p).2.contains("\"id\" looks like"),
        "{:?}",
        p.errors
    );
}

#[test]
fn whole_file_errors_are_marked_and_record_errors_are_not() {
    let whole = |p: &Parsed| p.errors.iter().map(|e| e.whole_file).collect::<Vec<_>>();
    assert_eq!(whole(&csv("")), [true]);
    assert_eq!(whole(&csv("account_id,x,x\na,1,2\n")), [true]);
    assert_eq!(whole(&csv("account_id,as_of\na,2026-02-30\n")), [false]);
    assert_eq!(whole(&csv("account_id,as_of\na,2026-01-01,x\n")), [false]);
    let broken_json = parse(b"[{\"account_id\": \"a\"", Format::Json, None);
    assert_eq!(whole(&broken_json), [true]);
    let mut m = Mapping::default();
    m.copy.insert("arr".into(), "nope".into());
    assert_eq!(
        whole(&parse(b"account_id\na\n", Format::Csv, Some(&m))),
        [true]
    );
}

#[test]
fn built_in_mappings_are_found_by_a_near_name() {
    assert!(Mapping::built_in("telco").is_some());
    assert!(Mapping::built_in("telcoo").is_none());
    assert_eq!(Mapping::closest_built_in("telcoo"), Some("telco"));
    assert_eq!(Mapping::closest_built_in("Telco"), Some("telco"));
    assert_eq!(Mapping::closest_built_in("my-columns.json"), None);
}
