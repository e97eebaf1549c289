//! Which `ADD` sources are fetched, read through the library as `sources` reads them:
//! ARG and ENV expansion in the stage's scope, spans of literal text, JSON form,
//! `--checksum`, `--target`, and what BuildKit reads as a local path.

mod lock_support;

use dockerfile_lock::dockerfile::{analyze, BuildOptions};
use dockerfile_lock::sources::{find, Kind, RemoteSource};
use lock_support::bin;

fn found(src: &str, options: &BuildOptions) -> Vec<RemoteSource> {
    find(&analyze(src.as_bytes(), options).unwrap()).unwrap()
}

#[test]
fn remote_sources_with_their_expansion_and_spans() {
    let src = "ARG G=global\n\
               FROM scratch AS one\n\
               ARG V=1.2\n\
               ENV HOST=example.org\n\
               ADD https://${HOST}/tool-${V}.tgz /opt/\n\
               ADD --chmod=644 https://example.org/a.txt \\\n    ./local https://example.org/b.txt /dst/\n\
               ADD [\"https://example.org/json form.txt\", \"/j\"]\n\
               ADD https://example.org/${G}.bin github.com/org/repo /g/\n\
               ADD git@github.com:org/x.git#v1 /x\n";
    let got = found(src, &BuildOptions::default());
    let urls: Vec<&str> = got.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://example.org/tool-1.2.tgz",
            "https://example.org/a.txt",
            "https://example.org/b.txt",
            "https://example.org/json form.txt",
            "https://example.org/.bin",
            "git@github.com:org/x.git#v1",
        ],
        "global ARGs are not visible in a stage; github.com/… without a scheme is local"
    );
    assert_eq!(got[0].add.span, None, "built from variables");
    assert_eq!(got[0].add.raw, "https://${HOST}/tool-${V}.tgz");
    let b = &got[2];
    assert_eq!(
        &src[b.add.span.clone().unwrap()],
        "https://example.org/b.txt"
    );
    assert_eq!((b.add.line, b.add.siblings), (6, 3));
    assert_eq!(got[3].add.span, None, "JSON form");
    assert_eq!(got[5].add.stage.as_deref(), Some("one"));
    assert!(matches!(&got[5].kind, Kind::Git(g) if g.git_ref == "v1"));
    let at = got[1].add.flags_at.unwrap();
    assert_eq!(&src[at - 3..at], "ADD");
}

#[test]
fn build_args_and_targets_choose_what_is_fetched() {
    let src = "FROM scratch AS a\nARG REF=v1\nADD https://h/r.git#${REF} /r\n\
               FROM scratch AS b\nADD --checksum=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef https://h/b.bin /b\nCOPY --from=a / /\n";
    let mut options = BuildOptions::default();
    options.build_args.insert("REF".into(), "v2".into());
    let all = found(src, &options);
    assert_eq!(all[0].url, "https://h/r.git#v2");
    assert_eq!(all[1].pinned.as_deref().map(|p| &p[..7]), Some("sha256:"));
    assert!(all[1].add.checksum_span.is_some());
    options.target = Some("a".into());
    assert_eq!(found(src, &options).len(), 1);
}

#[test]
fn sources_buildkit_rejects_are_errors_on_their_line() {
    for (src, want) in [
        (
            "FROM scratch\nADD https://h/r.git?ref=a#b /x\n",
            "ref conflicts",
        ),
        (
            "FROM scratch\nADD --checksum=abc https://h/r.git?checksum=def /x\n",
            "checksum mismatch",
        ),
        (
            "FROM scratch\nADD --checksum=md5:x https://h/a /x\n",
            "invalid --checksum",
        ),
    ] {
        let analysis = analyze(src.as_bytes(), &BuildOptions::default()).unwrap();
        let e = find(&analysis).unwrap_err();
        assert_eq!(e.line, 2, "{src}");
        assert!(e.message.contains(want), "{src}: {}", e.message);
    }
}

#[test]
fn the_sources_command_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch AS s\nADD https://u:secret@example.org/a.txt /a\nADD git://h/r.git#v1:sub /r\nADD local /l\n",
    )
    .unwrap();
    bin(dir.path()).arg("sources").assert().code(0).stdout(
        "LOCATION      KIND  STAGE  URL                            PINNED\n\
         Dockerfile:2  http  s      https://***@example.org/a.txt  -\n\
         Dockerfile:3  git   s      git://h/r.git#v1:sub           -\n",
    );
    let out = bin(dir.path())
        .args(["sources", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[1]["identifier"], "git://h/r.git#v1:sub");
    assert_eq!(v[1]["ref"], "v1");
    assert_eq!(v[0]["kind"], "http");
    assert!(!String::from_utf8_lossy(&out).contains("secret"));
    // `images --format json` is unchanged by sources.
    let images = bin(dir.path())
        .args(["images", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8_lossy(&images), "[]\n");
}
