//! Nothing lost: `generate`, `update` and `rewrite` leave every Dockerfile and lock
//! byte-identical to before or completely new — never partial — whether the registry
//! fails, the disk is full (a tiny tmpfs when this machine may mount one, and always an
//! injected write error through `RLIMIT_FSIZE`), or the process is `SIGKILL`ed at random
//! points; no temp file remains once the next run has finished. Symlinks are written
//! through, modes kept, read-only files refused clearly.

mod hardening_common;
mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use hardening_common::{bin, Record};
use support::images::ImageKind;
use support::registry::{free_port, Auth, Registry};

const REPOS: &[&str] = &["app/a", "app/b", "app/c", "app/d", "app/e"];
const FILES: &[&str] = &["Dockerfile", "Dockerfile.lock"];

/// The files of a project: name → bytes (None when absent).
type Snapshot = BTreeMap<String, Option<Vec<u8>>>;

fn snapshot(dir: &Path) -> Snapshot {
    FILES
        .iter()
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).ok()))
        .collect()
}

fn restore(dir: &Path, s: &Snapshot) {
    for (name, bytes) in s {
        let p = dir.join(name);
        match bytes {
            Some(b) => std::fs::write(&p, b).unwrap(),
            None => {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// Temp files a run left: `.NAME.tmp-*`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n.contains(".tmp-"))
        .collect()
}

fn cli(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", "/nonexistent")
        .env_remove("DOCKERFILE_LOCK_REGISTRY_MIRRORS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let start = Instant::now();
    let out = cli(dir, args).output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(120), "hung: {args:?}");
    out
}

fn ok(dir: &Path, args: &[&str]) {
    let out = run(dir, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether two snapshots are equal, with a short description when they are not.
fn same(a: &Snapshot, b: &Snapshot) -> Result<(), String> {
    let differ: Vec<&String> = a.keys().filter(|k| a[*k] != b[*k]).collect();
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!("{differ:?} differ"))
    }
}

/// Each file is exactly its old or its new bytes.
fn assert_old_or_new(dir: &Path, old: &Snapshot, new: &Snapshot, what: &str) {
    let now = snapshot(dir);
    for name in FILES {
        let (n, o, w) = (&now[*name], &old[*name], &new[*name]);
        assert!(
            n == o || n == w,
            "{what}: {name} is neither old nor new ({} bytes; old {}, new {})",
            n.as_ref().map_or(0, Vec::len),
            o.as_ref().map_or(0, Vec::len),
            w.as_ref().map_or(0, Vec::len),
        );
    }
}

/// A registry with five images, a Dockerfile using them (padded to 1 MB so writes take
/// a while), and the three before/after states: generate, update and rewrite.
struct World {
    registry: Registry,
    scenarios: Vec<(&'static str, Vec<&'static str>, Snapshot, Snapshot)>,
}

fn world() -> World {
    let registry = Registry::start(Auth::Anonymous);
    for r in REPOS {
        registry.push_image(r, "1", ImageKind::Schema2);
    }
    let mut dockerfile = String::new();
    for (i, r) in REPOS.iter().enumerate() {
        dockerfile.push_str(&format!("FROM {} AS s{i}\n", registry.image(r, "1")));
    }
    let pad = "RUN echo 'padding so that writing this file takes a moment' && true\n";
    while dockerfile.len() < 1 << 20 {
        dockerfile.push_str(pad);
    }
    let base = tempfile::tempdir().unwrap();
    let d = base.path();
    std::fs::write(d.join("Dockerfile"), &dockerfile).unwrap();
    ok(d, &["generate", "Dockerfile"]);
    let unpinned_v1 = snapshot(d);
    ok(d, &["rewrite", "Dockerfile"]);
    let pinned_v1 = snapshot(d);
    // Every tag moves.
    for r in REPOS {
        registry.push_image(r, "1", ImageKind::Schema2);
    }
    ok(d, &["update", "Dockerfile"]);
    let pinned_v2 = snapshot(d);
    // `generate` keeps what a lock already records: v2 comes from a fresh generate.
    let unlocked = {
        let mut s = unpinned_v1.clone();
        s.insert("Dockerfile.lock".into(), None);
        s
    };
    restore(d, &unlocked);
    ok(d, &["generate", "Dockerfile"]);
    let unpinned_v2 = snapshot(d);
    assert!(same(&unpinned_v1, &unpinned_v2).is_err(), "the tags moved");
    assert!(same(&pinned_v1, &pinned_v2).is_err(), "the tags moved");
    World {
        registry,
        scenarios: vec![
            (
                "generate",
                vec!["generate", "Dockerfile"],
                unlocked,
                unpinned_v2.clone(),
            ),
            (
                "update",
                vec!["update", "Dockerfile"],
                pinned_v1,
                pinned_v2.clone(),
            ),
            (
                "rewrite",
                vec!["rewrite", "Dockerfile"],
                unpinned_v2,
                pinned_v2,
            ),
        ],
    }
}

#[test]
fn sigkill_at_random_points_leaves_old_or_new_files_and_no_temp_after_the_next_run() {
    let w = world();
    let _keep = &w.registry;
    const ITERATIONS: u32 = 50;
    for (name, args, old, new) in &w.scenarios {
        let mut rec = Record::new("nothing lost", format!("SIGKILL during `{name}` (1 MB Dockerfile, 5 images): half at random times, half as a temp file appears; a full run every 10 kills and after any kill that left a temp file"));
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // How long an uninterrupted run takes, to spread the kills over it.
        restore(d, old);
        let start = Instant::now();
        ok(d, args);
        let span = start.elapsed().as_micros().max(1000) as u64;
        same(&snapshot(d), new).unwrap_or_else(|e| panic!("{name} without a kill: {e}"));
        let (mut interrupted, mut leftovers) = (0, 0);
        for i in 0..ITERATIONS {
            restore(d, old);
            let mut child = cli(d, args).spawn().unwrap();
            let delay = if i % 2 == 0 {
                // Anywhere in the run.
                let delay = fastrand::u64(0..span + span / 5);
                std::thread::sleep(Duration::from_micros(delay));
                delay
            } else {
                // Aimed at the write: as soon as a temp file shows, plus 0–500 µs.
                let start = Instant::now();
                while temp_files(d).is_empty()
                    && child.try_wait().unwrap().is_none()
                    && start.elapsed() < Duration::from_secs(60)
                {
                    std::hint::spin_loop();
                }
                std::thread::sleep(Duration::from_micros(fastrand::u64(0..500)));
                start.elapsed().as_micros() as u64
            };
            if child.try_wait().unwrap().is_none() {
                interrupted += 1;
            }
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            rec.tried();
            assert_old_or_new(d, old, new, &format!("{name}, kill {i} after {delay} µs"));
            let left_temp = !temp_files(d).is_empty();
            if left_temp {
                leftovers += 1;
            }
            if left_temp || i % 10 == 9 {
                // The next full run completes the job and clears what the kill left.
                ok(d, args);
                same(&snapshot(d), new).unwrap_or_else(|e| panic!("{name} after a full run: {e}"));
                assert_eq!(
                    temp_files(d),
                    Vec::<String>::new(),
                    "{name}: temp files remain"
                );
            }
        }
        assert!(interrupted > 0, "{name}: no run was interrupted");
        rec.outcome(format!("every file old or new; {interrupted}/{ITERATIONS} runs killed mid-way, {leftovers} of them mid-write (temp file left, removed by the next run)"));
    }
}

#[test]
fn a_registry_failure_changes_nothing() {
    let w = world();
    let dead = format!("127.0.0.1:{}", free_port());
    let mirror = format!("{}={dead}", w.registry.host());
    for (name, args, old, _) in &w.scenarios {
        if *name == "rewrite" {
            continue; // offline
        }
        let mut rec = Record::new(
            "nothing lost",
            format!("registry unreachable during `{name}`"),
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        restore(d, old);
        let mut a = args.clone();
        a.extend(["--registry-mirror", &mirror, "--timeout", "2"]);
        rec.tried();
        let out = run(d, &a);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(&dead));
        same(&snapshot(d), old).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(temp_files(d), Vec::<String>::new());
        rec.outcome("exit 2, every file byte-identical, no temp file");
    }
}

/// Run `args` with writes to regular files capped at 0 bytes (`RLIMIT_FSIZE`, SIGXFSZ
/// ignored so the write fails with EFBIG): an injected write error needing no privilege.
fn run_fsize_zero(dir: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn an_injected_write_error_changes_nothing() {
    let w = world();
    let _keep = &w.registry;
    for (name, args, old, _) in &w.scenarios {
        let mut rec = Record::new(
            "nothing lost",
            format!("write error (RLIMIT_FSIZE → EFBIG) during `{name}`"),
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        restore(d, old);
        rec.tried();
        let out = run_fsize_zero(d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("error: cannot write"), "{stderr}");
        assert!(stderr.contains("File too large"), "{stderr}");
        same(&snapshot(d), old).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(temp_files(d), Vec::<String>::new(), "{name}");
        rec.outcome(
            "exit 2 `cannot write …: File too large`, every file byte-identical, no temp file",
        );
    }
}

/// A 256 KiB tmpfs mounted on a temp dir, unmounted on drop; None without the privilege.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount() -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then_some(Tmpfs(dir))
    }

    fn path(&self) -> PathBuf {
        self.0.path().to_path_buf()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

/// Fill the file system holding `dir` until a write fails.
fn fill(dir: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
}

#[test]
fn a_full_disk_changes_nothing() {
    let mut rec = Record::new("nothing lost", "full disk (a full 256 KiB tmpfs) during `generate`, `update`, `rewrite` with 2 Dockerfiles");
    let Some(fs) = Tmpfs::mount() else {
        rec.outcome(
            "skipped: cannot mount a tmpfs here (the RLIMIT_FSIZE test covers write errors)",
        );
        return;
    };
    let registry = Registry::start(Auth::Anonymous);
    let image = |r: &str| registry.image(r, "1");
    for r in ["full/a", "full/b"] {
        registry.push_image(r, "1", ImageKind::Schema2);
    }
    let d = fs.path();
    // Two projects, so that all-or-nothing across files is tested too.
    std::fs::write(
        d.join("a.Dockerfile"),
        format!("FROM {}\n", image("full/a")),
    )
    .unwrap();
    std::fs::write(
        d.join("b.Dockerfile"),
        format!("FROM {}\n", image("full/b")),
    )
    .unwrap();
    ok(&d, &["generate", "a.Dockerfile", "b.Dockerfile"]);
    ok(&d, &["rewrite", "a.Dockerfile", "b.Dockerfile"]);
    for r in ["full/a", "full/b"] {
        registry.push_image(r, "1", ImageKind::Schema2);
    }
    // c has no lock yet: `generate` must create one (a lock it has is kept as it is).
    std::fs::write(
        d.join("c.Dockerfile"),
        format!("FROM {}\n", image("full/a")),
    )
    .unwrap();
    let names = [
        "a.Dockerfile",
        "b.Dockerfile",
        "a.Dockerfile.lock",
        "b.Dockerfile.lock",
        "c.Dockerfile",
    ];
    let read = || -> Vec<Vec<u8>> {
        names
            .iter()
            .map(|n| std::fs::read(d.join(n)).unwrap())
            .collect()
    };
    let before = read();
    fill(&d);
    for args in [
        &["update", "a.Dockerfile", "b.Dockerfile"][..],
        &["generate", "a.Dockerfile", "c.Dockerfile"],
        &["rewrite", "--unpin", "a.Dockerfile", "b.Dockerfile"],
    ] {
        rec.tried();
        let out = run(&d, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left on device"), "{stderr}");
        assert!(read() == before, "{args:?} changed a file");
        assert!(!d.join("c.Dockerfile.lock").exists());
        assert_eq!(temp_files(&d), Vec::<String>::new());
    }
    // Space again: the same command succeeds.
    std::fs::remove_file(d.join("filler")).unwrap();
    ok(&d, &["update", "a.Dockerfile", "b.Dockerfile"]);
    assert!(read() != before, "the update went through");
    rec.outcome("exit 2 `No space left on device`, all 4 files byte-identical, no temp file; the next run succeeds");
}

#[test]
fn symlinks_modes_and_read_only_files() {
    let mut rec = Record::new(
        "nothing lost",
        "symlinked Dockerfile and lock refused, modes 0640/0600, read-only Dockerfile and lock",
    );
    let w = world();
    let _keep = &w.registry;
    let (_, _, unpinned_v1, _) = &w.scenarios[2];
    let (_, _, _, pinned_v2) = &w.scenarios[2];
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("real")).unwrap();
    let real_df = d.join("real/app.Dockerfile");
    let real_lock = d.join("real/app.lock");
    std::fs::write(&real_df, unpinned_v1["Dockerfile"].as_ref().unwrap()).unwrap();
    std::fs::write(&real_lock, unpinned_v1["Dockerfile.lock"].as_ref().unwrap()).unwrap();
    std::fs::set_permissions(&real_df, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(&real_lock, std::fs::Permissions::from_mode(0o600)).unwrap();
    symlink("real/app.Dockerfile", d.join("Dockerfile")).unwrap();
    symlink("real/app.lock", d.join("Dockerfile.lock")).unwrap();

    // Nothing is read or written through a link: the lock link is refused, then the
    // Dockerfile link, and the files they lead to stay as they were.
    rec.tried();
    let out = run(d, &["update", "Dockerfile"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to use Dockerfile.lock: it is a symlink"),
        "{stderr}"
    );
    std::fs::remove_file(d.join("Dockerfile.lock")).unwrap();
    std::fs::copy(&real_lock, d.join("Dockerfile.lock")).unwrap();
    let out = run(d, &["rewrite", "Dockerfile"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refusing to use Dockerfile: it is a symlink"),
        "{stderr}"
    );
    assert_eq!(&std::fs::read(&real_df).ok(), &unpinned_v1["Dockerfile"]);
    assert_eq!(
        &std::fs::read(&real_lock).ok(),
        &unpinned_v1["Dockerfile.lock"]
    );

    // The files themselves are written in place, and keep their modes.
    std::fs::rename(&real_df, d.join("Dockerfile")).unwrap();
    std::fs::rename(&real_lock, d.join("Dockerfile.lock")).unwrap();
    ok(d, &["update", "Dockerfile"]);
    ok(d, &["rewrite", "Dockerfile"]);
    for (file, mode) in [("Dockerfile", 0o640), ("Dockerfile.lock", 0o600)] {
        assert_eq!(
            &std::fs::read(d.join(file)).ok(),
            &pinned_v2[file],
            "{file}"
        );
        let m = std::fs::metadata(d.join(file))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(m, mode, "{file} keeps its mode");
    }
    assert_eq!(temp_files(d), Vec::<String>::new());
    assert_eq!(temp_files(&d.join("real")), Vec::<String>::new());

    // A symlink loop is a clear error.
    rec.tried();
    let loop_dir = tempfile::tempdir().unwrap();
    let l = loop_dir.path();
    std::fs::write(
        l.join("Dockerfile"),
        unpinned_v1["Dockerfile"].as_ref().unwrap(),
    )
    .unwrap();
    symlink("Dockerfile.lock", l.join("Dockerfile.lock")).unwrap();
    let out = run(l, &["generate", "Dockerfile"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Dockerfile.lock"), "{stderr}");

    // Read-only files: refused clearly, nothing changed (root ignores modes, so this is
    // the tool's own check). Update writes both files: all or nothing.
    let (_, _, pinned_v1, _) = &w.scenarios[1];
    for ro in ["Dockerfile", "Dockerfile.lock"] {
        rec.tried();
        let rd = tempfile::tempdir().unwrap();
        let r = rd.path();
        restore(r, pinned_v1);
        std::fs::set_permissions(r.join(ro), std::fs::Permissions::from_mode(0o444)).unwrap();
        let out = run(r, &["update", "Dockerfile"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!("error: cannot write {ro}: the file is read-only")),
            "{stderr}"
        );
        same(&snapshot(r), pinned_v1)
            .unwrap_or_else(|e| panic!("read-only {ro}: nothing changed: {e}"));
        assert_eq!(temp_files(r), Vec::<String>::new());
    }
    rec.outcome("a symlinked lock or Dockerfile refused (exit 2, naming the link) with both targets unchanged; modes kept; read-only files refused with every file unchanged");
}
