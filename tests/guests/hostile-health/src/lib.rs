//! A hostile health model for the runtime's tests. It implements the world's
//! export directly (not through the SDK's per-account trait) so that it can
//! break the contract, e.g. return the wrong number of results. The
//! configuration picks the misbehaviour and, optionally, the one account
//! that triggers it: `{"mode": "panic", "target": "acct-7"}`.
//!
//! Each mode's contract (what the host must answer):
//! - `good`: scores 50 + logins (capped), one factor whose points are the
//!   score, a well-behaved baseline;
//! - `loop`: spins forever: fuel exhausted, or deadline;
//! - `memory-bomb`: allocates without end: memory limit;
//! - `recursion`: recurses without end: trap (stack overflow);
//! - `giant-output`: returns ~8 MB of factor names: output too large;
//! - `log-flood`: logs a million lines through the import and stdout: run
//!   succeeds, log truncated at the limits;
//! - `panic`: panics: trap, with the panic message;
//! - `nan`: score NaN: bad output for that account;
//! - `out-of-range`: score 150: bad output;
//! - `wrong-count`: one result too many: bad output for the batch;
//! - `socket`: tries to open a TCP connection: the stubbed sockets trap;
//! - `file`: tries to read /etc/passwd: denied, reported as an error;
//! - `sleep`: sleeps an hour, then `sleep-forever` for `Duration::MAX`: the
//!   clock is frozen, so waits end at once and the account is scored;
//! - `wait-for-time`: spins until a second has passed: time never passes in
//!   a call, so fuel or the deadline stops it;
//! - `ambient`: reports the wall clock, monotonic clock and random numbers it
//!   sees as factors, to prove they are frozen and seeded;
//! - `random`: scores each account from fresh random hash keys (std's
//!   `RandomState`, seeded once per instance from the host's randomness and
//!   stepped at each use) and lists its factors in a `HashMap`'s order: the
//!   same inputs must give the same bytes whatever worker or batch order;
//! - `log-huge`: logs one 32 MiB line 100,000 times: fuel (host calls are
//!   charged by the bytes they read) or the deadline stops it, quickly;
//! - `bad-weight`: a factor weight of 7 (the WIT: 0-1): bad output;
//! - `bad-points`: points of -1e308 on a score of 50: bad output;
//! - `inf-value`: a factor value of infinity: bad output;
//! - `aliased-output`: 200 factor names aliasing one 1 MiB buffer (200 MiB
//!   for the host to copy from 1 MiB of guest memory): output too large.
//!
//! It stays a `vitals:plugin@0.1.0` component (built with the frozen 0.1
//! SDK): its misbehaviours target the host's limits, which both contract
//! versions share, and some rely on 0.1's shapes (`aliased-output` aliases
//! factor names that 0.2 would intern into one).
#![allow(unsafe_code)]
// Natively only the export is missing: everything is reached from it in the component.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use vitals_plugin_sdk_v01::bindings::health_model::exports::vitals::plugin::health::Guest;
use vitals_plugin_sdk_v01::{Account, Band, Factor, Health, Metadata, PluginError, PluginKind};

struct Hostile;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Config {
    mode: String,
    target: Option<String>,
}

fn factor(name: String, value: f64) -> Factor {
    Factor {
        name,
        group: "test".into(),
        value: Some(value),
        weight: 0.0,
        points: 0.0,
    }
}

fn good(a: &Account) -> Health {
    let score = (50.0 + f64::from(a.current.logins.unwrap_or(0))).min(100.0);
    Health {
        score,
        band: Band::Yellow,
        factors: vec![Factor {
            weight: 1.0,
            points: score,
            ..factor("logins".into(), score)
        }],
    }
}

/// `random`: a score and factor order drawn from hash keys.
fn random(a: &Account) -> Health {
    use std::hash::BuildHasher;
    let keys = std::collections::hash_map::RandomState::new();
    let score = 50.0 + (keys.hash_one(&a.id) % 5_000) as f64 / 100.0;
    let mut parts: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for name in ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"] {
        parts.insert(name, 0.0);
    }
    // The first factor in the map's order carries the whole score.
    let factors = parts
        .keys()
        .enumerate()
        .map(|(i, name)| Factor {
            weight: if i == 0 { 1.0 } else { 0.0 },
            points: if i == 0 { score } else { 0.0 },
            ..factor((*name).into(), i as f64)
        })
        .collect();
    Health {
        score,
        band: Band::Yellow,
        factors,
    }
}

/// `aliased-output`: factor names that all point at one buffer. The SDK's
/// allocator frees nothing but the newest block, so the aliases are never
/// freed twice; the host must refuse to copy 200 MiB out of 1 MiB.
#[allow(unsafe_code)]
fn aliased(a: &Account) -> Health {
    let buffer: &'static mut [u8] = Box::leak(vec![b'x'; 1 << 20].into_boxed_slice());
    let (ptr, len) = (buffer.as_mut_ptr(), buffer.len());
    let factors = (0..200)
        .map(|_| {
            // SAFETY: the bytes are valid UTF-8 and live for ever (leaked);
            // each alias is handed to the canonical ABI, never dropped here.
            let name = unsafe { String::from_raw_parts(ptr, len, len) };
            factor(name, 1.0)
        })
        .collect();
    Health { factors, ..good(a) }
}

#[inline(never)]
#[allow(unconditional_recursion)] // the point: recurse until the stack runs out
fn recurse(n: u64) -> u64 {
    std::hint::black_box(recurse(std::hint::black_box(n + 1))) + 1
}

fn misbehave(mode: &str, a: &Account) -> Result<Health, PluginError> {
    match mode {
        "loop" => loop {
            std::hint::black_box(a);
        },
        "memory-bomb" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![7u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "recursion" => Ok(Health {
            score: recurse(0) as f64,
            band: Band::Red,
            factors: vec![],
        }),
        "giant-output" => {
            let factors = (0..8_000)
                .map(|i| factor(format!("{i:01000}"), 1.0))
                .collect();
            Ok(Health {
                score: 1.0,
                band: Band::Red,
                factors,
            })
        }
        "log-flood" => {
            for i in 0..1_000_000 {
                vitals_plugin_sdk_v01::log::info(&format!("flood line {i}"));
                if i % 10 == 0 {
                    println!("stdout flood {i}");
                }
            }
            Ok(good(a))
        }
        "panic" => panic!("hostile panic on account {}", a.id),
        "random" => Ok(random(a)),
        "log-huge" => {
            let line = "x".repeat(32 << 20);
            for _ in 0..100_000 {
                vitals_plugin_sdk_v01::log::info(&line);
            }
            Ok(good(a))
        }
        "bad-weight" => {
            let mut h = good(a);
            h.factors[0].weight = 7.0;
            Ok(h)
        }
        "bad-points" => {
            let mut h = good(a);
            h.score = 50.0;
            h.factors[0].points = -1e308;
            Ok(h)
        }
        "inf-value" => {
            let mut h = good(a);
            h.factors[0].value = Some(f64::INFINITY);
            Ok(h)
        }
        "aliased-output" => Ok(aliased(a)),
        "nan" => Ok(Health {
            score: f64::NAN,
            ..good(a)
        }),
        "out-of-range" => Ok(Health {
            score: 150.0,
            ..good(a)
        }),
        "socket" => match std::net::TcpStream::connect("127.0.0.1:80") {
            Ok(_) => Ok(Health {
                factors: vec![factor("socket-opened".into(), 1.0)],
                ..good(a)
            }),
            Err(e) => Err(PluginError::Internal(format!("socket denied: {e}"))),
        },
        "file" => match std::fs::read_to_string("/etc/passwd") {
            Ok(text) => Ok(Health {
                factors: vec![factor(text, 1.0)],
                ..good(a)
            }),
            Err(e) => Err(PluginError::Internal(format!("file denied: {e}"))),
        },
        "sleep" => {
            std::thread::sleep(std::time::Duration::from_secs(3600));
            Ok(good(a))
        }
        "sleep-forever" => {
            std::thread::sleep(std::time::Duration::MAX);
            Ok(good(a))
        }
        "wait-for-time" => {
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_secs(1) {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Ok(good(a))
        }
        "ambient" => {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(-1.0);
            let start = std::time::Instant::now();
            let mono = start.elapsed().as_nanos() as f64;
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u8(1);
            let random = (h.finish() >> 11) as f64;
            let factors = vec![
                good(a).factors.remove(0),
                factor("wall-clock-secs".into(), wall),
                factor("monotonic-elapsed-ns".into(), mono),
                factor("random".into(), random),
                factor("env-vars".into(), std::env::vars().count() as f64),
                factor("args".into(), std::env::args().count() as f64),
            ];
            Ok(Health { factors, ..good(a) })
        }
        _ => Ok(good(a)),
    }
}

impl Guest for Hostile {
    fn metadata() -> Metadata {
        Metadata {
            name: "hostile-health".into(),
            version: "0.1.0".into(),
            kind: PluginKind::HealthModel,
            description: "Misbehaves on purpose, for tests.".into(),
            config_schema: r#"{"type":"object"}"#.into(),
            reads: vec!["logins".into()],
        }
    }

    fn score(
        config: String,
        _as_of: i32,
        accounts: Vec<Account>,
    ) -> Result<Vec<Result<Health, PluginError>>, PluginError> {
        let config: Config = serde_json::from_str(&config)
            .map_err(|e| PluginError::InvalidConfig(format!("hostile config: {e}")))?;
        let hit = |a: &Account| config.target.as_deref().is_none_or(|t| t == a.id);
        let mut out: Vec<_> = accounts
            .iter()
            .map(|a| {
                if hit(a) {
                    misbehave(&config.mode, a)
                } else {
                    Ok(good(a))
                }
            })
            .collect();
        if config.mode == "wrong-count" {
            out.push(Ok(good(&accounts[0])));
        }
        Ok(out)
    }
}

#[cfg(target_arch = "wasm32")]
vitals_plugin_sdk_v01::bindings::health_model::__export_health_model_world!(Hostile with_types_in vitals_plugin_sdk_v01::bindings::health_model);
