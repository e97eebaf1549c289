//! The files a `--recursive` run works on, for the whole repository: every Dockerfile,
//! Containerfile, compose and bake file below the root, minus the Dockerfiles a compose or
//! bake file in the scan builds (they are locked through that file, with its build args,
//! target and contexts), plus the locks whose file is gone. A dev container
//! configuration, workflow or action that names no image and builds nothing (most
//! workflows) has nothing to lock: it is left out unless it has a lock.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::discover::{self, Excludes, FileKind};
use super::paths::{lock_path, Target};
use super::project;
use crate::builds::{DockerfileSource, Env};
use crate::compose::clean;
use crate::config::Config;
use crate::diagnostic::Failure;

/// What a `--recursive` run covers.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub targets: Vec<Target>,
    /// Locks below the root whose Dockerfile, compose or bake file is gone.
    pub orphans: Vec<PathBuf>,
}

/// Scan `root` with the config's excludes and `excludes`.
pub fn scan(root: &Path, config: &Config, excludes: &[String], env: &Env) -> Result<Scan, Failure> {
    let all: Vec<String> = config.exclude.iter().chain(excludes).cloned().collect();
    let excludes = Excludes::new(&all)?;
    let found = discover::find(root, &excludes)?;
    let mut built = BTreeSet::new();
    let mut empty = BTreeSet::new();
    let mut errors = Vec::new();
    for f in found.iter().filter(|f| f.kind != FileKind::Dockerfile) {
        match project::load(&f.path, f.kind, env) {
            Ok(p) => {
                let optional = matches!(
                    f.kind,
                    FileKind::Devcontainer | FileKind::Workflow | FileKind::Action
                );
                if optional
                    && p.images.is_empty()
                    && p.builds.is_empty()
                    && !lock_path(&f.path).exists()
                {
                    empty.insert(f.path.clone());
                }
                for b in &p.builds {
                    if let DockerfileSource::Path(d) = &b.dockerfile {
                        built.insert(clean(d));
                    }
                }
            }
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    let targets: Vec<Target> = found
        .into_iter()
        .filter(|f| f.kind != FileKind::Dockerfile || !built.contains(&clean(&f.path)))
        .filter(|f| !empty.contains(&f.path))
        .map(|f| Target {
            lock: lock_path(&f.path),
            dockerfile: f.path,
        })
        .collect();
    let orphans = discover::find_locks(root, &excludes)?
        .into_iter()
        .filter(|lock| {
            let subject = lock.with_extension("");
            !subject.exists()
        })
        .collect();
    Ok(Scan { targets, orphans })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_dockerfiles_are_locked_through_their_compose_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let w = |rel: &str, body: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        w("Dockerfile", "FROM alpine\n");
        w("app/Dockerfile", "FROM alpine\n");
        w("compose.yaml", "services:\n  app:\n    build: ./app\n");
        w("gone/Dockerfile.lock", "version: 1\n");
        w("compose.yaml.lock", "version: 1\n");
        let s = scan(root, &Config::default(), &[], &Env::default()).unwrap();
        let files: Vec<PathBuf> = s.targets.iter().map(|t| t.dockerfile.clone()).collect();
        assert_eq!(files, [root.join("Dockerfile"), root.join("compose.yaml")]);
        assert_eq!(s.orphans, [root.join("gone/Dockerfile.lock")]);
        let s = scan(
            root,
            &Config::default(),
            &["compose.yaml".into()],
            &Env::default(),
        )
        .unwrap();
        let files: Vec<PathBuf> = s.targets.iter().map(|t| t.dockerfile.clone()).collect();
        assert_eq!(
            files,
            [root.join("Dockerfile"), root.join("app/Dockerfile")]
        );
    }

    #[test]
    fn a_workflow_with_nothing_to_lock_needs_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let w = |rel: &str, body: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        w(
            ".github/workflows/lint.yml",
            "on: push\njobs:\n  l:\n    runs-on: x\n",
        );
        w(
            ".github/workflows/ci.yml",
            "jobs:\n  t:\n    container: node:20\n",
        );
        w("act/action.yml", "runs:\n  using: composite\n  steps: []\n");
        let s = scan(root, &Config::default(), &[], &Env::default()).unwrap();
        let files: Vec<PathBuf> = s.targets.iter().map(|t| t.dockerfile.clone()).collect();
        assert_eq!(files, [root.join(".github/workflows/ci.yml")]);
        // Once it has a lock, it is verified (and the lock found stale) like any other.
        w("act/action.yml.lock", "version: 1\n");
        let s = scan(root, &Config::default(), &[], &Env::default()).unwrap();
        assert_eq!(s.targets.len(), 2);
    }
}
