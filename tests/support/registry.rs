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
    child: Child,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Start a registry and wait until it answers `GET /v2/`.
    pub fn start(auth: Auth) -> Registry {
        Registry::start_with_realm(auth, |issuer| issuer)
    }

    /// As [`Registry::start`], with the token realm at `realm(issuer address)`: e.g. a
    /// proxy in front of the issuer (the benchmark adds latency there).
    pub fn start_with_realm(auth: Auth, realm: impl FnOnce(SocketAddr) -> SocketAddr) -> Registry {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
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
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{auth_yaml}",
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
            auth,
            issuer,
            child,
            dir,
        };
        registry.wait_ready();
        registry
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
        format!("http://{}", self.addr)
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

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("docker-registry exited ({status}):\n{}", self.log());
            }
            if let Some(status) = raw_status(self.addr, "/v2/") {
                if status == 200 || status == 401 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("docker-registry not ready in 20 s:\n{}", self.log());
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

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
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
