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
    }
    Ok(())
}
