//! A checked batch of an ingest turned into atomic sled batches (parts of
//! its records, each with their undo entries), kept as [`Staged`] until the
//! ingest's next batch is checked: that batch reads through it
//! ([`Staged::get`]), and it is written while that batch's rows are
//! checked, since sled applies one batch at a time under a process-wide
//! lock, on one thread.

use super::IngestReport;
use super::codec::{self, Stamp};
use super::keys;
use super::undo::{added_key, replaced_key, stamp_of};
use crate::contract::Attributes;
use sled::IVec;
use std::collections::HashMap;

/// Keys per list of added keys in the undo log. sled writes a node (up to
/// 16 entries) whole each time it changes, and anything over 128 KiB as a
/// file of its own: one list per batch (8,192 rows, some 400 KiB) made each
/// batch rewrite megabytes of lists. A list of 128 keys is a few KiB.
const ADDED_PER_LIST: usize = 128;

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
    /// Its records and undo entries, in parts each applied as one.
    parts: Vec<sled::Batch>,
    /// Key -> stamped value, as sled will hold them once `parts` are written.
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

    /// Writes the batch, part after part.
    pub(super) fn write(self, data: &sled::Tree) -> sled::Result<()> {
        self.parts
            .into_iter()
            .try_for_each(|part| data.apply_batch(part))
    }
}

/// Where a batch goes: the ingest's tenant and generation, the count of its
/// undo lists so far, and its report.
pub(super) struct Target<'a> {
    pub(super) tenant: &'a str,
    pub(super) generation: u64,
    /// Lists of added keys the ingest has written (each is numbered).
    pub(super) lists: &'a mut u32,
    pub(super) report: &'a mut IngestReport,
}

/// Records per atomic part of a batch: a part is durable as soon as sled's
/// log holds it, so a crash in the middle of a large batch still leaves
/// the parts before it to roll back, and a part never holds sled's write
/// lock for long.
const PART_RECORDS: usize = 2048;

/// The part of a batch being built.
#[derive(Default)]
struct Part {
    batch: sled::Batch,
    /// Keys it adds (listed in the undo log in the same part).
    added: Vec<IVec>,
    records: usize,
}

/// A batch being built, part by part.
struct Parts<'a> {
    tenant: &'a str,
    generation: u64,
    lists: &'a mut u32,
    done: Vec<sled::Batch>,
    open: Part,
    written: HashMap<IVec, IVec>,
}

impl Parts<'_> {
    /// Writes `value` at `key`; an `added` key is listed for the undo log.
    fn put(&mut self, key: IVec, value: IVec, added: bool) {
        self.open.batch.insert(key.clone(), value.clone());
        if added {
            self.open.added.push(key.clone());
        }
        self.written.insert(key, value);
        self.open.records += 1;
        if self.open.records >= PART_RECORDS {
            self.close();
        }
    }

    /// Keeps the value `key` had in the undo log, in the part whose next
    /// [`Parts::put`] replaces it.
    fn keep_replaced(&mut self, key: &[u8], old: IVec) {
        let undo = replaced_key(self.tenant, self.generation, key);
        self.open.batch.insert(undo, old);
    }

    /// Ends the open part with its lists of added keys.
    fn close(&mut self) {
        let mut part = std::mem::take(&mut self.open);
        if part.records == 0 {
            return;
        }
        for keys in part.added.chunks(ADDED_PER_LIST) {
            // Encoded as a list of byte lists, as the rollback reads it.
            let list: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
            let key = added_key(self.tenant, self.generation, *self.lists);
            part.batch.insert(key, codec::encode(&list));
            *self.lists += 1;
        }
        self.done.push(part.batch);
    }
}

/// Builds a checked batch's sled batches: every new record (`records` come
/// stamped with the generation) listed in the undo log's lists of added
/// keys, every replaced value kept in the undo log, each in the same atomic
/// part as its record, so that a crash leaves each part either absent or
/// undoable. `None`: nothing to write.
pub(super) fn stage(
    to: Target<'_>,
    accounts: HashMap<&str, AccountState>,
    records: HashMap<IVec, (IVec, Record)>,
) -> Option<Staged> {
    let g = to.generation;
    let mut parts = Parts {
        tenant: to.tenant,
        generation: g,
        lists: to.lists,
        done: Vec::new(),
        open: Part::default(),
        written: HashMap::with_capacity(accounts.len() + records.len()),
    };
    for (id, a) in accounts {
        let key = IVec::from(keys::account(to.tenant, id));
        let value = codec::encode(&a.attributes);
        match &a.stored {
            None => {
                to.report.accounts_created += 1;
                let stamped = codec::stamp(stamp_of(g, false), &value);
                parts.put(key, stamped.into(), true);
            }
            Some(_) if !a.changed => {}
            Some(stored) => {
                let was: Stamp = codec::unstamp(stored).0;
                if was.generation == g {
                    // Written by an earlier batch of this ingest, whose
                    // undo entry already holds the value before it.
                    parts.put(key, codec::stamp(was, &value).into(), false);
                } else {
                    to.report.accounts_updated += 1;
                    parts.keep_replaced(&key, stored.clone());
                    let stamped = codec::stamp(stamp_of(g, true), &value);
                    parts.put(key, stamped.into(), false);
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
        parts.put(key, value, true);
    }
    parts.close();
    if parts.done.is_empty() {
        return None;
    }
    Some(Staged {
        parts: parts.done,
        written: parts.written,
    })
}
