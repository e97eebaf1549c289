//! Bad input never panics: property tests and stress inputs for every parser that reads
//! something a user or a registry hands us — image references, Dockerfiles (with ARG
//! expansion), lockfiles, `WWW-Authenticate` challenges, manifests and token replies.
//!
//! Each parser must give a clear error or a correct result. The stress inputs run through
//! the built binary under a 1 GiB address-space limit: exit 0 with the right images, or
//! exit 2 with `error:` and a `--> FILE:LINE` pointer; never a panic or a stack overflow.
//! The parser's own `tests/images_proptest.rs` (random bytes, token soup) and
//! `images_stress.rs` (the library on huge inputs) come first; these add mutated fixtures,
//! the other parsers, and the stress inputs through the CLI with exit codes and limits.

mod hardening_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dockerfile_lock::dockerfile::{self, BuildOptions};
use dockerfile_lock::lockfile;
use dockerfile_lock::reference::{Digest, ImageRef};
use dockerfile_lock::registry::{manifest, parse_challenge, parse_token_response};
use hardening_common::{bin, Record};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CASES: u32 = 2000;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn fixtures(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(ext) {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no {ext} fixtures under {dir}");
    out
}

/// A fixture with random byte-level edits: flips, inserts of syntax-laden bytes, deletes,
/// and duplicated slices (which make unbalanced quotes, braces and heredocs).
fn mutated(corpus: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = corpus.len();
    const SPICE: &[u8] = b"$\\{}:-+?\"'`\n\r\t #=@/<>[],\xff\xc3\x00";
    (
        0..n,
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..12),
    )
        .prop_map(move |(i, edits)| {
            let mut b = corpus[i].clone();
            for (at, op, byte) in edits {
                let len = b.len().max(1);
                let p = at.index(len).min(b.len());
                match op {
                    0 => {
                        if p < b.len() {
                            b[p] = byte
                        }
                    }
                    1 => b.insert(p, SPICE[usize::from(byte) % SPICE.len()]),
                    2 => {
                        if p < b.len() {
                            b.remove(p);
                        }
                    }
                    _ => {
                        let end = (p + usize::from(byte)).min(b.len());
                        let slice = b[p..end].to_vec();
                        b.splice(p..p, slice);
                    }
                }
            }
            b
        })
}

fn check_analyze(bytes: &[u8]) {
    let options = BuildOptions {
        build_args: BTreeMap::from([("A".into(), "alpine".into())]),
        ..BuildOptions::default()
    };
    if let Err(e) = dockerfile::analyze(bytes, &options) {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        assert!(!e.message.is_empty());
        assert!(e.line >= 1 && e.line <= lines, "line {} of {lines}", e.line);
    }
}

#[test]
fn dockerfile_parser_never_panics_on_mutated_fixtures() {
    // Random bytes and token soup are `tests/images_proptest.rs`'s; this adds real
    // Dockerfiles with random edits, which reach deeper into stages and expansion.
    let mut rec = Record::new(
        "parsers",
        "Dockerfile parser + ARG expansion: mutated fixtures (testdata/dockerfiles)",
    );
    let corpus = fixtures("testdata/dockerfiles", ".Dockerfile");
    let mut r = runner(CASES * 3);
    r.run(&mutated(corpus), |b| {
        rec.tried();
        check_analyze(&b);
        Ok(())
    })
    .unwrap();
    rec.outcome("no panic; every error has a line within the file");
}

#[test]
fn reference_parser_never_panics_and_round_trips() {
    let mut rec = Record::new(
        "parsers",
        "image reference parser: random strings and reference-shaped strings",
    );
    let shaped = "[a-zA-Z0-9._:/@-]{0,40}(@sha256:[0-9a-f]{0,70})?";
    let mut r = runner(CASES);
    let check = |s: &str| {
        if let Ok(image) = ImageRef::parse(s) {
            // Display normalizes (`:latest` added); normalizing again changes nothing.
            let again = ImageRef::parse(&image.to_string()).expect("Display output parses");
            assert_eq!(again.to_string(), image.to_string(), "{s}");
            assert_eq!(again.domain(), image.domain(), "{s}");
            assert_eq!(again.repository(), image.repository(), "{s}");
        }
        let _ = s.parse::<Digest>();
    };
    r.run(&any::<String>(), |s| {
        rec.tried();
        check(&s);
        Ok(())
    })
    .unwrap();
    r.run(&shaped, |s| {
        rec.tried();
        check(&s);
        Ok(())
    })
    .unwrap();
    rec.outcome("no panic; every accepted reference's Display re-parses to the same reference");
}

#[test]
fn lockfile_reader_never_panics() {
    let mut rec = Record::new(
        "parsers",
        "lockfile reader: random bytes, YAML soup, mutated locks",
    );
    let corpus = fixtures("testdata/rewrite", ".lock");
    let path = PathBuf::from("Dockerfile.lock");
    let check = |b: &[u8]| match lockfile::parse(b, &path) {
        Ok(lock) => {
            // What was read encodes, and reads back the same.
            let text = lockfile::encode(&lock).expect("a read lock encodes");
            assert_eq!(lockfile::parse(text.as_bytes(), &path).unwrap(), lock);
        }
        Err(e) => {
            let d = e.to_diagnostic().render("error", false);
            assert!(d.contains("Dockerfile.lock"), "{d}");
        }
    };
    let yaml = prop::collection::vec(
        prop::sample::select(vec![
            "version: 1\n",
            "version: 2\n",
            "images:\n",
            "  - ",
            "name: a\n",
            "digest: ",
            "sha256:",
            "reference: docker.io/library/a:1\n",
            "{",
            "}",
            "[",
            "]",
            "&a ",
            "*a ",
            "<<: ",
            "!!binary ",
            "\"",
            "'",
            ": ",
            "\n",
            "    ",
            "used-by: [{kind: from}]\n",
            "platforms: {linux/amd64: x}\n",
            "? ",
            "|\n",
            ">-\n",
            "---\n",
            "...\n",
            "\t",
        ]),
        0..40,
    )
    .prop_map(|t| t.concat().into_bytes());
    let mut r = runner(CASES);
    r.run(&prop::collection::vec(any::<u8>(), 0..512), |b| {
        rec.tried();
        check(&b);
        Ok(())
    })
    .unwrap();
    r.run(&yaml, |b| {
        rec.tried();
        check(&b);
        Ok(())
    })
    .unwrap();
    r.run(&mutated(corpus), |b| {
        rec.tried();
        check(&b);
        Ok(())
    })
    .unwrap();
    rec.outcome("no panic; errors name the file; what is read re-encodes to itself");
}

#[test]
fn lockfile_reader_survives_deep_nesting_and_alias_bombs() {
    let mut rec = Record::new(
        "parsers",
        "lockfile reader: 100,000-deep YAML nesting, alias bomb, 10 MB lock",
    );
    let path = PathBuf::from("Dockerfile.lock");
    let deep = format!(
        "version: 1\nimages: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let bomb = {
        let mut s = String::from("version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            let p = i - 1;
            s.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        s
    };
    let big = {
        let mut s = String::from("version: 1\ndockerfile: Dockerfile\nimages:\n");
        let digest = format!("sha256:{}", "a".repeat(64));
        let mut i = 0;
        while s.len() < 10 << 20 {
            s.push_str(&format!("  - name: img{i}:1\n    reference: docker.io/library/img{i}:1\n    digest: {digest}\n    used-by:\n      - {{kind: from}}\n"));
            i += 1;
        }
        s
    };
    for input in [deep, bomb, big] {
        rec.tried();
        let input = input.into_bytes();
        let p = path.clone();
        // A 2 MiB stack, as any thread of the binary could have: an overflow aborts the test.
        let result = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                lockfile::parse(&input, &p)
                    .map(|l| l.images.len())
                    .map_err(|e| e.to_string())
            })
            .unwrap()
            .join()
            .expect("no panic");
        if let Err(e) = result {
            assert!(e.contains("Dockerfile.lock"), "{e}");
        }
    }
    rec.outcome("clear error or correct result; no stack overflow in a 2 MiB stack");
}

#[test]
fn www_authenticate_parser_never_panics() {
    let mut rec = Record::new(
        "parsers",
        "WWW-Authenticate challenge parser: random and challenge-shaped headers",
    );
    let shaped = prop::collection::vec(
        prop::sample::select(vec![
            "Bearer ",
            "Basic ",
            "bearer",
            "realm=",
            "service=",
            "scope=",
            "\"",
            "\\",
            ",",
            " ",
            "https://a/t",
            "=",
            "é",
            "\u{0}",
            "Negotiate",
            "error=\"insufficient_scope\"",
        ]),
        0..30,
    )
    .prop_map(|t| t.concat());
    let mut r = runner(CASES * 2);
    r.run(&any::<String>(), |s| {
        rec.tried();
        let _ = parse_challenge(&s);
        Ok(())
    })
    .unwrap();
    r.run(&shaped, |s| {
        rec.tried();
        let _ = parse_challenge(&s);
        Ok(())
    })
    .unwrap();
    rec.add(1);
    let long = format!("Bearer realm=\"{}", "\\\"".repeat(1 << 20));
    assert_eq!(parse_challenge(&long), None, "unterminated quote");
    rec.outcome("no panic; unterminated quotes are rejected");
}

fn check_manifest(b: &[u8]) {
    let _ = manifest::declared_media_type(b);
    let _ = manifest::platforms_of(b);
    let _ = manifest::config_platform(b);
}

#[test]
fn manifest_and_token_parsers_never_panic() {
    let mut rec = Record::new("parsers", "manifest / index / image-config / token JSON parsers: random bytes, JSON soup, 100,000-deep nesting");
    let json = prop::collection::vec(
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"mediaType\"",
            "\"manifests\"",
            "\"config\"",
            "\"digest\"",
            "\"platform\"",
            "\"os\"",
            "\"architecture\"",
            "\"variant\"",
            "\"schemaVersion\"",
            "\"token\"",
            "\"access_token\"",
            "\"expires_in\"",
            "2",
            "-1",
            "1e999",
            "18446744073709551616",
            "null",
            "true",
            "\"linux\"",
            "\"amd64\"",
            "\"sha256:abc\"",
            "\"\\ud800\"",
            "\"application/vnd.oci.image.index.v1+json\"",
        ]),
        0..50,
    )
    .prop_map(|t| t.concat().into_bytes());
    let mut r = runner(CASES);
    r.run(&prop::collection::vec(any::<u8>(), 0..512), |b| {
        rec.tried();
        check_manifest(&b);
        let _ = parse_token_response(&b);
        Ok(())
    })
    .unwrap();
    r.run(&json, |b| {
        rec.tried();
        check_manifest(&b);
        let _ = parse_token_response(&b);
        Ok(())
    })
    .unwrap();
    for deep in [
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("{{\"manifests\":{}", "[{\"platform\":".repeat(50_000)),
        format!("{{\"token\":{}}}", "{\"a\":".repeat(100_000)),
    ] {
        rec.tried();
        check_manifest(deep.as_bytes());
        assert!(parse_token_response(deep.as_bytes()).is_err());
    }
    rec.add(3);
    assert_eq!(
        parse_token_response(br#"{"token":"t","expires_in":18446744073709551615}"#).map(|(t, _)| t),
        Ok("t".to_string())
    );
    assert!(parse_token_response(br#"{"token":""}"#).is_err());
    assert!(parse_token_response(br#"{"expires_in":1}"#).is_err());
    rec.outcome("no panic; deep nesting is an error, not a stack overflow");
}

/// Run the binary on `args` under a 1 GiB address-space limit; (exit code, stdout, stderr).
fn run_limited(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null());
    let start = Instant::now();
    let out = cmd.output().unwrap();
    // Generous: this fails only on a hang, never on a slow machine.
    assert!(
        start.elapsed() < Duration::from_secs(300),
        "hung on {args:?}"
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Exit 2 with `error:` and `--> FILE:LINE`, the message under 4 KiB; or exit 0.
fn assert_clean(code: i32, stderr: &str, file: &str) {
    assert!(!stderr.contains("panicked"), "{stderr}");
    match code {
        0 => {}
        2 => {
            assert!(stderr.starts_with("error: "), "{stderr}");
            assert!(stderr.contains(&format!("--> {file}:")), "{stderr}");
            assert!(stderr.len() < 4096, "error of {} bytes", stderr.len());
        }
        _ => panic!("exit {code}: {stderr}"),
    }
}

#[test]
fn stress_inputs_through_the_cli() {
    let mut rec = Record::new("parsers", "CLI `images` on stress Dockerfiles: 10 MB, 100,000 continued lines, 10,000 stages, 10,000-deep ${A:-${B:-…}}, invalid UTF-8, NUL bytes, 1 GiB address-space limit");
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes).unwrap();

    let mut big = String::from("FROM alpine:3.20\n");
    while big.len() < 10 << 20 {
        big.push_str(
            "RUN echo 0123456789012345678901234567890123456789012345678901234567890123456789\n",
        );
    }
    big.push_str("FROM node:18\nCOPY --from=0 / /\n");
    write("big.Dockerfile", big.as_bytes());

    let mut cont = String::from("FROM alpine:3.20\nRUN echo \\\n");
    for _ in 0..100_000 {
        cont.push_str("  word \\\n");
    }
    cont.push_str("  end\nFROM \\\n  node:18\nCOPY --from=0 / /\n");
    write("cont.Dockerfile", cont.as_bytes());

    let stages: String = (0..10_000)
        .map(|i| {
            if i == 0 {
                "FROM alpine:3.20 AS s0\n".to_string()
            } else {
                format!("FROM s{} AS s{i}\nCOPY --from=s{} /a /b\n", i - 1, i / 2)
            }
        })
        .collect();
    write("stages.Dockerfile", stages.as_bytes());

    let depth = 10_000;
    let mut nested = String::from("ARG A0\nFROM ");
    for i in 0..depth {
        nested.push_str(&format!("${{A{i}:-"));
    }
    nested.push_str("alpine");
    nested.push_str(&"}".repeat(depth));
    nested.push('\n');
    write("nested.Dockerfile", nested.as_bytes());

    let shallow = "ARG A\nFROM ${A:-${B:-${C:-${D:-${E:-alpine:3.20}}}}}\n";
    write("shallow.Dockerfile", shallow.as_bytes());
    write(
        "utf8.Dockerfile",
        b"FROM alpine:3.20\nRUN echo \xff\xfe\nFROM no\xffde:18\n",
    );
    write("nul.Dockerfile", b"FROM alpine:3.20\x00\n");
    write(
        "heredoc.Dockerfile",
        format!("FROM alpine\nRUN <<EOF\n{}", "x\n".repeat(200_000)).as_bytes(),
    );

    let expect: &[(&str, Option<&[&str]>)] = &[
        ("big.Dockerfile", Some(&["alpine:3.20", "node:18"])),
        ("cont.Dockerfile", Some(&["alpine:3.20", "node:18"])),
        ("stages.Dockerfile", Some(&["alpine:3.20"])),
        ("nested.Dockerfile", None),
        ("shallow.Dockerfile", Some(&["alpine:3.20"])),
        ("utf8.Dockerfile", None),
        ("nul.Dockerfile", None),
        ("heredoc.Dockerfile", None),
    ];
    for (file, want) in expect {
        rec.tried();
        let (code, stdout, stderr) = run_limited(dir.path(), &["images", "--format", "json", file]);
        assert_clean(code, &stderr, file);
        if let Some(want) = want {
            assert_eq!(code, 0, "{file}: {stderr}");
            let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            let mut got: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["reference"].as_str().unwrap().to_string())
                .collect();
            got.dedup();
            assert_eq!(got, *want, "{file}");
        }
    }
    let (code, _, stderr) = run_limited(dir.path(), &["images", "nested.Dockerfile"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nested more than"), "{stderr}");
    let (code, _, stderr) = run_limited(dir.path(), &["images", "utf8.Dockerfile"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--> utf8.Dockerfile:3"), "{stderr}");
    rec.outcome("correct images (exit 0) or `error:` + `--> FILE:LINE` (exit 2), errors < 4 KiB");
}

#[test]
fn nested_expansion_has_no_stack_overflow_in_a_small_stack() {
    let mut rec = Record::new(
        "parsers",
        "ARG expansion nested 1,000,000 deep in a 256 KiB stack (library)",
    );
    for depth in [40usize, 1000, 1_000_000] {
        rec.tried();
        let mut s = String::from("FROM ");
        for _ in 0..depth {
            s.push_str("${A:-");
        }
        s.push('x');
        s.push_str(&"}".repeat(depth));
        let r = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || dockerfile::analyze(s.as_bytes(), &BuildOptions::default()).map(|_| ()))
            .unwrap()
            .join()
            .expect("no panic");
        let e = r.unwrap_err();
        assert!(
            e.message.contains("nested more than"),
            "{}",
            &e.message[..200.min(e.message.len())]
        );
    }
    rec.outcome("clear error (nested more than 32 levels)");
}

#[test]
fn a_name_too_long_once_normalized_is_refused() {
    // Regression (cargo fuzz `reference`): a 250-character familiar name was accepted, but
    // its normalized form `docker.io/library/NAME` is past distribution's 255 limit, so
    // the lock would hold a reference docker itself refuses.
    let mut rec = Record::new(
        "parsers",
        "reference names at the 255-character limit, familiar and normalized (fuzz regression)",
    );
    for n in [200usize, 236, 237, 250, 255, 256] {
        rec.tried();
        let name = "a".repeat(n);
        let parsed = ImageRef::parse(&name);
        let normalized_len = "docker.io/library/".len() + n;
        assert_eq!(parsed.is_ok(), normalized_len <= 255, "{n}");
        if let Ok(r) = parsed {
            assert!(ImageRef::parse(&r.to_string()).is_ok());
        }
    }
    rec.outcome("refused past 255 characters normalized; accepted names re-parse");
}
