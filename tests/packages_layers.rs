//! Reading an image's files from its layers, against a real `docker-registry`: every
//! compression, whiteouts, indexes, the cache across runs and within one, a blob that does
//! not match its digest, and a large layer read with bounded memory.

mod support;

use std::io::Write;
use std::time::Duration;

use dockerfile_lock::packages::layers::{read_image, Cache, Error, Read};
use dockerfile_lock::packages::OsRelease;
use dockerfile_lock::platform::Platform;
use dockerfile_lock::reference::ImageRef;
use dockerfile_lock::registry::{Client, Config, CredentialStore};
use support::images::sha256;
use support::layers::{self as l, Compress, Format};
use support::registry::{Auth, Registry};

const DEADLINE: Duration = Duration::from_secs(60);

fn client() -> Client {
    Client::with_credentials(Config::default(), CredentialStore::none()).unwrap()
}

fn amd64() -> Platform {
    Platform::new("linux", "amd64", None)
}

async fn read(reference: &str, platform: &Platform, cache: &Cache) -> Result<Read, Error> {
    let image = ImageRef::parse(reference).unwrap();
    read_image(&client(), &image, platform, cache, DEADLINE).await
}

fn paths(read: &Read) -> Vec<&str> {
    read.files.files.keys().map(String::as_str).collect()
}

fn text(read: &Read, path: &str) -> String {
    String::from_utf8_lossy(
        read.files
            .read(path)
            .unwrap_or_else(|| panic!("{path} missing")),
    )
    .into_owned()
}

#[tokio::test]
async fn gzip_zstd_and_plain_layers_apply_whiteouts_in_order() {
    let reg = Registry::start(Auth::Anonymous);
    let base = l::layer(
        &l::debian_base(&[
            l::file("etc/apt/apt.conf.d/old", "Old \"1\";\n"),
            l::file("etc/apt/sources.list.d/extra.list", "deb http://x y z\n"),
            l::file("etc/apt/sources.list", "deb http://legacy bookworm main\n"),
        ]),
        Compress::Gzip,
    );
    // The sources replaced: the old file whited out, a new one beside it.
    let middle = l::layer(
        &[
            l::whiteout("etc/apt/sources.list.d/debian.sources"),
            l::whiteout("etc/apt/sources.list"),
            l::file_at(
                "etc/apt/sources.list.d/snapshot.sources",
                "Types: deb\n",
                1_750_000_000,
            ),
            l::file("usr/share/doc/unwanted", "x"),
        ],
        Compress::Zstd,
    );
    // apt.conf.d made opaque, with one file of its own and a hard link to it.
    let top = l::layer(
        &[
            l::opaque("etc/apt/apt.conf.d"),
            l::file("etc/apt/apt.conf.d/99mine", "Mine \"1\";\n"),
            l::hardlink("etc/apt/preferences", "etc/apt/apt.conf.d/99mine"),
        ],
        Compress::None,
    );
    let img = l::push(
        &reg,
        "deb",
        "1",
        Format::Oci,
        "linux/amd64",
        &[base, middle, top],
    );
    let cache = Cache::disabled();
    let read = read(&img.reference, &amd64(), &cache).await.unwrap();
    assert_eq!(
        paths(&read),
        [
            "/etc/apt/apt.conf.d/99mine",
            "/etc/apt/preferences",
            "/etc/apt/sources.list.d/extra.list",
            "/etc/apt/sources.list.d/snapshot.sources",
            "/usr/lib/os-release",
            "/var/lib/dpkg/status",
        ]
    );
    assert_eq!(read.files.links["/etc/os-release"], "../usr/lib/os-release");
    assert_eq!(
        OsRelease::of(&read.files).unwrap().codename.as_deref(),
        Some("bookworm")
    );
    assert_eq!(text(&read, "/etc/apt/preferences"), "Mine \"1\";\n");
    assert_eq!(
        read.files.mtimes["/etc/apt/sources.list.d/snapshot.sources"],
        1_750_000_000
    );
    assert_eq!(read.manifest.to_string(), img.digest);
    let layers: Vec<String> = read.layers.iter().map(|d| d.to_string()).collect();
    assert_eq!(layers, img.layers);
    assert_eq!(
        (read.os.as_str(), read.architecture.as_str()),
        ("linux", "amd64")
    );
    assert_eq!(read.downloaded, 3);
    assert!(read.skipped.is_empty());
}

#[tokio::test]
async fn docker_media_types_and_the_snapshot_line_survive() {
    let reg = Registry::start(Auth::Anonymous);
    let base = l::layer(&l::debian_base(&[]), Compress::Gzip);
    let img = l::push(
        &reg,
        "deb",
        "docker",
        Format::Docker,
        "linux/amd64",
        &[base],
    );
    let read = read(&img.reference, &amd64(), &Cache::disabled())
        .await
        .unwrap();
    let sources = text(&read, "/etc/apt/sources.list.d/debian.sources");
    assert!(sources.contains(l::SNAPSHOT_LINE), "{sources}");
    assert_eq!(
        read.files.mtimes["/etc/apt/sources.list.d/debian.sources"],
        l::SNAPSHOT_MTIME
    );
    assert!(text(&read, "/var/lib/dpkg/status").contains("Package: apt\n"));
    assert!(!read.files.files.contains_key("/usr/bin/apt"));
}

#[tokio::test]
async fn an_index_is_read_for_the_platform_asked() {
    let reg = Registry::start(Auth::Anonymous);
    let img = l::push_index(
        &reg,
        "multi",
        "1",
        Format::Oci,
        &[
            (
                "linux/amd64",
                vec![l::layer(&l::debian_base(&[]), Compress::Gzip)],
            ),
            (
                "linux/arm64/v8",
                vec![l::layer(&l::alpine_base(&[]), Compress::Zstd)],
            ),
        ],
    );
    let arm = Platform::new("linux", "arm64", None);
    let read = read(&img.reference, &arm, &Cache::disabled())
        .await
        .unwrap();
    assert_eq!(read.manifest.to_string(), img.children["linux/arm64/v8"]);
    assert_eq!(read.architecture, "arm64");
    assert_eq!(read.variant.as_deref(), Some("v8"));
    assert_eq!(OsRelease::of(&read.files).unwrap().id, "alpine");
    assert!(text(&read, "/lib/apk/db/installed").contains("P:musl\n"));
    assert!(text(&read, "/etc/apk/repositories").contains("/v3.21/main"));
    assert!(!read.files.files.contains_key("/etc/alpine-release"));

    let s390x = Platform::new("linux", "s390x", None);
    let err = read_image(
        &client(),
        &ImageRef::parse(&img.reference).unwrap(),
        &s390x,
        &Cache::disabled(),
        DEADLINE,
    )
    .await
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("linux/s390x") && msg.contains("linux/amd64"),
        "{msg}"
    );
    assert!(
        msg.contains("multi@sha256:"),
        "the message names the image: {msg}"
    );
}

/// A second run with the same cache directory fetches no layer: the registry sees one
/// blob GET fewer per layer, and a corrupt cache entry is fetched and written again.
#[tokio::test]
async fn a_second_run_downloads_no_layer() {
    let reg = Registry::start(Auth::Anonymous);
    let layers = vec![
        l::layer(&l::alpine_base(&[]), Compress::Gzip),
        l::layer(
            &[l::file(
                "etc/apk/repositories",
                "https://mirror/v3.21/main\n",
            )],
            Compress::Zstd,
        ),
    ];
    let img = l::push(&reg, "alp", "1", Format::Oci, "linux/amd64", &layers);
    let (proxy, counts) = support::proxy::start(reg.addr, Duration::ZERO);
    let reference = img.via(&proxy.to_string());
    let dir = tempfile::tempdir().unwrap();
    let gets = || counts.gets.load(std::sync::atomic::Ordering::SeqCst);

    let first = read(&reference, &amd64(), &Cache::at(dir.path().into()))
        .await
        .unwrap();
    let first_gets = gets();
    assert_eq!(first.downloaded, 2);
    for digest in &img.layers {
        let hex = digest.strip_prefix("sha256:").unwrap();
        let file = dir.path().join(format!("layers/sha256/{hex}.json"));
        assert!(file.is_file(), "{} not cached", file.display());
    }

    let second = read(&reference, &amd64(), &Cache::at(dir.path().into()))
        .await
        .unwrap();
    let second_gets = gets() - first_gets;
    assert_eq!(second.downloaded, 0);
    assert_eq!(second_gets, first_gets - 2, "one blob GET fewer per layer");
    assert_eq!(second.files, first.files);
    assert_eq!(
        text(&second, "/etc/apk/repositories"),
        "https://mirror/v3.21/main\n"
    );

    let hex = img.layers[1].strip_prefix("sha256:").unwrap();
    std::fs::write(
        dir.path().join(format!("layers/sha256/{hex}.json")),
        b"{\"version\":",
    )
    .unwrap();
    let third = read(&reference, &amd64(), &Cache::at(dir.path().into()))
        .await
        .unwrap();
    assert_eq!(third.downloaded, 1);
    assert_eq!(third.files, first.files);
    let fourth = read(&reference, &amd64(), &Cache::at(dir.path().into()))
        .await
        .unwrap();
    assert_eq!(fourth.downloaded, 0, "the corrupt entry was written again");
}

/// Images of one family share their base layer: one run reads it once, even when the
/// images are read at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_base_layer_is_read_once_per_run() {
    let reg = Registry::start(Auth::Anonymous);
    let base = l::layer(&l::debian_base(&[]), Compress::Gzip);
    let a_top = l::layer(&[l::file("etc/apt/apt.conf.d/a", "A;\n")], Compress::Gzip);
    let b_top = l::layer(&[l::file("etc/apt/apt.conf.d/b", "B;\n")], Compress::Gzip);
    let a = l::push(
        &reg,
        "fam",
        "a",
        Format::Oci,
        "linux/amd64",
        &[base.clone(), a_top],
    );
    let b = l::push(&reg, "fam", "b", Format::Oci, "linux/amd64", &[base, b_top]);
    let (proxy, counts) = support::proxy::start(reg.addr, Duration::ZERO);
    let cache = Cache::disabled();
    let (a_ref, b_ref) = (a.via(&proxy.to_string()), b.via(&proxy.to_string()));
    let platform = amd64();
    let (ra, rb) = tokio::join!(
        read(&a_ref, &platform, &cache),
        read(&b_ref, &platform, &cache),
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(
        ra.downloaded + rb.downloaded,
        3,
        "the base layer once, each top once"
    );
    // Each image: its manifest and config, plus three distinct layers in all.
    assert_eq!(
        counts.gets.load(std::sync::atomic::Ordering::SeqCst),
        2 * 2 + 3
    );
    assert!(ra.files.files.contains_key("/etc/apt/apt.conf.d/a"));
    assert!(!ra.files.files.contains_key("/etc/apt/apt.conf.d/b"));
    assert!(rb.files.files.contains_key("/etc/apt/apt.conf.d/b"));
    assert_eq!(ra.layers[0], rb.layers[0]);
}

/// A blob a manifest names, as [`serve`] describes and serves it.
struct Served {
    media_type: &'static str,
    /// The digest and size the manifest gives.
    digest: String,
    size: usize,
    /// What the server answers for that digest.
    bytes: Vec<u8>,
    urls: Vec<&'static str>,
}

impl Served {
    fn honest(layer: &l::Layer) -> Served {
        Served {
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
            digest: layer.digest(),
            size: layer.bytes.len(),
            bytes: layer.bytes.clone(),
            urls: Vec::new(),
        }
    }
}

/// A registry of the test's own serving one OCI image (repository `t`) over `layers`:
/// for faults a real registry refuses to store. Returns the server and the reference.
fn serve(layers: Vec<Served>) -> (support::http::Server, String) {
    use support::http::Reply;
    let config = br#"{"os":"linux","architecture":"amd64","rootfs":{"type":"layers"}}"#.to_vec();
    let descriptors: Vec<serde_json::Value> = layers
        .iter()
        .map(|s| {
            let mut d = serde_json::json!({
                "mediaType": s.media_type, "digest": s.digest, "size": s.size,
            });
            if !s.urls.is_empty() {
                d["urls"] = s.urls.clone().into();
            }
            d
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(&config), "size": config.len()},
        "layers": descriptors,
    }))
    .unwrap();
    let digest = sha256(&manifest);
    let mut blobs: std::collections::HashMap<String, Vec<u8>> = layers
        .into_iter()
        .map(|s| (format!("/v2/t/blobs/{}", s.digest), s.bytes))
        .collect();
    blobs.insert(format!("/v2/t/blobs/{}", sha256(&config)), config);
    let manifest_path = format!("/v2/t/manifests/{digest}");
    let server = support::http::Server::start(move |req| {
        if req.target == manifest_path {
            return Reply::new(200)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body(manifest.clone());
        }
        match blobs.get(&req.target) {
            Some(b) => Reply::new(200).body(b.clone()),
            None => Reply::new(404),
        }
    });
    let reference = format!("{}/t@{digest}", server.host());
    (server, reference)
}

/// A registry that serves other bytes for a layer than its digest names: refused, and
/// nothing is cached.
#[tokio::test]
async fn a_layer_that_does_not_match_its_digest_is_refused() {
    let honest = l::layer(&l::alpine_base(&[]), Compress::Gzip);
    let evil = l::layer(
        &l::alpine_base(&[l::file("etc/apk/repositories", "https://evil.example/\n")]),
        Compress::Gzip,
    );
    // The size is the served blob's, so that only the digest can tell.
    let (_server, reference) = serve(vec![Served {
        size: evil.bytes.len(),
        bytes: evil.bytes.clone(),
        ..Served::honest(&honest)
    }]);
    let dir = tempfile::tempdir().unwrap();
    let err = read(&reference, &amd64(), &Cache::at(dir.path().into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&honest.digest()) && msg.contains(&evil.digest()),
        "{msg}"
    );
    assert!(!dir.path().join("layers").exists(), "nothing may be cached");
    let d = dockerfile_lock::diagnostic::Diagnostic::from(err);
    assert!(d.help.is_some());

    // A blob longer than the manifest says is cut off, whatever its digest.
    let (_server, reference) = serve(vec![Served {
        size: honest.bytes.len() - 1,
        ..Served::honest(&honest)
    }]);
    let err = read(&reference, &amd64(), &Cache::disabled())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SizeMismatch { .. }), "{err:?}");
}

/// Encrypted layers cannot be read: an error that says so. Non-distributable layers
/// (fetched from their URLs, not the registry) are skipped with a note.
#[tokio::test]
async fn encrypted_layers_are_refused_and_foreign_ones_skipped() {
    let base = l::layer(&l::alpine_base(&[]), Compress::Gzip);
    let (server, reference) = serve(vec![
        Served::honest(&base),
        Served {
            media_type: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            urls: vec!["https://foreign.example/layer"],
            bytes: Vec::new(),
            ..Served::honest(&l::layer(
                &[l::file("etc/os-release", "ID=x\n")],
                Compress::Gzip,
            ))
        },
    ]);
    let read = read(&reference, &amd64(), &Cache::disabled())
        .await
        .unwrap();
    assert_eq!(OsRelease::of(&read.files).unwrap().id, "alpine");
    assert_eq!(read.skipped.len(), 1);
    assert!(
        read.skipped[0].1.contains("non-distributable"),
        "{:?}",
        read.skipped
    );
    assert_eq!(read.layers.len(), 2);
    let blob_gets = server
        .requests()
        .iter()
        .filter(|r| r.target.contains("/blobs/"))
        .count();
    assert_eq!(blob_gets, 2, "the config and the one distributable layer");

    let (_server, reference) = serve(vec![Served {
        media_type: "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
        ..Served::honest(&base)
    }]);
    let err = read_err(&reference).await;
    assert!(matches!(err, Error::MediaType { .. }), "{err:?}");
    let d = dockerfile_lock::diagnostic::Diagnostic::from(err);
    assert!(d.help.unwrap().contains("encrypted"));
}

async fn read_err(reference: &str) -> Error {
    read(reference, &amd64(), &Cache::disabled())
        .await
        .unwrap_err()
}

/// A 200 MB layer of random bytes (one unwanted file, then os-release) is read in a
/// process of its own, whose peak resident memory must stay far below the layer's size.
#[test]
fn a_large_layer_streams_with_bounded_memory() {
    const SIZE: u64 = 200 << 20;
    let reg = Registry::start(Auth::Anonymous);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar.gz");
    {
        let file = std::fs::File::create(&path).unwrap();
        let gz = flate2::write::GzEncoder::new(
            std::io::BufWriter::new(file),
            flate2::Compression::none(),
        );
        let mut tar = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(SIZE);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, "usr/share/big.bin", Random::new(SIZE))
            .unwrap();
        let os = b"ID=big\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(os.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, "etc/os-release", &os[..]).unwrap();
        tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    }
    let layer = l::push_blob_file(
        &reg,
        "big",
        &path,
        "application/vnd.oci.image.layer.v1.tar+gzip",
    );
    assert!(layer.size > SIZE);
    let img = l::push_with(&reg, "big", "1", Format::Oci, "linux/amd64", &[layer]);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "large_layer_child", "--ignored", "--nocapture"])
        .env("LAYERS_TEST_BIG_IMAGE", &img.reference)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak_kb: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kb="))
        .unwrap_or_else(|| panic!("no peak in: {stdout}"))
        .trim()
        .parse()
        .unwrap();
    eprintln!(
        "reading a {} MiB layer: peak RSS {} MiB",
        layer_mib(SIZE),
        peak_kb >> 10
    );
    assert!(peak_kb < 100 << 10, "peak RSS {peak_kb} kB");
}

fn layer_mib(n: u64) -> u64 {
    n >> 20
}

/// Run by [`a_large_layer_streams_with_bounded_memory`] in a process of its own.
#[test]
#[ignore = "run in a child process by a_large_layer_streams_with_bounded_memory"]
fn large_layer_child() {
    let Ok(reference) = std::env::var("LAYERS_TEST_BIG_IMAGE") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let read = rt
        .block_on(read(&reference, &amd64(), &Cache::disabled()))
        .unwrap();
    assert_eq!(read.files.read("/etc/os-release"), Some(&b"ID=big\n"[..]));
    assert_eq!(read.downloaded, 1);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .to_string();
    println!("peak-rss-kb={peak}");
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

impl std::io::Read for Random {
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

/// A registry that redirects a blob GET to storage on another host, as Docker Hub and GHCR
/// do: the blob is read from there, and the registry's credentials are not sent along.
#[tokio::test]
async fn a_blob_redirect_to_another_host_carries_no_credentials() {
    use support::http::{Reply, Server};
    let layer = l::layer(&l::alpine_base(&[]), Compress::Gzip);
    let config = br#"{"os":"linux","architecture":"amd64"}"#.to_vec();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer.digest(), "size": layer.bytes.len()}],
    }))
    .unwrap();
    let bytes = layer.bytes.clone();
    let storage = Server::start(move |_| Reply::new(200).body(bytes.clone()));
    let (md, cd, ld) = (sha256(&manifest), sha256(&config), layer.digest());
    let (m, c, storage_host) = (manifest.clone(), config.clone(), storage.host());
    let registry = Server::start(move |req| {
        if req.header("authorization").is_none() {
            return Reply::new(401).header("WWW-Authenticate", "Basic realm=\"test\"");
        }
        if req.target == format!("/v2/t/manifests/{md}") {
            Reply::new(200)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                .body(m.clone())
        } else if req.target == format!("/v2/t/blobs/{cd}") {
            Reply::new(200).body(c.clone())
        } else if req.target == format!("/v2/t/blobs/{ld}") {
            let to = format!("http://{storage_host}/storage/{ld}?signature=x");
            Reply::new(307).header("Location", &to)
        } else {
            Reply::new(404)
        }
    });
    let auth = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "user:secret");
    let (_config_dir, store) =
        support::mock::store_with(&registry.host(), serde_json::json!({ "auth": auth }));
    let client = Client::with_credentials(Config::default(), store).unwrap();
    let image = ImageRef::parse(&format!("{}/t@{}", registry.host(), sha256(&manifest))).unwrap();
    let read = read_image(&client, &image, &amd64(), &Cache::disabled(), DEADLINE)
        .await
        .unwrap();
    assert_eq!(OsRelease::of(&read.files).unwrap().id, "alpine");
    let at_storage = storage.requests();
    assert_eq!(at_storage.len(), 1, "{at_storage:?}");
    assert_eq!(at_storage[0].header("authorization"), None);
    assert!(registry
        .requests()
        .iter()
        .any(|r| r.header("authorization").is_some()));
}
