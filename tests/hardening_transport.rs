//! Registry abuse and transport policy, against raw TCP listeners, a TLS server with a
//! self-signed certificate (`openssl s_server`) and wiremock: a registry that streams
//! forever, drips, answers garbage, claims a 1 GiB body, sends 10,000 headers or loops
//! redirects gives a clear error within the timeout; retries are bounded; plain HTTP is
//! refused off loopback; TLS failures say so with a `help:` on `SSL_CERT_FILE`;
//! credentials never follow a redirect to another host. `tests/registry_faults.rs` has
//! the 429/5xx/reset/lying-digest/HTML/size-cap cases; this file adds the rest.

mod support;

mod hardening_common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dockerfile_lock::reference::{Digest, ImageRef};
use dockerfile_lock::registry::{Client, Config, CredentialStore, Error, RetryPolicy};
use hardening_common::{bin, Record};
use support::mock::token_registry;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SCHEMA2: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Generous bound: a check fails on a hang, never on a slow machine.
const HANG: Duration = Duration::from_secs(120);

fn client(timeout: Duration, store: CredentialStore) -> Client {
    let config = Config {
        timeout,
        ..Config::default()
    };
    let retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(10),
        budget: Duration::from_secs(20),
    };
    Client::with_options(config, store, retry).unwrap()
}

async fn resolve(host: &str, timeout: Duration) -> Result<(), Error> {
    let image: ImageRef = format!("{host}/app:1").parse().unwrap();
    let start = Instant::now();
    let r = client(timeout, CredentialStore::none())
        .resolve(&image, &[])
        .await
        .map(|_| ());
    assert!(start.elapsed() < HANG, "took {:?}", start.elapsed());
    r
}

/// A loopback server that answers every connection with `respond`, after reading the
/// request head. `/v2/` gets a plain 200 so the manifest request is the one abused.
fn raw_server(
    respond: impl Fn(&mut TcpStream) + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let respond = Arc::new(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let respond = respond.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                let head = read_head(&mut stream);
                if head.starts_with("GET /v2/ ") {
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return;
                }
                seen.fetch_add(1, Ordering::SeqCst);
                respond(&mut stream);
            });
        }
    });
    (host, hits)
}

fn read_head(stream: &mut TcpStream) -> String {
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

#[tokio::test]
async fn a_body_that_streams_forever_is_cut_at_the_cap() {
    let mut rec = Record::new(
        "registry abuse",
        "manifest body streaming forever (no Content-Length)",
    );
    // HEAD gets no digest, so the client GETs and must stop reading at 4 MiB.
    let (host, _) = raw_server(|s| {
        let _ = s.write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Type: {SCHEMA2}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        let chunk = vec![b' '; 64 << 10];
        while s.write_all(&chunk).is_ok() {}
    });
    rec.tried();
    let e = resolve(&host, Duration::from_secs(60)).await.unwrap_err();
    assert!(e.message.contains("larger than 4096 KiB"), "{}", e.message);
    rec.outcome("refused at the 4 MiB cap: `sent a manifest larger than 4096 KiB`");
}

#[tokio::test]
async fn a_body_that_drips_forever_times_out() {
    let mut rec = Record::new(
        "registry abuse",
        "manifest body dripping 1 byte / 100 ms forever",
    );
    let (host, _) = raw_server(|s| {
        let _ = s.write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Type: {SCHEMA2}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        while s.write_all(b" ").is_ok() {
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    rec.tried();
    let e = resolve(&host, Duration::from_secs(2)).await.unwrap_err();
    assert!(
        e.message.contains("did not answer within 2 s") || e.message.contains("failed"),
        "{}",
        e.message
    );
    rec.outcome("error within the timeout");
}

#[tokio::test]
async fn a_gigabyte_content_length_is_refused_unread() {
    let mut rec = Record::new(
        "registry abuse",
        "Content-Length: 1 GiB on a manifest and on a token reply",
    );
    let (host, _) = raw_server(|s| {
        let _ = s.write_all(
            format!("HTTP/1.1 200 OK\r\nContent-Type: {SCHEMA2}\r\nContent-Length: 1073741824\r\n\r\n{{")
                .as_bytes(),
        );
        std::thread::sleep(Duration::from_secs(30));
    });
    rec.tried();
    let e = resolve(&host, Duration::from_secs(60)).await.unwrap_err();
    assert!(e.message.contains("larger than 4096 KiB"), "{}", e.message);

    // The same claim from a token service.
    let (realm, _) = raw_server(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{");
        std::thread::sleep(Duration::from_secs(30));
    });
    let (_server, host) = token_registry(&format!("http://{realm}/token")).await;
    rec.tried();
    let e = resolve(&host, Duration::from_secs(60)).await.unwrap_err();
    assert!(
        e.message.contains("token response larger than 1024 KiB"),
        "{}",
        e.message
    );
    rec.outcome("refused before reading: manifest cap 4 MiB, token cap 1 MiB");
}

#[tokio::test]
async fn garbage_and_ten_thousand_headers_are_clear_errors() {
    let mut rec = Record::new(
        "registry abuse",
        "non-HTTP garbage, 10,000 response headers, a 1 MiB header line",
    );
    let (garbage, hits) = raw_server(|s| {
        let mut noise = vec![0u8; 4096];
        for (i, b) in noise.iter_mut().enumerate() {
            *b = (i * 7919 % 251) as u8;
        }
        let _ = s.write_all(&noise);
    });
    rec.tried();
    let e = resolve(&garbage, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        e.message.contains(&format!("request to {garbage} failed")),
        "{}",
        e.message
    );
    assert!(hits.load(Ordering::SeqCst) <= 3, "bounded retries");

    let (many, _) = raw_server(|s| {
        let mut r = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..10_000 {
            r.push_str(&format!("X-Header-{i}: {i}\r\n"));
        }
        r.push_str("Content-Length: 0\r\n\r\n");
        let _ = s.write_all(r.as_bytes());
    });
    rec.tried();
    let e = resolve(&many, Duration::from_secs(10)).await.unwrap_err();
    assert!(
        e.message.contains(&format!("request to {many} failed")),
        "{}",
        e.message
    );

    let (long, _) = raw_server(|s| {
        let r = format!(
            "HTTP/1.1 200 OK\r\nX-Long: {}\r\nContent-Length: 0\r\n\r\n",
            "a".repeat(1 << 20)
        );
        let _ = s.write_all(r.as_bytes());
    });
    rec.tried();
    let e = resolve(&long, Duration::from_secs(10)).await.unwrap_err();
    assert!(e.message.contains("failed"), "{}", e.message);
    assert!(e.message.len() < 1024, "{}", e.message.len());
    rec.outcome("`request to HOST failed: …` within the timeout, ≤ 3 attempts");
}

#[tokio::test]
async fn a_redirect_loop_is_a_clear_error() {
    let mut rec = Record::new("registry abuse", "redirect loop on the manifest");
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let again = format!("{}/v2/app/manifests/1", server.uri());
    Mock::given(path("/v2/app/manifests/1"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", again.as_str()))
        .mount(&server)
        .await;
    rec.tried();
    let e = resolve(&server.address().to_string(), Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(e.message.contains("redirect"), "{}", e.message);
    let n = server.received_requests().await.unwrap().len();
    assert!(n <= 1 + 3 * 11, "{n} requests: redirects are bounded");
    rec.outcome("`too many redirects`, ≤ 10 per attempt");
}

#[tokio::test]
async fn retries_are_bounded_in_count_and_time_through_the_cli() {
    let mut rec = Record::new(
        "registry abuse",
        "always 503 with Retry-After: 1, through the CLI (default policy)",
    );
    let (host, hits) = raw_server(|s| {
        let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    rec.tried();
    let start = Instant::now();
    let out = Command::new(bin())
        .args(["resolve", &format!("{host}/app:1")])
        .output()
        .unwrap();
    assert!(start.elapsed() < HANG);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("answered HTTP 503"), "{stderr}");
    assert_eq!(hits.load(Ordering::SeqCst), 4, "four attempts in all");
    rec.outcome("exactly 4 attempts, then `answered HTTP 503`, exit 2");
}

#[tokio::test]
async fn a_token_valid_for_u64_max_seconds_does_not_panic() {
    // Regression: `Instant::now() + expires_in` overflowed and panicked.
    let mut rec = Record::new("registry abuse", "token reply with expires_in = u64::MAX");
    let auth = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"token":"t","expires_in":18446744073709551615}"#),
        )
        .mount(&auth)
        .await;
    let (server, host) = token_registry(&format!("{}/token", auth.uri())).await;
    let manifest = br#"{"schemaVersion":2}"#;
    Mock::given(method("HEAD"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "Docker-Content-Digest",
                    Digest::sha256_of(manifest).to_string().as_str(),
                )
                .insert_header("Content-Type", SCHEMA2),
        )
        .mount(&server)
        .await;
    rec.tried();
    resolve(&host, Duration::from_secs(10)).await.unwrap();
    rec.outcome("resolves (lifetime clamped); was a panic before this branch");
}

#[tokio::test]
async fn authorization_does_not_follow_a_redirect_to_another_host() {
    let mut rec = Record::new(
        "no secret leaked",
        "Authorization across a redirect to another host (Basic and Bearer)",
    );
    // `other` is reached as `localhost`, the registry as 127.0.0.1: another host.
    let other = MockServer::start().await;
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(manifest.as_slice(), SCHEMA2))
        .mount(&other)
        .await;
    let moved = format!("http://localhost:{}/blob", other.address().port());

    for scheme in ["Basic", "Bearer"] {
        let registry = MockServer::start().await;
        let challenge = if scheme == "Basic" {
            r#"Basic realm="r""#.to_string()
        } else {
            format!(r#"Bearer realm="{}/token""#, registry.uri())
        };
        Mock::given(support::mock::unauthenticated())
            .respond_with(
                ResponseTemplate::new(401).insert_header("WWW-Authenticate", challenge.as_str()),
            )
            .mount(&registry)
            .await;
        Mock::given(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"tok-SECRET"}"#))
            .mount(&registry)
            .await;
        Mock::given(method("HEAD"))
            .respond_with(ResponseTemplate::new(200).insert_header("Content-Type", SCHEMA2))
            .mount(&registry)
            .await;
        Mock::given(method("GET"))
            .and(path("/v2/app/manifests/1"))
            .respond_with(ResponseTemplate::new(307).insert_header("Location", moved.as_str()))
            .mount(&registry)
            .await;
        let host = registry.address().to_string();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths":{{"{host}":{{"username":"u","password":"pw-SECRET"}}}}}}"#),
        )
        .unwrap();
        let store = CredentialStore {
            docker_config: Some(dir.path().to_path_buf()),
            auth_file: None,
        };
        let image: ImageRef = format!("{host}/app:1").parse().unwrap();
        rec.tried();
        client(Duration::from_secs(10), store)
            .resolve(&image, &[])
            .await
            .unwrap();
        let sent: Vec<Request> = registry.received_requests().await.unwrap();
        assert!(
            sent.iter().any(|r| r.method.as_str() == "GET"
                && r.url.path() == "/v2/app/manifests/1"
                && r.headers.contains_key("authorization")),
            "{scheme}: the registry itself got credentials"
        );
    }
    let at_other = other.received_requests().await.unwrap();
    assert_eq!(at_other.len(), 2, "one redirected GET per scheme");
    for r in at_other {
        assert!(!r.headers.contains_key("authorization"), "{:?}", r.headers);
    }
    rec.outcome("sent to the registry, dropped on the redirect to another host");
}

/// This machine's first non-loopback IPv4 address, if it has one (no packet is sent).
fn non_loopback_ip() -> Option<IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let start = Instant::now();
    let out = Command::new(bin())
        .args(args)
        .env_remove("SSL_CERT_FILE")
        .envs(envs.iter().copied())
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    assert!(start.elapsed() < HANG);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn plain_http_is_refused_off_loopback_unless_named_insecure() {
    let mut rec = Record::new(
        "transport policy",
        "plain HTTP to a non-loopback registry, with and without --insecure-registry",
    );
    let Some(ip) = non_loopback_ip() else {
        rec.outcome("skipped: this machine has no non-loopback address");
        return;
    };
    let listener = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let plain_requests = Arc::new(AtomicUsize::new(0));
    let seen = plain_requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut first = [0u8; 1];
            let _ = s.peek(&mut first);
            // 0x16: a TLS handshake record, i.e. a ClientHello.
            let head = if first[0] == 0x16 {
                String::new()
            } else {
                read_head(&mut s)
            };
            if head.starts_with("GET ") || head.starts_with("HEAD ") {
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = s.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            } else {
                // A TLS ClientHello: answer like a plain-HTTP server does.
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            }
        }
    });
    rec.tried();
    let image = format!("{host}/app:1");
    let (code, stderr) = run(&["resolve", "--timeout", "5", &image], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "help: if {host} serves plain HTTP, pass `--insecure-registry {host}`"
        )),
        "{stderr}"
    );
    assert_eq!(
        plain_requests.load(Ordering::SeqCst),
        0,
        "nothing went out in clear text"
    );
    rec.tried();
    let (code, stderr) = run(
        &[
            "resolve",
            "--timeout",
            "5",
            "--insecure-registry",
            &host,
            &image,
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("answered HTTP 404"), "{stderr}");
    assert!(plain_requests.load(Ordering::SeqCst) > 0);
    rec.outcome("HTTPS only (help names --insecure-registry); plain HTTP only when named");
}

/// `openssl s_server` on `ip:port` with a fresh self-signed certificate for `ip`.
struct TlsServer {
    child: Child,
    host: String,
    cert: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsServer {
    fn start(ip: IpAddr) -> TlsServer {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        let ok = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
            ])
            .arg("-addext")
            .arg(format!("subjectAltName=IP:{ip}"))
            // A leaf, not a CA: webpki refuses a CA certificate as a server's own.
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success());
        let port = {
            let l = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("{ip}:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl");
        let host = SocketAddr::new(ip, port).to_string();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(&host).is_err() {
            assert!(Instant::now() < deadline, "s_server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsServer {
            child,
            host,
            cert,
            _dir: dir,
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tls_failures_are_reported_as_such_with_help_on_ssl_cert_file() {
    let mut rec = Record::new(
        "transport policy",
        "self-signed TLS registry (openssl s_server): untrusted, then trusted via SSL_CERT_FILE",
    );
    let Some(ip) = non_loopback_ip() else {
        rec.outcome("skipped: this machine has no non-loopback address");
        return;
    };
    let tls = TlsServer::start(ip);
    let image = format!("{}/app:1", tls.host);
    rec.tried();
    let (code, stderr) = run(&["resolve", "--timeout", "10", &image], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("TLS") && stderr.contains("certificate"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help:") && stderr.contains("SSL_CERT_FILE"),
        "{stderr}"
    );
    rec.tried();
    let cert = tls.cert.to_string_lossy().into_owned();
    let (code, stderr) = run(
        &["resolve", "--timeout", "10", &image],
        &[("SSL_CERT_FILE", &cert)],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(!stderr.contains("certificate"), "trusted now: {stderr}");
    rec.outcome("`invalid peer certificate` + `help: the TLS certificate … SSL_CERT_FILE`; trusted once SSL_CERT_FILE names the CA");
}

#[tokio::test]
async fn a_tls_failure_at_the_token_realm_is_reported_as_such() {
    let mut rec = Record::new(
        "transport policy",
        "token realm over HTTPS with an untrusted certificate",
    );
    let tls = TlsServer::start("127.0.0.1".parse().unwrap());
    let (_server, host) = token_registry(&format!("https://{}/token", tls.host)).await;
    rec.tried();
    let e = resolve(&host, Duration::from_secs(10)).await.unwrap_err();
    assert!(e.message.contains("certificate"), "{}", e.message);
    let help = e.help.as_deref().unwrap_or("");
    assert!(
        help.contains("TLS") && help.contains("SSL_CERT_FILE"),
        "{e:?}"
    );
    rec.outcome("`invalid peer certificate` + `help:` on the TLS certificate and SSL_CERT_FILE");
}

#[tokio::test]
async fn a_token_realm_downgrading_to_plain_http_is_never_contacted() {
    let mut rec = Record::new(
        "transport policy",
        "token realm downgrading to http:// on a non-loopback host",
    );
    let Some(ip) = non_loopback_ip() else {
        rec.outcome("skipped: this machine has no non-loopback address");
        return;
    };
    let realm = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
    let realm_host = realm.local_addr().unwrap().to_string();
    realm.set_nonblocking(true).unwrap();
    let (server, host) = token_registry(&format!("http://{realm_host}/token")).await;
    rec.tried();
    let e = resolve(&host, Duration::from_secs(10)).await.unwrap_err();
    assert!(
        e.message.contains(&format!(
            "refusing to fetch a token from {realm_host} over plain HTTP"
        )),
        "{}",
        e.message
    );
    assert!(realm.accept().is_err(), "the realm was never contacted");
    let heads = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "HEAD" && r.headers.contains_key("authorization"))
        .count();
    assert_eq!(heads, 0, "no HEAD carried a token");
    rec.outcome("refused before any connection to the realm");
}

#[tokio::test]
async fn retries_stop_when_the_time_budget_is_spent() {
    let mut rec = Record::new(
        "registry abuse",
        "connection resets forever with a 1 s retry budget and 10 attempts allowed",
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let seen = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    let retry = RetryPolicy {
        attempts: 10,
        base_delay: Duration::from_millis(300),
        budget: Duration::from_secs(1),
    };
    let client = Client::with_options(Config::default(), CredentialStore::none(), retry).unwrap();
    let image: ImageRef = format!("{host}/app:1").parse().unwrap();
    rec.tried();
    let start = Instant::now();
    let e = client.resolve(&image, &[]).await.unwrap_err();
    assert!(start.elapsed() < HANG);
    assert!(
        e.message.contains(&format!("request to {host} failed")),
        "{}",
        e.message
    );
    // 300 ms, 600 ms, 1.2 s backoffs (halved at worst by jitter): the budget ends it
    // after at most 4 attempts, far below the 10 allowed.
    let n = accepted.load(Ordering::SeqCst);
    assert!((2..=4).contains(&n), "{n} attempts");
    rec.outcome("stops within the budget (≤ 4 of 10 attempts)");
}
