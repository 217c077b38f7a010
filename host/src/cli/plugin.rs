//! `vitals plugin`: add (validated by the runtime), list, show, activate,
//! roll back and configure (validated against the plugin's schema); and for
//! authors, new / build / test (in `scaffold` and `plugin_build`).

use super::context::{CliError, Ctx};
use super::output::{Format, Table, print_json};
use crate::runtime::content_hash;
use std::path::PathBuf;

/// `vitals plugin ...`.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Create a working plugin of any kind in Rust, Python or JavaScript.
    New(super::scaffold::NewArgs),
    /// Build a plugin folder into a component (toolchains installed on first use).
    Build(super::plugin_build::BuildArgs),
    /// Run a plugin folder's own unit tests.
    Test(super::plugin_build::TestArgs),
    #[command(flatten)]
    Manage(ManageCommand),
}

/// The `vitals plugin` commands that act on the store.
#[derive(Debug, clap::Subcommand)]
pub enum ManageCommand {
    /// Add a component (.wasm); it is validated before anything is stored.
    Add {
        /// The component file.
        file: PathBuf,
        /// Also make it the active version of its name.
        #[arg(long)]
        activate: bool,
    },
    /// List installed plugin versions.
    List,
    /// Show one plugin version's metadata and configuration.
    Show {
        /// Plugin name.
        name: String,
        /// Version (default: the active one).
        #[arg(long)]
        version: Option<String>,
    },
    /// Make a version the active one of its name.
    Activate {
        /// Plugin name.
        name: String,
        /// Version to activate.
        version: String,
    },
    /// Go back to the previously active version.
    Rollback {
        /// Plugin name.
        name: String,
    },
    /// Show or set the tenant's configuration of a plugin.
    Config {
        /// Plugin name.
        name: String,
        /// New configuration as JSON text.
        #[arg(long, conflicts_with = "file")]
        set: Option<String>,
        /// New configuration from a JSON file.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

/// The tenant's configuration of `name` must fit `version`'s schema before
/// that version becomes active (by activation or rollback).
fn config_fits(
    ctx: &Ctx,
    store: &crate::store::Store,
    name: &str,
    version: &str,
) -> Result<(), CliError> {
    let target = store.plugin(&ctx.tenant, name, Some(version))?;
    let loaded = ctx.runtime()?.load(&store.component(&target.hash)?)?;
    let config = store.plugin_config(&ctx.tenant, name)?;
    loaded.check_config(&config).map_err(|e| {
        CliError::bad(format!(
            "the configuration of {name} does not fit {version}: {e}"
        ))
        .hint("set a fitting one with `vitals plugin config NAME --set JSON` first")
    })
}

pub fn run(ctx: &Ctx, cmd: PluginCommand) -> Result<(), CliError> {
    match cmd {
        PluginCommand::New(a) => super::scaffold::new(a),
        PluginCommand::Build(a) => super::plugin_build::build(ctx, a),
        PluginCommand::Test(a) => super::plugin_build::test(a),
        PluginCommand::Manage(c) => manage(ctx, c),
    }
}

fn manage(ctx: &Ctx, cmd: ManageCommand) -> Result<(), CliError> {
    let store = ctx.store()?;
    match cmd {
        ManageCommand::Add { file, activate } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| CliError::bad(format!("{}: {e}", file.display())))?;
            let rt = ctx.runtime()?;
            let plugin = rt
                .load(&bytes)
                .map_err(|e| CliError::bad(format!("{}: {e}", file.display())))?;
            let mut installed =
                store.add_plugin(&ctx.tenant, &content_hash(&bytes), &bytes, &plugin.metadata)?;
            if activate {
                let config = store.plugin_config(&ctx.tenant, &installed.name)?;
                plugin.check_config(&config).map_err(|e| {
                    CliError::bad(format!(
                        "the tenant's configuration of {} does not fit this version: {e}",
                        installed.name
                    ))
                })?;
                installed = store.activate(&ctx.tenant, &installed.name, &installed.version)?;
            }
            if ctx.format == Format::Json {
                print_json(&installed);
            } else {
                println!(
                    "added {} {} ({}, sha-256 {}){}",
                    installed.name,
                    installed.version,
                    installed.kind,
                    &installed.hash[..12],
                    if installed.active { ", active" } else { "" }
                );
            }
        }
        ManageCommand::List => {
            let plugins = store.plugins(&ctx.tenant)?;
            if ctx.format == Format::Json {
                print_json(&plugins);
                return Ok(());
            }
            let mut t = Table::new(vec!["name", "version", "kind", "active", "sha-256"]);
            for p in plugins {
                t.row(vec![
                    p.name,
                    p.version,
                    p.kind.to_string(),
                    if p.active { "yes" } else { "" }.into(),
                    p.hash[..12].into(),
                ]);
            }
            t.print(ctx.format);
        }
        ManageCommand::Show { name, version } => {
            let p = store.plugin(&ctx.tenant, &name, version.as_deref())?;
            let config = store.plugin_config(&ctx.tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(
                    &serde_json::json!({"plugin": p, "config": serde_json::from_str::<serde_json::Value>(&config).unwrap_or_default()}),
                );
                return Ok(());
            }
            println!(
                "{} {} ({}){}",
                p.name,
                p.version,
                p.kind,
                if p.active { ", active" } else { "" }
            );
            println!("sha-256      {}", p.hash);
            println!("description  {}", p.metadata.description);
            println!("reads        {}", p.metadata.reads.join(", "));
            println!("config       {config}");
            let schema: serde_json::Value =
                serde_json::from_str(&p.metadata.config_schema).unwrap_or_default();
            println!(
                "schema       {}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
        }
        ManageCommand::Activate { name, version } => {
            config_fits(ctx, &store, &name, &version)?;
            let p = store.activate(&ctx.tenant, &name, &version)?;
            println!("{} {} is active", p.name, p.version);
        }
        ManageCommand::Rollback { name } => {
            if let Some(version) = store.rollback_target(&ctx.tenant, &name)? {
                config_fits(ctx, &store, &name, &version)?;
            }
            let p = store.rollback(&ctx.tenant, &name)?;
            println!("{} rolled back to {}", p.name, p.version);
        }
        ManageCommand::Config { name, set, file } => {
            let new = match (set, file) {
                (Some(text), _) => Some(text),
                (None, Some(path)) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| CliError::bad(format!("{}: {e}", path.display())))?,
                ),
                (None, None) => None,
            };
            let Some(config) = new else {
                println!("{}", store.plugin_config(&ctx.tenant, &name)?);
                return Ok(());
            };
            let p = store.plugin(&ctx.tenant, &name, None)?;
            let rt = ctx.runtime()?;
            let loaded = rt.load(&store.component(&p.hash)?)?;
            loaded
                .check_config(&config)
                .map_err(|e| CliError::bad(format!("{name}: {e}")))?;
            store.set_plugin_config(&ctx.tenant, &name, &config)?;
            println!("configuration of {name} set");
        }
    }
    Ok(())
}
