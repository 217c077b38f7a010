//! Building the peers from source on first use: the Extism plugin and host
//! runner (two cargo projects of their own under `bench/peers/`, each with
//! its committed `Cargo.lock`, built into `<target>/peers/`) and the Python
//! virtual environment (`<target>/peers/python-venv`, pinned versions from
//! `bench/peers/python/requirements.txt`). Later runs reuse them: cargo finds
//! nothing to do, and the environment is kept while its requirements match.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The wasm target the Extism Rust PDK documents for plugins without WASI.
pub const EXTISM_TARGET: &str = "wasm32-unknown-unknown";

/// Where the peers' sources live (`bench/peers/`).
pub fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// `<target>/peers`: the bench binary sits in `<target>/release/`, so the
/// peers share the target dir whatever `CARGO_TARGET_DIR` says.
pub fn output_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("where is the bench binary: {e}"))?;
    exe.ancestors()
        .nth(2)
        .map(|target| target.join("peers"))
        .ok_or_else(|| format!("{} is not inside a target dir", exe.display()))
}

/// The built Extism peer.
pub struct ExtismBuild {
    /// The plugin module.
    pub plugin: PathBuf,
    /// The host runner binary.
    pub runner: PathBuf,
}

/// Cargo for a project outside the workspace: the bench's own build flags
/// and target settings are not for it.
fn cargo(project: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    cmd.current_dir(project)
        .arg("build")
        .arg("--release")
        .arg("--target-dir")
        .arg(target_dir)
        .stdout(Stdio::null());
    cmd
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({status}); the output above says why"
        ))
    }
}

/// Adds the Extism target to the pinned toolchain when it is missing
/// (rustup does not add it by itself here: `RUSTUP_AUTO_INSTALL=0`).
fn ensure_target(project: &Path) -> Result<(), String> {
    let sysroot = Command::new("rustc")
        .current_dir(project)
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("rustc --print sysroot: {e}"))?;
    let root = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if Path::new(&root)
        .join("lib/rustlib")
        .join(EXTISM_TARGET)
        .join("lib")
        .is_dir()
    {
        return Ok(());
    }
    eprintln!("peers: adding the {EXTISM_TARGET} target (rustup target add {EXTISM_TARGET})");
    let mut cmd = Command::new("rustup");
    cmd.current_dir(project)
        .args(["target", "add", EXTISM_TARGET]);
    run(cmd, &format!("rustup target add {EXTISM_TARGET}"))
}

/// Builds (or finds up to date) the Extism plugin and its host runner.
pub fn extism() -> Result<ExtismBuild, String> {
    let src = sources();
    let out = output_dir()?;
    let plugin_project = src.join("extism-plugin");
    let runner_project = src.join("extism-runner");
    ensure_target(&plugin_project)?;
    eprintln!(
        "peers: building the Extism plugin and host runner into {} (the first time takes minutes: the extism crate brings its own wasmtime)",
        out.display()
    );
    let mut plugin = cargo(&plugin_project, &out);
    plugin.args(["--target", EXTISM_TARGET]);
    run(plugin, "building the Extism plugin")?;
    // The runner depends on crates.io only (and our wire crate): its lock
    // must hold. The plugin also builds weighted-health and the SDK from the
    // workspace, whose dependencies move with it: its lock follows them.
    let mut runner = cargo(&runner_project, &out);
    runner.arg("--locked");
    run(runner, "building the Extism runner")?;
    let built = ExtismBuild {
        plugin: out
            .join(EXTISM_TARGET)
            .join("release")
            .join("vitals_peer_extism_plugin.wasm"),
        runner: out.join("release").join("vitals-peer-extism-runner"),
    };
    for file in [&built.plugin, &built.runner] {
        if !file.exists() {
            return Err(format!("the build left no {}", file.display()));
        }
    }
    Ok(built)
}

/// The Python interpreter of the peers' virtual environment, created (or
/// recreated when `requirements.txt` changed) with the pinned packages.
pub fn python_venv() -> Result<PathBuf, String> {
    let requirements_file = sources().join("python").join("requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_file)
        .map_err(|e| format!("{}: {e}", requirements_file.display()))?;
    let venv = output_dir()?.join("python-venv");
    let python = venv.join("bin").join("python");
    // Written last, after a successful install: its content says what is installed.
    let stamp = venv.join("vitals-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&requirements) {
        return Ok(python);
    }
    let base = std::env::var("VITALS_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    eprintln!(
        "peers: creating the Python environment {} with {base} (pandas and numpy, pinned)",
        venv.display()
    );
    if venv.exists() {
        std::fs::remove_dir_all(&venv).map_err(|e| format!("{}: {e}", venv.display()))?;
    }
    let mut create = Command::new(&base);
    create.args(["-m", "venv"]).arg(&venv);
    run(create, &format!("{base} -m venv"))?;
    let mut install = Command::new(&python);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--only-binary=:all:",
            "-r",
        ])
        .arg(&requirements_file)
        .stdout(Stdio::null());
    run(
        install,
        "pip install -r bench/peers/python/requirements.txt",
    )?;
    std::fs::write(&stamp, requirements).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(python)
}
