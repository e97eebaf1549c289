//! `.dockerfile-lock.toml` at the repository root: the choices a team writes once
//! (`exclude` globs, default `build-args`, `platforms`, registry `mirrors`). Command-line
//! options add to the excludes and override the build args and platforms.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::Diagnostic;

/// The file's name.
pub const FILE_NAME: &str = ".dockerfile-lock.toml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Config {
    /// Globs (below the root) that `--recursive` skips.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Build args every build gets unless the command line or the compose/bake file sets
    /// them.
    #[serde(default)]
    pub build_args: BTreeMap<String, String>,
    #[serde(default)]
    pub platforms: Vec<String>,
    /// Registry host → the host to ask instead (`docker.io = "mirror.example:5000"`).
    #[serde(default)]
    pub mirrors: BTreeMap<String, String>,
    /// Lock what `RUN` installs (as `generate --packages` does) in every lock.
    #[serde(default)]
    pub packages: bool,
    /// apt source host (`deb.debian.org`, `host:port`, `origin:Debian`,
    /// `label:Debian-Security`) → the snapshot service's URI template, with `@PATH@` and
    /// `@SNAPSHOTID@`. Wins over apt's own defaults.
    #[serde(default)]
    pub snapshots: BTreeMap<String, String>,
}

/// Where the config is: in `dir` or the nearest ancestor that holds one, stopping at the
/// top of the git repository (the directory with `.git`); outside one, only in `dir`.
pub fn locate(dir: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(dir).ok()?;
    // Not above the tree: a directory above it is not the repository's to configure.
    let top = crate::boundary::work_tree_of(&start.join(FILE_NAME));
    for d in start.ancestors() {
        if !crate::boundary::is_inside(d, &top) {
            return None;
        }
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
    }
    None
}

/// The config for work below `dir`, or the default when there is none.
pub fn load(dir: &Path) -> Result<Config, Diagnostic> {
    match locate(dir) {
        None => Ok(Config::default()),
        Some(path) => {
            let root = crate::boundary::work_tree_of(&path);
            let text =
                crate::boundary::read_text_inside(&path, &root, crate::boundary::SMALL_LIMIT)
                    .map_err(|e| e.to_diagnostic())?;
            parse(&text).map_err(|(line, message)| {
                Diagnostic::new(format!("invalid {FILE_NAME}: {message}")).at(&path, line)
            })
        }
    }
}

/// Parse the text of a config file; an error carries its 1-based line when known.
pub fn parse(text: &str) -> Result<Config, (Option<usize>, String)> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| {
            text.as_bytes()[..s.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        });
        (line, e.message().to_string())
    })?;
    for p in &config.platforms {
        p.parse::<crate::platform::Platform>()
            .map_err(|e| (None, format!("platform {p:?}: {e}")))?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_setting() {
        let text = "exclude = [\"vendor/**\"]\nplatforms = [\"linux/arm64\"]\n\n[build-args]\nBASE = \"alpine:3.20\"\n\n[mirrors]\n\"docker.io\" = \"mirror.example:5000\"\n";
        let c = parse(text).unwrap();
        assert_eq!(c.exclude, ["vendor/**"]);
        assert_eq!(c.platforms, ["linux/arm64"]);
        assert_eq!(c.build_args["BASE"], "alpine:3.20");
        assert_eq!(c.mirrors["docker.io"], "mirror.example:5000");
    }

    #[test]
    fn errors_name_the_line() {
        let (line, m) = parse("exclude = []\nunknown = 1\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(m.contains("unknown"), "{m}");
        let (line, _) = parse("exclude = [\n").unwrap_err();
        assert!(line.is_some());
        let (_, m) = parse("platforms = [\"linux\"]\n").unwrap_err();
        assert!(m.contains("\"linux\""), "{m}");
    }

    #[test]
    fn located_in_an_ancestor_up_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("repo/.git")).unwrap();
        std::fs::create_dir_all(root.join("repo/a/b")).unwrap();
        std::fs::write(root.join(FILE_NAME), "exclude = [\"x\"]\n").unwrap();
        assert_eq!(locate(&root.join("repo/a/b")), None);
        std::fs::write(root.join("repo").join(FILE_NAME), "exclude = [\"y\"]\n").unwrap();
        assert_eq!(load(&root.join("repo/a/b")).unwrap().exclude, ["y"]);
    }
}
