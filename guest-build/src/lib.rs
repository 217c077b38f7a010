//! # vitals-guest-build
//!
//! Used from build scripts to compile guest crates of this workspace into
//! WebAssembly components (`wasm32-wasip2`, `cdylib`) from source.
//!
//! The nested cargo gets a target dir of its own under `OUT_DIR` (sharing the
//! outer one deadlocks on its lock), the host's `RUSTFLAGS` are removed (they
//! are for the host target), and `rerun-if-changed` covers `wit/`,
//! `plugin-sdk/`, `plugin-sdk-0.1/` and each guest, so an edit to any of
//! them rebuilds.
//!
//! ```no_run
//! // build.rs
//! let built = vitals_guest_build::build(&["weighted-health"]);
//! println!("cargo:rustc-env=WEIGHTED_HEALTH_WASM={}", built[0].1.display());
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// The target guests are built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Builds each named workspace package as a component and returns
/// `(package, path of the .wasm)`. Panics with a one-line hint on failure:
/// a build script has no better way to stop.
pub fn build(packages: &[&str]) -> Vec<(String, PathBuf)> {
    let out_dir =
        PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR: run from a build script"));
    let workspace = workspace_root();
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    for sdk in ["plugin-sdk", "plugin-sdk-0.1"] {
        println!("cargo:rerun-if-changed={}", workspace.join(sdk).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
    ensure_target();
    let target_dir = out_dir.join("guest-target");
    packages
        .iter()
        .map(|package| {
            let dir = package_dir(&workspace, package);
            println!("cargo:rerun-if-changed={}", dir.display());
            build_one(&workspace, &target_dir, package);
            let file = target_dir
                .join(TARGET)
                .join("guest")
                .join(format!("{}.wasm", package.replace('-', "_")));
            assert!(
                file.exists(),
                "guest build of {package} produced no {}",
                file.display()
            );
            (package.to_string(), file)
        })
        .collect()
}

/// The workspace root: the nearest ancestor of the calling crate holding `wit/`.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("wit").is_dir() && d.join("Cargo.lock").exists())
        .unwrap_or_else(|| panic!("no workspace root with wit/ above {}", manifest.display()))
        .to_path_buf()
}

fn package_dir(workspace: &Path, package: &str) -> PathBuf {
    ["plugins", "tests/guests", "bench/guests"]
        .iter()
        .map(|base| workspace.join(base).join(package))
        .find(|d| d.join("Cargo.toml").exists())
        .unwrap_or_else(|| {
            panic!(
                "guest package {package} not found under plugins/, tests/guests/ or bench/guests/"
            )
        })
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // The outer build's flags and target dir are for the host; the guest
    // build must not see them.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output();
    let installed = sysroot.ok().is_some_and(|o| {
        let root = String::from_utf8_lossy(&o.stdout).trim().to_string();
        Path::new(&root)
            .join("lib/rustlib")
            .join(TARGET)
            .join("lib")
            .is_dir()
    });
    if installed {
        return;
    }
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    if !added.is_ok_and(|s| s.success()) {
        panic!("the {TARGET} target is missing: run `rustup target add {TARGET}`");
    }
}

fn build_one(workspace: &Path, target_dir: &Path, package: &str) {
    let output = cargo()
        .current_dir(workspace)
        .args([
            "rustc", "--quiet", "--locked", "-p", package, "--target", TARGET,
        ])
        .args([
            "--profile",
            "guest",
            "--crate-type",
            "cdylib",
            "--target-dir",
        ])
        .arg(target_dir)
        .output()
        .unwrap_or_else(|e| panic!("could not start cargo for guest {package}: {e}"));
    if !output.status.success() {
        panic!(
            "building guest {package} for {TARGET} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
