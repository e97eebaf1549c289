//! Case tables for the instruction checks: the errors BuildKit gives, stages, ARG/ENV forms.

use super::*;

fn check(src: &str) -> Result<Program<'_>, Error> {
    program(src.as_bytes())
}

#[test]
fn errors_as_buildkit_gives_them() {
    let cases = [
        ("FORM alpine", 1, "unknown instruction: FORM", Some("did you mean FROM?")),
        ("RUN x\nFROM a", 1, "RUN before the first FROM: no build stage in current context", Some("only ARG may come before the first FROM")),
        ("FROM a AS", 1, "FROM requires either one or three arguments", Some("name the stage after AS: `FROM image AS name`")),
        ("FROM a b c d", 1, "FROM requires either one or three arguments", Some("FROM takes an image and optionally `AS name`")),
        ("FROM a\nONBUILD FROM b", 2, "FROM isn't allowed as an ONBUILD trigger", None),
        ("FROM a\nONBUILD ONBUILD RUN x", 2, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", None),
        ("FROM a AS 1x", 1, "invalid name for build stage: \"1x\", name can't start with a number or contain symbols", None),
        ("FROM --plaform=x a", 1, "unknown flag: --plaform", None),
        ("FROM a\nCOPY --from x y", 2, "missing a value on flag: --from", None),
        ("ARG A\n", 1, "the Dockerfile contains no stages to build", Some("add a FROM instruction")),
        ("FROM {{ .Image }}", 1, "FROM requires either one or three arguments", Some("this looks like a template (`{{ … }}`), not a Dockerfile: render it first")),
        ("FROM a\n{{ if x }}", 2, "unknown instruction: {{", Some("this looks like a template (`{{ … }}`), not a Dockerfile: render it first")),
        ("FROM a\rRUN b", 1, "FROM requires either one or three arguments", Some("this file seems to use CR (classic Mac) line endings, which BuildKit reads as one line: convert them to LF")),
        ("# comment only\n", 1, "the Dockerfile has no instructions", None),
        ("# one\n\n# three", 3, "the Dockerfile has no instructions", None),
        ("FROM a\nHEALTHCHECK", 2, "HEALTHCHECK requires at least one argument", None),
        ("FROM a\nHEALTHCHECK --retries=3 ", 2, "HEALTHCHECK requires at least one argument", None),
        ("FROM a\nHEALTHCHECK --bogus=1", 2, "HEALTHCHECK requires at least one argument", None),
    ];
    for (src, line, message, help) in cases {
        let e = check(src)
            .err()
            .unwrap_or_else(|| panic!("{src} should fail"));
        assert_eq!(
            (e.line, e.message.as_str(), e.help.as_deref()),
            (line, message, help),
            "{src}"
        );
    }
}

#[test]
fn stages_args_and_triggers() {
    let p = check("ARG A=1 B\nFROM --platform=$P x AS Build\nARG C\nENV D=1\nCOPY --from=0 a b\nRUN --mount=from=x,target=/t y\nONBUILD COPY --from=z a b\nfrom Build").unwrap();
    assert_eq!(p.meta_args.len(), 2);
    assert_eq!(p.meta_args[1].default, None);
    assert_eq!(p.stages[0].name.as_deref(), Some("build"));
    assert_eq!(p.stages[0].platform.as_ref().unwrap().text, "$P");
    assert_eq!(p.stages[0].commands.len(), 4);
    assert_eq!(p.stages[0].triggers.len(), 1);
    assert_eq!(p.stages[1].base.text, "Build");
}

#[test]
fn env_forms() {
    let p = check("FROM a\nENV A=1 B=\"2 3\"\nENV C 4 5").unwrap();
    let Cmd::Env(_, pairs) = &p.stages[0].commands[1] else {
        panic!()
    };
    assert_eq!(pairs, &[("C".into(), "4 5".into())]);
    assert!(check("FROM a\nENV A=1 B").is_err());
}
