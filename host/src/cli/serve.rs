//! `vitals serve`: the HTTP service over the local store.

use super::context::{CliError, Ctx};
use crate::server::{ServeOptions, ServerLimits, serve};
use std::net::SocketAddr;
use std::time::Duration;

/// Options of `vitals serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default; `:0` picks a free port,
    /// printed on the first line).
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// Largest uploaded component, MiB.
    #[arg(long, default_value_t = 64)]
    max_plugin_mib: usize,
    /// Largest ingest body, MiB (NDJSON is streamed; CSV and JSON are read whole).
    #[arg(long, default_value_t = 1024)]
    max_ingest_mib: usize,
    /// Seconds running requests (runs) may take to finish after SIGTERM or Ctrl-C.
    #[arg(long, default_value_t = 60)]
    shutdown_grace_secs: u64,
}

pub fn run(ctx: &Ctx, args: ServeArgs) -> Result<(), CliError> {
    ctx.local_only("serve")?;
    let service = ctx.service()?;
    if service.store.keys(None)?.is_empty() {
        eprintln!(
            "vitals serve: no operator key yet; issue one with `vitals key operator --data-dir {}`",
            ctx.data_dir.display()
        );
    }
    let options = ServeOptions {
        listen: args.listen,
        limits: ServerLimits {
            plugin_bytes: args.max_plugin_mib << 20,
            ingest_bytes: args.max_ingest_mib << 20,
            ..ServerLimits::default()
        },
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
    };
    serve(service, options).map_err(|e| CliError::bad(format!("--listen {}: {e}", args.listen)))
}
