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
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Compare our parser with BuildKit's on `files`; returns how many instructions agreed.
fn compare(files: &[PathBuf]) -> usize {
    let theirs = buildkit(files);
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
                b["cmd"].as_str().unwrap_or("").to_string(),
                o.keyword.to_string(),
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
            let flags: Vec<String> = o.flags.iter().map(|f| f.text.to_string()).collect();
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
                let args: Vec<String> = o.fields.iter().map(|f| f.text.to_string()).collect();
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
    compared
}

#[test]
fn instructions_match_buildkit_on_every_fixture() {
    let compared = compare(&fixtures());
    assert!(compared >= 100, "only {compared} instructions compared");
}

/// Fragments for generated files: the lexer's corners (continuations, comments inside
/// them, escapes, heredocs, directives, CR, BOM, quotes in flags). No `# check=`: the
/// BuildKit inside `dockerfile` 3.4.0 predates that directive and reads it as a comment
/// that ends the directives, where current BuildKit (and we) keep reading.
const PIECES: &[&str] = &[
    "FROM ",
    "from ",
    "RUN ",
    "COPY ",
    "ARG ",
    "ONBUILD ",
    "LABEL a=b ",
    " AS ",
    "alpine",
    "x",
    "--from=",
    "--platform=",
    "--mount=type=cache,target=/c ",
    "--link ",
    "-- ",
    "\"q w\"",
    "'s'",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\r",
    " ",
    "  ",
    "\t",
    "\\",
    "\\\n",
    "\\ \n",
    "\\\\\n",
    "`",
    "`\n",
    "# c\n",
    "  # c\n",
    "\n\n",
    "<<EOF",
    "<<-EOF",
    "<<'EOF'",
    "EOF\n",
    "\tEOF\n",
    "# escape=`\n",
    "# syntax=a/b\n",
    "# other=1\n",
    "=",
    "$V",
    "${V:-d}",
    "[\"a\"]",
];

#[test]
fn generated_files_match_buildkit() {
    // A fixed seed keeps failures reproducible; the files are written to a temp dir.
    let dir = tempfile::tempdir().unwrap();
    // Set DOCKERFILE_LOCK_DIFF_DIR to keep the generated files for a look.
    let keep = std::env::var_os("DOCKERFILE_LOCK_DIFF_DIR").map(PathBuf::from);
    let base = keep.clone().unwrap_or_else(|| dir.path().to_path_buf());
    // DOCKERFILE_LOCK_DIFF_SEED explores other inputs.
    let mut seed: u64 = std::env::var("DOCKERFILE_LOCK_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_f491_4f6c_dd1d);
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut files = Vec::new();
    for i in 0..400 {
        let mut text = String::new();
        if i % 7 == 0 {
            text.push('\u{feff}');
        }
        let n = 5 + next() % 60;
        for _ in 0..n {
            text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        let path = base.join(format!("gen{i:03}.Dockerfile"));
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    let compared = compare(&files);
    assert!(compared >= 1000, "only {compared} instructions compared");
}
