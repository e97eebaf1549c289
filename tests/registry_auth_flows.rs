//! Auth flows a real distribution registry does not exercise: identity (refresh) tokens
//! from the docker config, and Basic credentials sent only after a Basic challenge.

mod support;

use std::time::Duration;

use dockerfile_lock::reference::{Digest, ImageRef};
use dockerfile_lock::registry::{Client, Config, CredentialStore};
use support::mock::store_with;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SCHEMA2: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn client(store: CredentialStore) -> Client {
    let config = Config {
        timeout: Duration::from_secs(5),
        ..Config::default()
    };
    Client::with_credentials(config, store).unwrap()
}

fn digest() -> String {
    Digest::sha256_of(b"{}").to_string()
}

#[tokio::test]
async fn an_identity_token_is_exchanged_with_the_refresh_grant() {
    let auth = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=idtok-secret-1"))
        .and(body_string_contains("scope=repository%3Aorg%2Fapp%3Apull"))
        .and(body_string_contains("service=mock"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "bearer-1", "expires_in": 120})),
        )
        .expect(1)
        .mount(&auth)
        .await;
    let server = MockServer::start().await;
    let challenge = format!(r#"Bearer realm="{}/token",service="mock""#, auth.uri());
    Mock::given(support::mock::unauthenticated())
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/org/app/manifests/1"))
        .and(header("authorization", "Bearer bearer-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Docker-Content-Digest", digest().as_str())
                .insert_header("Content-Type", SCHEMA2),
        )
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let (_dir, store) = store_with(
        &host,
        serde_json::json!({"identitytoken": "idtok-secret-1"}),
    );
    let image: ImageRef = format!("{host}/org/app:1").parse().unwrap();
    let r = client(store).resolve(&image, &[]).await.unwrap();
    assert_eq!(r.digest.to_string(), digest());
}

#[tokio::test]
async fn basic_credentials_go_only_where_a_basic_challenge_asked() {
    let server = MockServer::start().await;
    Mock::given(support::mock::unauthenticated())
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="r""#),
        )
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(header("authorization", "Basic dTpwLXNlY3JldA=="))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Docker-Content-Digest", digest().as_str())
                .insert_header("Content-Type", SCHEMA2),
        )
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let (_dir, store) = store_with(
        &host,
        serde_json::json!({"username": "u", "password": "p-secret"}),
    );
    let image: ImageRef = format!("{host}/app:1").parse().unwrap();
    assert!(client(store).resolve(&image, &[]).await.is_ok());
    let requests = server.received_requests().await.unwrap();
    let first = &requests[0];
    assert_eq!(
        (first.method.as_str(), first.url.path()),
        ("HEAD", "/v2/app/manifests/1"),
        "no GET /v2/ before the first HEAD"
    );
    assert!(
        !first.headers.contains_key("authorization"),
        "credentials go only where a challenge asked"
    );
    assert!(requests[1].headers.contains_key("authorization"));
    assert_eq!(requests.len(), 2);
}

#[tokio::test]
async fn a_refused_token_request_reports_without_secrets() {
    let auth = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_string("bad password p-secret-9"))
        .mount(&auth)
        .await;
    let server = MockServer::start().await;
    let challenge = format!(r#"Bearer realm="{}/token""#, auth.uri());
    Mock::given(support::mock::unauthenticated())
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()),
        )
        .mount(&server)
        .await;
    let host = server.address().to_string();
    let (_dir, store) = store_with(
        &host,
        serde_json::json!({"username": "u", "password": "p-secret-9"}),
    );
    let images: Vec<ImageRef> = ["a:1", "a:2", "a:3"]
        .iter()
        .map(|r| format!("{host}/{r}").parse().unwrap())
        .collect();
    let results = client(store).resolve_all(&images, &[]).await;
    for r in &results {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.status, Some(401));
        assert!(e.message.contains("refused access"), "{}", e.message);
        assert!(!format!("{e:?}").contains("p-secret-9"));
    }
    // One refusal is remembered for the repository: not one token request per tag.
    assert_eq!(auth.received_requests().await.unwrap().len(), 1);
}
