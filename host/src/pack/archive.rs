//! Reading and writing `.vpack` archives. The reader refuses, in bounded
//! memory, anything but the exact layout: `manifest.json` first, its
//! signature next if any, then only regular files at plain paths, each
//! listed in the manifest with its size and SHA-256, none twice, none
//! missing, and no bytes after the archive's end.

use super::PackError;
use super::manifest::{Manifest, check_path};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};

/// The manifest's entry name; always the first entry.
pub const MANIFEST: &str = "manifest.json";
/// The signature's entry name; the second entry when present.
pub const SIGNATURE: &str = "manifest.json.minisig";
/// A manifest is read whole before anything it lists: one of 1 MiB lists
/// thousands of files, far more than a pack has.
const MANIFEST_MAX: u64 = 1 << 20;
/// A minisign signature is four short lines.
const SIGNATURE_MAX: u64 = 4096;
/// What may follow the archive's end-of-archive blocks inside the gzip
/// stream: tar writers pad to a 10 KiB record; more is not a pack.
const TRAILER_MAX: u64 = 64 * 1024;

/// How much a pack may hold; checked from each entry's header, before its
/// bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackLimits {
    /// The largest one entry may be.
    pub entry_bytes: u64,
    /// The largest all entries together may be.
    pub total_bytes: u64,
    /// The most entries an archive may have.
    pub entries: usize,
}

impl Default for PackLimits {
    /// 64 MiB an entry (a Python component is about 20 MB), 256 MiB in
    /// all, 1024 entries.
    fn default() -> Self {
        PackLimits {
            entry_bytes: 64 << 20,
            total_bytes: 256 << 20,
            entries: 1024,
        }
    }
}

/// A pack read into memory (or built): the manifest's exact bytes, which
/// are what is signed and are never re-serialised, and every listed file.
#[derive(Debug, Clone, PartialEq)]
pub struct PackArchive {
    /// `manifest.json`, byte for byte.
    pub manifest_bytes: Vec<u8>,
    /// Those bytes, parsed and checked.
    pub manifest: Manifest,
    /// `manifest.json.minisig`, when signed.
    pub signature: Option<String>,
    /// Every listed file's bytes, by path.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl PackArchive {
    /// Reads a `.vpack`, checking everything but the signature (see
    /// [`super::verify`]): refused with the first problem found.
    pub fn read(r: impl Read, limits: &PackLimits) -> Result<PackArchive, PackError> {
        let mut gz = flate2::bufread::GzDecoder::new(BufReader::new(r));
        let mut tar = tar::Archive::new(&mut gz);
        let mut reader = EntryReader {
            limits,
            total: 0,
            count: 0,
        };
        let mut manifest: Option<(Vec<u8>, Manifest)> = None;
        let mut signature = None;
        let mut files = BTreeMap::new();
        // Raw entries: the tar crate would otherwise read a GNU long name or
        // a PAX header whole into memory, whatever its size; a pack has
        // neither (its paths fit a ustar header), so they are refused as
        // entries that are not regular files.
        for entry in tar.entries().map_err(archive_error)?.raw(true) {
            let mut entry = entry.map_err(archive_error)?;
            let path = reader.admit(&entry)?;
            let Some((_, listed)) = &manifest else {
                if path != MANIFEST {
                    return Err(PackError::manifest(
                        MANIFEST,
                        format!("must be the archive's first entry, but {path} comes first"),
                    ));
                }
                let bytes = reader.read_bounded(&mut entry, &path, MANIFEST_MAX)?;
                manifest = Some((bytes.clone(), Manifest::parse(&bytes)?));
                continue;
            };
            if path == SIGNATURE {
                if signature.is_some() || !files.is_empty() {
                    return Err(PackError::Archive(format!(
                        "{SIGNATURE} must come right after {MANIFEST}, once"
                    )));
                }
                let bytes = reader.read_bounded(&mut entry, &path, SIGNATURE_MAX)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| PackError::MalformedSignature("not UTF-8 text".into()))?;
                super::signature_key_id(&text)?;
                signature = Some(text);
                continue;
            }
            if path == MANIFEST {
                return Err(PackError::Duplicate(path));
            }
            if files.contains_key(&path) {
                return Err(PackError::Duplicate(path));
            }
            let Some(index) = listed.files.iter().position(|f| f.path == path) else {
                return Err(PackError::Unlisted(path));
            };
            let listed = &listed.files[index];
            let bytes = reader.read_bounded(&mut entry, &path, reader.limits.entry_bytes)?;
            let actual = sha256_hex(&bytes);
            if actual != listed.sha256 {
                return Err(PackError::HashMismatch {
                    path,
                    expected: listed.sha256.clone(),
                    actual,
                });
            }
            if bytes.len() as u64 != listed.size {
                return Err(PackError::manifest(
                    format!("files[{index}].size"),
                    format!("says {} bytes, the file has {}", listed.size, bytes.len()),
                ));
            }
            files.insert(path, bytes);
        }
        ensure_stream_ends(gz)?;
        let Some((manifest_bytes, manifest)) = manifest else {
            return Err(PackError::manifest(
                MANIFEST,
                "missing: the archive is empty",
            ));
        };
        if let Some(missing) = manifest.files.iter().find(|f| !files.contains_key(&f.path)) {
            return Err(PackError::Missing(missing.path.clone()));
        }
        let archive = PackArchive {
            manifest_bytes,
            manifest,
            signature,
            files,
        };
        archive.check_contents()?;
        Ok(archive)
    }

    /// Files that must be more than bytes: defaults are JSON, READMEs text.
    fn check_contents(&self) -> Result<(), PackError> {
        for p in &self.manifest.plugins {
            self.defaults(&p.name)?;
            if let Some(path) = &p.readme
                && std::str::from_utf8(&self.files[path]).is_err()
            {
                return Err(PackError::BadFile {
                    path: path.clone(),
                    reason: "not UTF-8 text".into(),
                });
            }
        }
        Ok(())
    }

    /// Writes the archive: the manifest's exact bytes first, the signature
    /// next, then the files in the manifest's order. Headers carry no
    /// owner, time or mode of the builder's machine, so that the same
    /// inputs give the same bytes.
    pub fn write(&self, w: impl Write) -> Result<(), PackError> {
        let gz = flate2::GzBuilder::new().write(w, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mut append = |path: &str, bytes: &[u8]| -> Result<(), PackError> {
            let mut header = tar::Header::new_ustar();
            header.set_path(path)?;
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            tar.append(&header, bytes)?;
            Ok(())
        };
        append(MANIFEST, &self.manifest_bytes)?;
        if let Some(signature) = &self.signature {
            append(SIGNATURE, signature.as_bytes())?;
        }
        for f in &self.manifest.files {
            let bytes = self
                .files
                .get(&f.path)
                .ok_or_else(|| PackError::Missing(f.path.clone()))?;
            append(&f.path, bytes)?;
        }
        tar.into_inner()?.finish()?.flush()?;
        Ok(())
    }

    /// The archive's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out)
            .expect("a pack built or read whole writes to memory");
        out
    }

    /// A plugin's component.
    pub fn component(&self, plugin: &str) -> Option<&[u8]> {
        let p = self.manifest.plugin(plugin)?;
        self.files.get(&p.component).map(Vec::as_slice)
    }

    /// A plugin's vendor default configuration (`{}` when it has none).
    pub fn defaults(&self, plugin: &str) -> Result<serde_json::Value, PackError> {
        let p = self.manifest.plugin(plugin).ok_or_else(|| {
            PackError::manifest(
                "plugins",
                format!("the pack has no plugin named {plugin:?}"),
            )
        })?;
        let Some(path) = &p.defaults else {
            return Ok(serde_json::json!({}));
        };
        let bytes = self
            .files
            .get(path)
            .ok_or_else(|| PackError::Missing(path.clone()))?;
        serde_json::from_slice(bytes).map_err(|e| PackError::BadFile {
            path: path.clone(),
            reason: format!("not valid JSON: {e}"),
        })
    }

    /// A plugin's README.
    pub fn readme(&self, plugin: &str) -> Option<&str> {
        let p = self.manifest.plugin(plugin)?;
        let bytes = self.files.get(p.readme.as_ref()?)?;
        std::str::from_utf8(bytes).ok()
    }

    /// `NAME-VERSION.vpack`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.vpack",
            self.manifest.pack.name, self.manifest.pack.version
        )
    }
}

/// Entry-by-entry checks, with the running counts the limits apply to.
struct EntryReader<'a> {
    limits: &'a PackLimits,
    total: u64,
    count: usize,
}

impl EntryReader<'_> {
    /// Checks an entry from its header alone: its kind, its path, and its
    /// size against the limits, before any of its bytes are read.
    fn admit<R: Read>(&mut self, entry: &tar::Entry<R>) -> Result<String, PackError> {
        self.count += 1;
        if self.count > self.limits.entries {
            return Err(PackError::Archive(format!(
                "more than {} entries",
                self.limits.entries
            )));
        }
        let raw = entry.path_bytes();
        let path = String::from_utf8_lossy(&raw).into_owned();
        if check_path(&path).is_err() || std::str::from_utf8(&raw).is_err() {
            return Err(PackError::UnsafePath(path));
        }
        let kind = entry.header().entry_type();
        if !kind.is_file() {
            return Err(PackError::NotAFile(path));
        }
        let size = entry.size();
        if size > self.limits.entry_bytes {
            return Err(PackError::TooLarge {
                path,
                size,
                limit: self.limits.entry_bytes,
            });
        }
        self.total = self.total.saturating_add(size);
        if self.total > self.limits.total_bytes {
            return Err(PackError::TooLarge {
                path: format!("{path} (all entries so far)"),
                size: self.total,
                limit: self.limits.total_bytes,
            });
        }
        Ok(path)
    }

    /// An entry's bytes, refused past `max`; a short entry is a truncated
    /// archive.
    fn read_bounded<R: Read>(
        &self,
        entry: &mut tar::Entry<R>,
        path: &str,
        max: u64,
    ) -> Result<Vec<u8>, PackError> {
        let size = entry.size();
        if size > max {
            return Err(PackError::TooLarge {
                path: path.to_string(),
                size,
                limit: max,
            });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .take(size)
            .read_to_end(&mut bytes)
            .map_err(|e| match archive_error(e) {
                PackError::Archive(why) => PackError::Archive(format!("{why} (in {path})")),
                other => other,
            })?;
        if bytes.len() as u64 != size {
            return Err(PackError::Archive(format!(
                "truncated archive: {path} ends after {} of its {size} bytes",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

/// After the last entry: the gzip stream must end cleanly (its checksum
/// read and right) with at most the tar record's padding before it, and
/// nothing may follow it (a second member or appended bytes would be
/// content no check saw).
fn ensure_stream_ends<R: BufRead>(mut gz: flate2::bufread::GzDecoder<R>) -> Result<(), PackError> {
    let rest = std::io::copy(&mut (&mut gz).take(TRAILER_MAX + 1), &mut std::io::sink())
        .map_err(archive_error)?;
    if rest > TRAILER_MAX {
        return Err(PackError::Archive(
            "data after the end of the tar archive".into(),
        ));
    }
    let mut inner = gz.into_inner();
    if !inner.fill_buf().map_err(archive_error)?.is_empty() {
        return Err(PackError::Archive(
            "bytes after the end of the gzip stream".into(),
        ));
    }
    Ok(())
}

/// A read failure inside the archive: the stream is cut short or corrupt.
fn archive_error(e: std::io::Error) -> PackError {
    let what = match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "truncated archive",
        _ => "damaged archive",
    };
    PackError::Archive(format!("{what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::sample_pack;
    use super::*;

    #[test]
    fn a_pack_round_trips_with_the_same_manifest_bytes() {
        let pack = sample_pack();
        let bytes = pack.to_bytes();
        let read = PackArchive::read(&bytes[..], &PackLimits::default()).unwrap();
        assert_eq!(read, pack);
        assert_eq!(read.manifest_bytes, pack.manifest_bytes);
        // The same pack writes the same bytes: nothing of the machine or
        // the time goes in.
        assert_eq!(read.to_bytes(), bytes);
        assert_eq!(read.file_name(), "acme-health-1.2.0.vpack");
    }

    #[test]
    fn the_accessors_give_each_plugin_s_files() {
        let pack = sample_pack();
        assert_eq!(
            pack.component("acme-score"),
            Some(&b"component acme-score 1.0.0"[..])
        );
        assert_eq!(
            pack.defaults("acme-score").unwrap(),
            serde_json::json!({"weights": {"seats": 2}})
        );
        assert_eq!(
            pack.defaults("acme-segments").unwrap(),
            serde_json::json!({})
        );
        assert_eq!(pack.readme("acme-score"), Some("# Acme score\n"));
        assert_eq!(pack.readme("acme-segments"), Some("# Segments\n"));
        assert_eq!(pack.component("nope"), None);
        let err = pack.defaults("nope").unwrap_err();
        assert!(
            err.to_string().contains("no plugin named \"nope\""),
            "{err}"
        );
    }

    #[test]
    fn entries_come_in_the_documented_order() {
        let mut pack = sample_pack();
        let keys = super::super::keygen("t").unwrap();
        super::super::sign(&mut pack, &keys.secret, None).unwrap();
        let bytes = pack.to_bytes();
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let paths: Vec<String> = tar
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                MANIFEST,
                SIGNATURE,
                "plugins/acme-score/component.wasm",
                "plugins/acme-score/defaults.json",
                "plugins/acme-score/README.md",
                "plugins/acme-segments/component.wasm",
                "plugins/acme-segments/README.md",
            ]
        );
    }
}
