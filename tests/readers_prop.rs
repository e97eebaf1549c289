//! Property tests of the compose and bake readers on generated hostile input (anchors and
//! aliases, merge keys, nesting, interpolation; targets, `inherits` in any shape, chains
//! of variables, functions): each input is read in its own thread, which must finish
//! within a second, without a panic, and without allocating more than [`MEMORY`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use dockerfile_lock::builds::{Env, Error, Project};
use dockerfile_lock::{bake, compose};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// How long one input may take to read (debug build).
const DEADLINE: Duration = Duration::from_secs(1);
/// What one read may have allocated at once; past it, allocation fails and the test
/// process aborts rather than the machine running out of memory.
const MEMORY: usize = 256 << 20;

/// Counts the bytes live on threads that ask to be counted (each read's own thread), and
/// refuses to go past [`MEMORY`] on them.
struct Counting;

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            let live = LIVE.with(Cell::get) + layout.size();
            if live > MEMORY {
                return std::ptr::null_mut();
            }
            LIVE.with(|l| l.set(live));
            PEAK.with(|p| p.set(p.get().max(live)));
        }
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            LIVE.with(|l| l.set(l.get().saturating_sub(layout.size())));
        }
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if counted() {
            let live = LIVE.with(Cell::get).saturating_sub(layout.size()) + new;
            if live > MEMORY {
                return std::ptr::null_mut();
            }
            LIVE.with(|l| l.set(live));
            PEAK.with(|p| p.set(p.get().max(live)));
        }
        System.realloc(ptr, layout, new)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The largest peak and the longest time of any read, and how many reads ended in a
/// limit, for the report at the end of each test.
static MAX_PEAK: Mutex<(usize, Duration)> = Mutex::new((0, Duration::ZERO));
static LIMITS: Mutex<usize> = Mutex::new(0);

type Reader = fn(&Path, &Env) -> Result<Project, Error>;

/// Read `file` (written as `name` in a fresh directory, with `extra` files beside it) in
/// a thread of its own, and check it ends in time, without a panic, with a short message.
fn read_bounded(name: &str, file: &str, extra: &[(&str, String)], reader: Reader) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, file).unwrap();
    for (n, text) in extra {
        std::fs::write(dir.path().join(n), text).unwrap();
    }
    let env = Env {
        overrides: BTreeMap::from([
            ("TAG".to_string(), "1.2".to_string()),
            ("EMPTY".to_string(), String::new()),
        ]),
        process: BTreeMap::new(),
    };
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        COUNTED.with(|c| c.set(true));
        let start = std::time::Instant::now();
        let result = reader(&path, &env);
        let summary = match &result {
            Ok(p) => Ok(p.builds.len() + p.images.len()),
            Err(e) => Err((e.line, e.message.clone(), e.help.clone())),
        };
        drop(result);
        let peak = PEAK.with(Cell::get);
        COUNTED.with(|c| c.set(false));
        let _ = tx.send((summary, peak, start.elapsed()));
    });
    let (summary, peak, took) = match rx.recv_timeout(DEADLINE) {
        Ok(done) => done,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("reading took more than {DEADLINE:?}:\n{}", shown(file))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let _ = worker.join();
            panic!("the reader panicked on:\n{}", shown(file))
        }
    };
    worker.join().unwrap();
    let mut max = MAX_PEAK.lock().unwrap();
    max.0 = max.0.max(peak);
    max.1 = max.1.max(took);
    drop(max);
    if let Err((_, message, help)) = summary {
        let limit = ["more than", "longer than"]
            .iter()
            .any(|w| message.contains(w));
        *LIMITS.lock().unwrap() += usize::from(limit);
        // Messages quote short excerpts, never a whole value.
        let len = message.len() + help.map_or(0, |h| h.len());
        assert!(len < 1000, "a {len}-byte message: {}", shown(&message));
    }
}

fn shown(text: &str) -> String {
    let head: String = text.chars().take(2000).collect();
    format!("{head:?} ({} bytes)", text.len())
}

fn run(cases: u32, strategy: impl Strategy<Value = Case>, name: &str, reader: Reader) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |case| {
            read_bounded(name, &case.file, &case.extra, reader);
            Ok(())
        })
        .unwrap();
    let (peak, took) = *MAX_PEAK.lock().unwrap();
    eprintln!(
        "{name}: {cases} more inputs, {} limits hit so far, largest peak {} KiB, slowest {took:?}",
        LIMITS.lock().unwrap(),
        peak >> 10
    );
}

#[derive(Debug, Clone)]
struct Case {
    file: String,
    extra: Vec<(&'static str, String)>,
}

/// A YAML value in flow style: scalars, aliases to earlier anchors, lists and maps.
fn yaml_value(anchors: usize) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("x".to_string()),
        Just("\"${TAG}\"".to_string()),
        Just("\"${NOPE:-${TAG:-d}}$$\"".to_string()),
        Just("\"${BIG}${BIG}\"".to_string()),
        Just("''".to_string()),
        Just("null".to_string()),
        "[a-z]{1,8}".prop_map(|s| s),
        (0..anchors.max(1)).prop_map(move |i| if anchors == 0 {
            "y".to_string()
        } else {
            format!("*a{i}")
        }),
    ];
    leaf.prop_recursive(6, 64, 10, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..10).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..6).prop_map(|v| {
                let items: Vec<String> = v.iter().map(|(k, x)| format!("{k}: {x}")).collect();
                format!("{{{}}}", items.join(", "))
            }),
        ]
    })
}

/// A compose file: anchored blocks, each able to alias the ones before it many times
/// over, and services that use them through values and `<<` merges.
fn compose_case() -> impl Strategy<Value = Case> {
    (1usize..12)
        .prop_flat_map(|n| {
            let anchors: Vec<_> = (0..n)
                .map(|i| {
                    prop_oneof![
                        yaml_value(i),
                        // A fan-out of aliases to the one before: the "billion laughs" step.
                        (1usize..20).prop_map(move |k| {
                            let prev = if i == 0 { "z".into() } else { format!("*a{}", i - 1) };
                            format!("[{}]", vec![prev; k].join(", "))
                        }),
                        // A mapping that merges the last mapping before it (filled in below).
                        Just(format!("{{MERGE k{i}: v}}")),
                    ]
                })
                .collect();
            let services = prop::collection::vec(
                (
                    prop_oneof![
                        Just("nginx:${TAG}".to_string()),
                        Just("${REG:-docker.io}/a:${TAG:?need}".to_string()),
                        Just("$BIG".to_string()),
                        Just("a:$${X}".to_string()),
                        "[a-z:${}$.-]{0,20}",
                    ],
                    yaml_value(n),
                    0..n,
                    any::<bool>(),
                ),
                0..5,
            );
            (
                anchors,
                services,
                "[ -~]{0,1000}",
                prop::bool::weighted(0.2),
            )
        })
        .prop_map(|(anchors, services, big, garble)| {
            let mut s = String::new();
            let mut maps: Vec<usize> = Vec::new();
            for (i, a) in anchors.iter().enumerate() {
                let merge = maps.last().map_or(String::new(), |m| format!("<<: *a{m}, "));
                let a = a.replace("MERGE ", &merge);
                if a.starts_with('{') {
                    maps.push(i);
                }
                s.push_str(&format!("x-a{i}: &a{i} {a}\n"));
            }
            s.push_str("services:\n");
            for (i, (image, labels, merge, build)) in services.iter().enumerate() {
                s.push_str(&format!("  s{i}:\n"));
                // Merge only what can be merged: the errors of the rest are tested once.
                if anchors[*merge].starts_with('{') {
                    s.push_str(&format!("    <<: *a{merge}\n"));
                }
                s.push_str(&format!("    image: \"{image}\"\n    labels: {labels}\n"));
                if *build {
                    s.push_str(&format!(
                        "    build:\n      context: .\n      args: {labels}\n      dockerfile_inline: \"FROM {image}\"\n"
                    ));
                }
            }
            if garble {
                // Cut the file short somewhere: a syntax error in the middle of anything.
                let cut = s.len() * 2 / 3;
                let cut = (0..=cut).rev().find(|&c| s.is_char_boundary(c)).unwrap_or(0);
                s.truncate(cut);
            }
            let big = big.replace(['\'', '"', '\\', '#', '$'], "x").repeat(600);
            Case {
                file: s,
                extra: vec![(".env", format!("BIG='{big}'\nREG=ghcr.io\n"))],
            }
        })
}

/// An HCL expression over the variables `v0..vN`, functions and templates included.
fn hcl_expr(vars: usize) -> impl Strategy<Value = String> {
    let var = move |i: usize| {
        if vars == 0 {
            "\"x\"".to_string()
        } else {
            format!("v{}", i % vars)
        }
    };
    let leaf = prop_oneof![
        3 => Just("\"lit\"".to_string()),
        1 => Just("null".to_string()),
        1 => Just("true".to_string()),
        1 => Just("12".to_string()),
        6 => (0..64usize).prop_map(var),
        6 => (0..64usize, 0..64usize).prop_map(move |(a, b)| format!(
            "\"${{{}}}${{{}}}\"",
            var(a),
            var(b)
        )),
        1 => (0..64usize).prop_map(move |i| format!("lower({})", var(i))),
        2 => (0..64usize).prop_map(move |i| format!("({} == \"x\" ? \"a\" : {})", var(i), var(i + 1))),
        1 => Just("\"%{ if true }x%{ endif }\"".to_string()),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(inner, 0..5).prop_map(|v| object(&v)),
        ]
    })
}

/// An HCL object with one entry per line: `K0 = …`, `K1 = …`.
fn object(values: &[String]) -> String {
    let items: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, x)| format!("K{i} = {x}\n"))
        .collect();
    format!("{{\n{}}}", items.concat())
}

/// A bake file: variables whose defaults use earlier (or later) ones, or double the one
/// before; targets that inherit from earlier ones (or, now and then, any), with args,
/// contexts and platforms; and groups.
fn bake_case() -> impl Strategy<Value = Case> {
    (1usize..30, 1usize..40, any::<bool>(), prop::bool::weighted(0.3))
        .prop_flat_map(|(nvars, ntargets, cycles, bomb)| {
            let vars = prop::collection::vec(
                prop_oneof![
                    2 => hcl_expr(nvars),
                    // Doubling: each variable is two of the one before.
                    3 => Just(String::new()),
                ],
                nvars,
            );
            let targets = prop::collection::vec(
                (
                    prop::collection::vec(0..ntargets, 0..8),
                    prop::collection::vec(hcl_expr(nvars), 0..4),
                    hcl_expr(nvars),
                    any::<bool>(),
                ),
                ntargets,
            );
            let groups = prop::collection::vec(prop::collection::vec(0..ntargets, 0..5), 0..3);
            (vars, targets, groups, Just((cycles, bomb)))
        })
        .prop_map(|(vars, targets, groups, (cycles, bomb))| {
            let mut s = String::new();
            for (i, v) in vars.iter().enumerate() {
                // A bomb: every variable doubles the one before, and every target uses the
                // last one.
                let default = match (v.is_empty() || bomb, i) {
                    (true, 0) => "\"xxxxxxxx\"".to_string(),
                    (true, _) => format!("\"${{v{p}}}${{v{p}}}\"", p = i - 1),
                    (false, _) => v.clone(),
                };
                s.push_str(&format!("variable \"v{i}\" {{\n  default = {default}\n}}\n"));
            }
            let bomb_arg: Vec<String> = if bomb {
                vec![format!("v{}", vars.len() - 1)]
            } else {
                Vec::new()
            };
            for (i, (inherits, args, other, inline)) in targets.iter().enumerate() {
                // Without `cycles`, only earlier targets: a DAG, the shape real files have.
                let parents: Vec<String> = inherits
                    .iter()
                    .filter(|_| cycles || i > 0)
                    .map(|&p| format!("\"t{}\"", if cycles { p } else { p % i.max(1) }))
                    .collect();
                s.push_str(&format!(
                    "target \"t{i}\" {{\n  inherits = [{}]\n  args = {}\n  contexts = {{ c = \"docker-image://alpine:3\" }}\n",
                    parents.join(", "),
                    object(&[args.clone(), bomb_arg.clone()].concat()),
                ));
                if *inline {
                    s.push_str(&format!("  dockerfile-inline = \"FROM alpine\"\n  target = {other}\n"));
                } else {
                    s.push_str(&format!("  platforms = [{other}]\n"));
                }
                s.push_str("}\n");
            }
            for (g, members) in groups.iter().enumerate() {
                let m: Vec<String> = members.iter().map(|t| format!("\"t{t}\"")).collect();
                s.push_str(&format!("group \"g{g}\" {{\n  targets = [{}]\n}}\n", m.join(", ")));
            }
            Case {
                file: s,
                extra: Vec::new(),
            }
        })
}

/// Bytes stitched from fragments of both syntaxes, for what the generators above do not
/// reach: broken nesting, stray anchors, half-written templates.
fn fragments() -> impl Strategy<Value = Case> {
    const PIECES: &[&str] = &[
        "&a ",
        "*a",
        "<<: ",
        "- ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        "\n",
        "  ",
        "\"",
        "'",
        "${",
        "$",
        ":-",
        "x",
        "target \"t\" ",
        "inherits = ",
        "variable \"v\" ",
        "default = ",
        "= ",
        "v",
        "t",
        "(",
        ")",
        ",",
        "? ",
        "!",
        "#",
        "<<EOT\n",
        "EOT\n",
        "%{",
        "\\",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..200).prop_map(|v| Case {
        file: v.concat(),
        extra: Vec::new(),
    })
}

#[test]
fn compose_files_are_read_in_bounded_time_and_memory() {
    run(300, compose_case(), "compose.yaml", compose::load);
}

#[test]
fn bake_files_are_read_in_bounded_time_and_memory() {
    run(300, bake_case(), "docker-bake.hcl", bake::load);
}

#[test]
fn fragments_of_either_syntax_are_read_in_bounded_time_and_memory() {
    run(150, fragments(), "compose.yaml", compose::load);
    run(150, fragments(), "docker-bake.hcl", bake::load);
    run(100, fragments(), "docker-bake.json", bake::load);
}
