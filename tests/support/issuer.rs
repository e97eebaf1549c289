//! A token issuer for the token-auth test registry, per distribution's token spec.
//!
//! Answers `GET /token?service=…&scope=…` with an RS256 JWT whose `x5c` header carries a
//! self-signed certificate that is also the registry's `rootcertbundle`, which is how
//! distribution 2.8 verifies tokens. `user:pass` (HTTP Basic) gets every action asked
//! for; a request without credentials gets a token with no access (a private repository);
//! wrong credentials get 401. Runs on a plain thread, so it needs no async runtime.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::registry::{basic, ISSUER, SERVICE};

/// A running token issuer; stops accepting when dropped.
pub struct TokenIssuer {
    addr: SocketAddr,
    cert_path: PathBuf,
    signer: Arc<Signer>,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    max_scopes: Arc<AtomicUsize>,
}

struct Signer {
    key: jsonwebtoken::EncodingKey,
    /// The certificate's DER, base64 (standard alphabet), as `x5c` wants it.
    x5c: String,
}

impl TokenIssuer {
    /// Make a key and self-signed certificate in `dir`, then listen on a loopback port.
    pub fn start(dir: &Path, user: &str, pass: &str) -> TokenIssuer {
        let key_path = dir.join("issuer-key.pem");
        let cert_path = dir.join("issuer-cert.pem");
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=dockerfile-lock-test-issuer", "-keyout"])
            .arg(&key_path)
            .arg("-out")
            .arg(&cert_path)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl must be installed");
        assert!(status.success(), "openssl req failed");
        let key_pem = std::fs::read(&key_path).unwrap();
        let cert_pem = std::fs::read_to_string(&cert_path).unwrap();
        let x5c: String = cert_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let signer = Arc::new(Signer {
            key: jsonwebtoken::EncodingKey::from_rsa_pem(&key_pem).expect("issuer key"),
            x5c,
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let max_scopes = Arc::new(AtomicUsize::new(usize::MAX));
        let expected = basic(user, pass);
        {
            let (signer, requests, stop) = (signer.clone(), requests.clone(), stop.clone());
            let max_scopes = max_scopes.clone();
            let user = user.to_string();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    requests.fetch_add(1, Ordering::SeqCst);
                    let (signer, expected, user) = (signer.clone(), expected.clone(), user.clone());
                    let max = max_scopes.load(Ordering::SeqCst);
                    std::thread::spawn(move || serve(stream, &signer, &expected, &user, max));
                }
            });
        }
        TokenIssuer {
            addr,
            cert_path,
            signer,
            requests,
            stop,
            max_scopes,
        }
    }

    /// Grant at most `n` of the scopes a request asks for (the first ones), as a token
    /// service with a per-token limit would.
    pub fn grant_at_most(&self, n: usize) {
        self.max_scopes.store(n, Ordering::SeqCst);
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// Token requests received so far (one per connection; the issuer closes each).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// A token for `sub` granting each `repository:NAME:ACTIONS` scope.
    pub fn mint(&self, sub: &str, scopes: &[&str]) -> String {
        self.signer.sign(sub, scopes)
    }
}

impl Drop for TokenIssuer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

impl Signer {
    fn sign(&self, sub: &str, scopes: &[&str]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let access: Vec<serde_json::Value> = scopes
            .iter()
            .filter_map(|s| {
                let mut parts = s.splitn(3, ':');
                let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                Some(serde_json::json!({
                    "type": kind, "name": name,
                    "actions": actions.split(',').collect::<Vec<_>>(),
                }))
            })
            .collect();
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": sub, "aud": SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": format!("{now}-{}", fastrand::u64(..)),
            "access": access,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.x5c = Some(vec![self.x5c.clone()]);
        jsonwebtoken::encode(&header, &claims, &self.key).expect("sign token")
    }
}

fn serve(stream: TcpStream, signer: &Signer, expected: &str, user: &str, max_scopes: usize) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("authorization") {
                authorization = Some(v.trim().to_string());
            }
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let scopes: Vec<String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "scope")
        .map(|(_, v)| percent_decode(v))
        .collect();
    let (status, body) = match authorization.as_deref() {
        Some(a) if a == expected => {
            let scopes: Vec<&str> = scopes.iter().take(max_scopes).map(String::as_str).collect();
            let token = signer.sign(user, &scopes);
            (
                "200 OK",
                serde_json::json!({"token": token, "expires_in": 300}),
            )
        }
        None => {
            let token = signer.sign("", &[]);
            (
                "200 OK",
                serde_json::json!({"token": token, "expires_in": 300}),
            )
        }
        Some(_) => (
            "401 Unauthorized",
            serde_json::json!({"details": "incorrect username or password"}),
        ),
    };
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = &stream;
    let _ = stream.write_all(response.as_bytes());
}

/// Decode `%XX` escapes and `+` (form encoding) in a query value.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
