//! Packages, step 3 and `--online`: read each locked base image's files (each manifest
//! once per run, each layer once per cache), then ask the image's own repositories: apt
//! at a snapshot, apk at its live index.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::cli::RegistryArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::lockfile::packages::{LockedPackage, PackagesEntry, PackagesKey, Repository};
use crate::packages::{apk, apt, fetch, layers, ImageFiles, Manager, OsRelease, Request};
use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};
use crate::registry::{self, Client};

/// The largest package index downloaded (compressed); Debian's main `Packages.xz` is about
/// 9 MB.
const INDEX_LIMIT: u64 = 256 << 20;

/// One stage's packages to resolve.
#[derive(Debug, Clone)]
pub struct Ask {
    pub key: PackagesKey,
    /// The lock's reference of the base image entry.
    pub base: String,
    /// The base image at the locked (platform) digest.
    pub image: ImageRef,
    pub platform: Platform,
    pub requests: Vec<Request>,
    pub lines: Vec<usize>,
    /// The snapshot to lock apt at.
    pub snapshot: Snapshot,
}

/// Which snapshot apt is locked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    /// The time of the run.
    Now(String),
    /// The image's own (its `debian.sources` comment).
    Base,
    /// Given.
    Id(String),
}

/// What the image's files say, read once per manifest.
pub struct Image {
    pub files: ImageFiles,
    pub manifest: Digest,
}

/// The registry client, the fetcher and the cache a run shares.
pub struct Session {
    pub client: Client,
    pub fetcher: fetch::Fetcher,
    pub cache: layers::Cache,
    pub services: apt::SnapshotServices,
    pub timeout: Duration,
    runtime: tokio::runtime::Runtime,
    images: HashMap<ImageRef, std::sync::Arc<Image>>,
    /// apt's indexes, by the sources, snapshot and architectures they were read for:
    /// stages on one base read them once per run.
    pools: HashMap<String, std::sync::Arc<apt::Pool>>,
    /// apk's indexes, by URL.
    apk_indexes: HashMap<String, std::sync::Arc<Vec<apk::Package>>>,
}

impl Session {
    pub fn new(
        registry: &RegistryArgs,
        snapshots: &BTreeMap<String, String>,
    ) -> Result<Session, Diagnostic> {
        let pairs: Vec<(&String, &String)> = snapshots.iter().collect();
        let registry = crate::kinds::images::online::with_config_mirrors(registry)?;
        let config = registry::Config::from_args(&registry)?;
        let client = Client::new(config).map_err(Diagnostic::from)?;
        let timeout = Duration::from_secs(registry.timeout);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Diagnostic::new(format!("cannot start the async runtime: {e}")))?;
        Ok(Session {
            client,
            fetcher: fetch::Fetcher::new(timeout, INDEX_LIMIT)
                .map_err(|e| Diagnostic::new(e.to_string()))?,
            cache: layers::Cache::from_env(),
            services: apt::SnapshotServices::new(&pairs).map_err(|e| {
                Diagnostic::new(format!("{}: [snapshots]: {e}", crate::config::FILE_NAME))
            })?,
            timeout,
            runtime,
            images: HashMap::new(),
            pools: HashMap::new(),
            apk_indexes: HashMap::new(),
        })
    }

    /// The image's files, read once per run.
    pub fn image(
        &mut self,
        image: &ImageRef,
        platform: &Platform,
    ) -> Result<std::sync::Arc<Image>, Diagnostic> {
        if let Some(i) = self.images.get(image) {
            return Ok(i.clone());
        }
        let read = self
            .runtime
            .block_on(layers::read_image(
                &self.client,
                image,
                platform,
                &self.cache,
                self.timeout,
            ))
            .map_err(Diagnostic::from)?;
        let i = std::sync::Arc::new(Image {
            files: read.files,
            manifest: read.manifest,
        });
        self.images.insert(image.clone(), i.clone());
        Ok(i)
    }

    /// Lock one stage's packages.
    pub fn lock(&mut self, ask: &Ask) -> Result<PackagesEntry, Diagnostic> {
        let image = self.image(&ask.image, &ask.platform)?;
        let files = &image.files;
        let os = OsRelease::of(files).ok_or_else(|| {
            Diagnostic::new(format!(
                "{} has no /etc/os-release: cannot tell which distribution stage `{}` installs from",
                ask.base, ask.key.stage
            ))
        })?;
        let release = os
            .version_id
            .clone()
            .or(os.codename.clone())
            .unwrap_or_default();
        let mut entry = PackagesEntry {
            lines: ask.lines.clone(),
            base: ask.base.clone(),
            base_digest: image.manifest.clone(),
            platform: ask.platform.to_string(),
            distro: os.id.clone(),
            release,
            snapshot: None,
            apt_version: None,
            repositories: Vec::new(),
            packages: Vec::new(),
        };
        match ask.key.manager {
            Manager::Apt => self.lock_apt(ask, files, &mut entry)?,
            Manager::Apk => self.lock_apk(ask, files, &mut entry)?,
        }
        entry.packages.sort();
        Ok(entry)
    }

    fn lock_apt(
        &mut self,
        ask: &Ask,
        files: &ImageFiles,
        entry: &mut PackagesEntry,
    ) -> Result<(), Diagnostic> {
        let sources = apt::sources(files);
        if sources.is_empty() {
            return Err(Diagnostic::new(format!(
                "{} has no apt sources: stage `{}` cannot install from apt",
                ask.base, ask.key.stage
            )));
        }
        let id = match &ask.snapshot {
            Snapshot::Now(id) | Snapshot::Id(id) => id.clone(),
            Snapshot::Base => apt::image_snapshot(files).ok_or_else(|| {
                Diagnostic::new(format!(
                    "{} records no snapshot in its apt sources: `--snapshot base` cannot be used for stage `{}`",
                    ask.base, ask.key.stage
                ))
                .with_help("use `--snapshot now` or a snapshot ID (YYYYMMDDTHHMMSSZ)")
            })?,
        };
        let arch = dpkg_arch(&ask.platform);
        let installed = apt::installed(files);
        let arches = apt::arches_of(&arch, &ask.requests);
        let key = format!(
            "{id}\n{:?}\n{:?}",
            sources
                .iter()
                .map(|s| (
                    &s.uri,
                    &s.suite,
                    &s.components,
                    &s.architectures,
                    &s.snapshot
                ))
                .collect::<Vec<_>>(),
            arches
        );
        let pool = match self.pools.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = self
                    .runtime
                    .block_on(apt::pool(
                        &self.fetcher,
                        &sources,
                        Some((&self.services, &id)),
                        &arches,
                    ))
                    .map_err(Diagnostic::from)?;
                let p = std::sync::Arc::new(p);
                self.pools.insert(key, p.clone());
                p
            }
        };
        let locked = apt::choose_all(
            &pool,
            "the snapshot",
            &arch,
            &ask.requests,
            &installed,
            None,
        )
        .map_err(Diagnostic::from)?;
        entry.apt_version = apt::apt_version(files);
        entry.repositories = sources
            .iter()
            .map(|s| Repository {
                uri: s.uri.clone(),
                suite: Some(s.suite.clone()),
                components: s.components.clone(),
                snapshot_uri: self.services.snapshot_uri(s, None, &id),
                signed_by: s.signed_by.clone(),
            })
            .collect();
        entry.repositories.sort();
        entry.repositories.dedup();
        entry.snapshot = Some(id);
        entry.packages = locked
            .into_iter()
            .map(|l| LockedPackage {
                name: l.name,
                version: l.version,
                architecture: l.architecture,
                suite: Some(l.suite),
                sha256: (!l.installed).then_some(l.sha256),
                checksum: None,
            })
            .collect();
        Ok(())
    }

    fn lock_apk(
        &mut self,
        ask: &Ask,
        files: &ImageFiles,
        entry: &mut PackagesEntry,
    ) -> Result<(), Diagnostic> {
        let index = self.apk_index(ask, files)?;
        let lists: Vec<&[apk::Package]> = index.iter().map(|(_, p)| p.as_slice()).collect();
        entry.repositories = index
            .iter()
            .map(|(uri, _)| Repository {
                uri: uri.clone(),
                suite: None,
                components: Vec::new(),
                snapshot_uri: None,
                signed_by: None,
            })
            .collect();
        for r in &ask.requests {
            let p = apk::choose_across(&lists, r).map_err(|e| {
                Diagnostic::new(format!("stage `{}`: apk `{}`: {e}", ask.key.stage, r.name))
            })?;
            entry.packages.push(LockedPackage {
                name: r.name.clone(),
                version: p.version.clone(),
                architecture: p.arch.clone(),
                suite: None,
                sha256: None,
                checksum: Some(p.checksum.clone()),
            });
        }
        Ok(())
    }

    /// Whether the live archive of the image's own sources still has `request`'s version:
    /// `None` when it does, else why not.
    pub fn served_live(
        &mut self,
        ask: &Ask,
        request: &Request,
    ) -> Result<Option<String>, Diagnostic> {
        let image = self.image(&ask.image, &ask.platform)?;
        let files = &image.files;
        let sources = apt::sources(files);
        let arch = dpkg_arch(&ask.platform);
        let installed = apt::installed(files);
        let requests = [request.clone()];
        match self.runtime.block_on(apt::lock_live(
            &self.fetcher,
            &sources,
            &arch,
            &requests,
            &installed,
        )) {
            Ok(_) => Ok(None),
            Err(e @ apt::Error::Choice { .. }) => Ok(Some(e.to_string())),
            Err(e) => Err(Diagnostic::from(e)),
        }
    }

    /// Each repository of the image's `/etc/apk/repositories`, with its live index.
    pub fn apk_index(
        &mut self,
        ask: &Ask,
        files: &ImageFiles,
    ) -> Result<Vec<(String, Vec<apk::Package>)>, Diagnostic> {
        let text = files
            .read("/etc/apk/repositories")
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let repos = apk::repositories(&text);
        if repos.is_empty() {
            return Err(Diagnostic::new(format!(
                "{} has no /etc/apk/repositories: stage `{}` cannot install from apk",
                ask.base, ask.key.stage
            )));
        }
        let arch = apk::arch(files).unwrap_or_else(|| apk_arch(&ask.platform));
        let mut out = Vec::new();
        for repo in repos.iter().filter(|r| r.tag.is_none()) {
            let url = format!("{}/{arch}/APKINDEX.tar.gz", repo.url.trim_end_matches('/'));
            let packages = match self.apk_indexes.get(&url) {
                Some(p) => p.clone(),
                None => {
                    let bytes = self
                        .runtime
                        .block_on(self.fetcher.get(&url))
                        .map_err(|e| Diagnostic::new(e.to_string()))?;
                    let p = std::sync::Arc::new(
                        apk::parse_index(&bytes)
                            .map_err(|e| Diagnostic::new(format!("cannot read {url}: {e}")))?,
                    );
                    self.apk_indexes.insert(url, p.clone());
                    p
                }
            };
            out.push((repo.url.clone(), packages.as_ref().clone()));
        }
        Ok(out)
    }
}

/// Debian's name for a platform's architecture.
pub fn dpkg_arch(p: &Platform) -> String {
    match (p.arch(), p.variant()) {
        ("arm", Some("v5")) => "armel".into(),
        ("arm", _) => "armhf".into(),
        ("386", _) => "i386".into(),
        ("ppc64le", _) => "ppc64el".into(),
        ("mips64le", _) => "mips64el".into(),
        (a, _) => a.into(),
    }
}

/// Alpine's name for a platform's architecture.
pub fn apk_arch(p: &Platform) -> String {
    match (p.arch(), p.variant()) {
        ("amd64", _) => "x86_64".into(),
        ("arm64", _) => "aarch64".into(),
        ("arm", Some("v6")) => "armhf".into(),
        ("arm", _) => "armv7".into(),
        ("386", _) => "x86".into(),
        (a, _) => a.into(),
    }
}

/// Lock every ask; all errors are reported together, and none leaves a half answer.
pub fn lock_all(session: &mut Session, asks: &[Ask]) -> Result<Vec<PackagesEntry>, Failure> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for ask in asks {
        match session.lock(ask) {
            Ok(e) => out.push(e),
            Err(d) => errors.push(d),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Failure(errors))
    }
}
