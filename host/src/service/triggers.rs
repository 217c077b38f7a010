//! A tenant's trigger rules and the events they fired (issue #19), as one
//! API implemented by the service (local CLI, server) and the HTTP client.

use super::{ApiError, ApiResult, Service};
use crate::contract::{Account, Output, PluginError};
use crate::scoring::events::{RunEvents, previous_run, rules_for};
use crate::store::{EventFilter, RuleVersion, RunRecord, StoreError};
use crate::triggers::{Event, Rule, measure};
use serde::{Deserialize, Serialize};

/// A rule saved, and what is worth knowing about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriggerSaved {
    /// The version saved (the latest, when nothing changed).
    pub rule: RuleVersion,
    /// Things that will keep it from firing as meant (a plugin not
    /// installed, a measure no account carries); not refusals.
    pub warnings: Vec<String>,
}

/// What a rule would have fired on a past run (nothing sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TriggerTest {
    /// The rule as it stands.
    pub rule: RuleVersion,
    /// The run tested.
    pub run: u64,
    /// The run it was compared with (`None`: none before it; nothing fires).
    pub previous_run: Option<u64>,
    /// Accounts compared (scored in both runs).
    pub accounts: u64,
    /// The events it would have fired.
    pub events: Vec<Event>,
}

/// Which run `trigger test` reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::IntoParams)]
pub struct TriggerTestQuery {
    /// The run (default: the latest complete run the rule watches).
    pub run: Option<u64>,
}

/// Trigger rules and events.
pub trait TriggerApi {
    /// The tenant's rules as they stand.
    fn triggers(&self, tenant: &str) -> ApiResult<Vec<RuleVersion>>;
    /// Every version of one rule, oldest first.
    fn trigger_versions(&self, tenant: &str, name: &str) -> ApiResult<Vec<RuleVersion>>;
    /// Saves a rule (checked against the schema) as its next version.
    fn put_trigger(&self, tenant: &str, rule: &serde_json::Value) -> ApiResult<TriggerSaved>;
    /// Removes a rule (a version without one).
    fn remove_trigger(&self, tenant: &str, name: &str) -> ApiResult<RuleVersion>;
    /// What a rule would have fired on a past run; nothing is sent.
    fn test_trigger(
        &self,
        tenant: &str,
        name: &str,
        q: &TriggerTestQuery,
    ) -> ApiResult<TriggerTest>;
    /// Events of complete runs, newest run first.
    fn events(&self, tenant: &str, filter: &EventFilter) -> ApiResult<Vec<Event>>;
}

impl Service {
    /// Saves a rule for `by` (`local`, or the API key that asked).
    pub fn put_trigger_by(
        &self,
        tenant: &str,
        rule: &serde_json::Value,
        by: &str,
    ) -> ApiResult<TriggerSaved> {
        self.store.require_tenant_exists(tenant)?;
        let rule = Rule::parse(&rule.to_string())
            .map_err(|e| ApiError::new(422, "invalid-rule", format!("trigger rule: {e}")))?;
        let endpoints: Vec<String> = self
            .store
            .endpoints(tenant)?
            .into_iter()
            .map(|e| e.name)
            .collect();
        let unknown: Vec<&String> = rule
            .webhooks
            .iter()
            .filter(|w| !endpoints.contains(w))
            .collect();
        if !unknown.is_empty() {
            return Err(ApiError::new(
                422,
                "unknown-webhook",
                format!(
                    "trigger rule {:?}: webhooks: no endpoint named {} (add it with `vitals webhook add`; the tenant has {})",
                    rule.name,
                    unknown
                        .iter()
                        .map(|u| format!("{u:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if endpoints.is_empty() {
                        "none".to_string()
                    } else {
                        endpoints.join(", ")
                    }
                ),
            ));
        }
        let warnings = self.rule_warnings(tenant, &rule, &endpoints)?;
        let saved = self.store.put_rule(tenant, &rule, by)?;
        Ok(TriggerSaved {
            rule: saved,
            warnings,
        })
    }

    fn rule_warnings(
        &self,
        tenant: &str,
        rule: &Rule,
        endpoints: &[String],
    ) -> ApiResult<Vec<String>> {
        let mut warnings = Vec::new();
        if let Some(p) = &rule.plugin {
            match self.store.plugins(tenant)?.into_iter().find(|i| &i.name == p) {
                None => warnings.push(format!(
                    "plugin: {p:?} is not installed: the rule fires once a run of it completes"
                )),
                Some(i) if i.kind != rule.event.kind() => warnings.push(format!(
                    "plugin: {p:?} is a {:?}, and {} compares the results of a {:?}: it will never fire",
                    i.kind,
                    rule.event.name(),
                    rule.event.kind()
                )),
                Some(_) => {}
            }
        }
        if let crate::triggers::Condition::MeasureCrossed { measure: name, .. } = &rule.event
            && !measure::BUILT_IN.contains(&name.as_str())
        {
            let catalog = self.store.catalog(tenant)?;
            if !catalog.metrics.contains(name) {
                let near = crate::names::check::nearest(name, &catalog.metrics);
                warnings.push(format!(
                    "event.measure: no account carries a metric {name:?}{}",
                    if near.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean {}?)", near.join(", "))
                    }
                ));
            }
        }
        if endpoints.is_empty() {
            warnings.push(
                "webhooks: the tenant has no endpoint: events are kept (`vitals events`) but sent nowhere".into(),
            );
        }
        Ok(warnings)
    }

    /// Removes a rule for `by`.
    pub fn remove_trigger_by(&self, tenant: &str, name: &str, by: &str) -> ApiResult<RuleVersion> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.remove_rule(tenant, name, by)?)
    }

    fn trigger_test(
        &self,
        tenant: &str,
        name: &str,
        q: &TriggerTestQuery,
    ) -> ApiResult<TriggerTest> {
        self.store.require_tenant_exists(tenant)?;
        let version = self.store.rule(tenant, name)?;
        let rule = version.rule.clone().expect("a rule as it stands has one");
        let watched = |r: &RunRecord| rule.watches(&r.plugin, r.kind);
        // Read once: the run to test and the run it compares with.
        let runs = self.store.runs(tenant)?;
        let run = match q.run {
            Some(id) => {
                let r = self.store.run(tenant, id)?;
                if !watched(&r) {
                    return Err(ApiError::new(
                        422,
                        "not-watched",
                        format!(
                            "run {id} is a run of {} ({:?}); rule {name:?} watches {}",
                            r.plugin,
                            r.kind,
                            rule.plugin
                                .as_ref()
                                .map_or(format!("{:?} runs", rule.event.kind()), |p| format!(
                                    "{p} runs"
                                ))
                        ),
                    ));
                }
                if !r.is_usable() {
                    return Err(ApiError::new(
                        409,
                        "run-not-usable",
                        format!(
                            "run {id} is not complete, or was discarded: it has no results to test"
                        ),
                    ));
                }
                r
            }
            None => runs
                .iter()
                .filter(|r| r.is_usable() && watched(r))
                .max_by_key(|r| (r.as_of, r.id))
                .cloned()
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "no complete run that rule {name:?} watches yet: run the plugin first"
                    ))
                })?,
        };
        let Some(previous) = previous_run(&runs, &run, false) else {
            return Ok(TriggerTest {
                rule: version,
                run: run.id,
                previous_run: None,
                accounts: 0,
                events: vec![],
            });
        };
        // The rule as it stands, whether or not it is enabled.
        let live = rules_for(
            &self.store,
            &run,
            &[RuleVersion {
                rule: Some(Rule {
                    enabled: true,
                    ..rule
                }),
                ..version.clone()
            }],
        )?;
        let previous_id = previous.id;
        let mut derive = RunEvents::new(&self.store, &run, previous, live, false)?;
        let mut after = self.store.result_cursor(tenant, run.id)?;
        let mut events = Vec::new();
        let mut accounts = 0u64;
        let store = &self.store;
        store.for_each_chunk_at(
            tenant,
            run.as_of,
            0,
            &crate::contract::projection::Windows::of([]),
            5_000,
            |chunk: Vec<Account>| -> Result<(), StoreError> {
                let mut scored = Vec::with_capacity(chunk.len());
                let mut results: Vec<(String, Result<Output, PluginError>)> = Vec::new();
                for a in chunk {
                    if let Some(r) = after.get(&a.id)? {
                        results.push((a.id.clone(), r));
                        scored.push(a);
                    }
                }
                accounts += scored.len() as u64;
                events.extend(derive.chunk(store, &scored, &results, None)?);
                Ok(())
            },
        )?;
        let config: serde_json::Value = serde_json::from_str(&run.config)
            .unwrap_or_else(|_| serde_json::Value::String(run.config.clone()));
        for e in &mut events {
            e.run.config = config.clone();
        }
        Ok(TriggerTest {
            rule: version,
            run: run.id,
            previous_run: Some(previous_id),
            accounts,
            events,
        })
    }
}

impl TriggerApi for Service {
    fn triggers(&self, tenant: &str) -> ApiResult<Vec<RuleVersion>> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.rules(tenant)?)
    }
    fn trigger_versions(&self, tenant: &str, name: &str) -> ApiResult<Vec<RuleVersion>> {
        self.store.require_tenant_exists(tenant)?;
        let versions = self.store.rule_versions(tenant, name)?;
        if versions.is_empty() {
            return Err(ApiError::from(StoreError::NotFound {
                what: "trigger rule",
                id: name.to_string(),
            }));
        }
        Ok(versions)
    }
    fn put_trigger(&self, tenant: &str, rule: &serde_json::Value) -> ApiResult<TriggerSaved> {
        self.put_trigger_by(tenant, rule, "local")
    }
    fn remove_trigger(&self, tenant: &str, name: &str) -> ApiResult<RuleVersion> {
        self.remove_trigger_by(tenant, name, "local")
    }
    fn test_trigger(
        &self,
        tenant: &str,
        name: &str,
        q: &TriggerTestQuery,
    ) -> ApiResult<TriggerTest> {
        self.trigger_test(tenant, name, q)
    }
    fn events(&self, tenant: &str, filter: &EventFilter) -> ApiResult<Vec<Event>> {
        self.store.require_tenant_exists(tenant)?;
        Ok(self.store.events(tenant, filter)?)
    }
}
