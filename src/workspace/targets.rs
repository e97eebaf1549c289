//! Which files a command works on: those named (a directory means its Dockerfile, a lock
//! its file, a Dockerfile a compose or bake file builds means that file), those found with
//! `--recursive`, or the current directory's Dockerfile or compose or bake file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::discover::{self, is_project, FileKind};
use super::paths::{
    dockerfile_in, dockerfile_of, escape_of, lock_path, no_dockerfile, shown, Target,
};
use super::project;
use super::scan::{self, Scan};
use crate::builds::Env;
use crate::cli::ScanArgs;
use crate::diagnostic::{Diagnostic, Failure};

/// The files a command works on: those named (a lock `X.lock` names `X`, a directory its
/// `Dockerfile` or `Containerfile`), those found with `--recursive`, or `./Dockerfile`.
/// Each appears once, in the order given. A `--recursive` search that finds nothing is an
/// error here; [`select`] leaves it to the command.
pub fn targets(
    files: &[PathBuf],
    scan: &ScanArgs,
    lockfile: Option<&Path>,
    env: &Env,
) -> Result<Vec<Target>, Failure> {
    let selected = select(files, scan, lockfile, env)?;
    if selected.targets.is_empty() {
        let root = scan.recursive.as_deref().unwrap_or(Path::new("."));
        return Err(Diagnostic::new(format!(
            "no Dockerfile found below {}",
            shown(root).display()
        ))
        .with_help(
            "--recursive looks for Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*, \
             compose and bake files, .devcontainer/devcontainer.json, \
             .github/workflows/*.yml and action.yml",
        )
        .into());
    }
    Ok(selected.targets)
}

/// As [`targets`], with the orphan locks a `--recursive` scan finds; a search that finds
/// nothing gives no targets. Every path is as [`shown`] gives it, so what a command prints
/// is the same from any directory.
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
    let selected = select_in(files, scan, lockfile, env)?;
    Ok(Scan {
        targets: selected
            .targets
            .into_iter()
            .map(|t| Target {
                dockerfile: shown(&t.dockerfile),
                lock: shown(&t.lock),
            })
            .collect(),
        orphans: selected.orphans.iter().map(|o| shown(o)).collect(),
    })
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
        if !root.is_dir() {
            return Err(Diagnostic::new(format!(
                "cannot search {}: no such directory",
                shown(root).display()
            ))
            .with_help("--recursive takes the directory to search below")
            .into());
        }
        let config = crate::config::load(root)?;
        let found = scan::scan(&crate::compose::clean(root), &config, &scan.exclude, env)?;
        orphans = found.orphans;
        if lockfile.is_some() && found.targets.len() != 1 {
            return Err(Diagnostic::new("--lockfile needs exactly one Dockerfile")
                .with_help("name one Dockerfile, or drop --lockfile to use `<Dockerfile>.lock`")
                .into());
        }
        return Ok(Scan {
            targets: through_projects_above(root, found.targets, env),
            orphans,
        });
    } else {
        let default = [dockerfile_in(Path::new("."))];
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

/// One file a listing command (`images`, `sources`) reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    /// `-`: a Dockerfile on stdin.
    Stdin,
    /// A file as [`select`] chooses it. `only` is the Dockerfile named when the compose or
    /// bake file that builds it stands for it: its uses alone are listed, read under that
    /// build's args, target and contexts.
    File {
        target: Target,
        only: Option<PathBuf>,
    },
}

/// What `images` and `sources` read: the files the lock commands would select for the
/// same arguments, each once, and stdin for `-`. Every named file is looked at, so one
/// missing file does not hide another's error.
pub fn listed(files: &[PathBuf], scan: &ScanArgs, env: &Env) -> Result<Vec<Listed>, Failure> {
    if files.is_empty() {
        // `./Dockerfile` is named when no compose or bake file here makes the directory
        // one project; one above it that builds it reads it, and lists it alone.
        let here = Path::new(".");
        let named = (scan.recursive.is_none() && !has_project_file(here))
            .then(|| shown(&dockerfile_in(here)));
        let selected = select(files, scan, None, env)?;
        return Ok(selected
            .targets
            .into_iter()
            .map(|target| Listed::File {
                only: named.clone().filter(|n| *n != target.dockerfile),
                target,
            })
            .collect());
    }
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for f in files {
        if f == Path::new("-") {
            out.push(Listed::Stdin);
            continue;
        }
        match select(std::slice::from_ref(f), scan, None, env) {
            Ok(selected) => {
                let named = shown(&dockerfile_arg(f));
                for target in selected.targets {
                    let only =
                        (target.dockerfile != named && !is_project(&named)).then(|| named.clone());
                    let item = Listed::File { target, only };
                    if !out.contains(&item) {
                        out.push(item);
                    }
                }
            }
            Err(e) => failures.extend(e.0),
        }
    }
    match failures.is_empty() {
        true => Ok(out),
        false => Err(Failure(failures)),
    }
}

/// The compose or bake file that builds `dockerfile`, when the Dockerfile has no lock of
/// its own: it is locked through that file, so naming it (as a pre-commit hook or an
/// editor does) means that file. Looked for beside the Dockerfile and in the directories
/// above it, up to the repository's root (the one with `.git`). A file that cannot be
/// read changes nothing here; its errors come when it is read for real.
fn built_by(dockerfile: &Path, env: &Env) -> Option<PathBuf> {
    if lock_path(dockerfile).exists() || is_project(dockerfile) {
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
                .and_then(discover::kind_of)
                .filter(|k| *k != FileKind::Dockerfile)
            else {
                return false;
            };
            project::load(candidate, kind, env).is_ok_and(|p| {
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

/// A scan of a directory below the repository's root: each Dockerfile there that a compose
/// or bake file in a directory above builds is that file's (with its lock), as a scan from
/// the root finds it, rather than a Dockerfile of its own that would get a redundant lock.
fn through_projects_above(dir: &Path, targets: Vec<Target>, env: &Env) -> Vec<Target> {
    let top = crate::boundary::work_tree_of(&dir.join(".dockerfile-lock-scan"));
    let Ok(start) = std::fs::canonicalize(dir) else {
        return targets;
    };
    if start == top || !top.join(".git").exists() {
        return targets;
    }
    // The compose and bake files of each directory above, up to the root, and the
    // Dockerfiles (canonical) they build.
    let mut builds: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut above = start.parent().map(Path::to_path_buf);
    while let Some(d) = above {
        if !d.starts_with(&top) {
            break;
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .map(|r| r.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for candidate in entries {
            let Some(kind) = candidate
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(discover::kind_of)
                .filter(|k| matches!(k, FileKind::Compose | FileKind::Bake))
            else {
                continue;
            };
            // One that cannot be read changes nothing here.
            let Ok(p) = project::load(&candidate, kind, env) else {
                continue;
            };
            for b in &p.builds {
                if let crate::builds::DockerfileSource::Path(df) = &b.dockerfile {
                    if let Ok(real) = std::fs::canonicalize(df) {
                        builds.push((real, candidate.clone()));
                    }
                }
            }
        }
        if d == top {
            break;
        }
        above = d.parent().map(Path::to_path_buf);
    }
    if builds.is_empty() {
        return targets;
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for t in targets {
        let project = (discover::kind_of_path(&t.dockerfile) == FileKind::Dockerfile)
            .then(|| std::fs::canonicalize(&t.dockerfile).ok())
            .flatten()
            .and_then(|real| builds.iter().find(|(df, _)| *df == real))
            .map(|(_, p)| p.clone());
        let t = match project {
            // A Dockerfile with a lock of its own keeps it.
            Some(p) if !t.lock.exists() => Target {
                lock: lock_path(&p),
                dockerfile: p,
            },
            _ => t,
        };
        if seen.insert(t.dockerfile.clone()) {
            out.push(t);
        }
    }
    out
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

/// The Dockerfile a path on the command line names: a directory means the `Dockerfile` (or
/// `Containerfile`) in it, as `docker build DIR` reads it, and a lock `X.lock` means `X`.
pub fn dockerfile_arg(path: &Path) -> PathBuf {
    if path.is_dir() {
        return dockerfile_in(path);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
