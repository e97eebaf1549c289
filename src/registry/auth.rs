//! Registry authentication: `WWW-Authenticate` challenges, Basic, and Bearer tokens.
//!
//! Follows the distribution token spec: a `401` names a realm, service and scope; the
//! client asks the realm for a token (with credentials when it has them, anonymously
//! otherwise) and sends it as `Authorization: Bearer`. Tokens are cached per registry and
//! repository scope until `expires_in`; concurrent tasks wanting the same token wait for
//! one fetch. Each registry is pinged once (`GET /v2/`) to learn its challenge.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use tokio::sync::OnceCell;

use super::credentials::{Credential, CredentialStore};
use super::transport::{read_capped, Endpoint, Transport, TOKEN_CAP};
use super::Error;

/// What a registry asks for, from its `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// Parse a `WWW-Authenticate` value; Bearer wins when several schemes are offered.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let mut basic = false;
    let mut bearer: Option<Challenge> = None;
    let mut scheme = String::new();
    let mut params: HashMap<String, String> = HashMap::new();
    let mut finish = |scheme: &str, params: &HashMap<String, String>| {
        if scheme.eq_ignore_ascii_case("basic") {
            basic = true;
        } else if scheme.eq_ignore_ascii_case("bearer") && bearer.is_none() {
            if let Some(realm) = params.get("realm") {
                bearer = Some(Challenge::Bearer {
                    realm: realm.clone(),
                    service: params.get("service").cloned(),
                });
            }
        }
    };
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', ',']);
        let end = rest.find([' ', ',', '=']).unwrap_or(rest.len());
        let token = &rest[..end];
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix('=') {
            let (value, after) = match after.strip_prefix('"') {
                Some(q) => quoted(q)?,
                None => {
                    let e = after.find(',').unwrap_or(after.len());
                    (after[..e].trim().to_string(), &after[e..])
                }
            };
            params.insert(token.to_ascii_lowercase(), value);
            rest = after;
        } else if !token.is_empty() {
            if !scheme.is_empty() {
                finish(&scheme, &params);
            }
            scheme = token.to_string();
            params.clear();
        }
    }
    if !scheme.is_empty() {
        finish(&scheme, &params);
    }
    bearer.or(basic.then_some(Challenge::Basic))
}

/// A quoted-string body (after the opening quote): its value and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '"' => return Some((out, &s[i + 1..])),
            c => out.push(c),
        }
    }
    None
}

/// A cached token; deliberately not `Debug`.
struct Token {
    value: String,
    expires: Instant,
}

/// A token, or why it could not be had (so tasks sharing the scope fail fast, once).
type Slot = Arc<tokio::sync::Mutex<Option<Result<Token, Error>>>>;

/// One lazily computed value per registry host, computed once however many tasks ask.
type PerHost<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

/// Challenges, credentials and tokens, per registry host; shared by all tasks.
pub struct Authenticator {
    store: CredentialStore,
    // Failures are kept too: one unreachable registry costs one ping, not one per image.
    challenges: PerHost<Result<Challenge, Error>>,
    credentials: PerHost<Result<Option<Credential>, Error>>,
    tokens: Mutex<HashMap<(String, String), Slot>>,
}

fn entry<K: std::hash::Hash + Eq, V: Default>(map: &Mutex<HashMap<K, Arc<V>>>, k: K) -> Arc<V> {
    map.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(k)
        .or_default()
        .clone()
}

impl Authenticator {
    pub fn new(store: CredentialStore) -> Self {
        Authenticator {
            store,
            challenges: Mutex::default(),
            credentials: Mutex::default(),
            tokens: Mutex::default(),
        }
    }

    /// The `Authorization` value for pulling from `repo`, or None when none is needed.
    pub async fn authorize(
        &self,
        t: &Transport,
        ep: &Endpoint,
        repo: &str,
    ) -> Result<Option<String>, Error> {
        let cell = entry(&self.challenges, ep.host.clone());
        let challenge = cell.get_or_init(|| ping(t, ep)).await.clone()?;
        match challenge {
            Challenge::None => Ok(None),
            Challenge::Basic => Ok(match self.credential(ep).await? {
                Some(Credential::UserPass { user, pass }) => Some(basic(&user, &pass)),
                _ => None,
            }),
            Challenge::Bearer { realm, service } => {
                let scope = format!("repository:{repo}:pull");
                let slot = entry(&self.tokens, (ep.host.clone(), scope.clone()));
                // Holding the slot's lock across the fetch makes concurrent tasks share it.
                let mut guard = slot.lock().await;
                match guard.as_ref() {
                    Some(Ok(tok)) if tok.expires > Instant::now() => {
                        return Ok(Some(format!("Bearer {}", tok.value)))
                    }
                    Some(Err(e)) => return Err(e.clone()),
                    _ => {}
                }
                let cred = self.credential(ep).await?;
                let fetched = fetch_token(t, ep, &realm, service.as_deref(), &scope, cred).await;
                let header = match &fetched {
                    Ok(tok) => Ok(Some(format!("Bearer {}", tok.value))),
                    Err(e) => Err(e.clone()),
                };
                *guard = Some(fetched);
                header
            }
        }
    }

    /// After a `401`: forget the token that was refused, and learn the challenge the
    /// response carries. Returns whether a retry could succeed.
    pub async fn rejected(
        &self,
        ep: &Endpoint,
        repo: &str,
        sent: Option<&str>,
        www: Option<&str>,
    ) -> bool {
        let learned = www.and_then(parse_challenge);
        let old = entry(&self.challenges, ep.host.clone())
            .get()
            .and_then(|r| r.as_ref().ok().cloned());
        if let Some(ch) = learned.filter(|c| Some(c) != old.as_ref()) {
            let cell = OnceCell::new_with(Some(Ok(ch)));
            self.challenges
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(ep.host.clone(), Arc::new(cell));
            return true;
        }
        let Some(sent) = sent.and_then(|s| s.strip_prefix("Bearer ")) else {
            return false;
        };
        let slot = entry(
            &self.tokens,
            (ep.host.clone(), format!("repository:{repo}:pull")),
        );
        let mut guard = slot.lock().await;
        if matches!(guard.as_ref(), Some(Ok(t)) if t.value == sent) {
            *guard = None;
        }
        true
    }

    async fn credential(&self, ep: &Endpoint) -> Result<Option<Credential>, Error> {
        let cell = entry(&self.credentials, ep.host.clone());
        let registry = if ep.host == "registry-1.docker.io" {
            crate::reference::DOCKER_HUB
        } else {
            ep.host.as_str()
        };
        cell.get_or_init(|| self.store.lookup(registry))
            .await
            .clone()
    }
}

fn basic(user: &str, pass: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {b64}")
}

/// `GET /v2/`: 200 means no auth; 401 names the challenge (distribution spec, "API version check").
async fn ping(t: &Transport, ep: &Endpoint) -> Result<Challenge, Error> {
    let url = format!("{}/v2/", ep.base);
    let r = t.send(ep, || t.http.get(&url)).await?;
    let status = r.status().as_u16();
    if status == 401 {
        let www = r
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok());
        return Ok(www.and_then(parse_challenge).unwrap_or(Challenge::Basic));
    }
    // Anything else: go on without auth; the manifest request will say what is wrong.
    Ok(Challenge::None)
}

async fn fetch_token(
    t: &Transport,
    ep: &Endpoint,
    realm: &str,
    service: Option<&str>,
    scope: &str,
    cred: Option<Credential>,
) -> Result<Token, Error> {
    let realm_url = reqwest::Url::parse(realm).map_err(|_| {
        Error::new(
            &ep.registry,
            format!("{} named an invalid token realm", ep.host),
        )
    })?;
    let realm_host = match (realm_url.host_str(), realm_url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    // Credentials and tokens must not cross the network in clear text.
    let secure = match realm_url.scheme() {
        "https" => true,
        "http" => t.plain_http_allowed(&realm_host),
        _ => false,
    };
    if !secure {
        return Err(Error {
            message: format!(
                "refusing to fetch a token from {realm_host} over plain HTTP (realm named by {})",
                ep.host
            ),
            registry: ep.registry.clone(),
            status: None,
            help: Some(format!(
                "if {realm_host} is trusted, pass `--insecure-registry {realm_host}`"
            )),
        });
    }
    let mut query = vec![("scope", scope.to_string())];
    if let Some(s) = service {
        query.push(("service", s.to_string()));
    }
    let realm_ep = Endpoint {
        registry: ep.registry.clone(),
        host: realm_host,
        base: String::new(),
    };
    let r = t
        .send(&realm_ep, || {
            let mut url = realm_url.clone();
            match &cred {
                // OAuth2 refresh grant, as the docker CLI does with identity tokens.
                Some(Credential::IdentityToken(refresh)) => {
                    let mut form = reqwest::Url::parse("x:/").expect("static URL");
                    form.query_pairs_mut()
                        .append_pair("grant_type", "refresh_token")
                        .append_pair("refresh_token", refresh)
                        .append_pair("client_id", "dockerfile-lock")
                        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
                    t.http
                        .post(url)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(form.query().unwrap_or("").to_string())
                }
                other => {
                    url.query_pairs_mut()
                        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
                    let req = t.http.get(url);
                    match other {
                        Some(Credential::UserPass { user, pass }) => {
                            req.header(AUTHORIZATION, basic(user, pass))
                        }
                        _ => req,
                    }
                }
            }
        })
        .await?;
    let status = r.status();
    if !status.is_success() {
        return Err(Error {
            message: format!(
                "the token service for {} refused access (HTTP {})",
                ep.host,
                status.as_u16()
            ),
            registry: ep.registry.clone(),
            status: Some(status.as_u16()),
            help: Some(super::login_help(&ep.registry)),
        });
    }
    let body = read_capped(&realm_ep, r, TOKEN_CAP, "token response").await?;
    #[derive(serde::Deserialize)]
    struct Reply {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<u64>,
    }
    let reply: Reply = serde_json::from_slice(&body).map_err(|_| {
        Error::new(
            &ep.registry,
            format!("the token service for {} sent no valid JSON", ep.host),
        )
    })?;
    let value = reply
        .token
        .or(reply.access_token)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            Error::new(
                &ep.registry,
                format!("the token service for {} sent no token", ep.host),
            )
        })?;
    // The token spec: a missing or shorter lifetime means 60 s. Renew a little early;
    // and a day is long enough for any one run.
    let lifetime = reply.expires_in.unwrap_or(60).clamp(60, 86_400);
    Ok(Token {
        value,
        expires: Instant::now() + Duration::from_secs(lifetime - lifetime / 10),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let bearer = |realm: &str, service: Option<&str>| Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
        };
        for (header, want) in [
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/node:pull""#,
                Some(bearer(
                    "https://auth.docker.io/token",
                    Some("registry.docker.io"),
                )),
            ),
            (r#"Basic realm="Registry Realm""#, Some(Challenge::Basic)),
            (
                r#"Basic realm="x", Bearer realm="https://t/a,b",service=s"#,
                Some(bearer("https://t/a,b", Some("s"))),
            ),
            (
                r#"bearer realm="https://t/\"q\"""#,
                Some(bearer("https://t/\"q\"", None)),
            ),
            (r#"Bearer realm="unterminated"#, None),
            ("Negotiate", None),
            ("", None),
        ] {
            assert_eq!(parse_challenge(header), want, "{header}");
        }
    }

    proptest::proptest! {
        /// A registry's header is untrusted input: any value parses or is rejected.
        #[test]
        fn any_header_parses_without_panicking(h in "\\PC{0,80}") {
            let _ = parse_challenge(&h);
        }

        #[test]
        fn challenge_like_headers_parse_without_panicking(
            h in r#"(Bearer|Basic|x)( [a-z]{1,6}=("[^"]{0,10}"?|[a-z,]{0,5}),?){0,4}"#
        ) {
            let _ = parse_challenge(&h);
        }
    }
}
