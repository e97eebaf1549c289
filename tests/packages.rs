//! What `RUN` installs, end to end with real parts on 127.0.0.1: base images with real
//! layers in the `docker-registry`, the apt lab archive at two snapshot times (built with
//! dpkg-deb, dpkg-scanpackages, xz and gpg) and an APKINDEX server. `generate --packages`
//! writes the `packages:` entries from the locked base images' own sources, `rewrite
//! --packages` applies them, `verify` proves the build applies them, `--online` and
//! `update` follow the archive when it moves.

mod lock_support;
mod support;

use std::fs;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dockerfile_lock::lockfile::{self, Lock};
use dockerfile_lock::packages::Manager;
use lock_support::bin;
use support::apk_lab;
use support::apt_lab::{self, AptLab, T1, T2};
use support::http::{Reply, Server};
use support::layers::{self, Compress, Format};
use support::registry::{Auth, Registry};

/// A served Alpine repository whose index a test can change.
struct ApkServer {
    server: Server,
    index: Arc<Mutex<Vec<u8>>>,
}

impl ApkServer {
    fn start(packages: &[(&str, &str, &str)]) -> ApkServer {
        let index = Arc::new(Mutex::new(apk_lab::index_bytes(packages)));
        let shared = index.clone();
        let server = Server::start(move |req| {
            if req.target == "/alpine/v3.21/main/x86_64/APKINDEX.tar.gz" {
                Reply::new(200).body(shared.lock().unwrap().clone())
            } else {
                Reply::new(404)
            }
        });
        ApkServer { server, index }
    }

    fn repository(&self) -> String {
        format!("http://{}/alpine/v3.21/main", self.server.host())
    }

    fn set(&self, packages: &[(&str, &str, &str)]) {
        *self.index.lock().unwrap() = apk_lab::index_bytes(packages);
    }
}

/// The registry, the archives, and a project directory whose config maps the lab's
/// archive to its snapshot service.
struct World {
    reg: Registry,
    lab: AptLab,
    apk: ApkServer,
    dir: tempfile::TempDir,
    /// `HOST:PORT` the images are named through (a counting proxy).
    host: String,
    counts: Arc<support::proxy::Counts>,
    /// Layers pushed, in all.
    layers: usize,
}

const ALPINE_T1: &[(&str, &str, &str)] = &[
    ("curl", "8.12.1-r0", "x86_64"),
    ("curl", "8.11.0-r2", "x86_64"),
    ("ca-certificates", "20241121-r1", "x86_64"),
];

impl World {
    fn new() -> World {
        if std::env::var_os("CI").is_none() {
            if let Some(tool) = apt_lab::missing_tool() {
                panic!(
                    "{tool} is missing: run .ci/run, or apt-get install dpkg-dev gnupg xz-utils"
                );
            }
        }
        let reg = Registry::start(Auth::Anonymous);
        let lab = AptLab::start();
        let apk = ApkServer::start(ALPINE_T1);
        let (proxy, counts) = support::proxy::start(reg.addr, Duration::ZERO);
        let host = proxy.to_string();
        let sources = lab.debian_sources(T1);
        // apt 2.6 (bookworm): the base layer's sources are replaced by the lab's in a
        // second layer, and an old list is whited out.
        let base = layers::layer(
            &layers::debian_base(&[layers::file(
                "etc/apt/sources.list.d/old.list",
                "deb http://deb.debian.org/debian bookworm main\n",
            )]),
            Compress::Gzip,
        );
        let lab_layer = layers::layer(
            &[
                layers::file("etc/apt/sources.list.d/debian.sources", &sources),
                layers::whiteout("etc/apt/sources.list.d/old.list"),
            ],
            Compress::Zstd,
        );
        layers::push(
            &reg,
            "debian",
            "bookworm",
            Format::Oci,
            "linux/amd64",
            &[base.clone(), lab_layer.clone()],
        );
        // apt 3 (trixie-like): the same, with apt 3.0.3 in the dpkg status.
        let apt3 = layers::layer(
            &[layers::file(
                "var/lib/dpkg/status",
                "Package: apt\nStatus: install ok installed\nPriority: required\n\
                 Architecture: amd64\nVersion: 3.0.3\n\n",
            )],
            Compress::Gzip,
        );
        layers::push(
            &reg,
            "debian",
            "trixie",
            Format::Docker,
            "linux/amd64",
            &[base, lab_layer, apt3],
        );
        let alpine = layers::layer(&layers::alpine_base(&[]), Compress::Gzip);
        let repos = layers::layer(
            &[layers::file(
                "etc/apk/repositories",
                format!("{}\n", apk.repository()),
            )],
            Compress::None,
        );
        layers::push(
            &reg,
            "alpine",
            "3.21",
            Format::Oci,
            "linux/amd64",
            &[alpine, repos],
        );
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
        World {
            reg,
            lab,
            apk,
            dir,
            host,
            counts,
            layers: 6,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, dockerfile: &str) {
        fs::write(self.path().join("Dockerfile"), dockerfile).unwrap();
    }

    fn dockerfile(&self) -> String {
        fs::read_to_string(self.path().join("Dockerfile")).unwrap()
    }

    fn lock_text(&self) -> String {
        fs::read_to_string(self.path().join("Dockerfile.lock")).unwrap()
    }

    fn lock(&self) -> Lock {
        lockfile::read(&self.path().join("Dockerfile.lock"))
            .unwrap()
            .unwrap()
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = bin(self.path());
        c.env("HOME", self.path())
            .env("DOCKERFILE_LOCK_CACHE_DIR", self.path().join(".cache"))
            .env_remove("XDG_CACHE_HOME");
        c
    }

    fn gets(&self) -> usize {
        self.counts.gets.load(Ordering::SeqCst)
    }
}

/// `(stdout, stderr, exit code)`.
fn run(c: &mut assert_cmd::Command) -> (String, String, i32) {
    let out = c.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn two_stage(host: &str, debian: &str) -> String {
    format!(
        "FROM {host}/debian:{debian} AS build\n\
         RUN apt-get update && \\\n    apt-get install -y --no-install-recommends hello hello-doc\n\
         FROM {host}/alpine:3.21\n\
         RUN apk add --no-cache curl\n\
         COPY --from=build /usr/bin/hello /usr/bin/hello\n"
    )
}

fn package<'a>(lock: &'a Lock, stage: &str, manager: Manager, name: &str) -> &'a str {
    let key = lockfile::packages::PackagesKey {
        dockerfile: None,
        stage: stage.into(),
        manager,
    };
    let entry = lock
        .packages
        .get(&key)
        .unwrap_or_else(|| panic!("no {manager:?} entry for stage {stage}: {lock:#?}"));
    &entry
        .packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not locked: {entry:#?}"))
        .version
}

#[test]
fn generate_locks_apt_by_snapshot_and_apk_by_version_from_the_base_images() {
    let w = World::new();
    w.write(&two_stage(&w.host, "bookworm"));
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    let lock = w.lock();
    assert_eq!(package(&lock, "build", Manager::Apt, "hello"), "1.0-1");
    assert_eq!(package(&lock, "build", Manager::Apt, "hello-doc"), "1.0-1");
    assert_eq!(package(&lock, "1", Manager::Apk, "curl"), "8.12.1-r0");
    let text = w.lock_text();
    assert!(text.contains(&format!("snapshot: {T1}")), "{text}");
    assert!(text.contains("distro: debian"), "{text}");
    assert!(text.contains("distro: alpine"), "{text}");
    assert!(text.contains("apt-version: \"2.6.1\""), "{text}");
    assert!(
        text.contains(&format!("snapshot-uri: {}", w.lab.snapshot_uri(T1))),
        "{text}"
    );
    // The lab's sha256 of the .deb, from the index the snapshot serves.
    let index = w.lab.file(T1, "dists/bookworm/main/binary-amd64/Packages");
    let index = String::from_utf8(index).unwrap();
    let hello = index
        .split("\n\n")
        .find(|p| p.starts_with("Package: hello\n"))
        .unwrap();
    let sha = hello
        .lines()
        .find_map(|l| l.strip_prefix("SHA256: "))
        .unwrap();
    assert!(text.contains(sha), "{text}");
    // The base image entry it was read from is the locked one.
    let entry = lock.packages.values().next().unwrap();
    assert!(lock
        .images
        .values()
        .any(|i| i.digest == entry.base_digest
            || i.platforms.values().any(|d| *d == entry.base_digest)));

    // A second run: byte-identical, and nothing asked of the archive or the layers.
    let requests = w.lab.requests().len();
    let gets = w.gets();
    let (out, err, code) = run(w.cmd().args(["generate"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.lock_text(), text);
    assert_eq!(
        w.lab.requests().len(),
        requests,
        "the archive was asked again"
    );
    let again = w.gets() - gets;

    // Without the lock, the layers come from the cache: every blob GET but the configs'
    // is spared.
    fs::remove_file(w.path().join("Dockerfile.lock")).unwrap();
    let gets = w.gets();
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.lock_text(), text);
    let cold_cache_free = w.gets() - gets;
    assert!(
        cold_cache_free > again,
        "reading the images costs manifest and config GETs: {cold_cache_free} vs {again}"
    );
    // A fresh cache downloads the three layers the two stages' bases have.
    fs::remove_file(w.path().join("Dockerfile.lock")).unwrap();
    fs::remove_dir_all(w.path().join(".cache")).unwrap();
    let gets = w.gets();
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        w.gets() - gets,
        cold_cache_free + 4,
        "two debian and two alpine layers"
    );
    assert!(w.layers >= 4);
}

#[test]
fn verify_proves_the_build_applies_the_lock_and_rewrite_applies_it() {
    let w = World::new();
    w.write(&two_stage(&w.host, "trixie"));
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");

    let (out, err, code) = run(w.cmd().args(["packages"]));
    assert_eq!(code, 0, "{out}{err}");
    let hello = out
        .lines()
        .find(|l| l.contains(" hello "))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(hello.starts_with("Dockerfile:3"), "{out}");
    assert!(
        hello.contains(&format!("1.0-1 @{T1}")) && hello.ends_with("no"),
        "{out}"
    );

    // Locked, but not applied: the build would install whatever the mirror serves.
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("Dockerfile:2: package-lock-unapplied"),
        "{out}"
    );
    assert!(
        out.contains("Dockerfile:3: package-lock-unapplied"),
        "{out}"
    );
    assert!(
        out.contains("Dockerfile:5: package-lock-unapplied"),
        "{out}"
    );
    assert!(err.contains("rewrite --packages"), "{err}");

    // Without --packages, rewrite pins the images and says the package pins are left.
    let (out, err, code) = run(w.cmd().args(["rewrite"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("3 locked package pins are left as written")
            && !err.contains("already pinned"),
        "{err}"
    );
    let (_, err, _) = run(w.cmd().args(["rewrite"]));
    assert!(
        !err.contains("already pinned") && err.contains("left as written"),
        "{err}"
    );
    std::fs::write(w.path().join("Dockerfile"), two_stage(&w.host, "trixie")).unwrap();

    // apt 3: `--snapshot ID` on update and install; apk: name=version. Nothing else moves.
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages"]));
    assert_eq!(code, 0, "{out}{err}");
    let host = &w.host;
    let digest = |tag: &str| {
        let lock = w.lock();
        let key = lock
            .images
            .keys()
            .find(|k| k.reference.ends_with(tag))
            .unwrap()
            .clone();
        lock.images[&key].digest.to_string()
    };
    let expected = format!(
        "FROM {host}/debian:trixie@{} AS build\n\
         RUN apt-get update --snapshot {T1} && \\\n    apt-get install --snapshot {T1} -y --no-install-recommends hello hello-doc\n\
         FROM {host}/alpine:3.21@{}\n\
         RUN apk add --no-cache curl=8.12.1-r0\n\
         COPY --from=build /usr/bin/hello /usr/bin/hello\n",
        digest(":trixie"),
        digest(":3.21")
    );
    assert_eq!(w.dockerfile(), expected);
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["packages", "--format", "json"]));
    assert_eq!(code, 0, "{out}{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows.iter().all(|r| r["applied"] == true), "{out}");
    assert_eq!(rows[0]["name"], "hello");
    assert_eq!(rows[0]["locked"], "1.0-1");
    assert_eq!(rows[0]["snapshot"], T1);
    assert_eq!(rows[2]["manager"], "apk");
    assert_eq!(rows[2]["requested"], "=8.12.1-r0");

    // --unpin takes out what was added, and only that.
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages", "--unpin"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.dockerfile(), two_stage(host, "trixie"));
}

#[test]
fn older_apt_gets_its_sources_pointed_at_the_snapshot() {
    let w = World::new();
    let dockerfile = format!(
        "FROM {}/debian:bookworm\nRUN apt-get update && apt-get install -y hello\n",
        w.host
    );
    w.write(&dockerfile);
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages"]));
    assert_eq!(code, 0, "{out}{err}");
    let uri = w.lab.snapshot_uri(T1);
    let keyring = w.lab.keyring().display().to_string();
    let lines: Vec<String> = [
        "bookworm",
        "bookworm-backports",
        "bookworm-security",
        "experimental",
    ]
    .iter()
    .map(|suite| format!("'deb [check-valid-until=no signed-by={keyring}] {uri} {suite} main'"))
    .collect();
    let text = w.dockerfile();
    let mut got = text.lines();
    assert!(got
        .next()
        .unwrap()
        .starts_with(&format!("FROM {}/debian:bookworm@sha256:", w.host)));
    assert_eq!(
        got.next().unwrap(),
        format!(
            "RUN rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources && printf '%s\\n' {} > /etc/apt/sources.list # dockerfile-lock: apt snapshot {T1}",
            lines.join(" ")
        )
    );
    assert_eq!(
        got.next().unwrap(),
        "RUN apt-get update && apt-get install -y hello"
    );
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 0, "{out}{err}");
    // Rewriting again changes nothing.
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages", "--check"]));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn after_the_archive_moves_online_verify_reports_drift_and_update_moves_the_snapshot() {
    let w = World::new();
    w.write(&format!(
        "FROM {}/debian:trixie\nRUN apt-get update && apt-get install -y hello\n",
        w.host
    ));
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages"]));
    assert_eq!(code, 0, "{out}{err}");
    let pinned = w.dockerfile();

    w.lab.set_live(T2);
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 0, "offline verify does not look upstream: {out}{err}");
    let (out, err, code) = run(w.cmd().args(["verify", "--online"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("package-drift: apt `hello` 1.0-1 → 1.0-2"),
        "{out}"
    );

    let (out, err, code) = run(w.cmd().args(["update"]));
    assert_eq!(code, 0, "{out}{err}");
    let lock = w.lock();
    assert_eq!(package(&lock, "0", Manager::Apt, "hello"), "1.0-2");
    let entry = lock.packages.values().next().unwrap();
    let now = entry.snapshot.clone().unwrap();
    assert!(now.as_str() > T2, "{now}");
    // Only the --snapshot spans moved.
    assert_eq!(w.dockerfile(), pinned.replace(T1, &now));
    assert!(
        err.contains(&format!("{T1} → {now}")) || out.contains(&format!("{T1} → {now}")),
        "{out}{err}"
    );
    let (out, err, code) = run(w.cmd().args(["verify", "--online"]));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn offline_findings_name_missing_stale_and_base_changed_entries() {
    let w = World::new();
    let dockerfile = format!(
        "FROM {}/debian:trixie\nRUN apt-get update && apt-get install -y hello oldpkg\n",
        w.host
    );
    w.write(&dockerfile);
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    let (_, _, code) = run(w.cmd().args(["rewrite", "--packages"]));
    assert_eq!(code, 0);
    let pinned = w.dockerfile();

    // A package added and one removed.
    w.write(&pinned.replace("hello oldpkg", "hello newpkg"));
    let (out, _, code) = run(w.cmd().args(["verify", "--format", "json"]));
    assert_eq!(code, 1, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let codes: Vec<(&str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert!(
        codes
            .iter()
            .any(|(c, m)| *c == "missing-lock-entry" && m.contains("`newpkg`")),
        "{codes:?}"
    );
    assert!(
        codes
            .iter()
            .any(|(c, m)| *c == "stale-lock-entry" && m.contains("`oldpkg`")),
        "{codes:?}"
    );
    assert!(json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["kind"] == "package"));

    // The lock says the packages were read from another image than the one locked.
    w.write(&pinned);
    let lock = w.lock_text();
    let entry = w.lock().packages.values().next().unwrap().clone();
    let other = format!("sha256:{}", "0".repeat(64));
    fs::write(
        w.path().join("Dockerfile.lock"),
        lock.replace(
            &format!("base-digest: {}", entry.base_digest),
            &format!("base-digest: {other}"),
        ),
    )
    .unwrap();
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Dockerfile:2: base-changed"), "{out}");
}

#[test]
fn export_build_args_applies_a_declared_apt_snapshot_without_an_edit() {
    let w = World::new();
    let dockerfile = format!(
        "FROM {}/debian:trixie\nARG APT_SNAPSHOT\n\
         RUN apt-get update --snapshot $APT_SNAPSHOT && apt-get install --snapshot ${{APT_SNAPSHOT}} -y hello\n",
        w.host
    );
    w.write(&dockerfile);
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["export", "--format", "build-args"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, format!("--build-arg APT_SNAPSHOT={T1}\n"));
    // The ARG applies it: nothing unapplied, nothing to rewrite in the RUN line.
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(w
        .dockerfile()
        .ends_with(&dockerfile[dockerfile.find("\nARG").unwrap()..]));
    let (out, err, code) = run(w.cmd().args(["verify"]));
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_withdrawn_apk_version_is_reported_online() {
    let w = World::new();
    w.write(&format!(
        "FROM {}/alpine:3.21\nRUN apk add --no-cache curl ca-certificates\n",
        w.host
    ));
    let (out, err, code) = run(w.cmd().args(["generate", "--packages"]));
    assert_eq!(code, 0, "{out}{err}");
    let (_, _, code) = run(w.cmd().args(["rewrite", "--packages"]));
    assert_eq!(code, 0);
    assert!(w
        .dockerfile()
        .contains("apk add --no-cache curl=8.12.1-r0 ca-certificates=20241121-r1"));
    // Alpine keeps only the newest version: 8.12.1-r0 is replaced by -r1.
    w.apk.set(&[
        ("curl", "8.12.1-r1", "x86_64"),
        ("ca-certificates", "20241121-r1", "x86_64"),
    ]);
    let (out, err, code) = run(w.cmd().args(["verify", "--online"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("package-withdrawn: apk `curl` 8.12.1-r0"),
        "{out}"
    );
    assert!(
        out.contains("package-drift: apk `curl` 8.12.1-r0 → 8.12.1-r1"),
        "{out}"
    );
    assert!(!out.contains("ca-certificates"), "{out}");
    let (out, err, code) = run(w.cmd().args(["update"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(w
        .dockerfile()
        .contains("curl=8.12.1-r1 ca-certificates=20241121-r1"));
    let _ = &w.reg;
}

#[test]
fn require_pinned_names_installs_no_lock_pins() {
    let w = World::new();
    w.write(&format!(
        "FROM {}/debian:trixie\n\
         RUN apt-get install -y hello\n\
         RUN pip install requests && curl -fsSL https://example.com/i.sh | sh\n\
         RUN cargo install ripgrep --locked && go install example.com/tool@latest\n",
        w.host
    ));
    let (out, err, code) = run(w.cmd().args(["generate"]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["verify", "--require-pinned"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("Dockerfile:2: unpinned"), "{out}");
    assert!(out.contains("generate --packages"), "{out}");
    assert!(
        out.contains("Dockerfile:3: unpinned") && out.contains("pip"),
        "{out}"
    );
    assert!(out.contains("ADD --checksum"), "{out}");
    assert!(
        out.contains("Dockerfile:4: unpinned") && out.contains("go install"),
        "{out}"
    );
    // `--locked` alone still floats the crate itself.
    assert!(
        out.contains("`cargo install ripgrep` is missing a version"),
        "{out}"
    );
}

#[test]
fn a_snapshot_that_is_not_an_id_is_refused_and_nothing_is_written() {
    let w = World::new();
    w.write(&two_stage(&w.host, "bookworm"));
    let (out, err, code) = run(w
        .cmd()
        .args(["generate", "--packages", "--snapshot", "yesterday"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("YYYYMMDDTHHMMSSZ"), "{err}");
    assert!(!w.path().join("Dockerfile.lock").exists());
    // A snapshot before the archive's first: an error naming the stage, nothing written.
    let (out, err, code) =
        run(w
            .cmd()
            .args(["generate", "--packages", "--snapshot", "20250101T000000Z"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(!w.path().join("Dockerfile.lock").exists());
}

#[test]
fn a_compose_build_locks_the_packages_of_the_dockerfile_it_reads() {
    let w = World::new();
    fs::create_dir_all(w.path().join("services/api")).unwrap();
    let dockerfile = format!(
        "FROM {}/debian:trixie\nRUN apt-get update && apt-get install -y hello\n",
        w.host
    );
    fs::write(w.path().join("services/api/Dockerfile"), &dockerfile).unwrap();
    fs::create_dir_all(w.path().join("services/worker")).unwrap();
    fs::write(
        w.path().join("services/worker/Dockerfile"),
        format!(
            "FROM {}/debian:trixie\nARG APT_SNAPSHOT\nRUN apt-get install --snapshot $APT_SNAPSHOT -y hello-doc\n",
            w.host
        ),
    )
    .unwrap();
    fs::write(
        w.path().join("compose.yaml"),
        "services:\n  api:\n    build: services/api\n  worker:\n    build: services/worker\n",
    )
    .unwrap();
    let (out, err, code) =
        run(w
            .cmd()
            .args(["generate", "--packages", "--snapshot", T1, "compose.yaml"]));
    assert_eq!(code, 0, "{out}{err}");
    let lock = lockfile::read(&w.path().join("compose.yaml.lock"))
        .unwrap()
        .unwrap();
    let (key, entry) = lock.packages.iter().next().expect("a packages entry");
    assert_eq!(key.dockerfile.as_deref(), Some("services/api/Dockerfile"));
    assert_eq!(entry.packages[0].version, "1.0-1");
    assert_eq!(lock.packages.len(), 2, "{lock:#?}");

    // The worker applies the snapshot through its own ARG: the compose export sets it.
    let (out, err, code) = run(w
        .cmd()
        .args(["export", "--format", "compose", "compose.yaml"]));
    assert_eq!(code, 0, "{out}{err}");
    let exported: serde_json::Value = serde_saphyr::from_str(&out).unwrap();
    assert_eq!(
        exported["services"]["worker"]["build"]["args"]["APT_SNAPSHOT"], T1,
        "{out}"
    );
    assert!(
        exported["services"]["api"]["build"]["args"].is_null(),
        "{out}"
    );
    let (out, err, code) = run(w
        .cmd()
        .args(["export", "--format", "build-args", "compose.yaml"]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, format!("--build-arg APT_SNAPSHOT={T1}\n"));

    // The build reads the Dockerfile: verify names it, rewrite edits it.
    let (out, _, code) = run(w.cmd().args(["verify", "compose.yaml"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("services/api/Dockerfile:2: package-lock-unapplied"),
        "{out}"
    );
    let (out, err, code) = run(w.cmd().args(["rewrite", "--packages", "compose.yaml"]));
    assert_eq!(code, 0, "{out}{err}");
    let written = fs::read_to_string(w.path().join("services/api/Dockerfile")).unwrap();
    assert!(
        written.contains(&format!(
            "apt-get update --snapshot {T1} && apt-get install --snapshot {T1} -y hello"
        )),
        "{written}"
    );
    let (out, err, code) = run(w.cmd().args(["verify", "compose.yaml"]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["packages", "compose.yaml"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("services/api/Dockerfile:2") && out.contains(&format!("1.0-1 @{T1}")),
        "{out}"
    );
}

#[test]
fn stages_on_one_base_read_its_indexes_once() {
    let w = World::new();
    w.write(&format!(
        "FROM {h}/debian:bookworm AS a\nRUN apt-get install -y hello\n\
         FROM {h}/debian:bookworm AS b\nRUN apt-get install -y hello-doc\n\
         FROM {h}/alpine:3.21 AS c\nRUN apk add curl\n\
         FROM {h}/alpine:3.21\nRUN apk add ca-certificates\n\
         COPY --from=a /x /a\nCOPY --from=b /x /b\nCOPY --from=c /x /c\n",
        h = w.host
    ));
    let before = w.lab.requests().len();
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(w.lock().packages.len(), 4);
    let asked: Vec<String> = w.lab.requests()[before..].to_vec();
    let mut unique = asked.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(asked.len(), unique.len(), "asked twice: {asked:#?}");
}

#[test]
fn an_apt_version_pinned_in_the_dockerfile_and_gone_from_the_archive_is_withdrawn() {
    let w = World::new();
    w.write(&format!(
        "FROM {}/debian:trixie\nRUN apt-get update && apt-get install -y hello=1.0-1 hello-doc\n",
        w.host
    ));
    let (out, err, code) = run(w.cmd().args(["generate", "--packages", "--snapshot", T1]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["verify", "--online"]));
    assert_eq!(code, 1, "only unapplied so far: {out}{err}");
    assert!(!out.contains("package-withdrawn"), "{out}");
    w.lab.set_live(T2);
    let (out, err, code) = run(w.cmd().args(["verify", "--online", "--format", "json"]));
    assert_eq!(code, 1, "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let withdrawn: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "package-withdrawn")
        .collect();
    assert_eq!(withdrawn.len(), 1, "{out}");
    assert_eq!(withdrawn[0]["reference"], "apt hello");
    assert_eq!(withdrawn[0]["locked"], "1.0-1");
    assert!(withdrawn[0]["message"]
        .as_str()
        .unwrap()
        .contains("version 1.0-1 of hello is not in the archive"));
}

#[test]
fn a_bake_export_carries_the_snapshot_to_the_target_whose_dockerfile_declares_it() {
    let w = World::new();
    fs::create_dir_all(w.path().join("worker")).unwrap();
    fs::write(
        w.path().join("worker/Dockerfile"),
        format!(
            "FROM {}/debian:trixie\nARG APT_SNAPSHOT\nRUN apt-get update --snapshot ${{APT_SNAPSHOT}} && apt-get install --snapshot ${{APT_SNAPSHOT}} -y hello\n",
            w.host
        ),
    )
    .unwrap();
    fs::write(
        w.path().join("docker-bake.hcl"),
        "group \"default\" {\n  targets = [\"worker\"]\n}\n\ntarget \"worker\" {\n  context = \"worker\"\n}\n",
    )
    .unwrap();
    let (out, err, code) = run(w.cmd().args([
        "generate",
        "--packages",
        "--snapshot",
        T1,
        "docker-bake.hcl",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = run(w.cmd().args(["verify", "docker-bake.hcl"]));
    assert_eq!(code, 0, "applied through the ARG: {out}{err}");
    let (out, err, code) = run(w
        .cmd()
        .args(["export", "--format", "bake", "docker-bake.hcl"]));
    assert_eq!(code, 0, "{out}{err}");
    let bake: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        bake["target"]["worker"]["args"]["APT_SNAPSHOT"], T1,
        "{out}"
    );
    assert!(bake["target"]["default"].is_null(), "{out}");
    assert!(
        bake["target"]["worker"]["contexts"]
            .as_object()
            .unwrap()
            .values()
            .any(|v| v.as_str().unwrap().contains("/debian:trixie@sha256:")),
        "{out}"
    );
}
