//! Tenant data: accounts (attributes), snapshots (append-only) and outcomes,
//! all in one tree so that one ingest batch is one atomic sled batch.

use super::keys::{self, Kind};
use super::{Store, StoreError, codec};
use crate::model::{IngestRow, Outcome, OutcomeKind, RowError};
use crate::runtime::types::{Account, Attributes, Snapshot};
use std::collections::HashMap;

/// What to do with bad records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestMode {
    /// Any bad record (unreadable, conflicting) and nothing is written.
    AllOrNothing,
    /// Write the good rows; the bad ones are returned as rejects.
    ValidRows,
}

/// What an ingest did.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema, serde::Deserialize,
)]
pub struct IngestReport {
    /// Records read.
    pub rows: usize,
    /// Accounts seen for the first time.
    pub accounts_created: usize,
    /// Known accounts whose attributes changed.
    pub accounts_updated: usize,
    /// New snapshots.
    pub snapshots_added: usize,
    /// Snapshots identical to ones already stored (no-ops).
    pub snapshots_unchanged: usize,
    /// New outcomes.
    pub outcomes_added: usize,
    /// Outcomes identical to ones already stored.
    pub outcomes_unchanged: usize,
    /// Records not written, with why (only in `ValidRows` mode; in
    /// `AllOrNothing` mode any of these fails the whole ingest).
    pub rejected: Vec<RowError>,
}

/// An account as of an instant, ready for plugins: attributes, the latest
/// snapshot at or before the instant, and earlier snapshots in the window.
pub type AccountView = Account;

/// Sets the fields `from` gives; returns whether anything changed. Compares
/// before cloning: a bulk load repeats the same attributes on every row.
fn merge_attributes(into: &mut Attributes, from: &Attributes) -> bool {
    let mut changed = false;
    macro_rules! take {
        ($($f:ident),*) => { $(
            if from.$f.is_some() && from.$f != into.$f {
                into.$f = from.$f.clone();
                changed = true;
            }
        )* };
    }
    take!(
        name,
        owner,
        tier,
        plan,
        start_date,
        renewal_date,
        contract_arr,
        renewal_confidence
    );
    for label in &from.labels {
        match into.labels.iter_mut().find(|l| l.name == label.name) {
            Some(existing) if existing.value == label.value => {}
            Some(existing) => {
                existing.value = label.value.clone();
                changed = true;
            }
            None => {
                into.labels.push(label.clone());
                changed = true;
            }
        }
    }
    changed
}

/// A snapshot in its canonical stored form: metrics sorted by name and -0.0
/// as 0.0, so the same snapshot from a CSV and from JSON with its fields in
/// another order is recognised as identical on re-ingest.
fn encode_snapshot(s: &Snapshot) -> Vec<u8> {
    let canonical = s.metrics.is_sorted_by(|a, b| a.name <= b.name)
        && s.metrics
            .iter()
            .all(|m| !(m.value == 0.0 && m.value.is_sign_negative()));
    if canonical {
        return codec::encode(s);
    }
    let mut s = s.clone();
    s.metrics.sort_by(|a, b| a.name.cmp(&b.name));
    for m in &mut s.metrics {
        m.value += 0.0;
    }
    codec::encode(&s)
}

fn outcome_byte(kind: OutcomeKind) -> u8 {
    match kind {
        OutcomeKind::Renewed => b'r',
        OutcomeKind::Churned => b'c',
        OutcomeKind::Expanded => b'e',
        OutcomeKind::Contracted => b'x',
    }
}

impl Store {
    /// Fails with not-found unless the tenant exists.
    pub fn require_tenant_exists(&self, tenant: &str) -> Result<(), StoreError> {
        self.require_tenant(tenant)
    }

    pub(super) fn require_tenant(&self, tenant: &str) -> Result<(), StoreError> {
        if self.tenants.contains_key(tenant)? {
            Ok(())
        } else {
            Err(StoreError::NotFound {
                what: "tenant",
                id: tenant.into(),
            })
        }
    }

    /// Writes parsed rows for a tenant in one atomic batch, flushed before
    /// returning. Snapshots are append-only: an identical one is a no-op, a
    /// different one for the same (account, as_of) is a conflict, never an
    /// overwrite. `parse_errors` are the reader's errors for the same input.
    pub fn ingest(
        &self,
        tenant: &str,
        rows: &[IngestRow],
        parse_errors: Vec<RowError>,
        mode: IngestMode,
    ) -> Result<IngestReport, StoreError> {
        self.require_tenant(tenant)?;
        let mut report = IngestReport {
            // Records, not errors: one bad record can have several bad cells.
            rows: rows.len() + {
                let mut lines: Vec<usize> = parse_errors
                    .iter()
                    .map(|e| e.line)
                    .filter(|l| *l > 0)
                    .collect();
                lines.sort_unstable();
                lines.dedup();
                lines.len()
            },
            rejected: parse_errors,
            ..Default::default()
        };
        let mut accounts: HashMap<&str, (Attributes, bool, bool)> = HashMap::new(); // (attrs, new, changed)
        let mut staged: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        for row in rows {
            if !keys::valid_id(&row.account_id) {
                report.rejected.push(RowError {
                    line: row.line,
                    column: Some("account_id".into()),
                    reason: "account id must be 1-256 bytes without control characters".into(),
                });
                continue;
            }
            // An account with no stored attributes has nothing stored at all
            // (every ingest writes the account with its snapshots): its
            // snapshots need no lookup, which is what makes bulk loads fast.
            let stored_before = match accounts.get(row.account_id.as_str()) {
                Some((_, new, _)) => !*new,
                None => {
                    let existing = self.data.get(keys::account(tenant, &row.account_id))?;
                    let attrs = match &existing {
                        Some(bytes) => codec::decode("account", bytes)?,
                        None => Attributes::empty(),
                    };
                    accounts.insert(row.account_id.as_str(), (attrs, existing.is_none(), false));
                    existing.is_some()
                }
            };
            let mut writes: Vec<(Vec<u8>, Vec<u8>, &'static str)> = Vec::new();
            if let Some(s) = &row.snapshot {
                writes.push((
                    keys::snapshot(tenant, &row.account_id, s.as_of),
                    encode_snapshot(s),
                    "snapshot",
                ));
            }
            if let Some(o) = &row.outcome {
                writes.push((
                    keys::outcome(tenant, &row.account_id, o.date, outcome_byte(o.kind)),
                    codec::encode(o),
                    "outcome",
                ));
            }
            let mut conflict = None;
            let mut fresh = Vec::new();
            for (key, value, what) in writes {
                let existing = match staged.get(&key) {
                    Some(v) => Some(v.clone()),
                    None if stored_before => self.data.get(&key)?.map(|v| v.to_vec()),
                    None => None,
                };
                match existing {
                    Some(old) if old == value => match what {
                        "snapshot" => report.snapshots_unchanged += 1,
                        _ => report.outcomes_unchanged += 1,
                    },
                    Some(_) => {
                        let (column, at) = match what {
                            "snapshot" => ("as_of", row.snapshot.as_ref().map(|s| s.as_of)),
                            _ => ("outcome", row.outcome.as_ref().map(|o| o.date)),
                        };
                        conflict = Some(RowError {
                            line: row.line,
                            column: Some(column.into()),
                            reason: format!(
                                "a different {what} of account {:?} on {} is already stored; {what}s are append-only and never overwritten",
                                row.account_id,
                                at.map(vitals_plugin_sdk::date::format).unwrap_or_default()
                            ),
                        });
                        break;
                    }
                    None => fresh.push((key, value, what)),
                }
            }
            if let Some(c) = conflict {
                report.rejected.push(c);
                continue;
            }
            for (key, value, what) in fresh {
                match what {
                    "snapshot" => report.snapshots_added += 1,
                    _ => report.outcomes_added += 1,
                }
                staged.insert(key, value);
            }
            let entry = accounts
                .get_mut(row.account_id.as_str())
                .expect("resolved above");
            if merge_attributes(&mut entry.0, &row.attributes) {
                entry.2 = true;
            }
        }
        // A file-level error (line 0), or nothing readable at all, fails
        // whatever the mode: there are no valid rows to load.
        let file_level = report.rejected.iter().any(|e| e.line == 0)
            || (rows.is_empty() && !report.rejected.is_empty());
        if (mode == IngestMode::AllOrNothing || file_level) && !report.rejected.is_empty() {
            report.rejected.sort_by_key(|e| e.line);
            return Err(StoreError::Rejected(report.rejected));
        }
        let mut added: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(staged.len() + accounts.len());
        let mut replaced: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
        for (id, (attrs, new, changed)) in &accounts {
            let key = keys::account(tenant, id);
            if *new {
                added.push((key, codec::encode(attrs)));
            } else if *changed {
                let old = self.data.get(&key)?.map(|v| v.to_vec()).unwrap_or_default();
                replaced.push((key, codec::encode(attrs), old));
            }
            report.accounts_created += usize::from(*new);
            report.accounts_updated += usize::from(!*new && *changed);
        }
        added.extend(staged);
        self.write_atomically(added, replaced)?;
        report.rejected.sort_by_key(|e| e.line);
        Ok(report)
    }

    /// An account's attributes.
    pub fn account(&self, tenant: &str, id: &str) -> Result<Attributes, StoreError> {
        match self.data.get(keys::account(tenant, id))? {
            Some(v) => Ok(codec::decode("account", &v)?),
            None => Err(StoreError::NotFound {
                what: "account",
                id: id.into(),
            }),
        }
    }

    /// Number of accounts of a tenant.
    pub fn account_count(&self, tenant: &str) -> Result<usize, StoreError> {
        Ok(self
            .data
            .scan_prefix(keys::kind_prefix(tenant, Kind::Account))
            .count())
    }

    /// Streams every account of a tenant with its attributes, in id order
    /// (one range scan; memory holds one account).
    pub fn for_each_account(
        &self,
        tenant: &str,
        mut f: impl FnMut(&str, Attributes),
    ) -> Result<(), StoreError> {
        let prefix = keys::kind_prefix(tenant, Kind::Account);
        for kv in self.data.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let id = std::str::from_utf8(&k[prefix.len()..])
                .map_err(|_| StoreError::Corrupt("an account key".into()))?;
            f(id, codec::decode("account", &v)?);
        }
        Ok(())
    }

    /// Every snapshot of an account, oldest first (one range scan).
    pub fn history(&self, tenant: &str, id: &str) -> Result<Vec<Snapshot>, StoreError> {
        self.data
            .scan_prefix(keys::account_prefix(tenant, Kind::Snapshot, id))
            .map(|kv| Ok(codec::decode("snapshot", &kv?.1)?))
            .collect()
    }

    /// Every outcome of an account, oldest first.
    pub fn outcomes(&self, tenant: &str, id: &str) -> Result<Vec<Outcome>, StoreError> {
        self.data
            .scan_prefix(keys::account_prefix(tenant, Kind::Outcome, id))
            .map(|kv| Ok(codec::decode("outcome", &kv?.1)?))
            .collect()
    }

    /// Every outcome of a tenant as (account, outcome).
    pub fn all_outcomes(&self, tenant: &str) -> Result<Vec<(String, Outcome)>, StoreError> {
        let prefix = keys::kind_prefix(tenant, Kind::Outcome);
        self.data
            .scan_prefix(&prefix)
            .map(|kv| {
                let (k, v) = kv?;
                let (account, _) = keys::split_account_day(&k[prefix.len()..])
                    .ok_or_else(|| StoreError::Corrupt("an outcome key".into()))?;
                Ok((account.to_string(), codec::decode("outcome", &v)?))
            })
            .collect()
    }

    /// Streams the tenant's accounts as of `as_of` in id order, `chunk` at a
    /// time: each with its latest snapshot at or before `as_of` and the
    /// earlier snapshots of the last `window_days` days. Accounts with no
    /// snapshot yet are skipped. One pass over the snapshots (a merge with
    /// the accounts), so memory stays at one chunk.
    pub fn for_each_chunk_at(
        &self,
        tenant: &str,
        as_of: i32,
        window_days: i32,
        chunk: usize,
        mut f: impl FnMut(Vec<AccountView>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let snap_prefix = keys::kind_prefix(tenant, Kind::Snapshot);
        let acct_prefix = keys::kind_prefix(tenant, Kind::Account);
        let mut accounts = self.data.scan_prefix(&acct_prefix);
        let mut pending: Option<(sled::IVec, sled::IVec)> = None;
        let mut buffer: Vec<AccountView> = Vec::with_capacity(chunk);
        let mut current: Option<(String, Vec<Snapshot>)> = None;
        let mut finish = |id: String,
                          snaps: Vec<Snapshot>,
                          buffer: &mut Vec<AccountView>|
         -> Result<(), StoreError> {
            let mut snaps = snaps;
            let Some(latest) = snaps.pop() else {
                return Ok(());
            };
            // Both scans run in id order; an attribute record past this id
            // belongs to a later account and is kept for it.
            let attributes = loop {
                let entry = match pending.take() {
                    Some(e) => Some(e),
                    None => accounts.next().transpose()?,
                };
                let Some((k, v)) = entry else {
                    break Attributes::empty();
                };
                match k[acct_prefix.len()..].cmp(id.as_bytes()) {
                    std::cmp::Ordering::Equal => break codec::decode("account", &v)?,
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Greater => {
                        pending = Some((k, v));
                        break Attributes::empty();
                    }
                }
            };
            let from = latest.as_of - window_days;
            snaps.retain(|s| s.as_of >= from);
            buffer.push(Account {
                id,
                attributes,
                current: latest,
                history: snaps,
                health: vec![],
            });
            Ok(())
        };
        for kv in self.data.scan_prefix(&snap_prefix) {
            let (k, v) = kv?;
            let (id, day) = keys::split_account_day(&k[snap_prefix.len()..])
                .ok_or_else(|| StoreError::Corrupt("a snapshot key".into()))?;
            if day > as_of {
                continue;
            }
            if current.as_ref().is_none_or(|(cur, _)| cur != id) {
                if let Some((cid, snaps)) = current.take() {
                    finish(cid, snaps, &mut buffer)?;
                    if buffer.len() >= chunk {
                        f(std::mem::replace(&mut buffer, Vec::with_capacity(chunk)))?;
                    }
                }
                current = Some((id.to_string(), Vec::new()));
            }
            let snap: Snapshot = codec::decode("snapshot", &v)?;
            current.as_mut().expect("set above").1.push(snap);
        }
        if let Some((cid, snaps)) = current.take() {
            finish(cid, snaps, &mut buffer)?;
        }
        if !buffer.is_empty() {
            f(buffer)?;
        }
        Ok(())
    }
}
