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

#[path = "parser_diff/oracle.rs"]
mod oracle;

/// A small xorshift generator: a fixed seed keeps failures reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

fn seed() -> u64 {
    std::env::var("DOCKERFILE_LOCK_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
}

/// Pieces of the word inside `${V<op>…}`: literals, wildcards, brackets, every kind of
/// escape, quotes, nested expansions and `$0` (a template in `//`'s replacement).
const ATOMS: &[&str] = &[
    "a",
    "b",
    ".",
    "-",
    "_",
    "ab",
    "*",
    "?",
    "[",
    "]",
    "[.]",
    "\\*",
    "\\?",
    "\\\\",
    "\\.",
    "\\}",
    "\\/",
    "\\a",
    "'a*'",
    "'$0'",
    "\"b?\"",
    "\"\\.\"",
    "\"\\$\"",
    "$SET",
    "${SET}",
    "${UNSET:-a}",
    "${EMPTY:+.}",
    "$0",
    "$",
    "`*",
    "`.",
    "}",
    "/",
];

const OPS: &[&str] = &[
    "", ":-", "-", ":+", "+", "#", "##", "%", "%%", "/", "//", ":?", "?", ":#", ":x",
];

fn gen_inner(rng: &mut Rng, depth: usize) -> String {
    let n = rng.below(4);
    let mut s = String::new();
    for _ in 0..n {
        if depth < 2 && rng.below(8) == 0 {
            s.push_str(&gen_expansion(rng, depth + 1));
        } else {
            s.push_str(rng.pick(ATOMS));
        }
    }
    s
}

fn gen_expansion(rng: &mut Rng, depth: usize) -> String {
    let name = rng.pick(&["SET", "EMPTY", "UNSET", "SET", "0"]);
    match rng.below(10) {
        0 => return format!("${name}"),
        1 => return format!("${{{name}}}"),
        _ => {}
    }
    let op = rng.pick(OPS);
    let mut word = gen_inner(rng, depth);
    if op.starts_with('/') && rng.below(6) != 0 {
        word.push('/');
        word.push_str(&gen_inner(rng, depth));
    }
    // Now and then an unterminated one.
    let close = if rng.below(40) == 0 { "" } else { "}" };
    format!("${{{name}{op}{word}{close}")
}

/// A FROM word: literal text and expansions, sometimes quoted, never blank or split.
fn gen_word(rng: &mut Rng) -> String {
    let mut w = String::new();
    if rng.below(3) == 0 {
        w.push_str(rng.pick(&["busybox:", "t", "a/b:"]));
    }
    for _ in 0..1 + rng.below(2) {
        w.push_str(&gen_expansion(rng, 0));
    }
    match rng.below(8) {
        0 => w = format!("\"{w}\""),
        1 => w = format!("'{w}'"),
        _ => {}
    }
    // Nothing may end the line in an escape (a continuation) or split the word.
    w.push('z');
    w.replace([' ', '\t'], "_")
}

fn gen_value(rng: &mut Rng) -> String {
    let alphabet: &[&str] = &[
        "a", "b", ".", "-", "_", "a.b", "ab", "*", "[", "/", "}", "$", "\\", "0",
    ];
    (0..rng.below(6)).map(|_| rng.pick(alphabet)).collect()
}

/// What the tool says: each use as `kind reference`, or the error's line.
fn tool(src: &str, build_args: &[(&str, &str)]) -> Result<Vec<String>, usize> {
    let options = BuildOptions {
        build_args: build_args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..BuildOptions::default()
    };
    let bytes = src.as_bytes().to_vec();
    let got = std::panic::catch_unwind(move || analyze(&bytes, &options))
        .unwrap_or_else(|_| panic!("the analysis panicked on:\n{src}"));
    got.map(|a| {
        a.images
            .iter()
            .map(|u| format!("{} {}", u.kind.as_str(), u.reference))
            .collect()
    })
    .map_err(|e| e.line)
}

/// Generated `${…}` expansions in FROM, compared with the independent model of BuildKit's
/// lexer (`parser_diff/oracle.rs`): the same image, or an error on the FROM line.
#[test]
fn generated_expansions_match_buildkits_lexer() {
    let mut rng = Rng(seed());
    let total = 6000;
    let mut problems = Vec::new();
    let mut outcomes = [0usize; 2];
    for _ in 0..total {
        let value = gen_value(&mut rng);
        let word = gen_word(&mut rng);
        let backtick = rng.below(5) == 0;
        let (header, escape) = if backtick {
            ("# escape=`\n", '`')
        } else {
            ("", '\\')
        };
        let src = format!("{header}ARG SET\nARG EMPTY\nARG UNSET\nFROM {word}\n");
        let from_line = if backtick { 5 } else { 4 };
        let env: std::collections::HashMap<String, String> =
            [("SET", value.as_str()), ("EMPTY", "")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let want = oracle::process_word(&word, escape, &env);
        let got = tool(&src, &[("SET", &value), ("EMPTY", "")]);
        let agree = match (&want, &got) {
            (Err(_), Err(line)) => *line == from_line,
            (Ok(r), Ok(uses)) if r == "scratch" => uses.is_empty(),
            (Ok(r), Ok(uses)) => uses == &[format!("from {r}")],
            // A blank or invalid reference fails; a valid one must not.
            (Ok(r), Err(line)) => {
                *line == from_line
                    && (r.is_empty() || dockerfile_lock::reference::ImageRef::parse(r).is_err())
            }
            (Err(_), Ok(_)) => false,
        };
        outcomes[usize::from(got.is_err())] += 1;
        if !agree {
            problems.push(format!(
                "SET={value:?}\n{src}BuildKit: {want:?}\nours: {got:?}\n"
            ));
        }
    }
    report("generated Dockerfiles", total, outcomes, &problems, 5);
}

/// Print the counts, check that both outcomes occur (at least 1/`min_built` of the files
/// build, 1/10 are rejected), and fail with the first disagreements.
fn report(what: &str, total: usize, outcomes: [usize; 2], problems: &[String], min_built: usize) {
    eprintln!(
        "{total} {what} ({} built, {} rejected), {} disagreements",
        outcomes[0],
        outcomes[1],
        problems.len()
    );
    assert!(
        outcomes[0] > total / min_built && outcomes[1] > total / 10,
        "{outcomes:?}"
    );
    assert!(
        problems.is_empty(),
        "{}",
        problems
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

const COPY_FLAGS: &[&str] = &[
    "--from=s",
    "--from=img:1",
    "--from=scratch",
    "--from=$X",
    "--from=0",
    "--from=7",
    "--chown=1:1",
    "--chown",
    "--chmod=755",
    "--link",
    "--link=true",
    "--link=FALSE",
    "--link=",
    "--link=maybe",
    "--user=1",
    "--exclude=*.md",
    "--parents",
    "--from",
    "--",
];

const RUN_FLAGS: &[&str] = &[
    "--mount=type=cache,target=/c",
    "--mount=type=bind,from=s,target=/s",
    "--mount=from=img:1,target=/i",
    "--mount=from=$X,target=/x",
    "--mount=type=bind,target",
    "--mount=type=nfs,target=/n",
    "--mount=type=secret,id=a,required",
    "--mount=type=bind,ro,target=/r",
    "--mount=required,type=ssh",
    "--mount=colour=red",
    "--mount=from=scratch,target=/e",
    "--mount=target=${UNSET:?boom}",
    "--mount",
    "--network=none",
    "--network=bridge",
    "--network=host",
    "--security=insecure",
    "--security=x",
    "--device=a",
    "--bogus",
];

const FROM_FLAGS: &[&str] = &[
    "--platform=linux/amd64",
    "--platform",
    "--platform=$BUILDPLATFORM",
    "--foo=1",
];

/// What BuildKit says of the generated file below, from `oracle::bflags` and the rules of
/// `parseMount`, `toCommand` and `detectRunMount` written out here: the images, or the
/// line of the first error (parse errors by line, then the graph's, then dispatch's).
fn expected_flags(from: &[&str], copy: &[&str], run: &[&str]) -> Result<Vec<String>, usize> {
    use oracle::Kind::{Bool, Str, Strs};
    let copy_decl = [
        ("chown", Str),
        ("from", Str),
        ("chmod", Str),
        ("link", Bool),
        ("exclude", Strs),
        ("parents", Bool),
    ];
    let run_decl = [
        ("mount", Strs),
        ("network", Str),
        ("security", Str),
        ("device", Strs),
    ];
    let upto_dashes = |f: &[&str]| -> Vec<String> {
        f.iter()
            .take_while(|f| **f != "--")
            .map(|s| s.to_string())
            .collect()
    };
    let value = |flags: &[String], name: &str| -> Vec<String> {
        flags
            .iter()
            .filter_map(|f| f.strip_prefix(&format!("--{name}=")).map(str::to_string))
            .collect()
    };
    // Parse: line 2 (FROM), 3 (COPY), 4 (RUN).
    oracle::bflags(&[("platform", Str)], from).map_err(|_| 2usize)?;
    oracle::bflags(&copy_decl, copy).map_err(|_| 3usize)?;
    oracle::bflags(&run_decl, run).map_err(|_| 4usize)?;
    let (copy, run) = (upto_dashes(copy), upto_dashes(run));
    let bad_value = |v: &[String], ok: &[&str]| v.iter().any(|v| !ok.contains(&v.as_str()));
    if bad_value(&value(&run, "network"), &["default", "none", "host"])
        || bad_value(&value(&run, "security"), &["sandbox", "insecure"])
    {
        return Err(4);
    }
    let mounts = value(&run, "mount");
    for m in &mounts {
        for field in m.split(',') {
            if let Some(("from", v)) = field.split_once('=') {
                if v.find('$').is_some_and(|i| i != v.len() - 1) {
                    return Err(4);
                }
            }
        }
    }
    // The build has no target, so BuildKit builds the last stage and only what it needs
    // (`dockerfile2llb`): stage `s` (alpine) counts only when a COPY --from or a mount
    // names it, by name or by index.
    let copy_from = value(&copy, "from");
    let mount_from = |m: &String| {
        m.split(',')
            .rev()
            .find_map(|f| f.strip_prefix("from="))
            .map(str::to_string)
    };
    let needs_s = copy_from.first().is_some_and(|f| f == "s" || f == "0")
        || mounts.iter().any(|m| mount_from(m).as_deref() == Some("s"));
    let mut images = if needs_s {
        vec!["from alpine".to_string(), "from busybox".to_string()]
    } else {
        vec!["from busybox".to_string()]
    };
    // The graph: COPY --from (no expansion; an index counts the stages and the image
    // states created so far, none before line 3).
    if let Some(f) = copy_from.first() {
        match f.as_str() {
            f if f.contains('$') => return Err(3),
            "7" => return Err(3),
            "s" | "0" | "scratch" => {}
            img => images.push(format!("copy-from {img}")),
        }
    }
    for m in &mounts {
        let from = m.split(',').rev().find_map(|f| f.strip_prefix("from="));
        match from {
            None | Some("s" | "scratch") => {}
            Some(img) => images.push(format!("mount-from {img}")),
        }
    }
    // Dispatch of the target stage: mount fields with their values expanded.
    for m in &mounts {
        let mut kind = "bind";
        for field in m.split(',') {
            match field.split_once('=') {
                None => match field {
                    "ro" | "rw" | "readonly" | "readwrite" => {}
                    "required" if kind == "secret" || kind == "ssh" => {}
                    _ => return Err(4),
                },
                Some((key, v)) => {
                    if v.contains("${UNSET:?") {
                        return Err(4);
                    }
                    if !["type", "from", "target", "id"].contains(&key) {
                        return Err(4);
                    }
                    if key == "type" {
                        if !["bind", "cache", "tmpfs", "secret", "ssh"].contains(&v) {
                            return Err(4);
                        }
                        kind = if v == "secret" {
                            "secret"
                        } else if v == "ssh" {
                            "ssh"
                        } else {
                            "bind"
                        };
                    }
                }
            }
        }
    }
    Ok(images)
}

/// Generated flag sets on FROM, COPY and RUN, compared with BuildKit's flag rules.
#[test]
fn generated_flags_match_buildkits_rules() {
    let mut rng = Rng(seed() ^ 0x5bd1_e995);
    let total = 3000;
    let mut problems = Vec::new();
    let mut outcomes = [0usize; 2];
    let pick = |rng: &mut Rng, pool: &[&'static str], most: usize| -> Vec<&'static str> {
        (0..rng.below(most + 1)).map(|_| rng.pick(pool)).collect()
    };
    for _ in 0..total {
        let from = pick(&mut rng, FROM_FLAGS, 2);
        let copy = pick(&mut rng, COPY_FLAGS, 3);
        let run = pick(&mut rng, RUN_FLAGS, 3);
        let src = format!(
            "FROM alpine AS s\nFROM {} busybox\nCOPY {} /a /b\nRUN {} true\n",
            from.join(" "),
            copy.join(" "),
            run.join(" ")
        );
        let want = expected_flags(&from, &copy, &run);
        let got = tool(&src, &[]);
        outcomes[usize::from(got.is_err())] += 1;
        if want != got {
            problems.push(format!("{src}BuildKit: {want:?}\nours: {got:?}\n"));
        }
    }
    report(
        "generated Dockerfiles with flags",
        total,
        outcomes,
        &problems,
        10,
    );
}
