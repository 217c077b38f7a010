//! A peer as a long-lived child process: commands on its stdin, one JSON
//! line back on its stdout per command, so rounds of different peers can
//! alternate while each keeps its own warm state (compiled plugin, imported
//! pandas) and its own peak memory.

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

/// A running peer.
pub struct Peer {
    /// Who it is, for messages.
    pub name: &'static str,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Seconds from spawn to its `ready` line (process start, imports, loading the accounts, compiling).
    pub startup_s: f64,
    /// The `ready` line itself.
    pub ready: Value,
}

impl Peer {
    /// Starts `command` and waits for its `ready` line.
    pub fn spawn(name: &'static str, mut command: Command) -> Result<Peer, String> {
        let started = Instant::now();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("{name}: cannot start {command:?}: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut peer = Peer {
            name,
            child,
            stdin,
            stdout,
            startup_s: 0.0,
            ready: Value::Null,
        };
        let ready = peer.reply()?;
        if ready.get("ready") != Some(&Value::Bool(true)) {
            return Err(format!("{name}: expected a ready line, got {ready}"));
        }
        peer.startup_s = started.elapsed().as_secs_f64();
        peer.ready = ready;
        Ok(peer)
    }

    fn reply(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| format!("{}: reading its answer: {e}", self.name))?;
        if n == 0 {
            let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
            return Err(format!(
                "{}: exited without answering ({status})",
                self.name
            ));
        }
        let value: Value = serde_json::from_str(&line)
            .map_err(|e| format!("{}: answer {line:?} is not JSON: {e}", self.name))?;
        match value.get("error") {
            Some(e) => Err(format!("{}: {}", self.name, e.as_str().unwrap_or_default())),
            None => Ok(value),
        }
    }

    /// Sends one command and returns its answer (an `error` answer is an `Err`).
    pub fn ask(&mut self, command: &str) -> Result<Value, String> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("{}: sending {command:?}: {e}", self.name))?;
        self.reply()
    }

    /// Sends a command whose answer carries `ns_per_account`.
    pub fn pass(&mut self, command: &str) -> Result<f64, String> {
        let answer = self.ask(command)?;
        answer["ns_per_account"]
            .as_f64()
            .ok_or_else(|| format!("{}: no ns_per_account in {answer}", self.name))
    }

    /// Forgets the peak resident memory so far, so that the next reading
    /// covers only what follows (Linux: `clear_refs` value 5).
    pub fn reset_peak(&self) -> Result<(), String> {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .map_err(|e| format!("{}: resetting its peak memory: {e}", self.name))
    }

    /// Peak resident memory (VmHWM) since the last reset, in MiB.
    pub fn peak_rss_mib(&self) -> Result<f64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("{}: reading its status: {e}", self.name))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .ok_or_else(|| format!("{}: no VmHWM in /proc status", self.name))
    }

    /// Asks it to quit and waits for it.
    pub fn quit(mut self) {
        let _ = writeln!(self.stdin, "quit").and_then(|()| self.stdin.flush());
        let _ = self.child.wait();
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // A peer left behind by an error must not outlive the bench.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
