//! A counting TCP proxy on 127.0.0.1, optionally adding latency: each chunk is released
//! `one_way` after it arrived, in each direction (kernel netem is not available here).
//! Counts connections and the request lines in the client → server stream.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Requests seen by a proxy.
#[derive(Default)]
pub struct Counts {
    pub connections: AtomicUsize,
    pub heads: AtomicUsize,
    /// `GET /v2/…` requests, the ping included.
    pub gets: AtomicUsize,
    /// `GET /v2/ ` exactly: the version-check ping.
    pub pings: AtomicUsize,
    /// `GET /token…` requests (a token realm behind the proxy).
    pub tokens: AtomicUsize,
}

/// Start a proxy to `upstream` on its own runtime thread; chunks keep their order and are
/// not rate-limited.
pub fn start(upstream: SocketAddr, one_way: Duration) -> (SocketAddr, Arc<Counts>) {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                c.connections.fetch_add(1, Ordering::SeqCst);
                let c = c.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::spawn(pipe(cr, sw, one_way, Some(c)));
                    tokio::spawn(pipe(sr, cw, one_way, None));
                });
            }
        });
    });
    (addr, counts)
}

/// Copy `from` → `to`, each chunk released `one_way` after it arrived.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    one_way: Duration,
    counts: Option<Arc<Counts>>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Some(c) = &counts {
                        let text = String::from_utf8_lossy(&buf[..n]);
                        let add = |a: &AtomicUsize, pat: &str| {
                            a.fetch_add(text.matches(pat).count(), Ordering::SeqCst);
                        };
                        add(&c.heads, "HEAD /v2/");
                        add(&c.gets, "GET /v2/");
                        add(&c.pings, "GET /v2/ ");
                        add(&c.tokens, "GET /token");
                        add(&c.tokens, "POST /token");
                    }
                    if tx
                        .send((Instant::now() + one_way, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    while let Some((at, chunk)) = rx.recv().await {
        tokio::time::sleep_until(at.into()).await;
        if to.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
