//! `--timeout` against `ADD` sources that never finish: a body that drips one byte every
//! half second, and a host that accepts connections and never answers. Each run ends
//! with a clear error in about one timeout, however many sources point at the host.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::tree::{Run, Tree};

/// Serves `body` whole while `drip` is false; once it is set, sends the head without a
/// length and then one byte every 0.5 s until the client goes away.
struct Dripper {
    addr: SocketAddr,
    drip: Arc<AtomicBool>,
}

impl Dripper {
    fn start(body: &'static [u8]) -> Dripper {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let drip = Arc::new(AtomicBool::new(false));
        let dripping = drip.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let dripping = dripping.load(Ordering::SeqCst);
                std::thread::spawn(move || answer(stream, body, dripping));
            }
        });
        Dripper { addr, drip }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }
}

fn answer(stream: TcpStream, body: &[u8], drip: bool) {
    let mut reader = BufReader::new(&stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
    }
    let mut out = &stream;
    if !drip {
        let head = format!(
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let _ = out.write_all(head.as_bytes());
        let _ = out.write_all(body);
        return;
    }
    let _ = out.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    while out.write_all(b"x").and_then(|()| out.flush()).is_ok() {
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Accepts every connection and keeps it open without reading or answering.
fn black_hole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let held = Mutex::new(Vec::new());
        for stream in listener.incoming().flatten() {
            held.lock().unwrap().push(stream);
        }
    });
    addr
}

fn tree_fetching(urls: &[String]) -> Tree {
    let tree = Tree::new();
    let mut dockerfile = String::from("FROM scratch\n");
    for (i, u) in urls.iter().enumerate() {
        dockerfile.push_str(&format!("ADD {u} /x{i}\n"));
    }
    tree.write("Dockerfile", dockerfile);
    tree.commit();
    tree
}

/// Exit 2 within `limit`, naming the timeout and the URL.
fn assert_timed_out(run: &Run, url: &str, limit: Duration) {
    eprintln!("{:?} in {:?}", run.code, run.elapsed);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.elapsed < limit, "took {:?}: {run:?}", run.elapsed);
    assert!(run.stderr.contains("--timeout 2"), "{}", run.stderr);
    assert!(run.stderr.contains(url), "{}", run.stderr);
}

#[test]
fn a_dripping_source_fails_at_the_timeout_in_generate() {
    let server = Dripper::start(b"whole");
    server.drip.store(true, Ordering::SeqCst);
    let url = server.url("x");
    let tree = tree_fetching(std::slice::from_ref(&url));
    let run = tree.run(&["generate", "--timeout", "2", "-vv"], &[]);
    assert_timed_out(&run, &url, Duration::from_secs(4));
    assert!(!tree.root().join("Dockerfile.lock").exists(), "no lock");
}

#[test]
fn a_dripping_source_fails_at_the_timeout_in_verify_online() {
    let server = Dripper::start(b"whole");
    let url = server.url("x");
    let tree = tree_fetching(std::slice::from_ref(&url));
    let run = tree.run(&["generate", "--timeout", "2"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    server.drip.store(true, Ordering::SeqCst);
    let run = tree.run(&["verify", "--online", "--timeout", "2", "-vv"], &[]);
    assert_timed_out(&run, &url, Duration::from_secs(4));
}

#[test]
fn twenty_sources_on_a_black_holed_host_cost_about_one_timeout() {
    let addr = black_hole();
    let urls: Vec<String> = (0..20).map(|i| format!("http://{addr}/f{i}")).collect();
    let tree = tree_fetching(&urls);
    let run = tree.run(&["generate", "--timeout", "2", "-vv"], &[]);
    assert_timed_out(&run, &urls[0], Duration::from_secs(4));
    assert!(
        run.stderr
            .contains(&format!("{addr} timed out earlier in this run")),
        "{}",
        run.stderr
    );
    for u in &urls {
        assert!(run.stderr.contains(u.as_str()), "every source fails: {u}");
    }
}
