//! The plugin contract as the host holds it: the types of the WIT package
//! (`wit/`) in a module of their own, which the store, ingest, scoring and
//! the sandbox all use, so that what is stored is exactly what plugins read
//! and the store never depends on the sandbox. The sandbox binds the
//! package's worlds onto these types (`runtime::bindings`).

pub mod date;
mod error;
mod limits;
mod output;
pub mod projection;
pub mod types;
mod version;

pub use types::*;
// The host's typed error, not the guest's `types::PluginError` variant.
pub use error::PluginError;
pub use limits::Limits;
pub use output::{LogLine, Output};
pub use projection::Projection;
pub use version::{ContractVersion, WorldExport, world_export};

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

#[cfg(test)]
mod boundary_tests {
    use std::path::Path;

    /// Every `.rs` file below `dir`, recursively.
    fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The store, ingest and the domain model know the contract, never the
    /// sandbox: what is stored must not change when the runtime does. (The
    /// contract's types derive wasmtime's component traits, as Spin's
    /// `spin-world` does; the inner modules use the types, not the engine.)
    #[test]
    fn the_store_ingest_and_model_never_name_the_sandbox() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.join("model.rs")];
        for inner in ["store", "ingest"] {
            sources(&src.join(inner), &mut files);
        }
        let mut offenders = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("source");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                // Spelled in two pieces so that this file is no offender.
                if code.contains(concat!("runtime", "::")) || code.contains(concat!("wasm", "time"))
                {
                    offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "inner modules name the sandbox:\n{}",
            offenders.join("\n")
        );
    }
}
