//! Installs the demo tenant into a store: generated accounts ingested, the
//! reference pack added and activated, and runs at four quarter ends (so
//! summaries have a previous run to compare with).

use super::{generate, rows};
use crate::runtime::{Runtime, content_hash};
use crate::scoring::{RunError, RunSettings, run_active};
use crate::store::{IngestMode, IngestReport, Store, StoreError};
use std::time::{Duration, Instant};

/// What the install did.
#[derive(Debug, Clone)]
pub struct Installed {
    /// Accounts generated.
    pub accounts: usize,
    /// The first account's id (for hints).
    pub first_account: String,
    /// The ingest.
    pub ingest: IngestReport,
    /// Time spent ingesting.
    pub ingest_time: Duration,
    /// Account-plugin results scored.
    pub scored: u64,
    /// Time spent running.
    pub run_time: Duration,
}

/// Creates (or reuses) `tenant` and fills it with `accounts` generated accounts at `as_of`.
pub fn install(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    accounts: usize,
    as_of: i32,
    seed: u64,
) -> Result<Installed, RunError> {
    match store.create_tenant(tenant, "Demo Co") {
        Ok(_) => {}
        Err(StoreError::Invalid(m)) if m.contains("already exists") => {}
        Err(e) => return Err(e.into()),
    }
    let generated = generate(accounts, as_of, seed);
    let input = rows(&generated);
    let t = Instant::now();
    let ingest = store.ingest(tenant, &input, vec![], IngestMode::AllOrNothing)?;
    let ingest_time = t.elapsed();
    for (name, bytes) in vitals_reference_pack::COMPONENTS {
        let plugin = rt.load(bytes).map_err(|error| RunError::Plugin {
            plugin: (*name).to_string(),
            error,
        })?;
        let installed = store.add_plugin(tenant, &content_hash(bytes), bytes, &plugin.metadata)?;
        store.activate(tenant, &installed.name, &installed.version)?;
    }
    let t = Instant::now();
    let mut scored = 0;
    for quarters_back in (0..4).rev() {
        let at = as_of - 91 * quarters_back;
        let runs = run_active(store, rt, tenant, at, None, RunSettings::default(), |_| {})?;
        scored += runs.iter().map(|r| r.accounts).sum::<u64>();
    }
    Ok(Installed {
        accounts: generated.len(),
        first_account: generated.first().map(|a| a.id.clone()).unwrap_or_default(),
        ingest,
        ingest_time,
        scored,
        run_time: t.elapsed(),
    })
}
