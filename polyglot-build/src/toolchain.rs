//! The Python and JavaScript toolchains, installed on first use into a cache
//! folder and reused: a virtual environment with componentize-py (exact
//! version, hashes checked) and a `node_modules` from a lock file (`npm ci`).
//! Each lives in a folder named by the hash of what pins it, so a new pin
//! installs beside the old one, and a file lock keeps two builds that start
//! at once from installing into the same folder.

use crate::Error;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What pins the Python toolchain.
pub const REQUIREMENTS: &str = include_str!("../toolchain/requirements.txt");
/// What pins the JavaScript toolchain.
pub const PACKAGE_JSON: &str = include_str!("../toolchain/package.json");
/// Its lock file (exact versions and integrity hashes of every package).
pub const PACKAGE_LOCK: &str = include_str!("../toolchain/package-lock.json");
/// The Node script that calls componentize-qjs or componentize-js.
pub const COMPONENTIZE_MJS: &str = include_str!("../toolchain/componentize.mjs");

/// Marks a finished install: a folder without it was interrupted and is
/// redone. It holds the folder's path, because a virtual environment is not
/// relocatable (its scripts start with the interpreter's absolute path): an
/// install whose folder was moved, with its checkout or target folder, is
/// redone too instead of failing with "did not start".
const DONE: &str = ".installed";

/// Whether `dir` holds an install finished in that very folder.
fn finished(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(DONE)).is_ok_and(|at| at == dir.to_string_lossy())
}

/// The cache of toolchains.
#[derive(Debug, Clone)]
pub struct Toolchains {
    root: PathBuf,
}

/// The Python toolchain: a virtual environment with componentize-py.
#[derive(Debug, Clone)]
pub struct Python {
    /// The environment's interpreter (runs the plugins' unit tests).
    pub python: PathBuf,
    /// The componentize-py command.
    pub componentize_py: PathBuf,
}

/// The JavaScript toolchain: `node_modules` and the componentize script.
#[derive(Debug, Clone)]
pub struct Js {
    /// The folder holding `node_modules` and `componentize.mjs`.
    pub dir: PathBuf,
}

impl Js {
    /// The build script.
    pub fn script(&self) -> PathBuf {
        self.dir.join("componentize.mjs")
    }
}

impl Toolchains {
    /// A cache at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Toolchains { root: root.into() }
    }

    /// The cache for people running `vitals plugin build`: `$VITALS_TOOLCHAINS`,
    /// else `$XDG_CACHE_HOME/vitals/toolchains`, else `~/.cache/vitals/toolchains`.
    pub fn user_default() -> Self {
        if let Some(dir) = std::env::var_os("VITALS_TOOLCHAINS") {
            return Toolchains::at(dir);
        }
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        Toolchains::at(cache.join("vitals").join("toolchains"))
    }

    /// The cache folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Python toolchain, installed first if needed.
    pub fn python(&self) -> Result<Python, Error> {
        let dir = self
            .root
            .join(format!("python-{}", short_hash(&[REQUIREMENTS])));
        let venv = dir.join("venv");
        let tools = Python {
            python: venv.join("bin").join("python"),
            componentize_py: venv.join("bin").join("componentize-py"),
        };
        install_once(&dir, || {
            let python = std::env::var("VITALS_PYTHON").unwrap_or_else(|_| "python3".into());
            let _ = std::fs::remove_dir_all(&venv);
            run(
                Command::new(&python).arg("-m").arg("venv").arg(&venv),
                "create a Python virtual environment",
            )
            .map_err(|e| {
                e.hint("install Python 3.9 or newer with venv and pip (Debian: python3-venv), or set VITALS_PYTHON")
            })?;
            let requirements = dir.join("requirements.txt");
            write(&requirements, REQUIREMENTS)?;
            run(
                Command::new(&tools.python)
                    .args(["-m", "pip", "install", "--quiet", "--no-deps"])
                    .args(["--disable-pip-version-check", "--require-hashes", "-r"])
                    .arg(&requirements),
                "install componentize-py",
            )
        })?;
        Ok(tools)
    }

    /// The JavaScript toolchain, installed first if needed.
    pub fn js(&self) -> Result<Js, Error> {
        let dir = self.root.join(format!(
            "js-{}",
            short_hash(&[PACKAGE_JSON, PACKAGE_LOCK, COMPONENTIZE_MJS])
        ));
        install_once(&dir, || {
            write(&dir.join("package.json"), PACKAGE_JSON)?;
            write(&dir.join("package-lock.json"), PACKAGE_LOCK)?;
            write(&dir.join("componentize.mjs"), COMPONENTIZE_MJS)?;
            // `install` with the lock file present takes every locked
            // version and checks every integrity hash. (`ci` would too, but
            // npm 11 refuses this lock: it lists platform packages of the
            // optional dependencies that npm itself did not record.) No
            // package runs install scripts.
            run(
                Command::new(npm())
                    .current_dir(&dir)
                    .args(["install", "--ignore-scripts", "--no-audit", "--no-fund"])
                    .args(["--no-save", "--loglevel", "error"]),
                "install componentize-js and componentize-qjs with npm",
            )
            .map_err(|e| e.hint("install Node.js 18 or newer with npm"))
        })?;
        Ok(Js { dir })
    }
}

/// The npm command.
fn npm() -> String {
    std::env::var("VITALS_NPM").unwrap_or_else(|_| "npm".into())
}

/// The node command.
pub fn node() -> String {
    std::env::var("VITALS_NODE").unwrap_or_else(|_| "node".into())
}

/// Runs `install` in `dir` unless a finished install is there, holding a
/// file lock so that concurrent builds install once.
fn install_once(dir: &Path, install: impl FnOnce() -> Result<(), Error>) -> Result<(), Error> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("creating {}: {e}", dir.display())))?;
    if finished(dir) {
        return Ok(());
    }
    let lock_path = dir.with_extension("lock");
    let lock = File::create(&lock_path)
        .map_err(|e| Error::new(format!("creating {}: {e}", lock_path.display())))?;
    lock.lock()
        .map_err(|e| Error::new(format!("locking {}: {e}", lock_path.display())))?;
    // Another build may have finished the install while this one waited.
    if finished(dir) {
        return Ok(());
    }
    install()?;
    write(&dir.join(DONE), &dir.to_string_lossy())
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|e| Error::new(format!("writing {}: {e}", path.display())))
}

/// Runs a command to completion; a failure carries its output.
pub(crate) fn run(cmd: &mut Command, what: &str) -> Result<(), Error> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let output = cmd
        .output()
        .map_err(|e| Error::new(format!("could not {what}: `{program}` did not start: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::new(format!(
        "could not {what}: `{program}` failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )))
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_install_is_not_redone_and_a_failed_one_is() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("tool");
        let mut calls = 0;
        let failed = install_once(&dir, || {
            calls += 1;
            Err(Error::new("network down"))
        });
        assert!(failed.is_err());
        install_once(&dir, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        install_once(&dir, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 2);
    }

    #[test]
    fn an_install_moved_to_another_folder_is_redone() {
        let root = tempfile::tempdir().unwrap();
        let (before, after) = (root.path().join("old"), root.path().join("new"));
        let mut calls = 0;
        install_once(&before, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        std::fs::rename(&before, &after).unwrap();
        install_once(&after, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        install_once(&after, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(calls, 2, "redone once in its new folder, then reused");
    }

    #[test]
    fn the_pins_are_exact() {
        assert!(REQUIREMENTS.contains("componentize-py==0.25.1"));
        assert!(REQUIREMENTS.contains("--hash=sha256:"));
        assert!(PACKAGE_LOCK.contains("\"node_modules/componentize-qjs\""));
        assert!(PACKAGE_JSON.contains("\"@bytecodealliance/componentize-js\": \"0.23.0\""));
    }
}
