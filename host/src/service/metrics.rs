//! Counters and histograms in Prometheus' text format: requests and
//! latencies by route, plugin calls, fuel, errors by kind, run durations.
//! Small and lock-light on purpose: a scrape reads a few maps.

use crate::runtime::RunOutput;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency buckets, seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

/// The service's metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    runs: Mutex<BTreeMap<String, Histogram>>,
    plugin_errors: Mutex<BTreeMap<String, u64>>,
    plugin_calls: AtomicU64,
    plugin_accounts: AtomicU64,
    fuel: AtomicU64,
    trigger_events: AtomicU64,
    /// Webhook deliveries by what an attempt (or a refusal to attempt) led to.
    deliveries: Mutex<BTreeMap<&'static str, u64>>,
    /// Webhook attempt latency.
    delivery_latency: Mutex<Histogram>,
    /// The outbox as the latest delivery pass saw it.
    outbox: Mutex<Option<crate::store::OutboxDepth>>,
}

impl Metrics {
    /// One HTTP request on a route template (`/v1/tenants/{tenant}/runs`).
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .expect("metrics")
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        self.latency
            .lock()
            .expect("metrics")
            .entry(format!("{method} {route}"))
            .or_default()
            .observe(seconds);
    }

    /// The calls, fuel and per-account errors of a plugin over some accounts.
    pub fn plugin_run(&self, out: &RunOutput) {
        self.plugin_calls.fetch_add(out.calls, Ordering::Relaxed);
        self.plugin_accounts
            .fetch_add(out.results.len() as u64, Ordering::Relaxed);
        self.fuel.fetch_add(out.fuel_used, Ordering::Relaxed);
        let mut errors = self.plugin_errors.lock().expect("metrics");
        for r in &out.results {
            if let Err(e) = r {
                *errors.entry(e.kind().to_string()).or_default() += 1;
            }
        }
    }

    /// A finished run of one plugin kind.
    pub fn run_finished(
        &self,
        kind: &str,
        seconds: f64,
        errors: &BTreeMap<String, u64>,
        fuel: u64,
        accounts: u64,
    ) {
        self.runs
            .lock()
            .expect("metrics")
            .entry(kind.to_string())
            .or_default()
            .observe(seconds);
        self.fuel.fetch_add(fuel, Ordering::Relaxed);
        self.plugin_accounts.fetch_add(accounts, Ordering::Relaxed);
        let mut e = self.plugin_errors.lock().expect("metrics");
        for (k, n) in errors {
            *e.entry(k.clone()).or_default() += n;
        }
    }

    /// Trigger events a completed run fired.
    pub fn trigger_events(&self, n: u64) {
        self.trigger_events.fetch_add(n, Ordering::Relaxed);
    }

    /// Fuel used outside runs.
    pub fn plugin_fuel(&self, fuel: u64) {
        self.fuel.fetch_add(fuel, Ordering::Relaxed);
        self.plugin_accounts.fetch_add(1, Ordering::Relaxed);
    }

    /// One per-account error outside runs.
    pub fn plugin_error(&self, kind: &str) {
        *self
            .plugin_errors
            .lock()
            .expect("metrics")
            .entry(kind.to_string())
            .or_default() += 1;
    }

    /// Plugin calls made outside runs (on-demand scoring, shadow runs).
    pub fn plugin_calls(&self, n: u64) {
        self.plugin_calls.fetch_add(n, Ordering::Relaxed);
    }

    /// A delivery's new state after an attempt: `delivered`, `retrying` or `dead`.
    pub fn delivery_status(&self, status: &'static str) {
        *self
            .deliveries
            .lock()
            .expect("metrics")
            .entry(status)
            .or_default() += 1;
    }

    /// One webhook attempt's latency.
    pub fn delivery_attempt(&self, seconds: f64) {
        self.delivery_latency
            .lock()
            .expect("metrics")
            .observe(seconds);
    }

    /// The outbox's depth, as a delivery pass saw it.
    pub fn outbox_depth(&self, depth: crate::store::OutboxDepth) {
        *self.outbox.lock().expect("metrics") = Some(depth);
    }

    fn render_deliveries(&self, out: &mut String) {
        out.push_str("# HELP vitals_webhook_deliveries_total Webhook deliveries by the state an attempt left them in (delivered, retrying, dead).\n# TYPE vitals_webhook_deliveries_total counter\n");
        for (status, n) in self.deliveries.lock().expect("metrics").iter() {
            let _ = writeln!(
                out,
                "vitals_webhook_deliveries_total{{status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP vitals_webhook_attempt_duration_seconds Webhook attempt latency, connection to answer.\n# TYPE vitals_webhook_attempt_duration_seconds histogram\n");
        self.delivery_latency.lock().expect("metrics").render(
            out,
            "vitals_webhook_attempt_duration_seconds",
            "",
        );
        if let Some(depth) = *self.outbox.lock().expect("metrics") {
            let _ = writeln!(
                out,
                "# HELP vitals_outbox_runs_waiting Complete runs whose events are not fanned out into deliveries yet.\n# TYPE vitals_outbox_runs_waiting gauge\nvitals_outbox_runs_waiting {}",
                depth.runs_waiting
            );
            let _ = writeln!(
                out,
                "# HELP vitals_outbox_deliveries_pending Webhook deliveries waiting for an attempt.\n# TYPE vitals_outbox_deliveries_pending gauge\nvitals_outbox_deliveries_pending {}",
                depth.deliveries_pending
            );
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP vitals_http_requests_total HTTP requests by method, route and status.\n# TYPE vitals_http_requests_total counter\n");
        for ((method, route, status), n) in self.requests.lock().expect("metrics").iter() {
            let _ = writeln!(
                out,
                "vitals_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP vitals_http_request_duration_seconds HTTP request latency by route.\n# TYPE vitals_http_request_duration_seconds histogram\n");
        for (key, h) in self.latency.lock().expect("metrics").iter() {
            let (method, route) = key.split_once(' ').unwrap_or(("", key));
            h.render(
                &mut out,
                "vitals_http_request_duration_seconds",
                &format!("method=\"{method}\",route=\"{route}\""),
            );
        }
        out.push_str("# HELP vitals_run_duration_seconds Duration of runs by plugin kind.\n# TYPE vitals_run_duration_seconds histogram\n");
        for (kind, h) in self.runs.lock().expect("metrics").iter() {
            h.render(
                &mut out,
                "vitals_run_duration_seconds",
                &format!("kind=\"{kind}\""),
            );
        }
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "vitals_plugin_calls_total",
            "Calls into plugins on demand and in shadow runs (runs count accounts).",
            self.plugin_calls.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "vitals_plugin_accounts_total",
            "Accounts passed to plugins.",
            self.plugin_accounts.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "vitals_plugin_fuel_total",
            "Fuel used by plugins.",
            self.fuel.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "vitals_trigger_events_total",
            "Trigger events fired by completed runs.",
            self.trigger_events.load(Ordering::Relaxed),
        );
        out.push_str("# HELP vitals_plugin_errors_total Per-account plugin errors (traps, fuel, deadline, ...) by kind.\n# TYPE vitals_plugin_errors_total counter\n");
        for (kind, n) in self.plugin_errors.lock().expect("metrics").iter() {
            let _ = writeln!(out, "vitals_plugin_errors_total{{kind=\"{kind}\"}} {n}");
        }
        self.render_deliveries(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_rendered() {
        let m = Metrics::default();
        m.request("GET", "/healthz", 200, 0.0007);
        m.request("GET", "/healthz", 200, 0.3);
        let text = m.render();
        assert!(text.contains(
            "vitals_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(
            text.contains("route=\"/healthz\",le=\"0.0005\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("route=\"/healthz\",le=\"0.001\"} 1"),
            "{text}"
        );
        assert!(text.contains("route=\"/healthz\",le=\"0.5\"} 2"), "{text}");
        assert!(text.contains("route=\"/healthz\",le=\"+Inf\"} 2"), "{text}");
    }

    #[test]
    fn deliveries_are_counted_by_status_with_latency_and_outbox_depth() {
        let m = Metrics::default();
        m.delivery_status("delivered");
        m.delivery_status("delivered");
        m.delivery_status("dead");
        m.delivery_attempt(0.02);
        m.outbox_depth(crate::store::OutboxDepth {
            runs_waiting: 1,
            deliveries_pending: 7,
        });
        let text = m.render();
        assert!(
            text.contains("vitals_webhook_deliveries_total{status=\"delivered\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("vitals_webhook_deliveries_total{status=\"dead\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("vitals_webhook_attempt_duration_seconds_bucket{le=\"0.025\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("vitals_webhook_attempt_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("vitals_outbox_deliveries_pending 7"),
            "{text}"
        );
    }
}
