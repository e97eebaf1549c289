//! apt's sources in an image (sources.list(5)): the one-line form of
//! `/etc/apt/sources.list` and `sources.list.d/*.list`, and the deb822 form of
//! `sources.list.d/*.sources`.

use crate::packages::ImageFiles;

/// One `deb` source, for one URI and one suite (a line or paragraph naming several URIs
/// or suites gives one `Source` each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file it was read from (`/etc/apt/sources.list.d/debian.sources`).
    pub file: String,
    /// The archive's URI, as written (`http://deb.debian.org/debian`).
    pub uri: String,
    /// The suite or codename (`bookworm`, `bookworm-security`).
    pub suite: String,
    /// `main`, `contrib`, …
    pub components: Vec<String>,
    /// `Architectures:` / `arch=`: when set, only these.
    pub architectures: Vec<String>,
    /// `Signed-By:` / `signed-by=`: a keyring path, or a key block, as written.
    pub signed_by: Option<String>,
    /// `Snapshot:` / `snapshot=`: `yes`, `no` or a snapshot ID, as written.
    pub snapshot: Option<String>,
    /// `Check-Valid-Until:` / `check-valid-until=`.
    pub check_valid_until: Option<bool>,
}

impl Source {
    /// Whether `Snapshot: no` (or `snapshot=no`) leaves this source out of snapshots.
    pub fn snapshot_disabled(&self) -> bool {
        self.snapshot.as_deref().is_some_and(|s| !yes(s) && no(s))
    }
}

fn yes(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "yes" | "true" | "with" | "on" | "enable"
    )
}

fn no(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "no" | "false" | "without" | "off" | "disable"
    )
}

/// The most sources read from one image, and the most values of one field: past these a
/// file is hostile, not a configuration.
const MAX_SOURCES: usize = 4096;

/// Every `deb` source the image's apt reads, in apt's order: `sources.list`, then the
/// files of `sources.list.d` by name (`*.list` and `*.sources`; others are ignored, as
/// apt ignores them). `deb-src` and disabled entries are left out.
pub fn sources(files: &ImageFiles) -> Vec<Source> {
    let mut out = Vec::new();
    if let Some(bytes) = files.read("/etc/apt/sources.list") {
        one_line(
            "/etc/apt/sources.list",
            &String::from_utf8_lossy(bytes),
            &mut out,
        );
    }
    for (path, bytes) in files.list("/etc/apt/sources.list.d") {
        let text = String::from_utf8_lossy(bytes);
        if path.ends_with(".list") {
            one_line(path, &text, &mut out);
        } else if path.ends_with(".sources") {
            deb822(path, &text, &mut out);
        }
    }
    out.truncate(MAX_SOURCES);
    out
}

/// `deb [ option=value … ] uri suite [component …]`, `#` starting a comment.
fn one_line(file: &str, text: &str, out: &mut Vec<Source>) {
    for line in text.lines() {
        if out.len() >= MAX_SOURCES {
            return;
        }
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue; // deb-src, or something else
        }
        let mut rest = rest.trim_start();
        let mut options = Vec::new();
        if let Some(inner) = rest.strip_prefix('[') {
            let Some((opts, after)) = inner.split_once(']') else {
                continue;
            };
            for opt in opts.split_whitespace() {
                if let Some((k, v)) = opt.split_once('=') {
                    options.push((k.trim_end_matches(['+', '-']).to_ascii_lowercase(), v));
                }
            }
            rest = after.trim_start();
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        let mut source = Source {
            file: file.to_string(),
            uri: uri.to_string(),
            suite: suite.to_string(),
            components: words.map(str::to_string).collect(),
            architectures: Vec::new(),
            signed_by: None,
            snapshot: None,
            check_valid_until: None,
        };
        for (k, v) in options {
            match k.as_str() {
                "arch" => source.architectures = v.split(',').map(str::to_string).collect(),
                "signed-by" => source.signed_by = Some(v.to_string()),
                "snapshot" => source.snapshot = Some(v.to_string()),
                "check-valid-until" => source.check_valid_until = Some(!no(v)),
                _ => {}
            }
        }
        out.push(source);
    }
}

/// deb822 paragraphs: `Field: value`, continuation lines starting with a space or tab,
/// `#` comment lines, blank lines between paragraphs.
fn deb822(file: &str, text: &str, out: &mut Vec<Source>) {
    let mut fields: Vec<(String, String)> = Vec::new();
    let flush = |fields: &mut Vec<(String, String)>, out: &mut Vec<Source>| {
        if !fields.is_empty() {
            paragraph(file, fields, out);
            fields.clear();
        }
    };
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            flush(&mut fields, out);
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                if v.len() < 1 << 16 {
                    v.push('\n');
                    v.push_str(line.trim());
                }
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    flush(&mut fields, out);
}

fn paragraph(file: &str, fields: &[(String, String)], out: &mut Vec<Source>) {
    let get = |k: &str| {
        fields
            .iter()
            .rev()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.as_str())
    };
    let list = |k: &str| -> Vec<String> {
        get(k)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    if get("enabled").is_some_and(no) || !list("types").iter().any(|t| t == "deb") {
        return;
    }
    let suites = list("suites");
    let components = list("components");
    for uri in list("uris") {
        for suite in &suites {
            if out.len() >= MAX_SOURCES {
                return;
            }
            out.push(Source {
                file: file.to_string(),
                uri: uri.clone(),
                suite: suite.clone(),
                components: components.clone(),
                architectures: list("architectures"),
                signed_by: get("signed-by").map(str::to_string),
                snapshot: get("snapshot").map(str::to_string),
                check_valid_until: get("check-valid-until").map(|v| !no(v)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(files: &[(&str, &str)]) -> ImageFiles {
        let mut f = ImageFiles::default();
        for (p, t) in files {
            f.files.insert(p.to_string(), t.as_bytes().to_vec());
        }
        f
    }

    #[test]
    fn one_line_and_deb822_sources() {
        let f = image(&[
            (
                "/etc/apt/sources.list",
                "# comment\ndeb-src http://x/debian bookworm main\n\
                 deb [arch=amd64,arm64 signed-by=/k.gpg] http://x/debian bookworm main contrib # c\n",
            ),
            (
                "/etc/apt/sources.list.d/debian.sources",
                "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n\
                 Types: deb\nURIs: http://deb.debian.org/debian\n\
                 Suites: bookworm bookworm-updates\nComponents: main\n\
                 Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n\
                 Types: deb deb-src\n# inside\nURIs: http://deb.debian.org/debian-security\n\
                 Suites: bookworm-security\nComponents: main\nSnapshot: no\n\n\
                 Types: deb\nURIs: http://off\nSuites: x\nEnabled: no\n",
            ),
            ("/etc/apt/sources.list.d/ignored.txt", "deb http://y z main\n"),
        ]);
        let s = sources(&f);
        let got: Vec<(&str, &str)> = s
            .iter()
            .map(|s| (s.uri.as_str(), s.suite.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("http://x/debian", "bookworm"),
                ("http://deb.debian.org/debian", "bookworm"),
                ("http://deb.debian.org/debian", "bookworm-updates"),
                ("http://deb.debian.org/debian-security", "bookworm-security"),
            ]
        );
        assert_eq!(s[0].architectures, ["amd64", "arm64"]);
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert_eq!(s[0].signed_by.as_deref(), Some("/k.gpg"));
        assert!(s[3].snapshot_disabled());
        assert!(!s[1].snapshot_disabled());
    }
}
