//! Tenant data: accounts (attributes), snapshots (append-only) and outcomes,
//! all in one tree so that one ingest batch is one atomic sled batch, read
//! through a [`DataView`] (`store::view`) and written by an ingest
//! (`store::writer`).

use super::codec::{self, Stamp};
use super::keys::{self, Kind};
use super::{DataView, Store, StoreError};
use crate::contract::projection::Windows;
use crate::contract::{Account, Attributes, Snapshot};
use crate::model::{Outcome, OutcomeKind, RowError};

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
pub(super) fn merge_attributes(into: &mut Attributes, from: &Attributes) -> bool {
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

/// A snapshot in its canonical stored form behind a stamp: metrics sorted
/// by name and -0.0 as 0.0, so the same snapshot from a CSV and from JSON
/// with its fields in another order is recognised as identical on re-ingest.
pub(super) fn encode_snapshot(stamp: Stamp, s: &Snapshot) -> Vec<u8> {
    let canonical = s.metrics.is_sorted_by(|a, b| a.name <= b.name)
        && s.metrics
            .iter()
            .all(|m| !(m.value == 0.0 && m.value.is_sign_negative()));
    if canonical {
        return codec::encode_stamped(stamp, s);
    }
    let mut s = s.clone();
    s.metrics.sort_by(|a, b| a.name.cmp(&b.name));
    for m in &mut s.metrics {
        m.value += 0.0;
    }
    codec::encode_stamped(stamp, &s)
}

pub(super) fn outcome_byte(kind: OutcomeKind) -> u8 {
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

    /// An account's attributes (a view of its own: see [`Store::view`]
    /// to read several things that must agree).
    pub fn account(&self, tenant: &str, id: &str) -> Result<Attributes, StoreError> {
        self.view(tenant)?.account(id)
    }

    /// Number of accounts of a tenant.
    pub fn account_count(&self, tenant: &str) -> Result<usize, StoreError> {
        self.view(tenant)?.account_count()
    }

    /// Streams every account of a tenant with its attributes, in id order.
    pub fn for_each_account(
        &self,
        tenant: &str,
        f: impl FnMut(&str, Attributes),
    ) -> Result<(), StoreError> {
        self.view(tenant)?.for_each_account(f)
    }

    /// Every snapshot of an account, oldest first.
    pub fn history(&self, tenant: &str, id: &str) -> Result<Vec<Snapshot>, StoreError> {
        self.view(tenant)?.history(id)
    }

    /// An account's latest snapshot at or before `as_of` (what a run at
    /// that instant read), decoding only that one.
    pub fn snapshot_at(
        &self,
        tenant: &str,
        id: &str,
        as_of: i32,
    ) -> Result<Option<Snapshot>, StoreError> {
        self.view(tenant)?.snapshot_at(id, as_of)
    }

    /// Every outcome of an account, oldest first.
    pub fn outcomes(&self, tenant: &str, id: &str) -> Result<Vec<Outcome>, StoreError> {
        self.view(tenant)?.outcomes(id)
    }

    /// Every outcome of a tenant as (account, outcome).
    pub fn all_outcomes(&self, tenant: &str) -> Result<Vec<(String, Outcome)>, StoreError> {
        self.view(tenant)?.all_outcomes()
    }

    /// [`DataView::for_each_chunk_at`] on a view of its own.
    pub fn for_each_chunk_at<E: From<StoreError>>(
        &self,
        tenant: &str,
        as_of: i32,
        window_days: i32,
        history: &Windows,
        chunk: usize,
        f: impl FnMut(Vec<AccountView>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.view(tenant)?
            .for_each_chunk_at(as_of, window_days, history, chunk, f)
    }
}

impl DataView<'_> {
    /// An account's attributes.
    pub fn account(&self, id: &str) -> Result<Attributes, StoreError> {
        match self.get(&keys::account(&self.tenant, id))? {
            Some(v) => Ok(codec::decode("account", &v)?),
            None => Err(StoreError::NotFound {
                what: "account",
                id: id.into(),
            }),
        }
    }

    /// Number of accounts of a tenant.
    pub fn account_count(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.scan(&keys::kind_prefix(&self.tenant, Kind::Account)) {
            kv?;
            n += 1;
        }
        Ok(n)
    }

    /// Streams every account of a tenant with its attributes, in id order
    /// (one range scan; memory holds one account).
    pub fn for_each_account(&self, mut f: impl FnMut(&str, Attributes)) -> Result<(), StoreError> {
        let prefix = keys::kind_prefix(&self.tenant, Kind::Account);
        for kv in self.scan(&prefix) {
            let (k, v) = kv?;
            let id = std::str::from_utf8(&k[prefix.len()..])
                .map_err(|_| StoreError::Corrupt("an account key".into()))?;
            f(id, codec::decode("account", &v)?);
        }
        Ok(())
    }

    /// Every snapshot of an account, oldest first (one range scan).
    pub fn history(&self, id: &str) -> Result<Vec<Snapshot>, StoreError> {
        self.scan(&keys::account_prefix(&self.tenant, Kind::Snapshot, id))
            .map(|kv| Ok(codec::decode("snapshot", &kv?.1)?))
            .collect()
    }

    /// An account's latest snapshot at or before `as_of`.
    pub fn snapshot_at(&self, id: &str, as_of: i32) -> Result<Option<Snapshot>, StoreError> {
        let first = keys::account_prefix(&self.tenant, Kind::Snapshot, id);
        let last = keys::snapshot(&self.tenant, id, as_of);
        for kv in self.store.data.range(first..=last).rev() {
            let (k, raw) = kv?;
            if let Some(v) = self.resolve(&k, raw)? {
                return Ok(Some(codec::decode("snapshot", &v)?));
            }
        }
        Ok(None)
    }

    /// Every outcome of an account, oldest first.
    pub fn outcomes(&self, id: &str) -> Result<Vec<Outcome>, StoreError> {
        self.scan(&keys::account_prefix(&self.tenant, Kind::Outcome, id))
            .map(|kv| Ok(codec::decode("outcome", &kv?.1)?))
            .collect()
    }

    /// Every outcome of a tenant as (account, outcome).
    pub fn all_outcomes(&self) -> Result<Vec<(String, Outcome)>, StoreError> {
        let prefix = keys::kind_prefix(&self.tenant, Kind::Outcome);
        self.scan(&prefix)
            .map(|kv| {
                let (k, v) = kv?;
                let (account, _) = keys::split_account_day(&k[prefix.len()..])
                    .ok_or_else(|| StoreError::Corrupt("an outcome key".into()))?;
                Ok((account.to_string(), codec::decode("outcome", &v)?))
            })
            .collect()
    }

    /// Streams the tenant's accounts as of `as_of` in id order, `chunk` at a
    /// time: each with its latest snapshot at or before `as_of` and, of the
    /// earlier snapshots of the last `window_days` days, those that one of
    /// the `history` windows reads (the union of the plugins' projections;
    /// [`Windows::all`] for every one). Snapshots outside are never decoded.
    /// Accounts with no snapshot yet are skipped. One pass over the
    /// snapshots (a merge with the accounts), so memory stays at one chunk.
    /// `f`'s own errors (a plugin's, a backtest's) come back as they are: the
    /// store's error type never carries another module's.
    pub fn for_each_chunk_at<E: From<StoreError>>(
        &self,
        as_of: i32,
        window_days: i32,
        history: &Windows,
        chunk: usize,
        mut f: impl FnMut(Vec<AccountView>) -> Result<(), E>,
    ) -> Result<(), E> {
        let snap_prefix = keys::kind_prefix(&self.tenant, Kind::Snapshot);
        let acct_prefix = keys::kind_prefix(&self.tenant, Kind::Account);
        let mut accounts = self.scan(&acct_prefix);
        let mut pending: Option<(sled::IVec, sled::IVec)> = None;
        let mut buffer: Vec<AccountView> = Vec::with_capacity(chunk);
        // An account's snapshots as stored (day, encoded), oldest first:
        // which to decode is known once its latest is.
        let mut current: Option<(String, Vec<(i32, sled::IVec)>)> = None;
        let mut finish = |id: String,
                          mut stored: Vec<(i32, sled::IVec)>,
                          buffer: &mut Vec<AccountView>|
         -> Result<(), StoreError> {
            let Some((latest_day, latest)) = stored.pop() else {
                return Ok(());
            };
            let latest: Snapshot = codec::decode("snapshot", &latest)?;
            let from = latest_day - window_days;
            let in_window = stored.partition_point(|(day, _)| *day < from);
            let stored = &stored[in_window..];
            let first = history.start(stored.len(), |i| stored[i].0, latest_day);
            let snaps = stored[first..]
                .iter()
                .map(|(_, v)| codec::decode("snapshot", v))
                .collect::<Result<Vec<Snapshot>, _>>()?;
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
            buffer.push(Account {
                id,
                attributes,
                current: latest,
                history: snaps,
                health: vec![],
            });
            Ok(())
        };
        for kv in self.scan(&snap_prefix) {
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
            current.as_mut().expect("set above").1.push((day, v));
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
