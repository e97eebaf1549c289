//! Alpine-style package repositories written for tests: `APKINDEX.tar.gz` files laid out as
//! a mirror lays them out, `<root>/<branch>/<repo>/<arch>/APKINDEX.tar.gz`.
//!
//! ```ignore
//! #[path = "support/apk_lab.rs"]
//! mod apk_lab;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let written = apk_lab::write_repository(
//!     dir.path(), "v3.21", "main",
//!     &[("curl", "8.11.1-r0", "x86_64"), ("curl", "8.11.1-r0", "aarch64"), ("tzdata", "2024b-r1", "noarch")],
//! );
//! // written == [<dir>/v3.21/main/aarch64/APKINDEX.tar.gz, <dir>/v3.21/main/x86_64/APKINDEX.tar.gz]
//! ```
//!
//! Each index is a signature gzip member (a `.SIGN.RSA.…` tar entry cut before its
//! end-of-archive blocks, as abuild writes it; the signature bytes are fake) followed by a
//! gzip member with `DESCRIPTION` and `APKINDEX`. The `C:` checksums are well formed (`Q1`
//! and the base64 of 20 bytes) but fake: apk's are a SHA-1 of the package's control
//! section; here they are the first 20 bytes of a SHA-256 of `name-version-arch`, so they
//! are deterministic and differ per package.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use flate2::{write::GzEncoder, Compression};
use sha2::{Digest, Sha256};

/// The key name the fake signature entry claims.
pub const KEY_NAME: &str = "lab@example.org-00000000.rsa.pub";

/// The `C:` field written for a package: `Q1` + base64 of 20 bytes derived from
/// SHA-256(`name-version-arch`) (fake, well formed).
pub fn checksum(name: &str, version: &str, arch: &str) -> String {
    let digest = Sha256::digest(format!("{name}-{version}-{arch}").as_bytes());
    format!(
        "Q1{}",
        base64::engine::general_purpose::STANDARD.encode(&digest[..20])
    )
}

/// The `APKINDEX` text for `packages` as `(name, version, arch)`, in the order given.
pub fn index_text(packages: &[(&str, &str, &str)]) -> String {
    let mut out = String::new();
    for (name, version, arch) in packages {
        let size = 1024 + name.len() as u64 * 100 + version.len() as u64;
        out.push_str(&format!(
            "C:{}\nP:{name}\nV:{version}\nA:{arch}\nS:{size}\nI:{}\nT:{name} for tests\n\
             U:https://example.org/{name}\nL:MIT\no:{name}\nm:Lab <lab@example.org>\n\
             t:1700000000\np:cmd:{name}={version}\n\n",
            checksum(name, version, arch),
            size * 3,
        ));
    }
    out
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder
            .append_data(&mut header, path, *data)
            .expect("tar in memory");
    }
    builder.into_inner().expect("tar in memory")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// The bytes of an `APKINDEX.tar.gz` for `packages`: a (fake) signature member, then the
/// index member.
pub fn index_bytes(packages: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut signature = tar_of(&[(&format!(".SIGN.RSA.{KEY_NAME}"), b"not a real signature")]);
    // abuild cuts the signature's tar before its two end-of-archive blocks.
    signature.truncate(signature.len() - 1024);
    let index = index_text(packages);
    let body = tar_of(&[
        ("DESCRIPTION", b"lab repository"),
        ("APKINDEX", index.as_bytes()),
    ]);
    [gzip(&signature), gzip(&body)].concat()
}

/// Write `<root>/<branch>/<repo>/<arch>/APKINDEX.tar.gz` for each architecture among
/// `packages`; `noarch` packages go into every architecture's index (into `x86_64` when
/// there is no other). Returns the files written, sorted.
pub fn write_repository(
    root: &Path,
    branch: &str,
    repo: &str,
    packages: &[(&str, &str, &str)],
) -> Vec<PathBuf> {
    let mut by_arch: BTreeMap<&str, Vec<(&str, &str, &str)>> = BTreeMap::new();
    for p in packages.iter().filter(|p| p.2 != "noarch") {
        by_arch.entry(p.2).or_default().push(*p);
    }
    if by_arch.is_empty() {
        by_arch.insert("x86_64", Vec::new());
    }
    let noarch: Vec<_> = packages
        .iter()
        .filter(|p| p.2 == "noarch")
        .copied()
        .collect();
    let mut written = Vec::new();
    for (arch, mut list) in by_arch {
        list.extend(noarch.iter().copied());
        let dir = root.join(branch).join(repo).join(arch);
        std::fs::create_dir_all(&dir).expect("create the repository directory");
        let path = dir.join("APKINDEX.tar.gz");
        std::fs::write(&path, index_bytes(&list)).expect("write APKINDEX.tar.gz");
        written.push(path);
    }
    written
}
