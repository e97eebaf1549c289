//! Snapshot services: which archive of dated snapshots serves a source, as apt 3 maps
//! them (`Acquire::Snapshots::URI::Host::…`, `…::Origin::…`, `…::Label::…`, with
//! `@PATH@` and `@SNAPSHOTID@` in the template); snapshot IDs; and the snapshot an
//! official Debian image records.

use std::time::{SystemTime, UNIX_EPOCH};

use super::sources::Source;
use crate::packages::ImageFiles;

/// What a configured service is keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// `host` or `host:port` of the source's URI.
    Host(String),
    /// The `Origin:` of the source's Release.
    Origin(String),
    /// The `Label:` of the source's Release.
    Label(String),
}

/// Snapshot services, in the order they are tried: configured ones first, then apt 3's
/// defaults for Debian and Ubuntu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotServices {
    entries: Vec<(Key, String)>,
}

/// apt 3's defaults. The security archive's label comes before the Debian origin it
/// shares.
const DEFAULTS: &[(&str, &str)] = &[
    (
        "deb.debian.org",
        "https://snapshot.debian.org/archive/@PATH@/@SNAPSHOTID@/",
    ),
    (
        "label:Debian-Security",
        "https://snapshot.debian.org/archive/debian-security/@SNAPSHOTID@/",
    ),
    (
        "origin:Debian",
        "https://snapshot.debian.org/archive/@PATH@/@SNAPSHOTID@/",
    ),
    (
        "archive.ubuntu.com",
        "https://snapshot.ubuntu.com/@PATH@/@SNAPSHOTID@/",
    ),
    (
        "security.ubuntu.com",
        "https://snapshot.ubuntu.com/@PATH@/@SNAPSHOTID@/",
    ),
    (
        "ports.ubuntu.com",
        "https://snapshot.ubuntu.com/@PATH@/@SNAPSHOTID@/",
    ),
];

impl Default for SnapshotServices {
    fn default() -> Self {
        SnapshotServices {
            entries: DEFAULTS
                .iter()
                .map(|(k, v)| (key(k), v.to_string()))
                .collect(),
        }
    }
}

fn key(k: &str) -> Key {
    if let Some(o) = k.strip_prefix("origin:") {
        Key::Origin(o.to_string())
    } else if let Some(l) = k.strip_prefix("label:") {
        Key::Label(l.to_string())
    } else {
        Key::Host(k.to_ascii_lowercase())
    }
}

impl SnapshotServices {
    /// Configured `(key, template)` pairs (a key is a host such as `deb.debian.org` or
    /// `127.0.0.1:8080`, `origin:NAME` or `label:NAME`; a template is an `http(s)://` URI
    /// with `@SNAPSHOTID@` and optionally `@PATH@`), before apt 3's defaults. An invalid
    /// pair is an error naming it.
    pub fn new<K: AsRef<str>, V: AsRef<str>>(
        configured: &[(K, V)],
    ) -> Result<SnapshotServices, String> {
        let mut entries = Vec::new();
        for (k, v) in configured {
            let (k, v) = (k.as_ref(), v.as_ref());
            if k.is_empty() || k.contains(['/', ' ']) {
                return Err(format!("{k:?} is not a host, origin:NAME or label:NAME"));
            }
            if !(v.starts_with("http://") || v.starts_with("https://"))
                || !v.contains("@SNAPSHOTID@")
            {
                return Err(format!(
                    "the snapshot service for {k} must be an http(s):// URI with @SNAPSHOTID@"
                ));
            }
            entries.push((key(k), v.to_string()));
        }
        entries.extend(Self::default().entries);
        Ok(SnapshotServices { entries })
    }

    /// Whether some service is keyed by a Release's Origin or Label, which only the
    /// source's own `InRelease` tells.
    pub fn needs_release(&self) -> bool {
        self.entries.iter().any(|(k, _)| !matches!(k, Key::Host(_)))
    }

    /// The URI that serves `source` at snapshot `id`, from the first service matching its
    /// host, or the `(Origin, Label)` of its Release when given; `None` when none does.
    pub fn snapshot_uri(
        &self,
        source: &Source,
        origin_label: Option<(&str, &str)>,
        id: &str,
    ) -> Option<String> {
        let (host, path) = host_and_path(&source.uri)?;
        let template = self.entries.iter().find_map(|(k, t)| {
            let hit = match (k, origin_label) {
                (Key::Host(h), _) => *h == host,
                (Key::Origin(o), Some((origin, _))) => o == origin,
                (Key::Label(l), Some((_, label))) => l == label,
                _ => false,
            };
            hit.then_some(t)
        })?;
        Some(template.replace("@PATH@", path).replace("@SNAPSHOTID@", id))
    }
}

/// `host[:port]` (lowercase) and the path without slashes at its ends.
fn host_and_path(uri: &str) -> Option<(String, &str)> {
    let rest = uri.split_once("://")?.1;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit('@').next()?.to_ascii_lowercase();
    Some((host, path.trim_matches('/')))
}

/// Whether `id` is a snapshot ID, `YYYYMMDDTHHMMSSZ` with a real month, day and time.
pub fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let s = id.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (Some(_), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        digits(0..4),
        digits(4..6),
        digits(6..8),
        digits(9..11),
        digits(11..13),
        digits(13..15),
    ) else {
        return false;
    };
    (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 60
}

/// The snapshot ID of this moment, in UTC.
pub fn snapshot_id_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    id_at(secs)
}

/// The snapshot ID of `secs` seconds after the Unix epoch (UTC).
pub fn id_at(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month, day of a day count since 1970-01-01 (the proleptic Gregorian calendar,
/// by eras of 400 years).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The snapshot an official Debian image was built from, from the comment its
/// `debian.sources` carries (`# http://snapshot.debian.org/archive/debian/20250520T000000Z`),
/// or the commented-out line of an older image's `sources.list`.
pub fn image_snapshot(files: &ImageFiles) -> Option<String> {
    [
        "/etc/apt/sources.list.d/debian.sources",
        "/etc/apt/sources.list",
    ]
    .iter()
    .filter_map(|p| files.read(p))
    .find_map(|bytes| {
        String::from_utf8_lossy(bytes)
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .find_map(snapshot_in)
    })
}

/// The ID in `…snapshot.debian.org/archive/<archive>/<ID>…`.
fn snapshot_in(line: &str) -> Option<String> {
    const MARK: &str = "snapshot.debian.org/archive/";
    let at = line.find(MARK)?;
    let id = line[at + MARK.len()..].split('/').nth(1)?;
    let id: String = id.chars().take_while(char::is_ascii_alphanumeric).collect();
    valid_id(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(uri: &str) -> Source {
        Source {
            file: "f".into(),
            uri: uri.into(),
            suite: "bookworm".into(),
            components: vec!["main".into()],
            architectures: vec![],
            signed_by: None,
            snapshot: None,
            check_valid_until: None,
        }
    }

    #[test]
    fn apt3_defaults_and_configured_services() {
        let s = SnapshotServices::default();
        let id = "20250520T000000Z";
        assert_eq!(
            s.snapshot_uri(&source("http://deb.debian.org/debian/"), None, id)
                .as_deref(),
            Some("https://snapshot.debian.org/archive/debian/20250520T000000Z/")
        );
        assert_eq!(
            s.snapshot_uri(
                &source("http://security.debian.org/debian-security"),
                None,
                id
            ),
            None
        );
        assert_eq!(
            s.snapshot_uri(
                &source("http://security.debian.org/debian-security"),
                Some(("Debian", "Debian-Security")),
                id
            )
            .as_deref(),
            Some("https://snapshot.debian.org/archive/debian-security/20250520T000000Z/")
        );
        assert_eq!(
            s.snapshot_uri(&source("http://archive.ubuntu.com/ubuntu"), None, id)
                .as_deref(),
            Some("https://snapshot.ubuntu.com/ubuntu/20250520T000000Z/")
        );
        assert_eq!(
            s.snapshot_uri(
                &source("https://download.docker.com/linux/debian"),
                None,
                id
            ),
            None
        );
        let c = SnapshotServices::new(&[(
            "127.0.0.1:8080",
            "http://127.0.0.1:9/archive/@PATH@/@SNAPSHOTID@/",
        )])
        .unwrap();
        assert_eq!(
            c.snapshot_uri(&source("http://127.0.0.1:8080/debian"), None, id)
                .as_deref(),
            Some("http://127.0.0.1:9/archive/debian/20250520T000000Z/")
        );
        assert!(SnapshotServices::new(&[("h", "ftp://x/@SNAPSHOTID@")]).is_err());
        assert!(SnapshotServices::new(&[("h", "https://x/")]).is_err());
    }

    #[test]
    fn ids() {
        assert!(valid_id("20260101T000000Z"));
        for bad in [
            "20261301T000000Z",
            "20260100T000000Z",
            "20260101T240000Z",
            "2026010T1000000Z",
            "20260101T000000",
            "+0260101T000000Z",
            "２0260101T000000Z",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
        assert_eq!(id_at(0), "19700101T000000Z");
        assert_eq!(id_at(951_782_400), "20000229T000000Z");
        assert_eq!(id_at(1_767_225_599), "20251231T235959Z");
        assert!(valid_id(&snapshot_id_now()));
    }

    #[test]
    fn the_image_records_its_snapshot() {
        let mut f = ImageFiles::default();
        f.files.insert(
            "/etc/apt/sources.list.d/debian.sources".into(),
            b"# http://snapshot.debian.org/archive/debian/20250520T000000Z\nTypes: deb\n".to_vec(),
        );
        assert_eq!(image_snapshot(&f).as_deref(), Some("20250520T000000Z"));
        let mut old = ImageFiles::default();
        old.files.insert(
            "/etc/apt/sources.list".into(),
            b"# deb http://snapshot.debian.org/archive/debian/20210511T000000Z bullseye main\n"
                .to_vec(),
        );
        assert_eq!(image_snapshot(&old).as_deref(), Some("20210511T000000Z"));
        assert_eq!(image_snapshot(&ImageFiles::default()), None);
    }
}
