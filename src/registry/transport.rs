//! How registries are reached: URLs, the plain-HTTP policy, mirrors, timeouts, retries,
//! per-registry concurrency and body caps.
//!
//! HTTPS with the system's roots by default; plain HTTP only for loopback hosts (Docker
//! treats 127.0.0.0/8 as insecure by default) and hosts the user names. Retries follow the
//! OCI distribution spec's advice for `429` and the usual gateway statuses.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::{RequestBuilder, Response, StatusCode};
use tokio::sync::Semaphore;

use super::{Config, Error};

/// Manifests larger than this are refused (the distribution spec suggests 4 MiB).
pub const MANIFEST_CAP: usize = 4 << 20;
/// Token responses larger than this are refused.
pub const TOKEN_CAP: usize = 1 << 20;

/// Where one registry's requests go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The registry as references name it (`docker.io`).
    pub registry: String,
    /// The host contacted (`registry-1.docker.io`, or a mirror).
    pub host: String,
    /// `https://host` or `http://host`.
    pub base: String,
}

/// How often and how long to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// First backoff; doubled per attempt, with jitter.
    pub base_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base_delay: Duration::from_millis(200),
            budget: Duration::from_secs(30),
        }
    }
}

pub struct Transport {
    pub http: reqwest::Client,
    config: Config,
    pub retry: RetryPolicy,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Per registry host: images being looked up at once (see [`Transport::turn`]).
    turns: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Hosts that could not be reached after every retry: later requests fail at once.
    unreachable: Mutex<HashMap<String, Error>>,
    /// One task at a time retries a host that failed to answer, so that an unreachable
    /// registry costs one series of attempts, not one per image.
    retry_gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Transport {
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .timeout(config.timeout)
            .user_agent(concat!("dockerfile-lock/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(config.jobs.max(1))
            .build()
            .map_err(|e| Error::new("", format!("cannot set up the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            config,
            retry: RetryPolicy::default(),
            limits: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
            unreachable: Mutex::new(HashMap::new()),
            retry_gates: Mutex::new(HashMap::new()),
        })
    }

    /// Map a registry name to the host and scheme its requests use.
    pub fn endpoint(&self, registry: &str) -> Endpoint {
        let host = match self.config.mirrors.get(registry) {
            Some(mirror) => mirror.clone(),
            None if registry == crate::reference::DOCKER_HUB => "registry-1.docker.io".into(),
            None => registry.to_string(),
        };
        let scheme = if self.plain_http_allowed(&host) {
            "http"
        } else {
            "https"
        };
        Endpoint {
            registry: registry.to_string(),
            base: format!("{scheme}://{host}"),
            host,
        }
    }

    /// Plain HTTP is allowed for loopback and for `--insecure-registry` hosts.
    pub fn plain_http_allowed(&self, host: &str) -> bool {
        is_loopback(host)
            || self
                .config
                .insecure_registries
                .iter()
                .any(|h| h == host || (!h.contains(':') && host_part(host) == h.as_str()))
    }

    /// Send a request built by `make`, retrying `429`/`502`/`503`/`504` and connection
    /// errors with jittered backoff, honouring `Retry-After`, within the retry budget.
    /// A retryable status that outlasts the budget is returned for the caller to report.
    pub async fn send(
        &self,
        endpoint: &Endpoint,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<Response, Error> {
        let start = Instant::now();
        let mut attempt = 0;
        let mut gate = None;
        loop {
            if let Some(e) = self.unreachable(&endpoint.host) {
                return Err(e);
            }
            attempt += 1;
            let result = {
                let _permit = self.permit(&endpoint.host).await;
                make().send().await
            };
            let last = attempt >= self.retry.attempts;
            let wait = match &result {
                Ok(r) if retryable(r.status()) && !last => {
                    retry_after(r).unwrap_or_else(|| self.backoff(attempt))
                }
                Err(e) if (e.is_connect() || e.is_request()) && !e.is_timeout() && !last => {
                    if gate.is_none() {
                        let g = {
                            let mut gates = lock(&self.retry_gates);
                            gates.entry(endpoint.host.clone()).or_default().clone()
                        };
                        gate = Some(g.lock_owned().await);
                        // Another task may have given up on the host meanwhile.
                        if let Some(e) = self.unreachable(&endpoint.host) {
                            return Err(e);
                        }
                    }
                    self.backoff(attempt)
                }
                _ => return self.finish(endpoint, result),
            };
            if start.elapsed().saturating_add(wait) > self.retry.budget {
                return self.finish(endpoint, result);
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// The final answer; a host that could not be reached is remembered as such.
    fn finish(
        &self,
        endpoint: &Endpoint,
        result: reqwest::Result<Response>,
    ) -> Result<Response, Error> {
        result.map_err(|e| {
            let err = transport_error(endpoint, &e, &self.config);
            if (e.is_connect() || e.is_request()) && !e.is_timeout() {
                lock(&self.unreachable).insert(endpoint.host.clone(), err.clone());
            }
            err
        })
    }

    fn unreachable(&self, host: &str) -> Option<Error> {
        lock(&self.unreachable).get(host).cloned()
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .retry
            .base_delay
            .checked_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .unwrap_or(self.retry.budget)
            .min(self.retry.budget);
        // Jitter between half and all of the exponential delay, so clients spread out.
        exp.mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    async fn permit(&self, host: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.acquire(&self.limits, host).await
    }

    /// A turn to look up one image on `host`, held across its requests (and the token
    /// fetch between them), so that at most `--jobs` images are in progress per registry
    /// and each decides what to send when its turn comes: with what earlier answers
    /// taught (the challenge, a token), not before them. Requests inside a turn take a
    /// [`Transport::send`] permit as well; every permit holder holds a turn, so the two
    /// bounds cannot wait on each other.
    pub async fn turn(&self, host: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.acquire(&self.turns, host).await
    }

    async fn acquire(
        &self,
        map: &Mutex<HashMap<String, Arc<Semaphore>>>,
        host: &str,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let sem = lock(map)
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.jobs.max(1))))
            .clone();
        sem.acquire_owned().await.ok()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3).
fn retry_after(r: &Response) -> Option<Duration> {
    let v = r
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    parse_retry_after(v, SystemTime::now())
}

pub fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn transport_error(endpoint: &Endpoint, e: &reqwest::Error, config: &Config) -> Error {
    let what = if e.is_timeout() {
        format!(
            "{} did not answer within {} s",
            endpoint.host,
            config.timeout.as_secs_f64()
        )
    } else if e.is_connect() {
        format!("cannot connect to {}: {}", endpoint.host, chain(e))
    } else {
        format!("request to {} failed: {}", endpoint.host, chain(e))
    };
    let mut err = Error::new(&endpoint.registry, what);
    let text = chain(e).to_ascii_lowercase();
    let host = &endpoint.host;
    if text.contains("certificate") {
        // Registries and token realms alike (a realm's endpoint has no base URL).
        err.help = Some(format!(
            "the TLS certificate of {host} is not trusted; if {host} uses a private CA, \
             set SSL_CERT_FILE to a PEM bundle that includes it"
        ));
    } else if endpoint.base.starts_with("https")
        && (text.contains("corrupt message") || text.contains("tls"))
    {
        // rustls meeting a plain-HTTP server reports a corrupt TLS record.
        err.help = Some(format!(
            "if {host} serves plain HTTP, pass `--insecure-registry {host}`"
        ));
    }
    err
}

/// The innermost cause, which says what happened ("Connection refused"); the URL and
/// the layers above it add nothing the message lacks.
fn chain(e: &reqwest::Error) -> String {
    let mut last = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        last = cause.to_string();
        source = cause.source();
    }
    last
}

/// Read a body of at most `cap` bytes; a longer one is an error, not a truncation.
pub async fn read_capped(
    endpoint: &Endpoint,
    mut response: Response,
    cap: usize,
    what: &str,
) -> Result<Vec<u8>, Error> {
    let too_large = || {
        Error::new(
            &endpoint.registry,
            format!(
                "{} sent a {what} larger than {} KiB",
                endpoint.host,
                cap >> 10
            ),
        )
    };
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => {
                return Err(Error::new(
                    &endpoint.registry,
                    format!(
                        "reading a {what} from {} failed: {}",
                        endpoint.host,
                        chain(&e)
                    ),
                ))
            }
        }
    }
}

/// `localhost`, `127.0.0.0/8` and `::1`, with or without a port.
pub fn is_loopback(host: &str) -> bool {
    let h = host_part(host);
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match h
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => ip.is_loopback(),
        Err(_) => h.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback()),
    }
}

/// `host` without its `:port` (IPv6 literals keep their brackets).
fn host_part(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    host.split_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(insecure: &[&str]) -> Transport {
        let config = Config {
            insecure_registries: insecure.iter().map(|s| s.to_string()).collect(),
            mirrors: [("quay.io".to_string(), "mirror.local:5000".to_string())].into(),
            ..Config::default()
        };
        Transport::new(config).unwrap()
    }

    #[test]
    fn plain_http_only_for_loopback_and_named_hosts() {
        let t = transport(&["reg.internal:5000", "other.internal"]);
        for (host, want) in [
            ("127.0.0.1:5000", "http://127.0.0.1:5000"),
            ("127.8.9.1", "http://127.8.9.1"),
            ("localhost:5000", "http://localhost:5000"),
            ("[::1]:5000", "http://[::1]:5000"),
            ("reg.internal:5000", "http://reg.internal:5000"),
            ("reg.internal:5001", "https://reg.internal:5001"),
            ("other.internal:443", "http://other.internal:443"),
            ("ghcr.io", "https://ghcr.io"),
            ("128.0.0.1", "https://128.0.0.1"),
            ("docker.io", "https://registry-1.docker.io"),
            ("quay.io", "https://mirror.local:5000"),
        ] {
            assert_eq!(t.endpoint(host).base, want, "{host}");
        }
        assert_eq!(t.endpoint("quay.io").registry, "quay.io");
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
