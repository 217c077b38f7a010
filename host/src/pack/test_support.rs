//! Test fixtures: build tools that need no runtime, a small pack built from
//! a folder, and raw archives crafted block by block (any header, any
//! path, sizes that lie) for the broken-pack corpus.

use super::{BuildTools, PackArchive};
use crate::contract::{PluginKind, PluginMetadata};
use std::io::Write;
use std::path::Path;

/// A "component" here is the text `component NAME VERSION`; validation
/// refuses defaults holding `"bad": true`, as a schema would.
pub struct FakeTools;

pub fn fake_component(name: &str, version: &str) -> Vec<u8> {
    format!("component {name} {version}").into_bytes()
}

impl BuildTools for FakeTools {
    fn build_source(&mut self, dir: &Path) -> Result<Vec<u8>, String> {
        std::fs::read(dir.join("component.txt")).map_err(|e| format!("build failed: {e}"))
    }

    fn validate(
        &mut self,
        component: &[u8],
        defaults: &serde_json::Value,
    ) -> Result<PluginMetadata, String> {
        let text = std::str::from_utf8(component).map_err(|_| "not a component".to_string())?;
        let mut words = text.split(' ');
        let (Some("component"), Some(name), Some(version)) =
            (words.next(), words.next(), words.next())
        else {
            return Err("not a component".into());
        };
        if defaults["bad"] == true {
            return Err("configuration: bad: is not allowed".into());
        }
        Ok(PluginMetadata {
            name: name.into(),
            version: version.into(),
            kind: PluginKind::HealthModel,
            description: String::new(),
            config_schema: "{}".into(),
            reads: vec![],
        })
    }
}

/// A vendor folder: two plugins, one from a "wasm" file with defaults and
/// a README, one from a "source" folder whose README is picked up.
pub fn vendor_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, bytes: &[u8]| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write(
        "pack.toml",
        br#"[pack]
name = "acme-health"
version = "1.2.0"
vendor = "Acme Analytics"
description = "Health models for SaaS"

[[plugins]]
wasm = "build/acme_score.wasm"
config = "acme-score.defaults.json"
readme = "docs/acme-score.md"

[[plugins]]
source = "acme-segments"
"#,
    );
    write(
        "build/acme_score.wasm",
        &fake_component("acme-score", "1.0.0"),
    );
    write("acme-score.defaults.json", br#"{"weights": {"seats": 2}}"#);
    write("docs/acme-score.md", b"# Acme score\n");
    write(
        "acme-segments/component.txt",
        &fake_component("acme-segments", "0.3.1"),
    );
    write("acme-segments/README.md", b"# Segments\n");
    dir
}

/// The pack built from [`vendor_folder`], unsigned.
pub fn sample_pack() -> PackArchive {
    let dir = vendor_folder();
    super::build(dir.path(), &mut FakeTools).unwrap()
}

/// One raw tar entry: the header is written as given (a path tar::Builder
/// would refuse, a size the body does not have).
pub struct RawEntry {
    pub path: String,
    pub kind: tar::EntryType,
    pub claimed_size: u64,
    pub body: Vec<u8>,
}

impl RawEntry {
    pub fn file(path: &str, body: &[u8]) -> RawEntry {
        RawEntry {
            path: path.into(),
            kind: tar::EntryType::Regular,
            claimed_size: body.len() as u64,
            body: body.to_vec(),
        }
    }
}

/// The entries of a good pack, in order, to be changed by a test.
pub fn entries_of(pack: &PackArchive) -> Vec<RawEntry> {
    let mut entries = vec![RawEntry::file(super::MANIFEST, &pack.manifest_bytes)];
    if let Some(s) = &pack.signature {
        entries.push(RawEntry::file(super::SIGNATURE, s.as_bytes()));
    }
    for f in &pack.manifest.files {
        entries.push(RawEntry::file(&f.path, &pack.files[&f.path]));
    }
    entries
}

/// A ustar header block for `e`, written field by field.
fn header_block(e: &RawEntry) -> [u8; 512] {
    let mut header = tar::Header::new_ustar();
    {
        let ustar = header.as_ustar_mut().unwrap();
        ustar.name[..e.path.len()].copy_from_slice(e.path.as_bytes());
    }
    header.set_size(e.claimed_size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(e.kind);
    if e.kind == tar::EntryType::Symlink || e.kind == tar::EntryType::Link {
        header.set_link_name("/etc/passwd").unwrap();
    }
    header.set_cksum();
    *header.as_bytes()
}

/// A gzip-compressed tar of `entries`; with `end`, the two zero blocks
/// that close an archive.
pub fn raw_archive(entries: &[RawEntry], end: bool) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for e in entries {
        gz.write_all(&header_block(e)).unwrap();
        gz.write_all(&e.body).unwrap();
        let padding = (512 - e.body.len() % 512) % 512;
        gz.write_all(&vec![0; padding]).unwrap();
    }
    if end {
        gz.write_all(&[0; 1024]).unwrap();
    }
    gz.finish().unwrap()
}
