//! The locked-down context a call runs in: no preopens, no sockets (see
//! `wasi`), empty environment and arguments, stdout/stderr into the bounded
//! call log, clocks frozen at the run's as-of, randomness seeded from the
//! call's inputs (see `seed`), the time the call has run (host calls
//! included) against its deadline, and a memory limiter that remembers when
//! it refused (so the error says "memory limit", not "trap").

use super::bindings::log;
use crate::contract::{Limits, LogLine};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::{Linker, ResourceTable, WasmStr};
use wasmtime::{StoreContextMut, Trap};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostWallClock, WasiCtx, WasiCtxView, WasiView};

/// Fuel a host call costs before the bytes it moves: about what a guest
/// spends to format and pass a short line, so a flood of empty calls is
/// metered too (a million lines cost a tenth of a call's default fuel).
pub const HOST_CALL_FUEL: u64 = 200;
/// Fuel a host call costs per byte it reads from the guest (the `log`
/// line, stdout and stderr): copying and scanning a byte costs the host
/// about what an instruction costs the guest.
pub const HOST_FUEL_PER_BYTE: u64 = 1;
/// Largest `get-random-bytes` a guest may ask for: runtimes seed themselves
/// with tens of bytes; the host allocates what is asked before the guest's
/// memory limit can refuse it (wasmtime-wasi's default is 64 MiB).
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// The bounded log of one call. Lines and bytes past the limits are dropped and counted.
#[derive(Debug, Default)]
pub struct CallLog {
    pub lines: Vec<LogLine>,
    pub bytes: u64,
    pub dropped: u64,
    max_lines: u32,
    max_bytes: u64,
    /// stdout / stderr text after the last newline: a runtime may write a
    /// line in pieces (Python writes an exception's type, ": ", then its text).
    partial: [(&'static str, String); 2],
    /// Bytes written to stdout / stderr not yet charged as fuel: the
    /// streams have no access to the store, so the epoch tick charges them.
    pub unbilled_bytes: u64,
}

impl CallLog {
    fn new(limits: &Limits) -> Self {
        CallLog {
            max_lines: limits.log_lines,
            max_bytes: limits.log_bytes,
            partial: [("stdout", String::new()), ("stderr", String::new())],
            ..CallLog::default()
        }
    }

    /// Ends a call: its lines (with any unfinished stdout / stderr line) are
    /// returned and this log starts empty for the next call on the instance.
    pub fn finish_call(&mut self) -> CallLog {
        self.flush_partial();
        let limits = (self.max_lines, self.max_bytes);
        let done = std::mem::take(self);
        (self.max_lines, self.max_bytes) = limits;
        self.partial = [("stdout", String::new()), ("stderr", String::new())];
        done
    }

    fn flush_partial(&mut self) {
        for i in 0..self.partial.len() {
            let (stream, text) = std::mem::take(&mut self.partial[i]);
            if !text.trim().is_empty() {
                self.push(stream, &text);
            }
            self.partial[i] = (stream, String::new());
        }
    }

    /// Appends guest output to `stream`, logging each finished line.
    fn write(&mut self, stream: &'static str, text: &str) {
        self.unbilled_bytes = self.unbilled_bytes.saturating_add(text.len() as u64);
        let Some(i) = self.partial.iter().position(|(s, _)| *s == stream) else {
            return;
        };
        let mut pending = std::mem::take(&mut self.partial[i].1);
        pending.push_str(text);
        let mut rest = pending.as_str();
        while let Some(end) = rest.find('\n') {
            let line = rest[..end].trim_end_matches('\r');
            if !line.trim().is_empty() {
                self.push(stream, line);
            }
            rest = &rest[end + 1..];
        }
        // An endless line is still bounded: past the byte limit it is logged.
        let rest = if rest.len() as u64 > self.max_bytes {
            self.push(stream, rest);
            ""
        } else {
            rest
        };
        self.partial[i].1 = rest.to_string();
    }

    /// Whether a line of `len` bytes would be kept (else it is dropped).
    fn has_room(&self, len: u64) -> bool {
        (self.lines.len() as u32) < self.max_lines && self.bytes + len <= self.max_bytes
    }

    fn push(&mut self, level: &str, message: &str) {
        let len = message.len() as u64;
        if !self.has_room(len) {
            self.dropped += 1;
            return;
        }
        self.bytes += len;
        self.lines.push(LogLine {
            level: level.to_string(),
            message: message.to_string(),
        });
    }

    /// The last lines written to stderr: a Rust guest's panic message, a
    /// Python traceback or a JavaScript exception lands there.
    pub fn stderr_tail(&self) -> String {
        let unfinished = self
            .partial
            .iter()
            .filter(|(s, t)| *s == "stderr" && !t.trim().is_empty())
            .map(|(_, t)| t.as_str());
        let tail: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| l.level == "stderr")
            .map(|l| l.message.as_str())
            .chain(unfinished)
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
    /// The core the current call holds, when it runs under the scheduler.
    pub turn: Option<super::sched::Turn>,
    /// How long the current call has run, against its deadline.
    pub clock: RunClock,
}

/// The time a call has run on a core: wasm and host calls alike, waits for
/// a core (the scheduler's) excluded. The epoch tick only notices a host
/// call once it returns, so each tick adds the real time since the last one
/// rather than one tick's worth, and each host call checks it too.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    ran: Duration,
    since: Instant,
    deadline: Duration,
}

impl RunClock {
    /// A clock at zero for a call with `deadline_ms`, running from now.
    pub fn start(deadline_ms: u64) -> Self {
        RunClock {
            ran: Duration::ZERO,
            since: Instant::now(),
            deadline: Duration::from_millis(deadline_ms),
        }
    }

    /// Stops counting (the call waits for a core).
    pub fn pause(&mut self) {
        self.ran += self.since.elapsed();
        self.since = Instant::now();
    }

    /// Counts from now again (the call got its core back).
    pub fn resume(&mut self) {
        self.since = Instant::now();
    }

    /// Whether the call has run past its deadline.
    pub fn passed(&self) -> bool {
        self.ran + self.since.elapsed() > self.deadline
    }
}

impl CallState {
    /// A fresh locked-down context for a call at `as_of` (days since
    /// 1970-01-01) whose randomness starts from `seed`.
    pub fn new(limits: &Limits, as_of: i32, seed: u64) -> Self {
        let log = Arc::new(Mutex::new(CallLog::new(limits)));
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
        .secure_random(seeded_rng(seed))
        .insecure_random(seeded_rng(seed ^ 0x1_5ec0_e4e5))
        .insecure_random_seed(u128::from(seed) << 64 | u128::from(!seed))
        .max_random_size(MAX_RANDOM_BYTES);
        CallState {
            wasi: wasi.build(),
            table: ResourceTable::new(),
            log,
            limiter: MemoryLimiter {
                limit: limits.memory_bytes as usize,
                refused: false,
            },
            turn: None,
            clock: RunClock::start(limits.deadline_ms),
        }
    }

    /// Charges `fuel` for host work done for the guest; a guest that cannot
    /// pay runs out of fuel. Without fuel metering (benchmarks) it is free.
    pub fn charge(store: &mut StoreContextMut<'_, CallState>, fuel: u64) -> wasmtime::Result<()> {
        let Ok(left) = store.get_fuel() else {
            return Ok(());
        };
        if left < fuel {
            store.set_fuel(0)?;
            return Err(Trap::OutOfFuel.into());
        }
        store.set_fuel(left - fuel)
    }

    /// Charges the stdout / stderr bytes written since the last charge.
    pub fn charge_output(store: &mut StoreContextMut<'_, CallState>) -> wasmtime::Result<()> {
        let bytes = std::mem::take(&mut store.data().log.lock().expect("log lock").unbilled_bytes);
        if bytes == 0 {
            return Ok(());
        }
        CallState::charge(store, bytes.saturating_mul(HOST_FUEL_PER_BYTE))
    }

    /// Stops a host call of a call past its deadline, as the epoch tick
    /// would have had the time been spent in wasm.
    fn check_deadline(&self) -> wasmtime::Result<()> {
        if self.clock.passed() {
            Err(Trap::Interrupt.into())
        } else {
            Ok(())
        }
    }
}

fn seeded_rng(seed: u64) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Links `vitals:plugin/log` by hand rather than through the bindings: the
/// bindings copy the guest's string into the host before the host sees it,
/// so a 32 MiB line was copied whole before the log limit dropped it. Here
/// the line is read in place; it costs fuel by its length whether kept or
/// not, and only a line the log has room for is copied.
pub fn add_log_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    // The interface is the same in both contract versions.
    for version in ["vitals:plugin/log@0.1.0", "vitals:plugin/log@0.2.0"] {
        add_log_version(linker, version)?;
    }
    Ok(())
}

fn add_log_version(linker: &mut Linker<CallState>, interface: &str) -> wasmtime::Result<()> {
    linker.instance(interface)?.func_wrap(
        "log",
        |mut store: StoreContextMut<'_, CallState>, (level, message): (log::Level, WasmStr)| {
            store.data().check_deadline()?;
            let (len, kept) = {
                let text = message.to_str(&store)?;
                let len = text.len() as u64;
                let room = store.data().log.lock().expect("log lock").has_room(len);
                (len, room.then(|| text.into_owned()))
            };
            CallState::charge(
                &mut store,
                HOST_CALL_FUEL.saturating_add(len.saturating_mul(HOST_FUEL_PER_BYTE)),
            )?;
            let level = match level {
                log::Level::Debug => "debug",
                log::Level::Info => "info",
                log::Level::Warn => "warn",
                log::Level::Error => "error",
            };
            let mut log = store.data().log.lock().expect("log lock");
            match kept {
                Some(line) => log.push(level, &line),
                None => log.dropped += 1,
            }
            drop(log);
            store.data().check_deadline()
        },
    )
}

/// Caps linear memory and remembers a refusal.
pub struct MemoryLimiter {
    limit: usize,
    /// A growth was refused (since the last call began).
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
        self.log.lock().expect("log lock").write(self.stream, &text);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn log(lines: u32, bytes: u64) -> CallLog {
        CallLog::new(&Limits {
            log_lines: lines,
            log_bytes: bytes,
            ..Limits::default()
        })
    }

    #[test]
    fn output_written_in_pieces_is_logged_as_whole_lines() {
        let mut l = log(100, 1 << 20);
        // Python prints an exception's type, ": " and its text separately.
        for piece in [
            "ValueError",
            ": ",
            "boom on acct-7\nTrace",
            "back done\n\n",
            "tail",
        ] {
            l.write("stderr", piece);
        }
        l.write("stdout", "hello\r\n");
        assert_eq!(
            l.stderr_tail(),
            "ValueError: boom on acct-7\nTraceback done\ntail"
        );
        let done = l.finish_call();
        let text: Vec<(&str, &str)> = done
            .lines
            .iter()
            .map(|x| (x.level.as_str(), x.message.as_str()))
            .collect();
        assert_eq!(
            text,
            [
                ("stderr", "ValueError: boom on acct-7"),
                ("stderr", "Traceback done"),
                ("stdout", "hello"),
                ("stderr", "tail"),
            ]
        );
    }

    #[test]
    fn a_finished_call_leaves_an_empty_log_with_the_same_limits() {
        let mut l = log(2, 1 << 20);
        l.write("stdout", "a\nb\nc\n");
        let first = l.finish_call();
        assert_eq!((first.lines.len(), first.dropped), (2, 1));
        l.write("stdout", "d\ne\nf\n");
        let second = l.finish_call();
        assert_eq!((second.lines.len(), second.dropped), (2, 1));
        assert_eq!(second.lines[0].message, "d");
    }

    #[test]
    fn an_endless_line_is_still_bounded() {
        let mut l = log(10, 16);
        l.write("stdout", &"x".repeat(100));
        let done = l.finish_call();
        assert_eq!((done.lines.len(), done.dropped), (0, 1));
    }
}
