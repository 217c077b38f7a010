//! Compiles the layouts suite's probe components: Rust
//! (`bench/guests/layout-probe`), Python and JavaScript (`layout-probe-py`,
//! `layout-probe-js`).

fn main() {
    for (_, path) in vitals_guest_build::build(&["layout-probe"]) {
        println!("cargo:rustc-env=LAYOUT_PROBE_WASM={}", path.display());
    }
    for (_, path) in vitals_polyglot_build::build_for_cargo(&[
        "bench/guests/layout-probe-py",
        "bench/guests/layout-probe-js",
    ]) {
        let stem = path.file_stem().expect("file name").to_string_lossy();
        let var = stem.replace('-', "_").to_uppercase();
        println!("cargo:rustc-env=POLYGLOT_{var}={}", path.display());
    }
    // The probe runs weighted-health's rules; guest-build watches the rest.
    println!("cargo:rerun-if-changed=../plugins/weighted-health");
    println!("cargo:rerun-if-changed=build.rs");
}
