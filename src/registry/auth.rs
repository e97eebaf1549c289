//! Registry authentication: `WWW-Authenticate` challenges, Basic, and Bearer tokens.
//!
//! Follows the distribution token spec: a `401` names a realm, service and scope; the
//! client asks the realm for a token (with credentials when it has them, anonymously
//! otherwise) and sends it as `Authorization: Bearer`. One token request per registry asks
//! for every repository the run needs (one `scope` parameter each); a repository the
//! token turns out not to cover gets a token of its own. Tokens are cached until
//! `expires_in`; concurrent tasks wanting the same token wait for one fetch. No `GET /v2/`
//! ping: a registry's challenge is learned from its first `401`, and only from a `401`
//! that registry sent itself, so credentials never answer another host's challenge.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::AUTHORIZATION;
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
    /// The repositories it was asked for.
    repos: BTreeSet<String>,
}

/// A token, or why it could not be had (so tasks sharing the scope fail fast, once).
type Slot = Arc<tokio::sync::Mutex<Option<Result<Token, Error>>>>;

/// One lazily computed value per registry host, computed once however many tasks ask.
type PerHost<T> = Mutex<HashMap<String, Arc<OnceCell<T>>>>;

/// Scopes asked for in one token request; more repositories take more requests.
const SCOPES_PER_REQUEST: usize = 100;

/// What `authorize` decided to send, so that a `401` can be answered in kind.
#[derive(Clone, PartialEq, Eq)]
pub enum Sent {
    Basic(String),
    /// A token covering many repositories (one request for a whole run).
    Shared(String),
    /// A token for this one repository.
    Own(String),
}

impl Sent {
    pub fn header(&self) -> String {
        match self {
            Sent::Basic(h) => h.clone(),
            Sent::Shared(t) | Sent::Own(t) => format!("Bearer {t}"),
        }
    }
}

/// Challenges, credentials and tokens, per registry host; shared by all tasks.
pub struct Authenticator {
    store: CredentialStore,
    /// What each host asked for in its own `401`s (never what another host asked).
    challenges: Mutex<HashMap<String, Challenge>>,
    // Failures are kept too: one broken credential helper costs one lookup, not one per image.
    credentials: PerHost<Result<Option<(Credential, PathBuf)>, Error>>,
    /// Host → the repositories this run will pull from it (see [`Authenticator::plan`]).
    wanted: Mutex<HashMap<String, BTreeSet<String>>>,
    /// (host, chunk of `wanted`) → a token for all of that chunk's repositories.
    shared: Mutex<HashMap<(String, usize), Slot>>,
    /// (host, repository) → a token for that repository alone.
    own: Mutex<HashMap<(String, String), Slot>>,
    /// Repositories a shared token did not cover (the server granted fewer scopes).
    needs_own: Mutex<HashSet<(String, String)>>,
    /// Hosts whose token service refused a request for several scopes.
    no_batching: Mutex<HashSet<String>>,
}

fn entry<K: std::hash::Hash + Eq, V: Default>(map: &Mutex<HashMap<K, Arc<V>>>, k: K) -> Arc<V> {
    lock(map).entry(k).or_default().clone()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Authenticator {
    pub fn new(store: CredentialStore) -> Self {
        Authenticator {
            store,
            challenges: Mutex::default(),
            credentials: Mutex::default(),
            wanted: Mutex::default(),
            shared: Mutex::default(),
            own: Mutex::default(),
            needs_own: Mutex::default(),
            no_batching: Mutex::default(),
        }
    }

    /// Note the repositories a run needs from `host`, so that one token request can ask
    /// for all of them (the token spec takes one `scope` parameter per repository).
    pub fn plan<'a>(&self, host: &str, repos: impl IntoIterator<Item = &'a str>) {
        lock(&self.wanted)
            .entry(host.to_string())
            .or_default()
            .extend(repos.into_iter().map(str::to_string));
    }

    /// What to send when pulling from `repo`, or None when nothing is known to be needed.
    /// Nothing is asked before the first request: a host's challenge is learned from its
    /// own `401` (see [`Authenticator::rejected`]), which saves a `GET /v2/` round trip.
    pub async fn authorize(
        &self,
        t: &Transport,
        ep: &Endpoint,
        repo: &str,
    ) -> Result<Option<Sent>, Error> {
        let challenge = lock(&self.challenges).get(&ep.host).cloned();
        let (realm, service) = match challenge {
            None | Some(Challenge::None) => return Ok(None),
            Some(Challenge::Basic) => {
                return Ok(match self.credential(ep).await? {
                    Some(Credential::UserPass { user, pass }) => {
                        Some(Sent::Basic(basic(&user, &pass)))
                    }
                    _ => None,
                })
            }
            Some(Challenge::Bearer { realm, service }) => (realm, service),
        };
        let batch = self.batch(&ep.host, repo);
        let shared = batch.is_some();
        let (slot, repos) = match batch {
            Some((chunk, repos)) => (entry(&self.shared, (ep.host.clone(), chunk)), repos),
            None => (
                entry(&self.own, (ep.host.clone(), repo.to_string())),
                BTreeSet::from([repo.to_string()]),
            ),
        };
        // A token service that refuses a request for several scopes may still grant them
        // one at a time; refused credentials are refused either way.
        let several = repos.len() > 1;
        let fall_back = |e: &Error| shared && several && e.status != Some(401);
        let wrap = |v: &str| match shared {
            true => Sent::Shared(v.to_string()),
            false => Sent::Own(v.to_string()),
        };
        // Holding the slot's lock across the fetch makes concurrent tasks share it.
        let mut guard = slot.lock().await;
        match guard.as_ref() {
            Some(Ok(tok)) if tok.expires > Instant::now() && tok.repos.contains(repo) => {
                return Ok(Some(wrap(&tok.value)))
            }
            Some(Err(e)) if !fall_back(e) => return Err(e.clone()),
            Some(Err(_)) => {
                drop(guard);
                return self.fallback(t, ep, repo).await;
            }
            _ => {}
        }
        let cred = self.credential(ep).await?;
        let scopes: Vec<String> = repos.iter().map(|r| pull_scope(r)).collect();
        let fetched = fetch_token(t, ep, &realm, service.as_deref(), &scopes, cred)
            .await
            .map(|(value, expires)| Token {
                value,
                expires,
                repos,
            });
        let result = match &fetched {
            Ok(tok) => Ok(Some(wrap(&tok.value))),
            Err(e) => Err(e.clone()),
        };
        *guard = Some(fetched);
        drop(guard);
        match result {
            Err(e) if fall_back(&e) => self.fallback(t, ep, repo).await,
            other => other,
        }
    }

    /// Ask for `repo`'s token alone, from now on.
    async fn fallback(
        &self,
        t: &Transport,
        ep: &Endpoint,
        repo: &str,
    ) -> Result<Option<Sent>, Error> {
        lock(&self.no_batching).insert(ep.host.clone());
        Box::pin(self.authorize(t, ep, repo)).await
    }

    /// The chunk of planned repositories a shared token for `repo` covers, or None when
    /// `repo` gets a token of its own (not planned, or a shared token did not cover it).
    fn batch(&self, host: &str, repo: &str) -> Option<(usize, BTreeSet<String>)> {
        if lock(&self.no_batching).contains(host)
            || lock(&self.needs_own).contains(&(host.to_string(), repo.to_string()))
        {
            return None;
        }
        let wanted = lock(&self.wanted);
        let repos = wanted.get(host)?;
        let index = repos.iter().position(|r| r == repo)?;
        let chunk = index / SCOPES_PER_REQUEST;
        let members = repos
            .iter()
            .skip(chunk * SCOPES_PER_REQUEST)
            .take(SCOPES_PER_REQUEST)
            .cloned()
            .collect();
        Some((chunk, members))
    }

    /// After a `401` from `ep.host` itself: learn the challenge it carries, and forget
    /// what was refused. Returns whether sending something else could succeed.
    pub async fn rejected(
        &self,
        ep: &Endpoint,
        repo: &str,
        sent: Option<&Sent>,
        www: Option<&str>,
    ) -> bool {
        {
            let mut challenges = lock(&self.challenges);
            let known = challenges.get(&ep.host).cloned();
            // A first 401 without a usable challenge: Basic, as docker assumes. A later one
            // (a refused token, say) leaves what was learned as it is.
            let learned = match (www.and_then(parse_challenge), &known) {
                (Some(c), _) => Some(c),
                (None, None) => Some(Challenge::Basic),
                (None, Some(_)) => None,
            };
            if let Some(learned) = learned.filter(|l| known.as_ref() != Some(l)) {
                challenges.insert(ep.host.clone(), learned);
                return true;
            }
        }
        match sent {
            // The challenge is known now (another task learned it): answer it.
            None => true,
            // Wrong user or password: asking again will not help.
            Some(Sent::Basic(_)) => false,
            // The server granted fewer scopes than asked: this repository gets its own.
            Some(Sent::Shared(_)) => {
                lock(&self.needs_own).insert((ep.host.clone(), repo.to_string()));
                true
            }
            Some(Sent::Own(value)) => {
                let slot = entry(&self.own, (ep.host.clone(), repo.to_string()));
                let mut guard = slot.lock().await;
                if matches!(guard.as_ref(), Some(Ok(t)) if &t.value == value) {
                    *guard = None;
                }
                true
            }
        }
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
            .map(|found| found.map(|(c, _)| c))
    }

    /// The file the credential for `ep` came from, when there is one: a `401` or `403`
    /// then means the registry refused it, not that it is missing.
    pub async fn credential_source(&self, ep: &Endpoint) -> Option<PathBuf> {
        self.credential(ep).await.ok()??;
        let cell = entry(&self.credentials, ep.host.clone());
        match cell.get() {
            Some(Ok(Some((_, file)))) => Some(file.clone()),
            _ => None,
        }
    }
}

fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

fn basic(user: &str, pass: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {b64}")
}

async fn fetch_token(
    t: &Transport,
    ep: &Endpoint,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    cred: Option<Credential>,
) -> Result<(String, Instant), Error> {
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
    // One `scope` parameter per repository (distribution token spec); the OAuth2 form
    // takes them space-separated in one.
    let mut query: Vec<(&str, String)> = scopes.iter().map(|s| ("scope", s.clone())).collect();
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
                        .append_pair("scope", &scopes.join(" "));
                    if let Some(s) = service {
                        form.query_pairs_mut().append_pair("service", s);
                    }
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
    let (value, expires_in) = parse_token_response(&body).map_err(|why| {
        Error::new(
            &ep.registry,
            format!("the token service for {} sent {why}", ep.host),
        )
    })?;
    // The token spec: a missing or shorter lifetime means 60 s. Renew a little early;
    // and a day is long enough for any one run.
    let lifetime = expires_in.unwrap_or(60).clamp(60, 86_400);
    Ok((
        value,
        Instant::now() + Duration::from_secs(lifetime - lifetime / 10),
    ))
}

/// A token reply (distribution token spec): `token` or `access_token`, and `expires_in`.
/// Public only so the hardening tests and fuzz targets can reach it.
#[doc(hidden)]
pub fn parse_token_response(body: &[u8]) -> Result<(String, Option<u64>), &'static str> {
    #[derive(serde::Deserialize)]
    struct Reply {
        token: Option<String>,
        access_token: Option<String>,
        expires_in: Option<u64>,
    }
    let reply: Reply = serde_json::from_slice(body).map_err(|_| "no valid JSON")?;
    let value = reply
        .token
        .or(reply.access_token)
        .filter(|v| !v.is_empty())
        .ok_or("no token")?;
    Ok((value, reply.expires_in))
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
