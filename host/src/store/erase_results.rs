//! What erasing an account changes in runs: its entry leaves the result
//! block that holds it (the block keeps the key of its new first account,
//! or goes when it held only that account), and a complete run's counts
//! leave it out, so counts, result pages and one-account lookups agree with
//! the results left. The edits are planned here and written by the
//! erasure's one transaction (`store::erase`).

use super::runs::{Block, INDEXED_BLOCK, RunRecord, RunStatus, result_prefix};
use super::{Store, StoreError};
use sled::IVec;

/// One run's result block without the account.
pub(super) struct BlockEdit {
    /// The run.
    pub run: u64,
    /// The block's key and value as read (the transaction checks that
    /// nothing changed them since).
    pub old_key: IVec,
    pub old_value: IVec,
    /// The block without the account, under its new first account's key;
    /// `None` when the account was its only one.
    pub new: Option<(Vec<u8>, Vec<u8>)>,
    /// The removed entry's error kind; `None` when it was a result.
    pub error_kind: Option<String>,
}

impl BlockEdit {
    /// Leaves the removed entry out of a run's counts (only a complete
    /// run's: a failed run's counts say how far it got).
    pub fn uncount(&self, run: &mut RunRecord) {
        if run.status != RunStatus::Complete {
            return;
        }
        run.accounts = run.accounts.saturating_sub(1);
        match &self.error_kind {
            None => run.ok = run.ok.saturating_sub(1),
            Some(kind) => {
                if let Some(n) = run.errors.get_mut(kind) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        run.errors.remove(kind);
                    }
                }
            }
        }
    }
}

impl Store {
    /// The edit that removes `account` from run `run`'s results, if it has
    /// a result there.
    pub(super) fn result_edit(
        &self,
        tenant: &str,
        run: u64,
        account: &str,
    ) -> Result<Option<BlockEdit>, StoreError> {
        let prefix = result_prefix(tenant, run);
        let mut key = prefix.clone();
        key.extend_from_slice(account.as_bytes());
        // The block holding the account starts at or before it.
        let Some(kv) = self.results.range(prefix.clone()..=key).next_back() else {
            return Ok(None);
        };
        let (old_key, old_value) = kv?;
        // Entries as the indexed format holds them: id, encoded result.
        let mut entries: Vec<(String, Vec<u8>)> = match Block::parse(&old_value)? {
            Block::Indexed(entries) => entries
                .into_iter()
                .map(|(a, e)| (a.to_string(), e.to_vec()))
                .collect(),
            Block::Whole(entries) => entries
                .into_iter()
                .map(|(a, e)| {
                    let bytes = postcard::to_allocvec(&e).expect("in-memory postcard");
                    (a, bytes)
                })
                .collect(),
        };
        let Ok(at) = entries.binary_search_by(|(a, _)| a.as_str().cmp(account)) else {
            return Ok(None);
        };
        let (_, removed) = entries.remove(at);
        let error_kind = Block::decode_entry(&removed)?
            .err()
            .map(|e| e.kind().to_string());
        let new = entries.first().map(|(first, _)| {
            let mut key = prefix.clone();
            key.extend_from_slice(first.as_bytes());
            let listed: Vec<(&str, &[u8])> = entries
                .iter()
                .map(|(a, e)| (a.as_str(), e.as_slice()))
                .collect();
            let mut value = vec![INDEXED_BLOCK];
            value.extend(postcard::to_allocvec(&listed).expect("in-memory postcard"));
            (key, value)
        });
        Ok(Some(BlockEdit {
            run,
            old_key,
            old_value,
            new,
            error_kind,
        }))
    }
}
