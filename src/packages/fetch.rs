//! Bounded HTTP downloads of package indexes: a deadline for each whole download, a size
//! cap, at most ten redirects, never from HTTPS to plain HTTP off this machine, and no
//! credentials sent (a URL's userinfo is refused rather than sent, and messages show it
//! masked, see [`crate::sources::redact`]).

use std::time::Duration;

use reqwest::{StatusCode, Url};

use crate::sources::redact::redact;

/// Redirects followed before a download fails.
const MAX_REDIRECTS: usize = 10;

/// The deadline for one download unless the caller says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The largest index downloaded unless the caller says otherwise: Debian's largest
/// compressed `Packages` is ~10 MB, an uncompressed one ~60 MB.
pub const DEFAULT_LIMIT: u64 = 256 << 20;

/// Why a download failed. The URL is shown with any userinfo masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot fetch {url}: {message}")]
pub struct FetchError {
    /// The URL, masked.
    pub url: String,
    /// What went wrong.
    pub message: String,
    /// The HTTP status, when the server answered with an error.
    pub status: Option<u16>,
}

/// An HTTP client for indexes, shared by every download of one run.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    limit: u64,
}

impl Fetcher {
    /// A client with `timeout` for each whole download and `limit` bytes per body.
    pub fn new(timeout: Duration, limit: u64) -> Result<Fetcher, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("dockerfile-lock/", env!("CARGO_PKG_VERSION")))
            .referer(false)
            .redirect(reqwest::redirect::Policy::custom(
                |attempt| match refused_redirect(attempt.previous(), attempt.url()) {
                    Some(why) => attempt.error(why),
                    None => attempt.follow(),
                },
            ))
            .build()
            .map_err(|e| FetchError {
                url: String::new(),
                message: format!("cannot set up the HTTP client: {}", cause(&e)),
                status: None,
            })?;
        Ok(Fetcher {
            client,
            timeout,
            limit,
        })
    }

    /// The body at `url`, whole, or why not.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let parsed = Url::parse(url).map_err(|e| error(url, format!("invalid URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(error(url, "only http:// and https:// are fetched".into()));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(error(
                url,
                "the URL carries credentials, which are never sent with index downloads".into(),
            ));
        }
        if is_metadata(&parsed) {
            return Err(error(url, METADATA_REFUSED.into()));
        }
        match tokio::time::timeout(self.timeout, self.download(url, parsed)).await {
            Ok(r) => r,
            Err(_) => Err(error(
                url,
                format!(
                    "the download took longer than {} seconds",
                    self.timeout.as_secs_f64()
                ),
            )),
        }
    }

    async fn download(&self, url: &str, parsed: Url) -> Result<Vec<u8>, FetchError> {
        let mut response = self
            .client
            .get(parsed)
            .send()
            .await
            .map_err(|e| error(url, cause(&e)))?;
        let status = response.status();
        if status != StatusCode::OK {
            let mut e = error(url, format!("the server answered {status}"));
            e.status = Some(status.as_u16());
            return Err(e);
        }
        let too_big = || {
            error(
                url,
                format!("the body is larger than the {} byte limit", self.limit),
            )
        };
        if response.content_length().is_some_and(|n| n > self.limit) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| error(url, format!("download failed: {}", cause(&e))))?
        {
            if (body.len() + chunk.len()) as u64 > self.limit {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn error(url: &str, message: String) -> FetchError {
    FetchError {
        url: redact(url),
        message,
        status: None,
    }
}

/// Why a redirect to `next` is not followed: too many, plain HTTP off this machine after
/// HTTPS, or credentials in the new URL. Never quotes the server's `Location`.
fn refused_redirect(previous: &[Url], next: &Url) -> Option<String> {
    let secured = previous.iter().any(|u| u.scheme() == "https");
    if previous.len() > MAX_REDIRECTS {
        Some(format!("more than {MAX_REDIRECTS} redirects"))
    } else if secured && next.scheme() != "https" && !crate::sources::http::is_loopback(next) {
        Some("an HTTPS download was redirected to plain HTTP, which is refused".into())
    } else if !next.username().is_empty() || next.password().is_some() {
        Some("a redirect named credentials, which are never sent".into())
    } else if is_metadata(next) {
        Some(METADATA_REFUSED.into())
    } else {
        None
    }
}

/// Why a link-local or cloud metadata address is not fetched.
const METADATA_REFUSED: &str =
    "a link-local or cloud metadata address is never fetched: an image's sources cannot point there";

/// A link-local address (`169.254.0.0/16`, `fe80::/10`, where cloud instance metadata and
/// its credentials are served) or a metadata host name. The URLs fetched come from the base
/// image's own files, which whoever wrote the Dockerfile chose.
fn is_metadata(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => {
            (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
        Err(_) => {
            let h = bare.trim_end_matches('.').to_ascii_lowercase();
            h == "metadata.google.internal" || h == "metadata"
        }
    }
}

/// The innermost cause of a client error: the outer ones repeat the URL.
fn cause(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = s.to_string();
        source = s.source();
    }
    redact(&msg)
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_addresses_are_refused() {
        for u in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/x",
            "http://[::ffff:169.254.169.254]/x",
            "http://metadata.google.internal./computeMetadata/v1/",
        ] {
            assert!(is_metadata(&Url::parse(u).unwrap()), "{u}");
        }
        for u in [
            "http://127.0.0.1:8080/debian",
            "https://deb.debian.org/debian",
            "http://10.0.0.1/x",
        ] {
            assert!(!is_metadata(&Url::parse(u).unwrap()), "{u}");
        }
    }

    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn redirects_are_bounded_and_keep_https() {
        let secure = [url("https://h.example/a")];
        assert_eq!(refused_redirect(&secure, &url("https://o.example/b")), None);
        assert_eq!(
            refused_redirect(&secure, &url("http://127.0.0.1:9/b")),
            None
        );
        assert!(refused_redirect(&secure, &url("http://o.example/b")).is_some());
        assert!(refused_redirect(&secure, &url("https://u:p@o.example/b")).is_some());
        let many: Vec<Url> = (0..11).map(|_| url("http://h/a")).collect();
        assert!(refused_redirect(&many, &url("http://h/b")).is_some());
    }

    #[tokio::test]
    async fn credentials_are_refused_and_masked() {
        let f = Fetcher::new(Duration::from_secs(1), 10).unwrap();
        let e = f.get("https://user:SECRET@h.example/x").await.unwrap_err();
        assert!(!e.to_string().contains("SECRET"), "{e}");
        assert!(e.url.contains("***"));
    }
}
