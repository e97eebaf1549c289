//! Property tests: no input makes the parser panic, and every span it reports holds
//! exactly the reference it describes.

use dockerfile_lock::dockerfile::{analyze, parse, BuildOptions};
use proptest::prelude::*;

/// Fragments that steer random input into the interesting corners of the grammar.
const PIECES: &[&str] = &[
    "FROM ",
    "from ",
    "ARG ",
    "COPY ",
    "RUN ",
    "ONBUILD ",
    "ENV ",
    " AS ",
    " as ",
    "alpine",
    "golang:1.22",
    "ghcr.io/a/b:1",
    "scratch",
    "build",
    "--from=",
    "--platform=",
    "--mount=",
    "type=bind,from=",
    "$",
    "${",
    "}",
    ":-",
    "-",
    ":+",
    "+",
    "?",
    "#",
    "%",
    "/",
    "=",
    "V",
    "X=1",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "\\",
    "\\\n",
    "`",
    "`\n",
    "\"",
    "'",
    "<<EOF\n",
    "EOF\n",
    "<<-E",
    "# syntax=docker/dockerfile:1\n",
    "# escape=`\n",
    "\u{feff}",
    "{{",
    "}}",
    "0",
    "1",
    "[",
    "]",
    "@sha256:",
    "\u{a0}",
    "\u{0}",
    "é",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|v| v.concat())
}

fn spans_are_exact(src: &[u8]) {
    let options = BuildOptions {
        build_args: [("V".to_string(), "alpine".to_string())]
            .into_iter()
            .collect(),
        ..BuildOptions::default()
    };
    if let Ok(a) = analyze(src, &options) {
        for u in &a.images {
            if let Some(s) = &u.span {
                assert_eq!(
                    src.get(s.clone()),
                    Some(u.raw.as_bytes()),
                    "span {s:?} of {:?}",
                    u.raw
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&bytes);
        spans_are_exact(&bytes);
    }

    #[test]
    fn dockerfile_like_input_never_panics(text in soup()) {
        let _ = parse(text.as_bytes());
        spans_are_exact(text.as_bytes());
    }
}
