//! Atomic file replacement: a recognisably named temp file beside the target, fsync,
//! rename. A reader sees the old bytes or the new ones, never half a file.
//!
//! Runs at once (a CI retry, an editor hook) must not take each other's temp files for
//! what a killed run left: a writer holds a shared lock (`flock`) on the directory while
//! its temp files exist, and stale ones are removed only under the exclusive lock, which
//! no live writer's shared lock allows. The kernel drops a killed run's lock with it.
//!
//! Nothing is written through a symlink, over anything but a regular file, or in a
//! directory outside the tree: a link in a stranger's tree must not choose what the
//! tool overwrites. Every file is checked before any is written.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Error;

/// Write `bytes` to `path` unless it already holds exactly them; returns whether it wrote.
///
/// A symlink is refused (see [`crate::boundary::check_write`]), the file's mode is kept,
/// and temp files that a killed run left beside it are removed first.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, Error> {
    Ok(write_all_if_changed(&[(path, bytes)])?[0])
}

/// Write several files all or nothing: every changed file is staged (temp file written
/// and fsynced) before any is renamed into place, so a full disk, a read-only file or
/// any other write error leaves every file as it was. Returns, per file, whether it was
/// written. Only a crash between two renames can leave some files new and some old; each
/// file is still whole.
pub fn write_all_if_changed(files: &[(&Path, &[u8])]) -> Result<Vec<bool>, Error> {
    // Every directory is locked (and cleaned, when no other run writes there) before any
    // temp file is made, and stays locked until the last rename.
    let mut dirs: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
    for (path, _) in files {
        crate::boundary::check_write(path)?;
    }
    for (path, _) in files {
        let target = path.to_path_buf();
        let dir = parent_dir(&target);
        match dirs.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, targets)) => targets.push(target),
            None => dirs.push((dir, vec![target])),
        }
    }
    let _locks: Vec<Option<fs::File>> = dirs
        .iter()
        .map(|(dir, targets)| lock_dir(dir, targets))
        .collect();
    let mut staged = Vec::new();
    for (path, bytes) in files {
        staged.push(stage(path, bytes)?);
    }
    let mut written = Vec::new();
    for (stage, (path, _)) in staged.into_iter().zip(files) {
        let Some((tmp, target)) = stage else {
            written.push(false);
            continue;
        };
        tmp.persist(&target).map_err(|e| Error::Write {
            path: path.to_path_buf(),
            source: e.error,
        })?;
        sync_dir(&parent_dir(&target));
        written.push(true);
    }
    Ok(written)
}

/// The fsynced temp file holding `bytes` beside `path`, and `path`; `None` when it already
/// holds exactly `bytes`.
fn stage(path: &Path, bytes: &[u8]) -> Result<Option<(tempfile::NamedTempFile, PathBuf)>, Error> {
    let write_error = |source: io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let target = path.to_path_buf();
    let existing = match fs::symlink_metadata(&target) {
        Ok(meta) => Some(meta.permissions()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_error(e)),
    };
    let read_only = existing.as_ref().is_some_and(|p| p.readonly());
    if existing.is_some() {
        match crate::boundary::read(&target, crate::boundary::DOCUMENT_LIMIT) {
            Ok(old) if old == bytes => return Ok(None),
            Ok(_) | Err(crate::boundary::Error::TooLarge { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // A rename would replace a read-only file as easily as any other (and root ignores
    // modes): refuse, as an editor does, rather than overwrite what was made read-only.
    if read_only {
        return Err(write_error(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the file is read-only; make it writable to let dockerfile-lock change it",
        )));
    }
    let dir = parent_dir(&target);
    let mut builder = tempfile::Builder::new();
    let prefix = temp_prefix(&target);
    builder.prefix(&prefix).rand_bytes(6);
    #[cfg(unix)]
    if existing.is_none() {
        // A new file gets the usual 0666 less the umask, as any other editor would create it.
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(write_error)?;
    tmp.write_all(bytes).map_err(write_error)?;
    if let Some(perms) = existing {
        tmp.as_file().set_permissions(perms).map_err(write_error)?;
    }
    tmp.as_file().sync_all().map_err(write_error)?;
    Ok(Some((tmp, target)))
}

/// Take a shared lock on `dir` for as long as the returned file is open. When no other
/// run holds one (the exclusive lock is free), first remove the temp files that killed
/// runs left beside `targets`. A directory that cannot be opened or locked is written
/// without a lock, and not cleaned.
fn lock_dir(dir: &Path, targets: &[PathBuf]) -> Option<fs::File> {
    let handle = fs::File::open(dir).ok()?;
    if handle.try_lock().is_ok() {
        for target in targets {
            remove_stale_temp_files(target);
        }
    }
    // Turns the exclusive lock into a shared one, or waits for a cleaner to finish.
    handle.lock_shared().ok()?;
    Some(handle)
}

/// Remove `.NAME.tmp-*` files beside `target`: what a run killed between creating its temp
/// file and renaming it leaves behind. Failures are ignored; the next run tries again.
/// Call it only under the directory's exclusive lock (another run's files look the same).
fn remove_stale_temp_files(target: &Path) {
    let prefix = temp_prefix(target);
    let Ok(entries) = fs::read_dir(parent_dir(target)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let stale = name
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix) && n.len() > prefix.len());
        if stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// `.Dockerfile.lock.tmp-`: hidden, and obviously ours.
fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.tmp-")
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Make the rename itself durable. Not every platform can open a directory; that is fine.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_when_bytes_change() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile.lock");
        assert!(write_if_changed(&p, b"a\n").unwrap());
        assert!(!write_if_changed(&p, b"a\n").unwrap());
        assert!(write_if_changed(&p, b"b\n").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"b\n");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temp file is left behind");
    }

    #[test]
    fn stale_temp_files_are_removed_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile.lock");
        fs::write(dir.path().join(".Dockerfile.lock.tmp-Ab12Cd"), "x").unwrap();
        fs::write(dir.path().join(".other.lock.tmp-Ab12Cd"), "x").unwrap();
        write_if_changed(&p, b"a\n").unwrap();
        assert!(!dir.path().join(".Dockerfile.lock.tmp-Ab12Cd").exists());
        assert!(dir.path().join(".other.lock.tmp-Ab12Cd").exists());
    }

    #[test]
    fn a_read_only_file_is_refused_unless_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile.lock");
        fs::write(&p, "old").unwrap();
        let mut perms = fs::metadata(&p).unwrap().permissions();
        perms.set_readonly(true);
        fs::set_permissions(&p, perms).unwrap();
        assert!(!write_if_changed(&p, b"old").unwrap());
        let e = write_if_changed(&p, b"new").unwrap_err();
        assert!(e.to_string().contains("read-only"), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"old");
    }

    #[test]
    fn another_writers_temp_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("Dockerfile.lock");
        let theirs = dir.path().join(".Dockerfile.lock.tmp-Ab12Cd");
        fs::write(&theirs, "x").unwrap();
        // Another run, mid-write, holds the directory's shared lock.
        let other = fs::File::open(dir.path()).unwrap();
        other.lock_shared().unwrap();
        write_if_changed(&p, b"a\n").unwrap();
        assert!(theirs.exists(), "a live run's temp file is not stale");
        drop(other);
        write_if_changed(&p, b"b\n").unwrap();
        assert!(!theirs.exists(), "once no run holds the lock, it is");
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_kept_and_symlinks_are_refused_all_or_nothing() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.lock");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(write_if_changed(&p, b"new").unwrap());
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        // A link, even to a file beside it, is not written through nor replaced, and the
        // other file of the batch is not written either.
        let real = dir.path().join("real.lock");
        fs::write(&real, "old").unwrap();
        let link = dir.path().join("Dockerfile.lock");
        symlink("real.lock", &link).unwrap();
        let e = write_all_if_changed(&[(&p, b"newer"), (&link, b"new")]).unwrap_err();
        assert!(e.to_string().contains("Dockerfile.lock"), "{e}");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"old");
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }
}
