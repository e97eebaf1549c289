//! Resolving tags to digests over the OCI distribution API.
//!
//! CONTRACT (other modules rely on these names; the registry work fills in the bodies).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};

/// A registry error: host, repository, HTTP status and a hint; never a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub message: String,
    pub registry: String,
    pub status: Option<u16>,
    pub help: Option<String>,
}

/// How registries are reached.
#[derive(Debug, Clone)]
pub struct Config {
    /// Hosts (`host` or `host:port`) where plain HTTP is allowed; loopback always is.
    pub insecure_registries: Vec<String>,
    /// Registry → mirror host.
    pub mirrors: BTreeMap<String, String>,
    /// Requests in flight per registry.
    pub jobs: usize,
    pub timeout: Duration,
}

/// What a tag resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub digest: Digest,
    pub media_type: String,
    /// Only for requested platforms: platform → child manifest digest.
    pub platforms: BTreeMap<String, Digest>,
}

/// A registry client; cheap to share across tasks.
pub struct Client {
    _config: Config,
}

impl Client {
    pub fn new(config: Config) -> Result<Self, Error> {
        Ok(Client { _config: config })
    }

    /// Resolve each unique reference once, concurrently; results in input order.
    pub async fn resolve_all(
        &self,
        images: &[ImageRef],
        platforms: &[Platform],
    ) -> Vec<Result<Resolved, Error>> {
        let _ = platforms;
        images
            .iter()
            .map(|i| {
                Err(Error {
                    message: format!("cannot resolve {}: not available yet", i),
                    registry: String::new(),
                    status: None,
                    help: None,
                })
            })
            .collect()
    }
}
