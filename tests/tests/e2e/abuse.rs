//! The server under abuse, over raw TCP against a real `vitals serve`:
//! stalled heads, idle keep-alive connections and stalled bodies are cut
//! by their timeouts, at the cap the oldest idle connection makes room
//! (and with every slot running a request a newcomer waits), a declared oversize body is refused before it
//! is sent, hyper's own 400/414/431 carry the API's JSON, SIGTERM does not
//! wait for a stalled request, and a stop that cuts a run exits non-zero.

use crate::served::{Server, json_of, operator_key, tenant_with_keys, vitals};
use reqwest::Method;
use serde_json::Value;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn addr(s: &Server) -> String {
    s.url.strip_prefix("http://").unwrap().to_string()
}

fn connect(s: &Server) -> TcpStream {
    let c = TcpStream::connect(addr(s)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c
}

/// Reads until the server closes the connection (or `within` passes):
/// what it sent and how long it took.
fn read_until_closed(c: &mut TcpStream, within: Duration) -> (String, Duration) {
    let started = Instant::now();
    c.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "still open after {:?} ({e}); got {:?}",
                started.elapsed(),
                String::from_utf8_lossy(&got)
            ),
        }
    }
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

/// Reads one answer with a `content-length`, leaving the connection open.
fn read_answer(c: &mut TcpStream) -> String {
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = c.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "closed before an answer: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.parse().unwrap())
                })
                .expect("a content-length");
            if body.len() >= length {
                return text;
            }
        }
    }
}

/// A raw answer's status and JSON body.
fn status_and_json(raw: &str) -> (u16, Value, String) {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {raw:?}"));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {raw:?}"));
    (status, json, head.to_ascii_lowercase())
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn stalled_heads_idle_connections_and_stalled_bodies_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start_with(
        &data,
        &["--header-timeout-secs", "2", "--body-timeout-secs", "2"],
    );
    // A stalled body: the head is complete, 10 of 100 bytes come, then
    // nothing: the body timeout answers 400 naming it.
    let mut body = stalled_body(&s, &op);
    // A head that never ends, a connection that sends nothing, and one
    // complete request on a keep-alive connection that then sends nothing.
    let mut half = connect(&s);
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut bare = connect(&s);
    let mut kept = connect(&s);
    kept.write_all(HEALTHZ).unwrap();
    let mut first = [0u8; 12];
    kept.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let (raw, took) = read_until_closed(&mut body, Duration::from_secs(6));
    let (status, err, _) = status_and_json(&raw);
    assert_eq!(status, 400, "{raw}");
    assert!(
        err["message"].as_str().unwrap().contains("body timeout"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    for (what, c) in [
        ("a stalled head", &mut half),
        ("a bare connection", &mut bare),
        ("an idle keep-alive", &mut kept),
    ] {
        let (_, took) = read_until_closed(c, Duration::from_secs(6));
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
    }
    s.stop();
}

/// A request whose head is complete and whose body stops after 10 bytes.
fn stalled_body(s: &Server, op: &str) -> TcpStream {
    let mut c = connect(s);
    write!(
        c,
        "POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {op}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\": \"ab"
    )
    .unwrap();
    c
}

/// Whether an answer starts on `c` within `within`.
fn answered_within(c: &mut TcpStream, within: Duration) -> bool {
    c.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 12];
    match c.read_exact(&mut buf) {
        Ok(()) => {
            assert_eq!(&buf, b"HTTP/1.1 200");
            true
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn at_the_cap_an_idle_connection_makes_room_and_running_requests_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    // Long header timeout: only the cap's own rule can free a slot early.
    let s = Server::start_with(
        &data,
        &[
            "--header-timeout-secs",
            "60",
            "--body-timeout-secs",
            "3",
            "--max-connections",
            "2",
        ],
    );
    // Both slots run a request (stalled bodies): nothing to shed, so a
    // newcomer waits until the body timeout frees a slot.
    let mut a = stalled_body(&s, &op);
    let mut b = stalled_body(&s, &op);
    std::thread::sleep(Duration::from_millis(300));
    let mut waits = connect(&s);
    waits.write_all(HEALTHZ).unwrap();
    assert!(
        !answered_within(&mut waits, Duration::from_millis(1000)),
        "served past a cap of 2 with both slots running requests"
    );
    assert!(answered_within(&mut waits, Duration::from_secs(6)));
    for c in [&mut a, &mut b] {
        let (raw, _) = read_until_closed(c, Duration::from_secs(6));
        assert!(raw.starts_with("HTTP/1.1 400"), "{raw}");
    }
    // Now `waits` (idle after its answer) and a bare connection fill the
    // cap; a newcomer is answered at once, and the oldest idle one closes.
    let mut bare = connect(&s);
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let mut healthz = connect(&s);
    healthz.write_all(HEALTHZ).unwrap();
    assert!(answered_within(&mut healthz, Duration::from_secs(2)));
    assert!(started.elapsed() < Duration::from_secs(2));
    let (_, took) = read_until_closed(&mut waits, Duration::from_secs(2));
    assert!(took < Duration::from_secs(2));
    // The bare one was not the oldest: still open.
    bare.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        matches!(bare.read(&mut byte), Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "the newer idle connection was closed instead of the oldest"
    );
    s.stop();
}

#[test]
fn a_declared_oversize_body_is_refused_before_it_is_sent_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, _) = tenant_with_keys(&s, &op, "acme");
    for (path, key) in [
        ("/v1/tenants/acme/ingest", &admin),
        ("/v1/tenants", &op),
        ("/v1/tenants/acme/plugins", &admin),
    ] {
        let mut c = connect(&s);
        write!(
            c,
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/x-ndjson\r\nContent-Length: 2147483648\r\n\r\n"
        )
        .unwrap();
        // The answer comes at once (the connection closes a little later,
        // after reading what a client still sends).
        let started = Instant::now();
        let (raw, took) = (read_answer(&mut c), started.elapsed());
        let (status, err, head) = status_and_json(&raw);
        assert!(head.contains("connection: close"), "{head}");
        assert_eq!(
            (status, err["code"].as_str()),
            (413, Some("payload-too-large")),
            "{path}: {raw}"
        );
        assert!(
            err["message"].as_str().unwrap().contains("2147483648"),
            "{err}"
        );
        assert!(took < Duration::from_secs(2), "{path}: {took:?}");
    }
    s.stop();
}

#[test]
fn hyper_s_own_400_414_and_431_carry_the_json_error_and_json_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let long_uri = format!(
        "GET /v1/tenants?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    let big_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "b".repeat(100 << 10)
    );
    let cases: [(&[u8], u16, &str); 3] = [
        (long_uri.as_bytes(), 414, "uri-too-long"),
        (big_header.as_bytes(), 431, "header-fields-too-large"),
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "bad-request"),
    ];
    for (request, want, code) in cases {
        let mut c = connect(&s);
        c.write_all(request).unwrap();
        let (raw, _) = read_until_closed(&mut c, Duration::from_secs(5));
        let (status, err, head) = status_and_json(&raw);
        assert_eq!((status, err["code"].as_str()), (want, Some(code)), "{raw}");
        assert!(!err["message"].as_str().unwrap().is_empty());
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    }
    // Every JSON answer, success or error, says nosniff and no-store.
    for (path, key) in [
        ("/v1/tenants", Some(op.as_str())),
        ("/v1/tenants", None),
        ("/healthz", None),
    ] {
        let r = s.call(Method::GET, path, key).send().unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    s.stop();
}

#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let (status, who) = json_of(
            s.call(Method::GET, "/v1/whoami", None)
                .header("authorization", format!("{scheme} {op}"))
                .send()
                .unwrap(),
        );
        assert_eq!(status, 200, "{scheme}: {who}");
    }
    for wrong in [format!("Basic {op}"), format!("Bearer{op}"), op.clone()] {
        let (status, _) = json_of(
            s.call(Method::GET, "/v1/whoami", None)
                .header("authorization", wrong.clone())
                .send()
                .unwrap(),
        );
        assert_eq!(status, 401, "{wrong}");
    }
    s.stop();
}

#[test]
fn sigterm_does_not_wait_for_a_stalled_partial_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    operator_key(&data);
    // Timeouts far beyond the exit this test wants: only the shutdown's
    // own handling of a stalled connection can make it prompt.
    let s = Server::start_with(
        &data,
        &["--header-timeout-secs", "60", "--body-timeout-secs", "60"],
    );
    let mut half = connect(&s);
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let mut idle = connect(&s);
    idle.write_all(HEALTHZ).unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    s.stop();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "SIGTERM took {took:?}");
}

#[test]
fn a_stop_that_cuts_a_run_exits_non_zero_and_the_next_start_names_the_failed_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    {
        // A tenant whose plugin waits out its deadline on every account
        // (time in host calls counts), so that the run outlasts the 1 s
        // grace; a spinning plugin now ends a run before it.
        let store = vitals::store::Store::open(&data.join("store")).unwrap();
        vitals_e2e::install_hostile_tenant(
            &store,
            crate::common::runtime(),
            "slow",
            "wait-for-time",
            40,
            crate::common::AS_OF,
        )
        .unwrap();
    }
    let s = Server::start_with(&data, &["--shutdown-grace-secs", "1"]);
    let (status, issued) = json_of(
        s.call(Method::POST, "/v1/tenants/slow/keys", Some(&op))
            .json(&serde_json::json!({"role": "admin", "label": "test"}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201, "{issued}");
    let admin = issued["key"].as_str().unwrap().to_string();
    let runner = {
        let request = s
            .call(Method::POST, "/v1/tenants/slow/runs", Some(&admin))
            .json(&serde_json::json!({}));
        std::thread::spawn(move || request.send().map(|r| r.status().as_u16()))
    };
    // Wait until the run is recorded as running.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, runs) = json_of(
            s.call(Method::GET, "/v1/tenants/slow/runs", Some(&admin))
                .send()
                .unwrap(),
        );
        if runs.as_array().is_some_and(|r| !r.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "the run never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    let code = s.stop_code();
    assert_ne!(code, Some(0), "a stop that cut a run exited 0");
    let _ = runner.join();
    // The next start says which run it failed.
    let mut next = vitals(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(next.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening"), "{line}");
    next.kill().unwrap();
    let mut stderr = String::new();
    next.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    next.wait().unwrap();
    assert!(
        stderr.contains("of tenant slow was interrupted by the last stop; marked failed"),
        "{stderr}"
    );
}
