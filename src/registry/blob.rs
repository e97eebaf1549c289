//! Reading an image pinned by digest: its manifest for one platform, its config, and its
//! layer blobs as a stream.
//!
//! Per the OCI distribution spec, `GET /v2/<name>/blobs/<digest>` may answer with a
//! redirect to blob storage (Docker Hub, GHCR and ECR all do). The redirect is followed,
//! and the `Authorization` header is dropped when it leads to another host, scheme or port
//! (reqwest's redirect policy): the registry's credentials stay with the registry. Every
//! manifest and config is hashed and compared with its digest here; a layer's bytes are
//! hashed by the caller, which reads them as they arrive.

use std::time::Duration;

use reqwest::{Method, Response};
use serde::Deserialize;

use super::manifest::{self, Platforms};
use super::transport::{read_capped, Endpoint, MANIFEST_CAP};
use super::{Client, Error};
use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};

/// One image manifest, chosen for a platform, with what its config says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageManifest {
    /// The image manifest's own digest (the index child's, for an index).
    pub digest: Digest,
    pub media_type: String,
    pub config: Digest,
    /// The config's `os`, `architecture` and `variant`.
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// Bottom layer first, as the manifest lists them.
    pub layers: Vec<LayerDescriptor>,
}

/// A layer as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerDescriptor {
    pub media_type: String,
    pub digest: Digest,
    /// Bytes, as the manifest declares; the blob must have exactly this many.
    pub size: u64,
    /// Where a non-distributable ("foreign") layer is fetched from instead of the registry.
    pub urls: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    config: RawDescriptor,
    #[serde(default)]
    layers: Vec<RawDescriptor>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDescriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    urls: Vec<String>,
}

/// A layer blob being received; [`Blob::chunk`] yields its bytes as they arrive.
pub struct Blob {
    response: Response,
    ep: Endpoint,
}

impl Blob {
    /// The size the server announced, if it did.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next bytes of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        match self.response.chunk().await {
            Ok(c) => Ok(c.map(|c| c.to_vec())),
            Err(e) => {
                let what = if e.is_timeout() {
                    "timed out".to_string()
                } else {
                    innermost(&e)
                };
                Err(Error::new(
                    &self.ep.registry,
                    format!("reading a layer from {} failed: {what}", self.ep.host),
                ))
            }
        }
    }
}

impl Client {
    /// The image manifest of `image` (which must carry a digest) for `platform`: through
    /// the index when the digest names one. The index, the manifest and the config are
    /// each checked against their digests.
    pub async fn image_manifest(
        &self,
        image: &ImageRef,
        platform: &Platform,
    ) -> Result<ImageManifest, Error> {
        self.image_manifest_inner(image, platform)
            .await
            .map_err(|e| named(image, e))
    }

    async fn image_manifest_inner(
        &self,
        image: &ImageRef,
        platform: &Platform,
    ) -> Result<ImageManifest, Error> {
        let inner = &self.inner;
        let ep = inner.transport.endpoint(image.domain());
        let fail = |why: String| Error::new(&ep.registry, why);
        let pinned = image
            .digest()
            .ok_or_else(|| fail("the reference has no digest to read the image by".into()))?;
        let (mut bytes, mut media_type) = inner
            .get(image, &ep, &pinned.to_string(), Some(pinned))
            .await?;
        let mut digest = pinned.clone();
        if let Platforms::Index(entries) = manifest::platforms_of(&bytes).map_err(fail)? {
            let chosen =
                manifest::select(&entries, std::slice::from_ref(platform)).map_err(fail)?;
            let child = chosen
                .into_values()
                .next()
                .ok_or_else(|| fail(format!("no image for platform {platform}")))?;
            (bytes, media_type) = inner
                .get(image, &ep, &child.to_string(), Some(&child))
                .await?;
            digest = child;
        }
        if manifest::is_index(&media_type) {
            return Err(fail(format!(
                "the index's entry for {platform} is another index; refusing to descend"
            )));
        }
        let raw: RawManifest = serde_json::from_slice(&bytes)
            .map_err(|e| fail(format!("the image manifest {digest} is not valid: {e}")))?;
        let parse = |d: &str| {
            d.parse::<Digest>()
                .map_err(|e| fail(format!("the image manifest {digest} has a bad digest: {e}")))
        };
        let config = parse(&raw.config.digest)?;
        let layers = raw
            .layers
            .iter()
            .map(|l| {
                Ok(LayerDescriptor {
                    media_type: l.media_type.clone(),
                    digest: parse(&l.digest)?,
                    size: l.size,
                    urls: l.urls.clone(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let url = format!("{}/v2/{}/blobs/{config}", ep.base, image.repository());
        let r = inner
            .send_within(image, &ep, Method::GET, &url, None)
            .await?;
        let blob = read_capped(&ep, r, MANIFEST_CAP, "image config").await?;
        if !config.matches(&blob) {
            return Err(fail(format!(
                "the image config does not match its digest {config}"
            )));
        }
        let spec = manifest::config_platform(&blob).map_err(fail)?;
        Ok(ImageManifest {
            digest,
            media_type,
            config,
            os: spec.os().to_string(),
            architecture: spec.architecture().to_string(),
            variant: spec.variant().map(str::to_string),
            layers,
        })
    }

    /// Start a GET of the blob `digest` in `image`'s repository. The request, its body
    /// included, may take at most `timeout`; the caller hashes what [`Blob::chunk`] yields.
    pub async fn blob(
        &self,
        image: &ImageRef,
        digest: &Digest,
        timeout: Duration,
    ) -> Result<Blob, Error> {
        let ep = self.inner.transport.endpoint(image.domain());
        let url = format!("{}/v2/{}/blobs/{digest}", ep.base, image.repository());
        let response = self
            .inner
            .send_within(image, &ep, Method::GET, &url, Some(timeout))
            .await
            .map_err(|e| named(image, e))?;
        Ok(Blob { response, ep })
    }
}

/// Prefix the message with the image it is about.
fn named(image: &ImageRef, mut e: Error) -> Error {
    e.message = format!("cannot read {image}: {}", e.message);
    e
}

fn innermost(e: &reqwest::Error) -> String {
    let mut last = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        last = cause.to_string();
        source = cause.source();
    }
    last
}
