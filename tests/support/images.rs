//! Synthetic images pushed through the distribution push API, with their true digests.
//!
//! Push order follows the OCI distribution spec: blobs (`POST` an upload, then `PUT` it
//! with `?digest=`), then child manifests, then the index that names them; each manifest
//! `PUT` carries its own `mediaType` as `Content-Type`. The truth a test compares against
//! is the sha256 of the exact bytes pushed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

use super::registry::Registry;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The three platforms the multi-arch test images cover.
pub const PLATFORMS: &[&str] = &["linux/amd64", "linux/arm64", "linux/arm/v7"];

/// What to push under a tag.
#[derive(Debug, Clone, Copy)]
pub enum ImageKind<'a> {
    /// A single Docker schema2 manifest (linux/amd64).
    Schema2,
    /// A single OCI image manifest (linux/amd64).
    OciManifest,
    /// An OCI image index over OCI manifests for these platforms.
    OciIndex(&'a [&'a str]),
    /// A Docker manifest list over schema2 manifests for these platforms.
    ManifestList(&'a [&'a str]),
}

/// What was pushed: the digest the tag now points to, and each child's digest.
#[derive(Debug, Clone)]
pub struct PushedImage {
    /// `127.0.0.1:PORT/repo:tag`.
    pub reference: String,
    pub digest: String,
    pub media_type: String,
    /// Platform (`linux/arm/v7`) → child manifest digest; empty for a single manifest.
    pub children: BTreeMap<String, String>,
    pub bytes: Vec<u8>,
}

static NONCE: AtomicU64 = AtomicU64::new(0);

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl Registry {
    /// Push `kind` as `repo:tag`. Pushing again under the same tag moves it: every push
    /// has fresh content, hence fresh digests.
    pub fn push_image(&self, repo: &str, tag: &str, kind: ImageKind<'_>) -> PushedImage {
        let auth = self.authorization(repo);
        let base = self.base_url();
        let mut http = reqwest::Client::builder();
        if let Some(cert) = &self.tls_cert {
            let pem = std::fs::read(cert).unwrap();
            http = http.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
        }
        let http = http.build().unwrap();
        block_on(async {
            let p = Pusher {
                http,
                base,
                repo: repo.to_string(),
                auth,
            };
            let (media_type, bytes, children) = match kind {
                ImageKind::Schema2 => {
                    let (t, b) = p.single(DOCKER_MANIFEST, "linux/amd64").await;
                    (t, b, BTreeMap::new())
                }
                ImageKind::OciManifest => {
                    let (t, b) = p.single(OCI_MANIFEST, "linux/amd64").await;
                    (t, b, BTreeMap::new())
                }
                ImageKind::OciIndex(platforms) => p.index(OCI_INDEX, platforms).await,
                ImageKind::ManifestList(platforms) => p.index(DOCKER_LIST, platforms).await,
            };
            p.put_manifest(tag, &media_type, &bytes).await;
            PushedImage {
                reference: format!("{}/{repo}:{tag}", self.host()),
                digest: sha256(&bytes),
                media_type,
                children,
                bytes,
            }
        })
    }
}

/// Run a future to completion on a fresh thread with its own runtime, so the harness
/// works from plain `#[test]`s and from inside `#[tokio::test]`s alike.
pub fn block_on<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f)
        })
        .join()
        .expect("push thread panicked")
    })
}

struct Pusher {
    http: reqwest::Client,
    base: String,
    repo: String,
    auth: Option<String>,
}

impl Pusher {
    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(method, url);
        match &self.auth {
            Some(a) => r.header("Authorization", a),
            None => r,
        }
    }

    /// Upload a blob; returns its descriptor fields (digest, size).
    async fn blob(&self, bytes: &[u8]) -> (String, usize) {
        let digest = sha256(bytes);
        let url = format!("{}/v2/{}/blobs/uploads/", self.base, self.repo);
        let r = self
            .request(reqwest::Method::POST, &url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202, "blob upload POST: {r:?}");
        let location = r.headers()["location"].to_str().unwrap().to_string();
        let mut put = if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            location
        };
        put.push(if put.contains('?') { '&' } else { '?' });
        put.push_str(&format!("digest={digest}"));
        let r = self
            .request(reqwest::Method::PUT, &put)
            .header("Content-Type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "blob PUT: {r:?}");
        (digest, bytes.len())
    }

    async fn put_manifest(&self, reference: &str, media_type: &str, bytes: &[u8]) {
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.repo);
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
    }

    /// Push a config and a layer, then a manifest for them (untagged); returns its bytes.
    async fn single(&self, media_type: &str, platform: &str) -> (String, Vec<u8>) {
        let nonce = NONCE.fetch_add(1, Ordering::SeqCst);
        let unique = format!(
            "{}-{}-{nonce}-{platform}",
            std::process::id(),
            fastrand::u64(..)
        );
        let layer = format!("layer {unique}").into_bytes();
        let (os, arch, variant) = split_platform(platform);
        // rootfs and history are what distribution needs to convert to schema1 on the fly.
        let mut config = serde_json::json!({
            "architecture": arch, "os": os,
            "config": {"Labels": {"test.unique": unique}},
            "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "test"}],
        });
        if let Some(v) = variant {
            config["variant"] = v.into();
        }
        let config = serde_json::to_vec(&config).unwrap();
        let (config_digest, config_size) = self.blob(&config).await;
        let (layer_digest, layer_size) = self.blob(&layer).await;
        let (config_type, layer_type) = if media_type == OCI_MANIFEST {
            (
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar+gzip",
            )
        } else {
            (
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            )
        };
        let manifest = serde_json::json!({
            "schemaVersion": 2, "mediaType": media_type,
            "config": {"mediaType": config_type, "size": config_size, "digest": config_digest},
            "layers": [{"mediaType": layer_type, "size": layer_size, "digest": layer_digest}],
        });
        (
            media_type.to_string(),
            serde_json::to_vec_pretty(&manifest).unwrap(),
        )
    }

    /// Push one child per platform by digest, then build the index over them.
    async fn index(
        &self,
        media_type: &str,
        platforms: &[&str],
    ) -> (String, Vec<u8>, BTreeMap<String, String>) {
        let child_type = if media_type == OCI_INDEX {
            OCI_MANIFEST
        } else {
            DOCKER_MANIFEST
        };
        let mut children = BTreeMap::new();
        let mut entries = Vec::new();
        for platform in platforms {
            let (t, bytes) = self.single(child_type, platform).await;
            let digest = sha256(&bytes);
            self.put_manifest(&digest, &t, &bytes).await;
            let (os, arch, variant) = split_platform(platform);
            let mut p = serde_json::json!({"architecture": arch, "os": os});
            if let Some(v) = variant {
                p["variant"] = v.into();
            }
            entries.push(serde_json::json!({
                "mediaType": t, "size": bytes.len(), "digest": digest, "platform": p,
            }));
            children.insert(platform.to_string(), digest);
        }
        let index = serde_json::json!({
            "schemaVersion": 2, "mediaType": media_type, "manifests": entries,
        });
        (
            media_type.to_string(),
            serde_json::to_vec_pretty(&index).unwrap(),
            children,
        )
    }
}

fn split_platform(p: &str) -> (&str, &str, Option<&str>) {
    let mut parts = p.split('/');
    let os = parts.next().unwrap();
    let arch = parts.next().expect("platform os/arch[/variant]");
    (os, arch, parts.next())
}
