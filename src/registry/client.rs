//! Resolving one reference: HEAD the manifest, GET only when needed, verify every byte.
//!
//! Per the OCI distribution spec, `HEAD /v2/<name>/manifests/<tag>` with every manifest
//! type in `Accept` returns `Docker-Content-Digest` without a body, and does not count as
//! a pull on Docker Hub. A `GET` happens only when the HEAD has no digest or platform
//! children are wanted; its bytes are hashed and a digest the registry claims must match.

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, Response};

use super::auth::{Authenticator, Sent};
use super::manifest::{self, Platforms};
use super::ratelimit::{RateLimit, RateLimits};
use super::transport::{read_capped, Endpoint, Transport, MANIFEST_CAP};
use super::{login_help, Error, Resolved};
use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};

pub struct Inner {
    pub transport: Transport,
    pub auth: Authenticator,
    pub limits: RateLimits,
    /// See [`super::Config::check_pinned`].
    pub check_pinned: bool,
}

impl Inner {
    /// Resolve `image`; every error names it.
    pub async fn resolve(
        &self,
        image: &ImageRef,
        platforms: &[Platform],
    ) -> Result<Resolved, Error> {
        self.lookup(image, platforms).await.map_err(|mut e| {
            e.message = format!("cannot resolve {image}: {}", e.message);
            e
        })
    }

    async fn lookup(&self, image: &ImageRef, platforms: &[Platform]) -> Result<Resolved, Error> {
        let ep = self.transport.endpoint(image.domain());
        if let Some(pinned) = image.digest() {
            if platforms.is_empty() && self.check_pinned {
                // Does the registry have it? A HEAD by digest; a claimed digest must agree.
                let r = self
                    .request(image, &ep, Method::HEAD, &pinned.to_string())
                    .await?;
                let claimed = header(&r, "docker-content-digest");
                if claimed.as_deref().is_some_and(|c| c != pinned.to_string()) {
                    return Err(Error::new(
                        &ep.registry,
                        format!(
                            "{} answered for {pinned} with another digest; refusing it",
                            ep.host
                        ),
                    ));
                }
                return Ok(Resolved {
                    digest: pinned.clone(),
                    media_type: media_type(&r).unwrap_or_default(),
                    platforms: Default::default(),
                });
            }
            if platforms.is_empty() {
                // A digest names its content for good: nothing to ask.
                return Ok(Resolved {
                    digest: pinned.clone(),
                    media_type: String::new(),
                    platforms: Default::default(),
                });
            }
            let (bytes, media_type) = self
                .get(image, &ep, &pinned.to_string(), Some(pinned))
                .await?;
            let platforms = self
                .platforms(image, &ep, &bytes, pinned, platforms)
                .await?;
            return Ok(Resolved {
                digest: pinned.clone(),
                media_type,
                platforms,
            });
        }
        let tag = image.tag_or_latest();
        if platforms.is_empty() {
            let r = self.request(image, &ep, Method::HEAD, tag).await?;
            let media_type = media_type(&r);
            if let Some(digest) = header(&r, "docker-content-digest").and_then(|d| d.parse().ok()) {
                if let Some(media_type) = media_type {
                    return Ok(Resolved {
                        digest,
                        media_type,
                        platforms: Default::default(),
                    });
                }
            }
        }
        // No usable digest from HEAD, or children wanted: one GET, verified.
        let (bytes, media_type) = self.get(image, &ep, tag, None).await?;
        let digest = Digest::sha256_of(&bytes);
        let platforms = self
            .platforms(image, &ep, &bytes, &digest, platforms)
            .await?;
        Ok(Resolved {
            digest,
            media_type,
            platforms,
        })
    }

    /// GET a manifest, capped; the bytes must hash to `expect` and to any digest claimed.
    pub(super) async fn get(
        &self,
        image: &ImageRef,
        ep: &Endpoint,
        reference: &str,
        expect: Option<&Digest>,
    ) -> Result<(Vec<u8>, String), Error> {
        let r = self.request(image, ep, Method::GET, reference).await?;
        let claimed = header(&r, "docker-content-digest");
        let content_type = media_type(&r);
        let bytes = read_capped(ep, r, MANIFEST_CAP, "manifest").await?;
        let mismatch = |what: &str| Error {
            message: format!(
                "{} sent a manifest whose sha256 does not match {what}; refusing to pin it",
                ep.host
            ),
            registry: ep.registry.clone(),
            status: None,
            help: Some(
                "a proxy or the registry altered the manifest; try again or report it".into(),
            ),
        };
        if let Some(claimed) = claimed {
            match claimed.parse::<Digest>() {
                Ok(d) if d.matches(&bytes) => {}
                _ => {
                    // Echo at most a digest's length of what the registry sent.
                    let claimed: String = claimed.chars().take(71).collect();
                    return Err(mismatch(&format!("the digest it claimed ({claimed})")));
                }
            }
        }
        if let Some(expect) = expect {
            if !expect.matches(&bytes) {
                return Err(mismatch(&format!("the pinned digest {expect}")));
            }
        }
        let declared = manifest::declared_media_type(&bytes).ok_or_else(|| {
            Error::new(
                &ep.registry,
                format!("{} sent a manifest that is not JSON", ep.host),
            )
        })?;
        let media_type = content_type
            .filter(|t| !t.starts_with("application/json") && !t.is_empty())
            .unwrap_or(declared);
        Ok((bytes, media_type))
    }

    /// Each requested platform's child digest (from the index), or the image's own digest
    /// when it is a single image for that platform (its config blob says which).
    async fn platforms(
        &self,
        image: &ImageRef,
        ep: &Endpoint,
        bytes: &[u8],
        digest: &Digest,
        requested: &[Platform],
    ) -> Result<std::collections::BTreeMap<String, Digest>, Error> {
        if requested.is_empty() {
            return Ok(Default::default());
        }
        let fail = |why: String| Error::new(&ep.registry, why);
        match manifest::platforms_of(bytes).map_err(fail)? {
            Platforms::Index(entries) => manifest::select(&entries, requested).map_err(fail),
            Platforms::Single { config } => {
                let path = format!("{}/v2/{}/blobs/{config}", ep.base, image.repository());
                let r = self.send(image, ep, Method::GET, &path).await?;
                let blob = read_capped(ep, r, MANIFEST_CAP, "image config").await?;
                if !config.matches(&blob) {
                    return Err(fail(format!(
                        "the image config does not match its digest {config}"
                    )));
                }
                let platform = manifest::config_platform(&blob).map_err(fail)?;
                manifest::select_single(&platform, digest, requested).map_err(fail)
            }
        }
    }

    async fn request(
        &self,
        image: &ImageRef,
        ep: &Endpoint,
        method: Method,
        reference: &str,
    ) -> Result<Response, Error> {
        let url = format!(
            "{}/v2/{}/manifests/{reference}",
            ep.base,
            image.repository()
        );
        self.send(image, ep, method, &url).await
    }

    /// Send with auth. After a `401` from the registry itself, send what its challenge
    /// asks for (learning it costs no extra round trip), at most a few times; a `401`
    /// from another host (after a redirect) is never answered with this registry's
    /// credentials. A non-2xx answer is an error.
    async fn send(
        &self,
        image: &ImageRef,
        ep: &Endpoint,
        method: Method,
        url: &str,
    ) -> Result<Response, Error> {
        self.send_within(image, ep, method, url, None).await
    }

    /// As [`Inner::send`], with this request (its body included) allowed `timeout`
    /// instead of the client's `--timeout`: a layer blob may take longer than a manifest.
    pub(super) async fn send_within(
        &self,
        image: &ImageRef,
        ep: &Endpoint,
        method: Method,
        url: &str,
        timeout: Option<std::time::Duration>,
    ) -> Result<Response, Error> {
        let repo = image.repository();
        let _turn = self.transport.turn(&ep.host).await;
        let mut sent = self.auth.authorize(&self.transport, ep, repo).await?;
        let mut answered = 0;
        let mut own_refused = 0;
        loop {
            let r = self
                .transport
                .send(ep, || {
                    let req = self
                        .transport
                        .http
                        .request(method.clone(), url)
                        .header(ACCEPT, manifest::ACCEPT);
                    let req = match timeout {
                        Some(t) => req.timeout(t),
                        None => req,
                    };
                    match &sent {
                        Some(a) => req.header(AUTHORIZATION, a.header()),
                        None => req,
                    }
                })
                .await?;
            self.limits.observe(&ep.registry, r.headers());
            let status = r.status().as_u16();
            if status == 401 {
                if let Some(other) = foreign_host(ep, &r) {
                    return Err(cross_host_error(image, ep, &other));
                }
                let www = header(&r, WWW_AUTHENTICATE.as_str());
                // A repository's own token is fetched afresh once, as a refused token may
                // just have expired; a second refusal is the answer.
                if matches!(sent, Some(Sent::Own(_))) {
                    own_refused += 1;
                }
                if answered < 3
                    && own_refused < 2
                    && self
                        .auth
                        .rejected(ep, repo, sent.as_ref(), www.as_deref())
                        .await
                {
                    let next = self.auth.authorize(&self.transport, ep, repo).await?;
                    // Sending the same thing again would get the same answer.
                    if next.as_ref().map(|s| s.header()) != sent.as_ref().map(|s| s.header()) {
                        sent = next;
                        answered += 1;
                        continue;
                    }
                }
            }
            if r.status().is_success() {
                return Ok(r);
            }
            let limit = self.limits.get(&ep.registry);
            let mut e = status_error(image, ep, r, method == Method::HEAD, limit).await;
            if matches!(status, 401 | 403) {
                let source = self.auth.credential_source(ep).await;
                let (what, help) = super::refused(&ep.registry, source.as_deref());
                e.message.push_str(&what);
                e.help = Some(help);
            }
            return Err(e);
        }
    }
}

/// The `host[:port]` that answered, when a redirect led away from the registry's host.
fn foreign_host(ep: &Endpoint, r: &Response) -> Option<String> {
    let url = r.url();
    let answered = (url.host_str()?, url.port_or_known_default());
    let expected = reqwest::Url::parse(&ep.base).ok()?;
    let expected = (expected.host_str()?, expected.port_or_known_default());
    if answered == expected {
        return None;
    }
    Some(match url.port() {
        Some(p) => format!("{}:{p}", answered.0),
        None => answered.0.to_string(),
    })
}

/// A redirect led to a host that wants credentials: those for the registry are its own.
fn cross_host_error(image: &ImageRef, ep: &Endpoint, other: &str) -> Error {
    Error {
        message: format!(
            "{} redirected the request for {} to {other}, which asked for credentials; \
             credentials for {} are never sent to another host",
            ep.host,
            image.repository(),
            ep.host
        ),
        registry: ep.registry.clone(),
        status: Some(401),
        help: Some(format!(
            "{} should serve its manifests itself, or redirect to a location that needs no \
             credentials",
            ep.host
        )),
    }
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)?
        .to_str()
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The `Content-Type` without parameters (`; charset=…`).
fn media_type(r: &Response) -> Option<String> {
    let t = header(r, CONTENT_TYPE.as_str())?;
    let t = t.split(';').next().unwrap_or("").trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Name the image, the registry and the status; add the registry's own error code when
/// it sent the spec's JSON error body, and never echo anything else it sent.
async fn status_error(
    image: &ImageRef,
    ep: &Endpoint,
    r: Response,
    head: bool,
    limit: Option<RateLimit>,
) -> Error {
    let status = r.status();
    let code = status.as_u16();
    let content_type = header(&r, CONTENT_TYPE.as_str()).unwrap_or_default();
    let mut detail = String::new();
    if !head && content_type.contains("json") {
        if let Ok(body) = read_capped(ep, r, 64 << 10, "error").await {
            detail = registry_error_code(&body)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
        }
    } else if content_type.starts_with("text/html") {
        detail = " (an HTML page, not a registry response)".into();
    }
    let reason = status.canonical_reason().unwrap_or("");
    let via = if ep.host != ep.registry {
        format!(" via {}", ep.host)
    } else {
        String::new()
    };
    let message = format!("{}{via} answered HTTP {code} {reason}{detail}", ep.registry);
    let help = match code {
        401 | 403 => Some(login_help(&ep.registry)),
        404 => Some(format!(
            "check that {} exists and that you may pull it",
            image.normalized()
        )),
        429 => Some(match limit {
            Some(limit) => format!("{}; wait, or log in for a higher limit", limit.describe()),
            None => {
                "the registry is rate-limiting requests; wait, or log in for a higher limit".into()
            }
        }),
        _ => None,
    };
    Error {
        message,
        registry: ep.registry.clone(),
        status: Some(code),
        help,
    }
}

/// The first `errors[].code` of a distribution error body.
fn registry_error_code(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let code = v.get("errors")?.get(0)?.get("code")?.as_str()?;
    code.chars()
        .all(|c| c.is_ascii_uppercase() || c == '_')
        .then(|| code.to_string())
}
