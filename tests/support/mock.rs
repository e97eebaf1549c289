//! Helpers for the in-process registries (wiremock) and credential stores that the fault
//! and auth-flow tests share.

use dockerfile_lock::registry::CredentialStore;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Matches a registry request (`/v2/…`) that carries no `Authorization`: what a registry
/// answers with its challenge, whichever endpoint was asked first.
pub fn unauthenticated() -> impl wiremock::Match {
    |r: &wiremock::Request| {
        r.url.path().starts_with("/v2/") && !r.headers.contains_key("authorization")
    }
}

/// A registry that asks any request without credentials for a Bearer token from `realm`;
/// returns it and its host.
pub async fn token_registry(realm: &str) -> (MockServer, String) {
    let server = MockServer::start().await;
    let challenge = format!(r#"Bearer realm="{realm}",service="mock""#);
    Mock::given(unauthenticated())
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()),
        )
        .mount(&server)
        .await;
    let host = server.address().to_string();
    (server, host)
}

/// A docker config directory whose `auths` holds `entry` for `host`, and a store reading it.
pub fn store_with(host: &str, entry: serde_json::Value) -> (tempfile::TempDir, CredentialStore) {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({ "auths": { host: entry } });
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    let store = CredentialStore {
        docker_config: Some(dir.path().to_path_buf()),
        auth_file: None,
    };
    (dir, store)
}
