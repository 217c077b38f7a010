//! One typed error for everything that can go wrong with a plugin, from
//! upload validation to a call. Guest-returned errors stay apart from traps.

use serde::{Deserialize, Serialize};

/// Why a plugin could not be added or could not produce a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize, utoipa::ToSchema)]
// Adjacent tagging: {"kind": "bad-output", "detail": ...}; internal tagging
// cannot carry the variants that hold a bare message.
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PluginError {
    /// The bytes are not a WebAssembly component at all (empty, text, a
    /// core module, an archive): the message says what they seem to be.
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// The bytes are not a valid WebAssembly component.
    #[error("not a valid component: {0}")]
    InvalidComponent(String),
    /// The component implements no known world, several, or an unsupported contract version.
    #[error("unknown world: {0}")]
    UnknownWorld(String),
    /// The component imports an interface outside the allow-list.
    #[error(
        "import not allowed: {import} (allowed: vitals:plugin/log, vitals:plugin/types and the WASI 0.2 cli, clocks (wall-clock and monotonic-clock), random, io, filesystem, sockets and http interfaces the host links; sockets and http trap when called)"
    )]
    ForbiddenImport {
        /// The refused import's name.
        import: String,
    },
    /// What `metadata` reported is unusable (wrong kind, bad schema, ...).
    #[error("bad metadata: {0}")]
    BadMetadata(String),
    /// The guest trapped (panic, unreachable, stack overflow, ...).
    #[error("plugin trapped: {message}")]
    Trap {
        /// The trap and the guest's last stderr lines (its panic message).
        message: String,
        /// The wasm backtrace, when available.
        backtrace: Option<String>,
    },
    /// The call used all its fuel.
    #[error("fuel exhausted: the call used its {fuel} units")]
    FuelExhausted {
        /// The fuel limit.
        fuel: u64,
    },
    /// The call ran past its wall-clock deadline.
    #[error("deadline passed: the call ran over {deadline_ms} ms")]
    Deadline {
        /// The deadline.
        deadline_ms: u64,
    },
    /// The guest tried to grow its memory past the limit.
    #[error("memory limit: the plugin asked for more than {limit_bytes} bytes")]
    MemoryLimit {
        /// The memory limit.
        limit_bytes: u64,
    },
    /// The output is larger than the limit.
    #[error("output too large: {bytes} bytes over the limit of {limit_bytes}")]
    OutputTooLarge {
        /// Size of the output.
        bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// The output breaks the contract (NaN, out of range, wrong count, ...).
    #[error("bad output: {0}")]
    BadOutput(String),
    /// The tenant's configuration is invalid (schema or plugin's own check).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The plugin returned an error for this account.
    #[error("plugin returned {code}: {message}")]
    Returned {
        /// `missing-data`, `invalid-input` or `internal`.
        code: String,
        /// The plugin's message.
        message: String,
    },
    /// The account was not scored: the plugin failed so consistently that
    /// the run stopped retrying or calling it (the message says which).
    #[error("not run: {0}")]
    NotRun(String),
    /// The host could not instantiate or call the component.
    #[error("host failure: {0}")]
    Host(String),
}

impl PluginError {
    /// A short stable name of the kind, for metrics and summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            PluginError::NotAComponent(_) => "not-a-component",
            PluginError::InvalidComponent(_) => "invalid-component",
            PluginError::UnknownWorld(_) => "unknown-world",
            PluginError::ForbiddenImport { .. } => "forbidden-import",
            PluginError::BadMetadata(_) => "bad-metadata",
            PluginError::Trap { .. } => "trap",
            PluginError::FuelExhausted { .. } => "fuel-exhausted",
            PluginError::Deadline { .. } => "deadline",
            PluginError::MemoryLimit { .. } => "memory-limit",
            PluginError::OutputTooLarge { .. } => "output-too-large",
            PluginError::BadOutput(_) => "bad-output",
            PluginError::InvalidConfig(_) => "invalid-config",
            PluginError::Returned { .. } => "returned",
            PluginError::NotRun(_) => "not-run",
            PluginError::Host(_) => "host",
        }
    }

    /// Whether the failure kills the instance and so the whole batch: such a
    /// batch is retried account by account to name the account that causes it.
    pub fn fails_the_batch(&self) -> bool {
        matches!(
            self,
            PluginError::Trap { .. }
                | PluginError::FuelExhausted { .. }
                | PluginError::Deadline { .. }
                | PluginError::MemoryLimit { .. }
                | PluginError::OutputTooLarge { .. }
                | PluginError::BadOutput(_)
        )
    }
}

impl From<super::types::PluginError> for PluginError {
    fn from(e: super::types::PluginError) -> Self {
        use super::types::PluginError as G;
        match e {
            G::InvalidConfig(m) => PluginError::InvalidConfig(m),
            G::MissingData(m) => PluginError::Returned {
                code: "missing-data".into(),
                message: m,
            },
            G::InvalidInput(m) => PluginError::Returned {
                code: "invalid-input".into(),
                message: m,
            },
            G::Internal(m) => PluginError::Returned {
                code: "internal".into(),
                message: m,
            },
        }
    }
}
