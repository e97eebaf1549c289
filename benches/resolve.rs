//! Latency benchmark for `resolve_all`: 50 references through a loopback TCP proxy that
//! adds 20 ms round trip, against a real `docker-registry` (anonymous and token auth).
//!
//! `cargo bench --bench resolve` prints wall times and request counts; under `cargo test`
//! (no `--bench` argument) it runs one small round as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dockerfile_lock::reference::ImageRef;
use dockerfile_lock::registry::{Client, Config, CredentialStore};
use support::images::{ImageKind, PLATFORMS};
use support::registry::{Auth, Registry};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Added to each direction: 10 ms there, 10 ms back.
const ONE_WAY: Duration = Duration::from_millis(10);

/// Requests seen by a proxy, counted from request lines in the client → server stream.
#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    heads: AtomicUsize,
    gets: AtomicUsize,
}

/// A TCP proxy on 127.0.0.1 delaying every chunk by [`ONE_WAY`], in each direction, on
/// its own runtime thread. Chunks keep their order and are not rate-limited.
fn latency_proxy(upstream: SocketAddr) -> (SocketAddr, Arc<Counts>) {
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
                c.connections.fetch_add(1, Ordering::Relaxed);
                let c = c.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::spawn(pipe(cr, sw, Some(c)));
                    tokio::spawn(pipe(sr, cw, None));
                });
            }
        });
    });
    (addr, counts)
}

/// Copy `from` → `to`, each chunk released [`ONE_WAY`] after it arrived.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
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
                        let heads = text.matches("HEAD /v2/").count();
                        c.heads.fetch_add(heads, Ordering::Relaxed);
                        c.gets
                            .fetch_add(text.matches("GET /v2/").count(), Ordering::Relaxed);
                    }
                    if tx
                        .send((Instant::now() + ONE_WAY, buf[..n].to_vec()))
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

struct Setup {
    name: &'static str,
    _registry: Registry,
    refs: Vec<ImageRef>,
    /// The same references straight to the registry: the service time without latency.
    direct: Vec<ImageRef>,
    truth: Vec<String>,
    registry_counts: Arc<Counts>,
    issuer_counts: Option<Arc<Counts>>,
    store: CredentialStore,
    _config_dir: tempfile::TempDir,
}

/// `repos` repositories × `tags` tags, cycling through the three manifest kinds.
fn setup(name: &'static str, auth: Auth, repos: usize, tags: usize) -> Setup {
    let mut issuer_counts = None;
    let registry = Registry::start_with_realm(auth.clone(), |issuer| {
        let (addr, counts) = latency_proxy(issuer);
        issuer_counts = Some(counts);
        addr
    });
    if !matches!(auth, Auth::Token { .. }) {
        issuer_counts = None;
    }
    let (proxy, registry_counts) = latency_proxy(registry.addr);
    let mut refs = Vec::new();
    let mut direct = Vec::new();
    let mut truth = Vec::new();
    for r in 0..repos {
        for t in 0..tags {
            let kind = match (r * tags + t) % 3 {
                0 => ImageKind::Schema2,
                1 => ImageKind::OciIndex(PLATFORMS),
                _ => ImageKind::ManifestList(PLATFORMS),
            };
            let pushed = registry.push_image(&format!("bench/r{r}"), &format!("t{t}"), kind);
            refs.push(format!("{proxy}/bench/r{r}:t{t}").parse().unwrap());
            direct.push(
                format!("{}/bench/r{r}:t{t}", registry.addr)
                    .parse()
                    .unwrap(),
            );
            truth.push(pushed.digest);
        }
    }
    let config_dir = tempfile::tempdir().unwrap();
    if let Auth::Token { user, pass } | Auth::Basic { user, pass } = &auth {
        let config =
            serde_json::json!({"auths": {proxy.to_string(): {"username": user, "password": pass}}});
        std::fs::write(config_dir.path().join("config.json"), config.to_string()).unwrap();
    }
    let store = CredentialStore {
        docker_config: Some(config_dir.path().to_path_buf()),
        auth_file: None,
    };
    Setup {
        name,
        _registry: registry,
        refs,
        direct,
        truth,
        registry_counts,
        issuer_counts,
        store,
        _config_dir: config_dir,
    }
}

/// One cold run (new client: new connections, no tokens); returns the wall time.
fn run(s: &Setup, refs: &[ImageRef], rt: &tokio::runtime::Runtime, jobs: usize) -> Duration {
    let config = Config {
        jobs,
        ..Config::default()
    };
    let client = Client::with_credentials(config, s.store.clone()).unwrap();
    let start = Instant::now();
    let results = rt.block_on(client.resolve_all(refs, &[]));
    let wall = start.elapsed();
    let got: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("resolves").digest.to_string())
        .collect();
    assert_eq!(
        got, s.truth,
        "{}: every digest must be the pushed one",
        s.name
    );
    wall
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (repos, tags, rounds) = if bench { (10, 5, 15) } else { (2, 3, 1) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for setup in [
        setup("anonymous", Auth::Anonymous, repos, tags),
        setup("token auth", Auth::token("bench", "bench-pw"), repos, tags),
    ] {
        let n = setup.refs.len();
        let c = &setup.registry_counts;
        let before = (
            c.heads.load(Ordering::Relaxed),
            c.gets.load(Ordering::Relaxed),
        );
        let tokens_before = setup
            .issuer_counts
            .as_ref()
            .map(|c| c.connections.load(Ordering::Relaxed));
        let mut walls: Vec<Duration> = (0..rounds)
            .map(|_| run(&setup, &setup.refs, &rt, 16))
            .collect();
        walls.sort();
        let per_round = |now: usize, then: usize| (now - then) as f64 / rounds as f64;
        let heads = per_round(c.heads.load(Ordering::Relaxed), before.0);
        let gets = per_round(c.gets.load(Ordering::Relaxed), before.1);
        let tokens = setup.issuer_counts.as_ref().map(|c| {
            per_round(
                c.connections.load(Ordering::Relaxed),
                tokens_before.unwrap(),
            )
        });
        println!(
            "resolve_all {n} refs, {}, 20 ms RTT, jobs 16: min {:.0} ms, median {:.0} ms, max {:.0} ms \
             ({rounds} cold runs); per run {heads:.0} HEAD, {gets:.0} GET (incl. /v2/ ping), {} token fetches",
            setup.name,
            walls[0].as_secs_f64() * 1e3,
            walls[walls.len() / 2].as_secs_f64() * 1e3,
            walls[walls.len() - 1].as_secs_f64() * 1e3,
            tokens.map_or("no".to_string(), |t| format!("{t:.0}")),
        );
        if bench && setup.issuer_counts.is_none() {
            let mut direct: Vec<Duration> = (0..rounds)
                .map(|_| run(&setup, &setup.direct, &rt, 16))
                .collect();
            direct.sort();
            println!(
                "resolve_all {n} refs, {}, no proxy, jobs 16: median {:.0} ms (registry service time)",
                setup.name,
                direct[direct.len() / 2].as_secs_f64() * 1e3
            );
        }
        if bench {
            let one = run(&setup, &setup.refs, &rt, 1);
            println!(
                "resolve_all {n} refs, {}, 20 ms RTT, jobs 1: {:.0} ms",
                setup.name,
                one.as_secs_f64() * 1e3
            );
        }
    }
}
