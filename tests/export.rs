//! `export` end to end: golden output for every format, the source policy read back with
//! BuildKit's published policy structure, each format applied to the fixture's image uses
//! the way BuildKit applies it, and the errors (exit 2, nothing on stdout).
//!
//! Set `DOCKERFILE_LOCK_BLESS=1` to rewrite the golden files after a deliberate change.

mod lock_support;

use std::collections::BTreeMap;
use std::fs;

use dockerfile_lock::dockerfile::{self, BuildOptions, ImageUse};
use dockerfile_lock::lockfile::{self, Key, Lock};
use dockerfile_lock::reference::ImageRef;
use lock_support::{bin, digest, scratch, testdata, text};
use predicates::prelude::*;
use serde::Deserialize;

const FIXTURE: &str = "export/multistage";
const FILES: [&str; 2] = ["Dockerfile", "api.Dockerfile"];

/// The formats and their golden files.
const GOLDEN: [(&str, &str); 4] = [
    ("source-policy", "source-policy.json"),
    ("build-contexts", "build-contexts.txt"),
    ("bake", "bake.json"),
    ("json", "export.json"),
];

/// stdout of a successful `export --format FORMAT` of the fixture's two Dockerfiles.
fn export(format: &str) -> String {
    let dir = scratch(FIXTURE);
    let out = bin(dir.path())
        .args(["export", "--format", format])
        .args(FILES)
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).expect("UTF-8 output")
}

#[test]
fn every_format_matches_its_golden_file() {
    for (format, golden) in GOLDEN {
        let got = export(format);
        let path = testdata().join(FIXTURE).join("expected").join(golden);
        if std::env::var_os("DOCKERFILE_LOCK_BLESS").is_some() {
            fs::write(&path, &got).unwrap();
        }
        assert_eq!(got, text(&path), "--format {format} vs {}", path.display());
    }
}

// BuildKit's sourcepolicy/pb/policy.proto as encoding/json reads it: field names from the
// `json` tags in policy.pb.go, enums by the names sourcepolicy/pb/json.go marshals.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Policy {
    version: Option<i64>,
    rules: Option<Vec<Rule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    action: Option<PolicyAction>,
    selector: Option<Selector>,
    updates: Option<Update>,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
enum PolicyAction {
    ALLOW,
    DENY,
    CONVERT,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Selector {
    identifier: Option<String>,
    match_type: Option<MatchType>,
    constraints: Option<Vec<AttrConstraint>>,
}

#[derive(Debug, PartialEq, Eq, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
enum MatchType {
    WILDCARD,
    EXACT,
    REGEX,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read to check the shape, never used
struct AttrConstraint {
    key: Option<String>,
    value: Option<String>,
    condition: Option<AttrMatch>,
}

#[derive(Debug, Deserialize)]
#[allow(clippy::upper_case_acronyms, dead_code)]
enum AttrMatch {
    EQUAL,
    NOTEQUAL,
    MATCHES,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Update {
    identifier: Option<String>,
    attrs: Option<BTreeMap<String, String>>,
}

/// BuildKit's own example policy (docs/build-repro.md), to show the mirror above reads
/// what BuildKit documents.
const BUILD_REPRO_EXAMPLE: &str = r#"{
  "rules": [
    {
      "action": "CONVERT",
      "selector": {
        "identifier": "docker-image://docker.io/library/alpine:latest"
      },
      "updates": {
        "identifier": "docker-image://docker.io/library/alpine:latest@sha256:4edbd2beb5f78b1014028f4fbb99f3237d9561100b6881aabbf5acce2c4f9454"
      }
    },
    {
      "action": "CONVERT",
      "selector": {
        "identifier": "https://raw.githubusercontent.com/moby/buildkit/v0.10.1/README.md"
      },
      "updates": {
        "attrs": {"http.checksum": "sha256:6e4b94fc270e708e1068be28bd3551dc6917a4fc5a61293d51bb36e6b75c4b53"}
      }
    }
  ]
}"#;

#[test]
fn the_policy_structure_reads_buildkits_example_and_rejects_what_buildkit_would_not_write() {
    let example: Policy = serde_json::from_str(BUILD_REPRO_EXAMPLE).unwrap();
    assert_eq!(example.rules.unwrap().len(), 2);
    for bad in [
        r#"{"rules":[{"action":"PIN"}]}"#,
        r#"{"rules":[{"action":"CONVERT","selector":{"identifier":"x","match_type":"exact"}}]}"#,
        r#"{"rules":[{"action":"CONVERT","selector":{"identifier":"x","matchType":"EXACT"}}]}"#,
        r#"{"version":1,"rules":[],"comment":"unknown field"}"#,
    ] {
        assert!(
            serde_json::from_str::<Policy>(bad).is_err(),
            "accepted {bad}"
        );
    }
}

#[test]
fn source_policy_follows_buildkits_schema() {
    let policy: Policy = serde_json::from_str(&export("source-policy")).unwrap();
    assert_eq!(policy.version, Some(1));
    let rules = policy.rules.unwrap();
    assert_eq!(rules.len(), 7, "one rule per locked tag, deduplicated");
    let mut selectors = Vec::new();
    for rule in rules {
        assert_eq!(rule.action, Some(PolicyAction::CONVERT));
        let selector = rule.selector.unwrap();
        assert_eq!(selector.match_type, Some(MatchType::EXACT));
        assert!(selector.constraints.is_none());
        let from = selector.identifier.unwrap();
        let updates = rule.updates.unwrap();
        assert!(updates.attrs.is_none());
        let to = updates.identifier.unwrap();
        let reference = from.strip_prefix("docker-image://").unwrap();
        let (pinned, digest) = to.split_once('@').unwrap();
        assert_eq!(pinned, from);
        let image = ImageRef::parse(reference).unwrap();
        assert_eq!(image.normalized(), reference, "selector is normalized");
        assert!(image.tag().is_some() && image.digest().is_none(), "{from}");
        assert!(digest.parse::<dockerfile_lock::reference::Digest>().is_ok());
        selectors.push(from);
    }
    let mut sorted = selectors.clone();
    sorted.sort();
    assert_eq!(selectors, sorted, "rules are sorted");
}

/// Every use of an external image in the fixture, with the lock it belongs to.
fn uses() -> Vec<(ImageUse, Lock)> {
    let dir = testdata().join(FIXTURE);
    let mut all = Vec::new();
    for file in FILES {
        let path = dir.join(file);
        let lock = lockfile::read(&dir.join(format!("{file}.lock")))
            .unwrap()
            .unwrap();
        let options = BuildOptions {
            build_args: lock.build_args.clone(),
            ..BuildOptions::default()
        };
        let analysis = dockerfile::analyze(&fs::read(&path).unwrap(), &options).unwrap();
        for image in analysis.images {
            all.push((image, lock.clone()));
        }
    }
    assert_eq!(all.len(), 11, "the fixture's image uses");
    all
}

/// What the build must end up pulling for `image`: its lock entry's digest.
fn locked(image: &ImageUse, lock: &Lock) -> String {
    let entry = &lock.images[&Key::for_use(&image.image)];
    format!("{}@{}", image.image.name(), entry.digest)
}

/// sourcepolicy/engine.go and matcher.go for EXACT CONVERT rules: the first rule whose
/// selector equals the identifier replaces it, and evaluation repeats until nothing
/// matches (BuildKit gives up after 20 rounds).
fn apply_policy(policy: &serde_json::Value, identifier: &str) -> String {
    let mut id = identifier.to_string();
    for _ in 0..=20 {
        let rule = policy["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["selector"]["identifier"] == id.as_str());
        match rule {
            Some(r) => id = r["updates"]["identifier"].as_str().unwrap().to_string(),
            None => return id,
        }
    }
    panic!("too many mutations on {identifier}");
}

#[test]
fn the_source_policy_pins_every_use_to_its_lock_digest() {
    let policy: serde_json::Value = serde_json::from_str(&export("source-policy")).unwrap();
    for (image, lock) in uses() {
        // client/llb/source.go `Image`: docker-image:// + TagNameOnly(ParseNormalizedNamed).
        let identifier = format!("docker-image://{}", image.image.normalized());
        let got = apply_policy(&policy, &identifier);
        let (name_and_tag, digest) = got
            .strip_prefix("docker-image://")
            .unwrap()
            .split_once('@')
            .unwrap_or_else(|| panic!("{} left unpinned: {got}", image.raw));
        let want = locked(&image, &lock);
        assert!(
            want.ends_with(digest) && name_and_tag.starts_with(&image.image.name()),
            "{}: {got}, want {want}",
            image.raw
        );
        if image.image.digest().is_some() {
            assert_eq!(
                got, identifier,
                "{}: a pinned use is left as it is",
                image.raw
            );
        }
    }
}

/// `--build-context` lines as NAME → VALUE.
fn build_contexts() -> BTreeMap<String, String> {
    export("build-contexts")
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.len(), 2, "one flag and one word: {line}");
            assert_eq!(words[0], "--build-context");
            let (name, value) = words[1].split_once('=').unwrap();
            (name.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn build_contexts_replace_every_unpinned_use_by_its_lock_digest() {
    let contexts = build_contexts();
    assert_eq!(contexts.len(), 7);
    for (image, lock) in uses() {
        // frontend/dockerui/config.go `NamedContext`: FamiliarString of the normalized
        // name with `:latest` trimmed; a pinned reference keeps its digest in the name.
        let familiar = ImageRef::parse(&image.image.normalized())
            .unwrap()
            .familiar();
        let name = familiar.strip_suffix(":latest").unwrap_or(&familiar);
        match contexts.get(name) {
            Some(value) => {
                let want = locked(&image, &lock);
                let digest = want.split_once('@').unwrap().1;
                assert!(value.starts_with("docker-image://"), "{value}");
                assert!(value.ends_with(&format!("@{digest}")), "{name}: {value}");
            }
            None => assert!(
                image.image.digest().is_some(),
                "{} ({name}) has no build context",
                image.raw
            ),
        }
    }
}

#[test]
fn bake_contexts_are_the_build_contexts() {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Bake {
        target: BTreeMap<String, Target>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Target {
        contexts: BTreeMap<String, String>,
    }
    let bake: Bake = serde_json::from_str(&export("bake")).unwrap();
    assert_eq!(bake.target.keys().collect::<Vec<_>>(), ["default"]);
    assert_eq!(bake.target["default"].contexts, build_contexts());
}

#[test]
fn json_has_every_lock_and_entry_with_stable_field_names() {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Document {
        version: u64,
        locks: Vec<LockOut>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct LockOut {
        file: String,
        dockerfile: String,
        build_args: BTreeMap<String, String>,
        images: Vec<ImageOut>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    struct ImageOut {
        name: String,
        reference: String,
        digest: String,
        media_type: Option<String>,
        platforms: BTreeMap<String, String>,
        used_by: Vec<UseOut>,
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read to check the shape
    struct UseOut {
        kind: String,
        by: Option<String>,
        dockerfile: Option<String>,
        stage: Option<String>,
    }
    let doc: Document = serde_json::from_str(&export("json")).unwrap();
    assert_eq!(doc.version, 1);
    let files: Vec<_> = doc.locks.iter().map(|l| l.file.as_str()).collect();
    assert_eq!(files, ["Dockerfile.lock", "api.Dockerfile.lock"]);
    let dir = testdata().join(FIXTURE);
    for l in &doc.locks {
        let lock = lockfile::read(&dir.join(&l.file)).unwrap().unwrap();
        assert_eq!(dir.join(&l.dockerfile), dir.join(&lock.dockerfile));
        assert_eq!(l.build_args, lock.build_args);
        assert_eq!(l.images.len(), lock.images.len());
        for (out, (key, entry)) in l.images.iter().zip(&lock.images) {
            assert_eq!(out.reference, key.reference);
            assert_eq!(out.name, entry.name);
            assert_eq!(out.digest, entry.digest.to_string());
            assert_eq!(out.media_type, entry.media_type);
            assert_eq!(out.platforms.len(), entry.platforms.len());
            assert_eq!(out.used_by.len(), entry.used_by.len());
        }
    }
    let node = &doc.locks[0]
        .images
        .iter()
        .find(|i| i.name == "node:18")
        .unwrap();
    assert_eq!(
        node.platforms.keys().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64"]
    );
    assert_eq!(node.used_by[0].kind, "from");
}

#[test]
fn default_is_the_dockerfile_in_the_current_directory_and_a_lock_names_its_dockerfile() {
    let dir = scratch(FIXTURE);
    let whole = text(testdata().join(FIXTURE).join("expected/export.json"));
    let first: serde_json::Value = serde_json::from_str(&whole).unwrap();
    for args in [&[][..], &["Dockerfile.lock"][..], &["Dockerfile"][..]] {
        let out = bin(dir.path())
            .args(["export", "--format", "json"])
            .args(args)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["locks"].as_array().unwrap().len(), 1, "{args:?}");
        assert_eq!(doc["locks"][0], first["locks"][0], "{args:?}");
    }
}

#[test]
fn lockfile_option_reads_the_lock_from_elsewhere() {
    let dir = scratch(FIXTURE);
    fs::create_dir(dir.path().join("locks")).unwrap();
    let mut lock = text(dir.path().join("api.Dockerfile.lock"));
    lock = lock.replace(
        "dockerfile: api.Dockerfile",
        "dockerfile: ../api.Dockerfile",
    );
    fs::write(dir.path().join("locks/api.lock"), lock).unwrap();
    fs::remove_file(dir.path().join("api.Dockerfile.lock")).unwrap();
    bin(dir.path())
        .args([
            "export",
            "--format",
            "build-contexts",
            "--lockfile",
            "locks/api.lock",
        ])
        .arg("api.Dockerfile")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "--build-context debian:bookworm-slim=",
        ))
        .stdout(predicate::str::contains("node:18").not());
}

#[test]
fn a_missing_lock_is_an_error_that_says_to_generate() {
    let dir = scratch(FIXTURE);
    fs::remove_file(dir.path().join("api.Dockerfile.lock")).unwrap();
    for (format, _) in GOLDEN {
        bin(dir.path())
            .args(["export", "--format", format])
            .args(FILES)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(
                "error: api.Dockerfile has no lock (api.Dockerfile.lock)",
            ))
            .stderr(predicate::str::contains(
                "help: run `dockerfile-lock generate api.Dockerfile` to create it",
            ));
    }
}

#[test]
fn an_invalid_lock_is_an_error_naming_the_file_and_line() {
    let dir = scratch(FIXTURE);
    let path = dir.path().join("Dockerfile.lock");
    let bad = text(&path).replacen("digest: sha256:1111", "digest: sha256:111", 1);
    fs::write(&path, bad).unwrap();
    bin(dir.path())
        .args(["export", "--format", "source-policy"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("error: invalid lockfile"))
        .stderr(predicate::str::contains("--> Dockerfile.lock:"));
}

/// Regression: two locks pinning one tag to different digests would give BuildKit two
/// rules (it applies the first) or two contexts of one name (the last wins), silently.
#[test]
fn one_tag_locked_to_two_digests_is_refused() {
    let dir = scratch(FIXTURE);
    let path = dir.path().join("api.Dockerfile.lock");
    let six = digest(0x66);
    let other = digest(0x67);
    fs::write(&path, text(&path).replace(&six, &other)).unwrap();
    for format in ["source-policy", "build-contexts", "bake"] {
        bin(dir.path())
            .args(["export", "--format", format])
            .args(FILES)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(
                "error: `docker.io/library/alpine:latest` is locked to different digests",
            ))
            .stderr(predicate::str::contains(format!(
                "= note: {six} in Dockerfile.lock"
            )))
            .stderr(predicate::str::contains(format!(
                "= note: {other} in api.Dockerfile.lock"
            )));
    }
    // Each lock alone is fine, and --format json reports both as they are.
    bin(dir.path())
        .args(["export", "--format", "json"])
        .args(FILES)
        .assert()
        .code(0);
}

/// Regression: BuildKit looks every named stage up among the named contexts, so a build
/// context named like a stage replaces the whole stage (`stage-clash` has a stage
/// `alpine` built from another stage, which only the Dockerfile, not the lock, names).
#[test]
fn a_build_context_named_like_a_stage_is_refused() {
    let dir = scratch("export/stage-clash");
    for format in ["build-contexts", "bake"] {
        bin(dir.path())
            .args(["export", "--format", format])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(
                "error: the build context `alpine` would replace the stage `alpine`",
            ))
            .stderr(predicate::str::contains("--format source-policy"));
    }
    bin(dir.path())
        .args(["export", "--format", "source-policy"])
        .assert()
        .code(0)
        .stderr("")
        .stdout(predicate::str::contains(
            "\"docker-image://docker.io/library/alpine:latest\"",
        ));
}

#[test]
fn an_unreadable_dockerfile_is_only_a_warning_for_build_contexts() {
    let dir = scratch(FIXTURE);
    fs::write(dir.path().join("api.Dockerfile"), "FORM alpine\n").unwrap();
    // The lock cannot be checked against a file that does not parse: nothing is exported.
    bin(dir.path())
        .args(["export", "--format", "build-contexts", "api.Dockerfile"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("api.Dockerfile:1"));
    bin(dir.path())
        .args([
            "export",
            "--format",
            "build-contexts",
            "--no-verify",
            "api.Dockerfile",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--build-context alpine="))
        .stderr(predicate::str::starts_with(
            "warning: cannot check the stage names of api.Dockerfile",
        ));
}

#[test]
fn format_is_required_and_checked() {
    let dir = scratch(FIXTURE);
    bin(dir.path()).arg("export").assert().code(2).stdout("");
    bin(dir.path())
        .args(["export", "--format", "hcl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid value 'hcl'"));
}

#[test]
fn digest_only_references_get_no_rule_and_no_context() {
    // gcr.io/distroless/static@sha256:cc… is used by digest alone: BuildKit already sees
    // the digest, so there is nothing to convert or replace.
    let lock = text(testdata().join(FIXTURE).join("Dockerfile.lock"));
    assert!(
        lock.contains("reference: gcr.io/distroless/static\n"),
        "fixture changed"
    );
    let policy = export("source-policy");
    let contexts = export("build-contexts");
    assert!(!policy.contains("distroless"), "{policy}");
    assert!(!contexts.contains("distroless"), "{contexts}");
}

#[test]
fn nothing_to_pin_gives_empty_but_valid_output() {
    // Only a digest-only reference: already pinned, so no rule and no context.
    let dir = tempfile::tempdir().unwrap();
    let d = digest(0x42);
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM alpine@{d}\nRUN true\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join("Dockerfile.lock"),
        format!(
            "version: 1\ndockerfile: Dockerfile\nimages:\n  - name: alpine\n    \
             reference: docker.io/library/alpine\n    digest: {d}\n    used-by:\n      \
             - {{kind: from}}\n"
        ),
    )
    .unwrap();
    let run = |format: &str| {
        let out = bin(dir.path())
            .args(["export", "--format", format])
            .assert()
            .code(0)
            .stderr("")
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(
        run("source-policy"),
        "{\n  \"version\": 1,\n  \"rules\": []\n}\n"
    );
    assert_eq!(run("build-contexts"), "");
    let bake: serde_json::Value = serde_json::from_str(&run("bake")).unwrap();
    assert_eq!(bake["target"]["default"]["contexts"], serde_json::json!({}));
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(
        json["locks"][0]["images"][0]["reference"],
        "docker.io/library/alpine"
    );
}

/// The fixture with HTTP and git sources (`rewrite-sources`): its policy, golden.
fn export_sources() -> String {
    let dir = scratch("rewrite-sources");
    let out = bin(dir.path())
        .args(["export", "--format", "source-policy", "Dockerfile"])
        .assert()
        .code(0)
        .stderr("")
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn source_rules_match_their_golden_file() {
    let got = export_sources();
    let path = testdata().join("rewrite-sources/expected/source-policy.json");
    if std::env::var_os("DOCKERFILE_LOCK_BLESS").is_some() {
        fs::write(&path, &got).unwrap();
    }
    assert_eq!(got, text(&path));
}

#[test]
fn source_rules_follow_buildkits_schema_and_pin_every_source() {
    use dockerfile_lock::lockfile::SourcePin;
    let policy: Policy = serde_json::from_str(&export_sources()).unwrap();
    let rules = policy.rules.unwrap();
    let dir = testdata().join("rewrite-sources");
    let lock = lockfile::read(&dir.join("Dockerfile.lock"))
        .unwrap()
        .unwrap();
    let mut by_selector = BTreeMap::new();
    for rule in rules {
        assert_eq!(rule.action, Some(PolicyAction::CONVERT));
        let selector = rule.selector.unwrap();
        assert_eq!(selector.match_type, Some(MatchType::EXACT));
        let from = selector.identifier.unwrap();
        let updates = rule.updates.unwrap();
        if from.starts_with("docker-image://") {
            assert!(updates.attrs.is_none());
            continue;
        }
        // Source rules keep the identifier and pin through attributes only.
        assert_eq!(updates.identifier.as_deref(), Some(from.as_str()));
        by_selector.insert(from, updates.attrs.unwrap());
    }
    assert_eq!(by_selector.len(), lock.sources.len(), "one rule per source");
    // What the frontend asks the policy about for each ADD source of the Dockerfile
    // (client/llb/source.go: the URL for HTTP, git://host/path#ref[:subdir] for git).
    let options = BuildOptions::default();
    let analysis =
        dockerfile::analyze(&fs::read(dir.join("Dockerfile")).unwrap(), &options).unwrap();
    let found = dockerfile_lock::sources::find(&analysis).unwrap();
    assert_eq!(found.len(), 7);
    for s in found {
        let attrs = by_selector
            .get(&s.identifier())
            .unwrap_or_else(|| panic!("no rule for {}", s.identifier()));
        match &lock.sources[&s.url].pin {
            SourcePin::Http { checksum } => {
                assert_eq!(attrs.len(), 1);
                assert_eq!(attrs["http.checksum"], checksum.to_string());
            }
            SourcePin::Git { commit, .. } => {
                assert!(s.identifier().starts_with("git://github.com/org/"));
                assert_eq!(attrs.len(), 2);
                assert_eq!(&attrs["git.checksum"], commit);
                assert_eq!(attrs["git.fetchbycommit"], "true");
            }
        }
    }
}

#[test]
fn a_lock_out_of_date_with_its_dockerfile_is_not_exported() {
    let dir = scratch(FIXTURE);
    let path = dir.path().join("api.Dockerfile");
    let text = fs::read_to_string(&path).unwrap();
    let first = text
        .lines()
        .find(|l| l.starts_with("FROM "))
        .unwrap()
        .to_string();
    fs::write(
        &path,
        text.replacen(&first, "FROM debian:bookworm-slim AS moved", 1),
    )
    .unwrap();
    bin(dir.path())
        .args(["export", "--format", "build-contexts", "api.Dockerfile"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("missing-lock-entry"))
        .stderr(predicate::str::contains("--no-verify"));
    bin(dir.path())
        .args([
            "export",
            "--format",
            "build-contexts",
            "--no-verify",
            "api.Dockerfile",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--build-context"));
}

#[test]
fn compose_format_of_a_dockerfile_is_an_error() {
    let dir = scratch(FIXTURE);
    bin(dir.path())
        .args(["export", "--format", "compose", "api.Dockerfile"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("is not a compose file"))
        .stderr(predicate::str::contains("--format build-contexts"));
}
