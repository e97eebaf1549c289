//! A small apt archive on 127.0.0.1, built with Debian's own tools (dpkg-deb,
//! dpkg-scanpackages, xz, gzip, gpg), at two snapshot times, served the way
//! snapshot.debian.org serves `/archive/debian/<ID>/…` (an ID maps to the latest snapshot
//! at or before it; before the first, 404), plus a live `/debian/…` a test can move.
//!
//! ```ignore
//! let lab = AptLab::start();            // the archive is built once per test process
//! lab.snapshot_template();              // http://127.0.0.1:P/archive/@PATH@/@SNAPSHOTID@/
//! lab.set_live(T2);                     // /debian/ now serves T2
//! lab.requests();                       // every path asked for, in order
//! ```
//!
//! Contents, in `dists/bookworm` (Suite stable; `Packages`, `.gz` and `.xz`, and
//! `binary-all`), `dists/bookworm-security` (Suite stable-security),
//! `dists/bookworm-backports` (`NotAutomatic` and `ButAutomaticUpgrades`) and
//! `dists/experimental` (Codename rc-buggy, `NotAutomatic`), those three with
//! `Packages.xz` only; all with `Acquire-By-Hash: yes`, `by-hash/SHA256/` copies and a
//! `Valid-Until` long past:
//!
//! | package | T1 | T2 |
//! |---|---|---|
//! | hello (amd64, Depends libhello, Provides greeting) | 1.0-1, backports 1.1-1~bpo12+1 | 1.0-2, same |
//! | libhello (amd64) | 1.0-1, security 1.0-1+deb12u1, experimental 2.0-1 | same |
//! | hello-doc (all) | 1.0-1 | 1.0-1 |
//! | oldpkg (amd64) | 2.0-1 | 2.0-1 |
//! | newpkg (amd64) | 1.0-1 | 1.0-1 |
//! | bpotool (amd64) | backports 2.0-1~bpo12+1 | same |
//!
//! and `dists/extras` (Origin and Label `Example`, a third-party archive no snapshot
//! service knows): extra-tool 1.0-1; the same package in the flat repository `flat/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

use super::http::{Reply, Server};

/// The first snapshot.
pub const T1: &str = "20260101T000000Z";
/// The second: hello 1.0-2.
pub const T2: &str = "20260201T000000Z";

/// The suites of the Debian archive the lab imitates (`extras` is a third party's).
pub const DEBIAN_SUITES: [&str; 4] = [
    "bookworm",
    "bookworm-security",
    "bookworm-backports",
    "experimental",
];

/// The tools the lab needs, and the first one missing.
pub fn missing_tool() -> Option<&'static str> {
    ["dpkg-deb", "dpkg-scanpackages", "gpg", "xz", "gzip"]
        .into_iter()
        .find(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .map_or(true, |o| !o.status.success())
        })
}

/// The archive on disk, built once.
struct Built {
    _dir: tempfile::TempDir,
    /// `<root>/<ID>/` holds `dists/` and `pool/` of that snapshot.
    root: PathBuf,
    keyring: PathBuf,
}

static BUILT: OnceLock<Built> = OnceLock::new();

struct Deb {
    name: &'static str,
    version: &'static str,
    arch: &'static str,
    extra: &'static str,
    /// The pool: `main`, `security`, `backports`, `experimental` or `extras`.
    suite: &'static str,
}

fn contents(id: &str) -> Vec<Deb> {
    let hello = if id == T1 { "1.0-1" } else { "1.0-2" };
    let d = |name, version, arch, extra, suite| Deb {
        name,
        version,
        arch,
        extra,
        suite,
    };
    vec![
        d(
            "hello",
            hello,
            "amd64",
            "Depends: libhello\nProvides: greeting\n",
            "main",
        ),
        d("libhello", "1.0-1", "amd64", "", "main"),
        d("libhello", "1.0-1+deb12u1", "amd64", "", "security"),
        d("hello-doc", "1.0-1", "all", "", "main"),
        d("oldpkg", "2.0-1", "amd64", "", "main"),
        d("newpkg", "1.0-1", "amd64", "", "main"),
        d("extra-tool", "1.0-1", "amd64", "", "extras"),
        d(
            "hello",
            "1.1-1~bpo12+1",
            "amd64",
            "Depends: libhello\nProvides: greeting\n",
            "backports",
        ),
        d("bpotool", "2.0-1~bpo12+1", "amd64", "", "backports"),
        d("libhello", "2.0-1", "amd64", "", "experimental"),
    ]
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn build() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let gnupg = dir.path().join("gnupg");
    std::fs::create_dir(&gnupg).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let gpg = || {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", &gnupg).args(["--batch", "--quiet"]);
        c
    };
    run(gpg().args([
        "--passphrase",
        "",
        "--quick-gen-key",
        "apt lab <lab@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]));
    let keyring = dir.path().join("lab-keyring.gpg");
    std::fs::write(&keyring, run(gpg().arg("--export"))).unwrap();

    let root = dir.path().join("snapshots");
    for id in [T1, T2] {
        let snap = root.join(id);
        for deb in contents(id) {
            let pool = snap.join(format!("pool/{}/{}", deb.suite, deb.name));
            let src = dir
                .path()
                .join(format!("src-{id}-{}-{}", deb.name, deb.version));
            std::fs::create_dir_all(src.join("DEBIAN")).unwrap();
            std::fs::create_dir_all(src.join("usr/share/doc").join(deb.name)).unwrap();
            std::fs::write(
                src.join("usr/share/doc").join(deb.name).join("README"),
                format!("{} {}\n", deb.name, deb.version),
            )
            .unwrap();
            std::fs::write(
                src.join("DEBIAN/control"),
                format!(
                    "Package: {}\nVersion: {}\nArchitecture: {}\nMaintainer: Lab <lab@example.invalid>\n\
                     Priority: optional\nSection: misc\n{}Description: {} for the apt lab\n",
                    deb.name, deb.version, deb.arch, deb.extra, deb.name
                ),
            )
            .unwrap();
            std::fs::create_dir_all(&pool).unwrap();
            let file = pool.join(format!("{}_{}_{}.deb", deb.name, deb.version, deb.arch));
            run(Command::new("dpkg-deb")
                .args(["--root-owner-group", "-Zgzip", "-z1", "--build"])
                .arg(&src)
                .arg(&file));
        }
        for (suite, pool, origin, label, suite_name, codename, by_arch, flags) in [
            (
                "bookworm",
                "pool/main",
                "Debian",
                "Debian",
                "stable",
                "bookworm",
                true,
                "",
            ),
            (
                "bookworm-security",
                "pool/security",
                "Debian",
                "Debian-Security",
                "stable-security",
                "bookworm-security",
                false,
                "",
            ),
            (
                "bookworm-backports",
                "pool/backports",
                "Debian Backports",
                "Debian Backports",
                "stable-backports",
                "bookworm-backports",
                false,
                "NotAutomatic: yes\nButAutomaticUpgrades: yes\n",
            ),
            (
                "experimental",
                "pool/experimental",
                "Debian",
                "Debian",
                "experimental",
                "rc-buggy",
                false,
                "NotAutomatic: yes\n",
            ),
            (
                "extras",
                "pool/extras",
                "Example",
                "Example",
                "extras",
                "extras",
                false,
                "",
            ),
        ] {
            let dists = snap.join("dists").join(suite);
            let mut listed: Vec<(String, Vec<u8>)> = Vec::new();
            for arch in if by_arch {
                vec!["amd64", "all"]
            } else {
                vec!["amd64"]
            } {
                let packages = run(Command::new("dpkg-scanpackages").current_dir(&snap).args([
                    "--multiversion",
                    "--arch",
                    arch,
                    pool,
                    "/dev/null",
                ]));
                let rel = format!("main/binary-{arch}");
                std::fs::create_dir_all(dists.join(&rel)).unwrap();
                let plain = dists.join(&rel).join("Packages");
                std::fs::write(&plain, &packages).unwrap();
                run(Command::new("xz").args(["-k", "-f", "-6"]).arg(&plain));
                if by_arch && arch == "amd64" {
                    run(Command::new("gzip")
                        .args(["-k", "-n", "-f", "-9"])
                        .arg(&plain));
                }
                let names: &[&str] = if by_arch && arch == "amd64" {
                    &["Packages", "Packages.gz", "Packages.xz"]
                } else {
                    // bookworm-security, and binary-all here: .xz only served; the
                    // Release still lists the uncompressed index, as Debian's do (and
                    // apt needs that entry to use the index at all).
                    &["Packages.xz"]
                };
                for name in names {
                    let bytes = std::fs::read(dists.join(&rel).join(name)).unwrap();
                    let hashed = dists.join(&rel).join("by-hash/SHA256");
                    std::fs::create_dir_all(&hashed).unwrap();
                    std::fs::write(hashed.join(sha(&bytes)), &bytes).unwrap();
                    listed.push((format!("{rel}/{name}"), bytes));
                }
                if !names.contains(&"Packages") {
                    listed.push((format!("{rel}/Packages"), std::fs::read(&plain).unwrap()));
                    std::fs::remove_file(&plain).unwrap();
                }
            }
            let (date, until) = if id == T1 {
                (
                    "Thu, 01 Jan 2026 00:00:00 UTC",
                    "Thu, 08 Jan 2026 00:00:00 UTC",
                )
            } else {
                (
                    "Sun, 01 Feb 2026 00:00:00 UTC",
                    "Sun, 08 Feb 2026 00:00:00 UTC",
                )
            };
            let arches = if by_arch { "all amd64" } else { "amd64" };
            let mut release = format!(
                "Origin: {origin}\nLabel: {label}\nSuite: {suite_name}\nCodename: {codename}\n\
                 Date: {date}\nValid-Until: {until}\n{flags}Acquire-By-Hash: yes\n\
                 Architectures: {arches}\nComponents: main\nDescription: apt lab\nSHA256:\n"
            );
            for (path, bytes) in &listed {
                release.push_str(&format!(" {} {} {path}\n", sha(bytes), bytes.len()));
            }
            std::fs::write(dists.join("Release"), &release).unwrap();
            run(gpg()
                .arg("--yes")
                .arg("--clearsign")
                .arg("-o")
                .arg(dists.join("InRelease"))
                .arg(dists.join("Release")));
        }
        // A flat repository (`deb URI ./`): InRelease and Packages at its top, no
        // by-hash, no Suite or Codename, as many vendors publish them.
        let flat = snap.join("flat");
        std::fs::create_dir_all(&flat).unwrap();
        let deb = "extra-tool_1.0-1_amd64.deb";
        std::fs::copy(
            snap.join("pool/extras/extra-tool").join(deb),
            flat.join(deb),
        )
        .unwrap();
        let packages = run(Command::new("dpkg-scanpackages")
            .current_dir(&flat)
            .args([".", "/dev/null"]));
        std::fs::write(flat.join("Packages"), &packages).unwrap();
        run(Command::new("xz")
            .args(["-k", "-f"])
            .arg(flat.join("Packages")));
        let mut release =
            "Origin: Vendor\nLabel: Vendor\nArchitecture: amd64\nSHA256:\n".to_string();
        for name in ["Packages", "Packages.xz"] {
            let bytes = std::fs::read(flat.join(name)).unwrap();
            release.push_str(&format!(" {} {} {name}\n", sha(&bytes), bytes.len()));
        }
        std::fs::write(flat.join("Release"), release).unwrap();
        run(gpg()
            .args(["--yes", "--clearsign", "-o"])
            .arg(flat.join("InRelease"))
            .arg(flat.join("Release")));
    }
    Built {
        _dir: dir,
        root,
        keyring,
    }
}

#[derive(Default)]
struct State {
    live: String,
    /// URL path → bytes served instead of the file.
    instead: HashMap<String, Vec<u8>>,
}

/// A running lab server.
pub struct AptLab {
    server: Server,
    state: Arc<Mutex<State>>,
    keyring: PathBuf,
}

impl AptLab {
    /// Build the archive (once per process) and serve it; the live archive starts at T1.
    pub fn start() -> AptLab {
        let built = BUILT.get_or_init(build);
        let state = Arc::new(Mutex::new(State {
            live: T1.to_string(),
            ..State::default()
        }));
        let (root, shared) = (built.root.clone(), state.clone());
        let server = Server::start(move |req| {
            let path = req.target.split('?').next().unwrap_or("").to_string();
            let state = shared.lock().unwrap();
            if let Some(bytes) = state.instead.get(&path) {
                return Reply::new(200).body(bytes.clone());
            }
            let (id, rest) = if let Some(rest) = path.strip_prefix("/archive/debian/") {
                let (id, rest) = rest.split_once('/').unwrap_or((rest, ""));
                match resolve(id) {
                    Some(id) => (id.to_string(), rest.to_string()),
                    None => return Reply::new(404),
                }
            } else if let Some(rest) = path.strip_prefix("/debian/") {
                (state.live.clone(), rest.to_string())
            } else {
                return Reply::new(404);
            };
            drop(state);
            serve_file(&root.join(id), &rest)
        });
        AptLab {
            server,
            state,
            keyring: built.keyring.clone(),
        }
    }

    /// `http://127.0.0.1:P`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.host())
    }

    /// `127.0.0.1:P`, the key of a snapshot service for the live archive.
    pub fn host(&self) -> String {
        self.server.host()
    }

    /// The live archive's URI: `http://127.0.0.1:P/debian`.
    pub fn live_uri(&self) -> String {
        format!("{}/debian", self.base_url())
    }

    /// The snapshot service, as apt 3 configures one.
    pub fn snapshot_template(&self) -> String {
        format!("{}/archive/@PATH@/@SNAPSHOTID@/", self.base_url())
    }

    /// The snapshot archive at `id`: `http://127.0.0.1:P/archive/debian/<id>/`.
    pub fn snapshot_uri(&self, id: &str) -> String {
        format!("{}/archive/debian/{id}/", self.base_url())
    }

    /// Move the live archive to the snapshot `id` (T1 or T2).
    pub fn set_live(&self, id: &str) {
        assert!(id == T1 || id == T2, "the lab has T1 and T2 only");
        self.state.lock().unwrap().live = id.to_string();
    }

    /// Serve `bytes` at the URL path `path` (`/archive/debian/…`) instead of the file.
    pub fn serve_instead(&self, path: &str, bytes: &[u8]) {
        self.state
            .lock()
            .unwrap()
            .instead
            .insert(path.to_string(), bytes.to_vec());
    }

    /// Every path requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.server
            .requests()
            .into_iter()
            .map(|r| r.target)
            .collect()
    }

    /// The public key the InRelease files are signed with (binary keyring).
    pub fn keyring(&self) -> &Path {
        &self.keyring
    }

    /// The lab's snapshot `id` file at `path` below it (`dists/bookworm/InRelease`).
    pub fn file(&self, id: &str, path: &str) -> Vec<u8> {
        let built = BUILT.get().expect("started");
        std::fs::read(built.root.join(id).join(path)).unwrap()
    }

    /// A `debian.sources` as an official image has it: the live URI for
    /// [`DEBIAN_SUITES`], with the snapshot `id` recorded in a comment.
    pub fn debian_sources(&self, id: &str) -> String {
        format!(
            "# http://snapshot.debian.org/archive/debian/{id}\n\
             Types: deb\nURIs: {}\nSuites: {}\nComponents: main\n\
             Signed-By: {}\n",
            self.live_uri(),
            DEBIAN_SUITES.join(" "),
            self.keyring.display()
        )
    }
}

/// The latest snapshot at or before `id`.
fn resolve(id: &str) -> Option<&'static str> {
    let valid = id.len() == 16
        && id.as_bytes()[8] == b'T'
        && id.ends_with('Z')
        && id[..8]
            .bytes()
            .chain(id[9..15].bytes())
            .all(|c| c.is_ascii_digit());
    if !valid {
        return None;
    }
    [T2, T1].into_iter().find(|t| *t <= id)
}

fn serve_file(dir: &Path, rest: &str) -> Reply {
    if rest.split('/').any(|p| p == ".." || p.is_empty()) {
        return Reply::new(404);
    }
    match std::fs::read(dir.join(rest)) {
        Ok(bytes) if dir.join(rest).is_file() => Reply::new(200).body(bytes),
        _ => Reply::new(404),
    }
}
