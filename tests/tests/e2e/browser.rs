//! A small Chrome DevTools Protocol client over Debian's headless `chromium`:
//! launches it with a fresh profile and the network features off, opens one
//! page, and drives it (navigate, evaluate, real mouse clicks and typing,
//! screenshots) while recording every console error, uncaught exception,
//! failed or refused request and requested URL, so a test can assert that
//! none happened.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// How long one protocol answer (or a page condition) may take.
const PATIENCE: Duration = Duration::from_secs(60);

/// The browser: `VITALS_CHROMIUM`, else Debian's `/usr/bin/chromium`.
fn chromium() -> String {
    let path = std::env::var("VITALS_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&path).exists(),
        "{path} not found: the dashboard tests drive a real headless Chromium; \
         install it with `apt-get install -y chromium` (.ci/run does) or set VITALS_CHROMIUM"
    );
    path
}

/// What the page did that a test must know about.
#[derive(Debug, Default)]
pub struct Record {
    /// Console errors, uncaught exceptions, errors logged by the browser.
    pub errors: Vec<String>,
    /// Every URL the page requested.
    pub requests: Vec<String>,
}

/// One headless Chromium with one page attached.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    pub record: Record,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium and opens a blank page of `width` x `height`.
    pub fn launch(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-default-apps",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromium()));
        // Chromium names its DevTools socket on stderr; the rest of stderr
        // (dbus complaints and the like) is drained so the pipe never fills.
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(PATIENCE)
            .expect("chromium did not open its DevTools socket");
        let addr = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("odd DevTools URL {url}"))
            .to_string();
        let stream = TcpStream::connect(&addr).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let (ws, _) = tungstenite::client(url.as_str(), stream).expect("DevTools handshake");
        let mut b = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            record: Record::default(),
            _profile: profile,
        };
        let target = b.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = b.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Log.enable",
            "Network.enable",
        ] {
            b.call(domain, json!({}));
        }
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        b
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    /// Calls a method on the page; events read meanwhile are recorded.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < PATIENCE,
                "{method}: no answer from chromium"
            );
            let text = match self.ws.read().expect("DevTools socket") {
                Message::Text(t) => t,
                _ => continue,
            };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == json!(id) {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
            if let Some(event) = v["method"].as_str() {
                self.observe(event, &v["params"]);
            }
        }
    }

    fn observe(&mut self, event: &str, p: &Value) {
        match event {
            "Runtime.consoleAPICalled"
                if matches!(p["type"].as_str(), Some("error" | "assert")) =>
            {
                let args: Vec<String> = p["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        a.get("value")
                            .map(|v| v.to_string())
                            .or_else(|| a["description"].as_str().map(str::to_string))
                            .unwrap_or_default()
                    })
                    .collect();
                self.record
                    .errors
                    .push(format!("console.error: {}", args.join(" ")));
            }
            "Runtime.exceptionThrown" => {
                let d = &p["exceptionDetails"];
                let what = d["exception"]["description"]
                    .as_str()
                    .or(d["text"].as_str())
                    .unwrap_or("?");
                self.record.errors.push(format!("uncaught: {what}"));
            }
            "Log.entryAdded" if p["entry"]["level"] == "error" => {
                self.record.errors.push(format!(
                    "browser log: {} ({})",
                    p["entry"]["text"].as_str().unwrap_or("?"),
                    p["entry"]["url"].as_str().unwrap_or("")
                ));
            }
            "Network.requestWillBeSent" => {
                if let Some(url) = p["request"]["url"].as_str() {
                    self.record.requests.push(url.to_string());
                }
            }
            "Network.loadingFailed" if p["canceled"] != json!(true) => {
                self.record.errors.push(format!(
                    "request failed: {}",
                    p["errorText"].as_str().unwrap_or("?")
                ));
            }
            "Network.responseReceived" if p["response"]["status"].as_u64() >= Some(400) => {
                self.record.errors.push(format!(
                    "HTTP {} for {}",
                    p["response"]["status"],
                    p["response"]["url"].as_str().unwrap_or("?")
                ));
            }
            _ => {}
        }
    }

    /// Evaluates JavaScript in the page (promises awaited); its value as JSON.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expression}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is true (while a page loads it may not even
    /// have a body: that counts as not yet); on time-out says what the page shows.
    pub fn wait_for(&mut self, expression: &str, what: &str) {
        let started = Instant::now();
        let guarded =
            format!("(() => {{ try {{ return {expression}; }} catch (e) {{ return false; }} }})()");
        loop {
            if self.eval(&guarded) == json!(true) {
                return;
            }
            if started.elapsed() > PATIENCE {
                let state = self.eval(
                    "JSON.stringify({hash: location.hash, body: document.body?.dataset, \
                     text: document.getElementById('main')?.innerText.slice(0, 500)})",
                );
                panic!(
                    "timed out waiting for {what}; page: {state}; errors: {:?}",
                    self.record.errors
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Loads a URL.
    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
    }

    /// A real left click in the middle of the first element matching `selector`.
    pub fn click(&mut self, selector: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); \
             return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        ));
        let (x, y) = match at.as_array() {
            Some(xy) => (xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap()),
            None => panic!("nothing to click at {selector}"),
        };
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Focuses an input, replaces its text as if typed, and presses Enter.
    pub fn type_and_enter(&mut self, selector: &str, text: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.focus(); e.value = ''; return true; }})()"
        ));
        self.call("Input.insertText", json!({"text": text}));
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter",
                       "windowsVirtualKeyCode": 13, "text": "\r"}),
            );
        }
    }

    /// Writes a PNG of the whole page.
    pub fn screenshot(&mut self, path: &Path) {
        let metrics = self.call("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let shot = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true,
                   "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}}),
        );
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
