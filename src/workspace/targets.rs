//! What the lock commands share: which Dockerfiles to work on, where their locks are,
//! reading a Dockerfile into an [`Analysis`], and build options from the command line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::builds::Env;
use crate::cli::{BuildArgs, ScanArgs};
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::{self, Analysis, BuildOptions};
use crate::lockfile::Lock;
use crate::platform::Platform;
use crate::workspace::scan::{self as repo, Scan};

/// One Dockerfile and the lock that belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub dockerfile: PathBuf,
    pub lock: PathBuf,
}

/// The files a command works on: those named (a lock `X.lock` names `X`, a directory its
/// `Dockerfile`), those found with `--recursive`, or `./Dockerfile`. Each appears once, in
/// the order given.
pub fn targets(
    files: &[PathBuf],
    scan: &ScanArgs,
    lockfile: Option<&Path>,
    env: &Env,
) -> Result<Vec<Target>, Failure> {
    Ok(select(files, scan, lockfile, env)?.targets)
}

/// As [`targets`], with the orphan locks a `--recursive` scan finds.
pub fn select(
    files: &[PathBuf],
    scan: &ScanArgs,
    lockfile: Option<&Path>,
    env: &Env,
) -> Result<Scan, Failure> {
    // `--recursive DIR` bounds every path read or written below it to DIR.
    if let Some(root) = &scan.recursive {
        crate::boundary::set_root(root);
    }
    select_in(files, scan, lockfile, env)
}

fn select_in(
    files: &[PathBuf],
    scan: &ScanArgs,
    lockfile: Option<&Path>,
    env: &Env,
) -> Result<Scan, Failure> {
    // With no file named, the current directory is the project: when it holds a compose
    // or bake file, that file (with the Dockerfiles it builds) and the Dockerfiles it does
    // not build are what `docker compose` and `docker buildx bake` here would use.
    if files.is_empty() && scan.recursive.is_none() && has_project_file(Path::new(".")) {
        let here = ScanArgs {
            recursive: Some(PathBuf::from(".")),
            exclude: vec!["*/**".into()],
        };
        return select_in(files, &here, lockfile, env);
    }
    let mut orphans = Vec::new();
    let dockerfiles = if let Some(root) = &scan.recursive {
        let config = crate::config::load(root)?;
        let found = repo::scan(&crate::compose::clean(root), &config, &scan.exclude, env)?;
        orphans = found.orphans;
        if lockfile.is_some() && found.targets.len() != 1 {
            return Err(Diagnostic::new("--lockfile needs exactly one Dockerfile")
                .with_help("name one Dockerfile, or drop --lockfile to use `<Dockerfile>.lock`")
                .into());
        }
        return Ok(Scan {
            targets: found.targets,
            orphans,
        });
    } else {
        let default = [PathBuf::from("Dockerfile")];
        let named = if files.is_empty() {
            &default[..]
        } else {
            files
        };
        // A directory's Dockerfile follows the rule of a recursive search: a symlink in
        // it must not lead out of the directory. So does `./Dockerfile` when none is named.
        let here = [PathBuf::from(".")];
        let dirs = if files.is_empty() { &here[..] } else { files };
        let escapes: Vec<Diagnostic> = dirs.iter().filter_map(|d| escape_of(d)).collect();
        if !escapes.is_empty() {
            return Err(Failure(escapes));
        }
        let mut seen = BTreeSet::new();
        let dockerfiles: Vec<PathBuf> = named
            .iter()
            .map(|f| dockerfile_arg(f))
            .map(|f| built_by(&f, env).unwrap_or(f))
            .filter(|f| seen.insert(f.clone()))
            .collect();
        if lockfile.is_some() && dockerfiles.len() != 1 {
            return Err(Diagnostic::new("--lockfile needs exactly one Dockerfile")
                .with_help("name one Dockerfile, or drop --lockfile to use `<Dockerfile>.lock`")
                .into());
        }
        // A lock whose Dockerfile is gone is still a target (verify reports it).
        let missing: Vec<Diagnostic> = dockerfiles
            .iter()
            .filter(|f| !f.exists() && !lock_path(f).exists())
            .map(|f| no_dockerfile(f))
            .collect();
        if !missing.is_empty() {
            return Err(Failure(missing));
        }
        dockerfiles
    };
    if lockfile.is_some() && dockerfiles.len() != 1 {
        return Err(Diagnostic::new("--lockfile needs exactly one Dockerfile")
            .with_help("name one Dockerfile, or drop --lockfile to use `<Dockerfile>.lock`")
            .into());
    }
    let targets = dockerfiles
        .into_iter()
        .map(|dockerfile| Target {
            lock: match lockfile {
                Some(l) => l.to_path_buf(),
                None => lock_path(&dockerfile),
            },
            dockerfile,
        })
        .collect();
    Ok(Scan { targets, orphans })
}

/// The environment compose and bake interpolation see: `--env` over the process's.
pub fn env(build: &BuildArgs) -> Result<Env, Diagnostic> {
    Ok(Env::from_process(repo::parse_env(&build.env)?))
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

/// The compose or bake file that builds `dockerfile`, when the Dockerfile has no lock of
/// its own: it is locked through that file, so naming it (as a pre-commit hook or an
/// editor does) means that file. Looked for beside the Dockerfile and in the directories
/// above it, up to the repository's root (the one with `.git`). A file that cannot be
/// read changes nothing here; its errors come when it is read for real.
fn built_by(dockerfile: &Path, env: &Env) -> Option<PathBuf> {
    if lock_path(dockerfile).exists() || crate::workspace::project::is_project(dockerfile) {
        return None;
    }
    let me = std::fs::canonicalize(dockerfile).ok()?;
    // Not above the tree: a compose file there is not the tree's.
    let root = crate::boundary::root_of(dockerfile);
    let mut dir = dockerfile.parent().unwrap_or(Path::new("")).to_path_buf();
    for _ in 0..16 {
        let listed = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.clone()
        };
        if !crate::boundary::is_inside(&listed, &root) {
            return None;
        }
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(&listed)
            .ok()?
            .flatten()
            .map(|e| dir.join(e.file_name()))
            .collect();
        candidates.sort();
        let found = candidates.into_iter().find(|candidate| {
            let Some(kind) = candidate
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(crate::workspace::discover::kind_of)
                .filter(|k| *k != crate::workspace::discover::FileKind::Dockerfile)
            else {
                return false;
            };
            crate::workspace::project::load(candidate, kind, env).is_ok_and(|p| {
                p.builds.iter().any(|b| {
                    matches!(&b.dockerfile, crate::builds::DockerfileSource::Path(d)
                        if std::fs::canonicalize(d).is_ok_and(|d| d == me))
                })
            })
        });
        if found.is_some() || listed.join(".git").exists() {
            return found;
        }
        std::fs::canonicalize(&listed).ok()?.parent()?;
        dir = if dir.as_os_str().is_empty() {
            PathBuf::from("..")
        } else {
            dir.join("..")
        };
    }
    None
}

/// Whether `dir` itself (not below it) holds a compose or bake file.
fn has_project_file(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        (crate::compose::is_compose_name(&name) || crate::bake::is_bake_name(&name))
            && e.file_type().is_ok_and(|t| t.is_file())
    })
}

/// The Dockerfile a path on the command line names: a directory means the `Dockerfile` in
/// it, as `docker build DIR` reads it, and a lock `X.lock` means `X`.
pub fn dockerfile_arg(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.join("Dockerfile");
    }
    let path = dockerfile_of(path);
    // An override file (a pre-commit hook passes whichever file changed) is read with,
    // and locked in, the file it overrides: name that one.
    base_of_override(&path).unwrap_or(path)
}

/// `compose.override.yaml` → the compose file beside it, `docker-bake.override.hcl` → the
/// bake file beside it, when there is one.
fn base_of_override(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let bases: &[&str] = if crate::compose::is_override_name(name) {
        &[
            "compose.yaml",
            "compose.yml",
            "docker-compose.yaml",
            "docker-compose.yml",
        ]
    } else if crate::bake::is_override_name(name) {
        &["docker-bake.hcl", "docker-bake.json"]
    } else {
        return None;
    };
    bases.iter().map(|b| dir.join(b)).find(|p| p.is_file())
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

/// Read and analyze a Dockerfile; errors name the file and line.
pub fn read_dockerfile(
    path: &Path,
    options: &BuildOptions,
) -> Result<(Vec<u8>, Analysis), Diagnostic> {
    let source = crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT).map_err(|e| {
        if e.is_not_found() {
            no_dockerfile(path)
        } else {
            e.to_diagnostic()
        }
    })?;
    let analysis = dockerfile::analyze(&source, options)
        .map_err(|e| crate::commands::images::error_diagnostic(path, &e))?;
    Ok((source, analysis))
}

/// Build args BuildKit knows without an `ARG`: the proxy variables, the automatic platform
/// ARGs (a `--build-arg` overrides them in FROM), and BuildKit's own settings.
fn predefined_arg(name: &str) -> bool {
    const PROXY: [&str; 5] = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "FTP_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
    ];
    const PLATFORM: [&str; 8] = [
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    ];
    PROXY.iter().any(|p| name.eq_ignore_ascii_case(p))
        || PLATFORM.contains(&name)
        || name.starts_with("BUILDKIT_")
        || name == "SOURCE_DATE_EPOCH"
}

/// The warning docker build prints when a `--build-arg` names no `ARG` of the Dockerfile.
pub fn unconsumed_build_args(
    path: &Path,
    source: &[u8],
    options: &BuildOptions,
) -> Option<Diagnostic> {
    if options.build_args.is_empty() {
        return None;
    }
    let parsed = dockerfile::parse(source).ok()?;
    let mut declared = BTreeSet::new();
    for i in &parsed.instructions {
        if !i.keyword.eq_ignore_ascii_case("arg") {
            continue;
        }
        for word in i.args.text.split_whitespace() {
            let word = word.trim_matches(|c| c == '"' || c == '\'');
            let name = word.split_once('=').map_or(word, |(n, _)| n);
            declared.insert(name.to_string());
        }
    }
    let unused: Vec<&str> = options
        .build_args
        .keys()
        .map(String::as_str)
        .filter(|k| !declared.contains(*k) && !predefined_arg(k))
        .collect();
    if unused.is_empty() {
        return None;
    }
    let s = if unused.len() == 1 { "" } else { "s" };
    Some(
        Diagnostic::new(format!(
            "build-arg{s} {} not consumed: no ARG in {} declares {}",
            unused.join(", "),
            path.display(),
            if unused.len() == 1 { "it" } else { "them" }
        ))
        .with_help("check the spelling, or declare it with `ARG NAME` where it is used"),
    )
}

/// Build options from the command line; when no `--build-arg` is given, those recorded in
/// `recorded` (the lock's) apply, and without `--platform`, the platforms the lock has.
pub fn build_options(
    build: &BuildArgs,
    recorded: Option<&Lock>,
) -> Result<BuildOptions, Diagnostic> {
    let mut options = crate::commands::images::build_options(build)?;
    if let Some(lock) = recorded {
        if build.build_args.is_empty() {
            options.build_args = lock.build_args.clone();
        }
        if build.platforms.is_empty() {
            options.platforms = locked_platforms(lock);
        }
    }
    // `.dockerfile-lock.toml` supplies defaults beneath all of that.
    let config = crate::config::load(Path::new("."))?;
    for (k, v) in config.build_args {
        options.build_args.entry(k).or_insert(v);
    }
    if options.platforms.is_empty() {
        for p in &config.platforms {
            // Checked when the config was read.
            if let Ok(p) = p.parse() {
                options.platforms.push(p);
            }
        }
    }
    Ok(options)
}

/// The platforms a lock was generated for (every entry records the same set).
pub fn locked_platforms(lock: &Lock) -> Vec<Platform> {
    let names: BTreeSet<&String> = lock
        .images
        .values()
        .flat_map(|e| e.platforms.keys())
        .collect();
    names.into_iter().filter_map(|n| n.parse().ok()).collect()
}

/// Only the `--build-arg` values given on the command line, as the lock records them.
pub fn given_build_args(options: &BuildOptions, build: &BuildArgs) -> BTreeMap<String, String> {
    if build.build_args.is_empty() {
        BTreeMap::new()
    } else {
        options.build_args.clone()
    }
}

/// The Dockerfile's path as the lock records it: relative to the lock's directory,
/// `/`-separated, so the lock says nothing about the machine that wrote it.
pub fn relative_dockerfile(lock: &Path, dockerfile: &Path) -> String {
    let base = absolute(lock.parent().unwrap_or(Path::new("")));
    let target = absolute(dockerfile);
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

/// An absolute, lexically normalized path (no `.` or `..`), without touching the disk.
fn absolute(path: &Path) -> PathBuf {
    let joined = match std::env::current_dir() {
        Ok(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
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
    fn targets_dedupe_and_check_lockfile() {
        let dir = tempfile::tempdir().unwrap();
        let df = dir.path().join("Dockerfile");
        std::fs::write(&df, "FROM alpine\n").unwrap();
        let files = [df.clone(), lock_path(&df), dir.path().to_path_buf()];
        let t = targets(&files, &ScanArgs::default(), None, &Env::default()).unwrap();
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0].lock, lock_path(&df));
        let two = [df.clone(), dir.path().join("b")];
        assert!(targets(
            &two,
            &ScanArgs::default(),
            Some(Path::new("x.lock")),
            &Env::default()
        )
        .is_err());
        let t = targets(
            std::slice::from_ref(&df),
            &ScanArgs::default(),
            Some(Path::new("locks/x.lock")),
            &Env::default(),
        )
        .unwrap();
        assert_eq!(t[0].dockerfile, df);
        assert_eq!(t[0].lock, Path::new("locks/x.lock"));
        let missing = targets(
            &[dir.path().join("nope")],
            &ScanArgs::default(),
            None,
            &Env::default(),
        )
        .unwrap_err();
        assert!(missing.0[0].message.starts_with("no Dockerfile at "));
        let empty = tempfile::tempdir().unwrap();
        let missing = targets(
            &[empty.path().to_path_buf()],
            &ScanArgs::default(),
            None,
            &Env::default(),
        )
        .unwrap_err();
        assert_eq!(
            missing.0[0].message,
            format!("no Dockerfile in {}", empty.path().display())
        );
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
