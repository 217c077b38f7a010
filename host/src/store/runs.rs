//! Scoring runs and their per-account results. Results are written while
//! the run is `running` and read only once it is `complete`; a run still
//! `running` when the store opens was interrupted and is marked `failed`
//! with its partial results removed.
//!
//! Results are stored in blocks of up to [`RESULT_BLOCK_BYTES`] bytes in
//! id order, keyed by the block's first
//! account id: a run over a million accounts writes some tens of thousands
//! of records instead of a million (one sled record costs 5-10 us to write,
//! so per-account records made result writes the largest part of a run),
//! each small enough for sled's cache to count and evict. One account's
//! result is a range lookup to its block and a binary search inside it.

use super::audit::{AuditAction, AuditRecord};
use super::keys::tenant_key;
use super::plugins::InstalledPlugin;
use super::{Store, StoreError, codec, now_ms};
use crate::contract::{Band, Forecast, Health, Propensity, Segment};
use crate::contract::{LogLine, Output, PluginError, PluginKind};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use std::collections::BTreeMap;

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RunStatus {
    /// Results are being written; not readable yet.
    Running,
    /// Every account has a result or an error.
    Complete,
    /// The run did not finish; no results are kept.
    Failed {
        /// Why.
        reason: String,
    },
}

/// One run of one plugin version over a tenant's accounts: everything needed
/// to trace a result to its exact inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RunRecord {
    /// Run id, increasing.
    pub id: u64,
    /// The tenant.
    pub tenant: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// sha-256 of the component that ran.
    pub plugin_hash: String,
    /// Its kind.
    pub kind: PluginKind,
    /// The configuration it ran with.
    pub config: String,
    /// The vendor pack release the plugin came from (`None`: installed on
    /// its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<super::PackRef>,
    /// The snapshot instant (days since 1970-01-01; `YYYY-MM-DD` in JSON).
    #[serde(with = "crate::contract::date")]
    #[schema(value_type = String, format = Date)]
    pub as_of: i32,
    /// Start (unix ms).
    pub started_ms: u64,
    /// End (unix ms), once ended.
    pub ended_ms: Option<u64>,
    /// State.
    pub status: RunStatus,
    /// Accounts scored.
    pub accounts: u64,
    /// Accounts with a result.
    pub ok: u64,
    /// Accounts with an error, by error kind.
    pub errors: BTreeMap<String, u64>,
    /// Fuel used by every call.
    pub fuel_used: u64,
    /// The plugin's log lines (stdout, stderr, `log`), the first
    /// [`RUN_LOG_LINES`] of the run, for the analyst reading why.
    #[serde(default)]
    pub log: Vec<LogLine>,
    /// Log lines not kept (past the per-call limits or [`RUN_LOG_LINES`]).
    #[serde(default)]
    pub log_dropped: u64,
    /// Trigger events it fired (issue #19): staged while it runs,
    /// deliverable once it is complete.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub events: u64,
    /// Set when the tenant discarded the run: it is kept (with its
    /// results) for the record, and no summary, dashboard or health
    /// history reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discarded: Option<Discarded>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Who discarded a run, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Discarded {
    /// When (unix ms).
    pub at_ms: u64,
    /// Who: `local` for the CLI on the store, else the API key's id.
    pub by: String,
    /// The reason given, if any.
    pub reason: Option<String>,
}

impl RunRecord {
    /// Whether summaries, the dashboard and the health history may read it:
    /// complete and not discarded.
    pub fn is_usable(&self) -> bool {
        self.status == RunStatus::Complete && self.discarded.is_none()
    }

    /// Whether it scored none of its accounts (every one an error).
    pub fn scored_none(&self) -> bool {
        self.accounts > 0 && self.ok == 0
    }
}

/// See [`Store::result_cursor`].
pub struct ResultCursor {
    blocks: sled::Iter,
    buffered: std::collections::VecDeque<StoredResult>,
    exhausted: bool,
}

impl ResultCursor {
    /// The result of `account`, if the run has one; accounts are asked in
    /// increasing id order (an account before the last asked reads `None`).
    pub fn get(
        &mut self,
        account: &str,
    ) -> Result<Option<Result<Output, PluginError>>, StoreError> {
        loop {
            match self.buffered.front() {
                Some(r) if r.account_id.as_str() < account => {
                    self.buffered.pop_front();
                }
                Some(r) if r.account_id == account => {
                    return Ok(self.buffered.pop_front().map(|r| r.result));
                }
                Some(_) => return Ok(None),
                None if self.exhausted => return Ok(None),
                None => match self.blocks.next() {
                    Some(kv) => {
                        let (_, bytes) = kv?;
                        self.buffered.extend(Block::parse(&bytes)?.decode_all()?);
                    }
                    None => self.exhausted = true,
                },
            }
        }
    }
}

/// Log lines kept with a run.
pub const RUN_LOG_LINES: usize = 500;

/// One account's stored result.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResult {
    /// The account.
    pub account_id: String,
    /// Its output or typed error.
    pub result: Result<Output, PluginError>,
}

/// The compact (postcard) form of a result: externally tagged, errors as JSON.
#[derive(Serialize, Deserialize)]
pub(super) enum Encoded {
    Health(Health),
    Segments(Vec<Segment>),
    Propensity(Propensity),
    Forecast(Forecast),
    Error(String),
}

/// [`Encoded`] borrowing the result it writes (the same variants in the
/// same order, so the same bytes): a run's results are encoded without a
/// copy of each one first.
#[derive(Serialize)]
#[serde(rename = "Encoded")]
enum EncodedRef<'a> {
    Health(&'a Health),
    Segments(&'a [Segment]),
    Propensity(&'a Propensity),
    Forecast(&'a Forecast),
    Error(String),
}

impl<'a> EncodedRef<'a> {
    fn of(r: &'a Result<Output, PluginError>) -> Self {
        match r {
            Ok(Output::Health(h)) => EncodedRef::Health(h),
            Ok(Output::Segments { segments }) => EncodedRef::Segments(segments),
            Ok(Output::Propensity(p)) => EncodedRef::Propensity(p),
            Ok(Output::Forecast(f)) => EncodedRef::Forecast(f),
            Err(e) => EncodedRef::Error(serde_json::to_string(e).expect("errors serialise")),
        }
    }
}

/// The index postcard gives [`Encoded::Health`] (its first variant).
const HEALTH_VARIANT: u32 = 0;

/// Account ids and encoded results per stored result block, at most, in bytes (a single
/// larger result is a block of its own). sled writes a page (a leaf of up
/// to 17 records) into its log only while the page is under a quarter of
/// a segment (128 KiB of the default 512 KiB); a larger page, or a larger
/// single insert, is written as a blob file, and sled's page cache then
/// counts it by the size of its pointer in the log, a few bytes, so it is
/// never evicted. Blocks of 1,000 accounts (about 200 KiB of results on
/// average) were all blobs: every result a process wrote stayed in memory
/// until it exited, 0.8 GB a run of the four reference plugins over a
/// million accounts (BENCHMARKS.md, "Run"). 17 blocks of 6 KiB and their
/// keys stay well under 128 KiB.
pub const RESULT_BLOCK_BYTES: usize = 6 << 10;

/// The owned form, for tests that write blocks of the older whole format.
#[cfg(test)]
pub(super) fn encoded(r: &Result<Output, PluginError>) -> Encoded {
    match r {
        Ok(Output::Health(h)) => Encoded::Health(h.clone()),
        Ok(Output::Segments { segments }) => Encoded::Segments(segments.clone()),
        Ok(Output::Propensity(p)) => Encoded::Propensity(p.clone()),
        Ok(Output::Forecast(f)) => Encoded::Forecast(f.clone()),
        Err(e) => Encoded::Error(serde_json::to_string(e).expect("errors serialise")),
    }
}

fn decoded(e: Encoded) -> Result<Result<Output, PluginError>, StoreError> {
    Ok(match e {
        Encoded::Health(h) => Ok(Output::Health(h)),
        Encoded::Segments(segments) => Ok(Output::Segments { segments }),
        Encoded::Propensity(p) => Ok(Output::Propensity(p)),
        Encoded::Forecast(f) => Ok(Output::Forecast(f)),
        Encoded::Error(json) => Err(serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("a stored error: {e}")))?),
    })
}

/// Format byte of an indexed result block: account ids with each result
/// encoded on its own, so one account (on-demand scoring's health history)
/// or one page is read without decoding the other 999. Blocks written before
/// it (format byte 1, one postcard list) are still read.
pub(super) const INDEXED_BLOCK: u8 = 3;

fn encode_block(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let entries: Vec<(&str, &[u8])> = entries.iter().map(|(a, e)| (*a, e.as_slice())).collect();
    let mut out = vec![INDEXED_BLOCK];
    out.extend(postcard::to_allocvec(&entries).expect("in-memory postcard"));
    out
}

/// `results` (sorted by account) encoded and cut into blocks of at most
/// [`RESULT_BLOCK_BYTES`] bytes of account ids and results: each block's
/// first account and its stored value.
fn result_blocks<'a>(
    results: &[&'a (String, Result<Output, PluginError>)],
) -> Vec<(&'a str, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut block: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut bytes = 0;
    for (account, result) in results {
        let entry = postcard::to_allocvec(&EncodedRef::of(result)).expect("in-memory postcard");
        let size = account.len() + entry.len();
        if !block.is_empty() && bytes + size > RESULT_BLOCK_BYTES {
            blocks.push((block[0].0, encode_block(&block)));
            block.clear();
            bytes = 0;
        }
        bytes += size;
        block.push((account.as_str(), entry));
    }
    if let Some((first, _)) = block.first() {
        blocks.push((*first, encode_block(&block)));
    }
    blocks
}

/// A stored block, parsed without decoding its results.
pub(super) enum Block<'a> {
    Indexed(Vec<(&'a str, &'a [u8])>),
    Whole(Vec<(String, Encoded)>),
}

impl<'a> Block<'a> {
    pub(super) fn parse(bytes: &'a [u8]) -> Result<Block<'a>, StoreError> {
        match bytes.split_first() {
            Some((&INDEXED_BLOCK, rest)) => {
                Ok(Block::Indexed(postcard::from_bytes(rest).map_err(|e| {
                    StoreError::Corrupt(format!("a result block: {e}"))
                })?))
            }
            _ => Ok(Block::Whole(codec::decode("result block", bytes)?)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Block::Indexed(e) => e.len(),
            Block::Whole(e) => e.len(),
        }
    }

    pub(super) fn decode_entry(bytes: &[u8]) -> Result<Result<Output, PluginError>, StoreError> {
        decoded(
            postcard::from_bytes(bytes)
                .map_err(|e| StoreError::Corrupt(format!("a stored result: {e}")))?,
        )
    }

    /// A stored health result's score and band, read from the head of its
    /// encoding (the `Health` variant's first two fields) without decoding
    /// its factors; `None` for an error or another kind's output.
    pub(super) fn health_head(bytes: &[u8]) -> Result<Option<(f64, Band)>, StoreError> {
        let corrupt = |e: postcard::Error| StoreError::Corrupt(format!("a stored result: {e}"));
        let (variant, rest) = postcard::take_from_bytes::<u32>(bytes).map_err(corrupt)?;
        if variant != HEALTH_VARIANT {
            return Ok(None);
        }
        let (head, _factors) = postcard::take_from_bytes::<(f64, Band)>(rest).map_err(corrupt)?;
        Ok(Some(head))
    }

    fn find(self, account: &str) -> Result<Option<Result<Output, PluginError>>, StoreError> {
        match self {
            Block::Indexed(entries) => match entries.binary_search_by(|(a, _)| (*a).cmp(account)) {
                Ok(i) => Ok(Some(Self::decode_entry(entries[i].1)?)),
                Err(_) => Ok(None),
            },
            Block::Whole(entries) => {
                match entries.binary_search_by(|(a, _)| a.as_str().cmp(account)) {
                    Ok(i) => {
                        let (_, e) = entries.into_iter().nth(i).expect("found");
                        Ok(Some(decoded(e)?))
                    }
                    Err(_) => Ok(None),
                }
            }
        }
    }

    fn decode_range(self, from: usize, take: usize) -> Result<Vec<StoredResult>, StoreError> {
        match self {
            Block::Indexed(entries) => entries
                .into_iter()
                .skip(from)
                .take(take)
                .map(|(a, e)| {
                    Ok(StoredResult {
                        account_id: a.to_string(),
                        result: Self::decode_entry(e)?,
                    })
                })
                .collect(),
            Block::Whole(entries) => entries
                .into_iter()
                .skip(from)
                .take(take)
                .map(|(a, e)| {
                    Ok(StoredResult {
                        account_id: a,
                        result: decoded(e)?,
                    })
                })
                .collect(),
        }
    }

    fn decode_all(self) -> Result<Vec<StoredResult>, StoreError> {
        let n = self.len();
        self.decode_range(0, n)
    }
}

pub(super) fn run_key(tenant: &str, id: u64) -> Vec<u8> {
    tenant_key(tenant, &[&id.to_be_bytes()])
}

/// Stores `value(id)` under `tenant 0 id` in `tree` with the tenant's next
/// id (one past its largest; 1 for its first) and returns the id. Ids are
/// per tenant, so one tenant's ids say nothing of another's activity (they
/// came from one store-wide counter before; those records keep their ids,
/// and a tenant's next id continues past them). A compare-and-swap claims
/// the id: two writers racing for it get two ids.
pub(super) fn insert_with_tenant_id(
    tree: &sled::Tree,
    tenant: &str,
    mut value: impl FnMut(u64) -> Vec<u8>,
) -> Result<u64, StoreError> {
    let prefix = tenant_key(tenant, &[&[]]);
    let last = match tree.scan_prefix(&prefix).next_back() {
        Some(kv) => {
            let key = kv?.0;
            let bytes: [u8; 8] = key[prefix.len()..]
                .try_into()
                .map_err(|_| StoreError::Corrupt(format!("a record key of tenant {tenant:?}")))?;
            u64::from_be_bytes(bytes)
        }
        None => 0,
    };
    let mut id = last + 1;
    loop {
        let key = tenant_key(tenant, &[&id.to_be_bytes()]);
        match tree.compare_and_swap(key, None as Option<&[u8]>, Some(value(id)))? {
            Ok(()) => return Ok(id),
            Err(_) => id += 1,
        }
    }
}

pub(super) fn result_prefix(tenant: &str, id: u64) -> Vec<u8> {
    let mut k = run_key(tenant, id);
    k.push(0);
    k
}

impl Store {
    /// Records the start of a run (durable on return).
    pub fn start_run(
        &self,
        tenant: &str,
        plugin: &InstalledPlugin,
        config: &str,
        as_of: i32,
    ) -> Result<RunRecord, StoreError> {
        self.require_tenant(tenant)?;
        let mut run = RunRecord {
            id: 0,
            tenant: tenant.into(),
            plugin: plugin.name.clone(),
            version: plugin.version.clone(),
            plugin_hash: plugin.hash.clone(),
            kind: plugin.kind,
            config: config.into(),
            pack: self.pack_of(tenant, &plugin.name, &plugin.hash)?,
            as_of,
            started_ms: now_ms(),
            ended_ms: None,
            status: RunStatus::Running,
            accounts: 0,
            ok: 0,
            errors: BTreeMap::new(),
            fuel_used: 0,
            log: Vec::new(),
            log_dropped: 0,
            events: 0,
            discarded: None,
        };
        // Recorded while no erasure of the tenant is going: an erasure
        // either sees this run going (and waits for it) or comes first.
        run.id = self
            .versions
            .unless_erasing(tenant, || {
                insert_with_tenant_id(&self.runs, tenant, |id| {
                    codec::encode_json(&RunRecord { id, ..run.clone() })
                })
            })
            .ok_or_else(|| {
                StoreError::Retry(format!(
                    "an account or the tenant {tenant:?} is being erased; retry when it has ended"
                ))
            })??;
        self.flush()?;
        Ok(run)
    }

    /// Adds a chunk of results to a running run and its counts (not yet
    /// visible: the run is still running).
    pub fn write_results(
        &self,
        run: &mut RunRecord,
        results: &[(String, Result<Output, PluginError>)],
        fuel_used: u64,
        log: Vec<LogLine>,
        log_dropped: u64,
    ) -> Result<(), StoreError> {
        let room = RUN_LOG_LINES.saturating_sub(run.log.len());
        run.log_dropped += log_dropped + log.len().saturating_sub(room) as u64;
        run.log.extend(log.into_iter().take(room));
        let prefix = result_prefix(&run.tenant, run.id);
        let mut batch = sled::Batch::default();
        let mut sorted: Vec<&(String, Result<Output, PluginError>)> = results.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (first, value) in result_blocks(&sorted) {
            let mut key = prefix.clone();
            key.extend_from_slice(first.as_bytes());
            batch.insert(key, value);
        }
        for (_, result) in results {
            run.accounts += 1;
            match result {
                Ok(_) => run.ok += 1,
                Err(e) => *run.errors.entry(e.kind().to_string()).or_insert(0) += 1,
            }
        }
        run.fuel_used += fuel_used;
        self.results.apply_batch(batch)?;
        Ok(())
    }

    /// Marks a run complete: its results become visible and its staged
    /// trigger events deliverable, in one transaction (durable on return).
    pub fn complete_run(&self, run: &mut RunRecord) -> Result<(), StoreError> {
        run.status = RunStatus::Complete;
        run.ended_ms = Some(now_ms());
        self.write_run_with_outbox(
            &run_key(&run.tenant, run.id),
            &codec::encode_json(run),
            &run.tenant,
            run.id,
            run.events,
        )?;
        self.flush()?;
        *self
            .completions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(run.tenant.clone())
            .or_insert(0) += 1;
        Ok(())
    }

    /// How many of a tenant's runs completed since the store was opened. A
    /// cache built from the latest complete runs is right while this stays
    /// the same: read it before reading the runs, so that a run completing
    /// meanwhile makes the next reader rebuild. (The newest complete run's
    /// id would not do: runs may complete out of id order.)
    pub fn run_completions(&self, tenant: &str) -> u64 {
        *self
            .completions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(tenant)
            .unwrap_or(&0)
    }

    /// Discards a complete or failed run: it stays listed, marked, with its
    /// results, and is read by no summary, dashboard or health history
    /// (durable on return), and the tenant's audit log records it in the
    /// same transaction. Compare-and-swap, so a discard never undoes a
    /// concurrent change of the record.
    pub fn discard_run(
        &self,
        tenant: &str,
        id: u64,
        by: &str,
        reason: Option<&str>,
    ) -> Result<RunRecord, StoreError> {
        let key = run_key(tenant, id);
        loop {
            let Some(old) = self.runs.get(&key)? else {
                return Err(StoreError::NotFound {
                    what: "run",
                    id: id.to_string(),
                });
            };
            let mut run: RunRecord = codec::decode("run", &old)?;
            if run.status == RunStatus::Running {
                return Err(StoreError::Conflict(format!(
                    "run {id} is still running: discard it once it has ended"
                )));
            }
            if let Some(d) = &run.discarded {
                return Err(StoreError::Conflict(format!(
                    "run {id} was already discarded by {} on {}",
                    d.by,
                    vitals_plugin_sdk::date::format((d.at_ms / 86_400_000) as i32)
                )));
            }
            run.discarded = Some(Discarded {
                at_ms: now_ms(),
                by: by.to_string(),
                reason: reason.map(str::to_string),
            });
            let detail = format!(
                "{} {} as of {}; {}",
                run.plugin,
                run.version,
                vitals_plugin_sdk::date::format(run.as_of),
                reason.map_or("no reason given".to_string(), |r| format!("reason: {r}"))
            );
            let record = AuditRecord::now(by, AuditAction::RunDiscarded, &id.to_string(), detail);
            let (log_key, log_value) = self.audit_entry(Some(tenant), &record)?;
            let new = codec::encode_json(&run);
            let swapped = (&self.runs, &self.audit)
                .transaction(|(runs, audit)| {
                    if runs.get(&key)?.as_ref() != Some(&old) {
                        return Ok(false);
                    }
                    runs.insert(key.as_slice(), new.as_slice())?;
                    audit.insert(log_key.as_slice(), log_value.as_slice())?;
                    Ok(true)
                })
                .map_err(super::transaction_error)?;
            if swapped {
                self.flush()?;
                // What the latest runs are may have changed: caches rebuild.
                self.runs_changed(tenant);
                return Ok(run);
            }
        }
    }

    /// Marks a run failed and removes its partial results.
    pub fn fail_run(&self, run: &mut RunRecord, reason: &str) -> Result<(), StoreError> {
        run.status = RunStatus::Failed {
            reason: reason.into(),
        };
        run.ended_ms = Some(now_ms());
        self.runs
            .insert(run_key(&run.tenant, run.id), codec::encode_json(run))?;
        self.flush()?;
        self.remove_run_events(&run.tenant, run.id)?;
        self.remove_results(&run.tenant, run.id)
    }

    fn remove_results(&self, tenant: &str, id: u64) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for kv in self.results.scan_prefix(result_prefix(tenant, id)) {
            batch.remove(kv?.0);
        }
        self.results.apply_batch(batch)?;
        self.flush()
    }

    /// Marks every run still `running` as failed (the process that ran it
    /// stopped) and says which (tenant, id): [`Store::recovery`].
    pub(super) fn fail_interrupted_runs(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let interrupted: Vec<RunRecord> = self
            .runs
            .iter()
            .map(|kv| Ok(codec::decode::<RunRecord>("run", &kv?.1)?))
            .filter(|r: &Result<RunRecord, StoreError>| {
                r.as_ref().map_or(true, |r| r.status == RunStatus::Running)
            })
            .collect::<Result<_, StoreError>>()?;
        let mut failed = Vec::with_capacity(interrupted.len());
        for mut run in interrupted {
            self.fail_run(
                &mut run,
                "interrupted: the process stopped before the run completed",
            )?;
            failed.push((run.tenant, run.id));
        }
        Ok(failed)
    }

    /// A tenant's runs, oldest first.
    pub fn runs(&self, tenant: &str) -> Result<Vec<RunRecord>, StoreError> {
        self.require_tenant(tenant)?;
        let mut prefix = tenant.as_bytes().to_vec();
        prefix.push(0);
        self.runs
            .scan_prefix(prefix)
            .map(|kv| Ok(codec::decode("run", &kv?.1)?))
            .collect()
    }

    /// One run of a tenant.
    pub fn run(&self, tenant: &str, id: u64) -> Result<RunRecord, StoreError> {
        match self.runs.get(run_key(tenant, id))? {
            Some(v) => Ok(codec::decode("run", &v)?),
            None => Err(StoreError::NotFound {
                what: "run",
                id: id.to_string(),
            }),
        }
    }

    /// The results of a complete run, in account order.
    pub fn results(&self, tenant: &str, id: u64) -> Result<Vec<StoredResult>, StoreError> {
        let mut out = Vec::new();
        self.for_each_result(tenant, id, |account_id, result| {
            out.push(StoredResult { account_id, result });
        })?;
        out.sort_by(|a, b| a.account_id.cmp(&b.account_id));
        Ok(out)
    }

    /// The stored result blocks of run `id`, which must be complete, in
    /// account order.
    pub(super) fn complete_results_scan(
        &self,
        tenant: &str,
        id: u64,
    ) -> Result<sled::Iter, StoreError> {
        let run = self.run(tenant, id)?;
        if run.status != RunStatus::Complete {
            return Err(StoreError::Invalid(format!(
                "run {id} is not complete ({:?}): it has no results",
                run.status
            )));
        }
        Ok(self.results.scan_prefix(result_prefix(tenant, id)))
    }

    /// Streams a complete run's results one block at a time, so memory holds
    /// one block (1,000 accounts) whatever the size of the run.
    pub fn for_each_result(
        &self,
        tenant: &str,
        id: u64,
        mut f: impl FnMut(String, Result<Output, PluginError>),
    ) -> Result<(), StoreError> {
        for kv in self.complete_results_scan(tenant, id)? {
            let bytes = kv?.1;
            for r in Block::parse(&bytes)?.decode_all()? {
                f(r.account_id, r.result);
            }
        }
        Ok(())
    }

    /// A cursor over a complete run's results for accounts asked in
    /// increasing order (a merge with a stream of accounts in id order):
    /// one block decoded at a time, whatever the size of the run.
    pub fn result_cursor(&self, tenant: &str, id: u64) -> Result<ResultCursor, StoreError> {
        Ok(ResultCursor {
            blocks: self.complete_results_scan(tenant, id)?,
            buffered: std::collections::VecDeque::new(),
            exhausted: false,
        })
    }

    /// One account's result in a complete run.
    pub fn result(
        &self,
        tenant: &str,
        id: u64,
        account: &str,
    ) -> Result<Option<Result<Output, PluginError>>, StoreError> {
        let prefix = result_prefix(tenant, id);
        let mut key = prefix.clone();
        key.extend_from_slice(account.as_bytes());
        // The block holding the account starts at or before it.
        let Some(kv) = self.results.range(prefix.clone()..=key).next_back() else {
            return Ok(None);
        };
        Block::parse(&kv?.1)?.find(account)
    }

    /// A page of a complete run's results in account order: `offset`
    /// accounts skipped, at most `limit` returned; only the page's entries
    /// are decoded.
    pub fn results_page(
        &self,
        tenant: &str,
        id: u64,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<StoredResult>, StoreError> {
        let mut out = Vec::new();
        let mut seen = 0usize;
        for kv in self.results.scan_prefix(result_prefix(tenant, id)) {
            if out.len() >= limit {
                break;
            }
            let (_, bytes) = kv?;
            let block = Block::parse(&bytes)?;
            let n = block.len();
            if seen + n <= offset {
                seen += n;
                continue;
            }
            let from = offset.saturating_sub(seen);
            let take = (limit - out.len()).min(n - from);
            out.extend(block.decode_range(from, take)?);
            seen += n;
        }
        Ok(out)
    }

    /// At most `limit` of a complete run's results after account `after`,
    /// in account order. A run writes its accounts in sorted chunks, so the
    /// blocks, in key order, hold the accounts in order: the scan starts at
    /// the block that holds `after` and decodes only from there.
    pub fn results_after(
        &self,
        tenant: &str,
        id: u64,
        after: &str,
        limit: usize,
    ) -> Result<Vec<StoredResult>, StoreError> {
        let prefix = result_prefix(tenant, id);
        let mut key = prefix.clone();
        key.extend_from_slice(after.as_bytes());
        let start = match self.results.range(prefix.clone()..=key).next_back() {
            Some(kv) => kv?.0.to_vec(),
            None => prefix.clone(),
        };
        let mut out = Vec::new();
        for kv in self.results.range(start..) {
            let (k, bytes) = kv?;
            if !k.starts_with(&prefix) || out.len() >= limit {
                break;
            }
            for r in Block::parse(&bytes)?.decode_all()? {
                if r.account_id.as_str() > after && out.len() < limit {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Complete runs of a tenant's plugins of one kind, oldest first.
    pub fn complete_runs_of_kind(
        &self,
        tenant: &str,
        kind: PluginKind,
    ) -> Result<Vec<RunRecord>, StoreError> {
        Ok(self
            .runs(tenant)?
            .into_iter()
            .filter(|r| r.kind == kind && r.is_usable())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{Block, RESULT_BLOCK_BYTES, encoded, insert_with_tenant_id};
    use super::{StoredResult, result_blocks};
    use crate::contract::{Band, Factor, Health, Output, PluginError, Segment};
    use crate::store::keys::tenant_key;

    /// A health result with `factors` factors, about 40 bytes each encoded.
    fn health(score: f64, factors: usize) -> Result<Output, PluginError> {
        Ok(Output::Health(Health {
            score,
            band: Band::Green,
            factors: (0..factors)
                .map(|i| Factor {
                    name: format!("factor-{i}").into(),
                    group: "usage".into(),
                    value: Some(score),
                    weight: 0.5,
                    points: 1.0,
                })
                .collect(),
        }))
    }

    #[test]
    fn result_blocks_stay_under_their_byte_cap_and_keep_every_result_in_order() {
        let results: Vec<(String, Result<Output, PluginError>)> = (0..3000)
            .map(|i| {
                // Mostly small, some of a dozen factors, one far over a block.
                let factors = match i {
                    1500 => 400,
                    _ if i % 7 == 0 => 12,
                    _ => 0,
                };
                (format!("acct-{i:05}"), health(f64::from(i), factors))
            })
            .collect();
        let sorted: Vec<_> = results.iter().collect();
        let blocks = result_blocks(&sorted);
        let mut read: Vec<StoredResult> = Vec::new();
        for (first, value) in &blocks {
            let block = Block::parse(value).unwrap();
            let Block::Indexed(entries) = &block else {
                panic!("written blocks are indexed")
            };
            assert_eq!(
                entries[0].0, *first,
                "a block is keyed by its first account"
            );
            let bytes: usize = entries.iter().map(|(a, e)| a.len() + e.len()).sum();
            assert!(
                bytes <= RESULT_BLOCK_BYTES || entries.len() == 1,
                "{first}: {} results, {bytes} bytes",
                entries.len()
            );
            read.extend(block.decode_all().unwrap());
        }
        assert!(
            blocks.iter().any(|(first, _)| *first == "acct-01500")
                && Block::parse(&blocks.iter().find(|b| b.0 == "acct-01500").unwrap().1)
                    .unwrap()
                    .len()
                    == 1,
            "a result over the cap is a block of its own"
        );
        assert!(blocks.len() > 10, "{} blocks", blocks.len());
        let want: Vec<StoredResult> = results
            .into_iter()
            .map(|(account_id, result)| StoredResult { account_id, result })
            .collect();
        assert_eq!(read, want);
    }

    #[test]
    fn a_borrowed_encoding_writes_the_bytes_the_stored_form_reads() {
        let results = [
            Ok(Output::Health(Health {
                score: 61.25,
                band: Band::Yellow,
                factors: vec![Factor {
                    name: "logins".into(),
                    group: "usage".into(),
                    value: None,
                    weight: 0.5,
                    points: 20.0,
                }],
            })),
            Ok(Output::Segments {
                segments: vec![Segment {
                    name: "new".into(),
                    reason: "joined".into(),
                }],
            }),
            Err(PluginError::BadOutput("score is NaN".into())),
        ];
        for r in results {
            let borrowed = postcard::to_allocvec(&super::EncodedRef::of(&r)).unwrap();
            assert_eq!(borrowed, postcard::to_allocvec(&encoded(&r)).unwrap());
            assert_eq!(Block::decode_entry(&borrowed).unwrap(), r);
        }
    }

    #[test]
    fn a_health_results_head_is_its_score_and_band_and_nothing_else_has_one() {
        let health = Ok(Output::Health(Health {
            score: 61.25,
            band: Band::Yellow,
            factors: vec![Factor {
                name: "logins".into(),
                group: "usage".into(),
                value: Some(3.0),
                weight: 0.5,
                points: 20.0,
            }],
        }));
        let bytes = |r| postcard::to_allocvec(&encoded(&r)).unwrap();
        assert_eq!(
            Block::health_head(&bytes(health)).unwrap(),
            Some((61.25, Band::Yellow))
        );
        let segments = Ok(Output::Segments {
            segments: vec![Segment {
                name: "new".into(),
                reason: "joined".into(),
            }],
        });
        assert_eq!(Block::health_head(&bytes(segments)).unwrap(), None);
        let failed = Err(PluginError::BadOutput("score is NaN".into()));
        assert_eq!(Block::health_head(&bytes(failed)).unwrap(), None);
        assert!(
            Block::health_head(&[0, 1, 2]).is_err(),
            "cut short: corrupt"
        );
    }

    #[test]
    fn ids_count_per_tenant_continue_past_old_ones_and_never_collide() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("runs").unwrap();
        let put =
            |t: &str| insert_with_tenant_id(&tree, t, |id| id.to_be_bytes().to_vec()).unwrap();
        // "a" and "ab": one tenant id a prefix of another's.
        assert_eq!(
            (put("a"), put("ab"), put("a"), put("ab"), put("a")),
            (1, 1, 2, 2, 3)
        );
        // A record from the store-wide counter keeps its id; the next continues past it.
        tree.insert(tenant_key("old", &[&52_000_006u64.to_be_bytes()]), vec![])
            .unwrap();
        assert_eq!(put("old"), 52_000_007);
        // Writers racing for the same tenant each get their own id.
        let ids: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| (0..25).map(|_| put("race")).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=200).collect::<Vec<u64>>());
    }
}
