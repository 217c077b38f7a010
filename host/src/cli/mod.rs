//! The `vitals` command line (clap): one file per command, each acting on a
//! local store (the embedded default, no server needed) or, with
//! `--server URL`, on a `vitals serve` through the same operations.

mod account;
mod audit;
mod backtest;
mod backtest_output;
mod context;
mod demo;
mod formats;
mod ingest;
mod ingest_preview;
mod key;
mod output;
mod pack;
mod pack_tenant;
mod plugin;
mod plugin_build;
mod plugin_export;
mod plugin_reference;
mod results;
mod run;
mod scaffold;
mod serve;
mod summary;
mod tenant;
mod trigger;
mod webhook;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use context::{CliError, Ctx};
use std::path::PathBuf;

/// Vitals: customer health, segments, expansion and renewal forecasts from
/// your own sandboxed scoring plugins.
#[derive(Debug, Parser)]
#[command(name = "vitals", version, about)]
pub struct Cli {
    /// The store's folder.
    #[arg(
        long,
        global = true,
        env = "VITALS_DATA_DIR",
        default_value = "vitals-data"
    )]
    data_dir: PathBuf,
    /// The operator's configuration file (TOML; default `<data-dir>/vitals.toml` if present).
    #[arg(long, global = true, env = "VITALS_CONFIG")]
    config: Option<PathBuf>,
    /// The tenant (company) to act on (default `default`; on a server, the
    /// tenant of the key).
    #[arg(long, global = true, env = "VITALS_TENANT")]
    tenant: Option<String>,
    /// Act on this server (`http://127.0.0.1:7878`) instead of the local store.
    #[arg(long, global = true, env = "VITALS_SERVER")]
    server: Option<String>,
    /// File holding the API key for --server (else the VITALS_KEY variable).
    #[arg(long, global = true, env = "VITALS_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long, global = true, conflicts_with = "csv")]
    json: bool,
    /// Print CSV instead of a table.
    #[arg(long, global = true)]
    csv: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the store and the tenant (default: `default`).
    Init(tenant::InitArgs),
    /// Create or list tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Load accounts, snapshots and outcomes from CSV, NDJSON or JSON.
    Ingest(ingest::IngestArgs),
    /// Add, list, show, activate, deactivate, roll back, configure and export plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Vendor packs (.vpack): build, sign and verify pack files.
    #[command(subcommand)]
    Pack(pack::PackCommand),
    /// Run the active plugins (or one) over the tenant's accounts.
    Run(run::RunArgs),
    /// List runs, or the per-account results of one.
    Results(results::ResultsArgs),
    /// Health, segments, expansion and forecast from the latest runs.
    Summary(summary::SummaryArgs),
    /// The renewal forecast for a period.
    Forecast(summary::ForecastArgs),
    /// One account: history, scores over time, factors, segments, forecast.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Judge a plugin against real outcomes after a cut-off; `--suggest` fits configurations.
    Backtest(backtest::BacktestArgs),
    /// Generate a demo tenant, install the reference pack, run it, print the summaries.
    Demo(demo::DemoArgs),
    /// Serve the API over HTTP (JSON, OpenAPI at /openapi.json, /metrics).
    Serve(serve::ServeArgs),
    /// Issue, list and revoke API keys.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// The audit log: accounts erased and runs discarded (the tenant's), or
    /// tenants created and deleted (`--operator`).
    Audit(audit::AuditArgs),
    /// Webhook endpoints: where trigger events are delivered, signed.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Trigger rules: transitions in a completed run sent to webhooks.
    #[command(subcommand)]
    Trigger(trigger::TriggerCommand),
    /// Events the trigger rules fired, newest run first.
    Events(trigger::EventsArgs),
    /// Webhook deliveries: status, attempts, last response code and latency.
    Deliveries(webhook::DeliveriesArgs),
}

/// Exit code for bad input (arguments, files, configuration, unknown names).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for an internal failure.
pub const EXIT_INTERNAL: i32 = 1;

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let format = if cli.json {
        output::Format::Json
    } else if cli.csv {
        output::Format::Csv
    } else {
        output::Format::Table
    };
    let result = formats::check(&formats::path(&matches), format)
        .and_then(|()| {
            context(
                cli.data_dir,
                cli.config,
                cli.tenant,
                cli.server,
                cli.key_file,
                format,
            )
        })
        .and_then(|ctx| dispatch(&ctx, cli.command));
    match result {
        Ok(()) if output::stdout_failed() => EXIT_INTERNAL,
        Ok(()) => 0,
        Err(e) => {
            // Messages quote names a tenant chose: escaped like stdout.
            eprintln!("error: {}", output::terminal_safe(&e.message));
            if let Some(h) = e.hint {
                eprintln!("hint: {}", output::terminal_safe(&h));
            }
            if e.bad_input {
                EXIT_BAD_INPUT
            } else {
                EXIT_INTERNAL
            }
        }
    }
}

/// Resolves the global options: the server and its key, and the tenant
/// (on a server, the key's own tenant unless one is named).
fn context(
    data_dir: PathBuf,
    config: Option<PathBuf>,
    tenant: Option<String>,
    server: Option<String>,
    key_file: Option<PathBuf>,
    format: output::Format,
) -> Result<Ctx, CliError> {
    let server = match server {
        None => None,
        Some(url) => {
            let key = match key_file {
                Some(path) => std::fs::read_to_string(&path)
                    .map_err(|e| CliError::bad(format!("--key-file {}: {e}", path.display())))?,
                None => std::env::var("VITALS_KEY").map_err(|_| {
                    CliError::bad("--server needs a key")
                        .hint("set VITALS_KEY or pass --key-file FILE")
                })?,
            };
            Some((url, key.trim().to_string()))
        }
    };
    let tenant_named = tenant.is_some();
    let tenant = match (tenant, &server) {
        (Some(t), _) => t,
        (None, None) => "default".to_string(),
        (None, Some((url, key))) => crate::client::Client::new(url, key)?
            .whoami()?
            .tenant
            .unwrap_or_else(|| "default".to_string()),
    };
    Ok(Ctx {
        data_dir,
        config,
        tenant,
        tenant_named,
        format,
        server,
    })
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Init(a) => tenant::init(ctx, a),
        Command::Tenant(c) => tenant::run(ctx, c),
        Command::Ingest(a) => ingest::run(ctx, a),
        Command::Plugin(c) => plugin::run(ctx, c),
        Command::Pack(c) => pack::run(ctx, c),
        Command::Run(a) => run::run(ctx, a),
        Command::Results(a) => results::results(ctx, a),
        Command::Summary(a) => summary::summary(ctx, a),
        Command::Forecast(a) => summary::forecast(ctx, a),
        Command::Account(c) => account::run(ctx, c),
        Command::Demo(a) => demo::run(ctx, a),
        Command::Serve(a) => serve::run(ctx, a),
        Command::Key(c) => key::run(ctx, c),
        Command::Backtest(a) => backtest::run(ctx, a),
        Command::Audit(a) => audit::run(ctx, a),
        Command::Webhook(c) => webhook::run(ctx, c),
        Command::Trigger(c) => trigger::run(ctx, c),
        Command::Events(a) => trigger::events(ctx, a),
        Command::Deliveries(a) => webhook::deliveries(ctx, a),
    }
}
