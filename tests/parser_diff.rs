//! Differential test against BuildKit's own parser, through the PyPI package `dockerfile`
//! (3.4.0, which embeds moby/buildkit's `frontend/dockerfile/parser`): on every fixture,
//! instruction boundaries, keywords, ONBUILD triggers, flag values and FROM arguments must
//! agree with ours, and a file BuildKit's parser rejects must be rejected by us too.
//!
//! CI installs the package (`pip install dockerfile==3.4.0`); without it this test fails
//! with a message saying so, rather than passing without checking anything.

use std::path::{Path, PathBuf};
use std::process::Command;

use dockerfile_lock::dockerfile::{analyze, parse, BuildOptions};
use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/dockerfiles");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    v.sort();
    v
}

/// Run BuildKit's parser (through Python) on all files at once.
fn buildkit(files: &[PathBuf]) -> Vec<Value> {
    let python = std::env::var("DOCKERFILE_LOCK_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/buildkit_parse.py");
    let out = Command::new(&python)
        .arg(script)
        .args(files)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{python}` ({e}): the differential test needs Python 3 with `pip install dockerfile==3.4.0`")
        });
    assert!(
        out.status.success(),
        "BuildKit's parser could not be run (is `dockerfile` 3.4.0 installed? `pip install dockerfile==3.4.0`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn instructions_match_buildkit_on_every_fixture() {
    let files = fixtures();
    let theirs = buildkit(&files);
    assert_eq!(theirs.len(), files.len());
    let mut compared = 0;
    let mut problems = Vec::new();
    for (path, bk) in files.iter().zip(&theirs) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read(path).unwrap();
        if let Some(e) = bk["error"].as_str() {
            // BuildKit's parser rejects it: so must we (in parsing or in analysis).
            if analyze(&src, &BuildOptions::default()).is_ok() {
                problems.push(format!("{name}: BuildKit says `{e}`, we accept it"));
            }
            continue;
        }
        let ours = match parse(&src) {
            Ok(df) => df,
            Err(e) => {
                problems.push(format!(
                    "{name}: BuildKit parses it, we fail: {}",
                    e.message
                ));
                continue;
            }
        };
        let bk_ins = bk["instructions"].as_array().unwrap();
        if bk_ins.len() != ours.instructions.len() {
            problems.push(format!(
                "{name}: {} instructions from BuildKit, {} from us",
                bk_ins.len(),
                ours.instructions.len()
            ));
            continue;
        }
        for (b, o) in bk_ins.iter().zip(&ours.instructions) {
            let at = format!("{name}:{}", o.start_line);
            let mut check = |what: &str, theirs: String, ours: String| {
                if theirs != ours {
                    problems.push(format!("{at}: {what}: BuildKit {theirs:?}, ours {ours:?}"));
                }
            };
            check(
                "keyword",
                b["cmd"].as_str().unwrap().to_string(),
                o.keyword.clone(),
            );
            check(
                "start line",
                b["start_line"].to_string(),
                o.start_line.to_string(),
            );
            check(
                "end line",
                b["end_line"].to_string(),
                o.end_line.to_string(),
            );
            let flags: Vec<String> = o.flags.iter().map(|f| f.text.clone()).collect();
            check(
                "flags",
                format!("{:?}", strings(&b["flags"])),
                format!("{flags:?}"),
            );
            let sub = o.trigger.as_ref().map(|t| t.keyword.clone());
            check(
                "ONBUILD trigger",
                format!("{:?}", b["sub_cmd"].as_str()),
                format!("{:?}", sub.as_deref()),
            );
            if o.command() == "from" {
                let args: Vec<String> = o.fields.iter().map(|f| f.text.clone()).collect();
                check(
                    "FROM arguments",
                    format!("{:?}", strings(&b["value"])),
                    format!("{args:?}"),
                );
            }
            compared += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared >= 100, "only {compared} instructions compared");
}
