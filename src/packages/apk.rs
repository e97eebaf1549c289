//! Alpine's apk: `/etc/apk/repositories`, `/etc/apk/arch`, `/lib/apk/db/installed`,
//! `APKINDEX.tar.gz`, apk's version order, and the version `apk add` would choose.
//!
//! The index and database formats are apk-tools' one-letter fields (`P:` name, `V:`
//! version, …), one paragraph per package. The version order follows apk-tools'
//! `version.c`: `digit{.digit}…{letter}{_suffix{number}}…{~hash}{-r#}`.

use std::cmp::Ordering;
use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::{ImageFiles, Request};

/// The most an index may decompress to.
const MAX_INDEX_BYTES: u64 = 256 << 20;
/// The most tar entries read from an index (the signature, `DESCRIPTION`, `APKINDEX`).
const MAX_ENTRIES: usize = 64;

/// One line of `/etc/apk/repositories`: `URL`, or `@tag URL` for a tagged repository
/// that only `name@tag` requests use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// As written, without a trailing slash.
    pub url: String,
    /// `testing` for `@testing URL`.
    pub tag: Option<String>,
}

impl Repository {
    /// Where apk fetches this repository's index for `arch`.
    pub fn index_url(&self, arch: &str) -> String {
        format!("{}/{arch}/APKINDEX.tar.gz", self.url)
    }
}

/// The repositories of `/etc/apk/repositories`, in order; comments and blank lines
/// skipped.
pub fn repositories(text: &str) -> Vec<Repository> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let (tag, url) = match line.strip_prefix('@') {
                Some(rest) => {
                    let (tag, url) = rest.split_once(char::is_whitespace)?;
                    (Some(tag.to_string()), url.trim())
                }
                None => (None, line),
            };
            let url = url.trim_end_matches('/');
            (!url.is_empty()).then(|| Repository {
                url: url.to_string(),
                tag,
            })
        })
        .collect()
}

/// The image's architecture from `/etc/apk/arch` (`x86_64`, `aarch64`, …).
pub fn arch(files: &ImageFiles) -> Option<String> {
    let text = String::from_utf8_lossy(files.read("/etc/apk/arch")?);
    let arch = text.lines().next()?.trim();
    (!arch.is_empty()).then(|| arch.to_string())
}

/// One package of an index or of the installed database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// `P:`
    pub name: String,
    /// `V:`
    pub version: String,
    /// `A:`
    pub arch: String,
    /// `C:`, `Q1` and the base64 of a SHA-1 of the package's control section.
    pub checksum: String,
    /// `D:`, split at blanks (`so:libc.musl-x86_64.so.1`, `busybox>=1.36`, `!conflict`).
    pub depends: Vec<String>,
    /// `p:`, split at blanks (`cmd:curl=8.5.0-r0`, `so:libcurl.so.4=4.8.0`).
    pub provides: Vec<String>,
    /// `o:`, the source package.
    pub origin: Option<String>,
    /// `S:`, the size of the `.apk` file in bytes.
    pub size: Option<u64>,
}

/// The packages of `/lib/apk/db/installed`.
pub fn installed(text: &str) -> Vec<Package> {
    paragraphs(text)
}

/// Paragraphs of one-letter fields; a paragraph without `P:` and `V:` is dropped.
fn paragraphs(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let mut cur = Package::default();
    let mut flush = |cur: &mut Package| {
        let p = std::mem::take(cur);
        if !p.name.is_empty() && !p.version.is_empty() {
            out.push(p);
        }
    };
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            flush(&mut cur);
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let words = || value.split_whitespace().map(String::from).collect();
        match key {
            "P" => cur.name = value.to_string(),
            "V" => cur.version = value.to_string(),
            "A" => cur.arch = value.to_string(),
            "C" => cur.checksum = value.to_string(),
            "D" => cur.depends = words(),
            "p" => cur.provides = words(),
            "o" => cur.origin = Some(value.to_string()),
            "S" => cur.size = value.parse().ok(),
            _ => {}
        }
    }
    flush(&mut cur);
    out
}

/// A reader that fails once more than `left` bytes have been read.
struct Capped<R> {
    cap: u64,
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::other(format!("index larger than {} bytes", self.cap))
        })?;
        Ok(n)
    }
}

/// The packages of an `APKINDEX.tar.gz`: its gzip members (a signature, then the index)
/// read as one tar stream, as apk reads them. An uncompressed tar, or the `APKINDEX` text
/// itself, is accepted too.
pub fn parse_index(bytes: &[u8]) -> Result<Vec<Package>, String> {
    parse_index_capped(bytes, MAX_INDEX_BYTES)
}

fn parse_index_capped(bytes: &[u8], cap: u64) -> Result<Vec<Package>, String> {
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    let tar = bytes.get(257..262) == Some(b"ustar");
    if !gzip && !tar {
        let text = std::str::from_utf8(bytes).map_err(|_| "not an APKINDEX".to_string())?;
        let packages = paragraphs(text);
        if packages.is_empty() && !text.trim().is_empty() {
            return Err("not an APKINDEX: no package paragraphs".into());
        }
        return Ok(packages);
    }
    let reader: Box<dyn Read + '_> = if gzip {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let mut archive = tar::Archive::new(Capped {
        cap,
        inner: reader,
        left: cap,
    });
    // A signature stream made without `--cut` ends in zero blocks; read past them.
    archive.set_ignore_zeros(true);
    let entries = archive
        .entries()
        .map_err(|e| format!("reading the index: {e}"))?;
    for (n, entry) in entries.enumerate() {
        if n >= MAX_ENTRIES {
            break;
        }
        let mut entry = entry.map_err(|e| format!("reading the index: {e}"))?;
        let path = entry.path_bytes().into_owned();
        if path != b"APKINDEX" {
            continue;
        }
        let mut text = Vec::new();
        entry
            .read_to_end(&mut text)
            .map_err(|e| format!("reading APKINDEX: {e}"))?;
        return Ok(paragraphs(&String::from_utf8_lossy(&text)));
    }
    Err("the index holds no APKINDEX file".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffixes in order; `_alpha` … `_rc` sort before the plain version, the rest after.
const SUFFIXES: [&str; 9] = ["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"];
const PLAIN: usize = 4;

struct Token<'a> {
    kind: Kind,
    value: &'a str,
    number: u64,
    /// Rank in [`SUFFIXES`], with the plain version between `rc` and `cvs`.
    suffix: usize,
}

impl<'a> Token<'a> {
    fn first(rest: &mut &'a str) -> Token<'a> {
        let mut t = Token {
            kind: Kind::InitialDigit,
            value: "",
            number: 0,
            suffix: PLAIN,
        };
        t.digits(rest);
        t
    }

    fn digits(&mut self, rest: &mut &'a str) {
        let len = rest.bytes().take_while(u8::is_ascii_digit).count();
        self.value = &rest[..len];
        self.number = self.value.bytes().fold(0u64, |n, d| {
            n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
        });
        *rest = &rest[len..];
        if len == 0 {
            self.kind = Kind::Invalid;
        }
    }

    fn next(&mut self, rest: &mut &'a str) {
        let Some(&c) = rest.as_bytes().first() else {
            self.kind = Kind::End;
            return;
        };
        let k = self.kind;
        match c {
            b'a'..=b'z' if k <= Kind::Digit => {
                self.value = &rest[..1];
                self.kind = Kind::Letter;
                *rest = &rest[1..];
            }
            b'.' | b'0'..=b'9' if k <= Kind::Digit || (c != b'.' && k == Kind::Suffix) => {
                if c == b'.' {
                    *rest = &rest[1..];
                }
                self.kind = if k == Kind::Suffix {
                    Kind::SuffixNo
                } else {
                    Kind::Digit
                };
                self.digits(rest);
            }
            b'_' if k <= Kind::SuffixNo => {
                let len = rest[1..].bytes().take_while(u8::is_ascii_lowercase).count();
                self.value = &rest[1..1 + len];
                *rest = &rest[1 + len..];
                match SUFFIXES.iter().position(|s| *s == self.value) {
                    Some(i) => {
                        self.suffix = if i < PLAIN { i } else { i + 1 };
                        self.kind = Kind::Suffix;
                    }
                    None => self.kind = Kind::Invalid,
                }
            }
            b'~' if k < Kind::CommitHash => {
                let len = rest[1..].bytes().take_while(u8::is_ascii_hexdigit).count();
                self.value = &rest[1..1 + len];
                *rest = &rest[1 + len..];
                self.kind = if len == 0 {
                    Kind::Invalid
                } else {
                    Kind::CommitHash
                };
            }
            b'-' if k < Kind::RevisionNo && rest.starts_with("-r") => {
                *rest = &rest[2..];
                self.kind = Kind::RevisionNo;
                self.digits(rest);
            }
            _ => self.kind = Kind::Invalid,
        }
    }

    /// Two tokens of the same kind.
    fn cmp(&self, other: &Token) -> Ordering {
        match self.kind {
            // A component with a leading zero compares as a string (`1.01` < `1.1`).
            Kind::Digit if self.value.starts_with('0') || other.value.starts_with('0') => {
                self.value.cmp(other.value)
            }
            Kind::InitialDigit | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
                self.number.cmp(&other.number)
            }
            Kind::Suffix => self.suffix.cmp(&other.suffix),
            _ => self.value.cmp(other.value),
        }
    }
}

/// apk's order of versions: `1.2.3-r0` < `1.2.3-r1` < `1.2.4_rc1` < `1.2.4` < `1.2.4_p1`.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    compare(a, b, false)
}

/// With `fuzzy`, `a` equals `b` when `b` is a prefix of it by whole tokens (`~1.2`
/// matches `1.2.5-r0`, not `1.20`).
fn compare(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let (mut ra, mut rb) = (a, b);
    let (mut ta, mut tb) = (Token::first(&mut ra), Token::first(&mut rb));
    while ta.kind == tb.kind && ta.kind < Kind::End {
        let r = ta.cmp(&tb);
        if r != Ordering::Equal {
            return r;
        }
        ta.next(&mut ra);
        tb.next(&mut rb);
    }
    if ta.kind == tb.kind || (fuzzy && tb.kind == Kind::End) {
        return Ordering::Equal;
    }
    // One went on: it is newer, unless what follows is a pre-release suffix.
    if ta.kind == Kind::Suffix && ta.suffix < PLAIN {
        return Ordering::Less;
    }
    if tb.kind == Kind::Suffix && tb.suffix < PLAIN {
        return Ordering::Greater;
    }
    tb.kind.cmp(&ta.kind)
}

/// Whether `version` satisfies `op want` as apk reads a dependency: `=`, `~` (or `=~`),
/// `<`, `<=`, `>`, `>=`, `<~`, `>~`.
pub fn satisfies(version: &str, op: &str, want: &str) -> Result<bool, String> {
    if op.is_empty() || !op.chars().all(|c| matches!(c, '<' | '>' | '=' | '~')) || op == "><" {
        return Err(format!("unknown version operator `{op}`"));
    }
    let fuzzy = op.contains('~');
    let ok = match compare(version, want, fuzzy) {
        Ordering::Less => op.contains('<'),
        Ordering::Greater => op.contains('>'),
        Ordering::Equal => op.contains('=') || fuzzy,
    };
    Ok(ok)
}

/// The newest package in `index` that `request` accepts; see [`choose_across`].
pub fn choose<'a>(index: &'a [Package], request: &Request) -> Result<&'a Package, String> {
    choose_across(&[index], request)
}

/// The package `apk add` would take for `request` from several repositories' indexes
/// (listed in `/etc/apk/repositories` order): the highest version that satisfies the
/// constraint across all of them, as apk prefers the highest version whichever repository
/// has it; an equal version goes to the earlier repository. A name no package has is
/// looked up in the packages' `provides` (`p:`), and must name one package.
/// The request's `@tag` (in `release`) is the caller's: pass only the indexes it selects.
pub fn choose_across<'a>(
    indexes: &[&'a [Package]],
    request: &Request,
) -> Result<&'a Package, String> {
    let name = request.name.as_str();
    let all = || indexes.iter().flat_map(|i| i.iter());
    // Each candidate with the version the constraint is checked against.
    let mut candidates: Vec<(&'a Package, &'a str)> = all()
        .filter(|p| p.name == name)
        .map(|p| (p, p.version.as_str()))
        .collect();
    if candidates.is_empty() {
        candidates = all()
            .filter_map(|p| {
                p.provides.iter().find_map(|pr| {
                    let (n, v) = pr.split_once('=').unwrap_or((pr, ""));
                    (n == name).then_some((p, if v.is_empty() { p.version.as_str() } else { v }))
                })
            })
            .collect();
        let mut names: Vec<&str> = candidates.iter().map(|(p, _)| p.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        if names.len() > 1 {
            return Err(format!(
                "`{name}` is provided by several packages ({}); name one",
                names.join(", ")
            ));
        }
    }
    if candidates.is_empty() {
        return Err(format!("no package `{name}` in the index"));
    }
    let mut best: Option<(&'a Package, &'a str)> = None;
    for (p, v) in &candidates {
        if let Some(c) = &request.version {
            if !satisfies(v, &c.op, &c.version)? {
                continue;
            }
        }
        if best.is_none_or(|(_, b)| compare_versions(v, b) == Ordering::Greater) {
            best = Some((p, v));
        }
    }
    best.map(|(p, _)| p).ok_or_else(|| {
        let mut have: Vec<&str> = candidates.iter().map(|(_, v)| *v).collect();
        have.sort_by(|a, b| compare_versions(a, b));
        have.dedup();
        let want = request
            .version
            .as_ref()
            .map_or(String::new(), |c| format!("{}{}", c.op, c.version));
        format!(
            "no version of `{name}` satisfies `{want}`; the index has {}",
            have.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::Constraint;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn tar_with(files: &[(&str, &[u8])], cut: bool) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        let mut out = b.into_inner().unwrap();
        if cut {
            // As abuild signs: the signature's tar stops before its end-of-archive blocks.
            out.truncate(out.len() - 1024);
        }
        out
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    const INDEX: &str = "C:Q1k7mkq8xcP3Jf8RsKqN3bL6Q2pCQ=\nP:curl\nV:8.11.1-r0\nA:x86_64\nS:263844\nI:520192\nT:URL retrival utility and library\no:curl\nD:ca-certificates so:libc.musl-x86_64.so.1 so:libcurl.so.4\np:cmd:curl=8.11.1-r0\n\nC:Q1abcdefabcdefabcdefabcdefabcdef=\nP:curl\nV:8.5.0-r0\nA:x86_64\nS:1\no:curl\n\nC:Q1zzzz\nP:libcurl\nV:8.11.1-r0\nA:x86_64\np:so:libcurl.so.4=4.8.0\n\nP:busybox-binsh\nV:1.36.1-r29\np:/bin/sh cmd:sh=1.36.1-r29\n\nP:dash-binsh\nV:0.5.12-r3\np:/bin/sh\n\nP:broken-without-version\n";

    fn request(name: &str, op: &str, version: &str) -> Request {
        Request {
            name: name.into(),
            arch: None,
            version: (!op.is_empty()).then(|| Constraint {
                op: op.into(),
                version: version.into(),
            }),
            release: None,
            span: 0..0,
        }
    }

    #[test]
    fn parses_a_signed_index_as_apk_reads_it() {
        let sig = gzip(&tar_with(
            &[(
                ".SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
                b"\x01\x02sig",
            )],
            true,
        ));
        let body = gzip(&tar_with(
            &[
                ("DESCRIPTION", b"v3.21.0-1-g0"),
                ("APKINDEX", INDEX.as_bytes()),
            ],
            false,
        ));
        let packages = parse_index(&[sig.clone(), body.clone()].concat()).unwrap();
        assert_eq!(packages.len(), 5);
        let curl = &packages[0];
        assert_eq!(
            curl,
            &Package {
                name: "curl".into(),
                version: "8.11.1-r0".into(),
                arch: "x86_64".into(),
                checksum: "Q1k7mkq8xcP3Jf8RsKqN3bL6Q2pCQ=".into(),
                depends: vec![
                    "ca-certificates".into(),
                    "so:libc.musl-x86_64.so.1".into(),
                    "so:libcurl.so.4".into()
                ],
                provides: vec!["cmd:curl=8.11.1-r0".into()],
                origin: Some("curl".into()),
                size: Some(263844),
            }
        );
        // A signature tar that kept its end blocks, an unsigned index, a plain tar, the text.
        let uncut = gzip(&tar_with(&[(".SIGN.RSA.k.rsa.pub", b"s")], false));
        assert_eq!(
            parse_index(&[uncut, body.clone()].concat()).unwrap(),
            packages
        );
        assert_eq!(parse_index(&body).unwrap(), packages);
        assert_eq!(
            parse_index(&tar_with(&[("APKINDEX", INDEX.as_bytes())], false)).unwrap(),
            packages
        );
        assert_eq!(parse_index(INDEX.as_bytes()).unwrap(), packages);
    }

    #[test]
    fn bad_indexes_are_errors_not_panics() {
        let no_index = gzip(&tar_with(&[("DESCRIPTION", b"x")], false));
        assert!(parse_index(&no_index).unwrap_err().contains("no APKINDEX"));
        let body = gzip(&tar_with(&[("APKINDEX", INDEX.as_bytes())], false));
        assert!(parse_index(&body[..body.len() / 2]).is_err());
        assert!(parse_index(&[0x1f, 0x8b, 0, 0]).is_err());
        assert!(parse_index(b"\xff\xfe").is_err());
        assert!(parse_index(b"hello\nworld\n").is_err());
        // A bomb: an entry far larger than the cap (a small cap here; 256 MiB in use).
        let cap = 1 << 20;
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        let mut h = tar::Header::new_gnu();
        h.set_size(4 * cap);
        h.set_path("APKINDEX").unwrap();
        h.set_cksum();
        e.write_all(h.as_bytes()).unwrap();
        e.write_all(&vec![0u8; 4 * cap as usize]).unwrap();
        let bomb = e.finish().unwrap();
        assert!(bomb.len() < 16 << 10);
        let err = parse_index_capped(&bomb, cap).unwrap_err();
        assert!(err.contains("larger than 1048576 bytes"), "{err}");
        assert!(parse_index_capped(&body, cap).is_ok());
    }

    #[test]
    fn reads_repositories_arch_and_installed() {
        let text = "# main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.21/main\n\n  https://dl-cdn.alpinelinux.org/alpine/v3.21/community/  \n@testing https://dl-cdn.alpinelinux.org/alpine/edge/testing\n/media/cdrom/apks\n";
        let repos = repositories(text);
        let got: Vec<(&str, Option<&str>)> = repos
            .iter()
            .map(|r| (r.url.as_str(), r.tag.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("https://dl-cdn.alpinelinux.org/alpine/v3.21/main", None),
                (
                    "https://dl-cdn.alpinelinux.org/alpine/v3.21/community",
                    None
                ),
                (
                    "https://dl-cdn.alpinelinux.org/alpine/edge/testing",
                    Some("testing")
                ),
                ("/media/cdrom/apks", None),
            ]
        );
        assert_eq!(
            repos[0].index_url("aarch64"),
            "https://dl-cdn.alpinelinux.org/alpine/v3.21/main/aarch64/APKINDEX.tar.gz"
        );
        let mut files = ImageFiles::default();
        assert_eq!(arch(&files), None);
        files
            .files
            .insert("/etc/apk/arch".into(), b"aarch64\n".to_vec());
        assert_eq!(arch(&files).as_deref(), Some("aarch64"));
        let db = "C:Q1x\r\nP:musl\r\nV:1.2.5-r8\r\nA:x86_64\r\nF:lib\r\nR:ld-musl-x86_64.so.1\r\n\r\nP:busybox\nV:1.37.0-r12\n";
        let got: Vec<(String, String)> = installed(db)
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect();
        assert_eq!(
            got,
            vec![
                ("musl".into(), "1.2.5-r8".into()),
                ("busybox".into(), "1.37.0-r12".into())
            ]
        );
    }

    #[test]
    fn versions_order_as_apk_orders_them() {
        use Ordering::*;
        let cases = [
            ("1.2.3-r0", "1.2.3-r1", Less),
            ("1.2.3-r9", "1.2.3-r10", Less),
            ("3.0.13-r0", "3.0.14-r0", Less),
            ("8.5.0-r0", "8.11.1-r0", Less),
            ("1.36.1-r15", "1.36.1-r28", Less),
            ("1.0_rc1-r0", "1.0-r0", Less),
            ("1.0_alpha", "1.0_beta", Less),
            ("1.0_beta2", "1.0_pre1", Less),
            ("1.0_pre1", "1.0_rc1", Less),
            ("1.0_rc9", "1.0", Less),
            ("1.0", "1.0_cvs", Less),
            ("1.0_cvs", "1.0_svn", Less),
            ("1.0_svn", "1.0_git20240101", Less),
            ("1.0_git20240101", "1.0_hg1", Less),
            ("1.0_hg1", "1.0_p1", Less),
            ("6.5_p20250503-r0", "6.5-r0", Greater),
            ("2.39.2-r0", "2.39.2_git20230101-r0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0b", Less),
            ("1.0b", "1.1", Less),
            ("1.01", "1.1", Less),
            ("1.0", "1.0.0", Less),
            ("1.10", "1.9", Greater),
            ("20240226-r0", "20241121-r1", Less),
            ("3.3.2-r1", "3.3.2-r1", Equal),
            ("1.0~abc123-r0", "1.0~abd-r0", Less),
            ("1.2.3_rc1_p2", "1.2.3_rc1", Greater),
            ("0.5.12-r3", "1.36.1-r29", Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn constraints_match_as_apk_add_reads_them() {
        let cases = [
            ("1.2.5-r0", "~", "1.2", true),
            ("1.2-r3", "~", "1.2", true),
            ("1.20-r0", "~", "1.2", false),
            ("3.3.2-r1", "=~", "3.3", true),
            ("1.2.5-r0", "=", "1.2.5-r0", true),
            ("1.2.5-r1", "=", "1.2.5-r0", false),
            ("1.2.5-r0", "<", "1.3", true),
            ("1.3", "<", "1.3", false),
            ("1.3", "<=", "1.3", true),
            ("1.3_rc1", ">=", "1.3", false),
            ("1.3_p1", ">", "1.3", true),
            ("1.4.9", "<~", "1.4", true),
        ];
        for (v, op, want, ok) in cases {
            assert_eq!(satisfies(v, op, want), Ok(ok), "{v} {op}{want}");
        }
        assert!(satisfies("1", "><", "Q1x").is_err());
        assert!(satisfies("1", "!", "1").is_err());
    }

    #[test]
    fn chooses_the_newest_satisfying_version() {
        let index = paragraphs(INDEX);
        let pick = |name, op, v| {
            choose(&index, &request(name, op, v)).map(|p| format!("{}-{}", p.name, p.version))
        };
        assert_eq!(pick("curl", "", ""), Ok("curl-8.11.1-r0".into()));
        assert_eq!(pick("curl", "~", "8.5"), Ok("curl-8.5.0-r0".into()));
        assert_eq!(pick("curl", "<", "8.6"), Ok("curl-8.5.0-r0".into()));
        assert_eq!(pick("curl", "=", "8.5.0-r0"), Ok("curl-8.5.0-r0".into()));
        assert_eq!(
            pick("curl", "=", "9.0-r0"),
            Err(
                "no version of `curl` satisfies `=9.0-r0`; the index has 8.5.0-r0, 8.11.1-r0"
                    .into()
            )
        );
        assert_eq!(
            pick("nope", "", ""),
            Err("no package `nope` in the index".into())
        );
        // Names only provided: one provider is taken, with the provided version.
        assert_eq!(
            pick("so:libcurl.so.4", "", ""),
            Ok("libcurl-8.11.1-r0".into())
        );
        assert_eq!(
            pick("so:libcurl.so.4", ">=", "4.8"),
            Ok("libcurl-8.11.1-r0".into())
        );
        assert_eq!(
            pick("cmd:sh", "", ""),
            Ok("busybox-binsh-1.36.1-r29".into())
        );
        assert!(pick("/bin/sh", "", "")
            .unwrap_err()
            .contains("busybox-binsh, dash-binsh"));
        assert!(pick("curl", "!", "1").is_err());
    }

    #[test]
    fn across_repositories_the_highest_version_wins() {
        let main = paragraphs("P:git\nV:2.47.1-r0\nC:Q1main\n\nP:jq\nV:1.7.1-r0\nC:Q1a\n");
        let edge = paragraphs("P:git\nV:2.48.0-r0\nC:Q1edge\n\nP:jq\nV:1.7.1-r0\nC:Q1b\n");
        let pick = |name, op: &str, v: &str| {
            choose_across(&[&main, &edge], &request(name, op, v)).map(|p| p.checksum.clone())
        };
        assert_eq!(pick("git", "", ""), Ok("Q1edge".into()));
        assert_eq!(pick("git", "~", "2.47"), Ok("Q1main".into()));
        assert_eq!(pick("jq", "", ""), Ok("Q1a".into()));
    }
}
