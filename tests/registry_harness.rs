//! The test registry harness itself: each auth mode accepts pushes and serves them back.

mod support;

use support::images::{sha256, ImageKind, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, PLATFORMS};
use support::registry::{Auth, Registry};

const ALL_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.oci.image.manifest.v1+json";

/// GET a manifest with full Accept and the harness's own credentials: (status, type, bytes).
fn get_manifest(reg: &Registry, repo: &str, reference: &str, auth: bool) -> (u16, String, Vec<u8>) {
    let url = format!("{}/v2/{repo}/manifests/{reference}", reg.base_url());
    let header = if auth { reg.authorization(repo) } else { None };
    support::images::block_on(async move {
        let mut r = reqwest::Client::new().get(url).header("Accept", ALL_TYPES);
        if let Some(h) = header {
            r = r.header("Authorization", h);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, ct, r.bytes().await.unwrap().to_vec())
    })
}

fn roundtrip(auth: Auth) {
    let reg = Registry::start(auth.clone());
    let single = reg.push_image("app/single", "1", ImageKind::Schema2);
    let oci = reg.push_image("app/oci", "1", ImageKind::OciIndex(PLATFORMS));
    let list = reg.push_image("app/list", "1", ImageKind::ManifestList(PLATFORMS));
    for (repo, pushed, media_type) in [
        ("app/single", &single, DOCKER_MANIFEST),
        ("app/oci", &oci, OCI_INDEX),
        ("app/list", &list, DOCKER_LIST),
    ] {
        let (status, ct, bytes) = get_manifest(&reg, repo, "1", true);
        assert_eq!(status, 200, "{repo}: {}", reg.log());
        assert_eq!(ct, media_type);
        assert_eq!(sha256(&bytes), pushed.digest);
        assert_eq!(bytes, pushed.bytes);
    }
    assert_eq!(oci.children.len(), 3);
    assert!(single.children.is_empty());
    if !matches!(auth, Auth::Anonymous) {
        let (status, _, _) = get_manifest(&reg, "app/single", "1", false);
        assert_eq!(
            status, 401,
            "an authenticated registry must refuse anonymous reads"
        );
    }
}

#[test]
fn anonymous_registry_serves_what_was_pushed() {
    roundtrip(Auth::Anonymous);
}

#[test]
fn basic_auth_registry_serves_what_was_pushed() {
    roundtrip(Auth::basic("alice", "s3cret-basic"));
}

#[test]
fn token_auth_registry_serves_what_was_pushed() {
    roundtrip(Auth::token("bob", "s3cret-token"));
}

#[test]
fn pushing_again_moves_the_tag() {
    let reg = Registry::start(Auth::Anonymous);
    let first = reg.push_image("moving", "v1", ImageKind::Schema2);
    let second = reg.push_image("moving", "v1", ImageKind::Schema2);
    assert_ne!(first.digest, second.digest);
    let (_, _, bytes) = get_manifest(&reg, "moving", "v1", false);
    assert_eq!(sha256(&bytes), second.digest);
}
