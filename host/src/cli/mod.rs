//! The `vitals` command line (clap). One file per command.

mod demo;

use clap::{Parser, Subcommand};

/// Vitals: customer health, segments, expansion and renewal forecasts from
/// your own sandboxed scoring plugins.
#[derive(Debug, Parser)]
#[command(name = "vitals", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a demo tenant, run the reference plugin pack over it, print the summaries.
    Demo(demo::DemoArgs),
}

/// Exit code for bad input (arguments, files, configuration).
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for an internal failure.
pub const EXIT_INTERNAL: i32 = 1;

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            EXIT_INTERNAL
        }
    }
}
