//! A run of a tenant's active plugins at an instant, streamed chunk by chunk
//! from the store so memory stays flat however many accounts there are.

use super::events::RunEvents;
use super::history::health_history;
use crate::contract::projection::{Window, Windows};
use crate::contract::{Account, HealthPoint};
use crate::contract::{Limits, Output, PluginError, PluginKind};
use crate::runtime::{Plugin, RunOptions, Runtime, Share};
use crate::store::{ActivePlugin, RunRecord, Store, StoreError};

/// How a run reads the store and calls plugins.
#[derive(Debug, Clone, Copy)]
pub struct RunSettings {
    /// Earlier snapshots passed with each account (days before its latest).
    pub history_days: i32,
    /// Accounts read and scored per chunk.
    pub chunk: usize,
    /// Batching and workers of the runtime.
    pub options: RunOptions,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            history_days: 400,
            chunk: 20_000,
            options: RunOptions::default(),
        }
    }
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A plugin could not be loaded or its configuration is invalid.
    #[error("{plugin}: {error}")]
    Plugin {
        /// The plugin name.
        plugin: String,
        /// What went wrong.
        error: PluginError,
    },
    /// Nothing to run.
    #[error("{0}")]
    Nothing(String),
}

fn kind_order(kind: PluginKind) -> u8 {
    match kind {
        PluginKind::HealthModel => 0,
        PluginKind::Segmenter => 1,
        PluginKind::PropensityModel => 2,
        PluginKind::Forecaster => 3,
    }
}

/// Runs the tenant's active plugins (or only `only`) at `as_of`; each plugin
/// gets its own run record. `progress` is called with accounts done so far.
pub fn run_active(
    store: &Store,
    rt: &Runtime,
    tenant: &str,
    as_of: i32,
    only: Option<&str>,
    settings: RunSettings,
    mut progress: impl FnMut(u64),
) -> Result<Vec<RunRecord>, RunError> {
    let mut active: Vec<ActivePlugin> = store.active_plugins(tenant)?;
    // The tenant's health model, whether or not this invocation runs it.
    let health_model = active
        .iter()
        .find(|p| p.plugin.kind == PluginKind::HealthModel)
        .map(|p| p.plugin.name.clone());
    if let Some(name) = only {
        active.retain(|p| p.plugin.name == name);
        if active.is_empty() {
            return Err(RunError::Nothing(format!(
                "no active plugin named {name:?} (see `vitals plugin list`)"
            )));
        }
    }
    if active.is_empty() {
        return Err(RunError::Nothing(
            "the tenant has no active plugin (add one with `vitals plugin add --activate`)".into(),
        ));
    }
    active.sort_by_key(|p| kind_order(p.plugin.kind));
    let limits = tenant_limits(store, rt, tenant)?;
    let mut loaded = Vec::new();
    let mut reads = PastReads::default();
    for p in &active {
        let fail = |error| RunError::Plugin {
            plugin: p.plugin.name.clone(),
            error,
        };
        let component = store.component(&p.plugin.hash)?;
        let plugin = rt.load(&component).map_err(fail)?;
        plugin.check_config(&p.config).map_err(fail)?;
        reads.add(rt, &plugin, &limits, &p.config);
        loaded.push(plugin);
    }
    let reads = reads.union();
    // One job per plugin for the whole run: its fuel budget and failed
    // batches span the chunks, and the tenant keeps its place in the
    // scheduler from the first chunk to the last.
    let jobs: Vec<_> = active
        .iter()
        .map(|_| rt.job(Share::of(tenant), &limits))
        .collect();
    // The health the other kinds read: the tenant's active health model's
    // earlier runs, and its run at this very instant too when this
    // invocation does not score health itself.
    let scoring_health = active
        .iter()
        .any(|p| p.plugin.kind == PluginKind::HealthModel);
    let mut health = health_history(
        store,
        tenant,
        health_model.as_deref(),
        as_of,
        !scoring_health,
        settings.history_days,
        &reads.health,
    )?;
    let mut runs: Vec<RunRecord> = active
        .iter()
        .map(|p| store.start_run(tenant, &p.plugin, &p.config, as_of))
        .collect::<Result<_, _>>()?;
    // Trigger events: each run's rules and the previous run it compares
    // with, read once; the events of a chunk are staged with its results.
    let segmenter = active
        .iter()
        .position(|p| p.plugin.kind == PluginKind::Segmenter);
    let rules = store.rules(tenant)?;
    // Read once for every run's previous run, and only when a rule may need it.
    let past = if rules.is_empty() {
        Vec::new()
    } else {
        store.runs(tenant)?
    };
    let mut derivations: Vec<Option<RunEvents>> = Vec::with_capacity(runs.len());
    for run in &runs {
        derivations.push(RunEvents::live(
            store,
            run,
            &rules,
            &past,
            segmenter.is_some(),
        )?);
    }
    let mut done = 0u64;
    // The store is read on a thread of its own, one chunk ahead, so that
    // decoding snapshots overlaps with scoring (the scoring itself uses
    // every core; reading and writing the store are single-threaded).
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Account>>(1);
    let outcome = std::thread::scope(|scope| -> Result<(), RunError> {
        let reader = scope.spawn(move || {
            store.for_each_chunk_at(
                tenant,
                as_of,
                settings.history_days,
                &reads.history,
                settings.chunk,
                |chunk| {
                    // A closed channel: the scorer stopped on an error, which is
                    // the one reported (`scored` comes first below); stop reading.
                    send.send(chunk)
                        .map_err(|_| StoreError::Invalid("scoring stopped".into()))
                },
            )
        });
        let scored = (|| -> Result<(), RunError> {
            for mut chunk in receive.iter() {
                for a in &mut chunk {
                    health.set(a)?;
                }
                let mut written: Vec<Vec<(String, Result<Output, PluginError>)>> =
                    Vec::with_capacity(active.len());
                for (((p, plugin), run), job) in
                    active.iter().zip(&loaded).zip(runs.iter_mut()).zip(&jobs)
                {
                    let out = rt
                        .run_job(
                            job,
                            plugin,
                            &limits,
                            &p.config,
                            as_of,
                            &chunk,
                            settings.options,
                        )
                        .map_err(|error| RunError::Plugin {
                            plugin: p.plugin.name.clone(),
                            error,
                        })?;
                    if p.plugin.kind == PluginKind::HealthModel {
                        for (a, r) in chunk.iter_mut().zip(&out.results) {
                            if let Ok(Output::Health(h)) = r {
                                a.health.retain(|x| x.as_of < as_of);
                                a.health.push(HealthPoint {
                                    as_of,
                                    score: h.score,
                                    band: h.band,
                                });
                            }
                        }
                    }
                    let results: Vec<(String, Result<Output, PluginError>)> = chunk
                        .iter()
                        .map(|a| a.id.clone())
                        .zip(out.results)
                        .collect();
                    store.write_results(run, &results, out.fuel_used, out.log, out.log_dropped)?;
                    written.push(results);
                }
                for ((derivation, run), results) in
                    derivations.iter_mut().zip(runs.iter_mut()).zip(&written)
                {
                    let Some(derivation) = derivation else {
                        continue;
                    };
                    let beside = segmenter.map(|i| written[i].as_slice());
                    let events = derivation.chunk(store, &chunk, results, beside)?;
                    if !events.is_empty() {
                        store.stage_events(tenant, run.id, &events)?;
                        run.events += events.len() as u64;
                    }
                }
                done += chunk.len() as u64;
                progress(done);
            }
            Ok(())
        })();
        drop(receive);
        let read = reader.join().expect("store reader thread");
        scored.and(read.map_err(RunError::from))
    });
    match outcome {
        Ok(()) => {
            for run in &mut runs {
                store.complete_run(run)?;
            }
            Ok(runs)
        }
        Err(e) => {
            // Mark every run failed even if one of these writes fails too;
            // the original error is the one reported.
            for run in &mut runs {
                let _ = store.fail_run(run, &e.to_string());
            }
            Err(e)
        }
    }
}

/// What some plugins read of each account's past, gathered plugin by
/// plugin from their projections under their configurations (a 0.1 plugin
/// reads everything): the store then decodes only those snapshots, and
/// earlier health is read only when some plugin reads it.
#[derive(Debug, Default)]
pub struct PastReads {
    history: Vec<Window>,
    health: Vec<Window>,
}

/// The union of [`PastReads`]: what to read of each account's earlier
/// snapshots and of its earlier health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastWindows {
    /// Earlier snapshots.
    pub history: Windows,
    /// Earlier health scores.
    pub health: Windows,
}

impl PastReads {
    /// Adds what `plugin` reads under `config`. A plugin that fails to say
    /// (out of fuel under the tenant's limits, say) counts as reading
    /// everything: its calls then fail with that error account by account,
    /// recorded in its run, as they would have had the store read nothing
    /// less.
    pub fn add(&mut self, rt: &Runtime, plugin: &Plugin, limits: &Limits, config: &str) {
        match rt.projection(plugin, limits, config) {
            Ok(Some(p)) => {
                self.history.push(p.history);
                self.health.push(p.health);
            }
            Ok(None) | Err(_) => {
                self.history.push(Window::All);
                self.health.push(Window::All);
            }
        }
    }

    /// The union of what was added.
    pub fn union(self) -> PastWindows {
        PastWindows {
            history: Windows::of(self.history),
            health: Windows::of(self.health),
        }
    }
}

/// Limits for a run: the tenant's, never above the operator's.
pub fn tenant_limits(store: &Store, rt: &Runtime, tenant: &str) -> Result<Limits, StoreError> {
    Ok(store
        .tenant(tenant)?
        .limits
        .unwrap_or(*rt.limits())
        .capped_by(rt.limits()))
}
