//! Logging through the host's bounded log. Inside a component the line goes
//! to the host import; in native tests it is kept for [`crate::testing::take_logs`].

pub use crate::bindings::health_model::vitals::plugin::log::Level;

/// Appends a line to the plugin's log for this call. The host bounds lines
/// and bytes per call (the operator's limits); extra lines are dropped.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::health_model::vitals::plugin::log::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::capture_log(level, message);
}

/// Logs at `debug`.
pub fn debug(message: &str) {
    log(Level::Debug, message)
}

/// Logs at `info`.
pub fn info(message: &str) {
    log(Level::Info, message)
}

/// Logs at `warn`.
pub fn warn(message: &str) {
    log(Level::Warn, message)
}
