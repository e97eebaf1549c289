//! Real servers for the sources ADD fetches, on 127.0.0.1: a small HTTP server whose files
//! a test can change (optionally behind Basic auth, optionally without a Content-Length),
//! and `git daemon --export-all` serving bare repositories a test commits and tags in.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::registry::free_port;

#[derive(Default)]
struct State {
    files: HashMap<String, (Vec<u8>, bool)>,
    /// Path → URL to answer `302 Found` with.
    redirects: HashMap<String, String>,
    /// `Basic …` value every request must carry, when set.
    auth: Option<String>,
    /// The Authorization header of each request, in order.
    seen_auth: Vec<Option<String>>,
}

/// An HTTP/1.1 server on a thread; one request per connection.
pub struct HttpServer {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl HttpServer {
    pub fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        HttpServer { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    pub fn host(&self) -> String {
        "127.0.0.1".into()
    }

    /// Serve `bytes` at `path` from now on.
    pub fn set(&self, path: &str, bytes: &[u8]) {
        let path = format!("/{}", path.trim_start_matches('/'));
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path, (bytes.to_vec(), true));
    }

    /// Serve `bytes` at `path` without a Content-Length (the body ends when the
    /// connection closes), so a size limit must be enforced while streaming.
    pub fn set_unsized(&self, path: &str, bytes: &[u8]) {
        let path = format!("/{}", path.trim_start_matches('/'));
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path, (bytes.to_vec(), false));
    }

    /// Answer `path` with a redirect to `url`.
    pub fn redirect(&self, path: &str, url: &str) {
        let path = format!("/{}", path.trim_start_matches('/'));
        self.state
            .lock()
            .unwrap()
            .redirects
            .insert(path, url.to_string());
    }

    /// Require Basic auth with these credentials.
    pub fn require_basic(&self, user: &str, password: &str) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.state.lock().unwrap().auth = Some(format!("Basic {b64}"));
    }

    pub fn seen_auth(&self) -> Vec<Option<String>> {
        self.state.lock().unwrap().seen_auth.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut auth = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("authorization") {
                auth = Some(v.trim().to_string());
            }
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut location = None;
    let (status, body, sized) = {
        let mut st = state.lock().unwrap();
        st.seen_auth.push(auth.clone());
        if let Some(to) = st.redirects.get(&path) {
            location = Some(to.clone());
            ("302 Found", Vec::new(), true)
        } else if st.auth.is_some() && st.auth != auth {
            ("401 Unauthorized", b"login required".to_vec(), true)
        } else {
            match st.files.get(&path) {
                Some((b, sized)) => ("200 OK", b.clone(), *sized),
                None => ("404 Not Found", b"not found".to_vec(), true),
            }
        }
    };
    let mut out = stream;
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    if status.starts_with("401") {
        head.push_str("WWW-Authenticate: Basic realm=\"files\"\r\n");
    }
    if let Some(to) = location {
        head.push_str(&format!("Location: {to}\r\n"));
    }
    if sized {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body);
    let _ = out.flush();
}

/// `git daemon` serving the bare repositories below a temp directory.
pub struct GitServer {
    pub port: u16,
    base: tempfile::TempDir,
    daemon: Child,
}

/// Run git with a fixed identity and no user or system config.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

impl GitServer {
    pub fn start() -> GitServer {
        let base = tempfile::tempdir().unwrap();
        let port = free_port();
        let daemon = Command::new("git")
            .args([
                "daemon",
                "--export-all",
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.path().display()))
            .arg(base.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        GitServer { port, base, daemon }
    }

    /// A new repository `name.git` with a work tree to commit in; returns the work tree.
    pub fn repo(&self, name: &str) -> Repo {
        let bare = self.base.path().join(format!("{name}.git"));
        std::fs::create_dir_all(&bare).unwrap();
        git(&bare, &["init", "--bare", "-q"]);
        let work = self.base.path().join(format!("{name}.work"));
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q"]);
        Repo {
            work,
            bare,
            url: format!("git://127.0.0.1:{}/{name}.git", self.port),
        }
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A served repository and its work tree.
pub struct Repo {
    pub work: PathBuf,
    pub bare: PathBuf,
    /// `git://127.0.0.1:PORT/name.git`
    pub url: String,
}

impl Repo {
    /// Commit a file change on the current branch; returns the commit.
    pub fn commit(&self, file: &str, text: &str) -> String {
        std::fs::write(self.work.join(file), text).unwrap();
        git(&self.work, &["add", "-A"]);
        git(&self.work, &["commit", "-q", "-m", text]);
        git(&self.work, &["rev-parse", "HEAD"])
    }

    /// Run git in the work tree.
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.work, args)
    }

    /// Push every branch and tag, moving those that moved.
    pub fn push(&self) {
        let bare = self.bare.display().to_string();
        git(&self.work, &["push", "-q", "--force", &bare, "--all"]);
        git(&self.work, &["push", "-q", "--force", &bare, "--tags"]);
    }
}
