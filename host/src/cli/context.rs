//! What every command needs: the store, the runtime, the tenant, the output
//! format, and errors classified into exit codes.

use super::output::Format;
use crate::client::Client;
use crate::config::HostConfig;
use crate::runtime::{PluginError, Runtime};
use crate::service::{Api, Service};
use crate::store::{Store, StoreError};
use std::path::PathBuf;

/// A command's failure: bad input (exit 2) or an internal failure (exit 1).
#[derive(Debug)]
pub struct CliError {
    pub bad_input: bool,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn bad(message: impl Into<String>) -> Self {
        CliError {
            bad_input: true,
            message: message.into(),
            hint: None,
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        CliError {
            bad_input: false,
            message: message.into(),
            hint: None,
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound { what: "tenant", .. } => CliError::bad(e.to_string())
                .hint("create it with `vitals tenant create ID` (or `vitals init`)"),
            StoreError::NotFound { .. }
            | StoreError::Invalid(_)
            | StoreError::Conflict(_)
            | StoreError::Rejected(_)
            | StoreError::SeveralHealthModels(_) => CliError::bad(e.to_string()),
            StoreError::SchemaTooNew { .. } => CliError::bad(e.to_string()),
            _ => CliError::internal(e.to_string()),
        }
    }
}

impl From<PluginError> for CliError {
    fn from(e: PluginError) -> Self {
        match e {
            PluginError::Host(_) => CliError::internal(e.to_string()),
            _ => CliError::bad(e.to_string()),
        }
    }
}

impl From<crate::scoring::RunError> for CliError {
    fn from(e: crate::scoring::RunError) -> Self {
        match e {
            crate::scoring::RunError::Store(s) => s.into(),
            crate::scoring::RunError::Plugin {
                plugin,
                error: PluginError::Host(m),
            } => CliError::internal(format!("{plugin}: host failure: {m}")),
            other => CliError::bad(other.to_string()),
        }
    }
}

impl From<crate::service::ApiError> for CliError {
    fn from(e: crate::service::ApiError) -> Self {
        let message = e.body.message.clone();
        let err = if e.is_client_error() {
            CliError::bad(message)
        } else {
            CliError::internal(message)
        };
        match e.body.code.as_str() {
            "not-found" if e.is_about("tenant") => {
                err.hint("create it with `vitals tenant create ID` (or `vitals init`)")
            }
            "rejected" => err.hint(
                "fix them, or pass --rejects FILE to load the valid records and set the bad ones aside",
            ),
            "nothing-to-run" => err.hint("add a plugin with `vitals plugin add FILE --activate`"),
            "unauthorized" => err.hint("set VITALS_KEY or --key-file to a key issued for this server"),
            "unreachable" => err.hint("is `vitals serve` running there?"),
            _ => err,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::bad(e.to_string())
    }
}

/// The global options, resolved.
pub struct Ctx {
    pub data_dir: PathBuf,
    pub config: Option<PathBuf>,
    pub tenant: String,
    /// Whether `--tenant` (or `VITALS_TENANT`) named the tenant, rather
    /// than the default (or the server key's) standing in.
    pub tenant_named: bool,
    pub format: Format,
    /// A server to act on instead of the local store, with its key.
    pub server: Option<(String, String)>,
}

impl Ctx {
    /// Opens the store in the data dir (created if needed).
    pub fn store(&self) -> Result<Store, CliError> {
        // A new data dir is private (0700): it holds the store and the
        // compile cache. An existing one keeps the mode its owner chose;
        // the store inside is made private when it opens.
        let mut dir = std::fs::DirBuilder::new();
        dir.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut dir, 0o700);
        dir.create(&self.data_dir)
            .map_err(|e| CliError::bad(format!("data dir {}: {e}", self.data_dir.display())))?;
        let store = Store::open(&self.data_dir.join("store")).map_err(|e| {
            CliError::from(e).hint(format!(
                "is another vitals process using {}?",
                self.data_dir.display()
            ))
        })?;
        // Whichever command opens the store first after a crash says what
        // the open undid (and `serve` logs it at start-up).
        for line in store.recovery().lines() {
            eprintln!("vitals: {line}");
        }
        Ok(store)
    }

    /// The operator's configuration: `--config`, else `<data-dir>/vitals.toml`, else defaults.
    pub fn host_config(&self) -> Result<HostConfig, CliError> {
        let default_path = self.data_dir.join("vitals.toml");
        match &self.config {
            Some(path) => HostConfig::load(path).map_err(CliError::bad),
            None if default_path.exists() => HostConfig::load(&default_path).map_err(CliError::bad),
            None => Ok(HostConfig::default()),
        }
    }

    /// The operations, on the server when `--server` is given, else on the local store.
    pub fn api(&self) -> Result<Box<dyn Api>, CliError> {
        match &self.server {
            Some((url, key)) => Ok(Box::new(Client::new(url, key)?)),
            None => Ok(Box::new(self.service()?)),
        }
    }

    /// The webhook operations, on the server when `--server` is given, else on the local store.
    pub fn webhook_api(&self) -> Result<Box<dyn crate::service::WebhookApi>, CliError> {
        match &self.server {
            Some((url, key)) => Ok(Box::new(Client::new(url, key)?)),
            None => Ok(Box::new(self.service()?)),
        }
    }

    /// The local service (store and runtime), under the operator's webhook settings.
    pub fn service(&self) -> Result<Service, CliError> {
        let delivery = self.host_config()?.delivery_settings();
        let store = self.store()?;
        let runtime = self.runtime()?;
        Ok(Service::new(store, runtime).with_delivery(delivery))
    }

    /// Fails for commands that only act on a local store.
    pub fn local_only(&self, command: &str) -> Result<(), CliError> {
        if self.server.is_some() {
            return Err(CliError::bad(format!(
                "`vitals {command}` acts on a local store; drop --server"
            )));
        }
        Ok(())
    }

    /// The runtime, with the operator's limits and its compile cache in the data dir.
    pub fn runtime(&self) -> Result<Runtime, CliError> {
        let config = self
            .host_config()?
            .runtime_config(Some(self.data_dir.join("compiled")));
        Runtime::new(config).map_err(CliError::from)
    }
}

/// Parses a `YYYY-MM-DD` argument, naming the option in the error.
pub fn date_arg(option: &str, text: &str) -> Result<i32, CliError> {
    vitals_plugin_sdk::date::parse(text)
        .ok_or_else(|| CliError::bad(format!("{option} {text:?} is not a date (YYYY-MM-DD)")))
}

/// Today as days since 1970-01-01 (the default as-of of runs).
pub fn today() -> i32 {
    (crate::store::now_ms() / 86_400_000) as i32
}
