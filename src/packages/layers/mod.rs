//! An image's files that matter to its package managers ([`ImageFiles`]), read from its
//! layers: the image pinned by digest, the manifest for one platform, then each layer in
//! order, streamed, with whiteouts applied and each layer's part cached by its digest.
//!
//! - `layer`: what one layer contributes, and applying layers in order;
//! - `parse`: one layer's tar stream, read as it arrives, keeping only wanted paths;
//! - `zstd`: multi-frame zstd streams;
//! - `cache`: the per-digest cache, in memory and on disk.
//!
//! Every blob is hashed as it streams and must match the digest the manifest names (the
//! OCI image spec's content addressing); a layer that does not match contributes nothing
//! and is never cached. No layer is ever held in memory whole.

mod cache;
mod layer;
mod parse;
mod zstd;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::digest::DynDigest;

pub use cache::Cache;
pub use parse::{FILE_CAP, LAYER_CAP};

use crate::diagnostic::{excerpt, Diagnostic};
use crate::packages::ImageFiles;
use crate::platform::Platform;
use crate::reference::{Algorithm, Digest, ImageRef};
use crate::registry::{self, Client, LayerDescriptor};
use layer::Layer;
use parse::Compression;

/// What reading an image found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The wanted files after every layer.
    pub files: ImageFiles,
    /// The image manifest read: the platform's child when the digest names an index.
    pub manifest: Digest,
    /// The manifest's layers, bottom first (skipped ones included).
    pub layers: Vec<Digest>,
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    /// Layer blobs fetched from the registry by this call (not found in the cache).
    pub downloaded: usize,
    /// Layers left out, and why (non-distributable layers the registry does not serve).
    pub skipped: Vec<(Digest, String)>,
}

/// Why an image's files could not be read. Each names the image; none carries a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The registry refused, failed or sent a manifest or config that does not match.
    #[error("{0}")]
    Registry(registry::Error),
    #[error(
        "cannot read {image}: layer {layer} does not match its digest (the blob's is {actual}); \
         refusing it"
    )]
    DigestMismatch {
        image: String,
        layer: Digest,
        actual: String,
    },
    #[error("cannot read {image}: layer {layer} is {actual} bytes, its manifest says {declared}")]
    SizeMismatch {
        image: String,
        layer: Digest,
        declared: u64,
        actual: u64,
    },
    #[error("cannot read {image}: layer {layer} has media type `{media_type}`, which is not a tar layer this can read")]
    MediaType {
        image: String,
        layer: Digest,
        media_type: String,
    },
    #[error("cannot read {image}: layer {layer}: {detail}")]
    Layer {
        image: String,
        layer: Digest,
        detail: String,
    },
    #[error("cannot read {image}: not done within {seconds} s")]
    Deadline { image: String, seconds: u64 },
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Diagnostic {
        let help = match &e {
            Error::Registry(r) => r.help.clone(),
            Error::DigestMismatch { .. } | Error::SizeMismatch { .. } => {
                Some("the registry or a proxy altered the layer; try again, or report it".into())
            }
            Error::MediaType { media_type, .. } if media_type.contains("encrypted") => {
                Some("an encrypted layer cannot be read without its key".into())
            }
            Error::MediaType { .. } => None,
            Error::Layer { .. } => None,
            Error::Deadline { .. } => {
                Some("raise --timeout; large images take longer the first time".into())
            }
        };
        let mut d = Diagnostic::new(e.to_string());
        d.help = help;
        d
    }
}

/// Read the wanted files of `image` (which carries the locked digest) for `platform`.
///
/// The whole read, every layer included, must finish within `deadline`. Layers found in
/// `cache` are not fetched; layers fetched are added to it.
pub async fn read_image(
    client: &Client,
    image: &ImageRef,
    platform: &Platform,
    cache: &Cache,
    deadline: Duration,
) -> Result<Read, Error> {
    let until = Instant::now() + deadline;
    let late = || Error::Deadline {
        image: image.to_string(),
        seconds: deadline.as_secs(),
    };
    let manifest = tokio::time::timeout_at(until.into(), client.image_manifest(image, platform))
        .await
        .map_err(|_| late())?
        .map_err(Error::Registry)?;
    let mut files = ImageFiles::default();
    let mut downloaded = 0;
    let mut skipped = Vec::new();
    for desc in &manifest.layers {
        let media_type = desc.media_type.to_ascii_lowercase();
        if media_type.contains("foreign") || media_type.contains("nondistributable") {
            skipped.push((
                desc.digest.clone(),
                format!(
                    "non-distributable layer ({}); its files are not read",
                    excerpt(&desc.media_type, 100)
                ),
            ));
            continue;
        }
        let Some(compression) = Compression::of(&media_type) else {
            return Err(Error::MediaType {
                image: image.to_string(),
                layer: desc.digest.clone(),
                media_type: excerpt(&desc.media_type, 100),
            });
        };
        let fetched = AtomicBool::new(false);
        let layer = cache
            .cell(&desc.digest)
            .get_or_try_init(|| async {
                if let Some(layer) = cache.load(&desc.digest) {
                    return Ok(Arc::new(layer));
                }
                let layer = fetch_layer(client, image, desc, compression, until, &late).await?;
                fetched.store(true, Ordering::Relaxed);
                cache.store(&desc.digest, &layer);
                Ok::<_, Error>(Arc::new(layer))
            })
            .await?
            .clone();
        downloaded += usize::from(fetched.load(Ordering::Relaxed));
        layer::apply(&mut files, &layer);
    }
    Ok(Read {
        files,
        manifest: manifest.digest,
        layers: manifest.layers.iter().map(|l| l.digest.clone()).collect(),
        os: manifest.os,
        architecture: manifest.architecture,
        variant: manifest.variant,
        downloaded,
        skipped,
    })
}

/// Stream one layer blob: hash every byte, and feed them through a bounded channel to a
/// blocking task that decompresses and reads the tar.
async fn fetch_layer(
    client: &Client,
    image: &ImageRef,
    desc: &LayerDescriptor,
    compression: Compression,
    until: Instant,
    late: &(dyn Fn() -> Error + Sync),
) -> Result<Layer, Error> {
    let name = image.to_string();
    let remaining = until.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return Err(late());
    }
    let mut blob =
        tokio::time::timeout_at(until.into(), client.blob(image, &desc.digest, remaining))
            .await
            .map_err(|_| late())?
            .map_err(Error::Registry)?;
    let size_error = |actual: u64| Error::SizeMismatch {
        image: name.clone(),
        layer: desc.digest.clone(),
        declared: desc.size,
        actual,
    };
    if let Some(n) = blob.content_length().filter(|&n| n != desc.size) {
        return Err(size_error(n));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    let parser = tokio::task::spawn_blocking(move || {
        parse::read_layer(Channel::new(rx), compression, until)
    });
    let mut hasher = hasher(desc.digest.algorithm());
    let mut received: u64 = 0;
    let mut tx = Some(tx);
    loop {
        let chunk = tokio::time::timeout_at(until.into(), blob.chunk())
            .await
            .map_err(|_| late())?
            .map_err(|mut e| {
                e.message = format!("cannot read {image}: {}", e.message);
                Error::Registry(e)
            })?;
        let Some(chunk) = chunk else { break };
        received = received.saturating_add(chunk.len() as u64);
        if received > desc.size {
            return Err(size_error(received));
        }
        hasher.update(&chunk);
        if let Some(sender) = &tx {
            // Once the tar has ended, the rest is only hashed.
            let sent = tokio::time::timeout_at(until.into(), sender.send(chunk))
                .await
                .map_err(|_| late())?;
            if sent.is_err() {
                tx = None;
            }
        }
    }
    drop(tx);
    if received != desc.size {
        return Err(size_error(received));
    }
    let actual = hex::encode(hasher.finalize());
    if actual != desc.digest.hex() {
        return Err(Error::DigestMismatch {
            image: name,
            layer: desc.digest.clone(),
            actual: format!("{}:{actual}", desc.digest.algorithm().as_str()),
        });
    }
    let parsed = parser.await.map_err(|_| Error::Layer {
        image: name.clone(),
        layer: desc.digest.clone(),
        detail: "the layer reader stopped".into(),
    })?;
    parsed.map_err(|detail| Error::Layer {
        image: name,
        layer: desc.digest.clone(),
        detail,
    })
}

fn hasher(algorithm: Algorithm) -> Box<dyn DynDigest + Send> {
    match algorithm {
        Algorithm::Sha256 => Box::new(sha2::Sha256::default()),
        Algorithm::Sha384 => Box::new(sha2::Sha384::default()),
        Algorithm::Sha512 => Box::new(sha2::Sha512::default()),
    }
}

/// The blob's bytes as a [`std::io::Read`] on the blocking side of the channel; the end of
/// the channel is the end of the stream.
struct Channel {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Channel {
    fn new(rx: tokio::sync::mpsc::Receiver<Vec<u8>>) -> Self {
        Channel {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

impl io::Read for Channel {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.rx.blocking_recv() {
                Some(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
