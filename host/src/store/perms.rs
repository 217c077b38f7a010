//! The store is private to the user running vitals: its folder 0700, its
//! files 0600 (they hold every tenant's data and the key hashes). sled
//! creates files with the process umask (0644 is usual), so opening the
//! store restricts what is there; the 0700 folder is what keeps files sled
//! creates later (snapshots, blobs) out of other users' reach.

use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) 0700 if needed, then sets it and
/// everything in it to 0700 folders and 0600 files.
#[cfg(unix)]
pub fn restrict(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fn walk(dir: &Path) -> io::Result<()> {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&entry.path())?;
            } else if kind.is_file() {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(())
    }
    walk(dir)
}

/// Elsewhere the platform's defaults apply.
#[cfg(not(unix))]
pub fn restrict(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_new_and_an_existing_store_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        {
            let _s = crate::store::Store::open(&store).unwrap();
        }
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let check = || {
            assert_eq!(mode(&store), 0o700);
            let mut files = 0;
            for e in std::fs::read_dir(&store).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_file() {
                    files += 1;
                    assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
                }
            }
            assert!(files > 0);
        };
        check();
        // A store made before (0755 / 0644) is restricted when it opens.
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(store.join("conf"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        {
            let _s = crate::store::Store::open(&store).unwrap();
        }
        check();
    }
}
