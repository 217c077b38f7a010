//! The one error of every service operation, local or over HTTP: a status,
//! a stable machine-readable code and a message for people. Internal
//! failures keep their detail for the log and show only a generic message.

use crate::runtime::PluginError;
use crate::scoring::RunError;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};

/// An error as the API returns it (`{code, message}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable code: `bad-request`, `unauthorized`, `forbidden`, `not-found`,
    /// `conflict`, `payload-too-large`, `unsupported-media-type`,
    /// `invalid-plugin`, `invalid-config`, `rejected` (bad records),
    /// `invalid-file` (an ingest input refused as a whole: its header,
    /// structure or mapping), `several-health-models`, `busy`, `internal`.
    pub code: String,
    /// What went wrong, naming the record and the field where there is one.
    pub message: String,
    /// A finer code where a caller may act on it: for `not-found`, the kind
    /// of thing missing (`tenant`, `account`, `plugin`, `run`, ...); for
    /// `invalid-plugin`, the plugin error's kind (`not-a-component`, ...);
    /// `runs` for a summary's run selection. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
}

/// A failed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The body shown to the caller.
    pub body: ErrorBody,
    /// For internal errors: the detail that goes to the log, never to the caller.
    pub detail: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.body.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// An error the caller can act on.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.into(),
                message: message.into(),
                about: None,
            },
            detail: None,
        }
    }
    /// 400: the request is wrong; the message says where.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad-request", message)
    }
    /// 404: does not exist, or is not the caller's (the same answer).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not-found", message)
    }
    /// 409: conflicts with what is stored.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "conflict", message)
    }
    /// 401: no key, or not a valid one.
    pub fn unauthorized() -> Self {
        Self::new(
            401,
            "unauthorized",
            "a valid API key is required (Authorization: Bearer KEY)",
        )
    }
    /// 403: the key is valid but its role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, "forbidden", message)
    }
    /// 500: the caller sees a generic message; `detail` goes to the log.
    pub fn internal(detail: impl Into<String>) -> Self {
        ApiError {
            status: 500,
            body: ErrorBody {
                code: "internal".into(),
                message: "internal error (the details are in the server's log)".into(),
                about: None,
            },
            detail: Some(detail.into()),
        }
    }
    /// The same error with its finer code ([`ErrorBody::about`]).
    pub fn about(mut self, about: &str) -> Self {
        self.body.about = Some(about.to_string());
        self
    }
    /// Whether the finer code is `about`.
    pub fn is_about(&self, about: &str) -> bool {
        self.body.about.as_deref() == Some(about)
    }
    /// Whether it is the caller's fault (4xx).
    pub fn is_client_error(&self) -> bool {
        (400..500).contains(&self.status)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound { what, .. } => ApiError::not_found(e.to_string()).about(what),
            StoreError::Conflict(_) => ApiError::conflict(e.to_string()),
            StoreError::Revoked(_) => ApiError::new(422, "revoked", e.to_string()).about("pack"),
            StoreError::Invalid(_) => ApiError::bad_request(e.to_string()),
            StoreError::Rejected(errors) => {
                let mut records: Vec<usize> = errors
                    .iter()
                    .filter(|e| !e.whole_file)
                    .map(|e| e.line)
                    .collect();
                records.sort_unstable();
                records.dedup();
                let mut lines: Vec<String> =
                    errors.iter().take(20).map(|e| format!("  {e}")).collect();
                if errors.len() > 20 {
                    lines.push(format!("  ... and {} more", errors.len() - 20));
                }
                // An input refused as a whole is told apart from bad
                // records: setting records aside would not help.
                let (code, what) = if errors.iter().any(|e| e.whole_file) {
                    ("invalid-file", "the input cannot be read".to_owned())
                } else {
                    ("rejected", format!("{} bad record(s)", records.len()))
                };
                ApiError::new(
                    422,
                    code,
                    format!("{what}, nothing was loaded:\n{}", lines.join("\n")),
                )
            }
            StoreError::Busy(_) | StoreError::Retry(_) => ApiError::new(429, "busy", e.to_string()),
            StoreError::SeveralHealthModels(_) => {
                ApiError::new(409, "several-health-models", e.to_string())
            }
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<PluginError> for ApiError {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::Host(m) => ApiError::internal(m),
            PluginError::InvalidConfig(_) => ApiError::new(422, "invalid-config", e.to_string()),
            _ => ApiError::new(422, "invalid-plugin", e.to_string()).about(e.kind()),
        }
    }
}

impl From<RunError> for ApiError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Store(s) => s.into(),
            RunError::Plugin {
                plugin,
                error: PluginError::Host(m),
            } => ApiError::internal(format!("{plugin}: host failure: {m}")),
            RunError::Plugin { plugin, error } => {
                let mut a = ApiError::from(error);
                a.body.message = format!("{plugin}: {}", a.body.message);
                a
            }
            RunError::Nothing(m) => ApiError::new(409, "nothing-to-run", m),
        }
    }
}

impl From<crate::backtest::BacktestError> for ApiError {
    fn from(e: crate::backtest::BacktestError) -> Self {
        use crate::backtest::BacktestError as B;
        match e {
            B::Store(s) => s.into(),
            B::Plugin {
                plugin,
                error: PluginError::Host(m),
            } => ApiError::internal(format!("{plugin}: host failure: {m}")),
            B::Plugin { plugin, error } => {
                let mut a = ApiError::from(error);
                a.body.message = format!("{plugin}: {}", a.body.message);
                a
            }
            e if e.is_bad_input() => ApiError::new(422, "invalid-backtest", e.to_string()),
            e => ApiError::internal(e.to_string()),
        }
    }
}
