//! Faults a real registry can't be made to produce, on an in-process mock (wiremock).

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dockerfile_lock::reference::{Digest, ImageRef};
use dockerfile_lock::registry::{Client, Config, CredentialStore, Error, Resolved, RetryPolicy};
use support::mock::token_registry;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SCHEMA2: &str = "application/vnd.docker.distribution.manifest.v2+json";
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;

fn digest_of(bytes: &[u8]) -> String {
    Digest::sha256_of(bytes).to_string()
}

fn client(timeout: Duration) -> Client {
    let config = Config {
        timeout,
        ..Config::default()
    };
    let retry = RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(10),
        budget: Duration::from_secs(10),
    };
    Client::with_options(config, CredentialStore::none(), retry).unwrap()
}

async fn resolve_at(host: &str, reference: &str) -> Result<Resolved, Error> {
    let image: ImageRef = format!("{host}/{reference}").parse().unwrap();
    client(Duration::from_secs(5)).resolve(&image, &[]).await
}

/// A mock registry that needs no auth.
async fn registry() -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let host = server.address().to_string();
    (server, host)
}

fn head_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header(
            "Docker-Content-Digest",
            digest_of(MANIFEST.as_bytes()).as_str(),
        )
        .insert_header("Content-Type", SCHEMA2)
}

async fn count(server: &MockServer, verb: &str, p: &str) -> usize {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .count()
}

#[tokio::test]
async fn retries_429_honouring_retry_after_seconds_and_dates() {
    let (server, host) = registry().await;
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    for (tag, retry_after) in [("secs", "1".to_string()), ("date", date)] {
        let p = format!("/v2/app/manifests/{tag}");
        Mock::given(method("HEAD"))
            .and(path(p.as_str()))
            .respond_with(
                ResponseTemplate::new(429).insert_header("Retry-After", retry_after.as_str()),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("HEAD"))
            .and(path(p.as_str()))
            .respond_with(head_ok())
            .mount(&server)
            .await;
        let r = resolve_at(&host, &format!("app:{tag}")).await.unwrap();
        assert_eq!(r.digest.to_string(), digest_of(MANIFEST.as_bytes()));
        assert_eq!(count(&server, "HEAD", &p).await, 2);
    }
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_is_reported_not_waited_for() {
    let (server, host) = registry().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let e = resolve_at(&host, "app:1").await.unwrap_err();
    assert_eq!(e.status, Some(429));
    assert!(e.help.unwrap().contains("rate-limiting"));
    assert_eq!(count(&server, "HEAD", "/v2/app/manifests/1").await, 1);
}

#[tokio::test]
async fn retries_503_but_not_500() {
    let (server, host) = registry().await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/flaky"))
        .respond_with(head_ok())
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/broken"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    assert!(resolve_at(&host, "app:flaky").await.is_ok());
    assert_eq!(count(&server, "HEAD", "/v2/app/manifests/flaky").await, 3);
    let e = resolve_at(&host, "app:broken").await.unwrap_err();
    assert_eq!(e.status, Some(500));
    assert!(
        e.message.contains(&format!(
            "cannot resolve {host}/app:broken: {host} answered HTTP 500"
        )),
        "{}",
        e.message
    );
    assert_eq!(count(&server, "HEAD", "/v2/app/manifests/broken").await, 1);
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_fails() {
    let (server, host) = registry().await;
    Mock::given(method("HEAD"))
        .respond_with(head_ok().set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let image: ImageRef = format!("{host}/app:slow").parse().unwrap();
    let e = client(Duration::from_millis(300))
        .resolve(&image, &[])
        .await
        .unwrap_err();
    assert!(
        e.message.contains("did not answer within 0.3 s"),
        "{}",
        e.message
    );
}

/// A server that resets its first `drops` connections, then answers like a registry.
fn flaky_server(drops: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let seen = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            if seen.fetch_add(1, Ordering::SeqCst) < drops {
                drop(stream);
                continue;
            }
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]);
            let response = if head.starts_with("GET /v2/ ") {
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            } else {
                format!(
                    "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {}\r\nContent-Type: {SCHEMA2}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    digest_of(MANIFEST.as_bytes())
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (host, accepted)
}

#[tokio::test]
async fn reset_connections_are_retried() {
    let (host, accepted) = flaky_server(2);
    let r = resolve_at(&host, "app:1").await.unwrap();
    assert_eq!(r.digest.to_string(), digest_of(MANIFEST.as_bytes()));
    // Two resets, then the HEAD (no `GET /v2/` ping before it).
    assert_eq!(accepted.load(Ordering::SeqCst), 3);

    let (host, accepted) = flaky_server(usize::MAX);
    let refs: Vec<ImageRef> = (0..5)
        .map(|i| format!("{host}/app:{i}").parse().unwrap())
        .collect();
    let results = client(Duration::from_secs(5)).resolve_all(&refs, &[]).await;
    // Five first attempts at once; then one task retries for all, and its failure is
    // remembered: five images cost one series of retries.
    assert_eq!(accepted.load(Ordering::SeqCst), 5 + 3);
    let e = results.into_iter().next().unwrap().unwrap_err();
    assert!(
        e.message.contains(&format!("request to {host} failed")),
        "{}",
        e.message
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        8,
        "bounded: one series of retries in all"
    );
}

#[tokio::test]
async fn head_without_digest_falls_back_to_a_verified_get() {
    let (server, host) = registry().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200).insert_header("Content-Type", SCHEMA2))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/good"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MANIFEST, SCHEMA2))
        .mount(&server)
        .await;
    let wrong = format!("sha256:{}", "0".repeat(64));
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/lying"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(MANIFEST, SCHEMA2)
                .insert_header("Docker-Content-Digest", wrong.as_str()),
        )
        .mount(&server)
        .await;
    let r = resolve_at(&host, "app:good").await.unwrap();
    assert_eq!(r.digest.to_string(), digest_of(MANIFEST.as_bytes()));
    assert_eq!(r.media_type, SCHEMA2);
    let e = resolve_at(&host, "app:lying").await.unwrap_err();
    assert!(
        e.message.contains("does not match the digest it claimed"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn html_pages_are_errors_and_never_echoed() {
    let (server, host) = registry().await;
    let page = "<html><body>Sign in to the corporate proxy</body></html>";
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/portal"))
        .respond_with(ResponseTemplate::new(200).insert_header("Content-Type", "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/portal"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/gateway"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(page, "text/html"))
        .mount(&server)
        .await;
    let portal = resolve_at(&host, "app:portal").await.unwrap_err();
    assert!(portal.message.contains("not JSON"), "{}", portal.message);
    let gateway = resolve_at(&host, "app:gateway").await.unwrap_err();
    assert!(
        gateway.message.contains("HTTP 404 Not Found (an HTML page"),
        "{}",
        gateway.message
    );
    for e in [portal, gateway] {
        assert!(!format!("{e:?}").contains("corporate"));
    }
}

#[tokio::test]
async fn an_over_large_manifest_is_refused() {
    let (server, host) = registry().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(5 << 20));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, SCHEMA2))
        .mount(&server)
        .await;
    let e = resolve_at(&host, "app:huge").await.unwrap_err();
    assert!(e.message.contains("larger than 4096 KiB"), "{}", e.message);
}

fn token(value: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"token": value, "expires_in": 300}))
}

#[tokio::test]
async fn a_401_on_a_cached_token_reauthenticates_once() {
    let auth = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(token("t1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&auth)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(token("t2"))
        .mount(&auth)
        .await;
    let (server, host) = token_registry(&format!("{}/token", auth.uri())).await;
    Mock::given(method("HEAD"))
        .and(header("authorization", "Bearer t1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/1"))
        .and(header("authorization", "Bearer t2"))
        .respond_with(head_ok())
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/app/manifests/2"))
        .and(header("authorization", "Bearer t2"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let c = client(Duration::from_secs(5));
    let image = |t: &str| format!("{host}/app:{t}").parse::<ImageRef>().unwrap();
    assert!(c.resolve(&image("1"), &[]).await.is_ok());
    assert_eq!(count(&auth, "GET", "/token").await, 2);
    // Refused with a cached token: one more fetch; it returns the very token refused, so
    // it is not sent again and the 401 is reported.
    let e = c.resolve(&image("2"), &[]).await.unwrap_err();
    assert_eq!(e.status, Some(401));
    assert_eq!(count(&auth, "GET", "/token").await, 3);
    assert_eq!(count(&server, "HEAD", "/v2/app/manifests/2").await, 1);
}

#[tokio::test]
async fn concurrent_tasks_share_one_token_fetch() {
    let auth = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(token("shared").set_delay(Duration::from_millis(200)))
        .mount(&auth)
        .await;
    let (server, host) = token_registry(&format!("{}/token", auth.uri())).await;
    Mock::given(method("HEAD"))
        .and(header("authorization", "Bearer shared"))
        .respond_with(head_ok())
        .mount(&server)
        .await;
    let refs: Vec<ImageRef> = (0..20)
        .map(|i| format!("{host}/app:v{i}").parse().unwrap())
        .collect();
    let results = client(Duration::from_secs(5)).resolve_all(&refs, &[]).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(count(&auth, "GET", "/token").await, 1);
    assert_eq!(count(&server, "GET", "/v2/").await, 0, "no ping");
    let heads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "HEAD" && r.headers.contains_key("authorization"))
        .count();
    // The HEADs sent before the challenge was known were answered 401 (and taught it).
    assert_eq!(heads, 20, "one authorized HEAD per image");
}

#[tokio::test]
async fn a_plain_http_realm_off_loopback_is_refused() {
    let (server, host) = token_registry("http://auth.example.test/token").await;
    let e = resolve_at(&host, "app:1").await.unwrap_err();
    assert!(
        e.message
            .contains("refusing to fetch a token from auth.example.test over plain HTTP"),
        "{}",
        e.message
    );
    // Only the HEAD that learned the challenge; none with a token.
    assert_eq!(count(&server, "HEAD", "/v2/app/manifests/1").await, 1);
}
