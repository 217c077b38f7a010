//! An ingest, written batch by batch: at most one per tenant at a time
//! (a second is refused as busy, so two can never both check and then both
//! write), each record stamped with the ingest's generation and written
//! with its undo entries in one atomic sled batch. Readers see none
//! of it until [`Ingest::finish`] commits it; a failure, an all-or-nothing
//! reject or a drop rolls it back (and a crash is rolled back at the next
//! open). A checked batch is written while the next one is checked
//! (`store::staging`), so memory holds two batches, whatever the size of
//! the whole input.

use super::catalog::Seen;
use super::codec;
use super::data::{encode_snapshot, merge_attributes, outcome_byte};
use super::keys;
use super::staging::{AccountState, Record, Staged, Target, stage};
use super::undo::stamp_of;
use super::versions::{Refused, WriteTurn};
use super::{IngestMode, IngestReport, Store, StoreError};
use crate::contract::Attributes;
use crate::model::{IngestRow, RowError};
use sled::IVec;
use std::collections::HashMap;

/// An ingest keeps at most this many bad-record errors: past it, an
/// all-or-nothing ingest reports these and a count, and a valid-rows ingest
/// is refused whole (a file this broken should be fixed, and errors take
/// more memory than the bytes that caused them).
pub const MAX_REJECTS: usize = 100_000;

/// An ingest in progress. Dropped without [`Ingest::finish`], it is rolled back.
pub struct Ingest<'s> {
    store: &'s Store,
    tenant: String,
    mode: IngestMode,
    turn: Option<WriteTurn>,
    generation: u64,
    report: IngestReport,
    /// Errors past [`MAX_REJECTS`], counted only.
    unlisted: usize,
    /// Good records seen in all batches.
    good_rows: usize,
    /// Lists of added keys written to the undo log (`store::staging`).
    added_lists: u32,
    /// Nothing more is written: an all-or-nothing ingest found a bad record.
    doomed: bool,
    /// Whether any batch wrote anything (else there is nothing to commit).
    wrote: bool,
    /// Catalog names met so far (`store::catalog`).
    seen: Seen,
    /// The last checked batch, written while the next one is checked (or
    /// by [`Ingest::finish`]).
    staged: Option<Staged>,
}

/// Rows a call of [`Ingest::write`] checks and writes at a time: a caller
/// may hand it a whole file, memory holds this many.
const WRITE_ROWS: usize = 8192;

/// A record a batch writes that was not stored before.
struct Fresh {
    key: IVec,
    /// Stamped with the ingest's generation, as it is written.
    value: IVec,
    record: Record,
}

/// What the rows of a batch find stored, read before the batch's checks.
struct Found<'r> {
    accounts: HashMap<&'r str, AccountState>,
    /// Stamped stored values of the snapshots and outcomes of accounts
    /// stored before (an account never stored has none).
    records: HashMap<Vec<u8>, IVec>,
}

/// The snapshot and outcome keys of a row.
fn record_keys(tenant: &str, row: &IngestRow) -> [Option<Vec<u8>>; 2] {
    [
        row.snapshot
            .as_ref()
            .map(|s| keys::snapshot(tenant, &row.account_id, s.as_of)),
        row.outcome
            .as_ref()
            .map(|o| keys::outcome(tenant, &row.account_id, o.date, outcome_byte(o.kind))),
    ]
}

impl Store {
    /// Starts an ingest for a tenant: refused as busy while another ingest
    /// of the tenant is going.
    pub fn begin_ingest(&self, tenant: &str, mode: IngestMode) -> Result<Ingest<'_>, StoreError> {
        self.require_tenant(tenant)?;
        let (turn, unneeded) = match self.versions.write(tenant, || self.load_clock(tenant))? {
            Ok(t) => t,
            Err(Refused::Busy) => return Err(StoreError::Busy(tenant.to_string())),
            Err(Refused::Broken) => {
                return Err(StoreError::Corrupt(format!(
                    "an earlier ingest of tenant {tenant:?} failed and could not be rolled back; restart vitals to roll it back"
                )));
            }
        };
        self.remove_unneeded_undo(tenant, &unneeded)?;
        if self.versions.erasure_pending(tenant) {
            // Dropping the turn frees it; nothing was written.
            drop(turn);
            return Err(StoreError::Retry(format!(
                "tenant {tenant:?} has just erased an account and a reader from before the erasure is still reading; retry in a moment"
            )));
        }
        Ok(Ingest {
            store: self,
            tenant: tenant.to_string(),
            mode,
            generation: turn.generation,
            turn: Some(turn),
            report: IngestReport::default(),
            unlisted: 0,
            good_rows: 0,
            added_lists: 0,
            doomed: false,
            wrote: false,
            seen: Seen::default(),
            staged: None,
        })
    }

    /// Removes undo logs of committed ingests that no reader needs any
    /// more; what it could not remove is kept for the next try.
    pub(super) fn remove_unneeded_undo(
        &self,
        tenant: &str,
        unneeded: &[u64],
    ) -> Result<(), StoreError> {
        for (i, g) in unneeded.iter().enumerate() {
            if let Err(e) = self.remove_undo(tenant, *g) {
                self.versions.keep_undo(tenant, &unneeded[i..]);
                return Err(e);
            }
            self.versions.removed(tenant, &[*g]);
        }
        Ok(())
    }

    /// Writes parsed rows for a tenant all at once: [`Store::begin_ingest`],
    /// one batch, [`Ingest::finish`]. Snapshots are append-only: an
    /// identical one is a no-op, a different one for the same (account,
    /// as_of) is a conflict, never an overwrite. `parse_errors` are the
    /// reader's errors for the same input.
    pub fn ingest(
        &self,
        tenant: &str,
        rows: &[IngestRow],
        parse_errors: Vec<RowError>,
        mode: IngestMode,
    ) -> Result<IngestReport, StoreError> {
        let mut ingest = self.begin_ingest(tenant, mode)?;
        ingest.write(rows, parse_errors)?;
        ingest.finish()
    }
}

impl Ingest<'_> {
    /// The generation this ingest writes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn reject(&mut self, e: RowError) {
        // An error of the whole input stops the ingest whatever the mode.
        self.doomed |= e.whole_file;
        if self.report.rejected.len() < MAX_REJECTS {
            self.report.rejected.push(e);
        } else {
            self.unlisted += 1;
        }
    }

    /// Checks one batch of parsed rows (with the reader's errors for the
    /// same lines) against what is stored, this ingest's earlier batches
    /// included, and writes its good records, stamped and undoable.
    pub fn write(
        &mut self,
        rows: &[IngestRow],
        parse_errors: Vec<RowError>,
    ) -> Result<(), StoreError> {
        let mut errors = Some(parse_errors);
        for chunk in rows.chunks(WRITE_ROWS) {
            self.write_chunk(chunk, errors.take().unwrap_or_default())?;
        }
        match errors {
            Some(errors) => self.write_chunk(&[], errors),
            None => Ok(()),
        }
    }

    /// Reads what the rows of a batch need from the store: each account
    /// once, and the stored snapshots and outcomes of accounts stored
    /// before. Done before the previous batch is written (and read through
    /// it), since sled's reads wait while it writes a batch.
    fn look_up<'r>(&self, rows: &'r [IngestRow]) -> Result<Found<'r>, StoreError> {
        let data = &self.store.data;
        let staged = self.staged.as_ref();
        let mut found = Found {
            accounts: HashMap::new(),
            records: HashMap::new(),
        };
        for row in rows {
            if !keys::valid_id(&row.account_id) {
                continue;
            }
            let id = row.account_id.as_str();
            if !found.accounts.contains_key(id) {
                let stored = Staged::get(staged, data, &keys::account(&self.tenant, id))?;
                let attributes = match &stored {
                    Some(bytes) => codec::decode("account", bytes)?,
                    None => Attributes::empty(),
                };
                let state = AccountState {
                    stored,
                    attributes,
                    changed: false,
                };
                found.accounts.insert(id, state);
            }
            // An account with no stored attributes has nothing stored at all
            // (every ingest writes the account with its snapshots): its
            // snapshots need no lookup, which is what makes bulk loads fast.
            if found.accounts[id].stored.is_none() {
                continue;
            }
            for key in record_keys(&self.tenant, row).into_iter().flatten() {
                if let Some(value) = Staged::get(staged, data, &key)? {
                    found.records.insert(key, value);
                }
            }
        }
        Ok(found)
    }

    fn write_chunk(
        &mut self,
        rows: &[IngestRow],
        parse_errors: Vec<RowError>,
    ) -> Result<(), StoreError> {
        // Records, not errors: one bad record can have several bad cells.
        let mut lines: Vec<usize> = parse_errors
            .iter()
            .filter(|e| !e.whole_file)
            .map(|e| e.line)
            .collect();
        lines.sort_unstable();
        lines.dedup();
        self.report.rows += rows.len() + lines.len();
        for e in parse_errors {
            self.reject(e);
        }
        let found = self.look_up(rows)?;
        // The previous batch is written while this one is checked.
        let data = self.store.data.clone();
        let writing = self.staged.take();
        std::thread::scope(|scope| {
            let written = writing.map(|staged| scope.spawn(move || staged.write(&data)));
            let checked = self.check(rows, found);
            if let Some(w) = written {
                w.join().expect("an ingest writer thread")?;
            }
            checked
        })
    }

    /// Checks a batch's rows against what is stored (this ingest's earlier
    /// batches included) and stages its good records (`store::staging`).
    fn check(&mut self, rows: &[IngestRow], found: Found<'_>) -> Result<(), StoreError> {
        let store = self.store;
        let tenant = self.tenant.clone();
        let Found {
            mut accounts,
            records: stored,
        } = found;
        // Key -> stamped value, record: what the batch adds.
        let mut staged: HashMap<IVec, (IVec, Record)> = HashMap::new();
        let fresh_stamp = stamp_of(self.generation, false);
        let (mut snapshots_unchanged, mut outcomes_unchanged) = (0, 0);
        for row in rows {
            if !keys::valid_id(&row.account_id) {
                self.reject(RowError::record(
                    row.line,
                    Some("account_id".into()),
                    "account id must be 1-256 bytes without control characters",
                ));
                continue;
            }
            let [snapshot_key, outcome_key] = record_keys(&tenant, row);
            let mut writes: Vec<(IVec, Vec<u8>, Record)> = Vec::with_capacity(2);
            if let (Some(key), Some(s)) = (snapshot_key, &row.snapshot) {
                let value = encode_snapshot(fresh_stamp, s);
                writes.push((key.into(), value, Record::Snapshot));
            }
            if let (Some(key), Some(o)) = (outcome_key, &row.outcome) {
                let value = codec::encode_stamped(fresh_stamp, o);
                writes.push((key.into(), value, Record::Outcome));
            }
            let mut conflict = None;
            let mut fresh = Vec::with_capacity(writes.len());
            for (key, value, record) in writes {
                let snapshot = record == Record::Snapshot;
                // (stored value, whether this ingest wrote it)
                let existing: Option<(&[u8], bool)> = match staged.get(&key) {
                    Some((v, _)) => Some((codec::unstamp(v).1, true)),
                    None => stored.get(&key[..]).map(|raw| {
                        let (stamp, inner) = codec::unstamp(raw);
                        (inner, stamp.generation == self.generation)
                    }),
                };
                match existing {
                    Some((old, _)) if old == codec::unstamp(&value).1 => {
                        if snapshot {
                            snapshots_unchanged += 1;
                        } else {
                            outcomes_unchanged += 1;
                        }
                    }
                    Some((_, this_input)) => {
                        let (what, column, at) = if snapshot {
                            ("snapshot", "as_of", row.snapshot.as_ref().map(|s| s.as_of))
                        } else {
                            ("outcome", "outcome", row.outcome.as_ref().map(|o| o.date))
                        };
                        let place = if this_input {
                            "is earlier in this input"
                        } else {
                            "is already stored"
                        };
                        conflict = Some(RowError::record(
                            row.line,
                            Some(column.into()),
                            format!(
                                "a different {what} of account {:?} on {} {place}; {what}s are append-only and never overwritten",
                                row.account_id,
                                at.map(vitals_plugin_sdk::date::format).unwrap_or_default()
                            ),
                        ));
                        break;
                    }
                    None => fresh.push(Fresh {
                        key,
                        value: value.into(),
                        record,
                    }),
                }
            }
            if let Some(c) = conflict {
                self.reject(c);
                continue;
            }
            self.good_rows += 1;
            for f in fresh {
                staged.insert(f.key, (f.value, f.record));
            }
            for (key, value) in self.seen.new_names(store, &tenant, row)? {
                let value = codec::stamp(fresh_stamp, &value).into();
                staged.insert(key.into(), (value, Record::Name));
            }
            let entry = accounts
                .get_mut(row.account_id.as_str())
                .expect("looked up before the checks");
            if merge_attributes(&mut entry.attributes, &row.attributes) {
                entry.changed = true;
            }
        }
        self.report.snapshots_unchanged += snapshots_unchanged;
        self.report.outcomes_unchanged += outcomes_unchanged;
        // A whole-file error stopped the ingest already (`reject`); any bad
        // record stops an all-or-nothing one. Later batches are still
        // checked, so that the caller hears of every bad record.
        if (self.mode == IngestMode::AllOrNothing && !self.report.rejected.is_empty())
            || self.unlisted > 0
        {
            self.doomed = true;
        }
        if self.doomed {
            return Ok(());
        }
        let target = Target {
            tenant: &self.tenant,
            generation: self.generation,
            lists: &mut self.added_lists,
            report: &mut self.report,
        };
        self.staged = stage(target, accounts, staged);
        self.wrote |= self.staged.is_some();
        Ok(())
    }

    /// Commits the ingest (durable before it returns) and reports it, or
    /// rolls it back and says why: every bad record of an all-or-nothing
    /// ingest, a file-level error, or a file with no good record at all.
    pub fn finish(mut self) -> Result<IngestReport, StoreError> {
        let nothing_good = self.good_rows == 0 && !self.report.rejected.is_empty();
        if self.doomed || nothing_good {
            self.roll_back()?;
            let mut rejected = std::mem::take(&mut self.report.rejected);
            rejected.sort_by_key(|e| e.line);
            if self.unlisted > 0 {
                rejected.push(RowError::record(
                    rejected.last().map_or(0, |e| e.line),
                    None,
                    format!(
                        "{} more error(s) not listed: an ingest lists at most {MAX_REJECTS}; nothing was loaded",
                        self.unlisted
                    ),
                ));
            }
            return Err(StoreError::Rejected(rejected));
        }
        let turn = self.turn.take().expect("finished once");
        if self.wrote {
            let last = self.staged.take();
            let committed = last
                .map_or(Ok(()), |staged| Ok(staged.write(&self.store.data)?))
                .and_then(|()| self.store.flush())
                .and_then(|()| self.store.commit_generation(&self.tenant, self.generation));
            if let Err(e) = committed {
                self.turn = Some(turn);
                self.roll_back()?;
                return Err(e);
            }
            turn.committed();
            // Its undo log too, unless a reader from before it still reads
            // (then the next ingest removes it). Committed already: a
            // failure here only leaves the log for later.
            let unneeded = self.store.versions.unneeded(&self.tenant);
            if let Err(e) = self.store.remove_unneeded_undo(&self.tenant, &unneeded) {
                eprintln!(
                    "vitals: removing the undo log of an ingest of tenant {:?} failed (kept for the next ingest): {e}",
                    self.tenant
                );
            }
        }
        let mut report = std::mem::take(&mut self.report);
        report.rejected.sort_by_key(|e| e.line);
        Ok(report)
    }

    /// Undoes what this ingest wrote; if that fails, the tenant takes no
    /// more ingests until the store is opened again (which rolls it back).
    fn roll_back(&mut self) -> Result<(), StoreError> {
        let Some(turn) = self.turn.take() else {
            return Ok(());
        };
        match self
            .store
            .roll_back_generation(&self.tenant, self.generation)
        {
            Ok(_) => Ok(()),
            Err(e) => {
                turn.broken();
                Err(e)
            }
        }
    }
}

impl Drop for Ingest<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.roll_back() {
            eprintln!(
                "vitals: rolling back an unfinished ingest of tenant {:?} failed: {e}",
                self.tenant
            );
        }
    }
}
