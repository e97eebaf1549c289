//! Latency benchmark: 50 references on one real `docker-registry`, through a loopback TCP
//! proxy that adds 20 ms round trip (`tests/support/proxy.rs`), anonymous and with token
//! auth (the token realm behind the same kind of proxy).
//!
//! `cargo bench --bench resolve` prints, per setup, the median of cold runs of: the floor
//! (one `curl` process sending the same 50 HEADs on 50 parallel connections), the
//! `dockerfile-lock resolve --jobs 64` process, and the library's `resolve_all` at
//! `--jobs` 64 and 16; then the ratios and the requests each run made (HEADs, `GET /v2/`
//! pings, token requests). Under `cargo test` it runs one small round as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dockerfile_lock::reference::ImageRef;
use dockerfile_lock::registry::{Client, Config, CredentialStore};
use support::images::ImageKind;
use support::proxy::Counts;
use support::registry::{Auth, Registry};

/// Added to each direction: 10 ms there, 10 ms back.
const ONE_WAY: Duration = Duration::from_millis(10);

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json, \
    application/vnd.oci.image.manifest.v1+json";

struct Setup {
    name: &'static str,
    _registry: Registry,
    proxy: SocketAddr,
    refs: Vec<ImageRef>,
    truth: Vec<String>,
    registry_counts: Arc<Counts>,
    issuer_counts: Option<Arc<Counts>>,
    store: CredentialStore,
    config_dir: tempfile::TempDir,
}

/// `repos` repositories × `tags` tags, cycling through the three manifest kinds.
fn setup(name: &'static str, auth: Auth, repos: usize, tags: usize) -> Setup {
    let mut issuer_counts = None;
    let registry = Registry::start_with_realm(auth.clone(), |issuer| {
        let (addr, counts) = support::proxy::start(issuer, ONE_WAY);
        issuer_counts = Some(counts);
        addr
    });
    if !matches!(auth, Auth::Token { .. }) {
        issuer_counts = None;
    }
    let (proxy, registry_counts) = support::proxy::start(registry.addr, ONE_WAY);
    let mut refs = Vec::new();
    let mut truth = Vec::new();
    for r in 0..repos {
        for t in 0..tags {
            let kind = match (r * tags + t) % 3 {
                0 => ImageKind::Schema2,
                1 => ImageKind::OciIndex(support::images::PLATFORMS),
                _ => ImageKind::ManifestList(support::images::PLATFORMS),
            };
            let pushed = registry.push_image(&format!("bench/r{r}"), &format!("t{t}"), kind);
            refs.push(format!("{proxy}/bench/r{r}:t{t}").parse().unwrap());
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
        proxy,
        refs,
        truth,
        registry_counts,
        issuer_counts,
        store,
        config_dir,
    }
}

/// One cold run of the library (new client: new connections, no tokens).
fn library(s: &Setup, rt: &tokio::runtime::Runtime, jobs: usize) -> Duration {
    let config = Config {
        jobs,
        ..Config::default()
    };
    let client = Client::with_credentials(config, s.store.clone()).unwrap();
    let start = Instant::now();
    let results = rt.block_on(client.resolve_all(&s.refs, &[]));
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

/// One run of the `dockerfile-lock resolve --jobs N` process, digests checked.
fn process(s: &Setup, jobs: usize) -> Duration {
    let refs: Vec<String> = s.refs.iter().map(|r| r.to_string()).collect();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"))
        .args(["resolve", "--jobs", &jobs.to_string()])
        .args(&refs)
        .env("DOCKER_CONFIG", s.config_dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        got, s.truth,
        "{}: the CLI prints the pushed digests",
        s.name
    );
    wall
}

/// The floor: one curl process, the same HEADs (same Accept), 50 parallel connections.
fn curl(s: &Setup) -> Option<Duration> {
    let mut cmd = Command::new("curl");
    cmd.args([
        "-s",
        "-I",
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        "50",
    ])
    .args(["-H", &format!("Accept: {ACCEPT}")])
    .args(["-w", "%{http_code} %header{docker-content-digest}\\n"]);
    for r in &s.refs {
        let path = format!(
            "http://{}/v2/{}/manifests/{}",
            s.proxy,
            r.repository(),
            r.tag_or_latest()
        );
        cmd.args(["-o", "/dev/null", &path]);
    }
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().ok()?;
    let wall = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut got: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("200 "))
        .collect();
    let mut want: Vec<&str> = s.truth.iter().map(String::as_str).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "curl got every digest");
    Some(wall)
}

fn curl_startup() -> Duration {
    median(
        (0..5)
            .map(|_| {
                let start = Instant::now();
                let _ = Command::new("curl")
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status();
                start.elapsed()
            })
            .collect(),
    )
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (repos, tags, rounds) = if bench { (10, 5, 15) } else { (2, 3, 1) };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut anonymous_cli = None;
    for setup in [
        setup("anonymous", Auth::Anonymous, repos, tags),
        setup("token auth", Auth::token("bench", "bench-pw"), repos, tags),
    ] {
        let n = setup.refs.len();
        let snapshot = |s: &Setup| {
            (
                s.registry_counts.heads.load(Ordering::SeqCst),
                s.registry_counts.pings.load(Ordering::SeqCst),
                s.issuer_counts
                    .as_ref()
                    .map_or(0, |c| c.connections.load(Ordering::SeqCst)),
                s.registry_counts.connections.load(Ordering::SeqCst),
            )
        };
        // Requests of one library run at --jobs 64.
        let before = snapshot(&setup);
        let _ = library(&setup, &rt, 64);
        let after = snapshot(&setup);
        let (heads, pings, tokens, connections) = (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3,
        );
        let floor = if setup.issuer_counts.is_none() {
            let runs: Option<Vec<Duration>> = (0..rounds).map(|_| curl(&setup)).collect();
            runs.map(median)
        } else {
            None
        };
        let cli64 = median((0..rounds).map(|_| process(&setup, 64)).collect());
        let lib64 = median((0..rounds).map(|_| library(&setup, &rt, 64)).collect());
        let lib16 = median((0..rounds).map(|_| library(&setup, &rt, 16)).collect());
        println!(
            "{n} refs, {}, 20 ms RTT, median of {rounds} cold runs:",
            setup.name
        );
        if let Some(f) = floor {
            println!(
                "  floor: curl, {n} HEADs on {n} parallel connections   {:>6.1} ms",
                ms(f)
            );
            println!(
                "  (of which curl's own start-up, `curl --version`:    {:>6.1} ms)",
                ms(curl_startup())
            );
        }
        println!(
            "  dockerfile-lock resolve --jobs 64 (process)        {:>6.1} ms",
            ms(cli64)
        );
        println!(
            "  resolve_all, jobs 64 (library)                     {:>6.1} ms",
            ms(lib64)
        );
        println!(
            "  resolve_all, jobs 16 (library)                     {:>6.1} ms",
            ms(lib16)
        );
        if let Some(f) = floor {
            println!(
                "  ratio: process / floor {:.2}x, library / floor {:.2}x",
                ms(cli64) / ms(f),
                ms(lib64) / ms(f)
            );
            anonymous_cli = Some(cli64);
        } else if let Some(anon) = anonymous_cli {
            println!(
                "  ratio: token auth / anonymous {:.2}x (process, jobs 64)",
                ms(cli64) / ms(anon)
            );
        }
        let token_line = match &setup.issuer_counts {
            Some(_) => format!("{tokens} token request(s)"),
            None => "no token requests".into(),
        };
        println!(
            "  per run (library, jobs 64): {heads} HEAD, {pings} GET /v2/ ping, {token_line}, \
             {connections} connections to the registry"
        );
        if bench {
            let one = library(&setup, &rt, 1);
            println!(
                "  resolve_all, jobs 1 (library)                      {:>6.1} ms",
                ms(one)
            );
        }
    }
}
