//! Encoding and strict decoding of `Dockerfile.lock`.

use super::*;

const A: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const B: &str = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

fn digest(s: &str) -> Digest {
    s.parse().unwrap()
}

fn sample() -> Lock {
    let mut images = BTreeMap::new();
    let golang = ImageRef::parse("golang:1.22").unwrap();
    images.insert(
        Key::for_use(&golang),
        Entry {
            name: "golang:1.22".into(),
            digest: digest(A),
            media_type: Some("application/vnd.oci.image.index.v1+json".into()),
            platforms: [("linux/amd64".to_string(), digest(B))].into(),
            used_by: [Use {
                kind: UseKind::From,
                by: None,
                dockerfile: None,
                stage: Some("build".into()),
            }]
            .into(),
        },
    );
    let only = ImageRef::parse(&format!("alpine@{B}")).unwrap();
    images.insert(
        Key::for_use(&only),
        Entry {
            name: "alpine".into(),
            digest: digest(B),
            media_type: None,
            platforms: BTreeMap::new(),
            used_by: [
                Use {
                    kind: UseKind::CopyFrom,
                    by: None,
                    dockerfile: None,
                    stage: None,
                },
                Use {
                    kind: UseKind::From,
                    by: None,
                    dockerfile: None,
                    stage: None,
                },
            ]
            .into(),
        },
    );
    Lock {
        dockerfile: "Dockerfile".into(),
        build_args: [("GO_VERSION".to_string(), "1.22".to_string())].into(),
        images,
        ..Lock::default()
    }
}

#[test]
fn encodes_in_the_documented_shape() {
    let text = encode(&sample()).unwrap();
    let want = format!(
        "{HEADER}
version: 1
dockerfile: Dockerfile
build-args:
  GO_VERSION: \"1.22\"
images:
  - name: alpine
    reference: docker.io/library/alpine
    digest: {B}
    used-by:
      - {{kind: from}}
      - {{kind: copy-from}}
  - name: golang:1.22
    reference: docker.io/library/golang:1.22
    digest: {A}
    media-type: application/vnd.oci.image.index.v1+json
    platforms:
      linux/amd64: {B}
    used-by:
      - {{kind: from, stage: build}}
"
    );
    assert_eq!(text, want);
}

#[test]
fn round_trips() {
    let lock = sample();
    let text = encode(&lock).unwrap();
    assert_eq!(parse(text.as_bytes(), Path::new("x.lock")).unwrap(), lock);
}

#[test]
fn yaml_1_1_booleans_stay_strings() {
    let mut lock = sample();
    lock.build_args.insert("FLAG".into(), "on".into());
    lock.build_args.insert("N".into(), "no".into());
    let text = encode(&lock).unwrap();
    assert!(
        text.contains("FLAG: 'on'") || text.contains("FLAG: \"on\""),
        "{text}"
    );
    assert_eq!(parse(text.as_bytes(), Path::new("x.lock")).unwrap(), lock);
}

fn error_of(text: &str) -> (String, Option<usize>) {
    let e = parse(text.as_bytes(), Path::new("sub/Dockerfile.lock")).unwrap_err();
    let d = e.to_diagnostic();
    assert_eq!(d.path.as_deref(), Some(Path::new("sub/Dockerfile.lock")));
    (d.message, d.line)
}

#[test]
fn strict_reading_names_the_line() {
    let good = encode(&sample()).unwrap();
    // Line numbers below count the header comment as line 1.
    let cases: Vec<(String, &str, usize)> = vec![
        (
            good.replace("version: 1", "version: 2"),
            "lockfile version 2",
            2,
        ),
        (
            good.replace(&format!("digest: {A}"), "digest: sha256:abc"),
            "digest has 3 hex characters",
            15,
        ),
        (
            good.replace(
                "reference: docker.io/library/golang:1.22",
                "reference: golang:1.22",
            ),
            "not normalized",
            14,
        ),
        (
            good.replace("name: golang:1.22", "name: golang:1.21"),
            "does not match",
            13,
        ),
        (
            good.replace(
                "used-by:\n      - {kind: from, stage",
                "used-by:\n      - {kind: run, stage",
            ),
            "run",
            20,
        ),
        (good.replace("media-type:", "mediaType:"), "mediaType", 16),
        (good.replace("images:\n", "images:\n  - [\n"), "", 8),
    ];
    for (text, needle, line) in cases {
        let (message, got) = error_of(&text);
        assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        assert_eq!(got, Some(line), "{message}");
    }
}

#[test]
fn duplicates_and_digests_in_names_are_rejected() {
    let good = encode(&sample()).unwrap();
    let golang = good.split("  - name: golang").nth(1).unwrap();
    let twice = format!("{good}  - name: golang{golang}");
    assert!(error_of(&twice).0.contains("locked twice"));
    let pinned = good.replace("name: golang:1.22", &format!("name: golang:1.22@{A}"));
    assert!(error_of(&pinned).0.contains("carries a digest"));
    assert!(error_of("dockerfile: x\n").0.contains("no `version`"));
    assert!(error_of("\u{0}\u{ff}").1.is_some());
}

#[test]
fn keys_follow_the_dockerfile_spelling() {
    let pinned = ImageRef::parse(&format!("alpine:3.20@{A}")).unwrap();
    assert_eq!(
        Key::for_use(&pinned),
        Key {
            reference: "docker.io/library/alpine:3.20".into(),
            pinned: None
        }
    );
    let untagged = ImageRef::parse("alpine").unwrap();
    assert_eq!(
        Key::for_use(&untagged).reference,
        "docker.io/library/alpine:latest"
    );
    let only = ImageRef::parse(&format!("alpine@{A}")).unwrap();
    let key = Key::for_use(&only);
    assert!(!key.is_tag());
    assert_eq!(key.image().unwrap(), only);
}

#[test]
fn the_fast_reader_accepts_exactly_what_encode_writes() {
    let mut lock = sample();
    lock.build_args.insert("FLAG".into(), "on".into());
    let text = encode(&lock).unwrap();
    assert_eq!(fast::read(&text), Some(lock.clone()));
    let empty = encode(&Lock::default()).unwrap();
    assert_eq!(fast::read(&empty), Some(Lock::default()));
    // Anything else goes to the full parser, which reads the same lock or says why not.
    for edited in [
        text.replace("name: alpine", "name: 'alpine'"),
        text.replace("    digest:", "    digest:  "),
        text.replacen('\n', "\n\n", 3),
        format!("{text}# trailing comment\n"),
        text.replace("version: 1", "version: 2"),
        text.replace(HEADER, "# edited by hand"),
    ] {
        assert_eq!(fast::read(&edited), None, "{edited}");
        if let Ok(slow) = parse(edited.as_bytes(), Path::new("x.lock")) {
            assert_eq!(slow, lock);
        }
    }
}
