//! End-to-end: `dockerfile-lock images --format json` on every fixture in
//! `testdata/dockerfiles/`, compared byte for byte with the reviewed expectations beside it.
//!
//! For `NAME.Dockerfile`: `NAME.args` (optional) holds extra arguments, one per line;
//! `NAME.json` is the expected stdout of a success (exit 0); `NAME.stderr` the expected
//! stderr (warnings on success; the error on failure, which must exit 2 with empty stdout).
//! Run with `DOCKERFILE_LOCK_BLESS=1` to rewrite the expectations, then review the diff.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles");
    let mut v: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("testdata/dockerfiles")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    v.sort();
    v
}

fn sibling(p: &Path, ext: &str) -> PathBuf {
    p.with_extension(ext)
}

fn run_fixture(p: &Path) -> (i32, String, String) {
    let name = p.file_name().unwrap().to_str().unwrap();
    let mut args = vec!["images".to_string(), "--format".into(), "json".into()];
    if let Ok(extra) = fs::read_to_string(sibling(p, "args")) {
        args.extend(extra.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    args.push(name.to_string());
    let out = Command::cargo_bin("dockerfile-lock")
        .unwrap()
        .current_dir(p.parent().unwrap())
        .env_remove("NO_COLOR")
        .args(&args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn every_fixture_matches_its_expectation() {
    let bless = std::env::var_os("DOCKERFILE_LOCK_BLESS").is_some();
    let all = fixtures();
    assert!(all.len() >= 30, "only {} fixtures", all.len());
    let mut failures = Vec::new();
    for p in &all {
        let (code, stdout, stderr) = run_fixture(p);
        let json = sibling(p, "json");
        let err = sibling(p, "stderr");
        if bless {
            let _ = fs::remove_file(&json);
            let _ = fs::remove_file(&err);
            if code == 0 {
                fs::write(&json, &stdout).unwrap();
            }
            if !stderr.is_empty() {
                fs::write(&err, &stderr).unwrap();
            }
            continue;
        }
        let want_err = fs::read_to_string(&err).unwrap_or_default();
        let name = p.file_name().unwrap().to_string_lossy();
        match fs::read_to_string(&json) {
            Ok(want) => {
                if code != 0 || stdout != want || stderr != want_err {
                    failures.push(format!(
                        "{name}: exit {code}\n--- stdout\n{stdout}--- want\n{want}--- stderr\n{stderr}--- want\n{want_err}"
                    ));
                }
            }
            Err(_) => {
                if code != 2 || !stdout.is_empty() || stderr != want_err || want_err.is_empty() {
                    failures.push(format!(
                        "{name}: exit {code} (want 2)\n--- stdout\n{stdout}--- stderr\n{stderr}--- want\n{want_err}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn spans_cover_exactly_the_reference_text() {
    // The library's spans are what `rewrite` splices into; check them on every fixture
    // that analyses cleanly, BOM and CRLF files included.
    let options = dockerfile_lock::dockerfile::BuildOptions::default();
    let mut checked = 0;
    for p in fixtures() {
        let src = fs::read(&p).unwrap();
        let Ok(a) = dockerfile_lock::dockerfile::analyze(&src, &options) else {
            continue;
        };
        for u in &a.images {
            if let Some(span) = &u.span {
                assert_eq!(
                    &src[span.clone()],
                    u.raw.as_bytes(),
                    "{}:{}",
                    p.display(),
                    u.line
                );
                assert_eq!(u.raw, u.reference);
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "only {checked} spans checked");
}
