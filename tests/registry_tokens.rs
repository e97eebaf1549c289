//! Round trips the client spends, against a real `docker-registry` behind a counting
//! proxy: no `GET /v2/` before the first `HEAD`, one token request per registry for every
//! repository a run needs (and a per-repository fallback when a token service grants
//! fewer scopes than asked), and the pull limits a registry announces.

mod support;

use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use dockerfile_lock::reference::ImageRef;
use dockerfile_lock::registry::{Client, Config, CredentialStore};
use support::http::{Reply, Server};
use support::images::{sha256, ImageKind};
use support::registry::{Auth, Registry};

fn store(host: &str, auth: &Auth) -> (tempfile::TempDir, CredentialStore) {
    let entry = match auth {
        Auth::Basic { user, pass } | Auth::Token { user, pass } => {
            serde_json::json!({"username": user, "password": pass})
        }
        Auth::Anonymous => serde_json::json!({}),
    };
    support::mock::store_with(host, entry)
}

/// Push `repos` × `tags` images; the references through `host` and their digests.
fn push(reg: &Registry, host: &str, repos: usize, tags: usize) -> (Vec<ImageRef>, Vec<String>) {
    let (mut refs, mut digests) = (Vec::new(), Vec::new());
    for r in 0..repos {
        for t in 0..tags {
            let img = reg.push_image(&format!("team/r{r}"), &format!("t{t}"), ImageKind::Schema2);
            refs.push(format!("{host}/team/r{r}:t{t}").parse().unwrap());
            digests.push(img.digest);
        }
    }
    (refs, digests)
}

fn resolve_all(store: CredentialStore, refs: &[ImageRef]) -> Vec<String> {
    resolve_with_jobs(store, refs, 16)
}

fn resolve_with_jobs(store: CredentialStore, refs: &[ImageRef], jobs: usize) -> Vec<String> {
    let config = Config {
        timeout: Duration::from_secs(10),
        jobs,
        ..Config::default()
    };
    let client = Client::with_credentials(config, store).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(client.resolve_all(refs, &[]))
        .into_iter()
        .map(|r| r.expect("resolves").digest.to_string())
        .collect()
}

#[test]
fn no_version_check_ping_before_the_first_head() {
    for auth in [
        Auth::Anonymous,
        Auth::basic("u", "pw-basic"),
        Auth::token("u", "pw-token"),
    ] {
        let reg = Registry::start(auth.clone());
        let (proxy, counts) = support::proxy::start(reg.addr, Duration::ZERO);
        let (refs, digests) = push(&reg, &proxy.to_string(), 3, 1);
        let (_dir, store) = store(&proxy.to_string(), &auth);
        assert_eq!(resolve_all(store, &refs), digests);
        assert_eq!(counts.pings.load(Ordering::SeqCst), 0, "no GET /v2/");
        let heads = counts.heads.load(Ordering::SeqCst);
        match auth {
            // One HEAD per image.
            Auth::Anonymous => assert_eq!(heads, 3),
            // The first HEADs learn the challenge from their 401, then one each succeeds.
            _ => assert!((4..=6).contains(&heads), "{heads} HEADs"),
        }
    }
}

#[test]
fn one_at_a_time_only_the_first_head_learns_the_challenge() {
    // Images waiting for their turn decide what to send when it comes: after the first
    // 401 taught the challenge and one token covers them all.
    let auth = Auth::token("u", "pw-jobs-1");
    let reg = Registry::start(auth.clone());
    let (proxy, counts) = support::proxy::start(reg.addr, Duration::ZERO);
    let (refs, digests) = push(&reg, &proxy.to_string(), 4, 1);
    let (_dir, store) = store(&proxy.to_string(), &auth);
    let before = reg.issuer.as_ref().unwrap().requests();
    assert_eq!(resolve_with_jobs(store, &refs, 1), digests);
    assert_eq!(counts.heads.load(Ordering::SeqCst), 1 + 4);
    assert_eq!(reg.issuer.as_ref().unwrap().requests() - before, 1);
}

#[test]
fn one_token_request_covers_every_repository_of_a_run() {
    let auth = Auth::token("bot", "pw-many-scopes");
    let reg = Registry::start(auth.clone());
    let (proxy, _counts) = support::proxy::start(reg.addr, Duration::ZERO);
    let (refs, digests) = push(&reg, &proxy.to_string(), 6, 2);
    let issuer = reg.issuer.as_ref().unwrap();
    let before = issuer.requests();
    let (_dir, store) = store(&proxy.to_string(), &auth);
    assert_eq!(resolve_all(store.clone(), &refs), digests);
    assert_eq!(
        issuer.requests() - before,
        1,
        "one token for 6 repositories"
    );

    // A token service that grants only two scopes per token: the four repositories the
    // first token does not cover each get a token of their own, and everything resolves.
    issuer.grant_at_most(2);
    let before = issuer.requests();
    assert_eq!(resolve_all(store, &refs), digests);
    assert_eq!(issuer.requests() - before, 1 + 4);
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"))
        .args(args)
        .env("DOCKER_CONFIG", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Docker Hub's headers on every manifest answer; a real registry sends none.
fn limited(remaining: u32) -> Server {
    let manifest = r#"{"schemaVersion":2}"#;
    let digest = sha256(manifest.as_bytes());
    Server::start(move |_| {
        let reply = if remaining == 0 {
            Reply::new(429).header("Retry-After", "3600")
        } else {
            Reply::new(200)
                .header("Docker-Content-Digest", &digest)
                .header(
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v2+json",
                )
        };
        reply
            .header("ratelimit-limit", "100;w=21600")
            .header("ratelimit-remaining", &format!("{remaining};w=21600"))
            .header("docker-ratelimit-source", "203.0.113.9")
    })
}

#[test]
fn pull_limits_are_shown_with_verbose_and_in_a_429() {
    let server = limited(98);
    let image = format!("{}/app:1", server.host());
    let (code, _, stderr) = cli(&["resolve", "-v", &image]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}: 98 of 100 pulls remain per 6 h window (HEAD lookups do not count as pulls)",
            server.host()
        )),
        "{stderr}"
    );
    let (_, _, quiet) = cli(&["resolve", &image]);
    assert!(!quiet.contains("pulls remain"), "only with -v: {quiet}");

    let server = limited(0);
    let image = format!("{}/app:1", server.host());
    let started = std::time::Instant::now();
    let (code, _, stderr) = cli(&["resolve", &image]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HTTP 429"), "{stderr}");
    assert!(
        stderr.contains("0 of 100 pulls remain per 6 h window, which resets in 1 h"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a reset an hour away is not waited for"
    );
}
