//! The journal of schema version 1: a large write listed the keys it added
//! and the values it replaced in one meta record before writing them. A
//! version-1 store a crash left with one is rolled back from it at open;
//! version 2 writes ingests with an undo log instead (`store::undo`).

use super::{Store, StoreError, codec};
use serde::{Deserialize, Serialize};

const JOURNAL_PREFIX: &[u8] = b"journal:";

#[derive(Serialize, Deserialize)]
struct Journal {
    /// Keys that did not exist before.
    added: Vec<Vec<u8>>,
    /// (key, value before) of records being replaced.
    replaced: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Store {
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
    fn a_version_1_write_interrupted_by_a_crash_is_rolled_back_at_open() {
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
