//! Throughput benchmark of `generate --packages`: reading the locked base images' layers
//! and locking what five stages install, against the floor of downloading the same layers.
//!
//! The world is the one `tests/packages.rs` builds, on 127.0.0.1: a real `docker-registry`
//! with a Debian-like image (a 45 MiB gzip layer of incompressible files nobody wants around
//! the apt files, and a zstd layer pointing apt at the apt lab) and an Alpine-like one
//! (5 MiB, and a layer naming the APKINDEX server); the apt lab archive
//! (`tests/support/apt_lab.rs`); an APKINDEX server. The Dockerfile has five stages over
//! those two bases: three install with apt, two with apk.
//!
//! `cargo bench --bench packages` prints the median of N runs of each, whole process:
//!
//! - cold: `generate --packages --snapshot T1`, no lock, a fresh layer cache;
//! - warm: the same, no lock, the layer cache of a cold run kept;
//! - locked: `generate --packages` and `generate` again with the lock present;
//! - images only: `generate` without `--packages`, no lock (what every run pays anyway);
//! - the floor: one `curl` process downloading every distinct layer blob of the two images
//!   to `/dev/null`, one after another, as `generate` reads them;
//!
//! then cold / floor, and the archive requests (apt lab and APKINDEX) each run made, all
//! and distinct. Last, a Debian-like image with a 500 MiB layer: a cold run's time, CPU
//! time and peak resident memory (`/usr/bin/time`, else `VmHWM` polled in `/proc`) beside
//! two floors: `curl` alone, and `curl | openssl dgst -sha256` (the download with the
//! digest checked, which `generate` also does). Under `cargo test` it runs one small round
//! as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockerfile_lock::lockfile;
use support::apk_lab;
use support::apt_lab::{self, AptLab, T1};
use support::http::{Reply, Server};
use support::layers::{self, Compress, Entry, Format};
use support::registry::{Auth, Registry};

const ALPINE_INDEX: &[(&str, &str, &str)] = &[
    ("curl", "8.12.1-r0", "x86_64"),
    ("curl", "8.11.0-r2", "x86_64"),
    ("ca-certificates", "20241121-r1", "x86_64"),
];

/// Stages × managers the Dockerfile locks.
const ENTRIES: usize = 5;

struct Sizes {
    debian_mib: usize,
    alpine_mib: usize,
    big_mib: u64,
    rounds: usize,
}

/// A layer blob as the floor fetches it.
struct Blob {
    repo: &'static str,
    digest: String,
    size: usize,
}

struct World {
    reg: Registry,
    lab: AptLab,
    apk: Server,
    dir: tempfile::TempDir,
    blobs: Vec<Blob>,
}

/// `n` files of 1 MiB of random bytes below `dir`: what gzip cannot shrink.
fn filler(dir: &str, n: usize) -> Vec<Entry> {
    (0..n)
        .map(|i| {
            let mut body = vec![0u8; 1 << 20];
            fastrand::fill(&mut body);
            layers::file(&format!("{dir}/filler{i:03}.bin"), body)
        })
        .collect()
}

fn apk_server() -> Server {
    let index = apk_lab::index_bytes(ALPINE_INDEX);
    Server::start(move |req| {
        if req.target == "/alpine/v3.21/main/x86_64/APKINDEX.tar.gz" {
            Reply::new(200).body(index.clone())
        } else {
            Reply::new(404)
        }
    })
}

fn setup(sizes: &Sizes) -> World {
    if let Some(tool) = apt_lab::missing_tool() {
        panic!("{tool} is missing: apt-get install dpkg-dev gnupg xz-utils");
    }
    let reg = Registry::start(Auth::Anonymous);
    let lab = AptLab::start();
    let apk = apk_server();
    let host = reg.host();
    let mut blobs = Vec::new();
    let mut record = |repo: &'static str, pushed: &[layers::Layer]| {
        for l in pushed {
            blobs.push(Blob {
                repo,
                digest: l.digest(),
                size: l.bytes.len(),
            });
        }
    };

    // The unwanted bulk on both sides of the apt files, as a real root has it.
    let half = sizes.debian_mib / 2;
    let mut root = filler("bin", half);
    root.extend(layers::debian_base(&filler(
        "usr/share/filler",
        sizes.debian_mib - half,
    )));
    let debian = [
        layers::layer(&root, Compress::Gzip),
        layers::layer(
            &[layers::file(
                "etc/apt/sources.list.d/debian.sources",
                lab.debian_sources(T1),
            )],
            Compress::Zstd,
        ),
    ];
    layers::push(
        &reg,
        "debian",
        "bookworm",
        Format::Oci,
        "linux/amd64",
        &debian,
    );
    record("debian", &debian);

    let alpine = [
        layers::layer(
            &layers::alpine_base(&filler("lib/filler", sizes.alpine_mib)),
            Compress::Gzip,
        ),
        layers::layer(
            &[layers::file(
                "etc/apk/repositories",
                format!("http://{}/alpine/v3.21/main\n", apk.host()),
            )],
            Compress::None,
        ),
    ];
    layers::push(&reg, "alpine", "3.21", Format::Oci, "linux/amd64", &alpine);
    record("alpine", &alpine);

    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join(".dockerfile-lock.toml"),
        format!(
            "[snapshots]\n\"{}\" = \"{}\"\n",
            lab.host(),
            lab.snapshot_template()
        ),
    )
    .unwrap();
    fs::write(dir.path().join("Dockerfile"), dockerfile(&host)).unwrap();
    World {
        reg,
        lab,
        apk,
        dir,
        blobs,
    }
}

fn dockerfile(host: &str) -> String {
    format!(
        "FROM {host}/debian:bookworm AS build\n\
         RUN apt-get update && \\\n    apt-get install -y --no-install-recommends hello hello-doc\n\
         FROM {host}/debian:bookworm AS tools\n\
         RUN apt-get update && apt-get install -y oldpkg newpkg\n\
         FROM {host}/alpine:3.21 AS fetch\n\
         RUN apk add --no-cache curl\n\
         FROM {host}/alpine:3.21 AS certs\n\
         RUN apk add --no-cache ca-certificates\n\
         FROM {host}/debian:bookworm\n\
         RUN apt-get update && apt-get install -y libhello\n\
         COPY --from=build /usr/bin/hello /usr/bin/hello\n\
         COPY --from=tools /usr/bin/newpkg /usr/bin/newpkg\n\
         COPY --from=fetch /usr/bin/curl /usr/bin/curl\n\
         COPY --from=certs /etc/ssl /etc/ssl\n"
    )
}

impl World {
    fn lock_path(&self) -> PathBuf {
        self.dir.path().join("Dockerfile.lock")
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// How many paths the apt lab and the APKINDEX server have been asked for so far.
    fn archive_marks(&self) -> (usize, usize) {
        (self.lab.requests().len(), self.apk.requests().len())
    }

    /// The paths asked for since `marks`: (all, distinct).
    fn archive_since(&self, (lab, apk): (usize, usize)) -> (usize, usize) {
        let mut asked = self.lab.requests().split_off(lab);
        asked.extend(self.apk.requests().into_iter().skip(apk).map(|r| r.target));
        let all = asked.len();
        asked.sort();
        asked.dedup();
        (all, asked.len())
    }

    fn remove_lock(&self) {
        let _ = fs::remove_file(self.lock_path());
    }

    /// The lock must hold every stage's packages.
    fn check_lock(&self) {
        let lock = lockfile::read(&self.lock_path()).unwrap().expect("a lock");
        assert_eq!(lock.packages.len(), ENTRIES, "{lock:#?}");
        assert!(lock.packages.values().all(|e| !e.packages.is_empty()));
    }
}

/// The binary in `dir` with its layer cache in `cache`, the environment's settings away.
fn command(dir: &Path, cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"));
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env("DOCKERFILE_LOCK_CACHE_DIR", cache)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("DOCKERFILE_LOCK_REGISTRY_MIRRORS")
        .env_remove("DOCKERFILE_LOCK_INSECURE_REGISTRIES")
        .stdin(Stdio::null());
    c
}

/// One whole-process run of `dockerfile-lock ARGS`, which must succeed.
fn generate(dir: &Path, cache: &Path, args: &[&str]) -> Duration {
    let mut c = command(dir, cache);
    c.args(args);
    let start = Instant::now();
    let out = c.output().unwrap();
    let wall = start.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    wall
}

/// The floor: one `curl` process, every blob in `blobs` to `/dev/null`, in turn.
fn curl(host: &str, blobs: &[Blob]) -> Option<Duration> {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--fail", "-w", "%{size_download}\\n"]);
    for b in blobs {
        let url = format!("http://{host}/v2/{}/blobs/{}", b.repo, b.digest);
        cmd.args(["-o", "/dev/null", &url]);
    }
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().ok()?;
    let wall = start.elapsed();
    let got: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    let want: Vec<usize> = blobs.iter().map(|b| b.size).collect();
    assert_eq!(got, want, "curl downloads every blob whole");
    Some(wall)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// `n` bytes that do not compress (a 4 MiB random pool, longer than any gzip window,
/// repeated), produced as they are read.
struct Random(u64, Vec<u8>, usize);

impl Random {
    fn new(n: u64) -> Random {
        let mut pool = vec![0u8; 4 << 20];
        fastrand::fill(&mut pool);
        Random(n, pool, 0)
    }
}

impl Read for Random {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Random(left, pool, at) = self;
        let n = buf
            .len()
            .min(usize::try_from(*left).unwrap_or(usize::MAX))
            .min(pool.len() - *at);
        buf[..n].copy_from_slice(&pool[*at..*at + n]);
        *at = (*at + n) % pool.len();
        *left -= n as u64;
        Ok(n)
    }
}

/// A one-layer Debian-like image whose layer is `size` bytes of unwanted data, then the
/// apt files (pointing at the lab), written to disk as it is made and pushed in chunks.
fn push_big(w: &World, size: u64) -> layers::Pushed {
    let sources = w.lab.debian_sources(T1);
    let root: Vec<Entry> = layers::debian_base(&[])
        .into_iter()
        .map(|e| match e {
            Entry::File { path, .. } if path.ends_with("debian.sources") => {
                layers::file(&path, &sources)
            }
            e => e,
        })
        .collect();
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("layer.tar.gz");
    {
        let file = fs::File::create(&path).unwrap();
        // Stored deflate blocks: what gzip makes of data that does not compress anyway.
        let mut gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::none(),
        );
        let mut h = tar::Header::new_gnu();
        h.set_path("usr/share/filler/big.bin").unwrap();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        gz.write_all(h.as_bytes()).unwrap();
        std::io::copy(&mut Random::new(size), &mut gz).unwrap();
        let pad = (512 - size % 512) % 512;
        gz.write_all(&vec![0u8; usize::try_from(pad).unwrap()])
            .unwrap();
        // The apt files after the bulk, and the end of the archive.
        gz.write_all(&layers::tar(&root)).unwrap();
        gz.finish().unwrap().flush().unwrap();
    }
    let layer = layers::push_blob_file(
        &w.reg,
        "big",
        &path,
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    layers::push_with(&w.reg, "big", "1", Format::Oci, "linux/amd64", &[layer])
}

/// What one process cost.
#[derive(Clone, Copy)]
struct Usage {
    wall: Duration,
    /// Peak resident memory, kB.
    peak_kb: u64,
    /// User and system CPU time, when `/usr/bin/time` measured it.
    cpu: Option<Duration>,
}

/// Run `cmd`, which must succeed, under `/usr/bin/time`; without it, `VmHWM` is polled.
fn measured(mut cmd: Command, scratch: &Path) -> Usage {
    let time = Path::new("/usr/bin/time");
    if time.exists() {
        let report = scratch.join("time.out");
        let mut wrapped = Command::new(time);
        wrapped
            .args(["-f", "%M %U %S", "-o"])
            .arg(&report)
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .stdin(Stdio::null());
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        let start = Instant::now();
        let out = wrapped.output().unwrap();
        let wall = start.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = fs::read_to_string(&report).unwrap();
        let fields: Vec<&str> = report.split_whitespace().collect();
        let secs = |i: usize| fields[i].parse::<f64>().unwrap();
        return Usage {
            wall,
            peak_kb: fields[0].parse().unwrap(),
            cpu: Some(Duration::from_secs_f64(secs(1) + secs(2))),
        };
    }
    let start = Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        let hwm = fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or(0);
        peak_kb = peak_kb.max(hwm);
        std::thread::sleep(Duration::from_millis(5));
    }
    Usage {
        wall: start.elapsed(),
        peak_kb,
        cpu: None,
    }
}

/// The median run by wall time.
fn median_usage(mut v: Vec<Usage>) -> Usage {
    v.sort_by_key(|u| u.wall);
    v[v.len() / 2]
}

/// The fastest SHA-256 at hand: OpenSSL's (SHA extensions where the CPU has them), else
/// coreutils'. Both print the hex digest first.
fn hash_tool() -> &'static str {
    let openssl = Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if openssl {
        "openssl dgst -sha256 -r"
    } else {
        "sha256sum"
    }
}

/// Cold runs over the one-layer image and the floors' runs: (generate, curl, curl piped
/// to a SHA-256), each the median by wall time, with the highest peak RSS of generate's.
fn big(w: &World, size: u64, rounds: usize) -> (Usage, Usage, Usage) {
    let pushed = push_big(w, size);
    let project = tempfile::tempdir().unwrap();
    fs::write(
        project.path().join(".dockerfile-lock.toml"),
        fs::read(w.dir.path().join(".dockerfile-lock.toml")).unwrap(),
    )
    .unwrap();
    fs::write(
        project.path().join("Dockerfile"),
        format!(
            "FROM {}/big:1\nRUN apt-get update && apt-get install -y hello\n",
            w.reg.host()
        ),
    )
    .unwrap();
    let cache = project.path().join("cache");
    let runs: Vec<Usage> = (0..rounds)
        .map(|_| {
            let _ = fs::remove_file(project.path().join("Dockerfile.lock"));
            let _ = fs::remove_dir_all(&cache);
            let mut cmd = command(project.path(), &cache);
            cmd.args(["generate", "--packages", "--snapshot", T1]);
            measured(cmd, project.path())
        })
        .collect();
    let lock = lockfile::read(&project.path().join("Dockerfile.lock"))
        .unwrap()
        .expect("a lock");
    assert_eq!(lock.packages.len(), 1);
    let peak_kb = runs.iter().map(|u| u.peak_kb).max().unwrap();
    let url = format!("http://{}/v2/big/blobs/{}", w.reg.host(), pushed.layers[0]);
    let floor = |script: &str| {
        let runs = (0..rounds)
            .map(|_| {
                let mut cmd = Command::new("sh");
                cmd.args(["-c", script, "sh", &url, &pushed.layers[0]]);
                measured(cmd, project.path())
            })
            .collect();
        median_usage(runs)
    };
    let curl = floor(r#"exec curl -s --fail -o /dev/null "$1""#);
    // What generate does besides: every byte hashed and checked against the digest.
    let hashed = floor(&format!(
        r#"set -e; sum=$(curl -s --fail "$1" | {}); test "sha256:${{sum%% *}}" = "$2""#,
        hash_tool()
    ));
    let generate = Usage {
        peak_kb,
        ..median_usage(runs)
    };
    (generate, curl, hashed)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes = if bench {
        Sizes {
            debian_mib: 45,
            alpine_mib: 5,
            big_mib: 500,
            rounds: 5,
        }
    } else {
        Sizes {
            debian_mib: 2,
            alpine_mib: 1,
            big_mib: 8,
            rounds: 1,
        }
    };
    let w = setup(&sizes);
    let dir = w.dir.path();
    let cache = w.cache();
    let host = w.reg.host();
    let n = sizes.rounds;
    let packages = ["generate", "--packages", "--snapshot", T1];

    // Images only: the registry round trips every run makes.
    let images: Vec<Duration> = (0..n)
        .map(|_| {
            w.remove_lock();
            generate(dir, &cache, &["generate"])
        })
        .collect();

    let mut per_run = Vec::new();
    let mut counted = |name: &'static str, run: &mut dyn FnMut() -> Duration| {
        let marks = w.archive_marks();
        let first = run();
        let (all, distinct) = w.archive_since(marks);
        per_run.push((name, all, distinct));
        let mut times = vec![first];
        times.extend((1..n).map(|_| run()));
        median(times)
    };
    let cold = counted("cold", &mut || {
        w.remove_lock();
        let _ = fs::remove_dir_all(&cache);
        let t = generate(dir, &cache, &packages);
        w.check_lock();
        t
    });
    let warm = counted("warm", &mut || {
        w.remove_lock();
        let t = generate(dir, &cache, &packages);
        w.check_lock();
        t
    });
    let text = fs::read(w.lock_path()).unwrap();
    let locked_packages = counted("locked, --packages", &mut || {
        generate(dir, &cache, &["generate", "--packages"])
    });
    let locked = counted("locked", &mut || generate(dir, &cache, &["generate"]));
    assert_eq!(fs::read(w.lock_path()).unwrap(), text, "the lock is kept");
    let floor = (0..n)
        .map(|_| curl(&host, &w.blobs))
        .collect::<Option<Vec<_>>>()
        .map(median);

    let total: usize = w.blobs.iter().map(|b| b.size).sum();
    println!(
        "generate --packages, {ENTRIES} stages over 2 images ({} layers, {:.1} MiB), \
         median of {n} runs, whole process:",
        w.blobs.len(),
        mib(total)
    );
    if let Some(f) = floor {
        println!(
            "  floor: one curl, the {} layer blobs in turn          {:>7.1} ms",
            w.blobs.len(),
            ms(f)
        );
    }
    let row = |label: &str, d: Duration| println!("  {label:<52} {:>7.1} ms", ms(d));
    row("generate (images only, no lock)", median(images));
    row("(a) cold: --packages --snapshot, no lock, no cache", cold);
    row("(b) warm: the same, layer cache kept", warm);
    row("(c) locked: generate --packages", locked_packages);
    row("(c) locked: generate", locked);
    if let Some(f) = floor {
        println!(
            "  ratio: cold / floor {:.2}x, warm / floor {:.2}x",
            ms(cold) / ms(f),
            ms(warm) / ms(f)
        );
    }
    let requests: Vec<String> = per_run
        .iter()
        .map(|(name, all, distinct)| format!("{name} {all} ({distinct} distinct)"))
        .collect();
    println!(
        "  archive requests per run (apt lab + APKINDEX): {}",
        requests.join(", ")
    );

    let rounds = n.min(3);
    let (generate, curl, hashed) = big(&w, sizes.big_mib << 20, rounds);
    let cpu = |u: &Usage| {
        u.cpu
            .map_or(String::new(), |c| format!(" ({:.0} ms CPU)", ms(c)))
    };
    println!(
        "one {} MiB layer (incompressible), cold, median of {rounds}:",
        sizes.big_mib
    );
    println!(
        "  floor: curl, the blob to /dev/null                   {:>7.1} ms{}",
        ms(curl.wall),
        cpu(&curl)
    );
    println!(
        "  floor: curl | {:<39} {:>7.1} ms{}",
        hash_tool(),
        ms(hashed.wall),
        cpu(&hashed)
    );
    println!(
        "  generate --packages --snapshot, no cache             {:>7.1} ms{}",
        ms(generate.wall),
        cpu(&generate)
    );
    println!(
        "  ratio: {:.2}x curl, {:.2}x curl | hash; {:.0} MiB/s (curl {:.0} MiB/s)",
        ms(generate.wall) / ms(curl.wall),
        ms(generate.wall) / ms(hashed.wall),
        sizes.big_mib as f64 / generate.wall.as_secs_f64(),
        sizes.big_mib as f64 / curl.wall.as_secs_f64()
    );
    println!(
        "  peak RSS {:.1} MiB (curl {:.1} MiB)",
        generate.peak_kb as f64 / 1024.0,
        curl.peak_kb as f64 / 1024.0
    );
}
