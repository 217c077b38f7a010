//! A first look at uploaded bytes, before wasmtime compiles them: a file
//! that is not a component at all (a README, an empty file, a core module,
//! a gzip) or one cut short gets a sentence saying so, rather than the
//! parser's "bad magic number - expected=[0x0 0x61 0x73 0x6d] actual=[..]".

use crate::contract::PluginError;

/// Every WebAssembly binary starts with these four bytes.
const MAGIC: &[u8; 4] = b"\0asm";
/// Version and layer of a component (the component-model binary format).
const COMPONENT: [u8; 4] = [0x0d, 0x00, 0x01, 0x00];
/// Version and layer of a core module.
const CORE_MODULE: [u8; 4] = [0x01, 0x00, 0x00, 0x00];

/// Fails unless `bytes` begin as a component and every top-level section
/// fits in the file. Anything deeper is left to wasmtime's validation.
pub fn check(bytes: &[u8]) -> Result<(), PluginError> {
    let not = |why: String| Err(PluginError::NotAComponent(why));
    if bytes.is_empty() {
        return not("the file is empty (0 bytes)".into());
    }
    if !bytes.starts_with(MAGIC) {
        return not(format!(
            "{}; a component starts with the bytes \\0asm",
            what_it_looks_like(bytes)
        ));
    }
    let Some(preamble) = bytes.get(4..8) else {
        return Err(PluginError::InvalidComponent(format!(
            "truncated: the file ends after {} bytes, inside its 8-byte header (was it copied whole?)",
            bytes.len()
        )));
    };
    if preamble == CORE_MODULE {
        return not("it is a core WebAssembly module; plugins are components \
             (build for wasm32-wasip2, or wrap the module with `wasm-tools component new`)"
            .into());
    }
    if preamble != COMPONENT {
        return not(format!(
            "its WebAssembly header says version {} layer {}, neither a core module's (1, 0) nor a component's (13, 1)",
            u16::from_le_bytes([preamble[0], preamble[1]]),
            u16::from_le_bytes([preamble[2], preamble[3]])
        ));
    }
    check_sections(bytes)
}

/// Walks the top-level sections (an id byte, a LEB128 size, the contents):
/// a section that runs past the end means the file was cut short.
fn check_sections(bytes: &[u8]) -> Result<(), PluginError> {
    let truncated = |what: String| {
        Err(PluginError::InvalidComponent(format!(
            "truncated: {what} (the file ends after {} bytes: was it copied or downloaded whole?)",
            bytes.len()
        )))
    };
    let mut at = 8;
    while at < bytes.len() {
        let section = at;
        at += 1;
        let Some((size, read)) = leb128_u32(&bytes[at..]) else {
            return truncated(format!(
                "the size of the section at byte {section} is cut off"
            ));
        };
        at += read;
        let remaining = bytes.len() - at;
        if size as usize > remaining {
            return truncated(format!(
                "the section at byte {section} declares {size} bytes but only {remaining} follow"
            ));
        }
        at += size as usize;
    }
    Ok(())
}

/// An unsigned LEB128 of at most 32 bits and how many bytes it took;
/// `None` if the bytes end inside it (or it is longer than 5 bytes).
fn leb128_u32(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).ok().map(|v| (v, i + 1));
        }
    }
    None
}

/// A few words on what a file that is not WebAssembly seems to be.
fn what_it_looks_like(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(24)];
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return "it is gzip-compressed data: decompress it first".into();
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return "it is a zip archive: extract the .wasm file from it".into();
    }
    let text = String::from_utf8_lossy(head);
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    if printable && !text.contains('\u{fffd}') {
        let first_line = text.lines().next().unwrap_or("");
        return format!("it is text (it starts with {first_line:?})");
    }
    let hex: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("it starts with the bytes {}", hex.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(bytes: &[u8]) -> String {
        check(bytes).unwrap_err().to_string()
    }

    #[test]
    fn files_that_are_not_components_are_named_for_what_they_are() {
        assert_eq!(
            message(b""),
            "not a WebAssembly component: the file is empty (0 bytes)"
        );
        let readme = message(b"# Vitals\n\nCustomer health");
        assert!(
            readme.starts_with(
                "not a WebAssembly component: it is text (it starts with \"# Vitals\")"
            ),
            "{readme}"
        );
        assert!(message(&[0x1f, 0x8b, 8, 0, 1, 2]).contains("gzip"));
        assert!(message(b"PK\x03\x04rest").contains("zip archive"));
        let binary = message(&[0x4d, 0x5a, 0x90, 0x00, 0xff]);
        assert!(
            binary.contains("it starts with the bytes 4d 5a 90 00"),
            "{binary}"
        );
        assert!(!binary.contains('['), "no byte arrays: {binary}");
        let core = message(b"\0asm\x01\0\0\0");
        assert!(core.contains("core WebAssembly module"), "{core}");
        assert!(message(b"\0asm\x0e\0\x01\0").contains("says version 14 layer 1"));
    }

    #[test]
    fn a_component_cut_short_is_called_truncated() {
        let real = vitals_reference_pack::component("weighted-health").unwrap();
        assert!(check(real).is_ok());
        for cut in [5, real.len() / 2, real.len() - 1] {
            let m = message(&real[..cut]);
            assert!(
                m.starts_with("not a valid component: truncated:"),
                "{cut}: {m}"
            );
        }
        // A section size cut in the middle of its LEB128.
        let m = message(b"\0asm\x0d\0\x01\0\x01\x80");
        assert!(
            m.contains("the size of the section at byte 8 is cut off"),
            "{m}"
        );
    }

    #[test]
    fn leb128_reads_what_it_should() {
        assert_eq!(leb128_u32(&[0x05]), Some((5, 1)));
        assert_eq!(leb128_u32(&[0xe5, 0x8e, 0x26]), Some((624_485, 3)));
        assert_eq!(leb128_u32(&[0x80]), None);
        assert_eq!(
            leb128_u32(&[0xff, 0xff, 0xff, 0xff, 0x7f]),
            None,
            "over u32"
        );
    }
}
