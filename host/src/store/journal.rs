//! Atomic multi-record writes to the data tree. A small write is one sled
//! batch. A large one (a bulk ingest) is inserted by every core in parallel,
//! about twice the single-batch rate, under a journal written and flushed
//! first: it lists the keys being added and the old values being replaced,
//! so that a crash in the middle is rolled back when the store next opens
//! and nothing unacknowledged stays visible.

use super::{Store, StoreError, codec};
use serde::{Deserialize, Serialize};

/// Writes up to this many records go in one sled batch.
const BATCH_LIMIT: usize = 4096;

const JOURNAL_PREFIX: &[u8] = b"journal:";

#[derive(Serialize, Deserialize)]
struct Journal {
    /// Keys that did not exist before.
    added: Vec<Vec<u8>>,
    /// (key, value before) of records being replaced.
    replaced: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Store {
    /// Adds `added` (new keys) and replaces `replaced` (key, new, old), all
    /// or nothing, flushed before returning.
    pub(super) fn write_atomically(
        &self,
        mut added: Vec<(Vec<u8>, Vec<u8>)>,
        replaced: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
    ) -> Result<(), StoreError> {
        if added.len() + replaced.len() <= BATCH_LIMIT {
            let mut batch = sled::Batch::default();
            for (k, v) in added
                .into_iter()
                .chain(replaced.into_iter().map(|(k, v, _)| (k, v)))
            {
                batch.insert(k, v);
            }
            self.data.apply_batch(batch)?;
            return self.flush();
        }
        let mut key = JOURNAL_PREFIX.to_vec();
        key.extend_from_slice(&self.db.generate_id()?.to_be_bytes());
        let journal = Journal {
            added: added.iter().map(|(k, _)| k.clone()).collect(),
            replaced: replaced
                .iter()
                .map(|(k, _, old)| (k.clone(), old.clone()))
                .collect(),
        };
        self.meta.insert(&key, codec::encode(&journal))?;
        self.flush()?;
        added.extend(replaced.into_iter().map(|(k, v, _)| (k, v)));
        // Key order within each worker's share keeps sled's pages local.
        added.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .max(2);
        let share = added.len().div_ceil(workers);
        std::thread::scope(|scope| -> Result<(), StoreError> {
            let handles: Vec<_> = added
                .chunks(share)
                .map(|part| {
                    scope.spawn(move || -> Result<(), StoreError> {
                        for (k, v) in part {
                            self.data.insert(k.as_slice(), v.as_slice())?;
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("writer thread")?;
            }
            Ok(())
        })?;
        self.flush()?;
        self.meta.remove(&key)?;
        self.flush()
    }

    /// Rolls back large writes a crash interrupted (called at open).
    pub(super) fn roll_back_interrupted_writes(&self) -> Result<usize, StoreError> {
        let mut rolled = 0;
        for kv in self.meta.scan_prefix(JOURNAL_PREFIX) {
            let (key, value) = kv?;
            let journal: Journal = codec::decode("journal", &value)?;
            let mut batch = sled::Batch::default();
            for k in journal.added {
                batch.remove(k);
            }
            for (k, old) in journal.replaced {
                batch.insert(k, old);
            }
            self.data.apply_batch(batch)?;
            self.flush()?;
            self.meta.remove(key)?;
            self.flush()?;
            rolled += 1;
        }
        Ok(rolled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_write_is_applied_whole() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let added: Vec<_> = (0..10_000u32)
            .map(|i| (i.to_be_bytes().to_vec(), vec![1u8; 10]))
            .collect();
        s.write_atomically(added, vec![]).unwrap();
        assert_eq!(s.data.len(), 10_000);
        assert_eq!(
            s.meta.scan_prefix(JOURNAL_PREFIX).count(),
            0,
            "journal removed once done"
        );
    }

    #[test]
    fn a_write_interrupted_by_a_crash_is_rolled_back_at_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.data.insert(b"kept", b"old").unwrap();
            // What a crash leaves: the journal, and part of the write done.
            let journal = Journal {
                added: vec![b"new-1".to_vec(), b"new-2".to_vec()],
                replaced: vec![(b"kept".to_vec(), b"old".to_vec())],
            };
            s.meta
                .insert(b"journal:\0\0\0\0\0\0\0\x07", codec::encode(&journal))
                .unwrap();
            s.data.insert(b"new-1", b"x").unwrap();
            s.data.insert(b"kept", b"new").unwrap();
            s.flush().unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.data.get(b"new-1").unwrap(), None);
        assert_eq!(s.data.get(b"kept").unwrap().as_deref(), Some(&b"old"[..]));
        assert_eq!(s.meta.scan_prefix(JOURNAL_PREFIX).count(), 0);
    }
}
