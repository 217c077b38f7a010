//! `vitals init` and `vitals tenant`.

use super::context::{CliError, Ctx};
use super::output::{Format, Table, print_json};
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
    let store = ctx.store()?;
    match store.create_tenant(&ctx.tenant, args.name.as_deref().unwrap_or(&ctx.tenant)) {
        Ok(_) => println!(
            "created store {} with tenant {}",
            ctx.data_dir.display(),
            ctx.tenant
        ),
        Err(StoreError::Invalid(m)) if m.contains("already exists") => {
            println!(
                "store {} already has tenant {}",
                ctx.data_dir.display(),
                ctx.tenant
            )
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

pub fn run(ctx: &Ctx, cmd: TenantCommand) -> Result<(), CliError> {
    let store = ctx.store()?;
    match cmd {
        TenantCommand::Create { id, name } => {
            let t = store.create_tenant(&id, name.as_deref().unwrap_or(&id))?;
            if ctx.format == Format::Json {
                print_json(&t);
            } else {
                println!("created tenant {}", t.id);
            }
        }
        TenantCommand::List => {
            let tenants = store.tenants()?;
            if ctx.format == Format::Json {
                print_json(&tenants);
                return Ok(());
            }
            let mut t = Table::new(vec!["tenant", "name", "accounts"]);
            for tenant in tenants {
                let n = store.account_count(&tenant.id)?;
                t.row(vec![tenant.id, tenant.name, n.to_string()]);
            }
            t.print(ctx.format);
        }
        TenantCommand::Limits { id, set, clear } => {
            let operator = ctx.host_config()?.limits;
            if clear {
                store.set_tenant_limits(&id, None)?;
            } else if let Some(json) = set {
                // Keys left out keep the operator's value.
                let mut value = serde_json::to_value(operator).expect("limits serialise");
                let given: serde_json::Value = serde_json::from_str(&json)
                    .map_err(|e| CliError::bad(format!("--set: {e}")))?;
                let Some(given) = given.as_object() else {
                    return Err(CliError::bad("--set: expected a JSON object of limits"));
                };
                for (k, v) in given {
                    value[k] = v.clone();
                }
                let limits: crate::runtime::Limits = serde_json::from_value(value)
                    .map_err(|e| CliError::bad(format!("--set: {e}")))?;
                store.set_tenant_limits(&id, Some(limits))?;
            }
            let tenant = store.tenant(&id)?;
            let effective = tenant.limits.unwrap_or(operator).capped_by(&operator);
            if ctx.format == Format::Json {
                print_json(&effective);
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&effective).expect("limits serialise")
                );
            }
        }
    }
    Ok(())
}
