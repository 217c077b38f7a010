//! Heavy work (runs, shadow runs, backtests) and on-demand scores limited
//! per tenant: each tenant may have only so many going at once (the next is
//! refused with 429, not queued behind them, so a tenant whose plugin spins
//! to its deadline cannot hold a server thread per request it sends). Every job may use every core; the runtime's
//! scheduler (`runtime::sched`) shares the cores between tenants while
//! their plugins run, so one tenant's jobs, hostile plugins included,
//! cannot take them all.

use super::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// On-demand scores one tenant may have going at once. A score is one call
/// per active plugin, milliseconds for a plugin that behaves; a plugin that
/// spins holds its request until its fuel or deadline stops it (5 s by
/// default), so four of them is all one tenant gets at a time.
pub const SCORES_PER_TENANT: usize = 4;

/// The jobs going, per tenant.
pub struct Jobs {
    per_tenant: usize,
    /// What the jobs are, for the refusal (`run(s)`, `on-demand score(s)`).
    what: &'static str,
    going: Arc<Mutex<HashMap<String, usize>>>,
}

/// A job's place: released when dropped.
#[derive(Debug)]
pub struct Slot {
    tenant: String,
    going: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut going = self.going.lock().expect("jobs");
        if let Some(n) = going.get_mut(&self.tenant) {
            *n -= 1;
            if *n == 0 {
                going.remove(&self.tenant);
            }
        }
    }
}

impl Jobs {
    /// At most `per_tenant` runs per tenant.
    pub fn new(per_tenant: usize) -> Self {
        Jobs::named(per_tenant, "run(s)")
    }

    /// At most `per_tenant` jobs of a kind (`what`, plural) per tenant.
    pub fn named(per_tenant: usize, what: &'static str) -> Self {
        Jobs {
            per_tenant: per_tenant.max(1),
            what,
            going: Arc::default(),
        }
    }

    /// A slot for a job of `tenant`, or 429 if it has its limit going.
    pub fn start(&self, tenant: &str) -> Result<Slot, ApiError> {
        let mut going = self.going.lock().expect("jobs");
        let mine = going.get(tenant).copied().unwrap_or(0);
        if mine >= self.per_tenant {
            return Err(ApiError::new(
                429,
                "busy",
                format!(
                    "tenant {tenant:?} already has {mine} {} going (at most {} at a time); retry when one ends",
                    self.what, self.per_tenant
                ),
            ));
        }
        going.insert(tenant.to_string(), mine + 1);
        Ok(Slot {
            tenant: tenant.to_string(),
            going: self.going.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_gets_its_limit_and_no_more_and_slots_come_back() {
        let jobs = Jobs::new(1);
        let a = jobs.start("a").unwrap();
        assert_eq!(jobs.start("a").unwrap_err().status, 429);
        let b = jobs.start("b").unwrap();
        drop(a);
        assert!(jobs.start("a").is_ok());
        drop(b);
        assert!(jobs.going.lock().unwrap().is_empty());
    }

    #[test]
    fn the_refusal_says_what_is_going() {
        let scores = Jobs::named(2, "on-demand score(s)");
        let _held = [scores.start("a").unwrap(), scores.start("a").unwrap()];
        let err = scores.start("a").unwrap_err();
        assert_eq!((err.status, err.body.code.as_str()), (429, "busy"));
        assert!(
            err.body.message.contains("2 on-demand score(s) going"),
            "{}",
            err.body.message
        );
    }
}
