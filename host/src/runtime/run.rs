//! Runs a plugin over many accounts: batches across every core, each call in
//! a fresh instance seeded from its inputs (so results never depend on which
//! worker, in what order, served a batch), a trapped batch retried account
//! by account so the failing account is named, and results in input order. A [`Job`] carries what spans the
//! chunks of one run: its tenant's share of the cores, the fuel it may
//! still use and how many batches failed whole.

use super::invoke::CallOutcome;
use super::sched::{Member, Share};
use super::types::Account;
use super::{Plugin, Runtime};
use crate::contract::Limits;
use crate::contract::LogLine;
use crate::contract::Output;
use crate::contract::PluginError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// One plugin's run over a tenant's accounts, however many chunks it is
/// called on: the share of the cores it runs under, the fuel it may still
/// use, and the batches that failed whole (one tenant's failing plugin
/// never stops another's run).
#[derive(Debug)]
pub struct Job {
    member: Member,
    /// Fuel left; may go below zero by the calls in flight when it ran out.
    fuel_left: AtomicI64,
    failed_batches: AtomicUsize,
}

impl Job {
    /// Fuel the run has left (negative: overspent by calls in flight).
    pub fn fuel_left(&self) -> i64 {
        self.fuel_left.load(Ordering::Relaxed)
    }

    fn spend(&self, fuel: u64) {
        self.fuel_left
            .fetch_sub(i64::try_from(fuel).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    fn grant(&self, fuel: u64) {
        self.fuel_left
            .fetch_add(i64::try_from(fuel).unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}

/// How a run is split.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Accounts per call. 500 amortises the call boundary (measured in
    /// BENCHMARKS.md: per-account cost flattens from about 100 up) while
    /// keeping a retried batch small.
    pub batch_size: usize,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            batch_size: 500,
            workers: 0,
        }
    }
}

/// The outcome of a run.
#[derive(Debug)]
pub struct RunOutput {
    /// One result per account, in input order.
    pub results: Vec<Result<Output, PluginError>>,
    /// Log lines of every call, in batch order (each call bounded by the limits).
    pub log: Vec<LogLine>,
    /// Log lines dropped by the limits.
    pub log_dropped: u64,
    /// Fuel used by all calls.
    pub fuel_used: u64,
    /// Calls made, retries included.
    pub calls: u64,
    /// Batches that failed whole and were retried account by account.
    pub retried_batches: u64,
    /// Instances created: one per call.
    pub instances: u64,
}

/// A worker of a run: it makes a fresh instance for each call (an
/// instance's state after a call must not reach the next one) and counts
/// the fuel of every call it makes, failed ones included.
struct Worker<'a> {
    rt: &'a Runtime,
    job: &'a Job,
    plugin: &'a Plugin,
    as_of: i32,
    created: u64,
    /// Fuel used by the calls of the current batch, whatever their outcome.
    fuel_used: u64,
}

impl Worker<'_> {
    /// One call on a fresh instance.
    fn call(
        &mut self,
        limits: &Limits,
        config: &str,
        accounts: &[Account],
    ) -> Result<CallOutcome, PluginError> {
        self.created += 1;
        let mut instance = self
            .rt
            .instance(self.plugin, limits, config, self.as_of, accounts)?;
        let outcome = instance.call(Some(&self.job.member), limits, config, accounts);
        // Failed calls spend fuel too: a plugin that fails on fuel is
        // charged for every call it burnt, and the run records it.
        let fuel = instance.fuel_used(limits);
        self.job.spend(fuel);
        self.fuel_used = self.fuel_used.saturating_add(fuel);
        outcome
    }

    /// The fuel counted since the last take (one batch's worth).
    fn take_fuel(&mut self) -> u64 {
        std::mem::take(&mut self.fuel_used)
    }
}

struct BatchResult {
    results: Vec<Result<Output, PluginError>>,
    log: Vec<LogLine>,
    log_dropped: u64,
    /// Set by `run_batch` from the worker's count of every call's fuel.
    fuel_used: u64,
    calls: u64,
    retried: bool,
}

/// Accounts retried alone before a failing batch is judged to fail whole.
const RETRY_PROBE: usize = 3;
/// Batches judged to fail whole before a run stops calling the plugin.
const FAILED_BATCHES_TO_STOP: usize = 3;
/// The smallest output budget of one account retried alone.
const MIN_RETRY_OUTPUT_BYTES: u64 = 64 << 10;

impl Runtime {
    /// A job for one plugin's run on behalf of `share` (one per tenant)
    /// under `limits`. Its fuel starts at the worth of a batch that fails
    /// and of the first accounts retried alone ([`RETRY_PROBE`]), each at
    /// a whole call's fuel: what a small run may need whatever its size.
    /// Each chunk run adds `run_fuel_per_account` for every account in it.
    pub fn job(&self, share: Share, limits: &Limits) -> Job {
        let limits = limits.capped_by(&self.limits);
        let start = limits.fuel.saturating_mul(1 + RETRY_PROBE as u64);
        Job {
            member: self.scheduler.join(share),
            fuel_left: AtomicI64::new(i64::try_from(start).unwrap_or(i64::MAX)),
            failed_batches: AtomicUsize::new(0),
        }
    }

    /// Runs `plugin` over `accounts` at `as_of` with the tenant's
    /// configuration, as a job of its own on `share` (see
    /// [`Runtime::run_job`]).
    #[allow(clippy::too_many_arguments)] // one call of a run: each is needed
    pub fn run(
        &self,
        share: Share,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
        accounts: &[Account],
        options: RunOptions,
    ) -> Result<RunOutput, PluginError> {
        let job = self.job(share, limits);
        self.run_job(&job, plugin, limits, config, as_of, accounts, options)
    }

    /// Runs `plugin` over one chunk of `job`'s accounts at `as_of` with the
    /// tenant's configuration (validated against the plugin's schema first:
    /// an invalid configuration fails the run before any call).
    #[allow(clippy::too_many_arguments)] // one call of a run: each is needed
    pub fn run_job(
        &self,
        job: &Job,
        plugin: &Plugin,
        limits: &Limits,
        config: &str,
        as_of: i32,
        accounts: &[Account],
        options: RunOptions,
    ) -> Result<RunOutput, PluginError> {
        plugin.check_config(config)?;
        let limits = &limits.capped_by(&self.limits);
        if self.fuel {
            job.grant(
                limits
                    .run_fuel_per_account
                    .saturating_mul(accounts.len() as u64),
            );
        }
        let batch_size = options.batch_size.max(1);
        let chunks: Vec<&[Account]> = accounts.chunks(batch_size).collect();
        let workers = match options.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
        // Never more workers than pooled instances.
        .min(self.max_instances as usize)
        .min(chunks.len().max(1));
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<Option<Result<BatchResult, PluginError>>>> =
            Mutex::new((0..chunks.len()).map(|_| None).collect());
        let instances = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    let mut worker = Worker {
                        rt: self,
                        job,
                        plugin,
                        as_of,
                        created: 0,
                        fuel_used: 0,
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else { break };
                        let r = run_batch(&mut worker, limits, config, chunk, self.fuel);
                        done.lock().expect("results lock")[i] = Some(r);
                    }
                    instances.fetch_add(worker.created, Ordering::Relaxed);
                });
            }
        });
        let mut out = RunOutput {
            results: Vec::with_capacity(accounts.len()),
            log: Vec::new(),
            log_dropped: 0,
            fuel_used: 0,
            calls: 0,
            retried_batches: 0,
            instances: instances.into_inner(),
        };
        for batch in done.into_inner().expect("results lock") {
            let b = batch.expect("every batch ran")?;
            out.results.extend(b.results);
            out.log.extend(b.log);
            out.log_dropped += b.log_dropped;
            out.fuel_used += b.fuel_used;
            out.calls += b.calls;
            out.retried_batches += u64::from(b.retried);
        }
        Ok(out)
    }
}

/// Why the job calls its plugin no more, if it does not.
fn stop_reason(job: &Job, limits: &Limits, metered: bool) -> Option<PluginError> {
    if job.failed_batches.load(Ordering::Relaxed) >= FAILED_BATCHES_TO_STOP {
        return Some(PluginError::NotRun(format!(
            "the plugin failed {FAILED_BATCHES_TO_STOP} batches whole; the run stopped calling it"
        )));
    }
    if metered && job.fuel_left() <= 0 {
        return Some(PluginError::NotRun(format!(
            "the run used all its fuel ({} per account on average, `run_fuel_per_account`); the plugin was not called for the accounts left",
            limits.run_fuel_per_account
        )));
    }
    None
}

/// One batch; a batch that fails whole is retried account by account so
/// that the failing account is named. Its fuel is that of every call made
/// for it, the failed ones included.
fn run_batch(
    worker: &mut Worker<'_>,
    limits: &Limits,
    config: &str,
    chunk: &[Account],
    metered: bool,
) -> Result<BatchResult, PluginError> {
    let mut b = run_batch_calls(worker, limits, config, chunk, metered)?;
    b.fuel_used = worker.take_fuel();
    Ok(b)
}

fn run_batch_calls(
    worker: &mut Worker<'_>,
    limits: &Limits,
    config: &str,
    chunk: &[Account],
    metered: bool,
) -> Result<BatchResult, PluginError> {
    let job = worker.job;
    if let Some(skipped) = stop_reason(job, limits, metered) {
        return Ok(BatchResult {
            results: chunk.iter().map(|_| Err(skipped.clone())).collect(),
            log: Vec::new(),
            log_dropped: 0,
            fuel_used: 0,
            calls: 0,
            retried: false,
        });
    }
    let calls = 1;
    match worker.call(limits, config, chunk) {
        Ok(c) => Ok(BatchResult {
            results: c.results,
            log: c.log.lines,
            log_dropped: c.log.dropped,
            fuel_used: 0,
            calls,
            retried: false,
        }),
        // The configuration is wrong for every account, or the host
        // itself failed: fail the run rather than store per-account errors.
        Err(e @ (PluginError::InvalidConfig(_) | PluginError::Host(_))) => Err(e),
        Err(e) if e.fails_the_batch() && chunk.len() > 1 => {
            let mut b = BatchResult {
                results: Vec::with_capacity(chunk.len()),
                log: Vec::new(),
                log_dropped: 0,
                fuel_used: 0,
                calls,
                retried: true,
            };
            // Retries share the batch's output budget: splitting a batch
            // must not multiply what one batch may return.
            let single = Limits {
                output_bytes: (limits.output_bytes / chunk.len() as u64)
                    .max(MIN_RETRY_OUTPUT_BYTES)
                    .min(limits.output_bytes),
                ..*limits
            };
            let mut failed_in_a_row = 0;
            for (i, account) in chunk.iter().enumerate() {
                // A plugin that fails every account it is retried on fails
                // them all: stop paying a full limit per account.
                if failed_in_a_row == RETRY_PROBE && i == RETRY_PROBE {
                    let rest = chunk.len() - i;
                    let skipped = PluginError::NotRun(format!(
                        "the batch failed ({e}) and so did the first {RETRY_PROBE} accounts retried alone; the other {rest} were not retried"
                    ));
                    b.results.extend((0..rest).map(|_| Err(skipped.clone())));
                    job.failed_batches.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                if let Some(skipped) = stop_reason(job, limits, metered) {
                    b.results
                        .extend((i..chunk.len()).map(|_| Err(skipped.clone())));
                    break;
                }
                b.calls += 1;
                match worker.call(&single, config, std::slice::from_ref(account)) {
                    Ok(c) => {
                        failed_in_a_row = 0;
                        b.results.extend(c.results);
                        b.log.extend(c.log.lines);
                        b.log_dropped += c.log.dropped;
                    }
                    Err(e @ (PluginError::InvalidConfig(_) | PluginError::Host(_))) => {
                        return Err(e);
                    }
                    Err(e) => {
                        failed_in_a_row += usize::from(e.fails_the_batch());
                        b.results.push(Err(e));
                    }
                }
            }
            Ok(b)
        }
        Err(e) => Ok(BatchResult {
            results: chunk.iter().map(|_| Err(e.clone())).collect(),
            log: Vec::new(),
            log_dropped: 0,
            fuel_used: 0,
            calls,
            retried: false,
        }),
    }
}
