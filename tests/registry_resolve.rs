//! The registry client against a real `docker-registry` in each auth mode.

mod support;

use std::time::Duration;

use dockerfile_lock::platform::Platform;
use dockerfile_lock::reference::ImageRef;
use dockerfile_lock::registry::{Client, Config, CredentialStore, Resolved};
use support::images::{
    ImageKind, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, PLATFORMS,
};
use support::registry::{Auth, Registry};

fn image(s: &str) -> ImageRef {
    s.parse().unwrap()
}

fn platforms(ps: &[&str]) -> Vec<Platform> {
    ps.iter().map(|p| p.parse().unwrap()).collect()
}

/// A docker config directory holding `auths` for `host`.
fn docker_config(host: &str, user: &str, pass: &str) -> (tempfile::TempDir, CredentialStore) {
    support::mock::store_with(
        host,
        serde_json::json!({"username": user, "password": pass}),
    )
}

fn client(store: CredentialStore) -> Client {
    let config = Config {
        timeout: Duration::from_secs(10),
        ..Config::default()
    };
    Client::with_credentials(config, store).unwrap()
}

async fn resolve(
    c: &Client,
    r: &str,
    ps: &[&str],
) -> Result<Resolved, dockerfile_lock::registry::Error> {
    c.resolve(&image(r), &platforms(ps)).await
}

#[tokio::test]
async fn resolves_every_manifest_kind_to_the_pushed_digest() {
    let reg = Registry::start(Auth::Anonymous);
    let pushed = [
        (
            reg.push_image("kinds/schema2", "1", ImageKind::Schema2),
            DOCKER_MANIFEST,
        ),
        (
            reg.push_image("kinds/oci", "1", ImageKind::OciManifest),
            OCI_MANIFEST,
        ),
        (
            reg.push_image("kinds/index", "1", ImageKind::OciIndex(PLATFORMS)),
            OCI_INDEX,
        ),
        (
            reg.push_image("kinds/list", "1", ImageKind::ManifestList(PLATFORMS)),
            DOCKER_LIST,
        ),
    ];
    let c = client(CredentialStore::none());
    // Duplicates and input order: each reference once, results where they were asked.
    let refs: Vec<ImageRef> = pushed
        .iter()
        .chain(pushed.iter().rev())
        .map(|(p, _)| image(&p.reference))
        .collect();
    let results = c.resolve_all(&refs, &[]).await;
    assert_eq!(results.len(), 8);
    for (r, (p, media_type)) in results.iter().zip(pushed.iter().chain(pushed.iter().rev())) {
        let r = r.as_ref().unwrap();
        assert_eq!(r.digest.to_string(), p.digest, "{}", p.reference);
        assert_eq!(r.media_type, *media_type);
        assert!(r.platforms.is_empty());
    }
}

#[tokio::test]
async fn platform_children_come_from_the_index() {
    let reg = Registry::start(Auth::Anonymous);
    let oci = reg.push_image("multi/oci", "1", ImageKind::OciIndex(PLATFORMS));
    let list = reg.push_image("multi/list", "1", ImageKind::ManifestList(PLATFORMS));
    let single = reg.push_image("multi/single", "1", ImageKind::Schema2);
    let c = client(CredentialStore::none());
    for pushed in [&oci, &list] {
        let r = resolve(&c, &pushed.reference, &["linux/arm64", "linux/arm/v7"])
            .await
            .unwrap();
        assert_eq!(r.digest.to_string(), pushed.digest);
        let got: Vec<(String, String)> = r
            .platforms
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        let want: Vec<(String, String)> = ["linux/arm/v7", "linux/arm64"]
            .iter()
            .map(|p| (p.to_string(), pushed.children[*p].clone()))
            .collect();
        assert_eq!(got, want);
    }
    // A single image is its own child for its platform, and for no other.
    let r = resolve(&c, &single.reference, &["linux/amd64"])
        .await
        .unwrap();
    assert_eq!(r.platforms["linux/amd64"].to_string(), single.digest);
    let e = resolve(&c, &single.reference, &["linux/arm64"])
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("no image for platform linux/arm64; available: linux/amd64"),
        "{}",
        e.message
    );
    let e = resolve(&c, &oci.reference, &["linux/s390x"])
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("available: linux/amd64, linux/arm/v7, linux/arm64"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn a_moved_tag_resolves_to_its_new_digest() {
    let reg = Registry::start(Auth::Anonymous);
    let first = reg.push_image("moving", "stable", ImageKind::Schema2);
    let c = client(CredentialStore::none());
    let r = resolve(&c, &first.reference, &[]).await.unwrap();
    assert_eq!(r.digest.to_string(), first.digest);
    let second = reg.push_image("moving", "stable", ImageKind::OciIndex(PLATFORMS));
    let r = resolve(&c, &first.reference, &[]).await.unwrap();
    assert_eq!(r.digest.to_string(), second.digest);
    assert_eq!(r.media_type, OCI_INDEX);
}

#[tokio::test]
async fn a_missing_tag_names_image_registry_and_status() {
    let reg = Registry::start(Auth::Anonymous);
    reg.push_image("present", "1", ImageKind::Schema2);
    let c = client(CredentialStore::none());
    for r in [reg.image("present", "2"), reg.image("absent", "1")] {
        let e = resolve(&c, &r, &[]).await.unwrap_err();
        assert_eq!(e.status, Some(404));
        assert_eq!(e.registry, reg.host());
        assert!(
            e.message.contains(&r) && e.message.contains("404"),
            "{}",
            e.message
        );
        assert!(e.help.is_some());
    }
}

#[tokio::test]
async fn a_pinned_reference_needs_no_registry() {
    // Nothing listens on port 1: any request would fail.
    let pinned = format!("127.0.0.1:1/app:1@sha256:{}", "ab".repeat(32));
    let r = resolve(&client(CredentialStore::none()), &pinned, &[])
        .await
        .unwrap();
    assert_eq!(r.digest.to_string(), format!("sha256:{}", "ab".repeat(32)));
}

#[tokio::test]
async fn a_pinned_reference_with_platforms_is_fetched_by_digest_and_verified() {
    let reg = Registry::start(Auth::Anonymous);
    let list = reg.push_image("pinned", "1", ImageKind::ManifestList(PLATFORMS));
    let c = client(CredentialStore::none());
    let pinned = format!("{}@{}", list.reference, list.digest);
    let r = resolve(&c, &pinned, &["linux/arm64"]).await.unwrap();
    assert_eq!(
        r.platforms["linux/arm64"].to_string(),
        list.children["linux/arm64"]
    );
    assert_eq!(r.media_type, DOCKER_LIST);
}

#[tokio::test]
async fn basic_auth_uses_docker_config_credentials() {
    let reg = Registry::start(Auth::basic("alice", "basic-pw-1"));
    let pushed = reg.push_image("private/app", "1", ImageKind::OciIndex(PLATFORMS));
    let (_dir, store) = docker_config(&reg.host(), "alice", "basic-pw-1");
    let r = resolve(&client(store), &pushed.reference, &["linux/amd64"])
        .await
        .unwrap();
    assert_eq!(r.digest.to_string(), pushed.digest);
    assert_eq!(
        r.platforms["linux/amd64"].to_string(),
        pushed.children["linux/amd64"]
    );

    let e = resolve(&client(CredentialStore::none()), &pushed.reference, &[])
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(401));
    assert_eq!(
        e.help.as_deref(),
        Some(
            format!(
                "run `docker login {}` (credentials are read from the docker config)",
                reg.host()
            )
            .as_str()
        )
    );

    assert!(
        e.message
            .ends_with(&format!(": no credentials for {} were found", reg.host())),
        "{}",
        e.message
    );

    // Wrong credentials are told apart from missing ones, and the file they came from named.
    let (dir, wrong) = docker_config(&reg.host(), "alice", "wrong-pw-2");
    let e = resolve(&client(wrong), &pushed.reference, &[])
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(401));
    assert!(!format!("{e:?}").contains("wrong-pw-2"));
    assert!(
        e.message.ends_with(&format!(
            ": the registry rejected the credentials for {} from {}",
            reg.host(),
            dir.path().join("config.json").display()
        )),
        "{}",
        e.message
    );
    assert_eq!(
        e.help.as_deref(),
        Some(
            format!(
                "the credentials are wrong, expired or lack pull access: run `docker login {}` \
                 again, or fix the entry in that file",
                reg.host()
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn token_auth_fetches_one_token_for_all_repositories() {
    let reg = Registry::start(Auth::token("bob", "token-pw-1"));
    let mut refs = Vec::new();
    let mut truth = Vec::new();
    for repo in ["team/a", "team/b"] {
        for (tag, kind) in [
            ("s", ImageKind::Schema2),
            ("i", ImageKind::OciIndex(PLATFORMS)),
            ("l", ImageKind::ManifestList(PLATFORMS)),
        ] {
            let p = reg.push_image(repo, tag, kind);
            refs.push(image(&p.reference));
            truth.push(p.digest);
        }
    }
    let (_dir, store) = docker_config(&reg.host(), "bob", "token-pw-1");
    let c = client(store);
    let before = reg.issuer.as_ref().unwrap().requests();
    let results = c.resolve_all(&refs, &[]).await;
    let got: Vec<String> = results
        .iter()
        .map(|r| r.as_ref().unwrap().digest.to_string())
        .collect();
    assert_eq!(got, truth);
    // Six images in two repositories, resolved concurrently: one token request asks for
    // both repositories.
    assert_eq!(reg.issuer.as_ref().unwrap().requests() - before, 1);

    // Without credentials the issuer grants nothing and the registry says 401.
    let e = resolve(&client(CredentialStore::none()), &refs[0].to_string(), &[])
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(401), "{}", e.message);
    let (_dir, wrong) = docker_config(&reg.host(), "bob", "wrong-pw-3");
    let e = resolve(&client(wrong), &refs[0].to_string(), &[])
        .await
        .unwrap_err();
    assert_eq!(e.status, Some(401), "{}", e.message);
    assert!(!format!("{e:?}").contains("wrong-pw-3"));
}
