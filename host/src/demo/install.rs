//! Installs the demo tenant into a store: generated accounts ingested, the
//! reference pack added and activated, and runs at four quarter ends (so
//! summaries have a previous run to compare with).
//!
//! The demo fills only a tenant of its own. It creates the tenant marked
//! as a demo tenant ([`crate::store::Tenant::demo`]) and later fills only
//! marked tenants; a tenant that exists without the mark holds someone's
//! own data and is refused before anything is written. The one exception
//! is the default tenant `demo` named "Demo Co", which is what versions
//! before the mark created: it is marked on first use.

use super::{generate, rows};
use crate::runtime::Runtime;
use crate::scoring::{RunError, RunSettings, run_active};
use crate::store::{IngestMode, IngestReport, Store, StoreError};
use std::time::{Duration, Instant};

/// The demo tenant's id when none is named.
pub const DEFAULT_TENANT: &str = "demo";
/// The display name the demo gives its tenants.
const DEMO_NAME: &str = "Demo Co";

/// Why the demo did not install.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The tenant exists and is not a demo tenant: nothing was written.
    #[error(
        "tenant {0:?} exists and is not a demo tenant: `vitals demo` only fills a tenant it created, never a company's own accounts; nothing was changed"
    )]
    NotADemoTenant(String),
    /// Ingest, install or a run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The reference pack could not be built, signed or installed.
    #[error("the reference pack: {0}")]
    Pack(String),
}

impl From<StoreError> for DemoError {
    fn from(e: StoreError) -> Self {
        DemoError::Run(e.into())
    }
}

/// Makes `tenant` the demo's: creates it (marked) if it does not exist,
/// accepts it if marked (or the unmarked default of earlier versions,
/// marking it), and refuses any other tenant.
pub fn claim_tenant(store: &Store, tenant: &str) -> Result<(), DemoError> {
    match store.tenant(tenant) {
        Ok(t) if t.demo => Ok(()),
        Ok(t) if t.id == DEFAULT_TENANT && t.name == DEMO_NAME => {
            Ok(store.mark_demo_tenant(tenant)?)
        }
        Ok(_) => Err(DemoError::NotADemoTenant(tenant.to_string())),
        Err(StoreError::NotFound { .. }) => match store.create_demo_tenant(tenant, DEMO_NAME) {
            Ok(_) => Ok(()),
            // Created by someone else since: judge it again.
            Err(StoreError::Conflict(_)) => match store.tenant(tenant)? {
                t if t.demo => Ok(()),
                _ => Err(DemoError::NotADemoTenant(tenant.to_string())),
            },
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

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

/// Creates (or reuses) the demo tenant `tenant` and fills it with
/// `accounts` generated accounts at `as_of`; refuses a tenant that is not
/// the demo's ([`claim_tenant`]).
pub fn install(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    accounts: usize,
    as_of: i32,
    seed: u64,
) -> Result<Installed, DemoError> {
    claim_tenant(store, tenant)?;
    let generated = generate(accounts, as_of, seed);
    let input = rows(&generated);
    let t = Instant::now();
    let ingest = store.ingest(tenant, &input, vec![], IngestMode::AllOrNothing)?;
    let ingest_time = t.elapsed();
    // The reference plugins arrive as a vendor's would: a signed pack.
    super::install_reference_pack(store, rt, tenant).map_err(DemoError::Pack)?;
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
