//! Compiles the test-only guests in `tests/guests/` into components, and the
//! Python and JavaScript plugins (with their toolchains, installed once into
//! the target folder by vitals-polyglot-build).

/// Polyglot plugin folders; `@ENGINE` builds a JavaScript one with another engine.
const POLYGLOT: [&str; 7] = [
    "plugins/python/adoption-health",
    "plugins/js/engagement-segments",
    "plugins/js/engagement-segments@starlingmonkey",
    "tests/guests/python/hostile-py",
    "tests/guests/js/hostile-js",
    "tests/guests/python/floor-py",
    "tests/guests/js/floor-js",
];

fn main() {
    for (name, path) in vitals_guest_build::build(&[
        "hostile-health",
        "hostile-v02",
        "weighted-health-v2",
        "weighted-health-v01",
    ]) {
        let var = name.replace('-', "_").to_uppercase();
        println!("cargo:rustc-env=GUEST_{var}={}", path.display());
    }
    for (_, path) in vitals_polyglot_build::build_for_cargo(&POLYGLOT) {
        let stem = path.file_stem().expect("file name").to_string_lossy();
        let var = stem.replace('-', "_").to_uppercase();
        println!("cargo:rustc-env=POLYGLOT_{var}={}", path.display());
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let tools = vitals_polyglot_build::cargo_toolchains(&out);
    println!(
        "cargo:rustc-env=VITALS_TEST_TOOLCHAINS={}",
        tools.root().display()
    );
}
