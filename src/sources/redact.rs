//! Secrets in source URLs: what the lock, the exports and every message show of a URL
//! instead of the URL itself.
//!
//! A URL's userinfo (`https://user:TOKEN@host`, or a token used as the user name,
//! `https://TOKEN@host`) and the query values of an HTTP URL that came from a variable
//! (`?private_token=${TOKEN}`) are secrets: the lock records `***` in their place. What
//! identifies the source (scheme, host, path, the literal query values, git's ref and
//! subdirectory) stays, so `verify` still catches a change of host, path or ref, and the
//! checksum still locks the bytes.

use std::ops::Range;

/// What replaces a secret.
pub const MASK: &str = "***";

/// A URL as the lock records it, and the secrets taken out of it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redacted {
    pub url: String,
    /// The exact texts that were masked (longest first), to scrub from any message that
    /// might quote the URL as fetched.
    pub secrets: Vec<String>,
}

/// The lock's form of `value`, the URL after expansion, given `raw`, the URL as written.
/// `http` says whether its query is HTTP's (free-form, so a value from a variable is
/// masked) or git's (only known, identifying keys).
pub fn safe_url(raw: &str, value: &str, http: bool) -> Redacted {
    let mut secrets = Vec::new();
    let mut url = String::with_capacity(value.len());
    let Some(authority) = authority(value) else {
        return Redacted {
            url: value.to_string(),
            secrets,
        };
    };
    url.push_str(&value[..authority.start]);
    let auth = &value[authority.clone()];
    match auth.rfind('@') {
        Some(at) => {
            let info = &auth[..at];
            match masked_userinfo(scheme(value), info) {
                Some((kept, secret)) => {
                    url.push_str(&kept);
                    secrets.push(secret);
                }
                None => url.push_str(info),
            }
            url.push_str(&auth[at..]);
        }
        None => url.push_str(auth),
    }
    let rest = &value[authority.end..];
    let hash = rest.find('#').unwrap_or(rest.len());
    match rest[..hash].find('?') {
        Some(q) if http => {
            url.push_str(&rest[..=q]);
            let literal = literal_params(raw);
            let pairs: Vec<String> = rest[q + 1..hash]
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) if !v.is_empty() && !literal.contains(&pair) => {
                        secrets.push(v.to_string());
                        format!("{k}={MASK}")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            url.push_str(&pairs.join("&"));
            url.push_str(&rest[hash..]);
        }
        _ => url.push_str(rest),
    }
    secrets.retain(|s| !s.is_empty() && s != MASK);
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
    Redacted { url, secrets }
}

/// The `key=value` pairs written literally in the query of `raw` (a value holding `$`
/// came from a variable, so it is not literal).
fn literal_params(raw: &str) -> Vec<&str> {
    let hash = raw.find('#').unwrap_or(raw.len());
    match raw[..hash].find('?') {
        Some(q) => raw[q + 1..hash]
            .split('&')
            .filter(|p| !p.contains('$'))
            .collect(),
        None => Vec::new(),
    }
}

fn scheme(s: &str) -> &str {
    s.find("://").map_or("", |i| &s[..i])
}

/// The byte range of `scheme://AUTHORITY/…`'s authority, when `s` has a scheme.
fn authority(s: &str) -> Option<Range<usize>> {
    let start = s.find("://")? + 3;
    let end = s[start..]
        .find(['/', '?', '#'])
        .map_or(s.len(), |i| start + i);
    Some(start..end)
}

/// Userinfo as shown, and the secret it held. Over HTTP(S) and git's own protocol all of
/// it is secret (a token is often the user name); over SSH the user is an account name
/// (`ssh://git@host`), and only a password is masked.
fn masked_userinfo(scheme: &str, info: &str) -> Option<(String, String)> {
    if info.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("ssh") {
        let (user, password) = info.split_once(':')?;
        return Some((format!("{user}:{MASK}"), password.to_string()));
    }
    Some((MASK.to_string(), info.to_string()))
}

/// `s` (a URL, or a message quoting one) with its userinfo masked, as [`safe_url`] does;
/// for messages about a URL whose written form is not at hand.
pub fn redact(s: &str) -> String {
    let Some(auth) = authority(s) else {
        return s.to_string();
    };
    match s[auth.clone()].rfind('@') {
        Some(at) => match masked_userinfo(scheme(s), &s[auth.start..auth.start + at]) {
            Some((kept, _)) => format!("{}{kept}{}", &s[..auth.start], &s[auth.start + at..]),
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

/// A short excerpt of a value for messages (and never its userinfo).
pub fn shown(s: &str) -> String {
    let s = redact(s);
    match s.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

/// `text` with every one of `secrets` (and their percent-encoded forms) replaced by
/// `***`, for messages that quote what a server or `git` said about a URL.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s.as_str(), MASK);
        let encoded = percent_encode(s);
        if encoded != *s {
            out = out.replace(&encoded, MASK);
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_masked_whole_over_https_and_password_only_over_ssh() {
        assert_eq!(redact("https://u:secret@h/r.git"), "https://***@h/r.git");
        assert_eq!(redact("https://TOKEN@h/r.git"), "https://***@h/r.git");
        assert_eq!(redact("ssh://git@h/r.git"), "ssh://git@h/r.git");
        assert_eq!(redact("ssh://git:pw@h/r.git"), "ssh://git:***@h/r.git");
        assert_eq!(redact("https://h/a@b"), "https://h/a@b");
        assert_eq!(redact("git@h:r.git"), "git@h:r.git");
    }

    #[test]
    fn query_values_from_variables_are_masked() {
        let r = safe_url(
            "https://h/f?private_token=${TOKEN}&ref=main",
            "https://h/f?private_token=glpat-XYZ&ref=main",
            true,
        );
        assert_eq!(r.url, "https://h/f?private_token=***&ref=main");
        assert_eq!(r.secrets, ["glpat-XYZ"]);
        // Written literally: already in the reviewed Dockerfile, and part of its identity.
        let r = safe_url("https://h/f?v=1", "https://h/f?v=1", true);
        assert_eq!(r.url, "https://h/f?v=1");
        assert!(r.secrets.is_empty());
        // A whole URL from a variable: every query value is masked.
        let r = safe_url("${URL}", "https://u:p@h/f?a=1&b=#x", true);
        assert_eq!(r.url, "https://***@h/f?a=***&b=#x");
        assert_eq!(r.secrets, ["u:p", "1"]);
        // git's query names refs and subdirectories: identifying, never masked.
        let r = safe_url("${G}", "https://TOKEN@h/r.git?ref=v1&subdir=d", false);
        assert_eq!(r.url, "https://***@h/r.git?ref=v1&subdir=d");
        assert_eq!(r.secrets, ["TOKEN"]);
    }

    #[test]
    fn scrub_takes_plain_and_percent_encoded_forms() {
        let secrets = vec!["a b/c".to_string(), "xy".to_string()];
        assert_eq!(
            scrub("got a b/c and a%20b%2Fc; xy", &secrets),
            "got *** and ***; xy"
        );
    }
}
