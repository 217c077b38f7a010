//! Bad input of every kind: each bad record gets its own error naming the
//! line and column, and the good records around it still parse.

use super::tests::{csv, only_error};
use super::*;

/// Parses `header` with a good row, the bad row, and another good row, and
/// returns the bad row's errors as (line, column, reason).
fn bad_cell(header: &str, bad: &str) -> Vec<(usize, Option<String>, String)> {
    let cols = header.split(',').count();
    let good = |id: &str| {
        let mut cells = vec![id.to_owned(), "2026-01-01".to_owned()];
        cells.resize(cols, String::new());
        cells.join(",")
    };
    let text = format!("{header}\n{}\n{bad}\n{}\n", good("g1"), good("g2"));
    let p = csv(&text);
    let ids: Vec<&str> = p.rows.iter().map(|r| r.account_id.as_str()).collect();
    assert_eq!(
        ids,
        ["g1", "g2"],
        "good rows around {bad:?}: {:?}",
        p.errors
    );
    assert!(p.errors.iter().all(|e| e.line == 3), "{:?}", p.errors);
    p.errors
        .into_iter()
        .map(|e| (e.line, e.column, e.reason))
        .collect()
}

fn assert_bad(header: &str, bad: &str, column: &str, reason_has: &str) {
    let errors = bad_cell(header, bad);
    assert_eq!(errors.len(), 1, "{bad:?}: {errors:?}");
    let (line, col, reason) = &errors[0];
    assert_eq!(
        (*line, col.as_deref()),
        (3, Some(column)),
        "{bad:?}: {reason}"
    );
    assert!(
        reason.contains(reason_has),
        "{bad:?}: {reason:?} lacks {reason_has:?}"
    );
}

#[test]
fn non_finite_numbers_are_refused() {
    let h = "account_id,as_of,arr,csat,arr_change,outcome,custom";
    for v in ["NaN", "nan", "inf", "-inf", "Infinity", "1e999"] {
        assert_bad(h, &format!("b,2026-01-01,{v},,,,"), "arr", "finite");
        assert_bad(h, &format!("b,2026-01-01,,{v},,,"), "csat", "finite");
        assert_bad(
            h,
            &format!("b,2026-01-01,,,{v},churned,"),
            "arr_change",
            "finite",
        );
        assert_bad(h, &format!("b,2026-01-01,,,,,{v}"), "custom", "finite");
    }
    assert_bad(h, "b,2026-01-01,12k,,,,", "arr", "not a number");
}

#[test]
fn counts_must_be_whole_non_negative_and_fit_u32() {
    let h = "account_id,as_of,logins,seats_active,late_payments";
    assert_bad(h, "b,2026-01-01,-1,,", "logins", "negative");
    assert_bad(h, "b,2026-01-01,,2.5,", "seats_active", "whole number");
    assert_bad(h, "b,2026-01-01,,,4294967296", "late_payments", "too large");
    assert_bad(h, "b,2026-01-01,many,,", "logins", "not a number");
    let p = csv(&format!("{h}\nb,2026-01-01,4294967295,3.0,1e2\n"));
    let s = p.rows[0].snapshot.as_ref().unwrap();
    assert_eq!(
        (s.logins, s.seats_active, s.late_payments),
        (Some(u32::MAX), Some(3), Some(100))
    );
}

#[test]
fn ranges_of_nps_csat_and_arr() {
    let h = "account_id,as_of,nps,csat,arr,contract_arr";
    assert_bad(h, "b,2026-01-01,11,,,", "nps", "0-10");
    assert_bad(h, "b,2026-01-01,7.5,,,", "nps", "whole number");
    assert_bad(h, "b,2026-01-01,-1,,,", "nps", "negative");
    assert_bad(h, "b,2026-01-01,,100.5,,", "csat", "0-100");
    assert_bad(h, "b,2026-01-01,,-0.1,,", "csat", "0-100");
    assert_bad(h, "b,2026-01-01,,,-5,", "arr", "negative");
    assert_bad(h, "b,2026-01-01,,,,-5", "contract_arr", "negative");
}

#[test]
fn dates_must_exist() {
    let h = "account_id,as_of,renewal_date";
    assert_bad(h, "b,2026-02-30,", "as_of", "not a valid YYYY-MM-DD date");
    assert_bad(h, "b,2026-01-01,2025-13-01", "renewal_date", "2025-13-01");
    assert_bad(h, "b,2026-01-01,01/02/2026", "renewal_date", "YYYY-MM-DD");
    // A bad as_of is reported once, not again for every snapshot measure.
    let errors = bad_cell("account_id,as_of,logins,score", "b,2026-1-1,5,7");
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn other_field_rules() {
    let h = "account_id,as_of,champion_left,renewal_confidence,outcome";
    assert_bad(h, "b,2026-01-01,maybe,,", "champion_left", "true/false");
    assert_bad(
        h,
        "b,2026-01-01,,likely,",
        "renewal_confidence",
        "best-case",
    );
    assert_bad(h, "b,2026-01-01,,,lost", "outcome", "churned");
    let p = csv(&format!("{h}\nb,2026-01-01,NO,Best_Case,Churned\n"));
    assert_eq!(p.errors, vec![]);
    assert_eq!(
        p.rows[0].snapshot.as_ref().unwrap().champion_left,
        Some(false)
    );
}

#[test]
fn account_id_required_and_bounded() {
    let h = "account_id,as_of,name";
    assert_bad(h, " ,2026-01-01,x", "account_id", "required");
    let long = "x".repeat(257);
    assert_bad(
        h,
        &format!("{long},2026-01-01,x"),
        "account_id",
        "at most 256",
    );
    let p = csv(&format!("{h}\n{},2026-01-01,x\n", "y".repeat(256)));
    assert_eq!(p.errors, vec![]);
}

#[test]
fn fields_longer_than_4096_bytes() {
    let long = "n".repeat(4097);
    assert_bad(
        "account_id,as_of,name",
        &format!("b,2026-01-01,{long}"),
        "name",
        "4097 bytes",
    );
    let ok = "n".repeat(4096);
    assert_eq!(csv(&format!("account_id,name\nb,{ok}\n")).errors, vec![]);
}

#[test]
fn outcome_rules() {
    let h = "account_id,as_of,outcome,outcome_date,arr_change";
    assert_bad(h, "b,,churned,,", "outcome", "needs outcome_date or as_of");
    assert_bad(
        h,
        "b,2026-01-01,,2026-02-01,",
        "outcome_date",
        "without an outcome",
    );
    assert_bad(h, "b,2026-01-01,,,-100", "arr_change", "without an outcome");
}

#[test]
fn snapshot_measures_need_as_of() {
    let h = "account_id,as_of,logins";
    assert_bad(h, "b,,12", "logins", "needs as_of");
}

#[test]
fn several_bad_cells_in_one_row_each_reported() {
    let errors = bad_cell("account_id,as_of,nps,csat,logins", "b,2026-01-01,12,200,-3");
    let cols: Vec<_> = errors.iter().map(|e| e.1.clone().unwrap()).collect();
    assert_eq!(cols, ["nps", "csat", "logins"]);
}

#[test]
fn invalid_utf8_in_a_cell_names_line_and_column() {
    let mut input = b"account_id,as_of,name\ng1,2026-01-01,ok\nb,2026-01-01,caf".to_vec();
    input.extend_from_slice(&[0xC3, 0x28]);
    input.extend_from_slice(b"\ng2,2026-01-01,fine\n");
    let p = parse(&input, Format::Csv, None);
    let (line, col, reason) = only_error(&p);
    assert_eq!((line, col), (3, Some("name")));
    assert!(reason.contains("UTF-8"), "{reason}");
    assert_eq!(p.rows.len(), 2);
}

#[test]
fn wrong_field_count_names_the_line() {
    let p = csv("account_id,as_of\ng1,2026-01-01\nb,2026-01-01,extra\nb2\ng2,2026-01-02\n");
    assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
    assert_eq!(p.errors[0].line, 3);
    assert!(
        p.errors[0].reason.contains("3 fields but the header has 2"),
        "{}",
        p.errors[0]
    );
    assert_eq!(p.errors[1].line, 4);
    let ids: Vec<&str> = p.rows.iter().map(|r| r.account_id.as_str()).collect();
    assert_eq!(ids, ["g1", "g2"]);
}

#[test]
fn file_level_problems() {
    let p = csv("");
    let (line, _, reason) = only_error(&p);
    assert_eq!(line, 0);
    assert!(reason.contains("empty"));
    let p = csv("name,as_of\nx,2026-01-01\n");
    let (line, _, reason) = only_error(&p);
    assert_eq!(line, 1);
    assert!(reason.contains("account_id"), "{reason}");
    let p = csv("account_id,arr,ARR\na,1,2\n");
    assert_eq!(only_error(&p).0, 1);
    assert!(only_error(&p).2.contains("arr"), "{:?}", p.errors);
    let p = csv("account_id,x,x\na,1,2\n");
    assert_eq!(
        only_error(&p),
        (1, Some("x"), "duplicate column \"x\" in the header")
    );
    let p = csv("account_id,,x\na,1,2\n");
    assert_eq!(only_error(&p).1, Some("#2"));
    let p = parse(b"account_id,n\xffme\na,1\n", Format::Csv, None);
    let (line, col, reason) = only_error(&p);
    assert_eq!((line, col), (1, Some("#2")));
    assert!(reason.contains("UTF-8"));
    assert!(p.rows.is_empty());
}

#[test]
fn ndjson_bad_lines_fail_alone() {
    let text = concat!(
        "{\"account_id\":\"g1\",\"as_of\":\"2026-01-01\"}\n",
        "{\"account_id\":\"b1\",\"as_of\":\"2026-01-01\"\n",
        "[1,2]\n",
        "{\"account_id\":\"b3\",\"as_of\":\"2026-01-01\",\"tags\":[\"x\"]}\n",
        "{\"account_id\":\"b4\",\"as_of\":\"2026-01-01\",\"arr\":\"NaN\"}\n",
        "{\"account_id\":\"b5\",\"arr\":1,\"ARR\":2,\"as_of\":\"2026-01-01\"}\n",
        "{\"account_id\":\"g2\",\"as_of\":\"2026-01-02\",\"nps\":10}\n",
        "{\"account_id\":\"b7\",\"as_of\":\"2026-01-02\",\"nps\":1,\"nps\":null}\n",
    );
    let mut input = text.as_bytes().to_vec();
    input.extend_from_slice(b"{\"account_id\":\"b\xff\"}\n");
    let p = parse(&input, Format::Ndjson, None);
    let lines: Vec<(usize, Option<&str>)> = p
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert_eq!(
        lines,
        [
            (2, None),
            (3, None),
            (4, Some("tags")),
            (5, Some("arr")),
            (6, Some("ARR")),
            (8, Some("nps")),
            (9, None),
        ],
        "{:#?}",
        p.errors
    );
    assert!(p.errors[0].reason.contains("malformed JSON"));
    assert!(
        p.errors[1]
            .reason
            .contains("expected a JSON object, found an array")
    );
    assert!(
        p.errors[4].reason.contains("column \"arr\" sets too"),
        "{}",
        p.errors[4]
    );
    assert!(
        p.errors[5].reason.contains("appears twice"),
        "{}",
        p.errors[5]
    );
    let ids: Vec<&str> = p.rows.iter().map(|r| r.account_id.as_str()).collect();
    assert_eq!(ids, ["g1", "g2"]);
    assert_eq!(p.rows[1].line, 7);
    assert_eq!(only_error(&parse(b"\n  \n", Format::Ndjson, None)).0, 0);
}

#[test]
fn json_documents_and_elements() {
    for doc in [
        "",
        "{",
        "[{\"account_id\": 1},",
        "{\"rows\": []}",
        "\"text\"",
        "[] []",
    ] {
        let p = parse(doc.as_bytes(), Format::Json, None);
        let (line, _, reason) = only_error(&p);
        assert_eq!(line, 0, "{doc:?}");
        assert!(
            reason.contains("malformed JSON document"),
            "{doc:?}: {reason}"
        );
    }
    let doc = r#"[{"account_id":"g1"}, 7, {"account_id":""}, {"account_id":"g2","x":{"y":1}}, {"account_id":"g3"}]"#;
    let p = parse(doc.as_bytes(), Format::Json, None);
    let lines: Vec<(usize, Option<&str>)> = p
        .errors
        .iter()
        .map(|e| (e.line, e.column.as_deref()))
        .collect();
    assert_eq!(lines, [(2, None), (3, Some("account_id")), (4, Some("x"))]);
    let ids: Vec<(usize, &str)> = p
        .rows
        .iter()
        .map(|r| (r.line, r.account_id.as_str()))
        .collect();
    assert_eq!(ids, [(1, "g1"), (5, "g3")]);
}

/// Deterministic garbage in every format: errors, never a panic.
#[test]
fn garbage_never_panics() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let alphabet = b"account_id,as_of\n\"{}[]:0123456789-.eE aAbB\xff\xc3\r\tnull";
    let telco = Mapping::telco();
    for round in 0..3000 {
        let len = (round % 97) + 1;
        let mut input = Vec::with_capacity(len + 20);
        if round % 2 == 0 {
            input.extend_from_slice(b"account_id,as_of,x\n");
        }
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            input.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        for format in [Format::Csv, Format::Ndjson, Format::Json] {
            let p = parse(&input, format, Some(&telco));
            let _ = parse(&input, format, None);
            // A refused header also lists each mapping column it lacks.
            let absent = telco.columns.len();
            assert!(p.rows.len() + p.errors.len() < input.len() + 2 + absent);
        }
    }
}
