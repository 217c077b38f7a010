//! # vitals-bench
//!
//! Benchmarks that print ratios measured in one run, so machine drift cancels
//! out: `cargo run --release --bin vitals-bench -- runtime|languages|layouts|ingest|run|triggers|http|soak|hostile|peers|dashboard [--json]`.

mod dashboard_suite;
mod hostile_suite;
mod http_suite;
mod languages;
mod layouts;
mod native;
mod peers;
mod runtime_suite;
mod store_suite;
mod triggers_suite;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let number = |name: &str, default: usize| {
        args.iter()
            .find_map(|a| a.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    match args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str)
    {
        Some("runtime") => runtime_suite::run(json),
        // The runtime suite's last part alone.
        Some("languages") => {
            let figures = languages::measure(json);
            if json {
                println!("{figures}");
            }
        }
        // Candidate layouts of contract 0.2 (issue #17).
        Some("layouts") => layouts::run(
            json,
            number("--accounts=", 20_000),
            number("--rounds=", 7).max(1),
            number("--polyglot-accounts=", 2_000).max(1),
        ),
        Some("ingest") => store_suite::ingest(json),
        Some("http") => http_suite::run(
            json,
            number("--accounts=", 5_000),
            number("--seconds=", 10) as u64,
        ),
        Some("soak") => http_suite::soak(
            json,
            number("--accounts=", 5_000),
            number("--seconds=", 300) as u64,
        ),
        Some("hostile") => hostile_suite::run(
            json,
            number("--accounts=", 6_000),
            number("--rounds=", 3).max(1),
        ),
        Some("dashboard") => dashboard_suite::run(json, number("--accounts=", 100_000)),
        Some("run") => store_suite::run(json, number("--accounts=", 1_000_000)),
        Some("triggers") => triggers_suite::run(json, number("--accounts=", 1_000_000)),
        Some("peers") => peers::run(&peers::Options {
            json,
            accounts: number("--accounts=", 20_000),
            rounds: number("--rounds=", 7).max(1),
        }),
        // A peer of the `peers` suite, started by the suite itself.
        Some("peer-worker") => peers::serve::main(&args[1..]),
        other => {
            eprintln!(
                "usage: vitals-bench runtime|languages|layouts|ingest|run|triggers|http|soak|hostile|peers|dashboard [--json] [--accounts=N] [--seconds=N] [--rounds=N] [--polyglot-accounts=N]   (got {other:?})"
            );
            std::process::exit(2);
        }
    }
}
