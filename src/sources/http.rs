//! HTTP(S) sources: the sha256 of the bytes a URL serves now, streamed through the hash
//! and bounded by a size limit and by `--timeout` for the whole download.
//!
//! The URLs come from the tree being checked, so they choose the hosts. A `~/.netrc`
//! login is therefore sent only in answer to a 401 from the very host (and port) its
//! `machine` entry names, only over HTTPS or to this machine, and never follows a
//! redirect elsewhere. No request carries a `Referer`, which would hand the previous
//! URL's query (often a token) to the host a redirect names. A host that times out once
//! fails its other sources at once, so that many URLs on one black-holed host cost one
//! timeout, not one each.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use reqwest::{StatusCode, Url};
use sha2::{Digest as _, Sha256};
use tokio::sync::watch;

use super::netrc;
use super::pins::shown;
use crate::reference::Digest;

/// The largest download accepted unless `DOCKERFILE_LOCK_MAX_SOURCE_SIZE` says otherwise.
pub const DEFAULT_LIMIT: u64 = 1 << 30;

/// Why a URL could not be hashed. The URL in messages never shows a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot fetch {url}: {message}")]
pub struct Error {
    pub url: String,
    pub message: String,
    pub help: Option<String>,
}

/// How downloads are made.
#[derive(Debug, Clone)]
pub struct Options {
    /// The whole of one download: connecting, the answer's head and its body.
    pub timeout: Duration,
    /// Bytes; a larger body is an error.
    pub limit: u64,
}

impl Options {
    /// The limit from `DOCKERFILE_LOCK_MAX_SOURCE_SIZE` (`4G`, `512M`, `100K` or bytes).
    pub fn from_env(timeout: Duration) -> Result<Options, String> {
        let limit = match std::env::var("DOCKERFILE_LOCK_MAX_SOURCE_SIZE") {
            Ok(v) if !v.trim().is_empty() => parse_size(v.trim()).ok_or_else(|| {
                format!(
                    "DOCKERFILE_LOCK_MAX_SOURCE_SIZE={v:?} is not a size (e.g. 4G, 512M, 1048576)"
                )
            })?,
            _ => DEFAULT_LIMIT,
        };
        Ok(Options { timeout, limit })
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, shift) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 10),
        b'M' | b'm' => (&s[..s.len() - 1], 20),
        b'G' | b'g' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    num.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// `1073741824` as `1 GiB`, for the limit's message.
fn show_size(n: u64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] {
        if n >= 1 << shift && n.is_multiple_of(1 << shift) {
            return format!("{} {unit}", n >> shift);
        }
    }
    format!("{n} bytes")
}

/// Redirects followed before a download fails.
const MAX_REDIRECTS: usize = 10;

/// Downloads at once.
const CONCURRENCY: usize = 8;

/// The sha256 of each URL's body, in order; each URL fails or succeeds on its own, except
/// that a host that timed out fails the rest of its URLs at once.
pub async fn checksums(urls: &[String], options: &Options) -> Vec<Result<Digest, Error>> {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            let message = format!("cannot set up the HTTP client: {e}");
            return urls
                .iter()
                .map(|u| Err(error(u, message.clone(), None)))
                .collect();
        }
    };
    let run = Run {
        client,
        options: options.clone(),
        timed_out: watch::channel(HashSet::new()).0,
    };
    futures::stream::iter(urls.iter().map(|u| run.checksum(u)))
        .buffered(CONCURRENCY)
        .collect()
        .await
}

/// The client every download shares. Its only timeout is the one around each whole
/// download: a per-read timeout lets a body that drips a byte at a time run forever.
fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("dockerfile-lock/", env!("CARGO_PKG_VERSION")))
        .referer(false)
        .redirect(reqwest::redirect::Policy::custom(
            |attempt| match refused_redirect(attempt.previous(), attempt.url()) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            },
        ))
        .build()
}

/// Why a redirect to `next` after `previous` is not followed: too many of them, or plain
/// HTTP off this machine once the download was on HTTPS. The message never quotes the
/// server's `Location`.
fn refused_redirect(previous: &[Url], next: &Url) -> Option<String> {
    let secured = previous.iter().any(|u| u.scheme() == "https");
    if previous.len() > MAX_REDIRECTS {
        Some(format!("more than {MAX_REDIRECTS} redirects"))
    } else if secured && next.scheme() != "https" && !is_loopback(next) {
        Some("an HTTPS download was redirected to plain HTTP, which is refused".into())
    } else {
        None
    }
}

fn error(url: &str, message: String, help: Option<String>) -> Error {
    Error {
        url: shown(url),
        message,
        help,
    }
}

/// `localhost`, `127.0.0.0/8` and `::1` (also as `::ffff:127.x.y.z`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
    {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Whether a netrc login may travel to `url` at all: over HTTPS, or to this machine.
fn login_may_go_to(url: &Url) -> bool {
    url.scheme() == "https" || (url.scheme() == "http" && is_loopback(url))
}

/// Whether `answered` (where a request ended up) is the host and port `asked` names.
fn same_origin(asked: &Url, answered: &Url) -> bool {
    asked.scheme() == answered.scheme()
        && asked.host_str() == answered.host_str()
        && asked.port_or_known_default() == answered.port_or_known_default()
}

/// `host[:port]` of a URL: what "timed out" is remembered by.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The innermost cause of a client error: the outer ones repeat the URL (and any password
/// in it).
fn cause(e: reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    msg
}

/// One call of [`checksums`]: the shared client and the hosts that timed out so far.
struct Run {
    client: reqwest::Client,
    options: Options,
    timed_out: watch::Sender<HashSet<String>>,
}

impl Run {
    /// [`Run::download`] under the timeout; ends early when another download from the
    /// same host times out meanwhile.
    async fn checksum(&self, url: &str) -> Result<Digest, Error> {
        let parsed = Url::parse(url).map_err(|e| error(url, format!("invalid URL: {e}"), None))?;
        let host = host_of(&parsed);
        let earlier = || {
            let message = format!("{} timed out earlier in this run", shown(&host));
            error(url, message, None)
        };
        let mut timed_out = self.timed_out.subscribe();
        if timed_out.borrow().contains(&host) {
            return Err(earlier());
        }
        let limit = self.options.timeout;
        tokio::select! {
            r = tokio::time::timeout(limit, self.download(url, &parsed)) => match r {
                Ok(r) => r,
                Err(_) => {
                    self.timed_out.send_modify(|hosts| {
                        hosts.insert(host.clone());
                    });
                    let message = format!(
                        "the download took longer than --timeout {} (seconds)",
                        limit.as_secs_f64()
                    );
                    let help = "a host that answers slowly or not at all fails here; raise --timeout if it is only slow";
                    Err(error(url, message, Some(help.into())))
                }
            },
            Ok(_) = timed_out.wait_for(|hosts| hosts.contains(&host)) => Err(earlier()),
        }
    }

    /// GET `url` and hash its body as it arrives. A netrc login answers a 401 only.
    async fn download(&self, url: &str, parsed: &Url) -> Result<Digest, Error> {
        // Credentials written in the URL itself are sent as written.
        let written = !parsed.username().is_empty() || parsed.password().is_some();
        let mut response = self
            .client
            .get(parsed.clone())
            .send()
            .await
            .map_err(|e| error(url, cause(e), None))?;
        let mut answered = false;
        if response.status() == StatusCode::UNAUTHORIZED && !written {
            let at = response.url().clone();
            let login = (same_origin(parsed, &at) && login_may_go_to(&at))
                .then(|| at.host_str().and_then(netrc::lookup))
                .flatten();
            if let Some(l) = login {
                drop(response);
                response = self
                    .client
                    .get(at)
                    .basic_auth(&l.login, Some(&l.password))
                    .send()
                    .await
                    .map_err(|e| error(url, cause(e), None))?;
                answered = true;
            }
        }
        let status = response.status();
        if !status.is_success() {
            let help = match status.as_u16() {
                401 | 403 if answered => {
                    "the login ~/.netrc gives for this host was refused".into()
                }
                401 | 403 if written => "the login written in the URL was refused".into(),
                401 | 403 => login_help(parsed, response.url()),
                _ => return Err(error(url, format!("the server answered {status}"), None)),
            };
            return Err(error(
                url,
                format!("the server answered {status}"),
                Some(help),
            ));
        }
        self.hash(url, response).await
    }

    async fn hash(&self, url: &str, mut response: reqwest::Response) -> Result<Digest, Error> {
        let limit = self.options.limit;
        let too_big = || {
            error(
                url,
                format!(
                    "the download is larger than the {} limit for ADD sources",
                    show_size(limit)
                ),
                Some("set DOCKERFILE_LOCK_MAX_SOURCE_SIZE to a larger size (e.g. 4G)".into()),
            )
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(too_big());
        }
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| error(url, format!("download failed: {}", cause(e)), None))?
        {
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_big());
            }
            hasher.update(&chunk);
        }
        let hex = hex::encode(hasher.finalize());
        format!("sha256:{hex}")
            .parse()
            .map_err(|e| error(url, format!("{e}"), None))
    }
}

/// What to do about a 401 or 403 no login was sent to. Names no host but the URL's own.
fn login_help(asked: &Url, answered: &Url) -> String {
    let host = asked.host_str().map_or_else(|| "the host".into(), shown);
    if !same_origin(asked, answered) {
        return format!(
            "the download was redirected away from {host}, and the new host asked for a login; \
             a ~/.netrc login goes only to the host and port the URL names"
        );
    }
    if !login_may_go_to(asked) && asked.host_str().and_then(netrc::lookup).is_some() {
        return format!(
            "~/.netrc has a login for {host}, but it is sent only over HTTPS (or to this machine): \
             use an https:// URL"
        );
    }
    format!("if {host} needs a login, add it to ~/.netrc (`machine {host} login USER password TOKEN`); a `default` entry is not used")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4G"), Some(4 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("x"), None);
        assert_eq!(show_size(DEFAULT_LIMIT), "1 GiB");
        assert_eq!(show_size(1000), "1000 bytes");
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn logins_go_over_https_or_to_this_machine_only() {
        for yes in [
            "https://files.example/a",
            "http://127.0.0.1:8080/a",
            "http://127.1.2.3/a",
            "http://LOCALHOST/a",
            "http://[::1]:9/a",
            "http://[::ffff:127.0.0.1]/a",
        ] {
            assert!(login_may_go_to(&url(yes)), "{yes}");
        }
        for no in [
            "http://files.example/a",
            "http://192.0.2.2/a",
            "http://localhost.files.example/a",
            "http://[::ffff:192.0.2.2]/a",
            "ftp://127.0.0.1/a",
        ] {
            assert!(!login_may_go_to(&url(no)), "{no}");
        }
    }

    #[test]
    fn only_the_same_scheme_host_and_port_is_the_same_origin() {
        let a = url("https://h.example/a?x");
        assert!(same_origin(&a, &url("https://H.example:443/b")));
        assert!(!same_origin(&a, &url("https://h.example:8443/a")));
        assert!(!same_origin(&a, &url("http://h.example/a")));
        assert!(!same_origin(&a, &url("https://other.example/a")));
        assert_eq!(host_of(&url("http://h:80/a")), "h");
        assert_eq!(host_of(&url("http://h:81/a")), "h:81");
    }

    #[test]
    fn redirects_are_bounded_and_never_leave_https_for_another_machine() {
        let secure = [url("https://h.example/a")];
        let plain = [url("http://h.example/a")];
        assert_eq!(refused_redirect(&secure, &url("https://o.example/b")), None);
        assert_eq!(
            refused_redirect(&secure, &url("http://127.0.0.1:9/b")),
            None
        );
        assert!(refused_redirect(&secure, &url("http://o.example/b"))
            .is_some_and(|m| m.contains("plain HTTP") && !m.contains("o.example")));
        let then_plain = [url("https://h.example/a"), url("https://o.example/b")];
        assert!(refused_redirect(&then_plain, &url("http://h.example/c")).is_some());
        assert_eq!(refused_redirect(&plain, &url("http://o.example/b")), None);
        let many: Vec<Url> = (0..=MAX_REDIRECTS).map(|_| plain[0].clone()).collect();
        assert_eq!(refused_redirect(&many[1..], &plain[0]), None);
        assert!(refused_redirect(&many, &plain[0]).is_some_and(|m| m.contains("redirects")));
    }
}
