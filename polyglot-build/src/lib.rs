//! # vitals-polyglot-build
//!
//! Builds Vitals plugins written in Python or JavaScript into WebAssembly
//! components on the same WIT contract as the Rust ones, with no toolchain
//! to install by hand: componentize-py 0.25 goes into a virtual environment,
//! componentize-qjs (QuickJS) and componentize-js (StarlingMonkey) into a
//! `node_modules`, both pinned and cached ([`Toolchains`]). Each plugin
//! folder has a `vitals-plugin.toml` ([`Manifest`]) saying its kind,
//! language and entry point. Used by `vitals plugin build` / `vitals plugin
//! test` and, from build scripts, by the test tooling ([`build_for_cargo`]).
//! Needs `python3` (with venv) and `node` / `npm` on the machine.
//!
//! ```no_run
//! // build.rs
//! let built = vitals_polyglot_build::build_for_cargo(&["plugins/python/adoption-health"]);
//! println!("cargo:rustc-env=ADOPTION_HEALTH_WASM={}", built[0].1.display());
//! ```

mod compile;
mod manifest;
mod toolchain;

pub use compile::{RUST_TARGET, build, test};
pub use manifest::{JsEngine, KINDS, Lang, MANIFEST, Manifest};
pub use toolchain::{Js, Python, Toolchains, node};

use std::path::{Path, PathBuf};

/// A failure to install a toolchain, build or test, with what to do about it.
#[derive(Debug, Clone)]
pub struct Error {
    /// What failed, with the tool's own output.
    pub message: String,
    /// What to do about it, when known.
    pub hint: Option<String>,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// From a build script: builds each plugin folder (relative to the
/// workspace root) into `OUT_DIR` and returns `(plugin name, component)`.
/// Toolchains are cached in the target folder (`<target>/vitals-toolchains`,
/// or `$VITALS_TOOLCHAINS`), so a fresh clone installs them once and later
/// builds reuse them. A JavaScript folder may be given as `DIR@ENGINE` to
/// build it with another engine (the file then ends in `-ENGINE.wasm`).
/// Panics with the tool's message on failure: a build script has no better
/// way to stop.
pub fn build_for_cargo(folders: &[&str]) -> Vec<(String, PathBuf)> {
    let out_dir =
        PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR: run from a build script"));
    let workspace = workspace_root();
    let tools = cargo_toolchains(&out_dir);
    println!("cargo:rerun-if-changed={}", workspace.join("wit").display());
    println!("cargo:rerun-if-env-changed=VITALS_TOOLCHAINS");
    // One thread a plugin: the tools are mostly single-threaded.
    std::thread::scope(|scope| {
        let jobs: Vec<_> = folders
            .iter()
            .map(|spec| {
                let (folder, engine) = match spec.split_once('@') {
                    Some((f, e)) => (
                        f,
                        Some(JsEngine::parse(e).unwrap_or_else(|e| panic!("{e}"))),
                    ),
                    None => (*spec, None),
                };
                let dir = workspace.join(folder);
                println!("cargo:rerun-if-changed={}", dir.display());
                let m = Manifest::read(&dir).unwrap_or_else(|e| panic!("{e}"));
                for modules in &m.modules {
                    println!("cargo:rerun-if-changed={}", dir.join(modules).display());
                }
                let stem = m.name.replace('-', "_");
                let file = match engine {
                    Some(e) => format!("{stem}-{}.wasm", e.name()),
                    None => format!("{stem}.wasm"),
                };
                let out = out_dir.join("polyglot").join(file);
                let tools = &tools;
                scope.spawn(move || build(&m, &out, tools, engine).map(|()| (m.name, out)))
            })
            .collect();
        jobs.into_iter()
            .map(|job| {
                job.join()
                    .expect("build thread")
                    .unwrap_or_else(|e| panic!("{e}"))
            })
            .collect()
    })
}

/// The toolchain cache of a build script: `$VITALS_TOOLCHAINS`, else
/// `vitals-toolchains` in the cargo target folder that holds `out_dir`.
pub fn cargo_toolchains(out_dir: &Path) -> Toolchains {
    if let Some(dir) = std::env::var_os("VITALS_TOOLCHAINS") {
        return Toolchains::at(dir);
    }
    // OUT_DIR is <target>/<profile>/build/<package>-<hash>/out.
    let target = out_dir
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "build"))
        .and_then(|build| build.parent())
        .and_then(|profile| profile.parent())
        .unwrap_or(out_dir);
    Toolchains::at(target.join("vitals-toolchains"))
}

/// The workspace root: the nearest ancestor of the calling crate holding `wit/`.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("wit").is_dir() && d.join("Cargo.lock").exists())
        .unwrap_or_else(|| panic!("no workspace root with wit/ above {}", manifest.display()))
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolchain_cache_sits_in_the_target_folder() {
        if std::env::var_os("VITALS_TOOLCHAINS").is_some() {
            return;
        }
        let out = Path::new("/w/target/release/build/vitals-e2e-0123/out");
        assert_eq!(
            cargo_toolchains(out).root(),
            Path::new("/w/target/vitals-toolchains")
        );
    }
}
