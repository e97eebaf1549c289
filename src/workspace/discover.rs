//! Which files `--recursive` takes: every file git tracks below the root, hidden
//! directories and `.gitignore`d paths included, plus untracked files git does not ignore
//! (outside a repository: every file `.gitignore` does not exclude), whose name is a
//! Dockerfile, Containerfile, compose file (variants such as `compose.prod.yaml`
//! included) or bake file, or that is a dev container configuration
//! (`.devcontainer/devcontainer.json`, `.devcontainer.json`,
//! `.devcontainer/<name>/devcontainer.json`), a GitHub Actions workflow
//! (`.github/workflows/*.yml`) or an action's `action.yml`; minus `--exclude` globs. Inside a
//! repository git's list is the only one: when git cannot give it, that is an error,
//! never a quiet switch to the walk (which would skip tracked files under ignored paths).

use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::paths::link_inside;
use crate::diagnostic::{Diagnostic, Failure};
use crate::gitcmd;
use crate::{bake, compose, devcontainer, workflows};

/// How long git may take to list a repository's files.
const LIST_TIMEOUT: Duration = Duration::from_secs(120);
/// The most `git ls-files` may print (NUL-separated names).
const LIST_MAX_BYTES: usize = 256 << 20;

/// What a found file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Dockerfile,
    Compose,
    Bake,
    /// A dev container configuration (`devcontainer.json`).
    Devcontainer,
    /// A GitHub Actions workflow.
    Workflow,
    /// A GitHub action's metadata (`action.yml`).
    Action,
}

/// A file `--recursive` works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub kind: FileKind,
}

/// Suffixes that make `Dockerfile.<suffix>` documentation, a backup, an editor's file or
/// this tool's own, not a Dockerfile.
const NOT_DOCKERFILE: [&str; 10] = [
    ".md",
    ".txt",
    ".orig",
    ".bak",
    ".rej",
    ".swp",
    "~",
    ".lock",
    ".dockerignore",
    ".rego",
];

/// The kind of file a name is, if `--recursive` takes it. Override files are not listed:
/// they are read with the file they override.
pub fn kind_of(name: &str) -> Option<FileKind> {
    if compose::is_compose_name(name) {
        return (!compose::is_override_name(name)).then_some(FileKind::Compose);
    }
    if compose::is_variant_name(name) {
        return Some(FileKind::Compose);
    }
    if bake::is_bake_name(name) {
        return (!bake::is_override_name(name)).then_some(FileKind::Bake);
    }
    if devcontainer::is_devcontainer_name(name) {
        return Some(FileKind::Devcontainer);
    }
    if workflows::is_action_name(name) {
        return Some(FileKind::Action);
    }
    is_dockerfile_name(name).then_some(FileKind::Dockerfile)
}

/// The kind of file a path below the root is, if `--recursive` takes it: as [`kind_of`]
/// names it, where a workflow is known by its directory and a `devcontainer.json` counts
/// only where the dev container specification looks for one.
pub fn kind_at(rel: &Path) -> Option<FileKind> {
    if workflows::is_workflow_path(rel) {
        return Some(FileKind::Workflow);
    }
    // A name that is not UTF-8 is judged by its readable part, not dropped.
    let name = rel.file_name()?.to_string_lossy();
    match kind_of(&name)? {
        FileKind::Devcontainer => {
            devcontainer::is_devcontainer_path(rel).then_some(FileKind::Devcontainer)
        }
        kind => Some(kind),
    }
}

/// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `*.Containerfile`, `Dockerfile.<suffix>`,
/// `Containerfile.<suffix>`; never documentation, backups, locks or temp files.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if NOT_DOCKERFILE.iter().any(|s| lower.ends_with(s)) || name.contains(".lock.tmp-") {
        return false;
    }
    ["Dockerfile", "Containerfile"].iter().any(|base| {
        name == *base
            || (name.len() > base.len() + 1
                && (name.ends_with(&format!(".{base}")) || name.starts_with(&format!("{base}."))))
    })
}

/// Compiled `--exclude` globs, matched against the path below the root and each of its
/// directories (so `vendor` or `vendor/**` excludes everything in it).
pub struct Excludes(GlobSet);

impl Excludes {
    pub fn new(globs: &[String]) -> Result<Excludes, Diagnostic> {
        let mut set = GlobSetBuilder::new();
        for g in globs {
            let glob = GlobBuilder::new(g.trim_end_matches('/'))
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    Diagnostic::new(format!("invalid --exclude glob {g:?}: {e}"))
                        .with_help("globs are matched against paths below the root, e.g. `vendor/**` or `**/testdata/**`")
                })?;
            set.add(glob);
        }
        set.build()
            .map(Excludes)
            .map_err(|e| Diagnostic::new(format!("invalid --exclude globs: {e}")))
    }

    pub fn matches(&self, relative: &Path) -> bool {
        if self.0.is_empty() {
            return false;
        }
        relative
            .ancestors()
            .any(|p| !p.as_os_str().is_empty() && self.0.is_match(p))
    }
}

/// The files below `root`, sorted by path, as paths that start at `root`. A found file
/// that is a symlink leading outside `root` (or to something not a file) is an error: a
/// tree anyone can change (a pull request) must not make the tool read files elsewhere.
pub fn find(root: &Path, excludes: &Excludes) -> Result<Vec<Found>, Failure> {
    let relative = match git_files(root)? {
        Some(files) => files,
        None => walked_files(root)?,
    };
    let real_root = std::fs::canonicalize(root)
        .map_err(|e| Diagnostic::new(format!("cannot search {}: {e}", root.display())))?;
    let mut escapes = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    for rel in relative {
        if excludes.matches(&rel) {
            continue;
        }
        let Some(kind) = kind_at(&rel) else {
            continue;
        };
        let path = join(root, &rel);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            // Tracked but deleted from the work tree: not a file to read.
            continue;
        };
        if meta.file_type().is_symlink() {
            if let Err(d) = link_inside(&path, &real_root, root) {
                escapes.push(d);
                continue;
            }
        } else if !meta.is_file() {
            // A submodule or a directory with a file's name.
            continue;
        }
        found.push(Found { path, kind });
    }
    if !escapes.is_empty() {
        return Err(Failure(escapes));
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup();
    Ok(found)
}

/// Locks below `root` (`X.lock` for a name `--recursive` takes), to find those whose file
/// is gone.
pub fn find_locks(root: &Path, excludes: &Excludes) -> Result<Vec<PathBuf>, Diagnostic> {
    let relative = match git_files(root)? {
        Some(files) => files,
        None => walked_files(root)?,
    };
    let mut locks: Vec<PathBuf> = relative
        .into_iter()
        .filter(|rel| !excludes.matches(rel))
        .filter(|rel| {
            rel.to_str()
                .and_then(|r| r.strip_suffix(".lock"))
                .is_some_and(|subject| kind_at(Path::new(subject)).is_some())
        })
        .map(|rel| join(root, &rel))
        .filter(|p| p.is_file())
        .collect();
    locks.sort();
    locks.dedup();
    Ok(locks)
}

fn join(root: &Path, rel: &Path) -> PathBuf {
    if root == Path::new(".") {
        rel.to_path_buf()
    } else {
        root.join(rel)
    }
}

/// Tracked files and untracked files git does not ignore, relative to `root`; `None`
/// outside a git work tree or without git. The repository is found without letting git
/// look inside the tree ([`gitcmd::repository_of`]) and named to git explicitly.
fn git_files(root: &Path) -> Result<Option<Vec<PathBuf>>, Diagnostic> {
    let repo = gitcmd::repository_of(root, LIST_TIMEOUT).map_err(|e| {
        Diagnostic::new(e.to_string()).with_help(
            "--recursive lists files with git inside a repository; fix what git reports \
             (for a repository another user owns, see `git help config`, safe.directory)",
        )
    })?;
    let Some(repo) = repo else {
        return Ok(None);
    };
    let cwd = std::fs::canonicalize(root)
        .map_err(|e| Diagnostic::new(format!("cannot search {}: {e}", root.display())))?;
    let mut cmd = gitcmd::in_repo(&repo, &cwd);
    cmd.args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]);
    let out = gitcmd::run(cmd, "ls-files", LIST_TIMEOUT, LIST_MAX_BYTES).map_err(|e| {
        Diagnostic::new(format!(
            "cannot list the files below {}: {e}",
            root.display()
        ))
    })?;
    if !out.status.success() {
        return Err(Diagnostic::new(format!(
            "git cannot list the files below {}: {}",
            root.display(),
            out.complaint()
        ))
        .with_help("--recursive lists files with git inside a repository; fix what git reports"));
    }
    Ok(Some(
        out.stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(gitcmd::path_from_bytes)
            .collect(),
    ))
}

/// Outside git: every file below `root` that `.gitignore` files do not exclude, hidden
/// ones included, `.git` skipped.
fn walked_files(root: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        let entry =
            entry.map_err(|e| Diagnostic::new(format!("cannot search {}: {e}", root.display())))?;
        if entry.file_type().is_some_and(|t| !t.is_dir()) {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            files.push(rel.to_path_buf());
        }
    }
    Ok(files)
}

/// What a file named on the command line is: as [`kind_of`] names it, and any other YAML
/// file is read as compose (`docker-compose-mysql.yml`, `stack.yaml`), whatever its name,
/// as `docker compose -f` reads it; the rest are Dockerfiles.
pub fn kind_of_path(path: &Path) -> FileKind {
    if workflows::is_workflow_path(path) {
        return FileKind::Workflow;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if let Some(kind) = kind_of(&name) {
        return kind;
    }
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        return FileKind::Compose;
    }
    FileKind::Dockerfile
}

/// Whether a path names a file that is read as a project (compose, bake, dev container,
/// workflow or action), not a Dockerfile.
pub fn is_project(path: &Path) -> bool {
    kind_of_path(path) != FileKind::Dockerfile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for yes in [
            "Dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "web.Containerfile",
            "Dockerfile.dev",
            "Containerfile.prod",
        ] {
            assert_eq!(kind_of(yes), Some(FileKind::Dockerfile), "{yes}");
        }
        for no in [
            "Dockerfile.md",
            "Dockerfile.txt",
            "Dockerfile.orig",
            "Dockerfile.lock",
            "Dockerfile.lock.bak",
            "Dockerfile.rej",
            "Dockerfile.swp",
            "Dockerfile~",
            "Dockerfile.dockerignore",
            "Dockerfile.rego",
            "api.Dockerfile.lock",
            "Dockerfile.lock.tmp-1234",
            ".Dockerfile",
            "Dockerfile.",
            "Dockerfiles",
            "README.md",
            "compose.override.yaml",
            "docker-bake.override.hcl",
            "compose.yaml.lock",
        ] {
            assert_eq!(kind_of(no), None, "{no}");
        }
        assert_eq!(kind_of("docker-compose.yml"), Some(FileKind::Compose));
        for variant in [
            "compose.prod.yaml",
            "compose.full.yml",
            "docker-compose.dev.yml",
            "docker-compose.ci.yaml",
        ] {
            assert_eq!(kind_of(variant), Some(FileKind::Compose), "{variant}");
        }
        for not in [
            "compose..yaml",
            "compose.yaml.bak",
            "docker-compose-mysql.yml",
        ] {
            assert_eq!(kind_of(not), None, "{not}");
        }
        for named in [
            "docker-compose-mysql.yml",
            "stack.yaml",
            "compose.override.yml",
        ] {
            assert_eq!(kind_of_path(Path::new(named)), FileKind::Compose, "{named}");
        }
        assert_eq!(
            kind_of_path(Path::new("Dockerfile.yaml")),
            FileKind::Dockerfile
        );
        assert_eq!(kind_of_path(Path::new("build/app")), FileKind::Dockerfile);
        assert_eq!(kind_of("docker-bake.hcl"), Some(FileKind::Bake));
        assert_eq!(kind_of("docker-bake.json"), Some(FileKind::Bake));
    }

    #[test]
    fn paths_of_devcontainers_workflows_and_actions() {
        for (rel, kind) in [
            (
                ".devcontainer/devcontainer.json",
                Some(FileKind::Devcontainer),
            ),
            (
                ".devcontainer/go/devcontainer.json",
                Some(FileKind::Devcontainer),
            ),
            ("svc/.devcontainer.json", Some(FileKind::Devcontainer)),
            ("docs/devcontainer.json", None),
            (".github/workflows/ci.yml", Some(FileKind::Workflow)),
            (".github/workflows/compose.yaml", Some(FileKind::Workflow)),
            (".github/workflows/ci.yml.lock", None),
            (".github/ci.yml", None),
            ("tools/act/action.yaml", Some(FileKind::Action)),
            ("compose.yaml", Some(FileKind::Compose)),
        ] {
            assert_eq!(kind_at(Path::new(rel)), kind, "{rel}");
        }
        assert_eq!(
            kind_of_path(Path::new(".github/workflows/release.yaml")),
            FileKind::Workflow
        );
        assert_eq!(
            kind_of_path(Path::new("devcontainer.json")),
            FileKind::Devcontainer
        );
    }

    fn write(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "FROM scratch\n").unwrap();
    }

    fn git(root: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    fn names(found: &[Found], root: &Path) -> Vec<String> {
        found
            .iter()
            .map(|f| f.path.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn in_git_takes_tracked_files_even_when_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        for f in [
            "Dockerfile",
            ".devcontainer/Dockerfile",
            ".github/ci/Dockerfile",
            "svc/Containerfile",
            "build/Dockerfile",
            "notes/Dockerfile.md",
            "compose.yaml",
            "compose.override.yaml",
            "docker-bake.hcl",
            "vendor/x/Dockerfile",
        ] {
            write(root, f);
        }
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        git(root, &["add", "."]);
        git(root, &["add", "-f", "build/Dockerfile"]);
        write(root, "build/untracked/Dockerfile");
        write(root, "new/Dockerfile");
        let excludes = Excludes::new(&["vendor".to_string()]).unwrap();
        let found = find(root, &excludes).unwrap();
        assert_eq!(
            names(&found, root),
            [
                ".devcontainer/Dockerfile",
                ".github/ci/Dockerfile",
                "Dockerfile",
                "build/Dockerfile",
                "compose.yaml",
                "docker-bake.hcl",
                "new/Dockerfile",
                "svc/Containerfile",
            ]
        );
        // A tracked file deleted from the work tree is not found, its lock is.
        std::fs::write(root.join("svc/Containerfile.lock"), "").unwrap();
        std::fs::remove_file(root.join("svc/Containerfile")).unwrap();
        let found = find(root, &excludes).unwrap();
        assert!(!names(&found, root).contains(&"svc/Containerfile".to_string()));
        let locks = find_locks(root, &excludes).unwrap();
        assert_eq!(locks, [root.join("svc/Containerfile.lock")]);
    }

    #[test]
    fn outside_git_walks_hidden_directories_and_honours_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            ".devcontainer/Dockerfile",
            "ignored/Dockerfile",
            "a/b.Dockerfile",
        ] {
            write(root, f);
        }
        std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
        let found = find(root, &Excludes::new(&[]).unwrap()).unwrap();
        assert_eq!(
            names(&found, root),
            [".devcontainer/Dockerfile", "a/b.Dockerfile"]
        );
        let found = find(root, &Excludes::new(&["**/*.Dockerfile".into()]).unwrap()).unwrap();
        assert_eq!(names(&found, root), [".devcontainer/Dockerfile"]);
    }

    #[test]
    fn a_bad_glob_is_an_error() {
        assert!(Excludes::new(&["a[".into()]).is_err());
    }
}
