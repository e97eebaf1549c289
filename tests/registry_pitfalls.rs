//! distribution 2.8's three ways of answering a narrow `Accept` with something other than
//! what the tag points to: each shown with a raw request, then resolved right by the client.

mod support;

use dockerfile_lock::reference::ImageRef;
use dockerfile_lock::registry::{Client, Config, CredentialStore};
use support::images::{sha256, ImageKind, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, PLATFORMS};
use support::registry::{Auth, Registry};

const SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// A raw GET with exactly this `Accept` (none when empty): status, Content-Type, bytes.
async fn raw_get(reg: &Registry, repo: &str, tag: &str, accept: &str) -> (u16, String, Vec<u8>) {
    let url = format!("{}/v2/{repo}/manifests/{tag}", reg.base_url());
    let mut req = reqwest::Client::new().get(url);
    if !accept.is_empty() {
        req = req.header("Accept", accept);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

async fn client_digest(reference: &str) -> String {
    let client = Client::with_credentials(Config::default(), CredentialStore::none()).unwrap();
    let image: ImageRef = reference.parse().unwrap();
    client
        .resolve(&image, &[])
        .await
        .unwrap()
        .digest
        .to_string()
}

#[tokio::test]
async fn without_schema2_in_accept_a_schema2_tag_turns_into_signed_schema1() {
    let reg = Registry::start(Auth::Anonymous);
    let pushed = reg.push_image("pitfall/schema1", "1", ImageKind::Schema2);
    let (status, ct, first) = raw_get(&reg, "pitfall/schema1", "1", "").await;
    assert_eq!((status, ct.as_str()), (200, SCHEMA1_SIGNED));
    let (_, _, second) = raw_get(&reg, "pitfall/schema1", "1", OCI_MANIFEST).await;
    // A conversion, signed afresh each time: neither the truth nor stable.
    assert_ne!(sha256(&first), pushed.digest);
    assert_ne!(sha256(&first), sha256(&second));

    assert_eq!(client_digest(&pushed.reference).await, pushed.digest);
}

#[tokio::test]
async fn without_the_index_type_an_oci_index_is_unknown() {
    let reg = Registry::start(Auth::Anonymous);
    let pushed = reg.push_image("pitfall/oci", "1", ImageKind::OciIndex(PLATFORMS));
    let narrow = format!("{DOCKER_MANIFEST}, {OCI_MANIFEST}");
    let (status, _, body) = raw_get(&reg, "pitfall/oci", "1", &narrow).await;
    assert_eq!(status, 404);
    assert!(String::from_utf8_lossy(&body).contains("MANIFEST_UNKNOWN"));

    assert_eq!(client_digest(&pushed.reference).await, pushed.digest);
}

#[tokio::test]
async fn without_the_list_type_a_manifest_list_answers_with_its_amd64_child() {
    let reg = Registry::start(Auth::Anonymous);
    let pushed = reg.push_image("pitfall/list", "1", ImageKind::ManifestList(PLATFORMS));
    let narrow = format!("{DOCKER_MANIFEST}, {OCI_MANIFEST}, {OCI_INDEX}");
    let (status, ct, body) = raw_get(&reg, "pitfall/list", "1", &narrow).await;
    // 200, and the wrong digest: a silently wrong pin.
    assert_eq!((status, ct.as_str()), (200, DOCKER_MANIFEST));
    assert_eq!(sha256(&body), pushed.children["linux/amd64"]);
    assert_ne!(sha256(&body), pushed.digest);

    assert_eq!(client_digest(&pushed.reference).await, pushed.digest);
}
