//! Erasing an account (the right to erasure): its attributes, every
//! snapshot and outcome, its result in every run and its rows in shadow-run
//! reports. The tenant's audit log keeps that it happened (the account id,
//! who, when, counts), never the data.
//!
//! An erasure is written as an ingest is (`store::writer`): it takes the
//! tenant's write turn (an ingest meanwhile is refused busy) and writes a
//! generation g in which every record of the account is replaced by a
//! tombstone stamped g, its value kept in g's undo log, so that a reader
//! from before g still sees the account whole and a reader after it sees
//! nothing (`store::view`). One sled transaction then commits g and, in the
//! same atomic step, removes the account's results, leaves it out of the
//! runs' counts, removes its shadow-report rows and appends the audit
//! record. A crash before that transaction leaves g uncommitted, rolled
//! back at the next open (the account is whole); a crash after it leaves
//! the account erased (the next open removes the undo log and tombstones).
//! Once no reader from before g is left, the undo log and the tombstones
//! go; until then the tenant takes no ingest (retry).
//!
//! No run of the tenant may be going (refused: retry) and none starts
//! meanwhile (`Store::start_run` checks); the service also holds the
//! tenant's job slot, so that no shadow run reads the account before the
//! erasure and stores its report after it.

use super::audit::{AuditAction, AuditRecord};
use super::erase_results::BlockEdit;
use super::keys::{self, Kind};
use super::runs::{RunRecord, RunStatus, run_key};
use super::shadows::{NamesAccounts, shadow_prefix};
use super::undo::{committed_key, erasure_key, replaced_key};
use super::versions::{Refused, WriteTurn};
use super::{Store, StoreError, abort, codec, transaction_error};
use serde::{Deserialize, Serialize};
use sled::{IVec, Transactional};
use std::time::{Duration, Instant};

/// How long an erasure waits for readers from before it to end, so that
/// the erased values have left the undo log when it answers. Past it they
/// leave once those readers have ended, when the tenant's next write begins
/// (or at the next open). Short in unit tests, which hold readers on purpose.
const SETTLE: Duration = if cfg!(test) {
    Duration::from_millis(100)
} else {
    Duration::from_secs(30)
};

/// Records per atomic batch of tombstones.
const BATCH: usize = 4096;

/// What an erasure removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountErased {
    /// The account (its attributes went too).
    pub account: String,
    /// Snapshots erased.
    pub snapshots: usize,
    /// Outcomes erased.
    pub outcomes: usize,
    /// Results erased: one per run that had scored the account (a complete
    /// run's counts now leave it out).
    pub results: usize,
    /// The runs those results were in.
    pub runs: Vec<u64>,
    /// Rows naming the account in shadow-run reports, erased.
    pub shadow_rows: usize,
}

impl AccountErased {
    /// What was erased, in words (the audit record's detail).
    pub fn describe(&self) -> String {
        let runs: Vec<String> = self.runs.iter().map(u64::to_string).collect();
        format!(
            "erased its attributes, {} snapshot(s), {} outcome(s), {} result(s){}, {} shadow-report row(s)",
            self.snapshots,
            self.outcomes,
            self.results,
            if runs.is_empty() {
                String::new()
            } else {
                format!(" (runs {})", runs.join(", "))
            },
            self.shadow_rows
        )
    }
}

/// One shadow report without the account's rows.
struct ShadowEdit {
    key: IVec,
    old: IVec,
    new: Vec<u8>,
}

/// What an erasure writes in its transaction.
struct Plan {
    erased: AccountErased,
    results: Vec<BlockEdit>,
    shadows: Vec<ShadowEdit>,
}

impl Store {
    /// The tenant's write turn for an erasure or a deletion: refused busy
    /// while an ingest is going.
    pub(super) fn erase_turn(&self, tenant: &str) -> Result<WriteTurn, StoreError> {
        let (turn, unneeded) = match self.versions.erase(tenant, || self.load_clock(tenant))? {
            Ok(t) => t,
            Err(Refused::Busy) => return Err(StoreError::Busy(tenant.to_string())),
            Err(Refused::Broken) => {
                return Err(StoreError::Corrupt(format!(
                    "an earlier write of tenant {tenant:?} failed and could not be rolled back; restart vitals to roll it back"
                )));
            }
        };
        self.remove_unneeded_undo(tenant, &unneeded)?;
        Ok(turn)
    }

    /// Refuses (retry) while a run of the tenant is going.
    pub(super) fn refuse_running_runs(&self, tenant: &str) -> Result<(), StoreError> {
        match self
            .runs(tenant)?
            .into_iter()
            .find(|r| r.status == RunStatus::Running)
        {
            Some(r) => Err(StoreError::Retry(format!(
                "run {} of tenant {tenant:?} ({} {}) is going; retry when it has ended",
                r.id, r.plugin, r.version
            ))),
            None => Ok(()),
        }
    }

    /// Caches built from the tenant's runs rebuild (see [`Store::run_completions`]).
    pub(super) fn runs_changed(&self, tenant: &str) {
        *self
            .completions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(tenant.to_string())
            .or_insert(0) += 1;
    }

    /// Erases an account for `by` (`local`, or the API key that asked):
    /// its attributes, snapshots, outcomes, results and shadow-report rows
    /// (`R` is the shadow report's type). Durable on return; readers see
    /// it whole or not at all. Not found unless the account exists; busy
    /// while an ingest is going; retry while a run is.
    pub fn erase_account<R: NamesAccounts>(
        &self,
        tenant: &str,
        account: &str,
        by: &str,
    ) -> Result<AccountErased, StoreError> {
        self.require_tenant(tenant)?;
        let turn = self.erase_turn(tenant)?;
        match self.erase_and_commit::<R>(&turn, tenant, account, by) {
            Ok(erased) => {
                drop(turn);
                self.runs_changed(tenant);
                // Events name the account (its name, owner): they go too,
                // with their deliveries, delivered or not.
                self.erase_account_events(tenant, account)?;
                self.flush()?;
                self.settle_erasures(tenant);
                Ok(erased)
            }
            Err(e) => {
                // Nothing committed: undo what was written of it.
                if let Err(undo) = self.roll_back_generation(tenant, turn.generation) {
                    turn.broken();
                    eprintln!(
                        "vitals: rolling back an erasure of tenant {tenant:?} failed (restart vitals to roll it back): {undo}"
                    );
                }
                Err(e)
            }
        }
    }

    /// Writes the tombstones, then commits them with the rest in one
    /// transaction. Any error leaves the generation uncommitted.
    fn erase_and_commit<R: NamesAccounts>(
        &self,
        turn: &WriteTurn,
        tenant: &str,
        account: &str,
        by: &str,
    ) -> Result<AccountErased, StoreError> {
        self.refuse_running_runs(tenant)?;
        let g = turn.generation;
        let (snapshots, outcomes) = self.write_tombstones(tenant, account, g)?;
        let plan = self.plan::<R>(tenant, account, snapshots, outcomes)?;
        let record = AuditRecord::now(
            by,
            AuditAction::AccountDeleted,
            account,
            plan.erased.describe(),
        );
        let (log_key, log_value) = self.audit_entry(Some(tenant), &record)?;
        let mark = committed_key(tenant);
        self.versions.commit_with(turn, || {
            let trees = (
                &self.data,
                &self.results,
                &self.runs,
                &self.shadows,
                &self.audit,
            );
            trees
                .transaction(|(data, results, runs, shadows, audit)| {
                    for edit in &plan.results {
                        if results.get(&edit.old_key)?.as_ref() != Some(&edit.old_value) {
                            return abort(StoreError::Conflict(format!(
                                "the results of run {} changed during the erasure; retry",
                                edit.run
                            )));
                        }
                        results.remove(edit.old_key.clone())?;
                        if let Some((key, value)) = &edit.new {
                            results.insert(key.as_slice(), value.as_slice())?;
                        }
                        let key = run_key(tenant, edit.run);
                        let Some(raw) = runs.get(&key)? else {
                            return abort(StoreError::Corrupt(format!(
                                "run {} has results but no record",
                                edit.run
                            )));
                        };
                        let mut run: RunRecord = match codec::decode("run", &raw) {
                            Ok(r) => r,
                            Err(e) => return abort(e.into()),
                        };
                        edit.uncount(&mut run);
                        runs.insert(key, codec::encode_json(&run))?;
                    }
                    for edit in &plan.shadows {
                        if shadows.get(&edit.key)?.as_ref() != Some(&edit.old) {
                            return abort(StoreError::Conflict(
                                "a shadow report changed during the erasure; retry".into(),
                            ));
                        }
                        shadows.insert(edit.key.clone(), edit.new.as_slice())?;
                    }
                    data.insert(mark.as_slice(), &g.to_be_bytes()[..])?;
                    audit.insert(log_key.as_slice(), log_value.as_slice())?;
                    Ok(())
                })
                .map_err(transaction_error)
        })?;
        Ok(plan.erased)
    }

    /// Replaces every record of the account by a tombstone of generation
    /// `g`, keeping its value in g's undo log (each batch atomic with its
    /// undo entries, the first with the erasure mark); returns the
    /// snapshots and outcomes. Not found unless the account exists. The
    /// write turn is held, so the live records are the committed ones.
    pub(super) fn write_tombstones(
        &self,
        tenant: &str,
        account: &str,
        g: u64,
    ) -> Result<(usize, usize), StoreError> {
        let account_key = keys::account(tenant, account);
        let attributes = match self.data.get(&account_key)? {
            // A tombstone: erased already, its undo log kept for a reader.
            Some(v) if !codec::is_tombstone(&v) => v,
            _ => {
                return Err(StoreError::NotFound {
                    what: "account",
                    id: account.to_string(),
                });
            }
        };
        let mut batch = sled::Batch::default();
        batch.insert(erasure_key(tenant, g), &[][..]);
        let mut pending = 1;
        let put = |batch: &mut sled::Batch, key: &[u8], value: IVec| {
            batch.insert(replaced_key(tenant, g, key), value);
            batch.insert(key, codec::tombstone(g));
        };
        put(&mut batch, &account_key, attributes);
        let mut counts = [0usize; 2];
        for (i, kind) in [Kind::Snapshot, Kind::Outcome].into_iter().enumerate() {
            for kv in self
                .data
                .scan_prefix(keys::account_prefix(tenant, kind, account))
            {
                let (key, value) = kv?;
                if codec::is_tombstone(&value) {
                    continue;
                }
                put(&mut batch, &key, value);
                counts[i] += 1;
                pending += 2;
                if pending >= BATCH {
                    self.data.apply_batch(std::mem::take(&mut batch))?;
                    pending = 0;
                }
            }
        }
        self.data.apply_batch(batch)?;
        Ok((counts[0], counts[1]))
    }

    /// The result and shadow-report edits of erasing the account.
    fn plan<R: NamesAccounts>(
        &self,
        tenant: &str,
        account: &str,
        snapshots: usize,
        outcomes: usize,
    ) -> Result<Plan, StoreError> {
        let mut results = Vec::new();
        for run in self.runs(tenant)? {
            if let Some(edit) = self.result_edit(tenant, run.id, account)? {
                results.push(edit);
            }
        }
        let mut shadows = Vec::new();
        let mut shadow_rows = 0;
        for kv in self.shadows.scan_prefix(shadow_prefix(tenant)) {
            let (key, old) = kv?;
            let mut report: R = codec::decode("shadow report", &old)?;
            let rows = report.forget_account(account);
            if rows > 0 {
                shadow_rows += rows;
                shadows.push(ShadowEdit {
                    key,
                    old,
                    new: codec::encode_json(&report),
                });
            }
        }
        Ok(Plan {
            erased: AccountErased {
                account: account.to_string(),
                snapshots,
                outcomes,
                results: results.len(),
                runs: results.iter().map(|e| e.run).collect(),
                shadow_rows,
            },
            results,
            shadows,
        })
    }

    /// Removes the undo logs and tombstones of the tenant's committed
    /// erasures once no reader from before them is left, waiting for such
    /// readers up to [`SETTLE`] (what is left then goes with the tenant's
    /// next write, or at the next open); flushed.
    fn settle_erasures(&self, tenant: &str) {
        let started = Instant::now();
        loop {
            let unneeded = self.versions.unneeded(tenant);
            if let Err(e) = self.remove_unneeded_undo(tenant, &unneeded) {
                eprintln!(
                    "vitals: removing the undo log of an erasure of tenant {tenant:?} failed (kept for its next write): {e}"
                );
                break;
            }
            if !self.versions.erasure_pending(tenant) || started.elapsed() >= SETTLE {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Err(e) = self.flush() {
            eprintln!("vitals: flushing after an erasure of tenant {tenant:?} failed: {e}");
        }
    }
}
