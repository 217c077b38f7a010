//! The `vitals` binary: all logic lives in the library.

fn main() {
    std::process::exit(vitals::cli::main());
}
