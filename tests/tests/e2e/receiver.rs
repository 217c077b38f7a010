//! A webhook receiver on 127.0.0.1 for the delivery tests: a real HTTP
//! server (std threads, one connection at a time) that verifies every
//! request's Standard Webhooks signature with the specification's own crate,
//! as a receiver would, records what arrived, and answers as the test says
//! (200, 500, 410, or not before the sender gives up).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 200.
    Ok,
    /// 500.
    Fail,
    /// 410 Gone.
    Gone,
    /// Reads the request, then says nothing for this long (the sender times out).
    Hang(Duration),
}

/// One request that arrived.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Its `webhook-id`.
    pub webhook_id: String,
    /// Whether its signature verified under the receiver's secret.
    pub verified: bool,
    /// Its body as JSON.
    pub body: serde_json::Value,
}

/// A running receiver.
pub struct Receiver {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// Listens on 127.0.0.1 (`port` 0: any), verifying with `secret`.
    pub fn start(port: u16, secret: &str, mode: Mode) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let mode = Arc::new(Mutex::new(mode));
        let arrivals = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let seen = accepted.clone();
        let verifier = standardwebhooks::Webhook::new(secret).unwrap();
        let (m, a, s) = (mode.clone(), arrivals.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        seen.fetch_add(1, Ordering::Relaxed);
                        let answer = *m.lock().unwrap();
                        if let Some(arrival) = serve_one(stream, &verifier, answer) {
                            a.lock().unwrap().push(arrival);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Receiver {
            addr,
            mode,
            arrivals,
            accepted,
            stop,
        }
    }

    /// The URL deliveries go to.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers differently from now on.
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Connections accepted so far (a request being answered counts).
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Everything that arrived so far.
    pub fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request, records it, answers per `mode`; `None` if it was not HTTP.
fn serve_one(
    stream: TcpStream,
    verifier: &standardwebhooks::Webhook,
    mode: Mode,
) -> Option<Arrival> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = reqwest::header::HeaderMap::new();
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        if name == "content-length" {
            length = value.parse().ok()?;
        }
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).ok()?,
            value.parse().ok()?,
        );
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    let arrival = Arrival {
        webhook_id: headers
            .get("webhook-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        verified: verifier.verify(&body, &headers).is_ok(),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    let mut stream = stream;
    let status = match mode {
        Mode::Ok => "200 OK",
        Mode::Fail => "500 Internal Server Error",
        Mode::Gone => "410 Gone",
        Mode::Hang(d) => {
            std::thread::sleep(d);
            "200 OK"
        }
    };
    let answer = format!("receiver says {status}");
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    Some(arrival)
}
