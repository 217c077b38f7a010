//! The `vitals` command line (clap): one file per command, all acting on a
//! local store (the embedded default, no server needed).

mod account;
mod context;
mod demo;
mod ingest;
mod output;
mod plugin;
mod plugin_build;
mod run;
mod scaffold;
mod tenant;

use clap::{Parser, Subcommand};
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
    /// The tenant (company) to act on.
    #[arg(long, global = true, env = "VITALS_TENANT", default_value = "default")]
    tenant: String,
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
    /// Add, list, show, activate, roll back and configure plugins.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// Run the active plugins (or one) over the tenant's accounts.
    Run(run::RunArgs),
    /// List runs, or the per-account results of one.
    Results(run::ResultsArgs),
    /// Health, segments, expansion and forecast from the latest runs.
    Summary(run::SummaryArgs),
    /// The renewal forecast for a period.
    Forecast(run::ForecastArgs),
    /// One account: history, scores over time, factors, segments, forecast.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Generate a demo tenant, install the reference pack, run it, print the summaries.
    Demo(demo::DemoArgs),
}

/// Exit code for bad input (arguments, files, configuration, unknown names).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for an internal failure.
pub const EXIT_INTERNAL: i32 = 1;

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let format = if cli.json {
        output::Format::Json
    } else if cli.csv {
        output::Format::Csv
    } else {
        output::Format::Table
    };
    let ctx = Ctx {
        data_dir: cli.data_dir,
        config: cli.config,
        tenant: cli.tenant,
        format,
    };
    let result: Result<(), CliError> = match cli.command {
        Command::Init(a) => tenant::init(&ctx, a),
        Command::Tenant(c) => tenant::run(&ctx, c),
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Plugin(c) => plugin::run(&ctx, c),
        Command::Run(a) => run::run(&ctx, a),
        Command::Results(a) => run::results(&ctx, a),
        Command::Summary(a) => run::summary(&ctx, a),
        Command::Forecast(a) => run::forecast(&ctx, a),
        Command::Account(c) => account::run(&ctx, c),
        Command::Demo(a) => demo::run(&ctx, a),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(h) = e.hint {
                eprintln!("hint: {h}");
            }
            if e.bad_input {
                EXIT_BAD_INPUT
            } else {
                EXIT_INTERNAL
            }
        }
    }
}
