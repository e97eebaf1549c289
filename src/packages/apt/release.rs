//! A suite's `InRelease` (Debian's repository format): the clearsigned Release file, what
//! it says about the suite, and the size and SHA256 of each index it lists.
//!
//! The signature is not verified here: what is locked is the index's content, found by the
//! checksums below, and apt verifies the `InRelease` signature against the source's
//! keyring when the image is built. `Valid-Until` is read but never enforced: a snapshot's
//! Release is expired by design.

use std::collections::BTreeMap;

/// The fields of a Release that choosing and fetching need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    /// `Origin:` (`Debian`).
    pub origin: String,
    /// `Label:` (`Debian`, `Debian-Security`).
    pub label: String,
    /// `Suite:` (`stable`), what `/release` and `-t` match besides the codename.
    pub suite: String,
    /// `Codename:` (`bookworm`).
    pub codename: String,
    /// `Date:`, as written.
    pub date: Option<String>,
    /// Read, never enforced (snapshots expire).
    pub valid_until: Option<String>,
    /// `Acquire-By-Hash: yes`: indexes are fetched from `by-hash/SHA256/<hex>`.
    pub acquire_by_hash: bool,
    /// `NotAutomatic: yes` (priority 1, as experimental).
    pub not_automatic: bool,
    /// `ButAutomaticUpgrades: yes` (with `NotAutomatic`, priority 100, as backports).
    pub but_automatic_upgrades: bool,
    /// `Architectures:`.
    pub architectures: Vec<String>,
    /// `Components:`.
    pub components: Vec<String>,
    /// Path below `dists/<suite>/` → (size, lowercase hex SHA256).
    pub sha256: BTreeMap<String, (u64, String)>,
}

/// An index a Release lists: its path, size and SHA256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// Below `dists/<suite>/`: `main/binary-amd64/Packages.xz`.
    pub path: String,
    /// Bytes, as downloaded.
    pub size: u64,
    /// Lowercase hex, as downloaded.
    pub sha256: String,
    /// The size of the decompressed index.
    pub plain_size: u64,
    /// The SHA256 of the decompressed index.
    pub plain_sha256: String,
}

/// The most files a Release may list; Debian's list a few thousand.
const MAX_FILES: usize = 100_000;

impl Release {
    /// The `Packages` index of `component` (empty for a flat repository) for `arch`: `.xz`, else `.gz`, else plain,
    /// whichever the Release lists. As apt does, an index counts only when the Release
    /// lists its uncompressed form (`…/Packages`), even where only compressed files are
    /// served (as in Debian's security suites): its size and SHA256 check the
    /// decompressed bytes.
    pub fn packages(&self, component: &str, arch: &str) -> Option<IndexFile> {
        // A flat repository's one index is at its top, for every architecture.
        let dir = if component.is_empty() {
            String::new()
        } else {
            format!("{component}/binary-{arch}/")
        };
        let plain = format!("{dir}Packages");
        let (plain_size, plain_sha) = self.sha256.get(&plain)?;
        ["Packages.xz", "Packages.gz", "Packages"]
            .iter()
            .find_map(|name| {
                let path = format!("{dir}{name}");
                let (size, sha) = self.sha256.get(&path)?;
                Some(IndexFile {
                    path,
                    size: *size,
                    sha256: sha.clone(),
                    plain_size: *plain_size,
                    plain_sha256: plain_sha.clone(),
                })
            })
    }

    /// Whether `name` is this suite's Suite or Codename.
    pub fn is(&self, name: &str) -> bool {
        !name.is_empty() && (self.suite == name || self.codename == name)
    }
}

/// The Release inside a clearsigned `InRelease`.
pub fn parse_inrelease(bytes: &[u8]) -> Result<Release, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "InRelease is not UTF-8".to_string())?;
    parse_release(&signed_text(text)?)
}

/// The signed text of a clearsigned message (RFC 4880 §7): after the armour header and
/// its `Hash:` lines, up to the signature, with dash-escaping undone.
pub fn signed_text(text: &str) -> Result<String, String> {
    let mut lines = text.lines();
    let first = lines.find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim_end() != "-----BEGIN PGP SIGNED MESSAGE-----" {
        return Err("InRelease is not a clearsigned message".into());
    }
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
    }
    let mut out = String::with_capacity(text.len());
    for line in lines {
        if line.trim_end() == "-----BEGIN PGP SIGNATURE-----" {
            return Ok(out);
        }
        out.push_str(line.strip_prefix("- ").unwrap_or(line));
        out.push('\n');
    }
    Err("InRelease has no signature block".into())
}

/// A Release file's fields (deb822, one paragraph; `SHA256:` a multi-line list of
/// `hex size path`).
pub fn parse_release(text: &str) -> Result<Release, String> {
    let mut r = Release::default();
    let mut in_sha256 = false;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if in_sha256 {
                let mut w = line.split_whitespace();
                if let (Some(hex), Some(size), Some(path), None) =
                    (w.next(), w.next(), w.next(), w.next())
                {
                    let size = size
                        .parse()
                        .map_err(|_| format!("bad size in SHA256 list: {size:?}"))?;
                    if hex.len() != 64 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return Err(format!("bad SHA256 for {path}"));
                    }
                    if r.sha256.len() >= MAX_FILES {
                        return Err("the Release lists too many files".into());
                    }
                    r.sha256
                        .insert(path.to_string(), (size, hex.to_ascii_lowercase()));
                }
            }
            continue;
        }
        in_sha256 = false;
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim().to_string();
        let yes = v.eq_ignore_ascii_case("yes");
        match k.trim() {
            "Origin" => r.origin = v,
            "Label" => r.label = v,
            "Suite" => r.suite = v,
            "Codename" => r.codename = v,
            "Date" => r.date = Some(v),
            "Valid-Until" => r.valid_until = Some(v),
            "Acquire-By-Hash" => r.acquire_by_hash = yes,
            "NotAutomatic" => r.not_automatic = yes,
            "ButAutomaticUpgrades" => r.but_automatic_upgrades = yes,
            "Architectures" => r.architectures = v.split_whitespace().map(Into::into).collect(),
            "Components" => r.components = v.split_whitespace().map(Into::into).collect(),
            "SHA256" => in_sha256 = true,
            _ => {}
        }
    }
    // Suite and Codename are optional (flat repositories often have neither).
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn clearsigned_release() {
        let text = format!(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nLabel: Debian-Security\n\
             Suite: stable-security\nCodename: bookworm-security\nValid-Until: Thu, 01 Jan 2026 00:00:00 UTC\n\
             Acquire-By-Hash: yes\nNotAutomatic: yes\nSHA256:\n {H} 10 main/binary-amd64/Packages.gz\n \
             {H} 50 main/binary-amd64/Packages\n {H} 9 main/binary-arm64/Packages.xz\n \
             {H} 5 main/binary-amd64/Packages.xz\n- -dash\n-----BEGIN PGP SIGNATURE-----\nxx\n-----END PGP SIGNATURE-----\n"
        );
        let r = parse_inrelease(text.as_bytes()).unwrap();
        assert_eq!(r.origin, "Debian");
        assert!(r.acquire_by_hash && r.not_automatic && !r.but_automatic_upgrades);
        assert!(r.is("bookworm-security") && r.is("stable-security") && !r.is(""));
        let p = r.packages("main", "amd64").unwrap();
        assert_eq!(
            (p.path.as_str(), p.size),
            ("main/binary-amd64/Packages.xz", 5)
        );
        assert_eq!(r.packages("contrib", "amd64"), None);
        // Not listed uncompressed: apt skips it, and so do we.
        assert_eq!(r.packages("main", "arm64"), None);
        assert!(signed_text(&text).unwrap().ends_with("-dash\n"));
    }

    #[test]
    fn random_releases_never_panic() {
        let mut rng = fastrand::Rng::with_seed(11);
        let words = [
            "-----BEGIN PGP SIGNED MESSAGE-----\n",
            "-----BEGIN PGP SIGNATURE-----\n",
            "Hash: SHA256\n",
            "\n",
            "Suite: s\n",
            "SHA256:\n",
            " ",
            H,
            " 12 ",
            "main/binary-amd64/Packages",
            ".xz",
            "- ",
            "\u{feff}",
            ":",
        ];
        for _ in 0..2000 {
            let text: String = (0..rng.usize(0..30))
                .map(|_| words[rng.usize(..words.len())])
                .collect();
            if let Ok(r) = parse_inrelease(text.as_bytes()) {
                let _ = r.packages("main", "amd64");
            }
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_inrelease(b"Suite: x\n").is_err());
        assert!(parse_inrelease(b"-----BEGIN PGP SIGNED MESSAGE-----\n\nSuite: x\n").is_err());
        assert!(parse_inrelease(&[0xff, 0xfe]).is_err());
        let bad = "-----BEGIN PGP SIGNED MESSAGE-----\n\nSuite: x\nSHA256:\n zz 1 a\n-----BEGIN PGP SIGNATURE-----\n";
        assert!(parse_inrelease(bad.as_bytes()).is_err());
    }
}
