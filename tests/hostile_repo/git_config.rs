//! Git configuration a tree can carry: a tracked directory laid out as a bare repository
//! (`HEAD`, `config`, `objects/`, `refs/`) whose `core.fsmonitor` or `url.*.insteadOf` +
//! `protocol.ext.allow` would run a command if any `git` the tool starts picked it up;
//! the user's own `~/.gitconfig` still applies; and a git host that never answers costs
//! one `--timeout` for all its sources and leaves no git process behind.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::support::sources::GitServer;
use super::tree::{Tree, DEADLINE};

/// Lay out `dir` (below the tree) as a bare repository whose config carries `config`, and
/// give it a Dockerfile so `--recursive` has something to find there.
fn bare_repo_layout(tree: &Tree, dir: &str, config: &str) {
    tree.write(&format!("{dir}/HEAD"), "ref: refs/heads/main\n");
    tree.write(&format!("{dir}/config"), config);
    tree.write(&format!("{dir}/objects/info/.keep"), "");
    tree.write(&format!("{dir}/refs/heads/.keep"), "");
    tree.write(&format!("{dir}/Dockerfile"), "FROM scratch\n");
    tree.write(&format!("{dir}/sub/Dockerfile"), "FROM scratch\n");
}

/// A config whose `core.fsmonitor` creates `marker` when git reads the index.
fn fsmonitor_config(marker: &Path) -> String {
    format!(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\
         \tfsmonitor = \"touch {}; false\"\n",
        marker.display()
    )
}

#[test]
fn a_bare_repository_layout_in_the_tree_runs_no_fsmonitor() {
    let tree = Tree::new();
    let marker = tree.outside().join("fsmonitor-ran");
    bare_repo_layout(&tree, "evil", &fsmonitor_config(&marker));
    bare_repo_layout(&tree, "deep/evil", &fsmonitor_config(&marker));
    tree.write("Dockerfile", "FROM scratch\n");
    tree.commit();
    let runs: [(&str, &[&str]); 7] = [
        (".", &["verify", "--recursive", "evil"]),
        (".", &["-C", "evil", "verify", "--recursive", "."]),
        ("evil", &["verify", "--recursive", "."]),
        ("evil/sub", &["verify", "--recursive", "."]),
        (".", &["-C", "evil/sub", "verify", "--recursive", "."]),
        (".", &["verify", "--recursive", "deep/evil/sub"]),
        ("deep/evil", &["generate", "--recursive", "sub"]),
    ];
    for (cwd, args) in runs {
        let run = tree.run_in(cwd, args, &[]);
        assert!(
            !marker.exists(),
            "{args:?} in {cwd} ran the tree's core.fsmonitor: {run:?}"
        );
        assert!(
            !run.output().contains("fatal:"),
            "{args:?} in {cwd}: {run:?}"
        );
    }
}

/// A config rewriting `url` to an `ext::` command that creates `marker`, and allowing it.
fn ext_rewrite_config(url: &str, marker: &Path) -> String {
    format!(
        "[core]\n\trepositoryformatversion = 0\n\tbare = true\n[protocol \"ext\"]\n\tallow = always\n\
         [protocol]\n\tallow = always\n\
         [url \"ext::sh -c touch% {}\"]\n\tinsteadOf = {url}\n",
        marker.display()
    )
}

#[test]
fn a_tree_config_cannot_turn_a_git_source_into_a_command() {
    let git = GitServer::start();
    let repo = git.repo("tool");
    repo.commit("a.txt", "one");
    repo.push();
    let tree = Tree::new();
    let marker = tree.outside().join("ext-ran");
    let dockerfile = format!("FROM scratch\nADD {}#main /src\n", repo.url);
    tree.write("evil/Dockerfile", &dockerfile);
    // Locked while the tree is still harmless, so `verify --online` has a pin to check.
    let run = tree.run(&["generate", "evil/Dockerfile"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    bare_repo_layout(&tree, "evil", &ext_rewrite_config(&repo.url, &marker));
    tree.write("evil/Dockerfile", &dockerfile);
    tree.write("evil/sub/Dockerfile", &dockerfile);
    tree.commit();
    let runs: [(&str, &[&str]); 5] = [
        (".", &["-C", "evil", "verify", "--online"]),
        ("evil", &["verify", "--online", "Dockerfile"]),
        ("evil", &["verify", "--online", "--recursive", "."]),
        ("evil/sub", &["generate"]),
        (".", &["-C", "evil", "update"]),
    ];
    for (cwd, args) in runs {
        let run = tree.run_in(cwd, args, &[]);
        assert!(
            !marker.exists(),
            "{args:?} in {cwd} ran an ext:: command: {run:?}"
        );
    }
    // The lookups went to the real server and found the same commit.
    let run = tree.run_in("evil", &["verify", "--online", "Dockerfile"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

#[test]
fn no_config_can_reach_an_ext_or_file_transport() {
    let tree = Tree::new();
    let marker = tree.outside().join("ext-ran");
    let url = "https://git.example.test/tool.git";
    // Even the user's own global config: only BuildKit's transports are used.
    let global = std::fs::read_to_string(tree.home().join(".gitconfig")).unwrap();
    std::fs::write(
        tree.home().join(".gitconfig"),
        format!("{global}{}", ext_rewrite_config(url, &marker)),
    )
    .unwrap();
    tree.write("Dockerfile", format!("FROM scratch\nADD {url}#main /src\n"));
    tree.commit();
    let run = tree.run(&["generate"], &[]);
    assert!(!marker.exists(), "ran an ext:: command: {run:?}");
    assert_eq!(run.code, Some(2), "{run:?}");
}

#[test]
fn the_users_global_insteadof_still_applies() {
    let git = GitServer::start();
    let repo = git.repo("tool");
    let commit = repo.commit("a.txt", "one");
    repo.push();
    let tree = Tree::new();
    let global = std::fs::read_to_string(tree.home().join(".gitconfig")).unwrap();
    std::fs::write(
        tree.home().join(".gitconfig"),
        format!(
            "{global}[url \"git://127.0.0.1:{}/\"]\n\tinsteadOf = https://git.example.test/\n",
            git.port
        ),
    )
    .unwrap();
    tree.write(
        "Dockerfile",
        "FROM scratch\nADD https://git.example.test/tool.git#main /src\n",
    );
    tree.commit();
    let run = tree.run(&["generate"], &[]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let lock = std::fs::read_to_string(tree.root().join("Dockerfile.lock")).unwrap();
    assert!(lock.contains(&commit), "{lock}");
}

/// Every process whose command line holds `needle`, as `(pid, command line)`.
fn processes_with(needle: &str) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(needle) {
            found.push((pid, text));
        }
    }
    found
}

/// Run the binary in its own process group and leave whatever it started alone, so the
/// test sees what it left behind.
fn run_leaving_children(dir: &Path, home: &Path, args: &[&str]) -> (Option<i32>, String, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"));
    cmd.args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text, pid)
}

#[test]
fn a_black_holed_git_host_costs_one_timeout_and_leaves_nothing_running() {
    // Accepts every connection and never answers.
    let hole = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = hole.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hole.incoming().flatten() {
            held.push(s);
        }
    });
    let tag = format!("blackhole{}x{port}", std::process::id());
    let tree = Tree::new();
    let mut dockerfile = String::from("FROM scratch\n");
    for i in 0..17 {
        dockerfile.push_str(&format!(
            "ADD http://127.0.0.1:{port}/{tag}-{i}.git#main /s{i}\n"
        ));
    }
    tree.write("Dockerfile", &dockerfile);
    tree.commit();
    let start = Instant::now();
    let (code, output, pid) =
        run_leaving_children(&tree.root(), &tree.home(), &["generate", "--timeout", "3"]);
    let elapsed = start.elapsed();
    // Give a leftover helper no chance to pass as one still being reaped.
    std::thread::sleep(Duration::from_millis(300));
    let left = processes_with(&tag);
    for (p, _) in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &p.to_string()])
            .status();
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
    assert_eq!(code, Some(2), "{output}");
    assert!(left.is_empty(), "git processes left running: {left:?}");
    assert!(
        elapsed < Duration::from_secs(8) && elapsed < DEADLINE,
        "17 sources on one silent host took {elapsed:?}"
    );
    assert!(output.contains("took longer than 3s"), "{output}");
    assert!(
        output.contains("timed out earlier in this run"),
        "the rest fail at once, saying why: {output}"
    );
}
