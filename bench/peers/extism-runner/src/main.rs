//! # vitals-peer-extism-runner
//!
//! The host side of the Extism peer in `vitals-bench peers`. It loads the
//! Extism build of `weighted-health` with the `extism` crate and the
//! accounts file the bench wrote, then answers commands on stdin, one JSON
//! line on stdout each, so the bench can alternate Extism rounds with Vitals
//! rounds in one run. Timing is measured here, around the calls only:
//!
//! - `check ENCODING FILE`: scores every account (batches of 1000) and writes
//!   `id,score,band` lines (or `id,error,MESSAGE`) for the bench to compare;
//! - `pass ENCODING BATCH`: one timed pass over every account; answers
//!   `{"ns_per_account": ...}`;
//! - `quit`.
//!
//! `ENCODING` is `json` or `msgpack`. A pass does what a host application
//! does with Extism: encode the batch, call the export, decode the results.
//!
//! Usage: `vitals-peer-extism-runner PLUGIN.wasm ACCOUNTS.json AS_OF`

use extism::convert::{Json, Msgpack};
use extism::{Manifest, Plugin, PluginBuilder, Wasm};
use serde_json::json;
use std::io::{BufRead, Write};
use std::time::Instant;
use vitals_peer_extism_wire::{Account, Band, ScoreRequest, ScoreResponse};

/// The weighted-health defaults, as Vitals' benchmarks pass them.
const CONFIG: &str = "{}";

struct Runner {
    plugin: Plugin,
    accounts: Vec<Account>,
    as_of: i32,
}

#[derive(Clone, Copy)]
enum Encoding {
    Json,
    Msgpack,
}

impl Encoding {
    fn parse(s: &str) -> Result<Encoding, String> {
        match s {
            "json" => Ok(Encoding::Json),
            "msgpack" => Ok(Encoding::Msgpack),
            other => Err(format!("unknown encoding {other:?} (json or msgpack)")),
        }
    }
}

impl Runner {
    /// One call: encode the batch, run the export, decode the answer.
    fn call(&mut self, encoding: Encoding, batch: &[Account]) -> Result<ScoreResponse, String> {
        let request = ScoreRequest {
            config: CONFIG.to_string(),
            as_of: self.as_of,
            accounts: batch,
        };
        let answer = match encoding {
            Encoding::Json => self
                .plugin
                .call::<Json<&ScoreRequest<&[Account]>>, Json<ScoreResponse>>(
                    "score_json",
                    Json(&request),
                )
                .map(|Json(r)| r),
            Encoding::Msgpack => self
                .plugin
                .call::<Msgpack<&ScoreRequest<&[Account]>>, Msgpack<ScoreResponse>>(
                    "score_msgpack",
                    Msgpack(&request),
                )
                .map(|Msgpack(r)| r),
        };
        answer.map_err(|e| format!("plugin call failed: {e:#}"))
    }

    fn pass(&mut self, encoding: Encoding, batch: usize) -> Result<f64, String> {
        let accounts = std::mem::take(&mut self.accounts);
        let started = Instant::now();
        let mut outcome = Ok(());
        for chunk in accounts.chunks(batch) {
            match self.call(encoding, chunk) {
                Ok(Ok(results)) => {
                    std::hint::black_box(results);
                }
                Ok(Err(e)) => outcome = Err(format!("the batch failed: {e:?}")),
                Err(e) => outcome = Err(e),
            }
            if outcome.is_err() {
                break;
            }
        }
        let elapsed = started.elapsed();
        self.accounts = accounts;
        outcome.map(|()| elapsed.as_secs_f64() * 1e9 / self.accounts.len() as f64)
    }

    fn check(&mut self, encoding: Encoding, out: &str) -> Result<usize, String> {
        let accounts = std::mem::take(&mut self.accounts);
        let mut lines = String::new();
        let mut failure = None;
        for chunk in accounts.chunks(1000) {
            match self.call(encoding, chunk) {
                Ok(Ok(results)) => {
                    for (account, result) in chunk.iter().zip(results) {
                        lines.push_str(&match result {
                            Ok(h) => format!("{},{:?},{}\n", account.id, h.score, band(h.band)),
                            Err(e) => format!("{},error,{e:?}\n", account.id),
                        });
                    }
                }
                Ok(Err(e)) => failure = Some(format!("the batch failed: {e:?}")),
                Err(e) => failure = Some(e),
            }
            if failure.is_some() {
                break;
            }
        }
        let n = accounts.len();
        self.accounts = accounts;
        if let Some(e) = failure {
            return Err(e);
        }
        std::fs::write(out, lines).map_err(|e| format!("{out}: {e}"))?;
        Ok(n)
    }
}

fn band(b: Band) -> &'static str {
    match b {
        Band::Green => "green",
        Band::Yellow => "yellow",
        Band::Red => "red",
    }
}

fn answer(line: &str, runner: &mut Runner) -> Result<serde_json::Value, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["pass", encoding, batch] => {
            let batch: usize = batch
                .parse()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(|| format!("batch size {batch:?} is not a positive number"))?;
            let ns = runner.pass(Encoding::parse(encoding)?, batch)?;
            Ok(json!({ "ns_per_account": ns }))
        }
        ["check", encoding, out] => {
            let n = runner.check(Encoding::parse(encoding)?, out)?;
            Ok(json!({ "accounts": n }))
        }
        _ => Err(format!(
            "unknown command {line:?} (pass ENCODING BATCH | check ENCODING FILE | quit)"
        )),
    }
}

fn start(args: &[String]) -> Result<(Runner, f64), String> {
    let [wasm, accounts, as_of] = args else {
        return Err("usage: vitals-peer-extism-runner PLUGIN.wasm ACCOUNTS.json AS_OF".into());
    };
    let as_of: i32 = as_of
        .parse()
        .map_err(|_| format!("AS_OF {as_of:?} is not a day number"))?;
    let bytes = std::fs::read(accounts).map_err(|e| format!("{accounts}: {e}"))?;
    let accounts: Vec<Account> =
        serde_json::from_slice(&bytes).map_err(|e| format!("{accounts}: {e}"))?;
    // The module's bytes, not its path: reading files is an optional
    // feature of the extism crate (`register-filesystem`), left out here.
    let module = std::fs::read(wasm).map_err(|e| format!("{wasm}: {e}"))?;
    let started = Instant::now();
    let manifest = Manifest::new([Wasm::data(module)]);
    let plugin = PluginBuilder::new(manifest)
        .with_wasi(false)
        .build()
        .map_err(|e| format!("{wasm}: {e:#}"))?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok((
        Runner {
            plugin,
            accounts,
            as_of,
        },
        load_ms,
    ))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut stdout = std::io::stdout().lock();
    let (mut runner, load_ms) = match start(&args) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(stdout, "{}", json!({ "error": e }));
            std::process::exit(2);
        }
    };
    let ready = json!({ "ready": true, "accounts": runner.accounts.len(), "load_ms": load_ms });
    let _ = writeln!(stdout, "{ready}");
    let _ = stdout.flush();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "quit" {
            break;
        }
        let reply = answer(&line, &mut runner).unwrap_or_else(|e| json!({ "error": e }));
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
