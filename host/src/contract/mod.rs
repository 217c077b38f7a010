//! The plugin contract as the host holds it: the types of the WIT package
//! (`wit/`) in a module of their own, which the store, ingest, scoring and
//! the sandbox all use, so that what is stored is exactly what plugins read
//! and the store never depends on the sandbox. The sandbox binds the
//! package's worlds onto these types (`runtime::bindings`).

pub mod date;
pub mod types;

pub use types::*;

impl std::fmt::Display for Band {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Band::Green => "green",
            Band::Yellow => "yellow",
            Band::Red => "red",
        })
    }
}

impl std::fmt::Display for PluginKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PluginKind::HealthModel => "health-model",
            PluginKind::Segmenter => "segmenter",
            PluginKind::PropensityModel => "propensity-model",
            PluginKind::Forecaster => "forecaster",
        })
    }
}

impl Snapshot {
    /// A snapshot at `as_of` with every measure blank.
    pub fn empty(as_of: i32) -> Self {
        Snapshot {
            as_of,
            seats_purchased: None,
            seats_active: None,
            logins: None,
            features_used: None,
            features_available: None,
            tickets_open: None,
            tickets_high_severity: None,
            nps: None,
            csat: None,
            arr: None,
            champion_left: None,
            late_payments: None,
            metrics: Vec::new(),
        }
    }
}

impl Attributes {
    /// Attributes with every field blank.
    pub fn empty() -> Self {
        Attributes {
            name: None,
            owner: None,
            tier: None,
            plan: None,
            start_date: None,
            renewal_date: None,
            contract_arr: None,
            renewal_confidence: None,
            labels: Vec::new(),
        }
    }
}
