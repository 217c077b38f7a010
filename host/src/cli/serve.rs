//! `vitals serve`: the HTTP service over the local store.

use super::context::{CliError, Ctx};
use crate::server::{ConnLimits, ServeOptions, ServerLimits, Stopped, serve};
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
    /// Largest uploaded vendor pack (`.vpack`), MiB.
    #[arg(long, default_value_t = 256)]
    max_pack_mib: usize,
    /// Largest ingest body, MiB (every format is parsed and stored as it arrives).
    #[arg(long, default_value_t = 1024)]
    max_ingest_mib: usize,
    /// Seconds running requests (runs) may take to finish after SIGTERM or Ctrl-C.
    #[arg(long, default_value_t = 60)]
    shutdown_grace_secs: u64,
    /// Seconds a request head may take to arrive, counted from when the
    /// connection waits for one: also how long an idle keep-alive
    /// connection stays open.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a request body may send nothing while it is read.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// Connections served at once (more wait in the listen backlog).
    /// Default: 1024, or fewer when the open-files limit is lower.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: Option<u64>,
}

pub fn run(ctx: &Ctx, args: ServeArgs) -> Result<(), CliError> {
    ctx.local_only("serve")?;
    let service = ctx.service()?;
    if service.keys(None)?.is_empty() {
        eprintln!(
            "vitals serve: no operator key yet; issue one with `vitals key operator --data-dir {}`",
            ctx.data_dir.display()
        );
    }
    let options = ServeOptions {
        listen: args.listen,
        limits: ServerLimits {
            plugin_bytes: args.max_plugin_mib << 20,
            pack_bytes: args.max_pack_mib << 20,
            ingest_bytes: args.max_ingest_mib << 20,
            ..ServerLimits::default()
        },
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        conn: ConnLimits {
            header_timeout: Duration::from_secs(args.header_timeout_secs),
            body_timeout: Duration::from_secs(args.body_timeout_secs),
            max_connections: args
                .max_connections
                .map_or_else(ConnLimits::default_max_connections, |n| n as usize),
        },
    };
    match serve(service, options)
        .map_err(|e| CliError::bad(format!("--listen {}: {e}", args.listen)))?
    {
        Stopped::Clean => Ok(()),
        // A supervisor must see that work was lost.
        Stopped::GraceCut => Err(CliError::internal(format!(
            "stopped with requests still running after the {} s grace period (--shutdown-grace-secs); \
             a run cut so is marked failed at the next start",
            args.shutdown_grace_secs
        ))),
    }
}
