//! The locked-down context a call runs in: no preopens, no sockets, empty
//! environment and arguments, stdout/stderr into the bounded call log, clocks
//! frozen at the run's as-of, seeded randomness, and a memory limiter that
//! remembers when it refused (so the error says "memory limit", not "trap").

use super::bindings::log;
use super::limits::Limits;
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// Fixed seed of every plugin's randomness: the same inputs give the same output.
const RANDOM_SEED: u64 = 0x5eed_0f7a_15ed;

/// One line of a plugin's log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LogLine {
    /// `debug`, `info`, `warn`, `error`, or `stdout` / `stderr` for captured output.
    pub level: String,
    /// The text.
    pub message: String,
}

/// The bounded log of one call. Lines and bytes past the limits are dropped and counted.
#[derive(Debug, Default)]
pub struct CallLog {
    pub lines: Vec<LogLine>,
    pub bytes: u64,
    pub dropped: u64,
    max_lines: u32,
    max_bytes: u64,
}

impl CallLog {
    fn push(&mut self, level: &str, message: &str) {
        let len = message.len() as u64;
        if self.lines.len() as u32 >= self.max_lines || self.bytes + len > self.max_bytes {
            self.dropped += 1;
            return;
        }
        self.bytes += len;
        self.lines.push(LogLine {
            level: level.to_string(),
            message: message.to_string(),
        });
    }

    /// The last lines written to stderr: a Rust guest's panic message lands there.
    pub fn stderr_tail(&self) -> String {
        let tail: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| l.level == "stderr")
            .map(|l| l.message.as_str())
            .collect();
        let start = tail.len().saturating_sub(5);
        tail[start..].join("\n")
    }
}

/// The store data of one call.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub log: Arc<Mutex<CallLog>>,
    pub limiter: MemoryLimiter,
}

impl CallState {
    /// A fresh locked-down context for a call at `as_of` (days since 1970-01-01).
    pub fn new(limits: &Limits, as_of: i32) -> Self {
        let log = Arc::new(Mutex::new(CallLog {
            max_lines: limits.log_lines,
            max_bytes: limits.log_bytes,
            ..CallLog::default()
        }));
        let frozen =
            Duration::from_secs(u64::try_from(i64::from(as_of).max(0) * 86_400).unwrap_or(0));
        let mut wasi = WasiCtx::builder();
        wasi.stdout(CapturedOutput {
            log: log.clone(),
            stream: "stdout",
        })
        .stderr(CapturedOutput {
            log: log.clone(),
            stream: "stderr",
        })
        .wall_clock(FrozenWallClock(frozen))
        .monotonic_clock(FrozenMonotonicClock)
        .secure_random(seeded_rng())
        .insecure_random(seeded_rng())
        .insecure_random_seed(u128::from(RANDOM_SEED))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }));
        CallState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            log,
            limiter: MemoryLimiter {
                limit: limits.memory_bytes as usize,
                refused: false,
            },
        }
    }
}

fn seeded_rng() -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(RANDOM_SEED)
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        };
        self.log.lock().expect("log lock").push(level, &message);
    }
}

/// Caps linear memory and remembers a refusal.
pub struct MemoryLimiter {
    limit: usize,
    pub refused: bool,
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.limit;
        self.refused |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Tables hold function references; 100k is far above any real plugin.
        let ok = desired <= 100_000;
        self.refused |= !ok;
        Ok(ok)
    }
}

struct FrozenWallClock(Duration);

impl HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// The monotonic clock of the WASI context, frozen at 0 (its waits are
/// replaced by [`FrozenClocks`] in the linker).
struct FrozenMonotonicClock;

impl wasmtime_wasi::HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        0
    }
}

/// stdout or stderr of the guest, split into lines in the call log.
#[derive(Clone)]
struct CapturedOutput {
    log: Arc<Mutex<CallLog>>,
    stream: &'static str,
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // Only the WASI 0.2 interfaces are linked; the 0.3 stream is never used.
        Box::new(tokio::io::sink())
    }
}

#[async_trait::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let text = String::from_utf8_lossy(&bytes);
        let mut log = self.log.lock().expect("log lock");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            log.push(self.stream, line);
        }
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

/// The monotonic clock the guest sees: frozen, and every wait on it is over
/// at once. wasmtime-wasi's own clock waits in real time inside the host
/// call, where epoch interruption cannot reach, so a guest could sleep past
/// its deadline or, with a huge duration, for ever. Time does not pass in a
/// call, so a guest that waits for it to pass spins in wasm instead, where
/// fuel and the deadline stop it.
pub struct FrozenClocks<'a>(&'a mut ResourceTable);

/// The clock of a call's store data (the linker's projection).
pub fn frozen_clocks(state: &mut CallState) -> FrozenClocks<'_> {
    FrozenClocks(&mut state.table)
}

/// `HasData` marker for [`FrozenClocks`].
pub struct HasFrozenClocks;

impl wasmtime::component::HasData for HasFrozenClocks {
    type Data<'a> = FrozenClocks<'a>;
}

struct ReadyNow;

#[async_trait::async_trait]
impl Pollable for ReadyNow {
    async fn ready(&mut self) {}
}

impl FrozenClocks<'_> {
    fn ready_now(
        &mut self,
    ) -> wasmtime::Result<wasmtime::component::Resource<wasmtime_wasi::p2::DynPollable>> {
        let ready = self.0.push(ReadyNow)?;
        wasmtime_wasi::p2::subscribe(self.0, ready)
    }
}

impl wasmtime_wasi::p2::bindings::clocks::monotonic_clock::Host for FrozenClocks<'_> {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(0)
    }
    fn resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(1)
    }
    fn subscribe_instant(
        &mut self,
        _when: u64,
    ) -> wasmtime::Result<wasmtime::component::Resource<wasmtime_wasi::p2::DynPollable>> {
        self.ready_now()
    }
    fn subscribe_duration(
        &mut self,
        _duration: u64,
    ) -> wasmtime::Result<wasmtime::component::Resource<wasmtime_wasi::p2::DynPollable>> {
        self.ready_now()
    }
}
