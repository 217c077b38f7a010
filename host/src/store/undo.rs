//! The ingest undo log and commit marks, on disk in the data tree beside
//! the records they guard (so that a batch of records and its undo entries
//! are one atomic sled batch). Keys start with 0xFF, which no tenant id
//! does, so no tenant scan ever meets them:
//!
//! - `FF 'g' 0 tenant`: the tenant's last committed ingest generation;
//! - `FF 'u' 0 tenant 0 generation 'a' seq`: keys that ingest added (a
//!   list of a few KiB; a batch writes as many as its keys need);
//! - `FF 'u' 0 tenant 0 generation 'r' key`: the value the ingest replaced;
//! - `FF 'u' 0 tenant 0 generation 'e'`: the generation is an erasure
//!   (`store::erase`): the records it replaced hold tombstones, removed
//!   with its undo log.
//!
//! An ingest is committed when its generation mark is flushed. Until then
//! readers skip its records (`store::view`), and a crash or a failure rolls
//! it back from its undo log: keys it added are removed and values it
//! replaced restored, each only if the record still carries its stamp, so
//! a rollback never touches what another ingest wrote.

use super::codec::{self, Stamp};
use super::{Store, StoreError};
use std::collections::BTreeSet;

const SYSTEM: u8 = 0xFF;
const COMMITTED: u8 = b'g';
const UNDO: u8 = b'u';
const ADDED: u8 = b'a';
const REPLACED: u8 = b'r';
const ERASURE: u8 = b'e';

/// Removes and restores go to sled in batches of this many.
const BATCH: usize = 4096;

pub(super) fn committed_key(tenant: &str) -> Vec<u8> {
    let mut k = vec![SYSTEM, COMMITTED, 0];
    k.extend_from_slice(tenant.as_bytes());
    k
}

fn undo_all_prefix() -> Vec<u8> {
    vec![SYSTEM, UNDO, 0]
}

fn undo_tenant_prefix(tenant: &str) -> Vec<u8> {
    let mut k = undo_all_prefix();
    k.extend_from_slice(tenant.as_bytes());
    k.push(0);
    k
}

fn undo_prefix(tenant: &str, generation: u64) -> Vec<u8> {
    let mut k = undo_tenant_prefix(tenant);
    k.extend_from_slice(&generation.to_be_bytes());
    k
}

/// The key of the value `key` had before `generation` replaced it.
pub(super) fn replaced_key(tenant: &str, generation: u64, key: &[u8]) -> Vec<u8> {
    let mut k = undo_prefix(tenant, generation);
    k.push(REPLACED);
    k.extend_from_slice(key);
    k
}

/// The key of the list of keys batch `seq` of `generation` added.
pub(super) fn added_key(tenant: &str, generation: u64, seq: u32) -> Vec<u8> {
    let mut k = undo_prefix(tenant, generation);
    k.push(ADDED);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The key marking `generation` as an erasure: its replaced records hold
/// tombstones, removed when its undo log is.
pub(super) fn erasure_key(tenant: &str, generation: u64) -> Vec<u8> {
    let mut k = undo_prefix(tenant, generation);
    k.push(ERASURE);
    k
}

/// The prefix of every undo log of a tenant (for the deletion of the tenant).
pub(super) fn undo_logs_of(tenant: &str) -> Vec<u8> {
    undo_tenant_prefix(tenant)
}

/// (tenant, generation) of an undo key.
fn split_undo_key(key: &[u8]) -> Option<(&str, u64)> {
    let rest = key.strip_prefix(&undo_all_prefix()[..])?;
    let sep = rest.iter().position(|b| *b == 0)?;
    let tenant = std::str::from_utf8(&rest[..sep]).ok()?;
    let generation = u64::from_be_bytes(rest.get(sep + 1..sep + 9)?.try_into().ok()?);
    Some((tenant, generation))
}

/// The first key after every key starting with `prefix`.
fn after_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.push(0xFF);
    k.push(0xFF);
    k
}

/// An ingest a crash interrupted, rolled back when the store opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// Whose.
    pub tenant: String,
    /// Its generation.
    pub generation: u64,
    /// Records it had written, now removed or restored.
    pub records: usize,
}

impl Store {
    /// A tenant's last committed generation (0: none yet).
    pub(super) fn committed_generation(&self, tenant: &str) -> Result<u64, StoreError> {
        match self.data.get(committed_key(tenant))? {
            Some(v) => Ok(u64::from_be_bytes(v.as_ref().try_into().map_err(|_| {
                StoreError::Corrupt(format!("the ingest generation of tenant {tenant:?}"))
            })?)),
            None => Ok(0),
        }
    }

    /// The generations of a tenant that have an undo log on disk (one
    /// seek per generation, not a read of every entry).
    fn undo_generations(&self, tenant: &str) -> Result<BTreeSet<u64>, StoreError> {
        let prefix = undo_tenant_prefix(tenant);
        let mut found = BTreeSet::new();
        let mut from = prefix.clone();
        while let Some(kv) = self.data.range(from.clone()..).next() {
            let (k, _) = kv?;
            if !k.starts_with(&prefix) {
                break;
            }
            let (_, generation) =
                split_undo_key(&k).ok_or_else(|| StoreError::Corrupt("an undo log key".into()))?;
            found.insert(generation);
            from = after_prefix(&undo_prefix(tenant, generation));
        }
        Ok(found)
    }

    /// What the in-memory clock of a tenant starts from.
    pub(super) fn load_clock(&self, tenant: &str) -> Result<(u64, BTreeSet<u64>), StoreError> {
        Ok((
            self.committed_generation(tenant)?,
            self.undo_generations(tenant)?,
        ))
    }

    /// Makes `generation` the tenant's committed one, durably.
    pub(super) fn commit_generation(
        &self,
        tenant: &str,
        generation: u64,
    ) -> Result<(), StoreError> {
        self.data
            .insert(committed_key(tenant), &generation.to_be_bytes())?;
        self.flush()
    }

    /// Removes the undo log of a generation (no flush: a crash before the
    /// next flush leaves it for the next open to remove). The log of an
    /// erasure goes with the tombstones it guards, each in the same atomic
    /// batch as its undo entry, and its erasure mark last, so that a
    /// removal cut short is finished by the next one.
    pub(super) fn remove_undo(&self, tenant: &str, generation: u64) -> Result<(), StoreError> {
        let prefix = undo_prefix(tenant, generation);
        let mark = erasure_key(tenant, generation);
        let erasure = self.data.contains_key(&mark)?;
        let mut batch = sled::Batch::default();
        let mut pending = 0;
        for kv in self.data.scan_prefix(&prefix) {
            let key = kv?.0;
            if key == mark {
                continue;
            }
            if erasure && key.get(prefix.len()) == Some(&REPLACED) {
                let record = &key[prefix.len() + 1..];
                let tombstone = self.data.get(record)?.is_some_and(|now| {
                    codec::is_tombstone(&now) && codec::unstamp(&now).0.generation == generation
                });
                if tombstone {
                    batch.remove(record);
                    pending += 1;
                }
            }
            batch.remove(key);
            pending += 1;
            if pending >= BATCH {
                self.data.apply_batch(std::mem::take(&mut batch))?;
                pending = 0;
            }
        }
        batch.remove(mark);
        self.data.apply_batch(batch)?;
        Ok(())
    }

    /// Undoes what an uncommitted generation wrote, from its undo log, then
    /// removes the log; flushed. Idempotent: a record is removed or
    /// restored only while it carries this generation's stamp, so a second
    /// attempt after a crash in the middle finds nothing left to do.
    pub(super) fn roll_back_generation(
        &self,
        tenant: &str,
        generation: u64,
    ) -> Result<usize, StoreError> {
        let ours = |value: &[u8]| codec::unstamp(value).0.generation == generation;
        let prefix = undo_prefix(tenant, generation);
        let mut batch = sled::Batch::default();
        let (mut pending, mut records) = (0, 0);
        for kv in self.data.scan_prefix(&prefix) {
            let (k, v) = kv?;
            match k.get(prefix.len()) {
                Some(&ADDED) => {
                    let keys: Vec<Vec<u8>> = codec::decode("undo log", &v)?;
                    for key in keys {
                        if self.data.get(&key)?.is_some_and(|now| ours(&now)) {
                            batch.remove(key);
                            pending += 1;
                            records += 1;
                        }
                    }
                }
                Some(&REPLACED) => {
                    let key = &k[prefix.len() + 1..];
                    if self.data.get(key)?.is_some_and(|now| ours(&now)) {
                        batch.insert(key, v);
                        pending += 1;
                        records += 1;
                    }
                }
                Some(&ERASURE) => {}
                _ => return Err(StoreError::Corrupt("an undo log key".into())),
            }
            if pending >= BATCH {
                self.data.apply_batch(std::mem::take(&mut batch))?;
                pending = 0;
            }
        }
        self.data.apply_batch(batch)?;
        self.flush()?;
        self.remove_undo(tenant, generation)?;
        self.flush()?;
        Ok(records)
    }

    /// At open: rolls back every ingest a crash left uncommitted and removes
    /// the undo logs of committed ones (no reader is left that needs them).
    pub(super) fn recover_ingests(&self) -> Result<Vec<RolledBack>, StoreError> {
        let all = undo_all_prefix();
        let mut found: Vec<(String, u64)> = Vec::new();
        let mut from = all.clone();
        while let Some(kv) = self.data.range(from.clone()..).next() {
            let (k, _) = kv?;
            if !k.starts_with(&all) {
                break;
            }
            let (tenant, generation) =
                split_undo_key(&k).ok_or_else(|| StoreError::Corrupt("an undo log key".into()))?;
            from = after_prefix(&undo_prefix(tenant, generation));
            found.push((tenant.to_string(), generation));
        }
        let mut rolled = Vec::new();
        for (tenant, generation) in found {
            if generation <= self.committed_generation(&tenant)? {
                self.remove_undo(&tenant, generation)?;
            } else {
                let records = self.roll_back_generation(&tenant, generation)?;
                rolled.push(RolledBack {
                    tenant,
                    generation,
                    records,
                });
            }
        }
        self.flush()?;
        Ok(rolled)
    }
}

/// The stamp of a record an ingest writes.
pub(super) fn stamp_of(generation: u64, replaced: bool) -> Stamp {
    Stamp {
        generation,
        replaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undo_keys_name_their_tenant_and_generation_and_sort_by_them() {
        let a = added_key("acme", 3, 0);
        let r = replaced_key("acme", 3, b"acme\0a\0x");
        assert_eq!(split_undo_key(&a), Some(("acme", 3)));
        assert_eq!(split_undo_key(&r), Some(("acme", 3)));
        assert!(added_key("acme", 3, 9) < added_key("acme", 4, 0));
        assert!(r < after_prefix(&undo_prefix("acme", 3)));
        assert!(after_prefix(&undo_prefix("acme", 3)) < added_key("acme", 4, 0));
        assert!(!committed_key("acme").starts_with(&undo_all_prefix()));
    }

    #[test]
    fn a_rollback_restores_only_records_still_carrying_its_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let old = codec::stamp(stamp_of(1, false), b"\x01old");
        let mine = codec::stamp(stamp_of(2, true), b"\x01mine");
        let later = codec::stamp(stamp_of(3, false), b"\x01later");
        s.data.insert(b"t\0a\0kept", mine.clone()).unwrap();
        s.data
            .insert(replaced_key("t", 2, b"t\0a\0kept"), old.clone())
            .unwrap();
        s.data.insert(b"t\0s\0new", mine.clone()).unwrap();
        s.data.insert(b"t\0s\0other", later.clone()).unwrap();
        let added: Vec<Vec<u8>> = vec![b"t\0s\0new".to_vec(), b"t\0s\0other".to_vec()];
        s.data
            .insert(added_key("t", 2, 0), codec::encode(&added))
            .unwrap();
        assert_eq!(s.roll_back_generation("t", 2).unwrap(), 2);
        assert_eq!(s.data.get(b"t\0a\0kept").unwrap().unwrap(), old);
        assert!(s.data.get(b"t\0s\0new").unwrap().is_none());
        assert_eq!(
            s.data.get(b"t\0s\0other").unwrap().unwrap(),
            later,
            "another generation's record is never removed"
        );
        assert_eq!(s.data.scan_prefix(undo_prefix("t", 2)).count(), 0);
        assert_eq!(s.roll_back_generation("t", 2).unwrap(), 0, "idempotent");
    }
}
