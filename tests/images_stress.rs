//! Huge and hostile inputs: no stack overflow, no quadratic blow-up, clear errors.

use std::time::{Duration, Instant};

use dockerfile_lock::dockerfile::{analyze, BuildOptions};

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    // Generous for a debug build on a busy 2-core machine; quadratic work would take minutes.
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "{what} took {:?}",
        t.elapsed()
    );
    r
}

#[test]
fn hundred_thousand_continued_lines() {
    let mut src = String::from("FROM alpine:3.20\nRUN true");
    for i in 0..100_000 {
        src.push_str(&format!(" \\\n  && echo {i}"));
    }
    src.push_str("\nFROM busybox:1.36\nCOPY --from=0 / /\n");
    let a = timed("continuations", || {
        analyze(src.as_bytes(), &BuildOptions::default())
    })
    .unwrap();
    assert_eq!(a.images.len(), 2);
    assert_eq!(a.images[1].line, 100_003);
}

#[test]
fn ten_megabytes_of_stages() {
    let mut src = String::new();
    let mut n = 0;
    while src.len() < 10_000_000 {
        // Each stage copies from the one before (the first from none: a stage copying from
        // itself is a circular dependency).
        let copy = match n {
            0 => String::new(),
            _ => format!("COPY --from=s{} /a /b\n", n - 1),
        };
        src.push_str(&format!(
            "FROM golang:1.{n} AS s{n}\n{copy}RUN --mount=type=cache,target=/c go build ./...\n"
        ));
        n += 1;
    }
    let a = timed("10 MB", || {
        analyze(src.as_bytes(), &BuildOptions::default())
    })
    .unwrap();
    assert_eq!(a.images.len(), n);
    assert_eq!(a.stages.len(), n);
}

#[test]
fn deep_substitution_nesting_is_an_error() {
    let deep = "${A:-".repeat(50_000) + "alpine" + &"}".repeat(50_000);
    let src = format!("ARG A\nFROM {deep}\n");
    let e = timed("nesting", || {
        analyze(src.as_bytes(), &BuildOptions::default())
    })
    .unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("nested more than"), "{}", e.message);
}

#[test]
fn chained_onbuild_is_an_error_not_a_recursion() {
    let src = format!("FROM alpine\n{}RUN x\n", "ONBUILD ".repeat(200_000));
    let e = timed("onbuild chain", || {
        analyze(src.as_bytes(), &BuildOptions::default())
    })
    .unwrap_err();
    assert_eq!(
        e.message,
        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    );
}

#[test]
fn a_long_line_of_heredoc_markers() {
    let src = format!("FROM alpine\nRUN {}\n", "<<EOF ".repeat(20_000));
    let e = timed("heredocs", || {
        analyze(src.as_bytes(), &BuildOptions::default())
    })
    .unwrap_err();
    assert!(e.message.starts_with("unterminated heredoc"));
}
