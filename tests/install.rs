//! The ways in that need no Rust toolchain, tried as a user would: the PyPI wheel in a
//! fresh venv of Debian's python3, the pre-commit mirror template installing it from a
//! package index on 127.0.0.1, the GitHub Action's steps under a stub runner environment,
//! and the release archive unpacked from the wheel.

mod install_support;

use install_support::*;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn venv_with_wheel(dir: &Path) -> std::path::PathBuf {
    let venv = dir.join("venv");
    let out = Command::new(SYSTEM_PYTHON)
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // The wheel file itself, no index: nothing but the wheel is needed.
    let out = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--disable-pip-version-check",
        ])
        .arg(wheel())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pip install the wheel:\n{}",
        text(&out)
    );
    venv.join("bin/dockerfile-lock")
}

#[test]
fn the_wheel_installs_into_a_fresh_venv_and_verifies() {
    let name = wheel().file_name().unwrap().to_str().unwrap().to_string();
    let v = env!("CARGO_PKG_VERSION");
    // Cargo's version, and one wheel for every Python: a binary, not an extension module.
    assert!(
        name.starts_with(&format!("dockerfile_lock-{v}-py3-none-")),
        "{name}"
    );

    let scratch = tempfile::tempdir().unwrap();
    let bin = venv_with_wheel(scratch.path());
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("dockerfile-lock {v}")
    );

    let tree = locked_tree();
    let out = Command::new(&bin)
        .arg("verify")
        .current_dir(tree.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "in sync:\n{}", text(&out));
    make_stale(tree.path());
    let out = Command::new(&bin)
        .arg("verify")
        .current_dir(tree.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "stale:\n{}", text(&out));
    assert!(text(&out).contains("missing-lock-entry"), "{}", text(&out));
}

fn try_repo(
    python: &str,
    hook_repo: &Path,
    tree: &Path,
    home: &Path,
    index: &Index,
) -> std::process::Output {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "pre_commit", "try-repo"])
        .arg(hook_repo)
        .args(["dockerfile-lock-verify", "--all-files", "--color", "never"])
        .current_dir(tree)
        .env("PRE_COMMIT_HOME", home);
    index.pip_env(&mut cmd);
    cmd.output().unwrap_or_else(|e| panic!("cannot run `{python}` ({e}): the hook test needs pre-commit (.ci/run installs it in .venv)"))
}

#[test]
fn the_mirror_hook_installs_the_wheel_from_an_index_in_seconds() {
    let index = Index::start();
    let python = std::env::var("DOCKERFILE_LOCK_PYTHON")
        .unwrap_or_else(|_| root().join(".venv/bin/python").display().to_string());
    // The template as it would be published: a repository of its own.
    let mirror = tempfile::tempdir().unwrap();
    for f in [".pre-commit-hooks.yaml", "setup.py", "README.md"] {
        std::fs::copy(
            root().join("pre-commit-mirror").join(f),
            mirror.path().join(f),
        )
        .unwrap();
    }
    git(mirror.path(), &["init", "-q"]);
    git(mirror.path(), &["add", "."]);
    git(mirror.path(), &["commit", "-qm", "mirror"]);

    let tree = locked_tree();
    // A cold PRE_COMMIT_HOME: the hook environment is made and the wheel installed.
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let ok = try_repo(&python, mirror.path(), tree.path(), home.path(), &index);
    let cold = started.elapsed();
    assert!(
        ok.status.success(),
        "in sync, the hook must pass:\n{}",
        text(&ok)
    );
    let log = String::from_utf8_lossy(&ok.stdout);
    assert!(
        log.contains("dockerfile-lock verify") && log.contains("Passed"),
        "{log}"
    );
    // It came from this index, not from PyPI.
    let served = index.requests();
    assert!(served.contains("GET /files/dockerfile_lock-"), "{served}");
    eprintln!(
        "mirror hook: first run (install and check) took {:.1} s",
        cold.as_secs_f64()
    );
    assert!(cold.as_secs() < 120, "installing the wheel took {cold:?}");

    make_stale(tree.path());
    let stale = try_repo(&python, mirror.path(), tree.path(), home.path(), &index);
    let log = String::from_utf8_lossy(&stale.stdout);
    assert!(
        !stale.status.success(),
        "a stale lock must fail the hook:\n{log}"
    );
    assert!(
        log.contains("Failed") && log.contains("missing-lock-entry"),
        "{log}"
    );
}

/// The action's shell steps, run as the runner would, with the runner's files stubbed.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let r = Runner {
            temp: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(r.temp.path().join("runner-temp")).unwrap();
        std::fs::write(r.output_file(), "").unwrap();
        r
    }
    fn output_file(&self) -> std::path::PathBuf {
        self.temp.path().join("github-output")
    }
    fn outputs(&self) -> std::collections::BTreeMap<String, String> {
        std::fs::read_to_string(self.output_file())
            .unwrap()
            .lines()
            .filter_map(|l| {
                l.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect()
    }
    fn step(
        &self,
        script: &str,
        cwd: &Path,
        env: &[(&str, &str)],
        index: &Index,
    ) -> std::process::Output {
        let mut cmd = Command::new("bash");
        cmd.arg(root().join("action").join(script))
            .current_dir(cwd)
            .env_clear()
            // Debian's python3 first, as a runner's own would be.
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", self.temp.path())
            .env("RUNNER_TEMP", self.temp.path().join("runner-temp"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("GITHUB_OUTPUT", self.output_file())
            .env("GITHUB_ACTION_PATH", root())
            .env(
                "DOCKERFILE_LOCK_RELEASES",
                format!("{}/releases", index.url),
            );
        index.pip_env(&mut cmd);
        cmd.envs(env.iter().copied());
        cmd.output().unwrap()
    }
}

#[test]
fn the_action_installs_a_checked_wheel_and_annotates_findings() {
    let index = Index::start();
    let runner = Runner::new();
    let v = env!("CARGO_PKG_VERSION");
    let here = runner.temp.path();

    // A version that is not a plain release number is refused before it reaches a path,
    // and quoted so that it cannot start a workflow command of its own.
    for version in ["0.1.0/../../x", "0.1.0\n::warning::injected"] {
        let bad = runner.step(
            "prepare.sh",
            here,
            &[("DOCKERFILE_LOCK_VERSION", version)],
            &index,
        );
        assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
        let said = text(&bad);
        assert!(
            said.contains("::error title=dockerfile-lock::version must be"),
            "{said}"
        );
        assert!(!said.lines().any(|l| l.starts_with("::warning")), "{said}");
    }
    assert!(
        runner.outputs().is_empty(),
        "nothing is output for a refused version"
    );

    let prep = runner.step(
        "prepare.sh",
        here,
        &[("DOCKERFILE_LOCK_VERSION", v)],
        &index,
    );
    assert!(prep.status.success(), "{}", text(&prep));
    let dir = runner.outputs()["dir"].clone();
    assert_eq!(
        runner.outputs()["key"],
        format!("dockerfile-lock-{v}-Linux-X64")
    );
    let install_env = [
        ("DOCKERFILE_LOCK_VERSION", v),
        ("DOCKERFILE_LOCK_DIR", dir.as_str()),
    ];
    let inst = runner.step("install.sh", here, &install_env, &index);
    assert!(inst.status.success(), "{}", text(&inst));
    let outputs = runner.outputs();
    assert_eq!(outputs["version"], v);
    let bin = outputs["path"].clone();
    assert!(bin.starts_with(&dir), "{bin}");

    // A cache hit: the binary is checked, the index is not asked again.
    let asked = index.requests().lines().count();
    let again = runner.step("install.sh", here, &install_env, &index);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(
        index.requests().lines().count(),
        asked,
        "a cached binary must not be fetched again"
    );

    // Findings become annotations on the file and line.
    let tree = locked_tree();
    let run_env = [
        ("DOCKERFILE_LOCK_BIN", bin.as_str()),
        ("DOCKERFILE_LOCK_ARGS", "verify --recursive"),
    ];
    let ok = runner.step("run.sh", tree.path(), &run_env, &index);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(!text(&ok).contains("::error"), "{}", text(&ok));
    make_stale(tree.path());
    let stale = runner.step("run.sh", tree.path(), &run_env, &index);
    assert_eq!(stale.status.code(), Some(1), "{}", text(&stale));
    let out = String::from_utf8_lossy(&stale.stdout);
    assert!(
        out.contains("::error file=Dockerfile,line=2,title=missing-lock-entry::"),
        "{out}"
    );

    // `args` are words: no command substitution, no globbing.
    let marker = tree.path().join("marker");
    let inject = format!("verify $(touch {0}) `touch {0}` *", marker.display());
    let run = runner.step(
        "run.sh",
        tree.path(),
        &[
            ("DOCKERFILE_LOCK_BIN", bin.as_str()),
            ("DOCKERFILE_LOCK_ARGS", inject.as_str()),
        ],
        &index,
    );
    assert!(!run.status.success());
    assert!(!marker.exists(), "args were evaluated by the shell");
}

#[test]
fn the_action_refuses_a_wheel_whose_sum_differs_from_the_release() {
    let index = Index::start();
    let runner = Runner::new();
    let v = env!("CARGO_PKG_VERSION");
    let whl = wheel().file_name().unwrap().to_str().unwrap();
    // The index serves a wheel the release did not publish.
    std::fs::write(
        index.dir.path().join(format!("releases/v{v}/SHA256SUMS")),
        format!("{}  {whl}\n", "0".repeat(64)),
    )
    .unwrap();
    let dir = runner
        .temp
        .path()
        .join("runner-temp/dockerfile-lock")
        .join(v);
    let dir = dir.to_str().unwrap();
    let inst = runner.step(
        "install.sh",
        runner.temp.path(),
        &[("DOCKERFILE_LOCK_VERSION", v), ("DOCKERFILE_LOCK_DIR", dir)],
        &index,
    );
    assert!(!inst.status.success(), "{}", text(&inst));
    assert!(
        text(&inst).contains("::error title=dockerfile-lock::")
            && text(&inst).contains("SHA256SUMS says"),
        "{}",
        text(&inst)
    );
    assert!(
        !Path::new(dir).join("bin/dockerfile-lock").exists(),
        "nothing may be installed"
    );
    assert!(!runner.outputs().contains_key("path"));
}

#[test]
fn the_release_archive_holds_the_wheels_binary() {
    let out_dir = tempfile::tempdir().unwrap();
    let target = "x86_64-unknown-linux-gnu";
    let out = Command::new(SYSTEM_PYTHON)
        .arg(root().join("scripts/archive.py"))
        .arg(wheel())
        .arg(target)
        .arg(out_dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let archive = out_dir
        .path()
        .join(format!("dockerfile-lock-{target}.tar.gz"));
    let out = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .current_dir(out_dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    // The layout Cargo.toml's binstall metadata names: dockerfile-lock-{ target }/{ bin }.
    let bin = out_dir
        .path()
        .join(format!("dockerfile-lock-{target}/dockerfile-lock"));
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("dockerfile-lock {}", env!("CARGO_PKG_VERSION"))
    );
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(cargo.contains("dockerfile-lock-{ target }/{ bin }{ binary-ext }"));
}

/// The `-system` hooks install nothing: they run the dockerfile-lock on PATH (here the
/// wheel's, in a fresh venv).
#[test]
fn the_system_hook_runs_the_binary_on_path() {
    let python = std::env::var("DOCKERFILE_LOCK_PYTHON")
        .unwrap_or_else(|_| root().join(".venv/bin/python").display().to_string());
    let scratch = tempfile::tempdir().unwrap();
    let bin = venv_with_wheel(scratch.path());
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let tree = locked_tree();
    let home = scratch.path().join("pre-commit-home");
    let run = |tree: &Path| {
        Command::new(&python)
            .args(["-m", "pre_commit", "try-repo"])
            .arg(root())
            .args([
                "dockerfile-lock-verify-system",
                "--all-files",
                "--color",
                "never",
            ])
            .current_dir(tree)
            .env("PRE_COMMIT_HOME", &home)
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let ok = run(tree.path());
    assert!(ok.status.success(), "{}", text(&ok));
    make_stale(tree.path());
    let stale = run(tree.path());
    assert!(!stale.status.success(), "{}", text(&stale));
    assert!(
        text(&stale).contains("missing-lock-entry"),
        "{}",
        text(&stale)
    );
}
