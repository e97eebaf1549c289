//! One boundary for every path the tool reads or writes: a file is read only when it is a
//! regular file inside the root it belongs to and no larger than a cap, and a file is
//! written only when it is not a symlink and its directory is inside its root.
//!
//! The tree `verify` reads may be a stranger's pull request: a symlink, an absolute path
//! or a `../` in it must not make the tool read a credentials file, `/proc`, a device or
//! a FIFO, nor write anywhere but the tree. The root of a path is the top of its git work
//! tree (the nearest directory above it with a `.git` entry, found without running git),
//! else its own directory; a command may narrow it with [`set_root`] (`-C DIR`,
//! `--recursive DIR`). Paths are compared once symlinks are resolved, so a link inside
//! the tree to a file inside the tree is fine.

use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::RwLock;

use crate::diagnostic::Diagnostic;

/// Cap on a Dockerfile, compose or bake file, or lock: far beyond any real one.
pub const DOCUMENT_LIMIT: u64 = 16 << 20;
/// Cap on a `.env` or `.dockerfile-lock.toml`.
pub const SMALL_LIMIT: u64 = 1 << 20;

/// Why a path was not read or written. Messages name the path as the tree or the command
/// line spelled it, never what it resolves to, and never quote its content.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("refusing to read {}: it leads outside the tree", path.display())]
    Outside { path: PathBuf, root: PathBuf },
    #[error("refusing to read {}: it is not a regular file", path.display())]
    NotAFile { path: PathBuf },
    #[error("refusing to read {}: it is larger than {}", path.display(), size(*limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("refusing to use {}: it is a symlink", path.display())]
    Symlink { path: PathBuf },
    #[error("refusing to write {}: it leads outside the tree", path.display())]
    WriteOutside { path: PathBuf, root: PathBuf },
    #[error("refusing to write {}: it is not a regular file", path.display())]
    WriteNotAFile { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl Error {
    /// The path the error is about, as given.
    pub fn path(&self) -> &Path {
        match self {
            Error::Outside { path, .. }
            | Error::NotAFile { path }
            | Error::TooLarge { path, .. }
            | Error::Symlink { path }
            | Error::WriteOutside { path, .. }
            | Error::WriteNotAFile { path }
            | Error::Io { path, .. } => path,
        }
    }

    /// Whether the file simply is not there (callers treat that as "none").
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    /// What the user can do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            Error::Outside { root, .. } | Error::WriteOutside { root, .. } => Some(format!(
                "every file read or written must be inside {}; a symlink or a path leading \
                 elsewhere is not followed",
                root.display()
            )),
            Error::NotAFile { .. } | Error::WriteNotAFile { .. } => {
                Some("only regular files are read and written (no FIFOs or devices)".into())
            }
            Error::TooLarge { .. } => Some("no real file of this kind is that large".into()),
            Error::Symlink { .. } => Some(
                "nothing is written through a symlink, and a lock is not read through one; \
                 replace the link with the file itself"
                    .into(),
            ),
            Error::Io { .. } => None,
        }
    }

    /// As the user sees it: the message, the path, the help.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::new(self.to_string()).at(self.path(), None);
        match self.help() {
            Some(h) => d.with_help(h),
            None => d,
        }
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The root a command narrowed every path to (`-C DIR`, `--recursive DIR`), canonical.
static ROOT: RwLock<Option<PathBuf>> = RwLock::new(None);

/// Narrow the root of every path below `dir` to `dir`. A path not below it keeps the
/// root of its own work tree (it was named on the command line).
pub fn set_root(dir: &Path) {
    if let (Ok(real), Ok(mut root)) = (fs::canonicalize(dir), ROOT.write()) {
        *root = Some(real);
    }
}

/// The canonical root `path` belongs to: the root set with [`set_root`] when `path` is
/// below it, else the top of its git work tree, else its directory.
pub fn root_of(path: &Path) -> PathBuf {
    let abs = lexical_absolute(path);
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone());
    if let Some(set) = ROOT.read().ok().and_then(|r| r.clone()) {
        if abs.starts_with(&set) || fs::canonicalize(&dir).is_ok_and(|d| d.starts_with(&set)) {
            return set;
        }
    }
    work_tree_of(path)
}

/// The canonical top of the git work tree `path` is in (the nearest directory above it
/// with a `.git` entry, found without running git), else its directory; [`set_root`]
/// plays no part.
pub fn work_tree_of(path: &Path) -> PathBuf {
    let abs = lexical_absolute(path);
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or(abs.clone());
    // Lexically upwards, so that a symlinked directory below the top is judged by where
    // it is, not by where it leads.
    let top = dir
        .ancestors()
        .find(|d| fs::symlink_metadata(d.join(".git")).is_ok())
        .unwrap_or(&dir)
        .to_path_buf();
    fs::canonicalize(&top).unwrap_or(top)
}

/// Where `path` leads, with symlinks resolved. Only its existing part is resolved; a path
/// that goes on with `..` below a part that does not exist cannot be judged, and is taken
/// to lead nowhere good.
fn resolve(path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    let mut rest = Vec::new();
    let mut existing = abs.as_path();
    let base = loop {
        match fs::canonicalize(existing) {
            Ok(real) => break real,
            Err(_) => {
                rest.push(existing.file_name()?.to_os_string());
                existing = existing.parent()?;
            }
        }
    };
    let mut out = base;
    for part in rest.iter().rev() {
        if part == ".." {
            return None;
        }
        out.push(part);
    }
    Some(out)
}

/// Whether `path` (symlinks resolved) is `root` or below it; `root` is canonical.
pub fn is_inside(path: &Path, root: &Path) -> bool {
    resolve(path).is_some_and(|real| real.starts_with(root))
}

/// `Ok` when `path` leads inside `root` (canonical), else [`Error::Outside`].
pub fn check_inside(path: &Path, root: &Path) -> Result<(), Error> {
    if is_inside(path, root) {
        Ok(())
    } else {
        Err(Error::Outside {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
        })
    }
}

/// Read `path`, a file the user named or one already found inside its root: a regular
/// file of at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let io_error = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO waits for a writer, a device may never end.
    let meta = fs::metadata(path).map_err(io_error)?;
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let too_large = || Error::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = fs::File::open(path).map_err(io_error)?;
    // The file opened may not be the one looked at (a swap in between): look again.
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len().min(limit) as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read`], after checking that `path` leads inside `root` (canonical).
pub fn read_inside(path: &Path, root: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    // A missing file is reported as missing, wherever it would have been.
    if fs::symlink_metadata(path).is_err() {
        return read(path, limit);
    }
    check_inside(path, root)?;
    read(path, limit)
}

/// [`read_inside`] for text: bytes that are not UTF-8 are an I/O error, as
/// `fs::read_to_string` has it.
pub fn read_text_inside(path: &Path, root: &Path, limit: u64) -> Result<String, Error> {
    let bytes = read_inside(path, root, limit)?;
    String::from_utf8(bytes).map_err(|_| Error::Io {
        path: path.to_path_buf(),
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })
}

/// Read a lock: never through a symlink, only a regular file inside its root, capped.
pub fn read_lock(path: &Path) -> Result<Vec<u8>, Error> {
    refuse_symlink(path)?;
    read_inside(path, &root_of(path), DOCUMENT_LIMIT)
}

/// `Err` when `path` itself is a symlink.
pub fn refuse_symlink(path: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Symlink {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Whether `path` may be written: not a symlink, not anything but a regular file when it
/// exists, and in a directory inside its root.
pub fn check_write(path: &Path) -> Result<(), Error> {
    refuse_symlink(path)?;
    if let Ok(m) = fs::symlink_metadata(path) {
        if !m.is_file() {
            return Err(Error::WriteNotAFile {
                path: path.to_path_buf(),
            });
        }
    }
    let root = root_of(path);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if is_inside(dir, &root) {
        Ok(())
    } else {
        Err(Error::WriteOutside {
            path: path.to_path_buf(),
            root,
        })
    }
}

/// Every build context and Dockerfile `project` names must lead inside `root`
/// (canonical): a compose or bake file in the tree says where to read, not what.
pub(crate) fn builds_inside(
    project: &crate::builds::Project,
    root: &Path,
) -> Result<(), crate::builds::Error> {
    for b in &project.builds {
        let dockerfile = match &b.dockerfile {
            crate::builds::DockerfileSource::Path(p) => Some(p),
            crate::builds::DockerfileSource::Inline(_) => None,
        };
        let what = if !is_inside(&b.context, root) {
            "build context"
        } else if dockerfile.is_some_and(|d| !is_inside(d, root)) {
            "Dockerfile"
        } else {
            continue;
        };
        return Err(crate::builds::Error::new(
            &b.path,
            b.line,
            format!(
                "refusing to read {:?}: its {what} leads outside the tree",
                b.owner
            ),
        )
        .with_help(format!(
            "a build must use a context and a Dockerfile inside {}",
            root.display()
        )));
    }
    Ok(())
}

/// An absolute path with `.` and `..` taken lexically, without touching the disk.
pub fn lexical_absolute(path: &Path) -> PathBuf {
    // An empty path (the parent of a bare file name) is the current directory.
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_work_tree_top_else_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let top = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir_all(top.join("repo/.git")).unwrap();
        fs::create_dir_all(top.join("repo/a/b")).unwrap();
        fs::create_dir_all(top.join("plain/c")).unwrap();
        assert_eq!(root_of(&top.join("repo/a/b/Dockerfile")), top.join("repo"));
        assert_eq!(
            root_of(&top.join("plain/c/Dockerfile")),
            top.join("plain/c")
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_are_fine_links_out_are_not() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let top = fs::canonicalize(dir.path()).unwrap();
        let root = top.join("repo");
        fs::create_dir_all(root.join("a")).unwrap();
        fs::create_dir_all(top.join("out")).unwrap();
        fs::write(root.join("a/real"), "x").unwrap();
        fs::write(top.join("out/secret"), "s").unwrap();
        symlink("real", root.join("a/in")).unwrap();
        symlink("../../out/secret", root.join("a/out")).unwrap();
        assert_eq!(read_inside(&root.join("a/in"), &root, 10).unwrap(), b"x");
        let e = read_inside(&root.join("a/out"), &root, 10).unwrap_err();
        assert!(matches!(e, Error::Outside { .. }), "{e}");
        assert!(!e.to_string().contains("secret\""), "{e}");
        assert!(is_inside(&root.join("a/new/file"), &root));
        assert!(!is_inside(&root.join("a/new/../../../out"), &root));
        assert!(matches!(
            read_lock(&root.join("a/in")),
            Err(Error::Symlink { .. })
        ));
        assert!(matches!(
            check_write(&root.join("a/in")),
            Err(Error::Symlink { .. })
        ));
    }

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        fs::write(&p, "12345").unwrap();
        assert_eq!(read(&p, 5).unwrap(), b"12345");
        let e = read(&p, 4).unwrap_err();
        assert!(matches!(e, Error::TooLarge { limit: 4, .. }), "{e}");
        assert!(matches!(read(dir.path(), 5), Err(Error::NotAFile { .. })));
        assert!(read(&dir.path().join("none"), 5)
            .unwrap_err()
            .is_not_found());
        #[cfg(target_os = "linux")]
        assert!(matches!(
            read(Path::new("/dev/zero"), 5),
            Err(Error::NotAFile { .. })
        ));
        assert_eq!(
            Error::TooLarge {
                path: p,
                limit: DOCUMENT_LIMIT
            }
            .to_string()
            .rsplit(' ')
            .next(),
            Some("MiB")
        );
    }
}
