//! A checked batch of an ingest turned into one atomic sled batch (its
//! records and their undo entries), kept as [`Staged`] until the ingest's
//! next batch is checked: that batch reads through it ([`Staged::get`]),
//! and it is written while that batch's rows are checked, since sled
//! applies one batch at a time under a process-wide lock, on one thread.

use super::IngestReport;
use super::codec::{self, Stamp};
use super::keys;
use super::undo::{added_key, replaced_key, stamp_of};
use crate::contract::Attributes;
use sled::IVec;
use std::collections::HashMap;

/// An account as a batch found it, and what the batch makes of it.
pub(super) struct AccountState {
    /// Its stored value before this batch (stamped or not), if any.
    pub(super) stored: Option<IVec>,
    pub(super) attributes: Attributes,
    pub(super) changed: bool,
}

/// What kind of record a batch adds (for the report's counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Record {
    Snapshot,
    Outcome,
    /// A catalog name (`store::catalog`): counted nowhere.
    Name,
}

/// A checked batch, not yet in sled.
pub(super) struct Staged {
    /// Its records and undo entries, to be applied as one.
    pub(super) batch: sled::Batch,
    /// Key -> stamped value, as sled will hold them once `batch` is written.
    written: HashMap<IVec, IVec>,
}

impl Staged {
    /// The value of `key` as the store holds it once this batch is
    /// written: this batch's own value, else the store's.
    pub(super) fn get(
        staged: Option<&Self>,
        data: &sled::Tree,
        key: &[u8],
    ) -> sled::Result<Option<IVec>> {
        match staged.and_then(|s| s.written.get(key)) {
            Some(v) => Ok(Some(v.clone())),
            None => data.get(key),
        }
    }
}

/// Where a batch goes: the ingest's tenant and generation, the count of its
/// undo lists so far, and its report.
pub(super) struct Target<'a> {
    pub(super) tenant: &'a str,
    pub(super) generation: u64,
    /// Batches that wrote an undo list of added keys (each has its own).
    pub(super) lists: &'a mut u32,
    pub(super) report: &'a mut IngestReport,
}

/// Builds a checked batch's sled batch: every new record (`records` come
/// stamped with the generation) listed in the batch's list of added keys,
/// every replaced value kept in the undo log, all in the one atomic batch,
/// so that a crash leaves each batch either absent or undoable. `None`:
/// nothing to write.
pub(super) fn stage(
    to: Target<'_>,
    accounts: HashMap<&str, AccountState>,
    records: HashMap<IVec, (IVec, Record)>,
) -> Option<Staged> {
    let g = to.generation;
    let mut batch = sled::Batch::default();
    let mut written: HashMap<IVec, IVec> = HashMap::with_capacity(accounts.len() + records.len());
    let mut added: Vec<IVec> = Vec::with_capacity(accounts.len() + records.len());
    let mut replaced = false;
    let mut put = |batch: &mut sled::Batch, key: IVec, value: IVec| {
        batch.insert(key.clone(), value.clone());
        written.insert(key, value);
    };
    for (id, a) in accounts {
        let key = IVec::from(keys::account(to.tenant, id));
        let value = codec::encode(&a.attributes);
        match &a.stored {
            None => {
                to.report.accounts_created += 1;
                put(
                    &mut batch,
                    key.clone(),
                    codec::stamp(stamp_of(g, false), &value).into(),
                );
                added.push(key);
            }
            Some(_) if !a.changed => {}
            Some(stored) => {
                replaced = true;
                let was: Stamp = codec::unstamp(stored).0;
                if was.generation == g {
                    // Written by an earlier batch of this ingest, whose
                    // undo entry already holds the value before it.
                    put(&mut batch, key, codec::stamp(was, &value).into());
                } else {
                    to.report.accounts_updated += 1;
                    batch.insert(replaced_key(to.tenant, g, &key), stored.clone());
                    put(
                        &mut batch,
                        key,
                        codec::stamp(stamp_of(g, true), &value).into(),
                    );
                }
            }
        }
    }
    for (key, (value, record)) in records {
        match record {
            Record::Snapshot => to.report.snapshots_added += 1,
            Record::Outcome => to.report.outcomes_added += 1,
            Record::Name => {}
        }
        put(&mut batch, key.clone(), value);
        added.push(key);
    }
    if added.is_empty() && !replaced {
        return None;
    }
    if !added.is_empty() {
        // Encoded as a list of byte lists, as the rollback reads it.
        let list: Vec<&[u8]> = added.iter().map(|k| &k[..]).collect();
        batch.insert(added_key(to.tenant, g, *to.lists), codec::encode(&list));
        *to.lists += 1;
    }
    Some(Staged { batch, written })
}
