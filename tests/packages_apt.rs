//! apt locking end to end against a real apt archive on 127.0.0.1 (built with dpkg-deb,
//! dpkg-scanpackages, xz and gpg by `support::apt_lab`): snapshots, pins, the index chain
//! and its checksums; dpkg's version order against `dpkg --compare-versions`; and the
//! versions chosen against Debian's own `apt-get`, run in a private root on the same
//! archive.

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use dockerfile_lock::packages::apt::{self, Error, Locked, NoChoice, SnapshotServices, Source};
use dockerfile_lock::packages::fetch::Fetcher;
use dockerfile_lock::packages::{debversion, Constraint, ImageFiles, Request};
use support::apt_lab::{missing_tool, AptLab, DEBIAN_SUITES, T1, T2};

/// Whether the test can run; outside CI a missing tool skips it with a printed reason,
/// in CI it fails.
fn tools(extra: &[&str]) -> bool {
    let missing = missing_tool().or_else(|| {
        extra.iter().copied().find(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
    });
    match missing {
        None => true,
        Some(t) if std::env::var_os("CI").is_some() => {
            panic!("{t} is missing, and CI is set: the apt tests must run in CI")
        }
        Some(t) => {
            eprintln!(
                "skipped: {t} is not installed (apt-get install dpkg-dev apt gnupg xz-utils)"
            );
            false
        }
    }
}

fn fetcher() -> Fetcher {
    Fetcher::new(Duration::from_secs(30), 64 << 20).unwrap()
}

fn req(word: &str) -> Request {
    let (rest, version) = match word.split_once('=') {
        Some((n, v)) => (
            n,
            Some(Constraint {
                op: "=".into(),
                version: v.into(),
            }),
        ),
        None => (word, None),
    };
    let (rest, release) = match rest.split_once('/') {
        Some((n, r)) => (n, Some(r.to_string())),
        None => (rest, None),
    };
    let (name, arch) = match rest.split_once(':') {
        Some((n, a)) => (n, Some(a.to_string())),
        None => (rest, None),
    };
    Request {
        name: name.into(),
        arch,
        version,
        release,
        span: 0..word.len(),
    }
}

/// The image's view of the lab: its `debian.sources` (live URI, snapshot comment).
fn image(lab: &AptLab, id: &str) -> ImageFiles {
    let mut f = ImageFiles::default();
    f.files.insert(
        "/etc/apt/sources.list.d/debian.sources".into(),
        lab.debian_sources(id).into_bytes(),
    );
    f
}

fn services(lab: &AptLab) -> SnapshotServices {
    SnapshotServices::new(&[(lab.host(), lab.snapshot_template())]).unwrap()
}

async fn lock_at(
    lab: &AptLab,
    id: &str,
    words: &[&str],
    installed: &BTreeMap<String, String>,
) -> Result<Vec<Locked>, Error> {
    let sources = apt::sources(&image(lab, T1));
    let requests: Vec<Request> = words.iter().map(|w| req(w)).collect();
    apt::lock(
        &fetcher(),
        &sources,
        &services(lab),
        id,
        "amd64",
        &requests,
        installed,
    )
    .await
}

fn versions(locked: &[Locked]) -> Vec<(String, String)> {
    locked
        .iter()
        .map(|l| (l.name.clone(), l.version.clone()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn each_snapshot_gives_the_versions_it_had() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let files = image(&lab, T1);
    assert_eq!(apt::image_snapshot(&files).as_deref(), Some(T1));
    let none = BTreeMap::new();
    let words = ["hello", "libhello", "hello-doc"];
    let t1 = lock_at(&lab, T1, &words, &none).await.unwrap();
    assert_eq!(
        versions(&t1),
        pairs(&[
            ("hello", "1.0-1"),
            ("libhello", "1.0-1+deb12u1"),
            ("hello-doc", "1.0-1")
        ])
    );
    // The security update comes from the suite that has Packages.xz only.
    assert_eq!(t1[1].suite, "stable-security");
    assert_eq!(t1[0].suite, "stable");
    assert_eq!(t1[2].architecture, "all");
    assert_eq!(t1[0].filename, "pool/main/hello/hello_1.0-1_amd64.deb");
    assert_eq!(t1[0].archive, lab.snapshot_uri(T1).trim_end_matches('/'));
    let deb = lab.file(T1, &t1[0].filename);
    assert_eq!(t1[0].sha256, sha256(&deb));
    assert!(!t1[0].installed);

    let t2 = lock_at(&lab, T2, &words, &none).await.unwrap();
    assert_eq!(t2[0].version, "1.0-2");
    // Any time between resolves to the latest snapshot at or before it.
    let mid = lock_at(&lab, "20260115T120000Z", &["hello"], &none)
        .await
        .unwrap();
    assert_eq!(mid[0].version, "1.0-1");
    let before = lock_at(&lab, "20251231T235959Z", &["hello"], &none)
        .await
        .unwrap_err();
    assert!(
        matches!(&before, Error::Fetch(e) if e.status == Some(404)),
        "{before}"
    );
    assert!(matches!(
        lock_at(&lab, "2026-01-01", &["hello"], &none).await,
        Err(Error::SnapshotId(_))
    ));
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn pins_releases_and_virtual_packages() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let none = BTreeMap::new();
    let got = lock_at(
        &lab,
        T1,
        &[
            "hello=1.0-1",
            "libhello/bookworm",
            "libhello/stable-security",
            "greeting",
            "hello-doc:amd64",
        ],
        &none,
    )
    .await
    .unwrap();
    assert_eq!(
        versions(&got),
        pairs(&[
            ("hello", "1.0-1"),
            ("libhello", "1.0-1"),
            ("libhello", "1.0-1+deb12u1"),
            ("hello", "1.0-1"),
            ("hello-doc", "1.0-1"),
        ])
    );
    assert_eq!(got[3].provides_for.as_deref(), Some("greeting"));
    // The index of a later snapshot no longer lists the old version.
    let e = lock_at(&lab, T2, &["hello=1.0-1"], &none)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "version 1.0-1 of hello is not in the snapshot"
    );
    let e = lock_at(&lab, T1, &["hello/sid"], &none).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Choice {
                choice: NoChoice::Release { .. },
                ..
            }
        ),
        "{e}"
    );
    let e = lock_at(&lab, T1, &["nosuch"], &none).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Choice {
                choice: NoChoice::Missing { .. },
                ..
            }
        ),
        "{e}"
    );
    // hello-doc is `all`: found for any architecture.
    let got = lock_at(&lab, T1, &["hello-doc:arm64"], &none)
        .await
        .unwrap();
    assert_eq!(got[0].architecture, "all");
}

#[tokio::test]
async fn installed_versions_count_as_apt_counts_them() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let installed = BTreeMap::from([
        ("oldpkg".to_string(), "1.0-1".to_string()),
        ("newpkg".to_string(), "3.0-1".to_string()),
        ("hello-doc".to_string(), "1.0-1".to_string()),
    ]);
    let got = lock_at(&lab, T1, &["oldpkg", "newpkg", "hello-doc"], &installed)
        .await
        .unwrap();
    assert_eq!(
        versions(&got),
        pairs(&[
            ("oldpkg", "2.0-1"),
            ("newpkg", "3.0-1"),
            ("hello-doc", "1.0-1")
        ])
    );
    assert_eq!(
        got.iter().map(|l| l.installed).collect::<Vec<_>>(),
        [false, true, true]
    );
    assert!(got[1].filename.is_empty());
}

#[tokio::test]
async fn indexes_come_by_hash_once_each_and_an_expired_release_is_fine() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let none = BTreeMap::new();
    lock_at(&lab, T1, &["hello", "libhello", "hello-doc"], &none)
        .await
        .unwrap();
    let requests = lab.requests();
    let prefix = format!("/archive/debian/{T1}/dists/");
    let mut want: Vec<String> = DEBIAN_SUITES
        .iter()
        .map(|s| format!("{prefix}{s}/InRelease"))
        .collect();
    let indexes = DEBIAN_SUITES
        .iter()
        .map(|s| (*s, "amd64"))
        .chain([("bookworm", "all")]);
    for (suite, arch) in indexes {
        let xz = lab.file(T1, &format!("dists/{suite}/main/binary-{arch}/Packages.xz"));
        want.push(format!(
            "{prefix}{suite}/main/binary-{arch}/by-hash/SHA256/{}",
            sha256(&xz)
        ));
    }
    let mut got = requests.clone();
    got.sort();
    want.sort();
    assert_eq!(
        got, want,
        "each InRelease and index once, by hash, .xz first"
    );
    // The lab's Release files expired long ago (Valid-Until), as every snapshot's has.
    let release = apt::release::parse_inrelease(&lab.file(T1, "dists/bookworm/InRelease")).unwrap();
    assert_eq!(
        release.valid_until.as_deref(),
        Some("Thu, 08 Jan 2026 00:00:00 UTC")
    );
}

#[tokio::test]
async fn a_tampered_index_is_refused() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let xz = lab.file(T1, "dists/bookworm/main/binary-amd64/Packages.xz");
    let path = format!(
        "/archive/debian/{T1}/dists/bookworm/main/binary-amd64/by-hash/SHA256/{}",
        sha256(&xz)
    );
    let mut evil = xz.clone();
    let last = evil.len() - 20;
    evil[last] ^= 1;
    lab.serve_instead(&path, &evil);
    let e = lock_at(&lab, T1, &["hello"], &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Checksum { .. }), "{e}");
    assert!(e.to_string().contains(&path), "{e}");
    // A different size is refused before it is hashed.
    lab.serve_instead(&path, b"short");
    let e = lock_at(&lab, T1, &["hello"], &BTreeMap::new())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("5 bytes downloaded"), "{e}");
}

#[tokio::test]
async fn live_sources_follow_the_archive() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let sources = apt::sources(&image(&lab, T1));
    let none = BTreeMap::new();
    let live = || async {
        apt::lock_live(&fetcher(), &sources, "amd64", &[req("hello")], &none)
            .await
            .unwrap()
    };
    assert_eq!(live().await[0].version, "1.0-1");
    lab.set_live(T2);
    assert_eq!(live().await[0].version, "1.0-2");
    let e = apt::lock_live(
        &fetcher(),
        &sources,
        "amd64",
        &[req("hello=1.0-1")],
        &BTreeMap::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "version 1.0-1 of hello is not in the archive"
    );
}

#[tokio::test]
async fn flat_repositories() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let mut files = ImageFiles::default();
    files.files.insert(
        "/etc/apt/sources.list.d/vendor.list".into(),
        format!(
            "deb [signed-by={}] {}/flat ./\n",
            lab.keyring().display(),
            lab.live_uri()
        )
        .into_bytes(),
    );
    let sources = apt::sources(&files);
    assert_eq!(sources[0].suite, "./");
    let got = apt::lock_live(
        &fetcher(),
        &sources,
        "amd64",
        &[req("extra-tool")],
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    assert_eq!(versions(&got), pairs(&[("extra-tool", "1.0-1")]));
    assert_eq!(got[0].filename, "./extra-tool_1.0-1_amd64.deb");
    assert_eq!(
        lab.requests(),
        ["/debian/flat/InRelease", "/debian/flat/Packages.xz"]
    );
}

#[tokio::test]
async fn a_source_without_a_snapshot_service_is_an_error_with_help() {
    if !tools(&[]) {
        return;
    }
    let lab = AptLab::start();
    let sources = apt::sources(&image(&lab, T1));
    // A third-party archive: neither its host nor its Origin or Label (read from its own
    // InRelease) has a snapshot service.
    let extras = Source {
        suite: "extras".into(),
        ..sources[0].clone()
    };
    let e = apt::lock(
        &fetcher(),
        std::slice::from_ref(&extras),
        &SnapshotServices::default(),
        T1,
        "amd64",
        &[req("extra-tool")],
        &BTreeMap::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, Error::NoSnapshotService { .. }), "{e}");
    let d = dockerfile_lock::diagnostic::Diagnostic::from(e);
    assert!(d.help.unwrap().contains("[packages.snapshots]"));
    // A service keyed by the Origin its InRelease names maps it.
    let by_origin = SnapshotServices::new(&[("origin:Example", lab.snapshot_template())]).unwrap();
    let got = apt::lock(
        &fetcher(),
        std::slice::from_ref(&extras),
        &by_origin,
        T1,
        "amd64",
        &[req("extra-tool")],
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    assert_eq!(versions(&got), pairs(&[("extra-tool", "1.0-1")]));
    assert!(lab
        .requests()
        .contains(&format!("/archive/debian/{T1}/dists/extras/InRelease")));
    // `Snapshot: no` leaves the source live instead.
    let mut unpinned: Vec<Source> = sources.clone();
    for s in &mut unpinned {
        s.snapshot = Some("no".into());
    }
    lab.set_live(T2);
    let got = apt::lock(
        &fetcher(),
        &unpinned,
        &SnapshotServices::default(),
        T1,
        "amd64",
        &[req("hello")],
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    assert_eq!(got[0].version, "1.0-2");
}

/// Random versions from the characters dpkg allows, with the parts that matter most
/// (`~`, `+`, `.`, letters, digits, epochs, revisions) over-represented.
fn random_version(rng: &mut fastrand::Rng) -> String {
    const PARTS: &[&str] = &[
        "0", "1", "2", "9", "10", "01", "a", "b", "z", "A", "~", "~~", "+", ".", "~rc", "+b1",
        "1.0", "1.0a", "1.0~", ".5",
    ];
    let mut upstream = rng.digit(10).to_string();
    for _ in 0..rng.usize(0..4) {
        upstream.push_str(PARTS[rng.usize(..PARTS.len())]);
    }
    let mut v = String::new();
    if rng.u8(0..5) == 0 {
        v.push_str(&format!("{}:", rng.u8(0..3)));
    }
    v.push_str(&upstream);
    if rng.bool() {
        v.push('-');
        v.push(rng.digit(10));
        for _ in 0..rng.usize(0..3) {
            let p = PARTS[rng.usize(..PARTS.len())];
            v.push_str(p);
        }
    }
    v
}

#[test]
fn version_order_is_dpkgs() {
    if !tools(&[]) {
        return;
    }
    let mut rng = fastrand::Rng::with_seed(0x5eed_0fd9);
    let mut input = String::new();
    let mut cases = Vec::new();
    for i in 0..300 {
        let a = random_version(&mut rng);
        // Every fifth pair compares a version with a near copy of itself.
        let b = if i % 5 == 0 {
            format!("{a}{}", ["~", "", "0", "a", ".0"][rng.usize(..5)])
        } else {
            random_version(&mut rng)
        };
        input.push_str(&format!("{a} {b}\n"));
        cases.push((a, b));
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "while read a b; do \
               if dpkg --compare-versions \"$a\" lt \"$b\"; then echo '<'; \
               elif dpkg --compare-versions \"$a\" eq \"$b\"; then echo '='; \
               else echo '>'; fi; \
             done",
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    // dpkg warns about a version it finds malformed: every generated one must be valid,
    // or the oracle's answer means nothing.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let oracle: Vec<&str> = std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(oracle.len(), cases.len());
    let mut wrong = Vec::new();
    for ((a, b), want) in cases.iter().zip(oracle) {
        let got = match debversion::compare(a, b) {
            std::cmp::Ordering::Less => "<",
            std::cmp::Ordering::Equal => "=",
            std::cmp::Ordering::Greater => ">",
        };
        if got != want {
            wrong.push(format!("{a} vs {b}: dpkg {want}, ours {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Debian's `apt-get`, confined to `root`: its own config (so the host's apt.conf.d is not
/// read), status file, sources and lists.
struct PrivateApt {
    root: tempfile::TempDir,
}

impl PrivateApt {
    fn new(lab: &AptLab, id: &str, status: &str) -> PrivateApt {
        let root = tempfile::tempdir().unwrap();
        let d = root.path();
        for sub in [
            "lists/partial",
            "cache/archives/partial",
            "sources.list.d",
            "apt.conf.d",
            "preferences.d",
            "trusted.gpg.d",
            "log",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("status"), status).unwrap();
        let uri = lab.snapshot_uri(id);
        let key = lab.keyring().display();
        let list: String = DEBIAN_SUITES
            .iter()
            .map(|suite| format!("deb [signed-by={key}] {uri} {suite} main\n"))
            .collect();
        std::fs::write(d.join("sources.list"), list).unwrap();
        let p = |s: &str| d.join(s).display().to_string();
        let sandbox = if is_root() {
            "APT::Sandbox::User \"root\";\n"
        } else {
            ""
        };
        let conf = format!(
            "Dir \"{root}/\";\nDir::State \"{root}/\";\nDir::State::Lists \"{lists}\";\n\
             Dir::State::status \"{status}\";\nDir::Cache \"{cache}\";\n\
             Dir::Etc::SourceList \"{sl}\";\nDir::Etc::SourceParts \"{sp}\";\n\
             Dir::Etc::Parts \"{parts}\";\nDir::Etc::Preferences \"{prefs}\";\n\
             Dir::Etc::PreferencesParts \"{pp}\";\nDir::Etc::Trusted \"{tr}\";\n\
             Dir::Etc::TrustedParts \"{tp}\";\nDir::Log \"{log}\";\n\
             Dir::Bin::Methods \"/usr/lib/apt/methods\";\n\
             APT::Architecture \"amd64\";\nAPT::Architectures {{ \"amd64\"; }};\n\
             Acquire::Check-Valid-Until \"false\";\nAcquire::Languages \"none\";\n\
             Acquire::http::Pipeline-Depth \"0\";\nAcquire::http::Proxy \"DIRECT\";\n\
             Debug::NoLocking \"true\";\n{sandbox}",
            root = d.display(),
            lists = p("lists"),
            status = p("status"),
            cache = p("cache"),
            sl = p("sources.list"),
            sp = p("sources.list.d"),
            parts = p("apt.conf.d"),
            prefs = p("preferences"),
            pp = p("preferences.d"),
            tr = p("trusted.gpg"),
            tp = p("trusted.gpg.d"),
            log = p("log"),
        );
        std::fs::write(d.join("apt.conf"), conf).unwrap();
        let apt = PrivateApt { root };
        apt.run("apt-get", &["update"]);
        // apt skips an index silently when its Release entry does not suit it: make
        // sure every index of the lab was taken.
        let lists: Vec<String> = std::fs::read_dir(apt.root.path().join("lists"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        for want in [
            "bookworm_main_binary-amd64_Packages",
            "bookworm_main_binary-all_Packages",
            "bookworm-security_main_binary-amd64_Packages",
            "bookworm-backports_main_binary-amd64_Packages",
            "experimental_main_binary-amd64_Packages",
        ] {
            assert!(
                lists.iter().any(|l| l.ends_with(want)),
                "apt-get update did not fetch {want}: {lists:?}"
            );
        }
        apt
    }

    fn run(&self, tool: &str, args: &[&str]) -> String {
        let out = Command::new(tool)
            .env("APT_CONFIG", self.root.path().join("apt.conf"))
            .env("LC_ALL", "C")
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.contains("W: ") && !err.contains("E: "),
            "{tool} {args:?}: {}\n{text}\n{err}",
            out.status
        );
        text
    }

    /// `Candidate:` of each package, from `apt-cache OPTIONS policy NAMES` (options such
    /// as `-t RELEASE`).
    fn candidates(&self, options: &[&str], names: &[&str]) -> BTreeMap<String, String> {
        let mut args = options.to_vec();
        args.push("policy");
        args.extend(names);
        let text = self.run("apt-cache", &args);
        let mut out = BTreeMap::new();
        let mut current = None;
        for line in text.lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                current = Some(line.trim_end_matches(':').to_string());
            } else if let (Some(name), Some(v)) =
                (&current, line.trim().strip_prefix("Candidate: "))
            {
                out.insert(name.clone(), v.to_string());
            }
        }
        out
    }

    /// What `apt-get -s install WORDS` would install (or keep): name → version.
    fn simulate(&self, words: &[&str]) -> BTreeMap<String, String> {
        let mut args = vec!["-s", "-q", "install"];
        args.extend(words);
        let text = self.run("apt-get", &args);
        let mut out = BTreeMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("Inst ") {
                // Inst NAME [OLD] (VERSION SUITE [ARCH])
                let name = rest.split_whitespace().next().unwrap().to_string();
                let v = rest
                    .split('(')
                    .nth(1)
                    .unwrap()
                    .split_whitespace()
                    .next()
                    .unwrap();
                out.insert(name, v.to_string());
            } else if let Some(name) = line.strip_suffix(" is already the newest version.") {
                out.insert(name.to_string(), String::new());
            } else if line.contains(" is already the newest version (") {
                let name = line.split_whitespace().next().unwrap().to_string();
                let v = line.rsplit('(').next().unwrap().trim_end_matches(").");
                out.insert(name, v.to_string());
            }
        }
        out
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn status_file(installed: &BTreeMap<String, String>) -> String {
    installed
        .iter()
        .map(|(name, version)| {
            format!(
                "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: misc\n\
                 Maintainer: Lab <lab@example.invalid>\nArchitecture: amd64\nVersion: {version}\n\
                 Description: installed in the image\n\n"
            )
        })
        .collect()
}

/// Ours, for `names` with `installed` and `-t target`: name → version.
async fn ours(
    lab: &AptLab,
    names: &[&str],
    installed: &BTreeMap<String, String>,
    target: Option<&str>,
) -> BTreeMap<String, String> {
    let requests: Vec<Request> = names.iter().map(|w| req(w)).collect();
    apt::lock_with(
        &fetcher(),
        &apt::sources(&image(lab, T1)),
        Some((&services(lab), T1)),
        "amd64",
        &requests,
        installed,
        target,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|l| (l.name, l.version))
    .collect()
}

/// A differential case: the installed packages, `-t`, the packages asked about.
type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>, &'a [&'a str]);

fn installed_set(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn apt_get_chooses_the_same_versions() {
    if !tools(&["apt-get", "apt-cache", "gpgv"]) {
        return;
    }
    let lab = AptLab::start();
    let all = [
        "hello",
        "libhello",
        "hello-doc",
        "oldpkg",
        "newpkg",
        "bpotool",
    ];
    // (installed, -t, packages): each compared with `apt-cache [-t …] policy`. The
    // suites give priorities 500 (bookworm, security), 100 (backports: NotAutomatic and
    // ButAutomaticUpgrades) and 1 (experimental: NotAutomatic); the installed version
    // counts 100 and is never downgraded.
    let cases: &[Case] = &[
        (&[("oldpkg", "1.0-1"), ("newpkg", "3.0-1")], None, &all),
        (
            &[("oldpkg", "1.0-1"), ("newpkg", "3.0-1")],
            Some("bookworm"),
            &all,
        ),
        (&[], Some("stable-backports"), &all),
        (&[], Some("experimental"), &all),
        (&[], Some("rc-buggy"), &["libhello"]),
        // Installed between stable and backports: backports' 100 ties with it, and
        // the higher version wins.
        (&[("hello", "1.0-5")], None, &["hello", "libhello"]),
        // Installed from experimental: kept, as stable is older.
        (&[("libhello", "2.0-1")], None, &["libhello", "hello"]),
        (&[("bpotool", "1.0-1")], None, &["bpotool"]),
    ];
    for (pairs, target, names) in cases {
        let installed = installed_set(pairs);
        // apt-get runs on this thread: the lab serves from threads of its own.
        let apt = PrivateApt::new(&lab, T1, &status_file(&installed));
        let options: Vec<&str> = target.iter().flat_map(|t| ["-t", *t]).collect();
        let theirs = apt.candidates(&options, names);
        let mine = ours(&lab, names, &installed, *target).await;
        assert_eq!(
            mine, theirs,
            "installed {pairs:?}, -t {target:?}: ours (left) vs apt-cache policy (right)"
        );
    }

    // The choices that do not come from priorities: `/release`, `=version`, a virtual
    // package's one provider; compared with `apt-get -s install`.
    let installed = installed_set(&[("newpkg", "3.0-1")]);
    let apt = PrivateApt::new(&lab, T1, &status_file(&installed));
    for words in [
        &["libhello/bookworm", "greeting"][..],
        &["hello=1.0-1"],
        &["hello/stable-backports"],
        &["libhello/experimental"],
        &["newpkg"],
    ] {
        let theirs = apt.simulate(words);
        let mine = ours(&lab, words, &installed, None).await;
        for (name, version) in &mine {
            assert_eq!(
                Some(version),
                theirs.get(name),
                "{words:?}: ours {mine:?} vs apt-get -s install {theirs:?}"
            );
        }
    }
}

#[tokio::test]
async fn downloads_are_bounded() {
    use support::http::{Reply, Server};
    let server = Server::start(|req| match req.target.as_str() {
        "/big" => Reply::new(200).body(vec![b'x'; 2048]),
        "/loop" => Reply::new(302).header("Location", "/loop"),
        "/ok" => Reply::new(200).body("fine"),
        _ => Reply::new(404),
    });
    let base = format!("http://{}", server.host());
    let f = Fetcher::new(Duration::from_secs(5), 1024).unwrap();
    assert_eq!(f.get(&format!("{base}/ok")).await.unwrap(), b"fine");
    let e = f.get(&format!("{base}/big")).await.unwrap_err();
    assert!(e.message.contains("1024 byte limit"), "{e}");
    let e = f.get(&format!("{base}/nothing")).await.unwrap_err();
    assert_eq!(e.status, Some(404));
    let e = f.get(&format!("{base}/loop")).await.unwrap_err();
    assert!(e.to_string().contains("redirects"), "{e}");
    let e = f
        .get(&format!("http://user:SECRET@{}/ok", server.host()))
        .await
        .unwrap_err();
    assert!(!e.to_string().contains("SECRET"), "{e}");
    // A server that accepts and never answers: the deadline ends the download.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(1).collect();
        std::thread::sleep(Duration::from_secs(10));
        drop(held);
    });
    let f = Fetcher::new(Duration::from_millis(300), 1024).unwrap();
    let e = f.get(&format!("http://{addr}/x")).await.unwrap_err();
    assert!(e.message.contains("longer than"), "{e}");
}
