//! `/summary` without rebuilding it for every request. A summary decodes
//! every result of the tenant's latest runs (20,000 for 5,000 accounts and
//! the reference pack), so under mixed traffic it was most of the server's
//! work and, built by dozens of request threads at once, most of its
//! memory (the soak: 150 MiB to 850 MiB in a minute; 213 MiB without
//! `/summary`). Now the last summary per tenant and question is kept until a
//! run completes or an ingest changes the accounts, and at most one is
//! built per core at a time: the others wait, then find it built.

use crate::scoring::Summary;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};

/// What a summary was built from and for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    /// The tenant's account generation (bumped by every ingest).
    generation: u64,
    /// The newest complete run: a new one may change every figure.
    newest_run: Option<u64>,
    days: i32,
    top: usize,
}

/// The cache and the builders' gate.
#[derive(Debug)]
pub struct Summaries {
    kept: Mutex<HashMap<String, (Key, Arc<Summary>)>>,
    building: Mutex<usize>,
    free: Condvar,
    builders: usize,
}

impl Default for Summaries {
    fn default() -> Self {
        Summaries {
            kept: Mutex::default(),
            building: Mutex::new(0),
            free: Condvar::new(),
            builders: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Gives a builder's place back when dropped (an error or panic included).
struct Place<'a>(&'a Summaries);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        *self.0.building.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.free.notify_one();
    }
}

impl Summaries {
    fn kept(&self, tenant: &str, key: &Key) -> Option<Arc<Summary>> {
        self.kept
            .lock()
            .expect("summaries")
            .get(tenant)
            .filter(|(k, _)| k == key)
            .map(|(_, s)| s.clone())
    }

    /// The summary of `tenant`'s latest runs, built only if the runs or
    /// the accounts changed since the last one (`generation` is the
    /// tenant's account generation).
    pub fn get(
        &self,
        store: &Store,
        tenant: &str,
        generation: u64,
        days: i32,
        top: usize,
    ) -> Result<Arc<Summary>, StoreError> {
        let newest_run = store.newest_complete_run(tenant)?;
        let key = Key {
            generation,
            newest_run,
            days,
            top,
        };
        if let Some(s) = self.kept(tenant, &key) {
            return Ok(s);
        }
        let _place = {
            let mut building = self.building.lock().expect("summaries");
            while *building >= self.builders {
                building = self.free.wait(building).expect("summaries");
            }
            *building += 1;
            Place(self)
        };
        // Built by another request while this one waited.
        if let Some(s) = self.kept(tenant, &key) {
            return Ok(s);
        }
        let summary = Arc::new(Summary::build(store, tenant, days, top)?);
        self.kept
            .lock()
            .expect("summaries")
            .insert(tenant.to_string(), (key, summary.clone()));
        Ok(summary)
    }
}
