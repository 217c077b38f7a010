//! `vitals init` and `vitals tenant`.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, outln, print_json};
use crate::service::{CreateTenant, LimitsPatch};
use crate::store::StoreError;

/// Options of `vitals init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Display name of the tenant.
    #[arg(long)]
    name: Option<String>,
}

/// `vitals tenant ...`.
#[derive(Debug, clap::Subcommand)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Id: lowercase letters, digits and '-'.
        id: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants.
    List,
    /// Delete a tenant (operator) and every record of it: accounts,
    /// snapshots, outcomes, plugins, runs, results, shadow reports, its
    /// audit log, keys and limits. Cannot be undone; the operator's audit
    /// log (`vitals audit --operator`) keeps that it happened.
    Delete {
        /// The tenant.
        id: String,
        /// Confirms: without it, the id is asked for on a terminal.
        #[arg(long)]
        yes: bool,
    },
    /// Show or set (operator) a tenant's limits; they can only lower the
    /// operator's (configuration file), never raise them.
    Limits {
        /// The tenant.
        id: String,
        /// Limits as JSON, e.g. `{"fuel": 100000000}`; keys left out keep the operator's.
        #[arg(long, conflicts_with = "clear")]
        set: Option<String>,
        /// Go back to the operator's limits.
        #[arg(long)]
        clear: bool,
    },
}

pub fn init(ctx: &Ctx, args: InitArgs) -> Result<(), CliError> {
    ctx.local_only("init")?;
    let store = ctx.store()?;
    let created =
        match store.create_tenant(&ctx.tenant, args.name.as_deref().unwrap_or(&ctx.tenant)) {
            Ok(_) => true,
            Err(StoreError::Conflict(_)) => false,
            Err(e) => return Err(e.into()),
        };
    if ctx.format == Format::Json {
        print_json(&serde_json::json!({
            "data_dir": ctx.data_dir.display().to_string(),
            "tenant": ctx.tenant,
            "created": created,
        }));
    } else if created {
        outln!(
            "created store {} with tenant {}",
            ctx.data_dir.display(),
            ctx.tenant
        );
    } else {
        outln!(
            "store {} already has tenant {}",
            ctx.data_dir.display(),
            ctx.tenant
        );
    }
    Ok(())
}

pub fn run(ctx: &Ctx, cmd: TenantCommand) -> Result<(), CliError> {
    let api = ctx.api()?;
    match cmd {
        TenantCommand::Create { id, name } => {
            let t = api.create_tenant(&CreateTenant { id, name })?;
            if ctx.format == Format::Json {
                print_json(&t);
            } else {
                outln!("created tenant {}", t.id);
            }
        }
        TenantCommand::List => {
            let tenants = api.tenants()?;
            if ctx.format == Format::Json {
                print_json(&tenants);
                return Ok(());
            }
            let mut t = Table::new(vec!["tenant", "name", "accounts"]);
            for tenant in tenants {
                t.row(vec![tenant.id, tenant.name, tenant.accounts.to_string()]);
            }
            t.print(ctx.format);
        }
        TenantCommand::Delete { id, yes } => {
            super::audit::confirm(
                yes,
                "tenant",
                &id,
                "every account, snapshot, outcome, plugin, run, result and key of it",
            )?;
            let d = api.delete_tenant(&id)?;
            if ctx.format == Format::Json {
                print_json(&d);
            } else {
                outln!(
                    "Deleted tenant {}: {} account(s), {} snapshot(s), {} outcome(s), {} plugin version(s) ({} component(s) no other tenant uses), {} run(s), {} shadow report(s), {} key(s).",
                    d.tenant,
                    d.accounts,
                    d.snapshots,
                    d.outcomes,
                    d.plugins,
                    d.components,
                    d.runs,
                    d.shadow_reports,
                    d.keys
                );
                outln!(
                    "The operator's audit log keeps that it happened (`vitals audit --operator`)."
                );
            }
        }
        TenantCommand::Limits { id, set, clear } => {
            let effective = if clear {
                api.set_limits(&id, None)?
            } else if let Some(json) = set {
                // Keys left out keep the operator's value.
                let patch: LimitsPatch = serde_json::from_str(&json)
                    .map_err(|e| CliError::bad(format!("--set: {e}")))?;
                api.set_limits(&id, Some(&patch))?
            } else {
                api.limits(&id)?
            };
            if ctx.format == Format::Json {
                print_json(&effective);
            } else {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&effective).expect("limits serialise")
                );
            }
        }
    }
    Ok(())
}
