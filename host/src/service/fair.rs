//! Heavy work (runs, shadow runs, backtests) limited per tenant: each tenant
//! may have only so many going at once (the next is refused with 429, not
//! queued behind them). Every job may use every core; the runtime's
//! scheduler (`runtime::sched`) shares the cores between tenants while
//! their plugins run, so one tenant's jobs, hostile plugins included,
//! cannot take them all.

use super::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The jobs going, per tenant.
pub struct Jobs {
    per_tenant: usize,
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
    /// At most `per_tenant` jobs per tenant.
    pub fn new(per_tenant: usize) -> Self {
        Jobs {
            per_tenant: per_tenant.max(1),
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
                    "tenant {tenant:?} already has {mine} run(s) going (at most {} at a time); retry when it ends",
                    self.per_tenant
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
}
