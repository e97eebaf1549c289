//! Images with real layers, built in the test and pushed to a test registry.
//!
//! ```ignore
//! use support::layers::{self, Compress, Format};
//! let base = layers::layer(&layers::debian_base(&[]), Compress::Gzip);
//! let top = layers::layer(&[layers::whiteout("etc/apt/sources.list.d/debian.sources")], Compress::Zstd);
//! let img = layers::push(&reg, "app", "1", Format::Oci, "linux/amd64", &[base, top]);
//! // img.reference == "127.0.0.1:PORT/app@sha256:…", img.layers[i] == each layer's digest.
//! ```
//!
//! Layer tars are written with the `tar` crate; gzip with flate2; zstd with ruzstd's own
//! encoder (a real zstd frame, so no external tool is needed). Blobs are pushed as the
//! distribution spec describes: `POST` an upload, then `PUT` it with `?digest=` (or, for
//! [`push_blob_file`], `PATCH` chunks first), then the manifests, children before the index.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use super::images::{block_on, sha256, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use super::registry::Registry;

/// 2025-05-20T00:00:00Z, the date of the snapshot [`debian_base`] names.
pub const SNAPSHOT_MTIME: u64 = 1_747_699_200;
/// The comment line Debian's images carry in `debian.sources`.
pub const SNAPSHOT_LINE: &str = "# http://snapshot.debian.org/archive/debian/20250520T000000Z";

/// One tar entry. Paths are written as given, without a leading `/`.
#[derive(Debug, Clone)]
pub enum Entry {
    File {
        path: String,
        body: Vec<u8>,
        mtime: u64,
    },
    Symlink {
        path: String,
        target: String,
    },
    Hardlink {
        path: String,
        target: String,
    },
    Dir {
        path: String,
    },
}

/// A regular file with a fixed mtime (2024-01-01).
pub fn file(path: &str, body: impl AsRef<[u8]>) -> Entry {
    file_at(path, body, 1_704_067_200)
}

pub fn file_at(path: &str, body: impl AsRef<[u8]>, mtime: u64) -> Entry {
    Entry::File {
        path: path.into(),
        body: body.as_ref().to_vec(),
        mtime,
    }
}

pub fn symlink(path: &str, target: &str) -> Entry {
    Entry::Symlink {
        path: path.into(),
        target: target.into(),
    }
}

/// A hard link to `target`, an earlier entry's path.
pub fn hardlink(path: &str, target: &str) -> Entry {
    Entry::Hardlink {
        path: path.into(),
        target: target.into(),
    }
}

pub fn dir(path: &str) -> Entry {
    Entry::Dir { path: path.into() }
}

/// The whiteout deleting `path` (`dir/.wh.name`).
pub fn whiteout(path: &str) -> Entry {
    let path = path.trim_start_matches('/');
    let (d, name) = path.rsplit_once('/').unwrap_or(("", path));
    let at = if d.is_empty() {
        format!(".wh.{name}")
    } else {
        format!("{d}/.wh.{name}")
    };
    file(&at, b"")
}

/// The opaque marker hiding what lower layers have in `dir`.
pub fn opaque(dir: &str) -> Entry {
    file(&format!("{}/.wh..wh..opq", dir.trim_matches('/')), b"")
}

/// A Debian bookworm-like root: os-release as a link to `/usr/lib/os-release`, deb822
/// sources with the snapshot comment (mtime [`SNAPSHOT_MTIME`]), a dpkg status with `apt`,
/// `apt.conf.d/docker-clean`, and files nobody wants; then `extra`.
pub fn debian_base(extra: &[Entry]) -> Vec<Entry> {
    let mut e = vec![
        dir("etc"),
        dir("etc/apt"),
        dir("etc/apt/sources.list.d"),
        dir("etc/apt/apt.conf.d"),
        dir("usr/lib"),
        file(
            "usr/lib/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n\
             VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        ),
        symlink("etc/os-release", "../usr/lib/os-release"),
        file_at(
            "etc/apt/sources.list.d/debian.sources",
            format!(
                "Types: deb\n{SNAPSHOT_LINE}\nURIs: http://deb.debian.org/debian\n\
                 Suites: bookworm bookworm-updates\nComponents: main\n\
                 Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
            ),
            SNAPSHOT_MTIME,
        ),
        file(
            "etc/apt/apt.conf.d/docker-clean",
            "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb || true\"; };\n",
        ),
        file(
            "var/lib/dpkg/status",
            "Package: apt\nStatus: install ok installed\nPriority: required\n\
             Architecture: amd64\nVersion: 2.6.1\n\n",
        ),
        file("usr/bin/apt", b"\x7fELF not really"),
        file("etc/hostname", b"base\n"),
    ];
    e.extend_from_slice(extra);
    e
}

/// An Alpine-like root: `/etc/alpine-release`, `/etc/os-release`, `/etc/apk/repositories`,
/// `/lib/apk/db/installed`; then `extra`.
pub fn alpine_base(extra: &[Entry]) -> Vec<Entry> {
    let mut e = vec![
        dir("etc"),
        dir("etc/apk"),
        file("etc/alpine-release", "3.21.3\n"),
        file(
            "etc/os-release",
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.21.3\n\
             PRETTY_NAME=\"Alpine Linux v3.21\"\n",
        ),
        file(
            "etc/apk/repositories",
            "https://dl-cdn.alpinelinux.org/alpine/v3.21/main\n\
             https://dl-cdn.alpinelinux.org/alpine/v3.21/community\n",
        ),
        file(
            "lib/apk/db/installed",
            "C:Q1abc=\nP:musl\nV:1.2.5-r9\nA:x86_64\n\nC:Q1def=\nP:busybox\nV:1.37.0-r12\nA:x86_64\n\n",
        ),
        file("bin/busybox", b"\x7fELF not really"),
    ];
    e.extend_from_slice(extra);
    e
}

/// A tar of `entries`, in order.
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_704_067_200);
        h.set_uid(0);
        h.set_gid(0);
        match e {
            Entry::File { path, body, mtime } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(body.len() as u64);
                h.set_mtime(*mtime);
                b.append_data(&mut h, path.trim_start_matches('/'), &body[..])
                    .unwrap();
            }
            Entry::Symlink { path, target } | Entry::Hardlink { path, target } => {
                let kind = if matches!(e, Entry::Symlink { .. }) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                h.set_entry_type(kind);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, path.trim_start_matches('/'), target)
                    .unwrap();
            }
            Entry::Dir { path } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                let path = format!("{}/", path.trim_matches('/'));
                b.append_data(&mut h, path, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    None,
    Gzip,
    Zstd,
}

/// Docker schema2 or OCI media types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oci,
    Docker,
}

/// A layer blob: its bytes and how it is compressed.
#[derive(Debug, Clone)]
pub struct Layer {
    pub bytes: Vec<u8>,
    pub compress: Compress,
}

impl Layer {
    pub fn digest(&self) -> String {
        sha256(&self.bytes)
    }

    /// The media type `format` gives this layer.
    pub fn media_type(&self, format: Format) -> String {
        layer_media_type(self.compress, format)
    }
}

pub fn layer_media_type(compress: Compress, format: Format) -> String {
    match (format, compress) {
        (Format::Oci, Compress::None) => "application/vnd.oci.image.layer.v1.tar",
        (Format::Oci, Compress::Gzip) => "application/vnd.oci.image.layer.v1.tar+gzip",
        (Format::Oci, Compress::Zstd) => "application/vnd.oci.image.layer.v1.tar+zstd",
        (Format::Docker, Compress::None) => "application/vnd.docker.image.rootfs.diff.tar",
        (Format::Docker, Compress::Gzip) => "application/vnd.docker.image.rootfs.diff.tar.gzip",
        (Format::Docker, Compress::Zstd) => "application/vnd.docker.image.rootfs.diff.tar.zstd",
    }
    .to_string()
}

/// `entries` as a tar, compressed.
pub fn layer(entries: &[Entry], compress: Compress) -> Layer {
    Layer {
        bytes: compress_bytes(&tar(entries), compress),
        compress,
    }
}

pub fn compress_bytes(raw: &[u8], compress: Compress) -> Vec<u8> {
    match compress {
        Compress::None => raw.to_vec(),
        Compress::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(raw).unwrap();
            gz.finish().unwrap()
        }
        Compress::Zstd => {
            ruzstd::encoding::compress_to_vec(raw, ruzstd::encoding::CompressionLevel::Fastest)
        }
    }
}

/// What was pushed.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `HOST/repo@sha256:…`: what the lock pins.
    pub reference: String,
    /// The digest the tag points to (the index's, for an index).
    pub digest: String,
    /// Each layer's digest, bottom first (of the only image, or of the first child).
    pub layers: Vec<String>,
    /// Platform → child manifest digest (for an index).
    pub children: BTreeMap<String, String>,
}

impl Pushed {
    /// The same reference on another host (a proxy in front of the registry).
    pub fn via(&self, host: &str) -> String {
        let (_, rest) = self.reference.split_once('/').unwrap();
        format!("{host}/{rest}")
    }
}

/// A blob already in the registry, as a manifest names it.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

/// Push `layers` and a config for `platform`, then a manifest, tagged `tag`.
pub fn push(
    reg: &Registry,
    repo: &str,
    tag: &str,
    format: Format,
    platform: &str,
    layers: &[Layer],
) -> Pushed {
    let p = Pusher::new(reg, repo);
    let descriptors: Vec<Descriptor> = layers
        .iter()
        .map(|l| p.blob(&l.bytes, l.media_type(format)))
        .collect();
    let manifest = image_manifest(&p, format, platform, &descriptors);
    p.manifest(tag, media_type_of(format, false), &manifest);
    let digest = sha256(&manifest);
    Pushed {
        reference: format!("{}/{repo}@{digest}", reg.host()),
        digest,
        layers: descriptors.into_iter().map(|d| d.digest).collect(),
        children: BTreeMap::new(),
    }
}

/// Push one image per `(platform, layers)` by digest, then an index over them tagged `tag`.
pub fn push_index(
    reg: &Registry,
    repo: &str,
    tag: &str,
    format: Format,
    children: &[(&str, Vec<Layer>)],
) -> Pushed {
    let p = Pusher::new(reg, repo);
    let mut entries = Vec::new();
    let mut pushed = BTreeMap::new();
    let mut first_layers = None;
    for (platform, layers) in children {
        let descriptors: Vec<Descriptor> = layers
            .iter()
            .map(|l| p.blob(&l.bytes, l.media_type(format)))
            .collect();
        let manifest = image_manifest(&p, format, platform, &descriptors);
        let digest = sha256(&manifest);
        p.manifest(&digest, media_type_of(format, false), &manifest);
        let (os, arch, variant) = split(platform);
        let mut plat = serde_json::json!({"os": os, "architecture": arch});
        if let Some(v) = variant {
            plat["variant"] = v.into();
        }
        entries.push(serde_json::json!({
            "mediaType": media_type_of(format, false), "digest": digest,
            "size": manifest.len(), "platform": plat,
        }));
        pushed.insert(platform.to_string(), digest);
        first_layers.get_or_insert_with(|| descriptors.iter().map(|d| d.digest.clone()).collect());
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type_of(format, true), "manifests": entries,
    }))
    .unwrap();
    p.manifest(tag, media_type_of(format, true), &index);
    let digest = sha256(&index);
    Pushed {
        reference: format!("{}/{repo}@{digest}", reg.host()),
        digest,
        layers: first_layers.unwrap_or_default(),
        children: pushed,
    }
}

/// Push a manifest over layers already pushed (e.g. with [`push_blob_file`]).
pub fn push_with(
    reg: &Registry,
    repo: &str,
    tag: &str,
    format: Format,
    platform: &str,
    layers: &[Descriptor],
) -> Pushed {
    let p = Pusher::new(reg, repo);
    let manifest = image_manifest(&p, format, platform, layers);
    p.manifest(tag, media_type_of(format, false), &manifest);
    let digest = sha256(&manifest);
    Pushed {
        reference: format!("{}/{repo}@{digest}", reg.host()),
        digest,
        layers: layers.iter().map(|d| d.digest.clone()).collect(),
        children: BTreeMap::new(),
    }
}

/// Push the file at `path` as a blob in 8 MiB `PATCH` chunks, never holding it whole.
pub fn push_blob_file(reg: &Registry, repo: &str, path: &Path, media_type: &str) -> Descriptor {
    let p = Pusher::new(reg, repo);
    // coreutils hashes far faster than an unoptimized test build.
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum (coreutils)");
    assert!(out.status.success());
    let hex: String = String::from_utf8_lossy(&out.stdout)
        .chars()
        .take(64)
        .collect();
    let digest = format!("sha256:{hex}");
    let mut buf = vec![0u8; 8 << 20];
    let size = std::fs::metadata(path).unwrap().len();
    let mut f = std::fs::File::open(path).unwrap();
    block_on(async {
        let mut location = p.start_upload().await;
        let mut offset = 0u64;
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            let r = p
                .request(reqwest::Method::PATCH, &location)
                .header("Content-Type", "application/octet-stream")
                .header(
                    "Content-Range",
                    format!("{offset}-{}", offset + n as u64 - 1),
                )
                .body(buf[..n].to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 202, "blob PATCH: {r:?}");
            location = p.absolute(r.headers()["location"].to_str().unwrap());
            offset += n as u64;
        }
        let r = p
            .request(reqwest::Method::PUT, &with_digest(&location, &digest))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "blob PUT: {r:?}");
    });
    Descriptor {
        media_type: media_type.into(),
        digest,
        size,
    }
}

fn media_type_of(format: Format, index: bool) -> &'static str {
    match (format, index) {
        (Format::Oci, false) => OCI_MANIFEST,
        (Format::Oci, true) => OCI_INDEX,
        (Format::Docker, false) => DOCKER_MANIFEST,
        (Format::Docker, true) => DOCKER_LIST,
    }
}

fn split(platform: &str) -> (&str, &str, Option<&str>) {
    let mut parts = platform.split('/');
    let os = parts.next().unwrap();
    let arch = parts.next().expect("os/arch[/variant]");
    (os, arch, parts.next())
}

/// Push the config for `platform` and return the manifest's bytes.
fn image_manifest(p: &Pusher, format: Format, platform: &str, layers: &[Descriptor]) -> Vec<u8> {
    let (os, arch, variant) = split(platform);
    let mut config = serde_json::json!({
        "architecture": arch, "os": os,
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| &l.digest).collect::<Vec<_>>()},
        "config": {"Labels": {"test.nonce": format!("{}", fastrand::u64(..))}},
    });
    if let Some(v) = variant {
        config["variant"] = v.into();
    }
    let config_type = match format {
        Format::Oci => "application/vnd.oci.image.config.v1+json",
        Format::Docker => "application/vnd.docker.container.image.v1+json",
    };
    let config = p.blob(&serde_json::to_vec(&config).unwrap(), config_type.into());
    let d = |d: &Descriptor| serde_json::json!({"mediaType": d.media_type, "digest": d.digest, "size": d.size});
    serde_json::to_vec_pretty(&serde_json::json!({
        "schemaVersion": 2, "mediaType": media_type_of(format, false),
        "config": d(&config),
        "layers": layers.iter().map(d).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn with_digest(location: &str, digest: &str) -> String {
    let sep = if location.contains('?') { '&' } else { '?' };
    format!("{location}{sep}digest={digest}")
}

struct Pusher {
    http: reqwest::Client,
    base: String,
    repo: String,
    auth: Option<String>,
}

impl Pusher {
    fn new(reg: &Registry, repo: &str) -> Pusher {
        Pusher {
            http: reqwest::Client::new(),
            base: reg.base_url(),
            repo: repo.into(),
            auth: reg.authorization(repo),
        }
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, url);
        match &self.auth {
            Some(a) => r.header("Authorization", a),
            None => r,
        }
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location.to_string()
        }
    }

    async fn start_upload(&self) -> String {
        let url = format!("{}/v2/{}/blobs/uploads/", self.base, self.repo);
        let r = self
            .request(reqwest::Method::POST, &url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202, "blob upload POST: {r:?}");
        self.absolute(r.headers()["location"].to_str().unwrap())
    }

    fn blob(&self, bytes: &[u8], media_type: String) -> Descriptor {
        let digest = sha256(bytes);
        block_on(async {
            let location = self.start_upload().await;
            let r = self
                .request(reqwest::Method::PUT, &with_digest(&location, &digest))
                .header("Content-Type", "application/octet-stream")
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201, "blob PUT: {r:?}");
        });
        Descriptor {
            media_type,
            digest,
            size: bytes.len() as u64,
        }
    }

    fn manifest(&self, reference: &str, media_type: &str, bytes: &[u8]) {
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.repo);
        block_on(async {
            let r = self
                .request(reqwest::Method::PUT, &url)
                .header("Content-Type", media_type)
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            assert_eq!(status, 201, "manifest PUT {reference}: {text}");
        });
    }
}
