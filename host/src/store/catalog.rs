//! Each tenant's catalog of names: the free-form metrics and labels its
//! accounts carry, and the built-in fields that hold a value on at least one
//! of them. Ingest adds a name the first time it meets it, in the same batch
//! and under the same generation stamp as the record that brought it, so a
//! reader sees the catalog of exactly the ingests it sees, and a rolled-back
//! ingest takes its names with it. Checking a configuration then reads the
//! tenant's few hundred names instead of every snapshot it has.
//!
//! Keys: `tenant 0 'n' 0 kind name`, kind `m` (metric), `l` (label) or `f`
//! (built-in field); the value is empty.

use super::keys::{self, Kind};
use super::{DataView, Store, StoreError, codec};
use crate::contract::{Attributes, Metric, Snapshot};
use crate::model::{ATTRIBUTE_FIELDS, IngestRow, SNAPSHOT_FIELDS};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};

/// The names a tenant's accounts carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Catalog {
    /// Free-form numeric metrics of the snapshots.
    pub metrics: BTreeSet<String>,
    /// Free-form text labels of the accounts.
    pub labels: BTreeSet<String>,
    /// Built-in snapshot fields and attributes (kebab-case, as in the WIT)
    /// that hold a value on at least one account.
    pub fields: BTreeSet<String>,
}

impl Catalog {
    /// Whether the tenant has no name at all (no account, or only blank ones).
    pub fn is_empty(&self) -> bool {
        self.metrics.is_empty() && self.labels.is_empty() && self.fields.is_empty()
    }
}

/// What a catalog name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameKind {
    Metric = b'm' as isize,
    Label = b'l' as isize,
    Field = b'f' as isize,
}

/// Every built-in field name a catalog may hold.
pub fn built_in_fields() -> impl Iterator<Item = &'static str> {
    SNAPSHOT_FIELDS.iter().chain(&ATTRIBUTE_FIELDS).copied()
}

fn field_name(bit: u32) -> &'static str {
    let bit = bit as usize;
    if bit < SNAPSHOT_FIELDS.len() {
        SNAPSHOT_FIELDS[bit]
    } else {
        ATTRIBUTE_FIELDS[bit - SNAPSHOT_FIELDS.len()]
    }
}

/// One bit per built-in field that holds a value (cheap to merge per row),
/// in the order of [`SNAPSHOT_FIELDS`] then [`ATTRIBUTE_FIELDS`].
fn field_bits(attributes: &Attributes, snapshot: Option<&Snapshot>) -> u32 {
    let mut bits = 0u32;
    let mut set = |i: usize, present: bool| bits |= u32::from(present) << i;
    if let Some(s) = snapshot {
        set(0, s.seats_purchased.is_some());
        set(1, s.seats_active.is_some());
        set(2, s.logins.is_some());
        set(3, s.features_used.is_some());
        set(4, s.features_available.is_some());
        set(5, s.tickets_open.is_some());
        set(6, s.tickets_high_severity.is_some());
        set(7, s.nps.is_some());
        set(8, s.csat.is_some());
        set(9, s.arr.is_some());
        set(10, s.champion_left.is_some());
        set(11, s.late_payments.is_some());
    }
    let a = attributes;
    let n = SNAPSHOT_FIELDS.len();
    set(n, a.name.is_some());
    set(n + 1, a.owner.is_some());
    set(n + 2, a.tier.is_some());
    set(n + 3, a.plan.is_some());
    set(n + 4, a.start_date.is_some());
    set(n + 5, a.renewal_date.is_some());
    set(n + 6, a.contract_arr.is_some());
    set(n + 7, a.renewal_confidence.is_some());
    bits
}

/// The key of one catalog name.
fn key(tenant: &str, kind: NameKind, name: &str) -> Vec<u8> {
    let mut k = keys::kind_prefix(tenant, Kind::Name);
    k.push(kind as u8);
    k.extend_from_slice(name.as_bytes());
    k
}

/// A catalog record to write: (key, value).
pub(super) type NameRecord = (Vec<u8>, Vec<u8>);

/// The names an ingest has met (stored before, or added by it), so that a
/// name is looked up once per ingest, not once per row.
#[derive(Debug, Default)]
pub(super) struct Seen {
    metrics: HashSet<String>,
    labels: HashSet<String>,
    fields: u32,
    /// The metric and label names of the last row, in order: the rows of a
    /// file mostly repeat them, and comparing costs less than hashing each.
    last_metrics: Vec<String>,
    last_labels: Vec<String>,
}

/// Whether `names` are `last`, in order.
fn same<'a>(last: &[String], names: impl ExactSizeIterator<Item = &'a str>) -> bool {
    names.len() == last.len() && names.zip(last).all(|(a, b)| a == b)
}

impl Seen {
    /// The catalog records `row` adds to what is stored: `(key, value)` for
    /// each name neither stored nor met earlier in this ingest.
    pub fn new_names(
        &mut self,
        store: &Store,
        tenant: &str,
        row: &IngestRow,
    ) -> Result<Vec<NameRecord>, StoreError> {
        let mut fresh = Vec::new();
        let mut meet = |kind: NameKind, name: &str| -> Result<(), StoreError> {
            let k = key(tenant, kind, name);
            if store.data.get(&k)?.is_none() {
                fresh.push((k, codec::encode(&())));
            }
            Ok(())
        };
        let metrics: &[Metric] = row.snapshot.as_ref().map_or(&[], |s| &s.metrics);
        if !same(&self.last_metrics, metrics.iter().map(|m| m.name.as_str())) {
            for name in metrics.iter().map(|m| m.name.as_str()) {
                if !self.metrics.contains(name) {
                    meet(NameKind::Metric, name)?;
                    self.metrics.insert(name.to_string());
                }
            }
            self.last_metrics = metrics.iter().map(|m| m.name.clone()).collect();
        }
        let labels = &row.attributes.labels;
        if !same(&self.last_labels, labels.iter().map(|l| l.name.as_str())) {
            for name in labels.iter().map(|l| l.name.as_str()) {
                if !self.labels.contains(name) {
                    meet(NameKind::Label, name)?;
                    self.labels.insert(name.to_string());
                }
            }
            self.last_labels = labels.iter().map(|l| l.name.clone()).collect();
        }
        let new_bits = field_bits(&row.attributes, row.snapshot.as_ref()) & !self.fields;
        for bit in (0..u32::BITS).filter(|b| new_bits & (1 << b) != 0) {
            meet(NameKind::Field, field_name(bit))?;
        }
        self.fields |= new_bits;
        Ok(fresh)
    }
}

impl DataView<'_> {
    /// The tenant's catalog of names, as of this view's ingests.
    pub fn catalog(&self) -> Result<Catalog, StoreError> {
        let prefix = keys::kind_prefix(&self.tenant, Kind::Name);
        let mut catalog = Catalog::default();
        for kv in self.scan(&prefix) {
            let (k, _) = kv?;
            let (&kind, name) = k[prefix.len()..]
                .split_first()
                .ok_or_else(|| StoreError::Corrupt("a catalog key".into()))?;
            let name = std::str::from_utf8(name)
                .map_err(|_| StoreError::Corrupt("a catalog key".into()))?
                .to_string();
            match kind {
                b'm' => catalog.metrics.insert(name),
                b'l' => catalog.labels.insert(name),
                b'f' => catalog.fields.insert(name),
                _ => return Err(StoreError::Corrupt("a catalog key".into())),
            };
        }
        Ok(catalog)
    }
}

impl Store {
    /// The tenant's catalog of names (a view of its own).
    pub fn catalog(&self, tenant: &str) -> Result<Catalog, StoreError> {
        self.require_tenant(tenant)?;
        self.view(tenant)?.catalog()
    }

    /// Builds every tenant's catalog from its stored accounts and snapshots:
    /// the migration of a store written before catalogs existed (schema 2).
    /// Runs at open, after recovery, so every record is committed; the
    /// names are stamped generation 0 (seen by every reader). Idempotent.
    pub(super) fn backfill_catalogs(&self) -> Result<(), StoreError> {
        for tenant in self.tenants()? {
            let id = tenant.id;
            let mut seen = Seen::default();
            let mut batch = sled::Batch::default();
            let mut add = |names: Vec<NameRecord>| {
                for (k, v) in names {
                    batch.insert(k, v);
                }
            };
            let acct_prefix = keys::kind_prefix(&id, Kind::Account);
            for kv in self.data.scan_prefix(&acct_prefix) {
                let (_, v) = kv?;
                let row = IngestRow {
                    line: 0,
                    account_id: String::new(),
                    attributes: codec::decode("account", &v)?,
                    snapshot: None,
                    outcome: None,
                };
                add(seen.new_names(self, &id, &row)?);
            }
            for kv in self
                .data
                .scan_prefix(keys::kind_prefix(&id, Kind::Snapshot))
            {
                let (_, v) = kv?;
                let row = IngestRow {
                    line: 0,
                    account_id: String::new(),
                    attributes: Attributes::empty(),
                    snapshot: Some(codec::decode("snapshot", &v)?),
                    outcome: None,
                };
                add(seen.new_names(self, &id, &row)?);
            }
            self.data.apply_batch(batch)?;
        }
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Label;
    use crate::store::IngestMode;

    #[test]
    fn field_bits_name_the_fields_that_hold_a_value() {
        let a = Attributes {
            tier: Some("smb".into()),
            ..Attributes::empty()
        };
        let s = Snapshot {
            nps: Some(9),
            ..Snapshot::empty(1)
        };
        let bits = field_bits(&a, Some(&s));
        let names: Vec<&str> = (0..u32::BITS)
            .filter(|b| bits & (1 << b) != 0)
            .map(field_name)
            .collect();
        assert_eq!(names, ["nps", "tier"]);
        assert_eq!(built_in_fields().count(), 20);
    }

    #[test]
    fn an_ingest_keeps_the_catalog_and_a_rollback_takes_its_names_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        s.create_tenant("t", "T").unwrap();
        let row = |metric: &str, label: &str| IngestRow {
            line: 1,
            account_id: "a".into(),
            attributes: Attributes {
                labels: vec![Label {
                    name: label.into(),
                    value: "x".into(),
                }],
                ..Attributes::empty()
            },
            snapshot: Some(Snapshot {
                arr: Some(1.0),
                metrics: vec![Metric {
                    name: metric.into(),
                    value: 1.0,
                }],
                ..Snapshot::empty(10)
            }),
            outcome: None,
        };
        s.ingest(
            "t",
            &[row("tenure-months", "contract")],
            vec![],
            IngestMode::AllOrNothing,
        )
        .unwrap();
        let c = s.catalog("t").unwrap();
        assert_eq!(c.metrics, BTreeSet::from(["tenure-months".to_string()]));
        assert_eq!(c.labels, BTreeSet::from(["contract".to_string()]));
        assert_eq!(c.fields, BTreeSet::from(["arr".to_string()]));
        // An ingest that fails after writing a batch takes its new names
        // with it: the second batch conflicts with the stored snapshot.
        let mut ingest = s.begin_ingest("t", IngestMode::AllOrNothing).unwrap();
        let mut fresh = row("refused-metric", "refused-label");
        fresh.account_id = "b".into();
        ingest.write(&[fresh], vec![]).unwrap();
        let mut conflict = row("tenure-months", "contract");
        conflict.snapshot.as_mut().unwrap().arr = Some(2.0);
        ingest.write(&[conflict], vec![]).unwrap();
        assert!(ingest.finish().is_err());
        assert_eq!(s.catalog("t").unwrap(), c);
        // A reader that started before an ingest does not see its names.
        let before = s.view("t").unwrap();
        let mut later = row("logins-30d", "contract");
        later.snapshot.as_mut().unwrap().as_of = 20;
        s.ingest("t", &[later], vec![], IngestMode::AllOrNothing)
            .unwrap();
        assert_eq!(before.catalog().unwrap(), c);
        drop(before);
        assert!(s.catalog("t").unwrap().metrics.contains("logins-30d"));
    }

    #[test]
    fn a_store_from_before_catalogs_gets_them_at_open() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            s.create_tenant("t", "T").unwrap();
            let mut a = Attributes::empty();
            a.labels.push(Label {
                name: "region".into(),
                value: "emea".into(),
            });
            let row = IngestRow {
                line: 1,
                account_id: "a".into(),
                attributes: a,
                snapshot: Some(Snapshot {
                    metrics: vec![Metric {
                        name: "qbr".into(),
                        value: 2.0,
                    }],
                    ..Snapshot::empty(10)
                }),
                outcome: None,
            };
            s.ingest("t", &[row], vec![], IngestMode::AllOrNothing)
                .unwrap();
            // As a schema-2 store left it: no catalog.
            let prefix = keys::kind_prefix("t", Kind::Name);
            for kv in s.data.scan_prefix(&prefix) {
                s.data.remove(kv.unwrap().0).unwrap();
            }
            s.meta
                .insert("schema_version", &2u32.to_be_bytes())
                .unwrap();
            s.flush().unwrap();
            assert!(s.catalog("t").unwrap().is_empty());
        }
        let s = Store::open(dir.path()).unwrap();
        let c = s.catalog("t").unwrap();
        assert!(
            c.metrics.contains("qbr") && c.labels.contains("region"),
            "{c:?}"
        );
        assert_eq!(s.schema_version().unwrap(), super::super::SCHEMA_VERSION);
    }
}
