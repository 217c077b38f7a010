//! API fuzzing: schemathesis (from PyPI, installed by this test into a
//! virtual environment kept in the target dir) runs against the live
//! server's `/openapi.json` with valid keys, a bounded number of examples
//! per operation and a fixed seed: no 5xx, and every response conforms to
//! the document (status, content type, headers, body schema).

use crate::served::{Server, local, operator_key};
use std::path::{Path, PathBuf};
use std::process::Command;

const EXAMPLES: &str = "25";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance";

/// The `st` command, installing schemathesis first if needed.
fn schemathesis() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis-venv");
    let st = venv.join("bin/st");
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/requirements.txt");
    let stamp = venv.join("requirements.txt");
    // The stamp names the folder too: a venv is not relocatable (its
    // scripts start with the interpreter's absolute path), so one moved
    // with its target dir is made again.
    let wanted = format!(
        "{}# installed in {}\n",
        std::fs::read_to_string(&requirements).unwrap(),
        venv.display()
    );
    if st.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&wanted) {
        return st;
    }
    let run = |cmd: &mut Command| {
        let out = cmd.output().expect("python3 is needed for the API fuzzer");
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv));
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements));
    std::fs::write(&stamp, wanted).unwrap();
    st
}

fn fuzz(st: &Path, server: &Server, key: &str, config_dir: &Path, only: &[&str]) {
    let out = Command::new(st)
        .current_dir(config_dir)
        .args(["run", &format!("{}/openapi.json", server.url)])
        .args(["-H", &format!("Authorization: Bearer {key}")])
        .args([
            "-n",
            EXAMPLES,
            "--seed",
            "20261124",
            "--no-color",
            "-c",
            CHECKS,
        ])
        .args(["--generation-database", "none", "--request-timeout", "30"])
        .args(only)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failures = stdout.contains("Failures:") || stdout.contains("Errors:");
    assert!(
        out.status.success() && !failures,
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("generated"), "{stdout}");
}

#[test]
fn schemathesis_finds_no_server_error_and_no_response_off_the_schema() {
    let st = schemathesis();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    local(&data, &["demo", "--accounts", "300"]);
    let op = operator_key(&data);
    let admin = local(&data, &["key", "issue", "demo", "--role", "admin"])
        .trim()
        .to_string();
    // Tenant routes on the demo tenant, so calls reach its data.
    std::fs::write(
        dir.path().join("schemathesis.toml"),
        "[parameters]\n\"path.tenant\" = \"demo\"\n",
    )
    .unwrap();
    let server = Server::start(&data);
    fuzz(
        &st,
        &server,
        &admin,
        dir.path(),
        &["--exclude-tag", "operator"],
    );
    // Deleting the tenant last: before, the operator's other routes on
    // it would find nothing.
    fuzz(
        &st,
        &server,
        &op,
        dir.path(),
        &[
            "--include-tag",
            "operator",
            "--exclude-path",
            "/v1/tenants/{tenant}",
        ],
    );
    fuzz(
        &st,
        &server,
        &op,
        dir.path(),
        &["--include-path", "/v1/tenants/{tenant}"],
    );
    server.stop();
}
