//! # vitals-bench
//!
//! Benchmarks that print ratios measured in one run, so machine drift cancels
//! out: `cargo run --release --bin vitals-bench -- runtime|ingest|run [--json]`.

mod languages;
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
        // The runtime suite's last part alone.
        Some("languages") => {
            let figures = languages::measure(json);
            if json {
                println!("{figures}");
            }
        }
        Some("ingest") => store_suite::ingest(json),
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
                "usage: vitals-bench runtime|languages|ingest|run [--json] [--accounts=N]   (got {other:?})"
            );
            std::process::exit(2);
        }
    }
}
