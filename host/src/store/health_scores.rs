//! A complete health run's scores read in account order, one result block
//! at a time, for a merge with accounts streamed in the same order: a later
//! run reads its accounts' earlier health without holding every account's
//! scores in memory first.

use super::runs::{Block, Encoded};
use super::{Store, StoreError};
use crate::contract::Band;
use std::collections::VecDeque;

/// The scores and bands of one complete health run, asked for account by
/// account in increasing id order (the order of the store's keys, in which
/// runs store their results and chunks of accounts are read).
pub struct HealthScores {
    blocks: sled::Iter,
    /// What is left of the block read last: (account, score, band).
    block: VecDeque<(String, f64, Band)>,
    /// The account asked for last (empty before the first): the next must
    /// come after it. One buffer, reused: this is asked once per account.
    last_asked: String,
}

impl std::fmt::Debug for HealthScores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthScores")
            .field("block", &self.block.len())
            .field("last_asked", &self.last_asked)
            .finish_non_exhaustive()
    }
}

impl HealthScores {
    /// The score and band of `account` (`None`: it has none in the run, or
    /// its result was an error), passing over the accounts before it.
    /// Accounts are asked in increasing order; one asked out of order is an
    /// error rather than a silently missing score.
    pub fn of(&mut self, account: &str) -> Result<Option<(f64, Band)>, StoreError> {
        if !self.last_asked.is_empty() && self.last_asked.as_str() >= account {
            return Err(StoreError::Invalid(format!(
                "health scores asked for account {account:?} after {:?}: accounts are read in increasing order",
                self.last_asked
            )));
        }
        self.last_asked.clear();
        self.last_asked.push_str(account);
        loop {
            let Some((next, score, band)) = self.block.front() else {
                if self.read_block()? {
                    continue;
                }
                return Ok(None);
            };
            match next.as_str().cmp(account) {
                std::cmp::Ordering::Less => {
                    self.block.pop_front();
                }
                std::cmp::Ordering::Equal => {
                    let found = (*score, *band);
                    self.block.pop_front();
                    return Ok(Some(found));
                }
                std::cmp::Ordering::Greater => return Ok(None),
            }
        }
    }

    /// Reads the next block's scores; false when there is none left.
    fn read_block(&mut self) -> Result<bool, StoreError> {
        let Some(kv) = self.blocks.next() else {
            return Ok(false);
        };
        let bytes = kv?.1;
        match Block::parse(&bytes)? {
            Block::Indexed(entries) => {
                for (account, entry) in entries {
                    if let Some((score, band)) = Block::health_head(entry)? {
                        self.block.push_back((account.to_string(), score, band));
                    }
                }
            }
            Block::Whole(entries) => {
                for (account, entry) in entries {
                    if let Encoded::Health(h) = entry {
                        self.block.push_back((account, h.score, h.band));
                    }
                }
            }
        }
        Ok(true)
    }
}

impl Store {
    /// The scores of complete run `id` (of a health model; a run of another
    /// kind has none), read as they are asked for: see [`HealthScores`].
    pub fn health_scores(&self, tenant: &str, id: u64) -> Result<HealthScores, StoreError> {
        Ok(HealthScores {
            blocks: self.complete_results_scan(tenant, id)?,
            block: VecDeque::new(),
            last_asked: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::contract::ContractVersion::V0_2;
    use crate::contract::{Band, Factor, Health, Output, PluginError};
    use crate::contract::{PluginKind, PluginMetadata};
    use crate::store::{Store, StoreError};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        (dir, s)
    }

    /// A health result with a dozen factors, so that a run of a few
    /// hundred accounts takes many result blocks.
    fn health(score: f64) -> Result<Output, PluginError> {
        Ok(Output::Health(Health {
            score,
            band: if score < 50.0 { Band::Red } else { Band::Green },
            factors: (0..12)
                .map(|i| Factor {
                    name: format!("measure-{i}").into(),
                    group: "usage".into(),
                    value: Some(score),
                    weight: 0.5,
                    points: 1.0,
                })
                .collect(),
        }))
    }

    /// A complete health run with the results of `accounts`: every third
    /// account an error.
    fn run_with(s: &Store, accounts: &[String]) -> u64 {
        let meta = PluginMetadata {
            name: "h".into(),
            version: "1.0.0".into(),
            kind: PluginKind::HealthModel,
            description: "d".into(),
            config_schema: "{}".into(),
            reads: vec![],
        };
        let p = s.add_plugin("t", "hash", b"c", &meta, V0_2).unwrap();
        let mut run = s.start_run("t", &p, "{}", 300).unwrap();
        let results: Vec<_> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let r = match i % 3 {
                    2 => Err(PluginError::BadOutput("nan".into())),
                    _ => health(i as f64 / 4.0),
                };
                (a.clone(), r)
            })
            .collect();
        s.write_results(&mut run, &results, 0, vec![], 0).unwrap();
        s.complete_run(&mut run).unwrap();
        run.id
    }

    /// What `run_with` stored for the `i`-th account (every third an error).
    fn expected(i: usize) -> Option<(f64, Band)> {
        let score = i as f64 / 4.0;
        let band = if score < 50.0 { Band::Red } else { Band::Green };
        (i % 3 != 2).then_some((score, band))
    }

    #[test]
    fn scores_are_found_in_account_order_across_blocks_passing_over_the_others() {
        let (_d, s) = store();
        let accounts: Vec<String> = (0..600).map(|i| format!("acct-{i:04}")).collect();
        let id = run_with(&s, &accounts);
        let blocks = s.complete_results_scan("t", id).unwrap().count();
        assert!(blocks > 5, "the run spans {blocks} blocks");
        let mut scores = s.health_scores("t", id).unwrap();
        // Every other account, each followed by one the run never scored.
        for (i, account) in accounts.iter().enumerate().step_by(2) {
            assert_eq!(scores.of(account).unwrap(), expected(i), "{account}");
            assert_eq!(scores.of(&format!("{account}x")).unwrap(), None);
        }
        assert_eq!(scores.of("zzz").unwrap(), None, "past the last block");
        // Read again from the start, every account: the same as stored.
        let mut scores = s.health_scores("t", id).unwrap();
        for (i, account) in accounts.iter().enumerate() {
            assert_eq!(scores.of(account).unwrap(), expected(i), "{account}");
        }
    }

    #[test]
    fn an_account_asked_out_of_order_is_an_error_and_a_running_run_has_no_scores() {
        let (_d, s) = store();
        let accounts: Vec<String> = (0..10).map(|i| format!("a{i}")).collect();
        let id = run_with(&s, &accounts);
        let mut scores = s.health_scores("t", id).unwrap();
        assert_eq!(scores.of("a5").unwrap(), expected(5));
        for again in ["a3", "a5"] {
            let err = scores.of(again).unwrap_err();
            assert!(
                matches!(&err, StoreError::Invalid(m) if m.contains(again) && m.contains("\"a5\"")),
                "{err}"
            );
        }
        let p = s.plugin("t", "h", Some("1.0.0")).unwrap();
        let running = s.start_run("t", &p, "{}", 400).unwrap();
        assert!(matches!(
            s.health_scores("t", running.id),
            Err(StoreError::Invalid(_))
        ));
    }
}
