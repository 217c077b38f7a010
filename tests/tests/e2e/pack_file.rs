//! `vitals pack keygen|build|sign|verify` as a vendor uses them, over the
//! real binary: packs built from reference components and from a Python
//! plugin folder, signed, verified, and refused (exit 2) when unsigned,
//! signed by another key, or changed after signing.

use crate::served::{Out, vitals};
use std::path::{Path, PathBuf};
use vitals::pack::{PackArchive, PackLimits};

/// A vendor's working folder (with a data dir only for the compile cache).
struct Vendor {
    dir: tempfile::TempDir,
}

impl Vendor {
    fn new() -> Self {
        Vendor {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn run(&self, args: &[&str]) -> Out {
        Out::of(
            vitals(&self.path("data"))
                .current_dir(self.dir.path())
                .args(args)
                .env("VITALS_TOOLCHAINS", vitals_e2e::TOOLCHAINS)
                .env_remove("VITALS_PACK_KEY_PASSWORD"),
        )
    }

    fn ok(&self, args: &[&str]) -> Out {
        self.run(args).success(args)
    }

    /// Fails unless `args` exit 2 with `needle` in the error.
    fn refused(&self, args: &[&str], needle: &str) {
        let out = self.run(args);
        assert_eq!(out.code, 2, "{args:?}:\n{}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }

    /// `vitals pack keygen`; returns the key id it printed.
    fn keygen(&self, name: &str) -> String {
        let out = self.ok(&["pack", "keygen", "--out", &self.arg("keys"), "--name", name]);
        let key_id = out.stdout.trim().to_string();
        assert_eq!(key_id.len(), 16, "{}", out.stdout);
        key_id
    }
}

const PACK_TOML: &str = r#"[pack]
name = "acme-health"
version = "1.2.0"
vendor = "Acme Analytics"
description = "Health and segments for SaaS"

[[plugins]]
wasm = "build/weighted_health.wasm"
config = "weighted-health.defaults.json"

[[plugins]]
wasm = "build/lifecycle_segments.wasm"
"#;

fn reference(name: &str) -> &'static [u8] {
    vitals_reference_pack::component(name).unwrap()
}

/// A vendor folder with two reference components and a default configuration.
fn wasm_vendor() -> Vendor {
    let v = Vendor::new();
    v.write("pack.toml", PACK_TOML.as_bytes());
    v.write("build/weighted_health.wasm", reference("weighted-health"));
    v.write(
        "build/lifecycle_segments.wasm",
        reference("lifecycle-segments"),
    );
    v.write("weighted-health.defaults.json", br#"{"red_below": 65}"#);
    v
}

fn read_pack(path: &Path) -> PackArchive {
    PackArchive::read(std::fs::File::open(path).unwrap(), &PackLimits::default()).unwrap()
}

#[test]
fn a_pack_built_from_components_is_signed_verified_and_refused_when_broken() {
    let v = wasm_vendor();
    let key_id = v.keygen("acme");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(v.path("keys/acme.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    v.refused(
        &["pack", "keygen", "--out", &v.arg("keys"), "--name", "acme"],
        "already exists",
    );

    let pack = v.arg("acme-health-1.2.0.vpack");
    let built = v.ok(&["pack", "build", &v.arg("."), "--out", &pack]);
    assert!(
        built
            .stdout
            .starts_with(&format!("built acme-health 1.2.0 -> {pack} (unsigned)")),
        "{}",
        built.stdout
    );
    let weighted_sha = vitals::pack::sha256_hex(reference("weighted-health"));
    assert!(built.stdout.contains(&weighted_sha), "{}", built.stdout);
    assert!(
        built.stdout.contains("lifecycle-segments"),
        "{}",
        built.stdout
    );

    let trust = v.arg("keys/acme.pub");
    v.refused(
        &["pack", "verify", &pack, "--trust", &trust],
        "the pack is not signed",
    );

    let signed = v.ok(&["pack", "sign", &pack, "--key", &v.arg("keys/acme.key")]);
    assert!(signed.stdout.contains(&key_id), "{}", signed.stdout);
    let ok = v.ok(&["pack", "verify", &pack, "--trust", &trust]);
    assert_eq!(
        ok.stdout.trim(),
        format!("ok: acme-health 1.2.0 signed by {key_id}")
    );
    let json = v
        .ok(&["--json", "pack", "verify", &pack, "--trust", &trust])
        .json();
    assert_eq!(json["key_id"], key_id.as_str());
    assert_eq!(json["ok"], true);

    // The manifest and files are as built; the defaults travel byte for byte.
    let read = read_pack(&v.path("acme-health-1.2.0.vpack"));
    assert_eq!(read.manifest.plugins.len(), 2);
    assert_eq!(read.manifest.contract, "0.2.0");
    assert_eq!(read.defaults("weighted-health").unwrap()["red_below"], 65);

    // Another vendor's key is not this one.
    let other_id = v.keygen("other");
    v.refused(
        &["pack", "verify", &pack, "--trust", &v.arg("keys/other.pub")],
        &format!("signed by key {key_id}, which is not trusted"),
    );
    assert_ne!(other_id, key_id);

    // One byte of a component changed after signing.
    let mut tampered = read.clone();
    let component = "plugins/weighted-health/component.wasm";
    let bytes = tampered.files.get_mut(component).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let tampered_path = v.path("tampered.vpack");
    tampered
        .write(std::fs::File::create(&tampered_path).unwrap())
        .unwrap();
    v.refused(
        &[
            "pack",
            "verify",
            &tampered_path.display().to_string(),
            "--trust",
            &trust,
        ],
        &format!("file {component} does not match the manifest"),
    );

    // Signed at build time too, with the same result.
    let again = v.arg("again.vpack");
    let built = v.ok(&[
        "pack",
        "build",
        &v.arg("."),
        "--out",
        &again,
        "--key",
        &v.arg("keys/acme.key"),
    ]);
    assert!(
        built.stdout.contains(&format!("(signed by {key_id})")),
        "{}",
        built.stdout
    );
    v.ok(&["pack", "verify", &again, "--trust", &trust]);
}

#[test]
fn a_default_configuration_outside_its_schema_fails_the_build_and_writes_nothing() {
    let v = wasm_vendor();
    v.write("weighted-health.defaults.json", br#"{"red_below": "high"}"#);
    let pack = v.arg("p.vpack");
    v.refused(&["pack", "build", &v.arg("."), "--out", &pack], "red_below");
    assert!(!v.path("p.vpack").exists());
    v.write("weighted-health.defaults.json", br#"{"red_below": 65}"#);
    std::fs::remove_file(v.path("build/lifecycle_segments.wasm")).unwrap();
    v.refused(
        &["pack", "build", &v.arg("."), "--out", &pack],
        "pack.toml: plugins[1].wasm: no such file build/lifecycle_segments.wasm",
    );
}

#[test]
fn a_python_plugin_folder_is_built_into_a_signed_pack() {
    let v = Vendor::new();
    let source = v.arg("py-health");
    v.ok(&[
        "plugin",
        "new",
        "--lang",
        "python",
        "health-model",
        "py-health",
        "--dir",
        &source,
    ]);
    v.write(
        "pack.toml",
        br#"[pack]
name = "py-pack"
version = "0.1.0"
vendor = "Acme Analytics"

[[plugins]]
source = "py-health"
"#,
    );
    let key_id = v.keygen("acme");
    let pack = v.arg("py-pack-0.1.0.vpack");
    let built = v.ok(&[
        "pack",
        "build",
        &v.arg("."),
        "--out",
        &pack,
        "--key",
        &v.arg("keys/acme.key"),
    ]);
    assert!(
        built.stdout.contains("py-health 0.1.0 health-model")
            && built.stdout.contains(&format!("(signed by {key_id})")),
        "{}",
        built.stdout
    );
    v.ok(&["pack", "verify", &pack, "--trust", &v.arg("keys/acme.pub")]);
    let read = read_pack(&v.path("py-pack-0.1.0.vpack"));
    let component = read.component("py-health").unwrap();
    assert!(
        component.len() > 1_000_000,
        "a Python component carries its interpreter"
    );
    // The scaffold's README travels with it.
    assert!(read.readme("py-health").is_some() == source_has_readme(&v.path("py-health")));
    assert_eq!(read.manifest.plugins[0].kind.to_string(), "health-model");
}

fn source_has_readme(dir: &Path) -> bool {
    dir.join("README.md").exists()
}
