//! Bad input of every kind, over HTTP and through the CLI: broken ingest
//! files and broken requests each get a clear 4xx (or exit code 2) naming
//! what is wrong, and the store is left exactly as it was.

use crate::served::{Server, json_of, local, operator_key, tenant_with_keys, vitals};
use reqwest::Method;
use serde_json::json;

const GOOD: &str = "account_id,as_of,name,seats_purchased,seats_active,nps,contract_arr\n\
keep-1,2026-01-01,Keep One,10,8,9,12000\n\
keep-2,2026-01-01,Keep Two,20,5,3,30000\n";

const HEADER: &str = "account_id,as_of,name,seats_purchased,seats_active,nps,contract_arr\n";

/// Broken files: (what, bytes, format, words the error must contain).
fn corpus() -> Vec<(&'static str, Vec<u8>, &'static str, Vec<&'static str>)> {
    let row = |tail: &str| format!("{HEADER}new-1,2026-01-01,New,10,5,7,1000\n{tail}").into_bytes();
    let mut invalid_utf8 = format!("{HEADER}new-1,2026-01-01,").into_bytes();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, b'x']);
    invalid_utf8.extend_from_slice(b",10,5,7,1000\n");
    vec![
        (
            "unbalanced quotes",
            row("new-2,2026-01-01,\"Unclosed,10,5,7,1000\n"),
            "csv",
            vec!["line 3"],
        ),
        (
            "too many columns",
            row("new-2,2026-01-01,Two,10,5,7,1000,extra\n"),
            "csv",
            vec!["line 3"],
        ),
        (
            "too few columns",
            row("new-2,2026-01-01,Two\n"),
            "csv",
            vec!["line 3"],
        ),
        (
            "invalid UTF-8",
            invalid_utf8,
            "csv",
            vec!["line 2", "UTF-8"],
        ),
        (
            "a huge field",
            row(&format!(
                "new-2,2026-01-01,{},10,5,7,1000\n",
                "n".repeat(100_000)
            )),
            "csv",
            vec!["line 3", "name"],
        ),
        (
            "a negative count",
            row("new-2,2026-01-01,Two,10,-5,7,1000\n"),
            "csv",
            vec!["line 3", "seats_active"],
        ),
        (
            "NaN",
            row("new-2,2026-01-01,Two,10,5,NaN,1000\n"),
            "csv",
            vec!["line 3", "nps"],
        ),
        (
            "infinity",
            row("new-2,2026-01-01,Two,10,5,7,inf\n"),
            "csv",
            vec!["line 3", "contract_arr"],
        ),
        (
            "an impossible date",
            row("new-2,2026-02-30,Two,10,5,7,1000\n"),
            "csv",
            vec!["line 3", "as_of"],
        ),
        (
            "a duplicate row that disagrees",
            row("new-1,2026-01-01,New,10,6,7,1000\n"),
            "csv",
            vec!["line 3", "new-1"],
        ),
        (
            "a stored snapshot contradicted",
            format!("{HEADER}keep-1,2026-01-01,Keep One,10,9,9,12000\n").into_bytes(),
            "csv",
            vec!["keep-1", "append-only"],
        ),
        ("an empty file", vec![], "csv", vec!["empty"]),
        (
            "JSON that is not an array",
            b"{\"account_id\": 3}".to_vec(),
            "json",
            vec!["records"],
        ),
        (
            "NDJSON with a broken line",
            b"{\"account_id\":\"x\",\"as_of\":\"2026-01-01\"}\n{oops\n".to_vec(),
            "ndjson",
            vec!["line 2"],
        ),
    ]
}

/// What the tenant holds, to prove a refusal changed nothing.
fn fingerprint(s: &Server, key: &str) -> String {
    let api = s.client(key);
    let mut out = String::new();
    for id in ["keep-1", "keep-2", "new-1", "new-2", "x"] {
        out.push_str(&format!(
            "{id}: {:?}\n",
            vitals::service::Api::account(&api, "acme", id).map(|a| a.history)
        ));
    }
    out
}

#[test]
fn broken_files_and_requests_get_clear_errors_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start_with(&data, &["--max-ingest-mib", "4", "--max-plugin-mib", "2"]);
    let (admin, _) = tenant_with_keys(&s, &op, "acme");
    let (status, _) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?format=csv",
            Some(&admin),
        )
        .body(GOOD)
        .send()
        .unwrap(),
    );
    assert_eq!(status, 200);
    let before = fingerprint(&s, &admin);
    for (what, bytes, format, needles) in corpus() {
        let (status, err) = json_of(
            s.call(
                Method::POST,
                &format!("/v1/tenants/acme/ingest?format={format}"),
                Some(&admin),
            )
            .body(bytes)
            .send()
            .unwrap(),
        );
        assert!((400..500).contains(&status), "{what}: {status} {err}");
        let message = err["message"].as_str().unwrap();
        for n in needles {
            assert!(message.contains(n), "{what}: {n:?} not in {message}");
        }
        assert_eq!(fingerprint(&s, &admin), before, "{what} changed the store");
    }
    // A very large file: refused before it is all read.
    let big = format!(
        "{HEADER}{}",
        "big-1,2026-01-01,Big,10,5,7,1000\n".repeat(160_000)
    );
    assert!(big.len() > 4 << 20);
    let (status, err) = json_of(
        s.call(
            Method::POST,
            "/v1/tenants/acme/ingest?format=csv",
            Some(&admin),
        )
        .body(big)
        .send()
        .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (413, Some("payload-too-large")),
        "{err}"
    );
    // Broken requests.
    let post = |path: &str, body: reqwest::blocking::RequestBuilder| {
        let _ = path;
        json_of(body.send().unwrap())
    };
    let tenants = |b: &str| {
        s.call(Method::POST, "/v1/tenants", Some(&op))
            .header("content-type", "application/json")
            .body(b.to_string())
    };
    for (what, body, status, needle) in [
        ("malformed JSON", "{\"id\": \"x\"", 400, "JSON"),
        ("a wrong type", "{\"id\": 42}", 422, "id"),
        ("a missing field", "{\"name\": \"No Id\"}", 422, "id"),
        (
            "an extra field",
            "{\"id\": \"y\", \"colour\": \"red\"}",
            422,
            "colour",
        ),
        ("a bad id", "{\"id\": \"no spaces allowed\"}", 400, "id"),
    ] {
        let (got, err) = post("/v1/tenants", tenants(body));
        assert_eq!(got, status, "{what}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains(needle),
            "{what}: {err}"
        );
    }
    let (got, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/runs", Some(&admin))
            .json(&json!({"as_of": "2026-13-01"}))
            .send()
            .unwrap(),
    );
    // A body that does not fit its schema (the date is typed) is 422, as
    // every other field of the wrong type; the message names the field.
    assert_eq!(got, 422, "{err}");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("as_of") && message.contains("\"2026-13-01\" is not a date"),
        "{err}"
    );
    let (got, _) = json_of(
        s.call(
            Method::GET,
            "/v1/tenants/acme/runs/not-a-number",
            Some(&admin),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(got, 400);
    let (got, err) = json_of(
        s.call(
            Method::GET,
            "/v1/tenants/acme/runs/1/results?limit=many",
            Some(&admin),
        )
        .send()
        .unwrap(),
    );
    assert_eq!(got, 400, "{err}");
    // Components: not wasm, gzip of a real one (no decompression: just bytes),
    // a core module rather than a component, one past the upload limit.
    let real = vitals_reference_pack::component("weighted-health").unwrap();
    let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
    gz.extend_from_slice(&real[..4096]);
    let core = wat::parse_str("(module (memory 65536))").unwrap();
    for (what, bytes, needle) in [
        (
            "not wasm",
            b"MZ\x90\0 not a component".to_vec(),
            "not a WebAssembly component: it starts with the bytes 4d 5a 90 00",
        ),
        ("gzip", gz, "gzip-compressed"),
        ("a core module", core, "component"),
    ] {
        let (got, err) = json_of(
            s.call(Method::POST, "/v1/tenants/acme/plugins", Some(&admin))
                .body(bytes)
                .send()
                .unwrap(),
        );
        assert_eq!(got, 422, "{what}: {err}");
        assert!(
            err["message"].as_str().unwrap().contains(needle),
            "{what}: {err}"
        );
    }
    let (got, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/plugins", Some(&admin))
            .body(vec![0u8; 3 << 20])
            .send()
            .unwrap(),
    );
    assert_eq!(got, 413, "{err}");
    // Nothing changed: the same accounts, no plugin, one tenant.
    assert_eq!(fingerprint(&s, &admin), before);
    assert!(
        vitals::service::Api::plugins(&s.client(&admin), "acme")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        vitals::service::Api::tenants(&s.client(&op)).unwrap().len(),
        1
    );
    s.stop();
}

#[test]
fn the_cli_refuses_the_same_files_with_exit_code_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    local(&data, &["--tenant", "acme", "init"]);
    let good = dir.path().join("good.csv");
    std::fs::write(&good, GOOD).unwrap();
    local(
        &data,
        &["--tenant", "acme", "ingest", good.to_str().unwrap()],
    );
    let snapshot = || {
        local(
            &data,
            &["--tenant", "acme", "--json", "account", "show", "keep-1"],
        )
    };
    let before = snapshot();
    for (what, bytes, format, needles) in corpus() {
        let file = dir.path().join(format!("bad.{format}"));
        std::fs::write(&file, &bytes).unwrap();
        let out = vitals(&data)
            .args(["--tenant", "acme", "ingest", file.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{what}: {n:?} not in {stderr}");
        }
        let new = vitals(&data)
            .args(["--tenant", "acme", "account", "show", "new-1"])
            .output()
            .unwrap();
        assert_eq!(new.status.code(), Some(2), "{what}: new-1 must not exist");
    }
    assert_eq!(snapshot(), before);
}
