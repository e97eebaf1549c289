//! HTTP(S) sources: the sha256 of the bytes a URL serves now, streamed through the hash
//! and bounded by a size limit. Credentials come from `~/.netrc` for the URL's own host
//! and go to that host only (the client drops them on a redirect to another host).

use std::time::Duration;

use futures::StreamExt;
use sha2::{Digest as _, Sha256};

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

/// The sha256 of each URL's body, in order; each URL fails or succeeds on its own.
pub async fn checksums(urls: &[String], options: &Options) -> Vec<Result<Digest, Error>> {
    let client = match reqwest::Client::builder()
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        .read_timeout(options.timeout)
        .user_agent(concat!("dockerfile-lock/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            let message = format!("cannot set up the HTTP client: {e}");
            return urls
                .iter()
                .map(|u| Err(error(u, message.clone(), None)))
                .collect();
        }
    };
    futures::stream::iter(urls.iter().map(|u| checksum(&client, u, options)))
        .buffered(8)
        .collect()
        .await
}

fn error(url: &str, message: String, help: Option<String>) -> Error {
    Error {
        url: shown(url),
        message,
        help,
    }
}

/// GET `url` and hash its body as it arrives.
async fn checksum(client: &reqwest::Client, url: &str, options: &Options) -> Result<Digest, Error> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| error(url, format!("invalid URL: {e}"), None))?;
    let mut request = client.get(parsed.clone());
    let login = match (parsed.username(), parsed.password()) {
        ("", None) => parsed.host_str().and_then(netrc::lookup),
        _ => None, // credentials in the URL itself are used as written
    };
    if let Some(l) = &login {
        request = request.basic_auth(&l.login, Some(&l.password));
    }
    // The URL's own message would repeat the URL (and any password in it): keep the cause.
    let cause = |e: reqwest::Error| {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg = s.to_string();
            source = s.source();
        }
        msg
    };
    let response = request
        .send()
        .await
        .map_err(|e| error(url, cause(e), None))?;
    let status = response.status();
    if !status.is_success() {
        let help = match status.as_u16() {
            401 | 403 if login.is_none() => Some(format!(
                "if {} needs a login, add it to ~/.netrc (`machine HOST login USER password TOKEN`)",
                parsed.host_str().unwrap_or("the host")
            )),
            401 | 403 => Some("the login ~/.netrc gives for this host was refused".into()),
            _ => None,
        };
        return Err(error(url, format!("the server answered {status}"), help));
    }
    let too_big = || {
        error(
            url,
            format!(
                "the download is larger than the {} limit for ADD sources",
                show_size(options.limit)
            ),
            Some("set DOCKERFILE_LOCK_MAX_SOURCE_SIZE to a larger size (e.g. 4G)".into()),
        )
    };
    if response.content_length().is_some_and(|n| n > options.limit) {
        return Err(too_big());
    }
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut response = response;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| error(url, format!("download failed: {}", cause(e)), None))?
    {
        size += chunk.len() as u64;
        if size > options.limit {
            return Err(too_big());
        }
        hasher.update(&chunk);
    }
    let hex = hex::encode(hasher.finalize());
    format!("sha256:{hex}")
        .parse()
        .map_err(|e| error(url, format!("{e}"), None))
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
}
