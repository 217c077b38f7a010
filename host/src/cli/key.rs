//! `vitals key`: the operator's key (local store only) and tenant keys
//! (locally or on a server with the operator key). A key's secret is shown
//! once, when issued; only its hash is stored.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, outln, print_json};
use crate::client::Client;
use crate::service::keys;
use crate::service::{IssueKey, IssuedKey, KeyInfo};
use crate::store::Role;

/// `vitals key ...`.
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Issues an operator key on the local store (creates tenants, sets
    /// limits, issues tenant keys). Printed once.
    Operator {
        /// Who or what will use it.
        #[arg(long, default_value = "operator")]
        label: String,
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

fn print_issued(ctx: &Ctx, k: &IssuedKey) {
    if ctx.format == Format::Json {
        print_json(k);
    } else {
        outln!("{}", k.key);
        eprintln!("key {} issued; this is the only time it is shown", k.id);
    }
}

pub fn run(ctx: &Ctx, cmd: KeyCommand) -> Result<(), CliError> {
    let remote = match &ctx.server {
        Some((url, key)) => Some(Client::new(url, key)?),
        None => None,
    };
    match cmd {
        KeyCommand::Operator { label } => {
            ctx.local_only("key operator")?;
            let store = ctx.store()?;
            print_issued(ctx, &keys::issue(&store, None, None, &label)?);
        }
        KeyCommand::Issue {
            tenant,
            role,
            label,
        } => {
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
            print_issued(ctx, &k);
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
            outln!("key {id} revoked");
        }
    }
    Ok(())
}
