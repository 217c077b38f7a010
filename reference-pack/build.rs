//! Compiles the four reference plugins from `plugins/` into components.

const PLUGINS: [&str; 4] = [
    "weighted-health",
    "lifecycle-segments",
    "seat-expansion",
    "renewal-forecast",
];

fn main() {
    let built = vitals_guest_build::build(&PLUGINS);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let mut src = String::from(
        "/// The reference pack: (plugin name, component bytes).\npub static COMPONENTS: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in built {
        src.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    src.push_str("];\n");
    std::fs::write(out.join("components.rs"), src).unwrap();
}
