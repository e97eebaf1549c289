//! Case tables for the build semantics: stage or image, ARG scopes and build-args,
//! platforms, `--target`, ONBUILD triggers, spans, and the errors a user sees.

use super::*;

fn run(
    src: &str,
    build_args: &[(&str, &str)],
    platforms: &[&str],
    target: Option<&str>,
) -> Result<Analysis, Error> {
    let options = BuildOptions {
        build_args: build_args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        platforms: platforms.iter().map(|p| p.parse().unwrap()).collect(),
        target: target.map(str::to_string),
    };
    analyze(src.as_bytes(), &options)
}

/// `kind reference [stage]` for each image use.
fn uses(
    src: &str,
    build_args: &[(&str, &str)],
    platforms: &[&str],
    target: Option<&str>,
) -> Vec<String> {
    run(src, build_args, platforms, target)
        .unwrap_or_else(|e| panic!("{src}: {} (line {})", e.message, e.line))
        .images
        .iter()
        .map(|u| match &u.stage {
            Some(s) => format!("{} {} [{s}]", u.kind.as_str(), u.reference),
            None => format!("{} {}", u.kind.as_str(), u.reference),
        })
        .collect()
}

#[test]
fn stage_or_image() {
    let cases: &[(&str, &[&str])] = &[
        ("FROM a AS b\nFROM b", &["from a [b]"]),
        ("FROM a AS Build\nFROM build", &["from a [build]"]),
        ("FROM scratch", &[]),
        (
            "FROM b AS first\nFROM a AS b\nCOPY --from=first / /",
            &["from b [first]", "from a [b]"],
        ),
        (
            "FROM a AS x\nFROM b\nCOPY --from=X /a /b\nCOPY --from=0 /a /b",
            &["from a [x]", "from b"],
        ),
        (
            "FROM a AS first\nCOPY --from=later /a /b\nFROM c AS later\nFROM first",
            &["from a [first]", "from c [later]"],
        ),
        (
            "FROM a\nCOPY --from=nginx:1 /a /b",
            &["from a", "copy-from nginx:1"],
        ),
        (
            "FROM a AS s\nFROM b\nRUN --mount=from=S,target=/x --mount=type=cache,target=/c true",
            &["from a [s]", "from b"],
        ),
        (
            "FROM a AS s\nRUN --mount=from=0,target=/x true",
            &["from a [s]", "mount-from 0 [s]"],
        ),
        ("ARG V=b\nFROM a AS b\nFROM $V", &["from a [b]"]),
        (
            "FROM a AS base-amd64\nFROM base-$TARGETARCH",
            &["from a [base-amd64]"],
        ),
    ];
    for (src, want) in cases {
        assert_eq!(uses(src, &[], &[], None), *want, "{src}");
    }
}

#[test]
fn arg_scopes_and_build_args() {
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: &[Case] = &[
        ("ARG T=1\nFROM a:$T", &[], &["from a:1"]),
        ("ARG T=1\nFROM a:$T", &[("T", "2")], &["from a:2"]),
        ("ARG T\nFROM a:${T:-3}", &[], &["from a:3"]),
        ("ARG T\nFROM a:${T:-3}", &[("T", "4")], &["from a:4"]),
        ("ARG A=1 B=${A}.0\nFROM a:$B", &[], &["from a:1.0"]),
        (
            "ARG A=1\nARG B=${A}.0\nFROM a:$B",
            &[("A", "9")],
            &["from a:9.0"],
        ),
        // A build-arg for an ARG nobody declared is not visible.
        ("FROM a:${T:-u}", &[("T", "5")], &["from a:u"]),
        (
            "FROM a:$TARGETOS-$TARGETARCH$TARGETVARIANT",
            &[],
            &["from a:linux-amd64"],
        ),
        (
            "FROM --platform=$BUILDPLATFORM a:$BUILDARCH",
            &[],
            &["from a:amd64"],
        ),
    ];
    for (src, args, want) in cases {
        assert_eq!(uses(src, args, &[], None), *want, "{src} {args:?}");
    }
}

/// Regression: mount `from=` was expanded with the stage's variables; BuildKit rejects a
/// variable there when it parses the file (`'from' doesn't support variable expansion`).
#[test]
fn mount_from_with_a_variable_is_an_error() {
    for src in [
        "FROM a AS s\nARG I=x\nRUN --mount=from=img-$I true",
        "ARG G=g\nFROM a AS s\nRUN --mount=from=img$G true",
        "FROM a AS s\nARG TARGETARCH\nENV X=img-$TARGETARCH\nRUN --mount=from=$X true",
        "FROM a AS s\nFROM b\nRUN --mount=type=bind,FROM=${X},target=/x true",
        // Even in a stage the target does not need: it is a parse error.
        "FROM a AS s\nRUN --mount=from=$X true\nFROM b",
    ] {
        let e = run(src, &[], &[], None).unwrap_err();
        let want = "'from' doesn't support variable expansion, define alias stage instead";
        assert_eq!(e.message, want, "{src}");
        assert_eq!(
            e.line,
            src.lines().position(|l| l.starts_with("RUN")).unwrap() + 1
        );
    }
    // A `$` at the very end is no variable (but `x$` is no image either).
    let e = run("FROM a\nRUN --mount=from=x$ true", &[], &[], None).unwrap_err();
    assert!(
        e.message.contains("not a valid image reference"),
        "{}",
        e.message
    );
}

#[test]
fn several_platforms_list_each_image_once() {
    let src =
        "FROM a:$TARGETARCH$TARGETVARIANT\nFROM b AS x\nCOPY --from=c:1 / /\nCOPY --from=0 / /";
    let got = uses(
        src,
        &[],
        &["linux/arm64", "linux/amd64", "linux/arm/v7", "linux/amd64"],
        None,
    );
    assert_eq!(
        got,
        [
            "from a:arm64",
            "from a:amd64",
            "from a:armv7",
            "from b [x]",
            "copy-from c:1 [x]"
        ]
    );
}

#[test]
fn target_keeps_only_what_it_needs() {
    let src = "# syntax=docker/dockerfile:1\nFROM a AS one\nFROM b AS two\nONBUILD COPY --from=t:1 / /\nFROM c AS three\nCOPY --from=one / /\nFROM two AS four\nRUN --mount=from=three true\nFROM d AS five";
    let cases: &[(&str, &[&str])] = &[
        ("one", &["syntax docker/dockerfile:1", "from a [one]"]),
        ("TWO", &["syntax docker/dockerfile:1", "from b [two]"]),
        (
            "three",
            &[
                "syntax docker/dockerfile:1",
                "from a [one]",
                "from c [three]",
            ],
        ),
        (
            "four",
            &[
                "syntax docker/dockerfile:1",
                "from a [one]",
                "from b [two]",
                "copy-from t:1 [four]",
                "from c [three]",
            ],
        ),
        ("five", &["syntax docker/dockerfile:1", "from d [five]"]),
    ];
    for (target, want) in cases {
        assert_eq!(
            uses(src, &[], &[], Some(target)),
            *want,
            "--target {target}"
        );
    }
    let e = run(src, &[], &[], Some("six")).unwrap_err();
    assert_eq!(e.message, "target stage \"six\" could not be found");
    assert_eq!(
        e.help.as_deref(),
        Some("the stages are: one, two, three, four, five")
    );
}

#[test]
fn copy_from_typo_warns_with_stage_names() {
    let a = run(
        "FROM a AS setup\nFROM b\nCOPY --from=set / /\nCOPY --from=ghcr.io/x/y:1 / /",
        &[],
        &[],
        None,
    )
    .unwrap();
    assert_eq!(
        a.warnings,
        [Warning {
            line: 3,
            message: "COPY --from=set names no stage, so BuildKit pulls the image docker.io/library/set:latest; the stages are: setup".into()
        }],
        "`ghcr.io/x/y:1` can't be a stage name, so it is plainly an image: no warning"
    );
    assert_eq!(
        a.images.len(),
        3,
        "both COPY --from images are still listed (and not the unused stage's)"
    );
    assert_eq!(a.stages, [Some("setup".to_string()), None]);
}

#[test]
fn stage_lists_stay_short() {
    // Regression: each warning listed every stage, quadratic in a file of many stages.
    let mut src = String::new();
    for i in 0..20 {
        src.push_str(&format!("FROM a AS s{i}\n"));
    }
    src.push_str("COPY --from=x / /\n");
    let a = run(&src, &[], &[], None).unwrap();
    assert_eq!(
        a.warnings[0].message,
        "COPY --from=x names no stage, so BuildKit pulls the image docker.io/library/x:latest; the stages are: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, and 8 more"
    );
}

#[test]
fn spans_and_raw_text() {
    let src = "# syntax=docker/dockerfile:1\nARG V=3\nFROM alpine:$V AS a\nFROM \"busybox:1\" AS b\nFROM golang:1.22 AS c\nCOPY --from=a / /\nCOPY --from=b / /\nCOPY --from=nginx:1 / /\nRUN --mount=type=bind,from=redis:7,target=/r true\n";
    let a = run(src, &[], &[], None).unwrap();
    let got: Vec<_> = a
        .images
        .iter()
        .map(|u| (u.raw.as_str(), u.span.clone().map(|s| &src[s])))
        .collect();
    assert_eq!(
        got,
        [
            ("docker/dockerfile:1", Some("docker/dockerfile:1")),
            ("alpine:$V", None),
            // Inside its quotes, so a pin goes there.
            ("busybox:1", Some("busybox:1")),
            ("golang:1.22", Some("golang:1.22")),
            ("nginx:1", Some("nginx:1")),
            ("redis:7", Some("redis:7")),
        ]
    );
}

#[test]
fn errors_name_the_line_and_the_fix() {
    let cases: &[(&str, usize, &str, Option<&str>)] = &[
        ("ARG B\nFROM ${B}", 2, "FROM `${B}` needs ARG `B`, which is not set", Some("pass --build-arg B=<value>, or give `ARG B` a default")),
        ("ARG B=\nFROM ${B}", 2, "base name `${B}` is empty after ARG expansion", Some("give it a value with --build-arg")),
        ("FROM golang:${GO}-alpine", 1, "FROM `golang:${GO}-alpine` needs ARG `GO`, which is not set", Some("declare `ARG GO=<default>` before the first FROM, or declare it and pass --build-arg GO=<value>")),
        ("ARG A\nARG B\nFROM $A:$B", 3, "FROM `$A:$B` needs ARGs `A`, `B`, which are not set", Some("pass --build-arg A=<value>, or give `ARG A` a default")),
        ("ARG X=${a:x}\nFROM alpine", 1, "cannot expand `${a:x}`: unsupported modifier (:x) in substitution", Some("this is not Dockerfile variable syntax (a template placeholder?); Dockerfile variables are $V, ${V}, ${V:-default}, ${V-default}, ${V:+alt}, ${V+alt}")),
        ("FROM {{image}}", 1, "invalid image reference `{{image}}`: invalid repository name `{{image}}`: `{{image}}` must start and end with a lowercase letter or digit", Some("this looks like a template (`{{ … }}`), not a Dockerfile: render it first")),
        ("FROM a\nCOPY --from=-1 / /", 2, "invalid stage index -1", Some("this Dockerfile has 1 stage(s), numbered from 0")),
        ("# syntax=Bad\nFROM a", 1, "invalid `# syntax=` image `Bad`: repository name must be lowercase: `Bad`", None),
        ("FROM a\nRUN --mount=from=a\\\"b true", 2, "invalid --mount `from=a\"b`: bare \" in non-quoted-field", None),
    ];
    for (src, line, message, help) in cases {
        let e = run(src, &[], &[], None)
            .err()
            .unwrap_or_else(|| panic!("{src} should fail"));
        assert_eq!(
            (e.line, e.message.as_str(), e.help.as_deref()),
            (*line, *message, *help),
            "{src}"
        );
    }
}

#[test]
fn onbuild_triggers_run_in_stages_built_from_them() {
    let src = "FROM a AS base\nONBUILD COPY --from=tools:1 / /\nONBUILD RUN --mount=from=base,target=/b true\nFROM base AS x\nFROM base AS y\nFROM a AS z\nCOPY --from=x / /\nCOPY --from=y / /";
    assert_eq!(
        uses(src, &[], &[], None),
        [
            "from a [base]",
            "copy-from tools:1 [x]",
            "copy-from tools:1 [y]",
            "from a [z]"
        ]
    );
}
