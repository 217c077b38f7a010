//! # vitals-bench
//!
//! Benchmarks that print ratios measured in one run, so machine drift cancels
//! out: `cargo run --release --bin vitals-bench -- runtime [--json]`.

mod native;
mod runtime_suite;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    match args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str)
    {
        Some("runtime") => runtime_suite::run(json),
        other => {
            eprintln!("usage: vitals-bench runtime [--json]   (got {other:?})");
            std::process::exit(2);
        }
    }
}
