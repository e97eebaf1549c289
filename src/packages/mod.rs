//! What `RUN` installs: the readers and clients behind the packages kind
//! ([`crate::kinds::packages`]). Nothing here knows about locks or verbs.
//!
//! - [`installs`]: `RUN` scripts read as shell words, the `apt-get`/`apk` commands in them,
//!   and the installers that cannot be pinned by a lock (`curl … | sh`, …);
//! - [`layers`]: an image's layers streamed, keeping only the files below, whiteouts
//!   applied, cached per layer digest;
//! - [`apt`] and [`debversion`]: apt sources, snapshot URIs, `InRelease` → `Packages`, and
//!   the version apt would choose;
//! - [`apk`]: `/etc/apk/repositories`, `APKINDEX.tar.gz` and apk's version order;
//! - [`fetch`]: bounded HTTP downloads of indexes, with a deadline and a size cap.

pub mod apk;
pub mod apt;
pub mod debversion;
pub mod fetch;
pub mod installs;
pub mod layers;

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// The package managers locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Manager {
    Apt,
    Apk,
}

impl Manager {
    pub fn as_str(self) -> &'static str {
        match self {
            Manager::Apt => "apt",
            Manager::Apk => "apk",
        }
    }
}

/// One package named on a command line: `curl`, `curl=7.88.1-10`, `curl/bookworm`,
/// `libc6:arm64`, `git~2.45` (apk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub name: String,
    /// `:arch` (apt).
    pub arch: Option<String>,
    /// What follows the name's `=` (or apk's `~`, `<`, `>`…), with its operator.
    pub version: Option<Constraint>,
    /// `/release` (apt), or `@tag` (apk: the repository tagged so in `/etc/apk/repositories`).
    pub release: Option<String>,
    /// The word as written, in the script's bytes.
    pub span: Range<usize>,
}

/// A version constraint as written after a package name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// `=`, `~`, `=~`, `<`, `<=`, `>`, `>=`.
    pub op: String,
    pub version: String,
}

/// The files of an image that say which distribution and which repositories its package
/// managers use, after every layer (whiteouts applied). Paths are absolute (`/etc/os-release`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFiles {
    /// Regular files, with their bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Symbolic links, with their targets as written.
    pub links: BTreeMap<String, String>,
    /// Each regular file's modification time (seconds since the epoch), from the tar header.
    #[serde(default)]
    pub mtimes: BTreeMap<String, u64>,
}

impl ImageFiles {
    /// The bytes at `path`, following symbolic links (absolute or relative, at most 16).
    pub fn read(&self, path: &str) -> Option<&[u8]> {
        let mut path = normalize(path)?;
        for _ in 0..16 {
            if let Some(bytes) = self.files.get(&path) {
                return Some(bytes);
            }
            let target = self.links.get(&path)?;
            path = if target.starts_with('/') {
                normalize(target)?
            } else {
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                normalize(&format!("{dir}/{target}"))?
            };
        }
        None
    }

    /// The regular files directly in `dir` (no links followed), sorted by name.
    pub fn list(&self, dir: &str) -> Vec<(&str, &[u8])> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].contains('/'))
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect()
    }
}

/// Whether a path in an image is one [`ImageFiles`] keeps. `path` is absolute and
/// normalized (`/etc/apt/sources.list`).
pub fn wanted(path: &str) -> bool {
    const FILES: &[&str] = &[
        "/etc/os-release",
        "/usr/lib/os-release",
        "/etc/apt/sources.list",
        "/etc/apt/preferences",
        "/var/lib/dpkg/status",
        "/etc/apk/repositories",
        "/etc/apk/arch",
        "/lib/apk/db/installed",
        "/usr/lib/apk/db/installed",
    ];
    const DIRS: &[&str] = &[
        "/etc/apt/sources.list.d/",
        "/etc/apt/apt.conf.d/",
        "/etc/apt/preferences.d/",
    ];
    FILES.contains(&path)
        || DIRS.iter().any(|d| {
            path.strip_prefix(d)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
        })
}

/// `path` made absolute with `.` and `..` resolved lexically (never above `/`); `None` for
/// an empty path.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("/{}", parts.join("/")))
}

/// Whether `id` is an apt snapshot ID: `YYYYMMDDTHHMMSSZ`.
pub fn is_snapshot_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 16
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
}

/// `/etc/os-release` (or `/usr/lib/os-release`): `ID`, `VERSION_ID`, `VERSION_CODENAME`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    pub id: String,
    pub version_id: Option<String>,
    pub codename: Option<String>,
    pub pretty_name: Option<String>,
}

impl OsRelease {
    /// Read from the image, `/etc/os-release` first, as systemd documents.
    pub fn of(files: &ImageFiles) -> Option<OsRelease> {
        let text = files
            .read("/etc/os-release")
            .or_else(|| files.read("/usr/lib/os-release"))?;
        let text = String::from_utf8_lossy(text);
        let mut out = OsRelease::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = unquote(v.trim());
            match k.trim() {
                "ID" => out.id = v,
                "VERSION_ID" => out.version_id = Some(v),
                "VERSION_CODENAME" => out.codename = Some(v),
                "PRETTY_NAME" => out.pretty_name = Some(v),
                _ => {}
            }
        }
        (!out.id.is_empty()).then_some(out)
    }
}

fn unquote(v: &str) -> String {
    let inner = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(v);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_follows_relative_and_absolute_links() {
        let mut f = ImageFiles::default();
        f.files
            .insert("/usr/lib/os-release".into(), b"ID=debian\n".to_vec());
        f.links
            .insert("/etc/os-release".into(), "../usr/lib/os-release".into());
        f.links.insert("/a".into(), "/etc/os-release".into());
        f.links.insert("/loop".into(), "/loop".into());
        assert_eq!(f.read("/a"), Some(&b"ID=debian\n"[..]));
        assert_eq!(f.read("/loop"), None);
        assert_eq!(OsRelease::of(&f).unwrap().id, "debian");
    }

    #[test]
    fn wanted_keeps_only_the_files_that_matter() {
        assert!(wanted("/etc/apt/sources.list.d/debian.sources"));
        assert!(!wanted("/etc/apt/sources.list.d/sub/x.list"));
        assert!(!wanted("/etc/apt/sources.list.d/"));
        assert!(!wanted("/usr/bin/apt"));
        assert!(wanted("/var/lib/dpkg/status"));
    }

    #[test]
    fn os_release_unquotes_values() {
        let mut f = ImageFiles::default();
        f.files.insert(
            "/etc/os-release".into(),
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n".to_vec(),
        );
        let os = OsRelease::of(&f).unwrap();
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.codename.as_deref(), Some("bookworm"));
    }
}
