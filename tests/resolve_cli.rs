//! `dockerfile-lock resolve` end to end: the built binary against real registries, with
//! credentials from a temp `DOCKER_CONFIG`, credential helpers on `PATH`, or `auth.json`.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::Command;
use base64::Engine as _;
use support::images::{ImageKind, DOCKER_LIST, PLATFORMS};
use support::registry::{Auth, Registry};

/// The binary with a clean credential environment rooted in `home`.
fn cmd(home: &Path) -> Command {
    let mut c = Command::cargo_bin("dockerfile-lock").unwrap();
    let path = format!(
        "{}:{}",
        home.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    c.env("HOME", home)
        .env("DOCKER_CONFIG", home.join("docker"))
        .env("PATH", path)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("DOCKERFILE_LOCK_INSECURE_REGISTRIES")
        .env_remove("DOCKERFILE_LOCK_REGISTRY_MIRRORS")
        .arg("resolve");
    c
}

fn home() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("docker")).unwrap();
    std::fs::create_dir_all(d.path().join("bin")).unwrap();
    d
}

fn write_config(home: &Path, config: serde_json::Value) {
    std::fs::write(home.join("docker/config.json"), config.to_string()).unwrap();
}

/// A `docker-credential-NAME` that knows `host` only; others get "credentials not found".
fn helper(home: &Path, name: &str, host: &str, user: &str, secret: &str) {
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread server\nif [ \"$server\" = '{host}' ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n"
    );
    let path = home.join("bin").join(format!("docker-credential-{name}"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn output(c: &mut Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (o.status.code().unwrap_or(-1), s(&o.stdout), s(&o.stderr))
}

#[test]
fn prints_digests_as_text_and_json() {
    let reg = Registry::start(Auth::Anonymous);
    let a = reg.push_image("app/a", "1", ImageKind::Schema2);
    let b = reg.push_image("app/b", "2", ImageKind::ManifestList(PLATFORMS));
    let h = home();
    let (code, out, err) = output(cmd(h.path()).args([&a.reference, &b.reference, &a.reference]));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "{} {}\n{} {}\n{} {}\n",
            a.reference, a.digest, b.reference, b.digest, a.reference, a.digest
        )
    );

    // With one --platform, a text line shows that platform's manifest, as
    // `crane digest --platform` does; it used to show the index.
    let (code, out, err) = output(cmd(h.path()).args(["--platform", "linux/arm/v7", &b.reference]));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!("{} {}\n", b.reference, b.children["linux/arm/v7"])
    );
    let (code, out, err) = output(cmd(h.path()).args([
        "--format",
        "json",
        "--platform",
        "linux/arm/v7",
        &b.reference,
    ]));
    assert_eq!((code, err.as_str()), (0, ""));
    let want = serde_json::json!([{
        "image": b.reference, "normalized": b.reference, "digest": b.digest,
        "media-type": DOCKER_LIST, "platforms": {"linux/arm/v7": b.children["linux/arm/v7"]},
    }]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        want
    );
}

#[test]
fn failures_are_reported_and_the_rest_still_printed() {
    let reg = Registry::start(Auth::Anonymous);
    let a = reg.push_image("app/a", "1", ImageKind::Schema2);
    let missing = reg.image("app/a", "nope");
    let h = home();
    let (code, out, err) = output(cmd(h.path()).args([&missing, "Bad:Ref", &a.reference]));
    assert_eq!(code, 2);
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));
    assert!(
        err.contains(&format!(
            "error: cannot resolve {missing}: {} answered HTTP 404",
            reg.host()
        )),
        "{err}"
    );
    assert!(err.contains("help: check that"), "{err}");
    assert!(err.contains("invalid image reference `Bad:Ref`"), "{err}");
}

#[test]
fn credentials_from_auths_base64() {
    let reg = Registry::start(Auth::basic("carol", "pw-auths-1"));
    let a = reg.push_image("secret/a", "1", ImageKind::OciIndex(PLATFORMS));
    let h = home();
    let auth = base64::engine::general_purpose::STANDARD.encode("carol:pw-auths-1");
    write_config(
        h.path(),
        serde_json::json!({"auths": {reg.host(): {"auth": auth}}}),
    );
    let (code, out, err) = output(cmd(h.path()).arg(&a.reference));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));
}

#[test]
fn credentials_from_cred_helpers_and_creds_store() {
    let reg = Registry::start(Auth::token("dave", "pw-helper-1"));
    let a = reg.push_image("secret/a", "1", ImageKind::Schema2);
    let h = home();
    helper(h.path(), "perhost", &reg.host(), "dave", "pw-helper-1");
    write_config(
        h.path(),
        serde_json::json!({"credHelpers": {reg.host(): "perhost"}}),
    );
    let (code, out, err) = output(cmd(h.path()).arg(&a.reference));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));

    let h = home();
    helper(h.path(), "store", &reg.host(), "dave", "pw-helper-1");
    write_config(h.path(), serde_json::json!({"credsStore": "store"}));
    let (code, out, err) = output(cmd(h.path()).arg(&a.reference));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));
}

#[test]
fn a_helper_without_credentials_means_anonymous() {
    let open = Registry::start(Auth::Anonymous);
    let closed = Registry::start(Auth::basic("erin", "pw-unused-1"));
    let a = open.push_image("pub/a", "1", ImageKind::Schema2);
    let b = closed.push_image("priv/b", "1", ImageKind::Schema2);
    let h = home();
    helper(h.path(), "empty", "no-such-host.invalid", "x", "y");
    write_config(h.path(), serde_json::json!({"credsStore": "empty"}));
    let (code, out, err) = output(cmd(h.path()).args([&a.reference, &b.reference]));
    assert_eq!(code, 2);
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(
        err.contains(&format!("help: run `docker login {}`", closed.host())),
        "{err}"
    );
}

#[test]
fn credentials_from_registry_auth_file() {
    let reg = Registry::start(Auth::basic("frank", "pw-podman-1"));
    let a = reg.push_image("secret/a", "1", ImageKind::Schema2);
    let h = home();
    let auth = base64::engine::general_purpose::STANDARD.encode("frank:pw-podman-1");
    let file = h.path().join("auth.json");
    std::fs::write(
        &file,
        serde_json::json!({"auths": {reg.host(): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    let (code, out, err) = output(
        cmd(h.path())
            .env("REGISTRY_AUTH_FILE", &file)
            .arg(&a.reference),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));
}

#[test]
fn no_output_shows_a_credential() {
    let reg = Registry::start(Auth::token("gina", "pw-right-1"));
    let a = reg.push_image("secret/a", "1", ImageKind::Schema2);
    let h = home();
    // A wrong password in `auths`: the failure must not echo it, nor the right one.
    write_config(
        h.path(),
        serde_json::json!({"auths": {reg.host(): {"username": "gina", "password": "pw-wrong-2"}}}),
    );
    let (code, out, err) = output(cmd(h.path()).args(["-vv", &a.reference]));
    assert_eq!(code, 2);
    assert!(err.contains("401"), "{err}");
    for secret in ["pw-wrong-2", "pw-right-1", "Z2luYT"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} leaked: {err}"
        );
    }
}

#[test]
fn a_mirror_serves_the_lookup_and_the_output_keeps_the_original_name() {
    let mirror = Registry::start(Auth::Anonymous);
    let pushed = mirror.push_image("library/alpine", "3", ImageKind::OciIndex(PLATFORMS));
    let h = home();
    let flag = format!("docker.io={}", mirror.host());
    let (code, out, err) =
        output(cmd(h.path()).args(["--registry-mirror", &flag, "--format", "json", "alpine:3"]));
    assert_eq!((code, err.as_str()), (0, ""));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["image"], "alpine:3");
    assert_eq!(v[0]["normalized"], "docker.io/library/alpine:3");
    assert_eq!(v[0]["digest"], pushed.digest.as_str());
}

#[test]
fn a_bad_mirror_or_platform_flag_is_a_usage_error() {
    let h = home();
    let (code, out, err) = output(cmd(h.path()).args(["--registry-mirror", "nonsense", "alpine"]));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("invalid --registry-mirror `nonsense`"),
        "{err}"
    );
    let (code, _, err) = output(cmd(h.path()).args(["--platform", "linux", "alpine"]));
    assert_eq!(code, 2);
    assert!(err.contains("invalid --platform"), "{err}");
}

#[test]
fn https_registries_are_verified_against_ssl_cert_file() {
    let reg = Registry::start_tls(Auth::basic("hank", "pw-tls-1"));
    let a = reg.push_image("secure/a", "1", ImageKind::ManifestList(PLATFORMS));
    let h = home();
    write_config(
        h.path(),
        serde_json::json!({"auths": {reg.host(): {"username": "hank", "password": "pw-tls-1"}}}),
    );
    let cert = reg.tls_cert.clone().unwrap();
    let (code, out, err) = output(cmd(h.path()).env("SSL_CERT_FILE", &cert).arg(&a.reference));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{} {}\n", a.reference, a.digest));

    // The same registry without its certificate trusted: refused, not downgraded.
    let (code, out, err) = output(cmd(h.path()).arg(&a.reference));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains(&format!("cannot connect to {}", reg.host())),
        "{err}"
    );
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(err.contains("set SSL_CERT_FILE"), "{err}");
}

// `resolve IMAGE@sha256:…` used to echo the digest without asking: a digest the registry
// does not have "resolved". Like `crane digest`, it is now checked, unless --offline.
#[test]
fn a_pinned_reference_is_checked_unless_offline() {
    let reg = Registry::start(Auth::Anonymous);
    let a = reg.push_image("pub/a", "1", ImageKind::Schema2);
    let h = home();
    let pinned = format!("{}@{}", a.reference, a.digest);
    let (code, out, err) = output(cmd(h.path()).arg(&pinned));
    assert_eq!((code, err.as_str()), (0, ""), "{err}");
    assert_eq!(out, format!("{pinned} {}\n", a.digest));

    let absent = format!("sha256:{}", "0".repeat(64));
    let made_up = format!("{}/pub/a@{absent}", reg.host());
    let (code, out, err) = output(cmd(h.path()).arg(&made_up));
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(err.contains(&made_up), "{err}");

    let (code, out, _) = output(cmd(h.path()).args(["--offline", &made_up]));
    assert_eq!(code, 0);
    assert_eq!(out, format!("{made_up} {absent}\n"));
}
