//! `vitals plugin build` and `vitals plugin test`: build a plugin folder
//! (any language, per its `vitals-plugin.toml`) into a component, checked by
//! the runtime as `vitals plugin add` would check it, and run its own unit
//! tests. Python and JavaScript toolchains are installed on first use into
//! `$VITALS_TOOLCHAINS` (default `~/.cache/vitals/toolchains`).

use super::context::{CliError, Ctx};
use super::output::{Format, outln, print_json};
use std::path::{Path, PathBuf};
use std::time::Instant;
use vitals_polyglot_build::{JsEngine, Manifest, Toolchains};

/// Options of `vitals plugin build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The plugin folder (default: the current one).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Where to write the component (default: DIR/build/NAME.wasm).
    #[arg(long)]
    out: Option<PathBuf>,
    /// JavaScript: build with this engine instead of the manifest's
    /// (quickjs or starlingmonkey).
    #[arg(long)]
    engine: Option<String>,
}

/// Options of `vitals plugin test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The plugin folder (default: the current one).
    #[arg(default_value = ".")]
    dir: PathBuf,
}

fn tool_error(e: vitals_polyglot_build::Error) -> CliError {
    let err = CliError::bad(e.message);
    match e.hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

/// `vitals plugin build`. The time it reports is the whole command's:
/// reading the manifest, installing a toolchain on first use, the build
/// itself, and the checks `plugin add` makes (for a Python component,
/// compiling its 18 MB takes longer than building it); it used to leave
/// the checks out and so reported well under half of a 23 s command.
pub fn build(ctx: &Ctx, args: BuildArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let engine = args
        .engine
        .as_deref()
        .map(JsEngine::parse)
        .transpose()
        .map_err(tool_error)?;
    let build_started = Instant::now();
    let (m, out) = build_folder(&args.dir, args.out, engine)?;
    let build_time = build_started.elapsed();
    let check_started = Instant::now();
    let bytes = std::fs::read(&out)?;
    // The checks `vitals plugin add` makes, now rather than at upload; this
    // also compiles the component into the data dir's cache. The runtime
    // is dropped (its pool unmapped) inside the measure too.
    let plugin = {
        let runtime = ctx.runtime()?;
        runtime
            .load(&bytes)
            .map_err(|e| CliError::bad(format!("{} built, but: {e}", out.display())))?
    };
    let check_time = check_started.elapsed();
    if plugin.metadata.name != m.name {
        return Err(CliError::bad(format!(
            "the plugin reports the name {:?} but {} says {:?}",
            plugin.metadata.name,
            vitals_polyglot_build::MANIFEST,
            m.name
        ))
        .hint("make them the same"));
    }
    let total = started.elapsed();
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "name": plugin.metadata.name,
            "version": plugin.metadata.version,
            "kind": plugin.kind.to_string(),
            "lang": m.lang.name(),
            "component": out,
            "bytes": bytes.len(),
            "seconds": total.as_secs_f64(),
            "build_seconds": build_time.as_secs_f64(),
            "check_seconds": check_time.as_secs_f64(),
        }));
    } else {
        outln!(
            "built {} {} ({} {}) -> {} ({:.1} MB) in {:.1} s (build {:.1} s, checks and compile {:.1} s)",
            plugin.metadata.name,
            plugin.metadata.version,
            m.lang.name(),
            plugin.kind,
            out.display(),
            bytes.len() as f64 / 1e6,
            total.as_secs_f64(),
            build_time.as_secs_f64(),
            check_time.as_secs_f64()
        );
    }
    Ok(())
}

/// Builds the plugin folder `dir` (per its manifest, any language) into a
/// component at `out` (default `DIR/build/NAME.wasm`), as `vitals plugin
/// build` and `vitals pack build` do; returns the manifest and the
/// component's path. Checking the component is the caller's.
pub fn build_folder(
    dir: &Path,
    out: Option<PathBuf>,
    engine: Option<JsEngine>,
) -> Result<(Manifest, PathBuf), CliError> {
    let m = Manifest::read(dir).map_err(tool_error)?;
    let out = out.unwrap_or_else(|| dir.join("build").join(m.component_file_name()));
    // On stderr: a first build installs a toolchain or compiles
    // dependencies, and is silent for a while.
    eprintln!(
        "building {} ({} {}) from {} ...",
        m.name,
        m.lang.name(),
        m.kind,
        m.dir.display()
    );
    vitals_polyglot_build::build(&m, &out, &Toolchains::user_default(), engine)
        .map_err(tool_error)?;
    Ok((m, out))
}

pub fn test(args: TestArgs) -> Result<(), CliError> {
    let m = Manifest::read(&args.dir).map_err(tool_error)?;
    let output =
        vitals_polyglot_build::test(&m, &Toolchains::user_default()).map_err(tool_error)?;
    super::output::write_stdout(format_args!("{output}"));
    outln!("the tests of {} passed", m.name);
    Ok(())
}
