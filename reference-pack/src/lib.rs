//! # vitals-reference-pack
//!
//! The reference plugin pack (`weighted-health`, `lifecycle-segments`,
//! `seat-expansion`, `renewal-forecast`), compiled from `plugins/` by this
//! crate's build script and embedded, so `vitals demo` installs it with no
//! files beside the binary. Nothing compiled is committed.
//!
//! ```no_run
//! for (name, bytes) in vitals_reference_pack::COMPONENTS {
//!     println!("{name}: {} bytes", bytes.len());
//! }
//! ```

include!(concat!(env!("OUT_DIR"), "/components.rs"));

/// The component of one reference plugin by name.
pub fn component(name: &str) -> Option<&'static [u8]> {
    COMPONENTS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_plugin_is_a_component() {
        assert_eq!(super::COMPONENTS.len(), 4);
        for (name, bytes) in super::COMPONENTS {
            // Component binary: magic, then version 0x0d and layer 0x01.
            assert_eq!(&bytes[0..4], b"\0asm", "{name}");
            assert_eq!(
                &bytes[4..8],
                &[0x0d, 0x00, 0x01, 0x00],
                "{name} is a core module, not a component"
            );
        }
        assert!(super::component("weighted-health").is_some());
        assert!(super::component("nope").is_none());
    }
}
