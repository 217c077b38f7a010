//! The broken-pack corpus at the reader and verifier: each broken pack is
//! refused with its own named error, never accepted.

use super::test_support::{RawEntry, entries_of, raw_archive, sample_pack};
use super::*;

fn read(bytes: &[u8]) -> Result<PackArchive, PackError> {
    PackArchive::read(bytes, &PackLimits::default())
}

const COMPONENT: &str = "plugins/acme-score/component.wasm";

#[test]
fn one_byte_of_a_component_changed_is_a_hash_mismatch_naming_the_file() {
    let mut pack = sample_pack();
    pack.files.get_mut(COMPONENT).unwrap()[3] ^= 1;
    match read(&pack.to_bytes()) {
        Err(e @ PackError::HashMismatch { .. }) => {
            assert!(e.to_string().contains(COMPONENT), "{e}");
            assert_eq!(e.code(), "hash-mismatch");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_manifest_changed_after_signing_fails_its_signature() {
    let keys = keygen("test").unwrap();
    let mut pack = sample_pack();
    sign(&mut pack, &keys.secret, None).unwrap();
    // A consistent manifest (it still lists every file right), but not
    // the bytes that were signed.
    let mut changed = pack.manifest.clone();
    changed.pack.description = "Now with more data".into();
    pack.manifest_bytes = changed.to_bytes();
    pack.manifest = changed;
    let read_back = read(&pack.to_bytes()).unwrap();
    let trusted = [PublicKey::parse(&keys.public).unwrap()];
    match verify(&read_back, &trusted) {
        Err(PackError::BadSignature { key_id }) => assert_eq!(key_id, keys.key_id),
        other => panic!("{other:?}"),
    }
    // One byte of whitespace is a change too: nothing is re-serialised.
    let mut pack = sample_pack();
    sign(&mut pack, &keys.secret, None).unwrap();
    pack.manifest_bytes.push(b'\n');
    let read_back = read(&pack.to_bytes()).unwrap();
    assert!(matches!(
        verify(&read_back, &trusted),
        Err(PackError::BadSignature { .. })
    ));
}

#[test]
fn a_removed_signature_or_an_untrusted_key_is_refused_by_verify() {
    let vendor = keygen("vendor").unwrap();
    let other = keygen("someone else").unwrap();
    let mut pack = sample_pack();
    sign(&mut pack, &vendor.secret, None).unwrap();
    let trusted = [PublicKey::parse(&other.public).unwrap()];
    match verify(&read(&pack.to_bytes()).unwrap(), &trusted) {
        Err(e @ PackError::UntrustedKey(_)) => {
            assert!(e.to_string().contains(&vendor.key_id), "{e}");
        }
        other => panic!("{other:?}"),
    }
    pack.signature = None;
    let stripped = read(&pack.to_bytes()).unwrap();
    let trusted = [PublicKey::parse(&vendor.public).unwrap()];
    assert!(matches!(
        verify(&stripped, &trusted),
        Err(PackError::MissingSignature)
    ));
}

#[test]
fn a_file_the_manifest_does_not_list_is_refused() {
    let mut entries = entries_of(&sample_pack());
    entries.push(RawEntry::file("plugins/acme-score/extra.wasm", b"\0asm"));
    match read(&raw_archive(&entries, true)) {
        Err(PackError::Unlisted(path)) => assert_eq!(path, "plugins/acme-score/extra.wasm"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_listed_file_missing_from_the_archive_is_refused() {
    let mut entries = entries_of(&sample_pack());
    entries.retain(|e| e.path != COMPONENT);
    match read(&raw_archive(&entries, true)) {
        Err(PackError::Missing(path)) => assert_eq!(path, COMPONENT),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_truncated_archive_is_refused_wherever_it_is_cut() {
    let bytes = sample_pack().to_bytes();
    let mut cuts: Vec<usize> = (0..bytes.len()).step_by(37).collect();
    cuts.extend([1, 9, 10, bytes.len() - 8, bytes.len() - 4, bytes.len() - 1]);
    for cut in cuts {
        match read(&bytes[..cut]) {
            Err(PackError::Archive(why)) => {
                assert!(
                    why.contains("truncated") || why.contains("damaged"),
                    "{cut}: {why}"
                );
            }
            other => panic!("cut at {cut} of {}: {other:?}", bytes.len()),
        }
    }
}

#[test]
fn paths_that_escape_the_pack_are_refused() {
    for path in [
        "../x",
        "plugins/../../etc/cron.d/x",
        "/etc/passwd",
        "plugins//x",
    ] {
        let mut entries = entries_of(&sample_pack());
        entries.push(RawEntry::file(path, b"x"));
        match read(&raw_archive(&entries, true)) {
            Err(e @ PackError::UnsafePath(_)) => {
                assert!(
                    e.to_string().contains(&format!("entry {path} escapes")),
                    "{e}"
                );
            }
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn links_directories_and_devices_are_refused() {
    use tar::EntryType;
    let kinds = [
        EntryType::Symlink,
        EntryType::Link,
        EntryType::Directory,
        EntryType::Char,
        EntryType::Fifo,
        // Refused rather than read whole into memory by the tar crate.
        EntryType::GNULongName,
        EntryType::XHeader,
    ];
    for kind in kinds {
        let mut entries = entries_of(&sample_pack());
        entries.insert(
            1,
            RawEntry {
                path: "plugins/acme-score/link".into(),
                kind,
                claimed_size: 0,
                body: vec![],
            },
        );
        match read(&raw_archive(&entries, true)) {
            Err(PackError::NotAFile(path)) => assert_eq!(path, "plugins/acme-score/link"),
            other => panic!("{kind:?}: {other:?}"),
        }
    }
}

#[test]
fn a_duplicate_entry_is_refused() {
    for twice in [COMPONENT, MANIFEST] {
        let mut entries = entries_of(&sample_pack());
        let copy = entries.iter().find(|e| e.path == twice).unwrap();
        let copy = RawEntry::file(&copy.path, &copy.body);
        entries.push(copy);
        match read(&raw_archive(&entries, true)) {
            Err(PackError::Duplicate(path)) => assert_eq!(path, twice),
            other => panic!("{twice}: {other:?}"),
        }
    }
}

#[test]
fn a_1_gib_entry_is_refused_from_its_header_without_reading_it() {
    let mut entries = entries_of(&sample_pack());
    // The header claims 1 GiB; the body is 4 KiB: the reader must refuse
    // before reading, so the missing bytes are never noticed.
    entries[1].claimed_size = 1 << 30;
    entries[1].body = vec![0; 4096];
    match read(&raw_archive(&entries, false)) {
        Err(PackError::TooLarge { path, size, limit }) => {
            assert_eq!(path, entries[1].path);
            assert_eq!(size, 1 << 30);
            assert_eq!(limit, 64 << 20);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_total_and_entry_count_limits_hold() {
    let pack = sample_pack();
    let bytes = pack.to_bytes();
    let small = PackLimits {
        entry_bytes: 1 << 20,
        total_bytes: 100,
        entries: 1024,
    };
    assert!(matches!(
        PackArchive::read(&bytes[..], &small),
        Err(PackError::TooLarge { .. })
    ));
    let few = PackLimits {
        entries: 2,
        ..PackLimits::default()
    };
    match PackArchive::read(&bytes[..], &few) {
        Err(PackError::Archive(why)) => assert!(why.contains("more than 2 entries"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_manifest_must_come_first_and_nothing_may_follow_the_archive() {
    let mut entries = entries_of(&sample_pack());
    entries.swap(0, 1);
    match read(&raw_archive(&entries, true)) {
        Err(PackError::Manifest { field, reason }) => {
            assert_eq!(field, MANIFEST);
            assert!(reason.contains("first entry"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut bytes = sample_pack().to_bytes();
    bytes.extend_from_slice(&raw_archive(&[RawEntry::file("x", b"y")], true));
    match read(&bytes) {
        Err(PackError::Archive(why)) => assert!(why.contains("after the end"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read(b"PK\x03\x04 a zip"),
        Err(PackError::Archive(_))
    ));
}

#[test]
fn defaults_that_are_not_json_are_refused_naming_the_file() {
    let pack = sample_pack();
    let mut entries = entries_of(&pack);
    let defaults = "plugins/acme-score/defaults.json";
    let mut manifest = pack.manifest.clone();
    let listed = manifest
        .files
        .iter_mut()
        .find(|f| f.path == defaults)
        .unwrap();
    listed.sha256 = sha256_hex(b"{oops");
    listed.size = 5;
    entries[0] = RawEntry::file(MANIFEST, &manifest.to_bytes());
    *entries.iter_mut().find(|e| e.path == defaults).unwrap() = RawEntry::file(defaults, b"{oops");
    match read(&raw_archive(&entries, true)) {
        Err(e @ PackError::BadFile { .. }) => assert!(e.to_string().contains(defaults), "{e}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_manifest_whose_size_disagrees_with_the_file_is_refused() {
    let pack = sample_pack();
    let mut manifest = pack.manifest.clone();
    manifest.files[0].size += 1;
    let mut entries = entries_of(&pack);
    entries[0] = RawEntry::file(MANIFEST, &manifest.to_bytes());
    match read(&raw_archive(&entries, true)) {
        Err(PackError::Manifest { field, .. }) => assert_eq!(field, "files[0].size"),
        other => panic!("{other:?}"),
    }
}
