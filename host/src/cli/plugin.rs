//! `vitals plugin`: add (a file, or a reference plugin by name; validated
//! by the runtime), list, show, activate, deactivate, roll back, configure
//! (validated against the plugin's schema), export and shadow runs, locally
//! or on a server; and for authors, new / build / test (in `scaffold` and
//! `plugin_build`), and the reference plugins (`plugin_reference`).

use super::context::{CliError, Ctx, date_arg};
use super::output::{Format, Table, money, outln, print_json};
use crate::service::{ApiError, ShadowReport, ShadowRequest};
use crate::store::Activation;
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
    /// List the reference plugins built into this binary (add one with
    /// `vitals plugin add reference/NAME`).
    Reference,
    #[command(flatten)]
    Manage(ManageCommand),
}

/// The `vitals plugin` commands that act on the tenant's plugins.
#[derive(Debug, clap::Subcommand)]
pub enum ManageCommand {
    /// Add a component (.wasm), or a reference plugin by name; it is
    /// validated before anything is stored.
    Add {
        /// The component file, or `reference/NAME` for a reference plugin
        /// built into this binary (`vitals plugin reference` lists them;
        /// `./reference/FILE` is a file in a folder named reference).
        #[arg(value_name = "FILE|reference/NAME")]
        file: PathBuf,
        /// Also make it the active version of its name (a health model
        /// deactivates the active one: one is active at a time).
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
    /// Make a version the active one of its name (a health model
    /// deactivates the active one: one is active at a time).
    Activate {
        /// Plugin name.
        name: String,
        /// Version to activate.
        version: String,
    },
    /// Go back to the previously active version (after `deactivate`: switch
    /// the deactivated version on again).
    Rollback {
        /// Plugin name.
        name: String,
    },
    /// Switch a plugin off: no version of it runs until one is activated or
    /// rolled back to.
    Deactivate {
        /// Plugin name.
        name: String,
    },
    /// Write a stored component to a file, byte for byte.
    Export(super::plugin_export::ExportArgs),
    /// Runs an installed candidate version beside the active one on the same
    /// snapshots (nothing stored but the report) and shows what would change.
    Shadow {
        /// The plugin name.
        name: String,
        /// The candidate version.
        version: String,
        /// The candidate's configuration, JSON (default: the current one).
        #[arg(long)]
        config: Option<String>,
        /// Snapshot instant, YYYY-MM-DD (default: the plugin's latest run).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Earlier shadow-run reports, newest first.
    Shadows,
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
pub fn run(ctx: &Ctx, cmd: PluginCommand) -> Result<(), CliError> {
    match cmd {
        PluginCommand::New(a) => super::scaffold::new(a),
        PluginCommand::Build(a) => super::plugin_build::build(ctx, a),
        PluginCommand::Test(a) => super::plugin_build::test(a),
        PluginCommand::Reference => super::plugin_reference::list(ctx),
        PluginCommand::Manage(c) => manage(ctx, c),
    }
}

fn manage(ctx: &Ctx, cmd: ManageCommand) -> Result<(), CliError> {
    let api = ctx.api()?;
    let tenant = &ctx.tenant;
    match cmd {
        ManageCommand::Add { file, activate } => {
            let bytes = match super::plugin_reference::resolve(&file)? {
                Some((_, bytes)) => bytes.to_vec(),
                None => std::fs::read(&file)
                    .map_err(|e| CliError::bad(format!("{}: {e}", file.display())))?,
            };
            let added = api
                .add_plugin(tenant, bytes, activate)
                .map_err(|e| upload_error(&file, e))?;
            if ctx.format == Format::Json {
                print_json(&added);
            } else {
                let p = &added.plugin;
                outln!(
                    "added {} {} ({}, contract {}, sha-256 {}){}",
                    p.name,
                    p.version,
                    p.kind,
                    p.contract,
                    &p.hash[..12],
                    if p.active { ", active" } else { "" }
                );
                print_deactivated(&added);
            }
        }
        ManageCommand::List => {
            let plugins = api.plugins(tenant)?;
            if ctx.format == Format::Json {
                print_json(&plugins);
                return Ok(());
            }
            let mut t = Table::new(vec![
                "name", "version", "kind", "contract", "active", "sha-256",
            ]);
            for p in plugins {
                t.row(vec![
                    p.name,
                    p.version,
                    p.kind.to_string(),
                    p.contract.to_string(),
                    if p.active { "yes" } else { "" }.into(),
                    p.hash[..12].into(),
                ]);
            }
            t.print(ctx.format);
        }
        ManageCommand::Show { name, version } => {
            let detail = api.plugin(tenant, &name, version.as_deref())?;
            if ctx.format == Format::Json {
                print_json(&detail);
                return Ok(());
            }
            let p = &detail.plugin;
            outln!(
                "{} {} ({}){}",
                p.name,
                p.version,
                p.kind,
                if p.active { ", active" } else { "" }
            );
            outln!("contract     vitals:plugin@{}", p.contract);
            outln!("sha-256      {}", p.hash);
            outln!("description  {}", p.metadata.description);
            outln!("reads        {}", p.metadata.reads.join(", "));
            outln!("versions     {}", detail.versions.join(", "));
            outln!("config       {}", detail.config);
            let schema: serde_json::Value =
                serde_json::from_str(&p.metadata.config_schema).unwrap_or_default();
            outln!(
                "schema       {}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
        }
        ManageCommand::Activate { name, version } => {
            let a = api.activate(tenant, &name, &version)?;
            if ctx.format == Format::Json {
                print_json(&a);
            } else {
                outln!("{} {} is active", a.plugin.name, a.plugin.version);
                print_deactivated(&a);
            }
        }
        ManageCommand::Rollback { name } => {
            let a = api.rollback(tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(&a);
            } else {
                outln!("{} rolled back to {}", a.plugin.name, a.plugin.version);
                print_deactivated(&a);
            }
        }
        ManageCommand::Deactivate { name } => {
            let p = api.deactivate(tenant, &name)?;
            if ctx.format == Format::Json {
                print_json(&p);
            } else {
                outln!(
                    "{} {} was deactivated; `vitals plugin rollback {}` switches it on again",
                    p.name,
                    p.version,
                    p.name
                );
            }
        }
        ManageCommand::Export(args) => super::plugin_export::export(ctx, api.as_ref(), args)?,
        ManageCommand::Shadow {
            name,
            version,
            config,
            as_of,
        } => {
            let as_of = as_of.map(|d| date_arg("--as-of", &d)).transpose()?;
            let config = config
                .map(|c| {
                    serde_json::from_str(&c).map_err(|e| CliError::bad(format!("--config: {e}")))
                })
                .transpose()?;
            let report = api.shadow(
                tenant,
                &ShadowRequest {
                    plugin: name,
                    version,
                    config,
                    as_of,
                },
            )?;
            if ctx.format == Format::Json {
                print_json(&report);
            } else {
                print_shadow(&report, ctx.format);
            }
        }
        ManageCommand::Shadows => {
            let reports = api.shadow_reports(tenant)?;
            if ctx.format == Format::Json {
                print_json(&reports);
                return Ok(());
            }
            let mut t = Table::new(vec![
                "report",
                "plugin",
                "active",
                "candidate",
                "as of",
                "accounts",
                "changed",
            ]);
            for r in reports {
                t.row(vec![
                    r.id.to_string(),
                    r.plugin,
                    r.active_version,
                    r.candidate_version,
                    r.as_of,
                    r.accounts.to_string(),
                    r.changed.to_string(),
                ]);
            }
            t.print(ctx.format);
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
                outln!("{}", api.config(tenant, &name)?);
                return Ok(());
            };
            let value: serde_json::Value = serde_json::from_str(&config)
                .map_err(|e| CliError::bad(format!("{name}: configuration is not JSON: {e}")))?;
            let set = api.set_config(tenant, &name, &value).map_err(|e| {
                let invalid = e.body.code == "invalid-config";
                let err = CliError::from(e);
                if invalid {
                    err.hint(format!(
                        "`vitals plugin show {name}` shows the configuration it accepts"
                    ))
                } else {
                    err
                }
            })?;
            for w in &set.warnings {
                super::output::warn(&w.message);
            }
            if let Some(why) = &set.unchecked {
                super::output::warn(&format!(
                    "{name} could not check the configuration itself: {why}"
                ));
            }
            if ctx.format == Format::Json {
                print_json(&set);
            } else {
                outln!("configuration of {name} set");
            }
        }
    }
    Ok(())
}

/// On stderr, when a store from before one health model at a time holds
/// several active ones: what the summary then shows, and the way out.
pub fn warn_several_health_models(api: &dyn crate::service::Api, tenant: &str) {
    let Ok(plugins) = api.plugins(tenant) else {
        return;
    };
    let health: Vec<String> = plugins
        .iter()
        .filter(|p| p.active && p.kind == crate::runtime::PluginKind::HealthModel)
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    if health.len() > 1 {
        eprintln!(
            "warning: {} health models are active ({}): this summary shows the runs made so far, \
             and new runs are refused until one is deactivated (`vitals plugin deactivate NAME`)",
            health.len(),
            super::output::terminal_safe(&health.join(", "))
        );
    }
}

/// Says which health models an activation switched off, and why.
fn print_deactivated(a: &Activation) {
    for d in &a.deactivated {
        outln!(
            "{} {} was deactivated: one health model is active at a time",
            d.name,
            d.version
        );
    }
}

/// An upload's failure, naming the file; what to do when it is no component.
fn upload_error(file: &std::path::Path, e: ApiError) -> CliError {
    let not_a_component = e.is_about("not-a-component");
    let mut err = CliError::from(e);
    err.message = format!("{}: {}", file.display(), err.message);
    if not_a_component {
        err = err.hint(
            "a plugin is a .wasm component: build one with `vitals plugin build DIR`, \
             or add a reference plugin by name (`vitals plugin reference` lists them)",
        );
    }
    err
}

/// Prints a shadow-run report for people.
pub(super) fn print_shadow(r: &ShadowReport, format: Format) {
    outln!(
        "Shadow run {}: {} {} (active) vs {} (candidate), as of {}",
        r.id,
        r.plugin,
        r.active_version,
        r.candidate_version,
        r.as_of
    );
    outln!(
        "  {} accounts, {} change; errors active {:?}, candidate {:?}",
        r.accounts,
        r.changed,
        r.errors_active,
        r.errors_candidate
    );
    for b in &r.band_changes {
        outln!("  {} -> {}: {}", b.from, b.to, b.accounts);
    }
    for s in &r.segment_changes {
        outln!(
            "  segment {:<20} {:>6} -> {:<6} (+{} / -{})",
            s.segment,
            s.active,
            s.candidate,
            s.entered,
            s.left
        );
    }
    if let Some(d) = &r.score {
        outln!(
            "  score delta: mean {:+.3}, mean |d| {:.3}, max |d| {:.3}; {} up, {} down",
            d.mean,
            d.mean_abs,
            d.max_abs,
            d.up,
            d.down
        );
    }
    if let Some(f) = &r.forecast {
        outln!(
            "  forecast: {} accounts change, {} contract ARR affected; expected renewal ARR {} -> {}",
            f.accounts_changed,
            money(f.arr_affected),
            money(f.expected_renewal_arr_active),
            money(f.expected_renewal_arr_candidate)
        );
    }
    if !r.changes.is_empty() {
        let mut t = Table::new(vec!["account", "active", "candidate", "delta"]);
        for c in r.changes.iter().take(20) {
            t.row(vec![
                c.account.clone(),
                c.active.clone(),
                c.candidate.clone(),
                c.delta.map_or(String::new(), |d| format!("{d:+.3}")),
            ]);
        }
        t.print(format);
    }
}
