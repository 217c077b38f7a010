//! Reading a tenant's data as of one ingest generation: every committed
//! ingest up to it, whole, and nothing of any later or unfinished one. An
//! ingest writes its records straight into the live tree, stamped with its
//! generation; a view skips records stamped after it and, for a value a
//! later ingest replaced, reads the earlier value from that ingest's undo
//! log (kept while a view needs it); an erasure (`store::erase`) is read
//! the same way, its tombstones being values that read as nothing. Runs,
//! the dashboard and every read of accounts, snapshots and outcomes go
//! through a view.

use super::codec;
use super::undo::replaced_key;
use super::versions::ReadTurn;
use super::{Store, StoreError};
use sled::IVec;

/// A consistent read of one tenant's accounts, snapshots and outcomes.
/// Hold one across several reads that must agree with each other.
pub struct DataView<'s> {
    pub(super) store: &'s Store,
    pub(super) tenant: String,
    turn: ReadTurn,
}

impl std::fmt::Debug for DataView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataView")
            .field("tenant", &self.tenant)
            .field("generation", &self.turn.generation)
            .finish()
    }
}

impl Store {
    /// A view of the tenant's data as its last committed ingest left it.
    pub fn view(&self, tenant: &str) -> Result<DataView<'_>, StoreError> {
        let turn = self.versions.read(tenant, || self.load_clock(tenant))?;
        Ok(DataView {
            store: self,
            tenant: tenant.to_string(),
            turn,
        })
    }
}

impl DataView<'_> {
    /// The ingest generation this view sees.
    pub fn generation(&self) -> u64 {
        self.turn.generation
    }

    /// The tenant this view reads.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The value of `key` this view sees, from the stored one.
    pub(super) fn resolve(&self, key: &[u8], mut raw: IVec) -> Result<Option<IVec>, StoreError> {
        loop {
            let (stamp, _) = codec::unstamp(&raw);
            if stamp.generation <= self.turn.generation {
                // Erased before this view: nothing, as if never written.
                return Ok((!codec::is_tombstone(&raw)).then_some(raw));
            }
            if !stamp.replaced {
                // Added by an ingest this view does not see.
                return Ok(None);
            }
            let undo = replaced_key(&self.tenant, stamp.generation, key);
            raw = self.store.data.get(&undo)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "the undo log of ingest {} of tenant {:?} lacks a replaced value",
                    stamp.generation, self.tenant
                ))
            })?;
        }
    }

    /// One record as this view sees it.
    pub(super) fn get(&self, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        match self.store.data.get(key)? {
            Some(raw) => self.resolve(key, raw),
            None => Ok(None),
        }
    }

    /// The records under a prefix, in key order, as this view sees them.
    pub(super) fn scan(
        &self,
        prefix: &[u8],
    ) -> impl Iterator<Item = Result<(IVec, IVec), StoreError>> + '_ {
        self.store
            .data
            .scan_prefix(prefix)
            .filter_map(move |kv| match kv {
                Err(e) => Some(Err(e.into())),
                Ok((k, raw)) => match self.resolve(&k, raw) {
                    Ok(Some(v)) => Some(Ok((k, v))),
                    Ok(None) => None,
                    Err(e) => Some(Err(e)),
                },
            })
    }
}
