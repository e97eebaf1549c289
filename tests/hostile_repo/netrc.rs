//! `~/.netrc` against a tree that names the hosts: the login goes only to its own
//! `machine`, only over HTTPS or to loopback, only in answer to that host's 401, never
//! across a redirect; and no request carries a `Referer` to the host a redirect names.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use base64::Engine;

use crate::support::registry::lan_ip;
use crate::tree::Tree;

/// One request as a recording server saw it.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.1 server on `ip` that records every request's headers; `answer` gives the
/// status line, extra headers and body. One request per connection.
struct Recorder {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

type Answer = (&'static str, Vec<(String, String)>, Vec<u8>);

impl Recorder {
    fn start(ip: IpAddr, answer: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Recorder {
        let listener = TcpListener::bind(SocketAddr::new(ip, 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, answer) = (seen.clone(), Arc::new(answer));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, answer) = (log.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(&stream);
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.push((k.trim().to_string(), v.trim().to_string()));
                        }
                    }
                    let request = Seen { target, headers };
                    let (status, extra, body) = answer(&request);
                    log.lock().unwrap().push(request);
                    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
                    for (k, v) in extra {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                    let mut out = &stream;
                    let _ = out.write_all(head.as_bytes());
                    let _ = out.write_all(&body);
                });
            }
        });
        Recorder { addr, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn auths(&self) -> Vec<Option<String>> {
        self.seen()
            .iter()
            .map(|s| s.header("authorization").map(str::to_string))
            .collect()
    }
}

fn basic(user: &str, password: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {b64}")
}

/// Serve `body` to requests carrying `Basic user:password`, else ask for it with a 401.
fn behind_basic(user: &str, password: &str, body: &'static [u8]) -> impl Fn(&Seen) -> Answer {
    let want = basic(user, password);
    move |s: &Seen| {
        if s.header("authorization") == Some(want.as_str()) {
            ("200 OK", Vec::new(), body.to_vec())
        } else {
            let challenge = ("WWW-Authenticate".into(), "Basic realm=\"files\"".into());
            (
                "401 Unauthorized",
                vec![challenge],
                b"login required".to_vec(),
            )
        }
    }
}

/// A tree whose Dockerfile fetches `url`, and a netrc with `text` in the private HOME.
fn tree_fetching(url: &str, netrc: &str) -> Tree {
    let tree = Tree::new();
    tree.write("Dockerfile", format!("FROM scratch\nADD {url} /x\n"));
    tree.commit();
    std::fs::write(tree.home().join(".netrc"), netrc).unwrap();
    tree
}

/// `secret` is in no output and in no file but the netrc that holds it.
fn assert_never_shown(tree: &Tree, run: &crate::tree::Run, secret: &str) {
    assert!(!run.output().contains(secret), "{}", run.output());
    let netrc = tree.home().join(".netrc");
    let hits: Vec<_> = tree
        .files_containing(secret)
        .into_iter()
        .filter(|p| *p != netrc)
        .collect();
    assert!(hits.is_empty(), "{secret} written to {hits:?}");
}

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

#[test]
fn the_default_entry_and_other_machines_never_reach_a_host() {
    let server = Recorder::start(LOOPBACK, behind_basic("u", "unused", b"x"));
    let url = format!("http://{}/file", server.addr);
    let tree = tree_fetching(
        &url,
        "default login anon password dflt-secret-1\n\
         machine files.example login u password other-secret-2\n",
    );
    let run = tree.run(&["generate", "-vv"], &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(!server.auths().is_empty(), "the server was asked");
    assert!(
        server.auths().iter().all(Option::is_none),
        "no login but the host's own machine entry: {:?}",
        server.auths()
    );
    assert!(run.stderr.contains("machine"), "{}", run.stderr);
    assert_never_shown(&tree, &run, "dflt-secret-1");
    assert_never_shown(&tree, &run, "other-secret-2");
}

#[test]
fn the_hosts_own_machine_entry_answers_its_401_only() {
    let server = Recorder::start(
        LOOPBACK,
        behind_basic("robot", "right-secret-3", b"private"),
    );
    let url = format!("http://{}/file", server.addr);
    let tree = tree_fetching(
        &url,
        "default login anon password dflt-secret-1\n\
         machine 127.0.0.1 login robot password right-secret-3\n",
    );
    let run = tree.run(&["generate", "-vv"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        server.auths(),
        [None, Some(basic("robot", "right-secret-3"))],
        "first without a login, then with the host's own after its 401"
    );
    assert_never_shown(&tree, &run, "right-secret-3");
    assert_never_shown(&tree, &run, "dflt-secret-1");
}

#[test]
fn a_redirect_to_another_host_carries_neither_login_nor_referer() {
    let other = Recorder::start(LOOPBACK, |_| ("200 OK", Vec::new(), b"moved".to_vec()));
    // `localhost` is another host than `127.0.0.1` to the client, as to curl.
    let elsewhere = format!("http://localhost:{}/file", other.addr.port());
    let login = behind_basic("robot", "right-secret-3", b"");
    let first = Recorder::start(LOOPBACK, move |s| match login(s) {
        ("200 OK", ..) => (
            "302 Found",
            vec![("Location".into(), elsewhere.clone())],
            vec![],
        ),
        refused => refused,
    });
    let url = format!("http://{}/file?token=query-token-4", first.addr);
    let tree = tree_fetching(
        &url,
        "machine 127.0.0.1 login robot password right-secret-3\n",
    );
    let run = tree.run(&["generate", "-vv"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        first.auths(),
        [None, Some(basic("robot", "right-secret-3"))],
        "the login answers the netrc host's 401"
    );
    let seen = other.seen();
    assert!(!seen.is_empty(), "the redirect was followed");
    for s in &seen {
        assert_eq!(s.header("authorization"), None, "{s:?}");
        assert_eq!(s.header("referer"), None, "{s:?}");
        assert!(
            s.headers.iter().all(|(_, v)| !v.contains("query-token-4")),
            "{s:?}"
        );
    }
    assert_never_shown(&tree, &run, "right-secret-3");
}

#[test]
fn a_401_from_the_host_a_redirect_names_is_not_answered() {
    let other = Recorder::start(LOOPBACK, behind_basic("robot", "right-secret-3", b"x"));
    let elsewhere = format!("http://localhost:{}/file", other.addr.port());
    let first = Recorder::start(LOOPBACK, move |_| {
        (
            "302 Found",
            vec![("Location".into(), elsewhere.clone())],
            vec![],
        )
    });
    let url = format!("http://{}/file", first.addr);
    let tree = tree_fetching(
        &url,
        "machine 127.0.0.1 login robot password right-secret-3\n\
         default login robot password right-secret-3\n",
    );
    let run = tree.run(&["generate", "-vv"], &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(first.auths(), [None], "no login before a 401");
    assert!(
        other.auths().iter().all(Option::is_none),
        "another host's 401 gets no login: {:?}",
        other.auths()
    );
    assert_never_shown(&tree, &run, "right-secret-3");
}

#[test]
fn plain_http_to_a_non_loopback_host_never_gets_the_login() {
    let ip = lan_ip();
    let server = Recorder::start(ip, behind_basic("robot", "lan-secret-5", b"x"));
    let url = format!("http://{}/file", server.addr);
    let tree = tree_fetching(
        &url,
        &format!("machine {ip} login robot password lan-secret-5\n"),
    );
    let run = tree.run(&["generate", "-vv"], &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(!server.auths().is_empty(), "the server was asked");
    assert!(
        server.auths().iter().all(Option::is_none),
        "no login over plain HTTP off this machine: {:?}",
        server.auths()
    );
    assert!(run.stderr.contains("HTTPS"), "{}", run.stderr);
    assert_never_shown(&tree, &run, "lan-secret-5");
}
