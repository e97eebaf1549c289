//! No secret leaked: every command at every verbosity, against real Basic and token
//! registries and against mock registries that fail (wrong password → 401, 500, a
//! timeout), with a password, a token and an identity token that are unique strings.
//! Neither the secrets nor their base64 forms (nor any JWT) may appear in stdout, stderr
//! or any file left in the working directory; `Debug` of credential types redacts.

mod hardening_common;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use dockerfile_lock::dockerfile::UseKind;
use dockerfile_lock::lockfile::{self, Entry, Key, Lock, Use};
use dockerfile_lock::reference::Digest;
use dockerfile_lock::registry::{Credential, CredentialStore};
use hardening_common::{bin, Record};
use support::images::ImageKind;
use support::registry::{Auth, Registry};

const USER: &str = "ci-bot";
const PASSWORD: &str = "pw-7f3a9c-UNIQUE-hunter2";
const WRONG_PASSWORD: &str = "pw-0d41be-WRONG-swordfish";
const IDENTITY_TOKEN: &str = "idtok-5e8b21-UNIQUE-refresh";
const MOCK_TOKEN: &str = "bearer-c94d07-UNIQUE-access";

const COMMANDS: &[&str] = &[
    "images", "resolve", "generate", "verify", "update", "rewrite",
];
const VERBOSITY: &[&[&str]] = &[&["-q"], &[], &["-v"], &["-vv"]];

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Every form a secret could leak in.
fn forbidden() -> Vec<String> {
    let mut v = Vec::new();
    for s in [PASSWORD, WRONG_PASSWORD, IDENTITY_TOKEN, MOCK_TOKEN] {
        v.push(s.to_string());
        v.push(b64(s));
        v.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s));
    }
    for p in [PASSWORD, WRONG_PASSWORD] {
        v.push(b64(&format!("{USER}:{p}")));
    }
    // Any JWT the test token issuer signed (its header always encodes to this).
    v.push("eyJ0eXAiOiJKV1Qi".into());
    v.push("eyJhbGciOi".into());
    v
}

fn assert_clean(what: &str, text: &str) {
    for f in forbidden() {
        assert!(!text.contains(&f), "{what} leaks `{f}`:\n{text}");
    }
}

/// One registry setup: its host, the image, and the docker config to use.
struct Scenario {
    name: String,
    host: String,
    config: serde_json::Value,
    /// Whether the registry can answer (then the lock is made by `generate`).
    works: bool,
}

fn lock_for(host: &str) -> Vec<u8> {
    let image = format!("{host}/team/app:1");
    let digest: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
    let mut images = BTreeMap::new();
    images.insert(
        Key {
            reference: image.clone(),
            pinned: None,
        },
        Entry {
            name: image,
            digest,
            media_type: None,
            platforms: BTreeMap::new(),
            used_by: BTreeSet::from([Use {
                kind: UseKind::From,
                by: None,
                dockerfile: None,
                stage: None,
            }]),
        },
    );
    let lock = Lock {
        dockerfile: "Dockerfile".into(),
        build_args: BTreeMap::new(),
        images,
        ..Lock::default()
    };
    lockfile::encode(&lock).unwrap().into_bytes()
}

/// Run every command at every verbosity in a fresh directory; return the number of runs.
fn run_all(s: &Scenario) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let docker = dir.path().join("docker");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(docker.join("config.json"), s.config.to_string()).unwrap();
    let image = format!("{}/team/app:1", s.host);
    let mut runs = 0;
    for verbosity in VERBOSITY {
        // A fresh project per verbosity, so each command's writes are seen at each level.
        std::fs::write(work.join("Dockerfile"), format!("FROM {image}\nRUN true\n")).unwrap();
        let _ = std::fs::remove_file(work.join("Dockerfile.lock"));
        if !s.works {
            std::fs::write(work.join("Dockerfile.lock"), lock_for(&s.host)).unwrap();
        }
        for command in COMMANDS {
            let mut args: Vec<&str> = vec![command];
            args.extend_from_slice(verbosity);
            match *command {
                "resolve" => args.push(&image),
                "verify" => args.extend(["--online", "Dockerfile"]),
                _ => args.push("Dockerfile"),
            }
            if *command != "images" && *command != "rewrite" {
                args.extend(["--timeout", "2"]);
            }
            let out = Command::new(bin())
                .args(&args)
                .current_dir(&work)
                .env("DOCKER_CONFIG", &docker)
                .env("HOME", dir.path())
                .env("RUST_BACKTRACE", "1")
                .env_remove("REGISTRY_AUTH_FILE")
                .env_remove("XDG_RUNTIME_DIR")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            runs += 1;
            let what = format!("{} `{}`", s.name, args.join(" "));
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            assert!(matches!(out.status.code(), Some(0..=2)), "{what}: {stderr}");
            if s.works && *command == "generate" {
                assert_eq!(out.status.code(), Some(0), "{what}: {stderr}");
            }
            if !s.works && *command == "resolve" {
                assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
            }
            assert_clean(&format!("{what} stdout"), &stdout);
            assert_clean(&format!("{what} stderr"), &stderr);
            // Every file in the project (and any temp file) after every command.
            for entry in std::fs::read_dir(&work).unwrap().flatten() {
                let bytes = std::fs::read(entry.path()).unwrap();
                assert_clean(
                    &format!("{what}: {}", entry.path().display()),
                    &String::from_utf8_lossy(&bytes),
                );
            }
        }
    }
    runs
}

fn auths(host: &str, entry: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "auths": { host: entry } })
}

/// A registry that asks for `challenge` on `/v2/`, issues MOCK_TOKEN at `/token`, and
/// answers manifest requests per `fault`: "500" or "timeout".
fn failing_registry(scheme: &'static str, fault: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let realm = format!("http://{host}/token");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let realm = realm.clone();
            std::thread::spawn(move || {
                let head = read_head(&mut stream);
                let response = if head.starts_with("GET /v2/ ") {
                    let challenge = if scheme == "Basic" {
                        "Basic realm=\"mock\"".to_string()
                    } else {
                        format!("Bearer realm=\"{realm}\",service=\"mock\"")
                    };
                    format!("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {challenge}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                } else if head.starts_with("GET /token") || head.starts_with("POST /token") {
                    let body = format!("{{\"token\":\"{MOCK_TOKEN}\",\"expires_in\":300}}");
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                } else if fault == "timeout" {
                    std::thread::sleep(Duration::from_secs(20));
                    return;
                } else {
                    // A 500 whose body echoes what was sent, as a careless proxy might.
                    let body = format!(
                        "{{\"errors\":[{{\"code\":\"UNKNOWN\",\"message\":{:?}}}]}}",
                        head
                    );
                    format!("HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
                };
                let _ = stream.write_all(response.as_bytes());
            });
        }
    });
    host
}

fn read_head(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut buf) {
            Ok(1) => head.push(buf[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn no_command_at_any_verbosity_leaks_a_secret() {
    let mut rec = Record::new(
        "no secret leaked",
        "6 commands × 4 verbosities × {Basic, token} × {ok, wrong password (401), 500, timeout, identity token}; stdout, stderr and every file scanned for the secrets, their base64 forms and JWTs",
    );
    let basic = Registry::start(Auth::basic(USER, PASSWORD));
    basic.push_image("team/app", "1", ImageKind::Schema2);
    let token = Registry::start(Auth::token(USER, PASSWORD));
    token.push_image("team/app", "1", ImageKind::Schema2);
    let good = |h: &str| {
        auths(
            h,
            serde_json::json!({ "auth": b64(&format!("{USER}:{PASSWORD}")) }),
        )
    };
    let wrong = |h: &str| {
        auths(
            h,
            serde_json::json!({ "username": USER, "password": WRONG_PASSWORD }),
        )
    };
    let identity = |h: &str| auths(h, serde_json::json!({ "identitytoken": IDENTITY_TOKEN }));

    let mut scenarios = vec![
        Scenario {
            name: "basic ok".into(),
            host: basic.host(),
            config: good(&basic.host()),
            works: true,
        },
        Scenario {
            name: "token ok".into(),
            host: token.host(),
            config: good(&token.host()),
            works: true,
        },
        Scenario {
            name: "basic 401".into(),
            host: basic.host(),
            config: wrong(&basic.host()),
            works: false,
        },
        Scenario {
            name: "token 401".into(),
            host: token.host(),
            config: wrong(&token.host()),
            works: false,
        },
        Scenario {
            name: "token identity-token refused".into(),
            host: token.host(),
            config: identity(&token.host()),
            works: false,
        },
    ];
    for scheme in ["Basic", "Bearer"] {
        for fault in ["500", "timeout"] {
            let host = failing_registry(scheme, fault);
            let config = if scheme == "Basic" {
                good(&host)
            } else {
                identity(&host)
            };
            scenarios.push(Scenario {
                name: format!("mock {scheme} {fault}"),
                host,
                config,
                works: false,
            });
        }
    }
    let runs: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = scenarios
            .iter()
            .map(|s| scope.spawn(|| run_all(s)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scenario passed"))
            .collect()
    });
    rec.add(runs.iter().sum());
    assert!(basic.log().is_empty() || !basic.log().contains("panic"));
    rec.outcome("no secret, base64 form or JWT in any output or file");
}

#[test]
fn debug_of_credential_types_redacts() {
    let mut rec = Record::new(
        "no secret leaked",
        "Debug of Credential, CredentialStore and registry errors",
    );
    let up = Credential::UserPass {
        user: USER.into(),
        pass: PASSWORD.into(),
    };
    let id = Credential::IdentityToken(IDENTITY_TOKEN.into());
    for c in [&up, &id] {
        rec.tried();
        let shown = format!("{c:?} {c:#?}");
        assert_clean("Debug of a credential", &shown);
        assert!(shown.contains("redacted"), "{shown}");
    }
    rec.tried();
    assert!(
        format!("{up:?}").contains(USER),
        "the user name is not a secret"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        auths(
            "r.example",
            serde_json::json!({ "auth": format!("!!{PASSWORD}") }),
        )
        .to_string(),
    )
    .unwrap();
    let store = CredentialStore {
        docker_config: Some(dir.path().to_path_buf()),
        auth_file: None,
    };
    rec.tried();
    assert_clean("Debug of a store", &format!("{store:?}"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let e = rt.block_on(store.lookup("r.example")).unwrap_err();
    rec.tried();
    assert_clean("a credential error", &format!("{e:?} {e}"));
    rec.outcome("secrets shown as <redacted>; errors name the file, not the value");
}

#[test]
fn a_config_file_in_the_project_is_never_rewritten_with_secrets() {
    // `generate` writes locks only: a secret-bearing config beside the Dockerfile is read,
    // never copied into the lock.
    let mut rec = Record::new(
        "no secret leaked",
        "DOCKER_CONFIG inside the project directory",
    );
    let reg = Registry::start(Auth::basic(USER, PASSWORD));
    reg.push_image("team/app", "1", ImageKind::Schema2);
    let dir = tempfile::tempdir().unwrap();
    let config = auths(
        &reg.host(),
        serde_json::json!({ "username": USER, "password": PASSWORD }),
    );
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\n", reg.image("team/app", "1")),
    )
    .unwrap();
    rec.tried();
    let out = Command::new(bin())
        .args(["-vv", "generate", "Dockerfile"])
        .current_dir(dir.path())
        .env("DOCKER_CONFIG", dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = std::fs::read_to_string(dir.path().join("Dockerfile.lock")).unwrap();
    assert_clean("the lock", &lock);
    assert!(Path::new(&dir.path().join("config.json")).exists());
    rec.outcome("the lock holds digests only");
}
