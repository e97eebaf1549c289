//! Where things are in the workspace: a Dockerfile and its lock ([`Target`]), the lock path
//! of a Dockerfile and back, the Dockerfile a directory names, the path a lock records,
//! the one way paths are shown (relative to the current directory, or to the repository
//! for GitHub), the refusal of a symlink leading out of the tree, and the messages for a
//! missing Dockerfile or lock.

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
    let dockerfile = dockerfile_in(dir);
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
    relative_parts(lock.parent().unwrap_or(Path::new("")), dockerfile).join("/")
}

/// The steps from directory `base` to `path`, both made absolute lexically.
fn relative_parts(base: &Path, path: &Path) -> Vec<String> {
    let base = crate::boundary::lexical_absolute(base);
    let target = crate::boundary::lexical_absolute(path);
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
    parts
}

/// A path as every command shows and uses it: relative to the current directory, with no
/// `.` or `dir/..` steps (`services/web/../../compose.yaml` is `compose.yaml`; run in
/// `services/web`, `../../services/web/Dockerfile` is `Dockerfile`). An absolute path
/// stays absolute, cleaned. Where a symlinked directory makes the short path name another
/// file, the path stays as it is.
pub fn shown(path: &Path) -> PathBuf {
    if path.as_os_str().is_empty() || path == Path::new("-") {
        return path.to_path_buf();
    }
    let short = if path.is_absolute() {
        crate::boundary::lexical_absolute(path)
    } else {
        let parts = relative_parts(Path::new("."), path);
        match parts.is_empty() {
            true => PathBuf::from("."),
            false => parts.iter().collect(),
        }
    };
    if short == path || same_file(path, &short) {
        short
    } else {
        path.to_path_buf()
    }
}

/// [`shown`], once per path: a compose file's uses name few files many times.
#[derive(Debug, Default)]
pub struct Shown(std::collections::HashMap<PathBuf, PathBuf>);

impl Shown {
    pub fn of(&mut self, path: &Path) -> PathBuf {
        self.0
            .entry(path.to_path_buf())
            .or_insert_with(|| shown(path))
            .clone()
    }
}

/// A diagnostic with its file as [`shown`] gives it.
pub fn shown_at(mut d: Diagnostic) -> Diagnostic {
    d.path = d.path.map(|p| shown(&p));
    d
}

/// A path as GitHub's annotations (`::error file=…`) need it: relative to the top of the
/// repository (the nearest directory above with `.git`), whatever directory the step ran
/// in, `/`-separated; outside a repository, as [`shown`] gives it.
pub fn from_repository_root(path: &Path) -> PathBuf {
    let abs = crate::boundary::lexical_absolute(path);
    let top = abs
        .ancestors()
        .skip(1)
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok());
    match top.and_then(|top| abs.strip_prefix(top).ok()) {
        Some(rel) if same_file(path, &abs) => rel.to_path_buf(),
        _ => shown(path),
    }
}

/// Whether two spellings of a path lead to the same place: the same file when it exists,
/// else the same name in the same directory.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        (Err(_), Err(_)) => {
            let dir = |p: &Path| {
                let d = p.parent().filter(|d| !d.as_os_str().is_empty());
                std::fs::canonicalize(d.unwrap_or(Path::new("."))).ok()
            };
            a.file_name() == b.file_name() && dir(a) == dir(b)
        }
        _ => false,
    }
}

/// The Dockerfile a directory names, as `docker build DIR` (its `Dockerfile`) and
/// `podman build DIR` (its `Containerfile`) read it: the `Dockerfile`, else the
/// `Containerfile`; `DIR/Dockerfile` when it has neither, for the message that says so.
pub fn dockerfile_in(dir: &Path) -> PathBuf {
    let join = |name: &str| match dir.as_os_str() == "." {
        true => PathBuf::from(name),
        false => dir.join(name),
    };
    let dockerfile = join("Dockerfile");
    let containerfile = join("Containerfile");
    if std::fs::symlink_metadata(&dockerfile).is_err()
        && std::fs::symlink_metadata(&containerfile).is_ok()
    {
        return containerfile;
    }
    dockerfile
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
    fn shown_paths_are_short_and_name_the_same_file() {
        assert_eq!(
            shown(Path::new("src/../Cargo.toml")),
            Path::new("Cargo.toml")
        );
        assert_eq!(shown(Path::new("./src/lib.rs")), Path::new("src/lib.rs"));
        assert_eq!(shown(Path::new("src/..")), Path::new("."));
        assert_eq!(shown(Path::new("-")), Path::new("-"));
        let here = std::env::current_dir().unwrap();
        let name = here.file_name().unwrap().to_str().unwrap();
        assert_eq!(
            shown(&Path::new("..").join(name).join("src/../Cargo.toml")),
            Path::new("Cargo.toml")
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        let abs = dir.path().join("a/../Dockerfile");
        assert_eq!(shown(&abs), dir.path().join("Dockerfile"));
        // Through a symlinked directory, `link/..` is not the directory holding `link`.
        std::fs::create_dir_all(dir.path().join("x/y")).unwrap();
        std::fs::write(dir.path().join("x/compose.yaml"), "").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("x/y"), dir.path().join("link")).unwrap();
            let through = dir.path().join("link/../compose.yaml");
            assert_eq!(shown(&through), through);
        }
    }

    #[test]
    fn annotations_are_relative_to_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::create_dir_all(dir.path().join("services/web")).unwrap();
        let p = dir.path().join("services/web/../../compose.yaml");
        assert_eq!(from_repository_root(&p), Path::new("compose.yaml"));
        let p = dir.path().join("services/web/Dockerfile");
        assert_eq!(
            from_repository_root(&p),
            Path::new("services/web/Dockerfile")
        );
    }

    #[test]
    fn a_directory_names_its_dockerfile_else_its_containerfile() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(dockerfile_in(d), d.join("Dockerfile"));
        std::fs::write(d.join("Containerfile"), "").unwrap();
        assert_eq!(dockerfile_in(d), d.join("Containerfile"));
        std::fs::write(d.join("Dockerfile"), "").unwrap();
        assert_eq!(dockerfile_in(d), d.join("Dockerfile"));
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
