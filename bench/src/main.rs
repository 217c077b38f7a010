//! # vitals-bench
//!
//! Benchmarks that print ratios measured in one run, so machine drift cancels
//! out: `cargo run --release --bin vitals-bench -- runtime|ingest|run|http|dashboard [--json]`.

mod dashboard_suite;
mod http_suite;
mod native;
mod runtime_suite;
mod store_suite;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    match args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str)
    {
        Some("runtime") => runtime_suite::run(json),
        Some("ingest") => store_suite::ingest(json),
        Some("http") => {
            let number = |name: &str, default: u64| {
                args.iter()
                    .find_map(|a| a.strip_prefix(name))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(default)
            };
            http_suite::run(
                json,
                number("--accounts=", 5_000) as usize,
                number("--seconds=", 10),
            )
        }
        Some("dashboard") => {
            let accounts = args
                .iter()
                .find_map(|a| a.strip_prefix("--accounts="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(100_000);
            dashboard_suite::run(json, accounts)
        }
        Some("run") => {
            let accounts = args
                .iter()
                .find_map(|a| a.strip_prefix("--accounts="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(1_000_000);
            store_suite::run(json, accounts)
        }
        other => {
            eprintln!(
                "usage: vitals-bench runtime|ingest|run|http|dashboard [--json] [--accounts=N] [--seconds=N]   (got {other:?})"
            );
            std::process::exit(2);
        }
    }
}
