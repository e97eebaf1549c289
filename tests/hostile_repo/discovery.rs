//! What `--recursive` finds in a hostile tree: a file name that is not UTF-8 or a `git`
//! that refuses the repository must not quietly switch discovery to a walk that honours
//! `.gitignore` (and so skips tracked Dockerfiles under ignored directories).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::tree::Tree;

/// A tree whose root Dockerfile is locked and whose `ignored/Dockerfile` is tracked but
/// lies under a `.gitignore`d directory and has no lock: `verify --recursive` must fail.
fn tree_with_tracked_ignored_dockerfile() -> Tree {
    let tree = Tree::new();
    tree.write("Dockerfile", "FROM scratch\n");
    let run = tree.run(&["generate"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    tree.write(".gitignore", "ignored/\n");
    tree.write("ignored/Dockerfile", "FROM scratch\n");
    tree.git(&["add", "-f", "ignored/Dockerfile"]);
    tree.commit();
    tree
}

/// Create `rel` (bytes, below the tree) holding `text`, making its directories.
fn write_bytes(tree: &Tree, rel: &[u8], text: &str) -> PathBuf {
    let p = tree.root().join(OsStr::from_bytes(rel));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_baseline_finds_the_tracked_ignored_dockerfile() {
    let tree = tree_with_tracked_ignored_dockerfile();
    let run = tree.run(&["verify", "--recursive", "."], &[]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.output().contains("ignored/Dockerfile"), "{run:?}");
}

#[test]
fn a_non_utf8_file_name_does_not_derail_discovery() {
    let tree = tree_with_tracked_ignored_dockerfile();
    write_bytes(&tree, b"notes/caf\xe9.txt", "bytes\n");
    tree.commit();
    let run = tree.run(&["verify", "--recursive", "."], &[]);
    assert_ne!(run.code, Some(0), "{run:?}");
    assert!(
        run.output().contains("ignored/Dockerfile"),
        "the tracked Dockerfile under an ignored directory is still verified: {run:?}"
    );
}

#[test]
fn a_dockerfile_below_a_non_utf8_directory_is_found() {
    let tree = Tree::new();
    tree.write("Dockerfile", "FROM scratch\n");
    let run = tree.run(&["generate"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    write_bytes(&tree, b"svc\xff/Dockerfile", "FROM scratch\n");
    write_bytes(&tree, b"svc/api\xfe.Dockerfile", "FROM scratch\n");
    tree.commit();
    let run = tree.run(&["verify", "--recursive", "."], &[]);
    assert_eq!(
        run.code,
        Some(1),
        "both unlocked files are reported: {run:?}"
    );
    let out = run.output();
    assert!(
        out.contains("svc\\xff/Dockerfile") || out.contains("svc\u{fffd}/Dockerfile"),
        "{out}"
    );
    assert!(
        out.contains("api\\xfe.Dockerfile") || out.contains("api\u{fffd}.Dockerfile"),
        "{out}"
    );
    // And `generate` locks them.
    let run = tree.run(&["generate", "--recursive", "."], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(tree
        .root()
        .join(OsStr::from_bytes(b"svc\xff/Dockerfile.lock"))
        .is_file());
    let run = tree.run(&["verify", "--recursive", "."], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

/// A `git` first on PATH that refuses to list the repository's files, as git does one
/// it does not trust; everything else goes to the real git.
fn refusing_git(tree: &Tree) -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let real = std::env::split_paths(&path)
        .map(|d| d.join("git"))
        .find(|p| p.is_file())
        .expect("git on PATH");
    let bin = tree.outside().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh
             for a in \"$@\"; do
             \tif [ \"$a\" = ls-files ]; then
             \t\techo \"fatal: detected dubious ownership in repository at '$PWD'\" >&2
             \t\techo 'To add an exception for this directory, call:' >&2
             \t\texit 128
             \tfi
             done
             exec '{}' \"$@\"
",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut dirs = vec![bin];
    dirs.extend(std::env::split_paths(&path));
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_git_that_refuses_the_repository_is_an_error_not_a_walk() {
    let tree = tree_with_tracked_ignored_dockerfile();
    let path = refusing_git(&tree);
    for args in [
        &["verify", "--recursive", "."][..],
        &["generate", "--recursive", "."][..],
    ] {
        let run = tree.run(args, &[("PATH", &path)]);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("error: ") && run.stderr.contains("dubious ownership"),
            "{args:?}: says what git said: {run:?}"
        );
    }
    assert!(!tree.root().join("ignored/Dockerfile.lock").exists());
}

/// git refuses a repository another user owns (root sees it too: git compares owners).
#[test]
fn a_repository_git_does_not_trust_is_an_error_not_a_walk() {
    let tree = tree_with_tracked_ignored_dockerfile();
    let stranger = 4_000_123;
    let owned = |p: &Path| std::os::unix::fs::chown(p, Some(stranger), Some(stranger));
    if owned(&tree.root()).is_err() || owned(&tree.root().join(".git")).is_err() {
        // Not allowed to give files away here: the PATH test above covers the refusal.
        return;
    }
    let run = tree.run(&["verify", "--recursive", "."], &[]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("dubious ownership"), "{run:?}");
}

#[test]
fn outside_a_work_tree_the_walk_stays() {
    let tree = Tree::new();
    std::fs::remove_dir_all(tree.root().join(".git")).unwrap();
    tree.write("Dockerfile", "FROM scratch\n");
    tree.write(".gitignore", "ignored/\n");
    tree.write("ignored/Dockerfile", "FROM scratch\n");
    let run = tree.run(&["generate", "--recursive", "."], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(!tree.root().join("ignored/Dockerfile.lock").exists());
    // And without git at all: a PATH with only what the run itself needs.
    let bin = tree.outside().join("nogit");
    std::fs::create_dir_all(&bin).unwrap();
    let prlimit = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("prlimit"))
        .find(|p| p.is_file())
        .expect("prlimit on PATH");
    std::os::unix::fs::symlink(prlimit, bin.join("prlimit")).unwrap();
    let run = tree.run(
        &["verify", "--recursive", "."],
        &[("PATH", &bin.display().to_string())],
    );
    assert_eq!(run.code, Some(0), "{run:?}");
}
