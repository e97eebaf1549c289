//! A real registry (Debian's `docker-registry`, distribution 2.8) on 127.0.0.1 for tests.
//!
//! Each [`Registry`] owns a temp dir (filesystem storage, config, htpasswd, token keys), a
//! free loopback port and the child process, which is killed on drop. Three auth modes
//! mirror what real registries do: none, htpasswd Basic, and Bearer tokens from an issuer
//! run by the test (the flow Docker Hub and GHCR use).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::issuer::TokenIssuer;

/// Service name the token issuer and the registry agree on.
pub const SERVICE: &str = "dockerfile-lock-test-registry";
/// Issuer name written into tokens and expected by the registry.
pub const ISSUER: &str = "dockerfile-lock-test-issuer";

/// How the registry authenticates clients.
#[derive(Clone)]
pub enum Auth {
    Anonymous,
    /// htpasswd with a bcrypt entry (`htpasswd -Bbn`).
    Basic {
        user: String,
        pass: String,
    },
    /// `auth: token:`; the issuer grants everything to `user:pass` and nothing to others.
    Token {
        user: String,
        pass: String,
    },
}

impl Auth {
    pub fn basic(user: &str, pass: &str) -> Auth {
        Auth::Basic {
            user: user.into(),
            pass: pass.into(),
        }
    }

    pub fn token(user: &str, pass: &str) -> Auth {
        Auth::Token {
            user: user.into(),
            pass: pass.into(),
        }
    }
}

/// A running registry; the process is killed when this is dropped.
pub struct Registry {
    pub addr: SocketAddr,
    pub auth: Auth,
    /// The token issuer (token mode only).
    pub issuer: Option<TokenIssuer>,
    /// For a TLS registry: the test CA that signed its certificate (PEM), to trust.
    pub tls_cert: Option<std::path::PathBuf>,
    child: Child,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Start a registry and wait until it answers `GET /v2/`.
    pub fn start(auth: Auth) -> Registry {
        Registry::launch(auth, |issuer| issuer, None)
    }

    /// A registry serving HTTPS on this machine's first non-loopback IPv4 address (so
    /// the client does not treat it as insecure), with a self-signed certificate for that
    /// address in [`Registry::tls_cert`]. Clients trust it through `SSL_CERT_FILE`.
    pub fn start_tls(auth: Auth) -> Registry {
        Registry::launch(auth, |issuer| issuer, Some(lan_ip()))
    }

    /// As [`Registry::start`], with the token realm at `realm(issuer address)`: e.g. a
    /// proxy in front of the issuer (the benchmark adds latency there).
    pub fn start_with_realm(auth: Auth, realm: impl FnOnce(SocketAddr) -> SocketAddr) -> Registry {
        Registry::launch(auth, realm, None)
    }

    fn launch(
        auth: Auth,
        realm: impl FnOnce(SocketAddr) -> SocketAddr,
        tls_ip: Option<std::net::IpAddr>,
    ) -> Registry {
        let mut dir = tempfile::tempdir().expect("temp dir");
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let mut issuer = None;
        let auth_yaml = match &auth {
            Auth::Anonymous => String::new(),
            Auth::Basic { user, pass } => {
                let htpasswd = dir.path().join("htpasswd");
                let out = Command::new("htpasswd")
                    .args(["-Bbn", user, pass])
                    .output()
                    .expect("htpasswd (apache2-utils) must be installed");
                assert!(out.status.success(), "htpasswd failed");
                std::fs::write(&htpasswd, &out.stdout).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                    htpasswd.display()
                )
            }
            Auth::Token { user, pass } => {
                let iss = TokenIssuer::start(dir.path(), user, pass);
                let yaml = format!(
                    "auth:\n  token:\n    realm: http://{}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                    realm(iss.addr()),
                    iss.cert_path().display()
                );
                issuer = Some(iss);
                yaml
            }
        };
        // webpki refuses a CA certificate as a server's own, so: a test CA (what clients
        // trust) and a leaf for the address, signed by it.
        let tls_cert = tls_ip.map(|ip| {
            let d = dir.path();
            std::fs::write(
                d.join("leaf.ext"),
                format!("subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\n"),
            )
            .unwrap();
            let script = "set -e
                openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
                    -keyout ca-key.pem -out ca.pem
                openssl req -newkey rsa:2048 -nodes -subj /CN=test-registry \
                    -keyout tls-key.pem -out leaf.csr
                openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
                    -days 2 -extfile leaf.ext -out tls-cert.pem";
            let status = Command::new("sh")
                .args(["-c", script])
                .current_dir(d)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl must be installed");
            assert!(
                status.success(),
                "making the test CA and certificate failed"
            );
            (
                d.join("ca.pem"),
                d.join("tls-cert.pem"),
                d.join("tls-key.pem"),
            )
        });
        // A port free a moment ago may be taken by the time the registry binds it; then
        // the registry exits, and another port is tried.
        let mut failures = String::new();
        for _ in 0..5 {
            let ip = tls_ip.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
            let addr = SocketAddr::new(ip, free_port_on(ip));
            let tls_yaml = match &tls_cert {
                Some((_, cert, key)) => format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    cert.display(),
                    key.display()
                ),
                None => String::new(),
            };
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{tls_yaml}{auth_yaml}",
                storage.display()
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let child = Command::new(registry_binary())
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("docker-registry must be installed (Debian package docker-registry)");
            let mut registry = Registry {
                addr,
                auth: auth.clone(),
                issuer: None,
                tls_cert: tls_cert.as_ref().map(|(ca, _, _)| ca.clone()),
                child,
                dir,
            };
            match registry.wait_ready() {
                Ok(()) => {
                    registry.issuer = issuer;
                    return registry;
                }
                Err(why) => {
                    failures.push_str(&why);
                    let _ = registry.child.kill();
                    let _ = registry.child.wait();
                    // Take the temp dir back for the next attempt.
                    dir = std::mem::replace(&mut registry.dir, tempfile::tempdir().unwrap());
                }
            }
        }
        panic!("docker-registry did not start:\n{failures}");
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `127.0.0.1:PORT/repo:tag`.
    pub fn image(&self, repo: &str, tag: &str) -> String {
        format!("{}/{repo}:{tag}", self.host())
    }

    pub fn base_url(&self) -> String {
        let scheme = if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The `Authorization` header value granting pull and push on `repo` (None if anonymous).
    pub fn authorization(&self, repo: &str) -> Option<String> {
        match &self.auth {
            Auth::Anonymous => None,
            Auth::Basic { user, pass } => Some(basic(user, pass)),
            Auth::Token { user, .. } => {
                let scope = format!("repository:{repo}:pull,push");
                let token = self.issuer.as_ref().unwrap().mint(user, &[scope.as_str()]);
                Some(format!("Bearer {token}"))
            }
        }
    }

    /// The registry's own log (startup errors, token rejections).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Wait until `GET /v2/` answers, and make sure it is this registry that answered
    /// (still running a moment later), not another one that got the port first.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited ({status}):\n{}\n", self.log()));
            }
            // A TLS registry answers a plain-HTTP request with 400: it is up.
            if let Some(200 | 401 | 400) = raw_status(self.addr, "/v2/") {
                std::thread::sleep(Duration::from_millis(50));
                return match self.child.try_wait() {
                    Ok(None) => Ok(()),
                    _ => Err(format!("exited after start:\n{}\n", self.log())),
                };
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("not ready in 20 s:\n{}\n", self.log()))
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Basic base64(user:pass)`.
pub fn basic(user: &str, pass: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    format!("Basic {b64}")
}

/// A port that was free a moment ago on 127.0.0.1, never the same one twice in a process
/// (tests start registries in parallel).
pub fn free_port() -> u16 {
    free_port_on(std::net::Ipv4Addr::LOCALHOST.into())
}

/// As [`free_port`], on `ip`.
pub fn free_port_on(ip: std::net::IpAddr) -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let l = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

fn registry_binary() -> String {
    std::env::var("DOCKER_REGISTRY_BIN").unwrap_or_else(|_| "docker-registry".into())
}

/// The status code of a plain `GET path`, or None while nothing listens.
fn raw_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf[..n]).ok()?;
    head.split(' ').nth(1)?.parse().ok()
}

/// This machine's first non-loopback IPv4 address (`hostname -I`).
pub fn lan_ip() -> std::net::IpAddr {
    let out = Command::new("hostname")
        .arg("-I")
        .output()
        .expect("hostname -I");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|w| w.parse::<std::net::Ipv4Addr>().ok())
        .find(|ip| !ip.is_loopback())
        .expect("a TLS test registry needs a non-loopback IPv4 address on this machine")
        .into()
}
