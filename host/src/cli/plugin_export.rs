//! `vitals plugin export NAME --out FILE`: a stored component back as a
//! file, byte for byte (its sha-256 is checked against the stored hash
//! before anything is written), locally or from a server.

use super::context::{CliError, Ctx};
use super::output::{Format, outln, print_json};
use crate::service::Api;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of `vitals plugin export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Plugin name.
    name: String,
    /// Version (default: the active one).
    #[arg(long)]
    version: Option<String>,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// Overwrite FILE if it exists (otherwise an existing file is refused).
    #[arg(long)]
    force: bool,
}

pub fn export(ctx: &Ctx, api: &dyn Api, args: ExportArgs) -> Result<(), CliError> {
    // Said before the download, and again (atomically) when writing.
    if !args.force && args.out.exists() {
        return Err(exists(&args.out));
    }
    let component = api.export_plugin(&ctx.tenant, &args.name, args.version.as_deref())?;
    let p = &component.plugin;
    let hash = crate::runtime::content_hash(&component.bytes);
    if hash != p.hash {
        return Err(CliError::internal(format!(
            "{} {}: the bytes received have sha-256 {hash}, not the stored {}; nothing was written",
            p.name, p.version, p.hash
        )));
    }
    write(&args.out, &component.bytes, args.force)?;
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "name": p.name,
            "version": p.version,
            "kind": p.kind.to_string(),
            "hash": p.hash,
            "bytes": component.bytes.len(),
            "out": args.out,
        }));
    } else {
        outln!(
            "exported {} {} ({}, sha-256 {}, {} bytes) to {}",
            p.name,
            p.version,
            p.kind,
            &p.hash[..12],
            component.bytes.len(),
            args.out.display()
        );
    }
    Ok(())
}

fn exists(out: &Path) -> CliError {
    CliError::bad(format!("--out {}: the file exists", out.display()))
        .hint("pass --force to overwrite it, or choose another file")
}

/// Writes `bytes` to `out`: a new file only (unless `force`), whole or not
/// at all (a temporary file beside it, renamed into place).
fn write(out: &Path, bytes: &[u8], force: bool) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::bad(format!("--out {}: {e}", out.display()));
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(io)?;
    if force {
        tmp.persist(out).map_err(|e| io(e.error))?;
    } else {
        // Fails if the file appeared since the check above.
        tmp.persist_noclobber(out).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                exists(out)
            } else {
                io(e.error)
            }
        })?;
    }
    Ok(())
}
