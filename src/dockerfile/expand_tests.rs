//! Case tables for ARG expansion: set, set-but-empty and unset; errors; nesting.

use super::*;

fn vars() -> Vars {
    [("SET", "v"), ("EMPTY", ""), ("TAG", "1.22")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn set_empty_and_unset_are_distinguished() {
    let cases = [
        ("$SET", "v"),
        ("${SET}", "v"),
        ("${SET:-w}", "v"),
        ("${EMPTY:-w}", "w"),
        ("${UNSET:-w}", "w"),
        ("${SET-w}", "v"),
        ("${EMPTY-w}", ""),
        ("${UNSET-w}", "w"),
        ("${SET:+w}", "w"),
        ("${EMPTY:+w}", ""),
        ("${UNSET:+w}", ""),
        ("${SET+w}", "w"),
        ("${EMPTY+w}", "w"),
        ("${UNSET+w}", ""),
        ("golang:${TAG}-alpine", "golang:1.22-alpine"),
        ("a$", "a$"),
        ("$1x", "x"),
        ("${UNSET:-${SET}}", "v"),
        ("${UNSET:-\"a b\"}", "a b"),
        ("'$SET'", "$SET"),
        ("\"$SET\"", "v"),
        ("\"a\\\"b\"", "a\"b"),
        ("a\\$SET", "a$SET"),
        ("${TAG%.*}", "1"),
        ("${TAG#*.}", "22"),
        ("${TAG/2/x}", "1.x2"),
        ("${TAG//2/x}", "1.xx"),
    ];
    for (word, want) in cases {
        assert_eq!(
            expand(word, '\\', &vars(), false).unwrap().value,
            want,
            "{word}"
        );
    }
}

#[test]
fn unset_names_are_reported() {
    let e = expand("golang:${GO}-$ALPINE${SET}", '\\', &vars(), false).unwrap();
    assert_eq!(e.value, "golang:-v");
    assert_eq!(e.unset, ["GO", "ALPINE"]);
    assert!(expand("${X:-d}", '\\', &vars(), false)
        .unwrap()
        .unset
        .is_empty());
}

#[test]
fn keep_unset_shows_the_word_as_written() {
    let cases = [
        ("golang:${V}", "golang:${V}"),
        ("\"golang:$V\"", "golang:$V"),
        ("${V:-1}", "${V:-1}"),
        ("${SET}", "v"),
    ];
    for (word, want) in cases {
        assert_eq!(
            expand(word, '\\', &vars(), true).unwrap().value,
            want,
            "{word}"
        );
    }
}

#[test]
fn errors_match_buildkit() {
    let cases = [
        (
            "${templateOption:x}",
            "unsupported modifier (:x) in substitution",
        ),
        ("${", "syntax error: missing '}'"),
        ("${}", "syntax error: bad substitution"),
        ("${:a}", "syntax error: bad substitution"),
        ("${A:-x", "syntax error: missing '}'"),
        ("${A", "syntax error: missing '}'"),
        (
            "'abc",
            "unexpected end of statement while looking for matching single-quote",
        ),
        (
            "\"abc",
            "unexpected end of statement while looking for matching double-quote",
        ),
        ("${UNSET?}", "UNSET: is not allowed to be unset"),
        ("${EMPTY:?need it}", "EMPTY: need it"),
        ("${A:#x}", "unsupported modifier (:#) in substitution"),
    ];
    for (word, want) in cases {
        assert_eq!(
            expand(word, '\\', &vars(), false),
            Err(want.to_string()),
            "{word}"
        );
    }
}

#[test]
fn backtick_escape() {
    assert_eq!(
        expand("c:\\a`$X", '`', &vars(), false).unwrap().value,
        "c:\\a$X"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "${A:-".repeat(100_000) + &"}".repeat(100_000);
    let e = expand(&deep, '\\', &vars(), false).unwrap_err();
    assert!(e.contains("nested more than"), "{e}");
    let ok = "${A:-".repeat(MAX_DEPTH - 1) + "x" + &"}".repeat(MAX_DEPTH - 1);
    assert_eq!(expand(&ok, '\\', &vars(), false).unwrap().value, "x");
}
