//! What `plugin add` says about a file that is no component, or one too
//! large for the server; and `plugin build`'s reported time.

use super::{Local, on_server, refused};
use crate::served::{Out, Server, json_of, operator_key, tenant_with_keys, vitals};
use reqwest::Method;
use std::path::Path;
use std::time::Instant;

/// Files that are no component, each with what the message must say.
fn not_components(l: &Local) -> Vec<(String, &'static str)> {
    let real = vitals_reference_pack::component("weighted-health").unwrap();
    vec![
        (
            l.write(
                "README.md",
                b"# Vitals\n\nCustomer health, lifecycle segments",
            ),
            "README.md: not a WebAssembly component: it is text (it starts with \"# Vitals\")",
        ),
        (
            l.write("empty.wasm", b""),
            "empty.wasm: not a WebAssembly component: the file is empty (0 bytes)",
        ),
        (
            l.write("core.wasm", &wat::parse_str("(module)").unwrap()),
            "core.wasm: not a WebAssembly component: it is a core WebAssembly module; plugins are components",
        ),
        (
            l.write("cut.wasm", &real[..real.len() / 2]),
            "cut.wasm: not a valid component: truncated: the section at byte",
        ),
    ]
}

/// Stderr names no raw byte array (`[0x0, 0x61, ...]` or `[35, 32, ...]`).
fn no_byte_arrays(out: &Out) {
    assert!(
        !out.stderr.contains("[0x") && !out.stderr.contains("actual="),
        "{}",
        out.stderr
    );
}

#[test]
fn files_that_are_no_component_are_named_for_what_they_are() {
    let l = Local::new();
    l.ok_as("acme", &["init"]);
    for (file, says) in not_components(&l) {
        let out = l.run_as("acme", &["plugin", "add", &file]);
        refused(&out, &[says]);
        no_byte_arrays(&out);
    }
    let readme = l.run_as("acme", &["plugin", "add", "README.md"]);
    refused(
        &readme,
        &["hint: a plugin is a .wasm component: build one with `vitals plugin build DIR`"],
    );
    // Nothing was stored.
    let listed = l.ok_as("acme", &["--json", "plugin", "list"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 0);

    // The same messages from a server.
    let data = l.path("served");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, _) = tenant_with_keys(&s, &op, "acme");
    for (file, says) in not_components(&l) {
        let out = on_server(&s.url, &admin, &["plugin", "add", &file]);
        refused(&out, &[says]);
        no_byte_arrays(&out);
    }
    s.stop();
}

#[test]
fn an_upload_over_the_limit_names_the_limit_and_the_option_that_raises_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let op = operator_key(&data);
    let s = Server::start_with(&data, &["--max-plugin-mib", "2"]);
    let (admin, _) = tenant_with_keys(&s, &op, "acme");
    let big = dir.path().join("big.wasm");
    std::fs::write(&big, vec![0u8; 3 << 20]).unwrap();
    let out = on_server(
        &s.url,
        &admin,
        &["plugin", "add", &big.display().to_string()],
    );
    refused(
        &out,
        &[
            "big.wasm: the component (3145728 bytes) is larger than this server's upload limit of 2 MiB",
            "`vitals serve --max-plugin-mib N`",
        ],
    );
    // Sent without a length (chunked), it passes the limit while read:
    // the same answer, without the size.
    let chunked = reqwest::blocking::Body::new(std::io::Cursor::new(vec![0u8; 3 << 20]));
    let (status, err) = json_of(
        s.call(Method::POST, "/v1/tenants/acme/plugins", Some(&admin))
            .body(chunked)
            .send()
            .unwrap(),
    );
    assert_eq!(
        (status, err["code"].as_str()),
        (413, Some("payload-too-large")),
        "{err}"
    );
    let message = err["message"].as_str().unwrap();
    assert!(
        message.starts_with("the component is larger than this server's upload limit of 2 MiB")
            && message.contains("--max-plugin-mib"),
        "{message}"
    );
    let listed = on_server(&s.url, &admin, &["--json", "plugin", "list"])
        .success(&["plugin", "list"])
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 0);
    s.stop();
}

/// `plugin build`'s figure is the command's own time: at least the wall
/// time around the process less what the process spends before and after
/// the command (start-up, exit), at most the wall time. A Python component
/// makes the check step long (compiling 18 MB), which the figure once left
/// out.
#[test]
fn plugin_build_reports_the_whole_command_s_time() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("my-health");
    let cli = |args: &[&str]| {
        let mut c = vitals(&dir.path().join("data"));
        c.current_dir(dir.path())
            .env("VITALS_TOOLCHAINS", vitals_e2e::TOOLCHAINS)
            .args(args);
        c
    };
    let plugin_arg = plugin.display().to_string();
    let args = [
        "plugin",
        "new",
        "--lang",
        "python",
        "health-model",
        "my-health",
        "--dir",
        &plugin_arg,
    ];
    Out::of(&mut cli(&args)).success(&args);
    let started = Instant::now();
    let built = Out::of(&mut cli(&["--json", "plugin", "build", &plugin_arg]))
        .success(&["plugin", "build"]);
    let wall = started.elapsed().as_secs_f64();
    let report = built.json();
    let seconds = report["seconds"].as_f64().unwrap();
    let (build, check) = (
        report["build_seconds"].as_f64().unwrap(),
        report["check_seconds"].as_f64().unwrap(),
    );
    assert!(
        seconds <= wall,
        "reported {seconds} s of a {wall} s command"
    );
    assert!(
        seconds >= wall - 1.0,
        "reported {seconds} s of a {wall} s command: a step is left out ({report})"
    );
    assert!(
        build > 0.0 && check > 0.0 && seconds >= build + check,
        "{report}"
    );
    assert!(Path::new(report["component"].as_str().unwrap()).exists());
}
