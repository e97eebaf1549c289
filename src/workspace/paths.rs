//! Where things are in the workspace: a Dockerfile and its lock ([`Target`]), the lock path
//! of a Dockerfile and back, the path a lock records, the refusal of a symlink leading out
//! of the tree, and the messages for a missing Dockerfile or lock.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::lockfile::{self, Lock};

/// One Dockerfile and the lock that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub dockerfile: PathBuf,
    pub lock: PathBuf,
}

/// `Dockerfile` → `Dockerfile.lock`, `api.Dockerfile` → `api.Dockerfile.lock`.
pub fn lock_path(dockerfile: &Path) -> PathBuf {
    let mut s = dockerfile.as_os_str().to_os_string();
    s.push(".lock");
    PathBuf::from(s)
}

/// A lock path names its Dockerfile (`X.lock` → `X`), so a hook can pass either.
pub fn dockerfile_of(path: &Path) -> PathBuf {
    match path.to_str().and_then(|s| s.strip_suffix(".lock")) {
        Some(stem) if !stem.is_empty() && !stem.ends_with('/') => PathBuf::from(stem),
        _ => path.to_path_buf(),
    }
}

/// The one message for a Dockerfile that is not there, whichever command looked for it.
pub fn no_dockerfile(path: &Path) -> Diagnostic {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let message = match dir {
        _ if path.file_name() != Some("Dockerfile".as_ref()) => {
            format!("no Dockerfile at {}", path.display())
        }
        Some(dir) if dir.is_dir() => format!("no Dockerfile in {}", dir.display()),
        Some(_) => format!("no Dockerfile at {}", path.display()),
        None => "no Dockerfile in the current directory".into(),
    };
    Diagnostic::new(message).with_help(
        "name a Dockerfile (or a directory holding one), or use --recursive to find every \
         Dockerfile below the current directory",
    )
}

/// The one message for a Dockerfile without its lock, for the commands that need one.
pub fn no_lock(target: &Target) -> Diagnostic {
    Diagnostic::new(format!(
        "{} has no lock ({})",
        target.dockerfile.display(),
        target.lock.display()
    ))
    .with_help(format!(
        "run `dockerfile-lock generate {}` to create it",
        target.dockerfile.display()
    ))
}

/// The refusal for the `Dockerfile` in directory `dir` when it is a symlink leading out
/// of `dir`; `None` when `dir` is no directory or its Dockerfile is not such a link.
pub(crate) fn escape_of(dir: &Path) -> Option<Diagnostic> {
    if !dir.is_dir() {
        return None;
    }
    let dockerfile = match dir.as_os_str() == "." {
        true => PathBuf::from("Dockerfile"),
        false => dir.join("Dockerfile"),
    };
    let meta = std::fs::symlink_metadata(&dockerfile).ok()?;
    let real = std::fs::canonicalize(dir).ok()?;
    meta.file_type().is_symlink().then_some(())?;
    link_inside(&dockerfile, &real, dir).err()
}

/// A symlinked Dockerfile is read only when it resolves to a file inside the tree.
pub(crate) fn link_inside(link: &Path, real_root: &Path, root: &Path) -> Result<(), Diagnostic> {
    let refuse = |why: String| {
        Diagnostic::new(format!(
            "refusing to read {}: it is a symlink {why}",
            link.display()
        ))
        .at(link, None)
        .with_help(format!(
            "a Dockerfile found below {} must be a file inside it; name the file itself \
             to use it",
            root.display()
        ))
    };
    match std::fs::canonicalize(link) {
        Ok(target) if target.starts_with(real_root) && target.is_file() => Ok(()),
        Ok(target) if target.starts_with(real_root) => {
            Err(refuse("to something not a file".into()))
        }
        Ok(_) if root == Path::new(".") => {
            Err(refuse("leading outside the current directory".into()))
        }
        Ok(_) => Err(refuse(format!("leading outside {}", root.display()))),
        Err(e) => Err(refuse(format!("that cannot be followed ({e})"))),
    }
}

/// The Dockerfile's path as the lock records it: relative to the lock's directory,
/// `/`-separated, so the lock says nothing about the machine that wrote it.
pub fn relative_dockerfile(lock: &Path, dockerfile: &Path) -> String {
    let base = crate::boundary::lexical_absolute(lock.parent().unwrap_or(Path::new("")));
    let target = crate::boundary::lexical_absolute(dockerfile);
    let common = base
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = base
        .components()
        .skip(common)
        .map(|_| "..".into())
        .collect();
    parts.extend(
        target
            .components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// A lock is required (`rewrite`, `update`, `export`): pins come from the lock, never
/// from the network.
pub fn read_lock(target: &Target) -> Result<Lock, Diagnostic> {
    match lockfile::read(&target.lock) {
        Ok(Some(lock)) => Ok(lock),
        Ok(None) => Err(no_lock(target)),
        Err(e) => Err(e.to_diagnostic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_paths() {
        assert_eq!(
            lock_path(Path::new("a/Dockerfile")),
            Path::new("a/Dockerfile.lock")
        );
        assert_eq!(
            dockerfile_of(Path::new("a/x.Dockerfile.lock")),
            Path::new("a/x.Dockerfile")
        );
        assert_eq!(
            dockerfile_of(Path::new("Dockerfile")),
            Path::new("Dockerfile")
        );
        assert_eq!(dockerfile_of(Path::new(".lock")), Path::new(".lock"));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_dockerfile(Path::new("Dockerfile.lock"), Path::new("Dockerfile")),
            "Dockerfile"
        );
        assert_eq!(
            relative_dockerfile(Path::new("a/b.lock"), Path::new("a/./b")),
            "b"
        );
        assert_eq!(
            relative_dockerfile(Path::new("locks/x.lock"), Path::new("app/Dockerfile")),
            "../app/Dockerfile"
        );
    }
}
