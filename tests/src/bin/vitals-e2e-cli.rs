//! The `vitals` binary's exact main, built inside this package so that the
//! end-to-end tests can run it as a process (`CARGO_BIN_EXE_vitals-e2e-cli`).

fn main() {
    std::process::exit(vitals::cli::main());
}
