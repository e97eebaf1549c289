//! Resolving tags to digests over the OCI distribution API.
//!
//! [`Client::resolve_all`] resolves each unique reference once, concurrently, with at most
//! `jobs` requests in flight per registry; see `client.rs` for the request flow, `auth.rs`
//! for tokens, `credentials.rs` for the docker config, `transport.rs` for HTTP policy.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::cli::RegistryArgs;
use crate::diagnostic::Diagnostic;
use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};

mod auth;
mod blob;
mod client;
pub mod credentials;
pub mod manifest;
mod ratelimit;
mod transport;

/// Response parsers, public only for the hardening tests and fuzz targets (`fuzz/`).
#[doc(hidden)]
pub use auth::{parse_challenge, parse_token_response, Challenge};
pub use blob::{Blob, ImageManifest, LayerDescriptor};
pub use credentials::{Credential, CredentialStore};
pub use ratelimit::RateLimit;
pub use transport::RetryPolicy;

/// A registry error: host, repository, HTTP status and a hint; never a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub message: String,
    pub registry: String,
    pub status: Option<u16>,
    pub help: Option<String>,
}

impl Error {
    fn new(registry: &str, message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            registry: registry.to_string(),
            status: None,
            help: None,
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Diagnostic {
        let mut d = Diagnostic::new(e.message);
        d.help = e.help;
        d
    }
}

/// After a `401`/`403`: what was refused (the credentials from `source`, when some were
/// found and sent) to add to the message, and the help line. Wrong credentials and missing
/// ones call for different fixes.
fn refused(registry: &str, source: Option<&std::path::Path>) -> (String, String) {
    let login = if registry == crate::reference::DOCKER_HUB {
        "docker login".to_string()
    } else {
        format!("docker login {registry}")
    };
    match source {
        Some(file) => (
            format!(
                ": the registry rejected the credentials for {registry} from {}",
                file.display()
            ),
            format!(
                "the credentials are wrong, expired or lack pull access: run `{login}` again, \
                 or fix the entry in that file"
            ),
        ),
        None => (
            format!(": no credentials for {registry} were found"),
            login_help(registry),
        ),
    }
}

/// `docker login HOST` (plain `docker login` for Docker Hub).
fn login_help(registry: &str) -> String {
    if registry == crate::reference::DOCKER_HUB {
        // Docker Hub answers 401, not 404, for a repository that does not exist.
        "check the name, or run `docker login` if the repository is private".into()
    } else {
        format!("run `docker login {registry}` (credentials are read from the docker config)")
    }
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
    /// Ask the registry about references pinned by digest too (one HEAD each, as
    /// `crane digest` does), so that a digest that does not exist there is an error. The
    /// lock commands leave it off: a digest names its content for good.
    pub check_pinned: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            check_pinned: false,
            insecure_registries: Vec::new(),
            mirrors: BTreeMap::new(),
            jobs: 16,
            timeout: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// Validate the shared registry flags (`--insecure-registry`, `--registry-mirror`,
    /// `--jobs`, `--timeout`) before any request is made.
    pub fn from_args(args: &RegistryArgs) -> Result<Config, Diagnostic> {
        let strip = |s: &str| {
            let s = s.trim();
            let s = s
                .strip_prefix("https://")
                .or_else(|| s.strip_prefix("http://"))
                .unwrap_or(s);
            s.trim_end_matches('/').to_string()
        };
        let insecure_registries = args
            .insecure_registries
            .iter()
            .map(|h| strip(h))
            .filter(|h| !h.is_empty())
            .collect();
        let mut mirrors = BTreeMap::new();
        for m in &args.registry_mirrors {
            let bad = || {
                Diagnostic::new(format!("invalid --registry-mirror `{m}`")).with_help(
                    "write it as REGISTRY=HOST[:PORT], e.g. docker.io=mirror.example:5000",
                )
            };
            let (registry, mirror) = m.split_once('=').ok_or_else(bad)?;
            let (registry, mirror) = (strip(registry), strip(mirror));
            if registry.is_empty() || mirror.is_empty() || mirror.contains('/') {
                return Err(bad());
            }
            let registry = match registry.as_str() {
                "index.docker.io" | "registry-1.docker.io" => {
                    crate::reference::DOCKER_HUB.to_string()
                }
                _ => registry,
            };
            mirrors.insert(registry, mirror);
        }
        Ok(Config {
            insecure_registries,
            mirrors,
            jobs: usize::from(args.jobs.max(1)),
            timeout: Duration::from_secs(args.timeout.max(1)),
            check_pinned: false,
        })
    }
}

/// What a tag resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub digest: Digest,
    /// The manifest's media type; empty for a reference pinned by digest (not looked up).
    pub media_type: String,
    /// Only for requested platforms: platform → child manifest digest.
    pub platforms: BTreeMap<String, Digest>,
}

/// A registry client; cheap to clone and share across tasks.
#[derive(Clone)]
pub struct Client {
    inner: Arc<client::Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client { .. }")
    }
}

impl Client {
    /// A client reading credentials as the docker CLI does (see [`CredentialStore::from_env`]).
    pub fn new(config: Config) -> Result<Self, Error> {
        Client::with_credentials(config, CredentialStore::from_env())
    }

    /// A client reading credentials from `store`.
    pub fn with_credentials(config: Config, store: CredentialStore) -> Result<Self, Error> {
        Client::with_options(config, store, RetryPolicy::default())
    }

    /// A client with an explicit retry policy.
    pub fn with_options(
        config: Config,
        store: CredentialStore,
        retry: RetryPolicy,
    ) -> Result<Self, Error> {
        let check_pinned = config.check_pinned;
        let mut transport = transport::Transport::new(config)?;
        transport.retry = retry;
        Ok(Client {
            inner: Arc::new(client::Inner {
                transport,
                auth: auth::Authenticator::new(store),
                limits: Default::default(),
                check_pinned,
            }),
        })
    }

    /// Resolve one reference. A reference with a digest needs no request unless
    /// platforms are asked for (then its manifest is fetched by that digest and verified)
    /// or [`Config::check_pinned`] is set (then one HEAD checks the registry has it).
    pub async fn resolve(
        &self,
        image: &ImageRef,
        platforms: &[Platform],
    ) -> Result<Resolved, Error> {
        self.inner.resolve(image, platforms).await
    }

    /// What each registry last said about its pull limit (Docker Hub's `ratelimit-*`
    /// headers), for `-v`.
    pub fn rate_limits(&self) -> Vec<RateLimit> {
        self.inner.limits.all()
    }

    /// Resolve each unique reference once, concurrently; results in input order.
    pub async fn resolve_all(
        &self,
        images: &[ImageRef],
        platforms: &[Platform],
    ) -> Vec<Result<Resolved, Error>> {
        self.resolve_all_with(images, platforms, &|_, _, _| {})
            .await
    }

    /// [`Client::resolve_all`], calling `done(n, of, image)` as each distinct reference is
    /// answered (for a progress line).
    pub async fn resolve_all_with(
        &self,
        images: &[ImageRef],
        platforms: &[Platform],
        done: &dyn Fn(usize, usize, &ImageRef),
    ) -> Vec<Result<Resolved, Error>> {
        let mut unique: Vec<&ImageRef> = Vec::new();
        let mut index: HashMap<&ImageRef, usize> = HashMap::new();
        let slots: Vec<usize> = images
            .iter()
            .map(|i| {
                *index.entry(i).or_insert_with(|| {
                    unique.push(i);
                    unique.len() - 1
                })
            })
            .collect();
        // Tell the authenticator every repository up front: one token request per registry
        // can then cover them all.
        let mut by_host: HashMap<String, Vec<&str>> = HashMap::new();
        for image in unique
            .iter()
            .filter(|i| i.digest().is_none() || !platforms.is_empty())
        {
            let ep = self.inner.transport.endpoint(image.domain());
            by_host.entry(ep.host).or_default().push(image.repository());
        }
        for (host, repos) in by_host {
            self.inner.auth.plan(&host, repos);
        }
        let of = unique.len();
        let answered = std::sync::atomic::AtomicUsize::new(0);
        let results = futures::future::join_all(unique.iter().map(|i| {
            let answered = &answered;
            async move {
                let r = self.inner.resolve(i, platforms).await;
                let n = answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                done(n, of, i);
                r
            }
        }))
        .await;
        slots.into_iter().map(|s| results[s].clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(insecure: &[&str], mirrors: &[&str]) -> RegistryArgs {
        RegistryArgs {
            insecure_registries: insecure.iter().map(|s| s.to_string()).collect(),
            registry_mirrors: mirrors.iter().map(|s| s.to_string()).collect(),
            jobs: 4,
            timeout: 7,
        }
    }

    #[test]
    fn config_from_flags() {
        let c = Config::from_args(&args(
            &["http://reg.local:5000/", "other"],
            &["index.docker.io=https://mirror.local:5000", "ghcr.io=m2"],
        ))
        .unwrap();
        assert_eq!(c.insecure_registries, ["reg.local:5000", "other"]);
        assert_eq!(c.mirrors["docker.io"], "mirror.local:5000");
        assert_eq!(c.mirrors["ghcr.io"], "m2");
        assert_eq!((c.jobs, c.timeout), (4, Duration::from_secs(7)));
        for bad in ["docker.io", "=m", "docker.io=", "docker.io=m/path"] {
            assert!(Config::from_args(&args(&[], &[bad])).is_err(), "{bad}");
        }
    }
}
