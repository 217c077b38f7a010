//! `vitals key`: the operator's key (local store only) and tenant keys
//! (locally or on a server with the operator key). A key's secret is shown
//! once, when issued; only its hash is stored.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, outln, print_json};
use crate::client::Client;
use crate::service::keys;
use crate::service::{IssueKey, IssuedKey, KeyInfo};
use crate::store::Role;
use std::path::PathBuf;

/// `vitals key ...`.
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Issues an operator key on the local store (creates tenants, sets
    /// limits, issues tenant keys). Printed once.
    Operator {
        /// Who or what will use it.
        #[arg(long, default_value = "operator")]
        label: String,
        /// Write the key to this new file (mode 0600) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Issues a tenant key (printed once).
    Issue {
        /// The tenant.
        tenant: String,
        /// `admin` (ingest, plugins, runs) or `viewer` (read).
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Who or what will use it.
        #[arg(long, default_value = "")]
        label: String,
        /// Write the key to this new file (mode 0600) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A tenant's keys (ids and labels, never secrets).
    List {
        /// The tenant.
        tenant: String,
    },
    /// Revokes a tenant key.
    Revoke {
        /// The tenant.
        tenant: String,
        /// The key id.
        id: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    match s {
        "admin" => Ok(Role::Admin),
        "viewer" => Ok(Role::Viewer),
        _ => Err(format!("{s:?} is not admin or viewer")),
    }
}

fn print_issued(ctx: &Ctx, k: &IssuedKey, out: Option<KeyFile>) -> Result<(), CliError> {
    if let Some(KeyFile(path, mut file)) = out {
        use std::io::Write;
        writeln!(file, "{}", k.key)
            .and_then(|()| file.sync_all())
            .map_err(|e| CliError::internal(format!("--out {}: {e}", path.display())))?;
        if ctx.format == Format::Json {
            let mut v = serde_json::to_value(k).expect("serialisable");
            v["key"] = serde_json::Value::Null;
            v["key_file"] = path.display().to_string().into();
            print_json(&v);
        } else {
            eprintln!("key {} issued and written to {}", k.id, path.display());
        }
    } else if ctx.format == Format::Json {
        print_json(k);
    } else {
        outln!("{}", k.key);
        eprintln!("key {} issued; this is the only time it is shown", k.id);
    }
    Ok(())
}

/// The `--out` file, opened before the key is issued (a key issued and
/// then not writable would be lost).
struct KeyFile(PathBuf, std::fs::File);

/// Creates the key file only its owner can read: created 0600 (not
/// chmod-ed after, which would leave a moment at the umask's mode), and
/// never over an existing file (which may be another key, or a link).
fn key_file(path: Option<PathBuf>) -> Result<Option<KeyFile>, CliError> {
    let Some(path) = path else { return Ok(None) };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .map_err(|e| CliError::bad(format!("--out {}: {e}", path.display())))?;
    Ok(Some(KeyFile(path, file)))
}

pub fn run(ctx: &Ctx, cmd: KeyCommand) -> Result<(), CliError> {
    let remote = match &ctx.server {
        Some((url, key)) => Some(Client::new(url, key)?),
        None => None,
    };
    match cmd {
        KeyCommand::Operator { label, out } => {
            ctx.local_only("key operator")?;
            let out = key_file(out)?;
            let store = ctx.store()?;
            print_issued(ctx, &keys::issue(&store, None, None, &label)?, out)?;
        }
        KeyCommand::Issue {
            tenant,
            role,
            label,
            out,
        } => {
            let out = key_file(out)?;
            let k = match &remote {
                Some(c) => c.issue_key(
                    &tenant,
                    &IssueKey {
                        role,
                        label: Some(label),
                    },
                )?,
                None => keys::issue(&ctx.store()?, Some(&tenant), Some(role), &label)?,
            };
            print_issued(ctx, &k, out)?;
        }
        KeyCommand::List { tenant } => {
            let list: Vec<KeyInfo> = match &remote {
                Some(c) => c.keys(&tenant)?,
                None => keys::list(&ctx.store()?, Some(&tenant))?,
            };
            if ctx.format == Format::Json {
                print_json(&list);
                return Ok(());
            }
            let mut t = Table::new(vec!["id", "role", "label", "issued (unix ms)"]);
            for k in list {
                t.row(vec![
                    k.id,
                    k.role
                        .map(|r| format!("{r:?}").to_lowercase())
                        .unwrap_or_default(),
                    k.label,
                    k.created_ms.to_string(),
                ]);
            }
            t.print(ctx.format);
        }
        KeyCommand::Revoke { tenant, id } => {
            match &remote {
                Some(c) => c.revoke_key(&tenant, &id)?,
                None => {
                    if !ctx.store()?.revoke_key(Some(&tenant), &id)? {
                        return Err(CliError::bad(format!("key {id:?} not found")));
                    }
                }
            }
            if ctx.format == Format::Json {
                print_json(&serde_json::json!({"revoked": id}));
            } else {
                outln!("key {id} revoked");
            }
        }
    }
    Ok(())
}
