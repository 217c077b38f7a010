//! A real `vitals serve` process for end-to-end tests: started on
//! 127.0.0.1:0 over a store folder (its URL read from its first line),
//! stopped with SIGTERM (which must exit cleanly), killed if dropped.

use reqwest::Method;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn vitals(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vitals-e2e-cli"));
    c.arg("--data-dir")
        .arg(data)
        .env_remove("VITALS_DATA_DIR")
        .env_remove("VITALS_TENANT")
        .env_remove("VITALS_SERVER")
        .env_remove("VITALS_KEY");
    c
}

/// What a finished `vitals` process printed, and its exit code.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Runs `cmd` to its end.
    pub fn of(cmd: &mut Command) -> Out {
        let out = cmd.output().unwrap();
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Fails the test, showing `args` and the output, unless it exited 0.
    pub fn success(self, args: &[&str]) -> Out {
        assert_eq!(
            self.code, 0,
            "vitals {args:?} failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Its standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

/// A CLI command on the local store (before the server holds it); stdout.
pub fn local(data: &Path, args: &[&str]) -> String {
    let out = vitals(data).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "vitals {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running `vitals serve`.
pub struct Server {
    child: Child,
    pub url: String,
    data: PathBuf,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Server::start_with(data, &[])
    }

    /// Starts with extra `serve` options.
    pub fn start_with(data: &Path, options: &[&str]) -> Server {
        let grace: &[&str] = if options.contains(&"--shutdown-grace-secs") {
            &[]
        } else {
            &["--shutdown-grace-secs", "30"]
        };
        let mut child = vitals(data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(grace)
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("vitals serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Server {
            child,
            url,
            data: data.to_path_buf(),
        }
    }

    /// SIGTERM, then wait: a graceful stop must exit 0.
    pub fn stop(self) {
        let code = self.stop_code();
        assert_eq!(code, Some(0), "graceful stop exited {code:?}");
    }

    /// The server's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then wait: the exit code.
    pub fn stop_code(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        self.child.wait().unwrap().code()
    }

    pub fn call(&self, method: Method, path: &str, key: Option<&str>) -> RequestBuilder {
        let r = Http::builder()
            .timeout(None)
            .build()
            .unwrap()
            .request(method, format!("{}{path}", self.url));
        match key {
            Some(k) => r.bearer_auth(k),
            None => r,
        }
    }

    pub fn client(&self, key: &str) -> vitals::client::Client {
        vitals::client::Client::new(&self.url, key).unwrap()
    }

    /// The CLI acting on this server with `key`.
    pub fn cli(&self, key: &str, args: &[&str]) -> std::process::Output {
        vitals(&self.data.join("unused"))
            .args(["--server", &self.url])
            .env("VITALS_KEY", key)
            .args(args)
            .output()
            .unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn json_of(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    )
}

pub fn operator_key(data: &Path) -> String {
    local(data, &["key", "operator"]).trim().to_string()
}

/// A tenant with admin and viewer keys, issued over HTTP by the operator.
pub fn tenant_with_keys(s: &Server, op: &str, id: &str) -> (String, String) {
    let (status, _) = json_of(
        s.call(Method::POST, "/v1/tenants", Some(op))
            .json(&json!({"id": id}))
            .send()
            .unwrap(),
    );
    assert_eq!(status, 201);
    let key = |role: &str| {
        let (status, k) = json_of(
            s.call(Method::POST, &format!("/v1/tenants/{id}/keys"), Some(op))
                .json(&json!({"role": role, "label": "test"}))
                .send()
                .unwrap(),
        );
        assert_eq!(status, 201, "{k}");
        k["key"].as_str().unwrap().to_string()
    };
    (key("admin"), key("viewer"))
}

pub fn install_pack(s: &Server, admin: &str, tenant: &str) {
    for (_, bytes) in vitals_reference_pack::COMPONENTS {
        let (status, p) = json_of(
            s.call(
                Method::POST,
                &format!("/v1/tenants/{tenant}/plugins?activate=true"),
                Some(admin),
            )
            .header("content-type", "application/wasm")
            .body(bytes.to_vec())
            .send()
            .unwrap(),
        );
        assert_eq!(status, 201, "{p}");
        assert_eq!(p["active"], true);
    }
}
