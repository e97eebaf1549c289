//! apt: an image's sources and installed packages, the snapshot URIs that pin them, the
//! index chain (`InRelease` → `Packages`) and the version apt would choose.
//!
//! - [`sources`]: sources.list(5), one-line and deb822;
//! - [`snapshot`]: snapshot services and IDs, and the snapshot an image records;
//! - [`release`]: `InRelease` and the checksums it lists;
//! - [`index`]: `Packages` and dpkg's status file;
//! - [`choose`]: apt's default candidate, `=version` and `/release`.

pub mod choose;
pub mod index;
pub mod release;
pub mod snapshot;
pub mod sources;

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};
use sha2::{Digest as _, Sha256};

pub use choose::{Locked, NoChoice, Pool};
pub use snapshot::{image_snapshot, snapshot_id_now, valid_id, SnapshotServices};
pub use sources::{sources, Source};

use super::fetch::{FetchError, Fetcher};
use super::{debversion, ImageFiles, Request};
use crate::diagnostic::Diagnostic;
use crate::sources::redact::redact;

/// Indexes and Release files fetched at once.
const CONCURRENCY: usize = 4;

/// Why packages could not be locked. Messages show URLs with userinfo masked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A download failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// A source no snapshot service serves.
    #[error("{file}: no snapshot service is known for {uri}")]
    NoSnapshotService { file: String, uri: String },
    /// Not `YYYYMMDDTHHMMSSZ`.
    #[error("{0:?} is not a snapshot ID (YYYYMMDDTHHMMSSZ)")]
    SnapshotId(String),
    /// An `InRelease` that cannot be read.
    #[error("{url}: {message}")]
    Release { url: String, message: String },
    /// An index whose bytes are not the ones its `InRelease` lists.
    #[error("{url}: {message}")]
    Checksum { url: String, message: String },
    /// An index that cannot be decompressed.
    #[error("{url}: {message}")]
    Index { url: String, message: String },
    /// No version can be chosen; `place` is "the snapshot" or "the archive".
    #[error("{}", no_choice(.choice, .place))]
    Choice { choice: NoChoice, place: String },
}

fn no_choice(c: &NoChoice, place: &str) -> String {
    match c {
        NoChoice::Missing { name, arch } => {
            format!("package {name} ({arch}) is not in {place}")
        }
        NoChoice::Version { name, version } => {
            format!("version {version} of {name} is not in {place}")
        }
        NoChoice::Release { name, release } => {
            format!("release {release} has no {name} in {place}")
        }
        NoChoice::Virtual { name, providers } => format!(
            "{name} is a virtual package provided by {}: name one of them",
            providers.join(", ")
        ),
    }
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Diagnostic {
        let help = match &e {
            Error::Fetch(f) if f.status == Some(404) => "the archive has no such file: check the source's URI and suite, and that the snapshot ID is not older than the archive's first snapshot".to_string(),
            Error::Fetch(_) => "check that the archive is reachable; indexes are fetched with a deadline and a size limit".to_string(),
            Error::NoSnapshotService { .. } => "add `Snapshot: no` to the source to leave it unpinned, or configure its snapshot service in `.dockerfile-lock.toml` under `[packages.snapshots]` (host = \"https://…/@PATH@/@SNAPSHOTID@/\")".to_string(),
            Error::SnapshotId(_) => "a snapshot ID is a UTC time such as 20250520T000000Z".to_string(),
            Error::Release { .. } | Error::Index { .. } => "the archive served something that is not an apt index; check the source's URI".to_string(),
            Error::Checksum { .. } => "the index does not match its InRelease: a mirror being updated, or tampering; try again later".to_string(),
            Error::Choice { choice: NoChoice::Version { .. }, .. } => "pin a version the archive has (`apt-cache policy NAME` lists them), or drop the pin".to_string(),
            Error::Choice { choice: NoChoice::Virtual { .. }, .. } => "install one of the providers by name".to_string(),
            Error::Choice { .. } => "check the name, the architecture and the image's apt sources".to_string(),
        };
        Diagnostic::new(e.to_string()).with_help(help)
    }
}

/// The installed version of apt, from dpkg's status file.
pub fn apt_version(files: &ImageFiles) -> Option<String> {
    installed(files).remove("apt")
}

/// Whether apt `version` knows snapshots (`--snapshot`, `Snapshot:`): 2.7 and later.
pub fn supports_snapshot(version: &str) -> bool {
    debversion::compare(version, "2.7~") != std::cmp::Ordering::Less
}

/// Installed packages (`Status: install ok installed` in `/var/lib/dpkg/status`), name →
/// version. A name installed for several architectures keeps the last paragraph's.
pub fn installed(files: &ImageFiles) -> BTreeMap<String, String> {
    let Some(bytes) = files.read("/var/lib/dpkg/status") else {
        return BTreeMap::new();
    };
    index::parse_packages(bytes)
        .into_iter()
        .filter(|p| {
            p.status
                .split_whitespace()
                .eq(["install", "ok", "installed"])
        })
        .map(|p| (p.name, p.version))
        .collect()
}

/// Lock `requests` at snapshot `snapshot`: every source's URI replaced by the URI of its
/// snapshot service (a source with `Snapshot: no` stays as it is; one with
/// `Snapshot: <ID>` uses that ID), each `InRelease` and index fetched once, and apt's
/// default candidate chosen for each request. `installed` is the image's dpkg status.
pub async fn lock(
    fetcher: &Fetcher,
    sources: &[Source],
    services: &SnapshotServices,
    snapshot: &str,
    arch: &str,
    requests: &[Request],
    installed: &BTreeMap<String, String>,
) -> Result<Vec<Locked>, Error> {
    lock_with(
        fetcher,
        sources,
        Some((services, snapshot)),
        arch,
        requests,
        installed,
        None,
    )
    .await
}

/// As [`lock`], against the sources' own URIs as they are now (to tell drift, or that a
/// pinned `name=version` was withdrawn).
pub async fn lock_live(
    fetcher: &Fetcher,
    sources: &[Source],
    arch: &str,
    requests: &[Request],
    installed: &BTreeMap<String, String>,
) -> Result<Vec<Locked>, Error> {
    lock_with(fetcher, sources, None, arch, requests, installed, None).await
}

/// The whole of [`lock`] and [`lock_live`]: `snapshot` is the services and ID, or `None`
/// for the live archive; `target` is apt's `-t` release (priority 990).
pub async fn lock_with(
    fetcher: &Fetcher,
    sources: &[Source],
    snapshot: Option<(&SnapshotServices, &str)>,
    arch: &str,
    requests: &[Request],
    installed: &BTreeMap<String, String>,
    target: Option<&str>,
) -> Result<Vec<Locked>, Error> {
    let place = if snapshot.is_some() {
        "the snapshot"
    } else {
        "the archive"
    };
    let arches = arches_of(arch, requests);
    let pool = fetch_pool(fetcher, sources, snapshot, &arches).await?;
    choose_all(&pool, place, arch, requests, installed, target)
}

/// The architectures whose indexes `requests` need: `arch` and any `name:arch`.
pub fn arches_of<'a>(arch: &'a str, requests: &'a [Request]) -> BTreeSet<&'a str> {
    let mut arches: BTreeSet<&str> = BTreeSet::from([arch]);
    arches.extend(requests.iter().filter_map(|r| r.arch.as_deref()));
    arches
}

/// Every suite's Release and indexes for `sources` (at `snapshot`, or live), each fetched
/// once: what [`choose_all`] chooses from. A run keeps it for every stage on the same base.
pub async fn pool(
    fetcher: &Fetcher,
    sources: &[Source],
    snapshot: Option<(&SnapshotServices, &str)>,
    arches: &BTreeSet<&str>,
) -> Result<Pool, Error> {
    fetch_pool(fetcher, sources, snapshot, arches).await
}

/// apt's choice for each request from `pool`; `place` names it in errors ("the snapshot").
pub fn choose_all(
    pool: &Pool,
    place: &str,
    arch: &str,
    requests: &[Request],
    installed: &BTreeMap<String, String>,
    target: Option<&str>,
) -> Result<Vec<Locked>, Error> {
    requests
        .iter()
        .map(|r| {
            pool.choose(r, arch, installed, target)
                .map_err(|choice| Error::Choice {
                    choice,
                    place: place.to_string(),
                })
        })
        .collect()
}

/// `uri` with one slash before `path`.
fn join(uri: &str, path: &str) -> String {
    format!("{}/{}", uri.trim_end_matches('/'), path)
}

/// The URI each source is fetched from.
async fn base_uris(
    fetcher: &Fetcher,
    sources: &[Source],
    snapshot: Option<(&SnapshotServices, &str)>,
) -> Result<Vec<String>, Error> {
    let Some((services, id)) = snapshot else {
        return Ok(sources.iter().map(|s| s.uri.clone()).collect());
    };
    if !valid_id(id) {
        return Err(Error::SnapshotId(id.to_string()));
    }
    let mut out = Vec::new();
    for s in sources {
        if s.snapshot_disabled() {
            out.push(s.uri.clone());
            continue;
        }
        let id = s.snapshot.as_deref().filter(|v| valid_id(v)).unwrap_or(id);
        let mut uri = services.snapshot_uri(s, None, id);
        if uri.is_none() && services.needs_release() {
            // Origin and Label are only in the source's own Release.
            let r = fetch_release(fetcher, &s.uri, &s.suite).await?;
            uri = services.snapshot_uri(s, Some((&r.origin, &r.label)), id);
        }
        out.push(uri.ok_or_else(|| Error::NoSnapshotService {
            file: s.file.clone(),
            uri: redact(&s.uri),
        })?);
    }
    Ok(out)
}

async fn fetch_release(
    fetcher: &Fetcher,
    base: &str,
    suite: &str,
) -> Result<release::Release, Error> {
    let url = join(base, &format!("{}InRelease", suite_dir(suite)));
    let bytes = fetcher.get(&url).await?;
    release::parse_inrelease(&bytes).map_err(|message| Error::Release {
        url: redact(&url),
        message,
    })
}

/// Where a suite's `InRelease` and indexes are, below the archive's URI: `dists/<suite>/`,
/// or for a flat repository (a suite ending in `/`, no components) the suite's own path.
fn suite_dir(suite: &str) -> String {
    if suite.ends_with('/') {
        let dir = suite.trim_start_matches("./").trim_start_matches('/');
        if dir == "./" || dir == "/" {
            String::new()
        } else {
            dir.to_string()
        }
    } else {
        format!("dists/{suite}/")
    }
}

/// Every suite's Release and indexes, each fetched once.
async fn fetch_pool(
    fetcher: &Fetcher,
    sources: &[Source],
    snapshot: Option<(&SnapshotServices, &str)>,
    arches: &BTreeSet<&str>,
) -> Result<Pool, Error> {
    let bases = base_uris(fetcher, sources, snapshot).await?;
    // (base, suite) → the components wanted from it.
    // (base, suite) → the (component, architecture) indexes wanted from it; a source's
    // `Architectures:` narrows them, `all` aside.
    let mut suites: BTreeMap<(String, String), BTreeSet<(String, String)>> = BTreeMap::new();
    for (s, base) in sources.iter().zip(&bases) {
        let wanted = suites
            .entry((base.trim_end_matches('/').to_string(), s.suite.clone()))
            .or_default();
        let flat = s.suite.ends_with('/') && s.components.is_empty();
        // A flat repository has one index, listed at its top (component "").
        let components = if flat {
            vec![String::new()]
        } else {
            s.components.clone()
        };
        for comp in &components {
            for a in arches.iter().copied() {
                if s.architectures.is_empty() || s.architectures.iter().any(|x| x == a) {
                    wanted.insert((comp.clone(), a.to_string()));
                }
            }
            wanted.insert((comp.clone(), "all".to_string()));
        }
    }
    let releases: Vec<_> = futures::stream::iter(suites.iter().map(|((base, suite), _)| {
        let (base, suite) = (base.clone(), suite.clone());
        async move { fetch_release(fetcher, &base, &suite).await }
    }))
    .buffered(CONCURRENCY)
    .try_collect()
    .await?;

    let mut pool = Pool::default();
    let mut jobs = Vec::new();
    for (((base, suite), wanted), release) in suites.iter().zip(releases) {
        let mut files: Vec<release::IndexFile> = Vec::new();
        for (comp, a) in wanted {
            if let Some(f) = release.packages(comp, a) {
                if !files.contains(&f) {
                    files.push(f);
                }
            }
        }
        let by_hash = release.acquire_by_hash;
        let r = pool.add_release(release, base);
        for f in files {
            jobs.push((r, base.clone(), suite_dir(suite), f, by_hash));
        }
    }
    let indexes: Vec<_> = futures::stream::iter(jobs.into_iter().map(
        |(r, base, dir, f, by_hash)| async move {
            fetch_index(fetcher, &base, &dir, &f, by_hash)
                .await
                .map(|p| (r, p))
        },
    ))
    .buffered(CONCURRENCY)
    .try_collect()
    .await?;
    for (r, packages) in indexes {
        pool.add_packages(r, packages);
    }
    Ok(pool)
}

/// One index: fetched by hash when the Release says so, checked against the size and
/// SHA256 the Release lists, decompressed within budget, parsed.
async fn fetch_index(
    fetcher: &Fetcher,
    base: &str,
    dir: &str,
    file: &release::IndexFile,
    by_hash: bool,
) -> Result<Vec<index::Package>, Error> {
    let path = if by_hash {
        match file.path.rsplit_once('/') {
            Some((parent, _)) => format!("{dir}{parent}/by-hash/SHA256/{}", file.sha256),
            None => format!("{dir}by-hash/SHA256/{}", file.sha256),
        }
    } else {
        format!("{dir}{}", file.path)
    };
    let url = join(base, &path);
    let bytes = fetcher.get(&url).await?;
    let shown = redact(&url);
    if bytes.len() as u64 != file.size {
        return Err(Error::Checksum {
            url: shown,
            message: format!(
                "{} bytes downloaded, but the InRelease lists {} bytes",
                bytes.len(),
                file.size
            ),
        });
    }
    // Hashing, decompressing (~1 s for Debian's 9 MB Packages.xz) and parsing are CPU
    // work: off the async threads, and in parallel for several indexes.
    let file = file.clone();
    tokio::task::spawn_blocking(move || check_and_parse(&bytes, &file, shown))
        .await
        .unwrap_or_else(|e| {
            Err(Error::Index {
                url: String::new(),
                message: format!("the index could not be read: {e}"),
            })
        })
}

/// `bytes` checked against `file`'s size and SHA256, decompressed within budget, the
/// result checked against the uncompressed entry, parsed. `shown` names the URL.
fn check_and_parse(
    bytes: &[u8],
    file: &release::IndexFile,
    shown: String,
) -> Result<Vec<index::Package>, Error> {
    let got = hex::encode(Sha256::digest(bytes));
    if got != file.sha256 {
        return Err(Error::Checksum {
            url: shown,
            message: format!(
                "sha256 {got} does not match the InRelease's {}",
                file.sha256
            ),
        });
    }
    let plain =
        index::decompress(&file.path, bytes, index::MAX_DECOMPRESSED).map_err(|message| {
            Error::Index {
                url: shown.clone(),
                message,
            }
        })?;
    if plain.len() as u64 != file.plain_size
        || hex::encode(Sha256::digest(&plain)) != file.plain_sha256
    {
        return Err(Error::Checksum {
            url: shown,
            message: "decompressed, the index does not match the size and sha256 the InRelease lists for it".into(),
        });
    }
    Ok(index::parse_packages(&plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status() {
        let mut f = ImageFiles::default();
        f.files.insert(
            "/var/lib/dpkg/status".into(),
            b"Package: apt\nStatus: install ok installed\nVersion: 2.6.1\n\n\
              Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n\
              Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\n"
                .to_vec(),
        );
        let i = installed(&f);
        assert_eq!(i.keys().collect::<Vec<_>>(), ["apt", "libc6"]);
        assert_eq!(apt_version(&f).as_deref(), Some("2.6.1"));
        assert!(!supports_snapshot("2.6.1"));
        assert!(supports_snapshot("2.7.0"));
        assert!(supports_snapshot("2.7~rc1"));
        assert!(supports_snapshot("3.0.3"));
        assert_eq!(apt_version(&ImageFiles::default()), None);
    }

    #[test]
    fn flat_repositories_have_no_dists() {
        assert_eq!(suite_dir("bookworm"), "dists/bookworm/");
        assert_eq!(suite_dir("./"), "");
        assert_eq!(suite_dir("/"), "");
        assert_eq!(suite_dir("x86_64/"), "x86_64/");
    }

    #[test]
    fn the_decompressed_index_is_checked_too() {
        let plain = b"Package: a\nVersion: 1\n\n".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &plain).unwrap();
        let gz = gz.finish().unwrap();
        let mut file = release::IndexFile {
            path: "main/binary-amd64/Packages.gz".into(),
            size: gz.len() as u64,
            sha256: hex::encode(Sha256::digest(&gz)),
            plain_size: plain.len() as u64,
            plain_sha256: hex::encode(Sha256::digest(&plain)),
        };
        let got = check_and_parse(&gz, &file, "u".into()).unwrap();
        assert_eq!(got[0].name, "a");
        file.plain_sha256 = hex::encode(Sha256::digest(b"other"));
        let e = check_and_parse(&gz, &file, "u".into()).unwrap_err();
        assert!(matches!(e, Error::Checksum { .. }), "{e}");
    }

    #[test]
    fn errors_become_diagnostics_with_help() {
        let e = Error::NoSnapshotService {
            file: "/etc/apt/sources.list.d/x.list".into(),
            uri: redact("https://u:TOKEN@repo.example/debian"),
        };
        let d = Diagnostic::from(e);
        assert!(!d.message.contains("TOKEN"), "{}", d.message);
        assert!(d.help.unwrap().contains("Snapshot: no"));
        let d = Diagnostic::from(Error::Choice {
            choice: NoChoice::Version {
                name: "hello".into(),
                version: "9".into(),
            },
            place: "the snapshot".into(),
        });
        assert_eq!(d.message, "version 9 of hello is not in the snapshot");
    }
}
