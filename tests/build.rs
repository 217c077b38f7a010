//! Compiles the test-only guests in `tests/guests/` into components.

fn main() {
    for (name, path) in vitals_guest_build::build(&["hostile-health", "weighted-health-v2"]) {
        let var = name.replace('-', "_").to_uppercase();
        println!("cargo:rustc-env=GUEST_{var}={}", path.display());
    }
}
