//! Image references and digests, per the distribution/reference grammar.
//!
//! One normalization, as `docker pull` applies it: `docker.io` when no registry is named,
//! `library/` for official images, `index.docker.io` → `docker.io`, and `latest` when
//! neither a tag nor a digest is given. Errors say precisely what is wrong.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";
const NAME_TOTAL_MAX: usize = 255;
const TAG_MAX: usize = 128;

/// Why a reference or digest was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("image reference is empty")]
    Empty,
    #[error("image reference `{0}` contains whitespace")]
    Whitespace(String),
    #[error("repository name must be lowercase: `{0}`")]
    Uppercase(String),
    #[error("invalid repository name `{name}`: {reason}")]
    Repository { name: String, reason: String },
    #[error("invalid registry host `{0}`")]
    Domain(String),
    #[error(
        "invalid tag `{0}`: a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`"
    )]
    Tag(String),
    #[error("image reference `{0}` has an empty tag after `:`")]
    EmptyTag(String),
    #[error("repository name is longer than 255 characters")]
    NameTooLong,
    #[error(
        "invalid repository name `{0}`: 64-character hexadecimal names are reserved for image IDs"
    )]
    HexName(String),
    #[error("digest `{0}` has no algorithm (expected `sha256:<hex>`)")]
    DigestShape(String),
    #[error("unsupported digest algorithm `{0}` (sha256, sha384 and sha512 are supported)")]
    DigestAlgorithm(String),
    #[error("digest has {got} hex characters, {algorithm} needs {want}")]
    DigestLength {
        algorithm: &'static str,
        got: usize,
        want: usize,
    },
    #[error("digest `{0}` must be lowercase hexadecimal")]
    DigestHex(String),
}

/// A digest algorithm the OCI image spec registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha384 => 96,
            Algorithm::Sha512 => 128,
        }
    }

    fn hash(self, bytes: &[u8]) -> String {
        match self {
            Algorithm::Sha256 => hex::encode(Sha256::digest(bytes)),
            Algorithm::Sha384 => hex::encode(Sha384::digest(bytes)),
            Algorithm::Sha512 => hex::encode(Sha512::digest(bytes)),
        }
    }
}

/// A content digest (`sha256:<64 hex>`), validated when parsed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest {
            algorithm: Algorithm::Sha256,
            hex: Algorithm::Sha256.hash(bytes),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Whether `bytes` hash to this digest (with this digest's algorithm).
    pub fn matches(&self, bytes: &[u8]) -> bool {
        self.algorithm.hash(bytes) == self.hex
    }

    /// The algorithm and the first 12 hex digits (`sha256:0123456789ab`), as `docker`
    /// shortens IDs: for text meant for a person, beside the full digest in JSON and locks.
    pub fn short(&self) -> String {
        format!(
            "{}:{}",
            self.algorithm.as_str(),
            &self.hex[..12.min(self.hex.len())]
        )
    }
}

/// [`Digest::short`] for a string that is a digest; anything else unchanged.
pub fn shortened(text: &str) -> String {
    text.parse::<Digest>()
        .map(|d| d.short())
        .unwrap_or_else(|_| text.to_string())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl FromStr for Digest {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((alg, hex)) = s.split_once(':') else {
            return Err(ParseError::DigestShape(s.to_string()));
        };
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            "" => return Err(ParseError::DigestShape(s.to_string())),
            other => return Err(ParseError::DigestAlgorithm(other.to_string())),
        };
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ParseError::DigestHex(s.to_string()));
        }
        if hex.len() != algorithm.hex_len() {
            return Err(ParseError::DigestLength {
                algorithm: algorithm.as_str(),
                got: hex.len(),
                want: algorithm.hex_len(),
            });
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A normalized image reference: registry, repository, optional tag, optional digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    domain: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl ImageRef {
    /// Parse and normalize a reference as `docker pull` does.
    pub fn parse(input: &str) -> Result<ImageRef, ParseError> {
        if input.is_empty() {
            return Err(ParseError::Empty);
        }
        if input.chars().any(char::is_whitespace) {
            return Err(ParseError::Whitespace(input.to_string()));
        }
        let (rest, digest) = match input.split_once('@') {
            Some((rest, d)) => (rest, Some(d.parse::<Digest>()?)),
            None => (input, None),
        };
        // A tag follows the last ':' that comes after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                (&rest[..i], Some(&rest[i + 1..]))
            }
            None => (rest, None),
        };
        if let Some(tag) = tag {
            validate_tag(tag, input)?;
        }
        if name.is_empty() {
            return Err(ParseError::Repository {
                name: input.to_string(),
                reason: "the name is empty".into(),
            });
        }
        if name.len() > NAME_TOTAL_MAX {
            return Err(ParseError::NameTooLong);
        }
        let (domain, path) = split_domain(name);
        if domain != DOCKER_HUB
            || name.starts_with(DOCKER_HUB)
            || name.starts_with("index.docker.io")
        {
            validate_domain(&domain)?;
        }
        if path.len() == 64 && path.bytes().all(|b| b.is_ascii_hexdigit()) && !name.contains('/') {
            return Err(ParseError::HexName(path));
        }
        validate_path(&path)?;
        let domain = if domain == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            domain
        };
        let repository = if domain == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        // The limit holds for the normalized name, as distribution checks it after
        // `ParseNormalizedNamed` adds `docker.io/library/` (found by fuzzing).
        if domain.len() + 1 + repository.len() > NAME_TOTAL_MAX {
            return Err(ParseError::NameTooLong);
        }
        Ok(ImageRef {
            domain,
            repository,
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The registry host (`docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path within the registry (`library/node`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag as written, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The tag to resolve: the one written, or `latest`.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }

    /// A digest and no tag: `alpine@sha256:…`.
    pub fn is_digest_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_some()
    }

    /// `domain/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.repository)
    }

    /// Fully qualified, as BuildKit identifies it: `docker.io/library/node:18`, with the
    /// digest when pinned, and `:latest` only when neither tag nor digest was given.
    pub fn normalized(&self) -> String {
        let mut s = self.name();
        match (&self.tag, &self.digest) {
            (Some(t), _) => {
                s.push(':');
                s.push_str(t);
            }
            (None, None) => s.push_str(":latest"),
            (None, Some(_)) => {}
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s
    }

    /// The tagged name without any digest (`docker.io/library/node:18`); for a
    /// digest-only reference, the name and digest.
    pub fn without_digest_normalized(&self) -> String {
        if self.is_digest_only() {
            return self.normalized();
        }
        format!("{}:{}", self.name(), self.tag_or_latest())
    }

    /// The short form docker prints: `node:18`, `ghcr.io/org/app:1`.
    pub fn familiar(&self) -> String {
        let mut s = if self.domain == DOCKER_HUB {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_string()
        } else {
            self.name()
        };
        if let Some(t) = &self.tag {
            s.push(':');
            s.push_str(t);
        }
        if let Some(d) = &self.digest {
            s.push('@');
            s.push_str(&d.to_string());
        }
        s
    }

    /// The same reference pinned to `digest` (replacing any digest it had).
    pub fn with_digest(&self, digest: Digest) -> ImageRef {
        ImageRef {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The same reference without its digest; a digest-only reference gets `latest`.
    pub fn without_digest(&self) -> ImageRef {
        ImageRef {
            digest: None,
            tag: Some(self.tag_or_latest().to_string()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

impl FromStr for ImageRef {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

/// Split `name` into registry and path as the docker CLI does: the first component is a
/// registry when it contains `.` or `:`, is `localhost`, or has uppercase letters.
fn split_domain(name: &str) -> (String, String) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    }
}

fn validate_domain(domain: &str) -> Result<(), ParseError> {
    let bad = || ParseError::Domain(domain.to_string());
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or_else(bad)?;
        if v6.is_empty()
            || !v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(bad());
        }
        match after {
            "" => ("", None),
            p => ("", Some(p.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match domain.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (domain, None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
    }
    if !domain.starts_with('[') {
        if host.is_empty() {
            return Err(bad());
        }
        for component in host.split('.') {
            let ok = !component.is_empty()
                && component
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !component.starts_with('-')
                && !component.ends_with('-');
            if !ok {
                return Err(bad());
            }
        }
    }
    Ok(())
}

fn validate_path(path: &str) -> Result<(), ParseError> {
    let err = |reason: &str| ParseError::Repository {
        name: path.to_string(),
        reason: reason.to_string(),
    };
    if path.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(ParseError::Uppercase(path.to_string()));
    }
    for component in path.split('/') {
        if component.is_empty() {
            return Err(err("a path component is empty"));
        }
        let bytes = component.as_bytes();
        if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
            return Err(err(&format!(
                "`{component}` must start and end with a lowercase letter or digit"
            )));
        }
        // separator := [_.] | __ | [-]+
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_lowercase() || b.is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && !(bytes[i].is_ascii_lowercase() || bytes[i].is_ascii_digit()) {
                i += 1;
            }
            let sep = &component[start..i];
            let ok = sep == "_" || sep == "." || sep == "__" || sep.bytes().all(|c| c == b'-');
            if !ok {
                return Err(err(&format!("`{sep}` is not allowed in `{component}`")));
            }
        }
    }
    Ok(())
}

fn validate_tag(tag: &str, input: &str) -> Result<(), ParseError> {
    if tag.is_empty() {
        return Err(ParseError::EmptyTag(input.to_string()));
    }
    let b = tag.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    if b.len() > TAG_MAX || !word(b[0]) || !b.iter().all(|&c| word(c) || c == b'.' || c == b'-') {
        return Err(ParseError::Tag(tag.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn normalizes_like_docker() {
        let cases = [
            ("node", "docker.io/library/node:latest", "node"),
            ("node:18", "docker.io/library/node:18", "node:18"),
            ("library/node:18", "docker.io/library/node:18", "node:18"),
            ("docker.io/node:18", "docker.io/library/node:18", "node:18"),
            (
                "index.docker.io/library/node",
                "docker.io/library/node:latest",
                "node",
            ),
            (
                "bitnami/redis:7",
                "docker.io/bitnami/redis:7",
                "bitnami/redis:7",
            ),
            (
                "ghcr.io/org/app:1.2",
                "ghcr.io/org/app:1.2",
                "ghcr.io/org/app:1.2",
            ),
            ("localhost/app", "localhost/app:latest", "localhost/app"),
            (
                "localhost:5000/a/b:c",
                "localhost:5000/a/b:c",
                "localhost:5000/a/b:c",
            ),
            (
                "127.0.0.1:5000/app:v1",
                "127.0.0.1:5000/app:v1",
                "127.0.0.1:5000/app:v1",
            ),
            (
                "[::1]:5000/app:v1",
                "[::1]:5000/app:v1",
                "[::1]:5000/app:v1",
            ),
            (
                "mcr.microsoft.com/dotnet/sdk:8.0",
                "mcr.microsoft.com/dotnet/sdk:8.0",
                "mcr.microsoft.com/dotnet/sdk:8.0",
            ),
            (
                "a__b/c-d--e.f_g",
                "docker.io/a__b/c-d--e.f_g:latest",
                "a__b/c-d--e.f_g",
            ),
        ];
        for (input, normalized, familiar) in cases {
            let r = ImageRef::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.normalized(), normalized, "{input}");
            assert_eq!(r.familiar(), familiar, "{input}");
        }
    }

    #[test]
    fn digests_are_kept() {
        let r = ImageRef::parse(&format!("alpine:3.20@{D}")).unwrap();
        assert_eq!(r.tag(), Some("3.20"));
        assert_eq!(r.digest().unwrap().to_string(), D);
        assert_eq!(r.normalized(), format!("docker.io/library/alpine:3.20@{D}"));
        assert_eq!(
            r.without_digest_normalized(),
            "docker.io/library/alpine:3.20"
        );
        let only = ImageRef::parse(&format!("alpine@{D}")).unwrap();
        assert!(only.is_digest_only());
        assert_eq!(only.normalized(), format!("docker.io/library/alpine@{D}"));
        assert_eq!(
            only.without_digest().normalized(),
            "docker.io/library/alpine:latest"
        );
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        assert!(ImageRef::parse(&format!("x@{sha512}")).is_ok());
    }

    #[test]
    fn precise_errors() {
        use ParseError::*;
        let cases: Vec<(String, ParseError)> = vec![
            ("".into(), Empty),
            ("Node:18".into(), Uppercase("Node".into())),
            ("ghcr.io/Org/app".into(), Uppercase("Org/app".into())),
            ("alpine:".into(), EmptyTag("alpine:".into())),
            ("alpine:.x".into(), Tag(".x".into())),
            (format!("alpine:{}", "a".repeat(129)), Tag("a".repeat(129))),
            ("golang:-alpine".into(), Tag("-alpine".into())),
            (
                format!("alpine@sha256:{}", "a".repeat(63)),
                DigestLength {
                    algorithm: "sha256",
                    got: 63,
                    want: 64,
                },
            ),
            (
                format!("alpine@sha256:{}", "A".repeat(64)),
                DigestHex(format!("sha256:{}", "A".repeat(64))),
            ),
            (
                format!("alpine@md5:{}", "a".repeat(32)),
                DigestAlgorithm("md5".into()),
            ),
            ("alpine@abc".into(), DigestShape("abc".into())),
            ("a b".into(), Whitespace("a b".into())),
            ("a".repeat(64), HexName("a".repeat(64))),
            ("bad_host_.io:x/app".into(), Domain("bad_host_.io:x".into())),
            ("{{ image }}".into(), Whitespace("{{ image }}".into())),
        ];
        for (input, want) in cases {
            assert_eq!(ImageRef::parse(&input), Err(want), "{input}");
        }
        for bad in [
            "-a",
            "a-",
            "a..b",
            "a/",
            "/a",
            "a//b",
            "${X}",
            "{{image}}",
            "a%b",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn error_messages_read_well() {
        let e = ImageRef::parse(&format!("a@sha256:{}", "0".repeat(63))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "digest has 63 hex characters, sha256 needs 64"
        );
        let e = ImageRef::parse("Alpine").unwrap_err();
        assert_eq!(e.to_string(), "repository name must be lowercase: `Alpine`");
    }

    #[test]
    fn digest_roundtrip_and_match() {
        let d = Digest::sha256_of(b"hello");
        assert_eq!(
            d.to_string(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(d.matches(b"hello"));
        assert!(!d.matches(b"hello!"));
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"sha256:abc\"").is_err());
    }
}
