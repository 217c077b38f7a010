//! `vitals pack build|keygen|sign|verify`: a vendor's side of packs, on
//! files only (no store): build a `.vpack` from a folder holding
//! `pack.toml`, make a minisign key pair, sign a pack, verify one against
//! trusted keys.

use super::context::{CliError, Ctx, today};
use super::output::{Format, outln, print_json, warn};
use crate::contract::PluginMetadata;
use crate::pack::{self, BuildTools, PackArchive, PackError, PackLimits, PublicKey};
use crate::runtime::Runtime;
use std::path::{Path, PathBuf};

/// Where `pack sign` and `pack build --key` find an encrypted key's password.
const PASSWORD_ENV: &str = "VITALS_PACK_KEY_PASSWORD";

/// `vitals pack ...` (the file commands).
#[derive(Debug, clap::Subcommand)]
pub enum PackCommand {
    /// Build a pack from a folder holding pack.toml; every component and
    /// default configuration is validated first.
    Build {
        /// The folder holding pack.toml.
        dir: PathBuf,
        /// The pack file to write (conventionally NAME-VERSION.vpack).
        #[arg(long)]
        out: PathBuf,
        /// Sign it with this minisign secret key.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Make a signing key pair: DIR/NAME.pub (give it to operators) and
    /// DIR/NAME.key (secret, mode 0600).
    Keygen {
        /// The folder to write the key files in.
        #[arg(long)]
        out: PathBuf,
        /// The key files' name.
        #[arg(long, default_value = "vitals-pack")]
        name: String,
    },
    /// Sign a pack (its manifest, byte for byte) with a minisign secret key,
    /// rewriting the file. An encrypted key's password is read from
    /// VITALS_PACK_KEY_PASSWORD.
    Sign {
        /// The pack file.
        file: PathBuf,
        /// The minisign secret key file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Check a pack: every file against its manifest, and the manifest's
    /// signature against trusted keys. Exits 0 when good, 2 otherwise.
    Verify {
        /// The pack file.
        file: PathBuf,
        /// A trusted public key file (minisign .pub), or the key's base64
        /// line; repeatable.
        #[arg(long, required = true)]
        trust: Vec<String>,
    },
    /// A tenant's packs and the operator's trust (`install`, `upgrade`, ...).
    #[command(flatten)]
    Tenant(super::pack_tenant::PackTenantCommand),
}

pub fn run(ctx: &Ctx, cmd: PackCommand) -> Result<(), CliError> {
    match cmd {
        PackCommand::Build { dir, out, key } => build(ctx, &dir, &out, key.as_deref()),
        PackCommand::Keygen { out, name } => keygen(ctx, &out, &name),
        PackCommand::Tenant(c) => super::pack_tenant::run(ctx, c),
        PackCommand::Sign { file, key } => {
            let mut archive = read_pack(&file)?;
            sign_with(&mut archive, &key)?;
            write_atomically(&file, &archive)?;
            let key_id = pack::signature_key_id(archive.signature.as_deref().unwrap_or_default())
                .map_err(pack_error)?;
            if ctx.format == Format::Json {
                print_json(&serde_json::json!({
                    "file": file, "name": archive.manifest.pack.name,
                    "version": archive.manifest.pack.version, "key_id": key_id,
                }));
            } else {
                outln!("signed {} with key {key_id}", file.display());
            }
            Ok(())
        }
        PackCommand::Verify { file, trust } => {
            // Whatever goes wrong, verify answers 2: not a good pack.
            verify(ctx, &file, &trust).map_err(|e| CliError {
                bad_input: true,
                ..e
            })
        }
    }
}

/// A pack error for the CLI: the pack or the input is bad (exit 2), unless
/// reading or writing failed.
fn pack_error(e: PackError) -> CliError {
    match e {
        PackError::Io(_) => CliError::internal(e.to_string()),
        _ => CliError::bad(e.to_string()),
    }
}

/// Reads and checks a pack file, naming it in any error.
fn read_pack(path: &Path) -> Result<PackArchive, CliError> {
    let file =
        std::fs::File::open(path).map_err(|e| CliError::bad(format!("{}: {e}", path.display())))?;
    PackArchive::read(file, &PackLimits::default())
        .map_err(|e| CliError::bad(format!("{}: {e}", path.display())))
}

/// Writes through a temporary file in the same folder, renamed over `path`:
/// a reader never sees half a pack, and a failure leaves the old file.
fn write_atomically(path: &Path, archive: &PackArchive) -> Result<(), CliError> {
    let failed = |e: &dyn std::fmt::Display| CliError::internal(format!("{}: {e}", path.display()));
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(folder).map_err(|e| failed(&e))?;
    archive.write(&mut tmp).map_err(|e| failed(&e))?;
    tmp.as_file().sync_all().map_err(|e| failed(&e))?;
    tmp.persist(path).map_err(|e| failed(&e.error))?;
    Ok(())
}

fn sign_with(archive: &mut PackArchive, key: &Path) -> Result<(), CliError> {
    let text = std::fs::read_to_string(key)
        .map_err(|e| CliError::bad(format!("--key {}: {e}", key.display())))?;
    let password = std::env::var(PASSWORD_ENV).ok();
    pack::sign(archive, &text, password.as_deref()).map_err(|e| {
        let err = CliError::bad(format!("--key {}: {e}", key.display()));
        if matches!(&e, PackError::Key(m) if m.contains("encrypted")) {
            err.hint(format!("set {PASSWORD_ENV} to the key's password"))
        } else {
            err
        }
    })
}

fn build(ctx: &Ctx, dir: &Path, out: &Path, key: Option<&Path>) -> Result<(), CliError> {
    let mut tools = CliTools {
        runtime: ctx.runtime()?,
    };
    let mut archive = pack::build(dir, &mut tools).map_err(pack_error)?;
    if let Some(key) = key {
        sign_with(&mut archive, key)?;
    }
    write_atomically(out, &archive)?;
    let signed_by = match &archive.signature {
        Some(s) => Some(pack::signature_key_id(s).map_err(pack_error)?),
        None => None,
    };
    let m = &archive.manifest;
    let plugins: Vec<_> = m
        .plugins
        .iter()
        .map(|p| {
            let sha256 = m.file(&p.component).map(|f| f.sha256.clone());
            (p, sha256.unwrap_or_default())
        })
        .collect();
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "file": out,
            "name": m.pack.name,
            "version": m.pack.version,
            "signed_by": signed_by,
            "plugins": plugins.iter().map(|(p, sha256)| serde_json::json!({
                "name": p.name, "version": p.version, "kind": p.kind, "sha256": sha256,
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    outln!(
        "built {} {} -> {} ({})",
        m.pack.name,
        m.pack.version,
        out.display(),
        match &signed_by {
            Some(k) => format!("signed by {k}"),
            None => "unsigned".into(),
        }
    );
    for (p, sha256) in plugins {
        outln!("  {} {} {} {}", p.name, p.version, p.kind, sha256);
    }
    Ok(())
}

fn keygen(ctx: &Ctx, dir: &Path, name: &str) -> Result<(), CliError> {
    pack::check_name(name).map_err(|why| CliError::bad(format!("--name: {why}")))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::bad(format!("--out {}: {e}", dir.display())))?;
    let public_path = dir.join(format!("{name}.pub"));
    let secret_path = dir.join(format!("{name}.key"));
    for path in [&public_path, &secret_path] {
        if path.exists() {
            return Err(CliError::bad(format!(
                "{} already exists: a key is never overwritten",
                path.display()
            ))
            .hint("choose another --name or --out"));
        }
    }
    let keys = pack::keygen(&format!("vitals pack secret key {name}")).map_err(pack_error)?;
    // The secret key is created 0600 (never chmod-ed after) and never over
    // an existing file; the public one is created after it, and a failure
    // there takes the secret key back.
    write_new(&secret_path, &keys.secret, 0o600)?;
    if let Err(e) = write_new(&public_path, &keys.public, 0o644) {
        let _ = std::fs::remove_file(&secret_path);
        return Err(e);
    }
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "key_id": keys.key_id, "public": public_path, "secret": secret_path,
        }));
    } else {
        outln!("{}", keys.key_id);
        eprintln!(
            "key {} written to {} (give it to operators) and {} (keep it secret)",
            keys.key_id,
            public_path.display(),
            secret_path.display()
        );
    }
    Ok(())
}

fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .map_err(|e| CliError::bad(format!("{}: {e}", path.display())))
}

/// A `--trust` argument: a `.pub` file, or a bare key line.
fn trusted_key(arg: &str) -> Result<PublicKey, CliError> {
    let text = match std::fs::read_to_string(arg) {
        Ok(text) => text,
        Err(e) => {
            return PublicKey::parse(arg).map_err(|_| CliError::bad(format!("--trust {arg}: {e}")));
        }
    };
    PublicKey::parse(&text).map_err(|e| CliError::bad(format!("--trust {arg}: {e}")))
}

fn verify(ctx: &Ctx, file: &Path, trust: &[String]) -> Result<(), CliError> {
    let trusted = trust
        .iter()
        .map(|t| trusted_key(t))
        .collect::<Result<Vec<_>, _>>()?;
    let archive = read_pack(file)?;
    let key_id = pack::verify(&archive, &trusted)
        .map_err(|e| CliError::bad(format!("{}: {e}", file.display())))?;
    let m = &archive.manifest.pack;
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "ok": true, "file": file, "name": m.name, "version": m.version, "key_id": key_id,
        }));
    } else {
        outln!("ok: {} {} signed by {key_id}", m.name, m.version);
    }
    Ok(())
}

/// Building plugin folders as `vitals plugin build` does, and validating
/// components as `vitals plugin add` does, with the operator's limits.
struct CliTools {
    runtime: Runtime,
}

impl BuildTools for CliTools {
    fn build_source(&mut self, dir: &Path) -> Result<Vec<u8>, String> {
        // Built into a folder of its own: the vendor's tree is left as it was.
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = tmp.path().join("component.wasm");
        super::plugin_build::build_folder(dir, Some(out.clone()), None).map_err(|e| {
            match e.hint {
                Some(h) => format!("{} ({h})", e.message),
                None => e.message,
            }
        })?;
        std::fs::read(&out).map_err(|e| e.to_string())
    }

    fn validate(
        &mut self,
        component: &[u8],
        defaults: &serde_json::Value,
    ) -> Result<PluginMetadata, String> {
        let (plugin, unchecked) =
            self.runtime
                .load_with_defaults(component, &defaults.to_string(), today())?;
        if let Some(why) = unchecked {
            warn(&format!(
                "{}: could not check its default configuration: {why}",
                plugin.metadata.name
            ));
        }
        Ok(plugin.metadata.clone())
    }
}
