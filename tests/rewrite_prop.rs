//! Property: pinning any Dockerfile from a lock keeps every reference (only digests are
//! added), parses back to the same images, and a second pin changes nothing.

use dockerfile_lock::dockerfile::{analyze, BuildOptions};
use dockerfile_lock::kinds::images::pins;
use dockerfile_lock::lockfile::Key;
use dockerfile_lock::reference::Digest;
use dockerfile_lock::splice;
use proptest::prelude::*;

const IMAGES: [&str; 7] = [
    "alpine",
    "alpine:3.20",
    "node:18",
    "ghcr.io/o/app:1.2",
    "localhost:5000/x/y:z",
    "busybox:1.36@sha256:00000000000000000000000000000000000000000000000000000000000000aa",
    "debian@sha256:00000000000000000000000000000000000000000000000000000000000000bb",
];

/// The digest the imaginary lock has for a key: derived from the key, so stable.
fn locked(key: &Key) -> Option<Digest> {
    Some(Digest::sha256_of(key.reference.as_bytes()))
}

prop_compose! {
    fn stage(i: usize)(
        keyword in prop::sample::select(vec!["FROM", "from", "From"]),
        platform in any::<bool>(),
        image in prop::sample::select(IMAGES.to_vec()),
        named in any::<bool>(),
        comment in any::<bool>(),
        run in any::<bool>(),
        copy in prop::option::of(prop::sample::select(IMAGES.to_vec())),
    ) -> Vec<String> {
        let mut lines = Vec::new();
        let flag = if platform { "--platform=linux/amd64 " } else { "" };
        let name = if named { format!(" AS s{i}") } else { String::new() };
        lines.push(format!("{keyword} {flag}{image}{name}"));
        if comment {
            lines.push("# keep me".to_string());
        }
        if run {
            lines.push("RUN echo a \\".to_string());
            lines.push("  && echo b".to_string());
        }
        if let Some(c) = copy {
            lines.push(format!("COPY --from={c} /a /b"));
        }
        lines
    }
}

fn dockerfile() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        any::<bool>(),
        stage(0),
        prop::collection::vec(stage(1), 0..4),
    )
        .prop_map(|(crlf, bom, first, rest)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            for line in first.into_iter().chain(rest.into_iter().flatten()) {
                text.push_str(&line);
                text.push_str(eol);
            }
            text.into_bytes()
        })
}

proptest! {
    #[test]
    fn rewrite_then_parse_gives_the_same_references_with_digests(src in dockerfile()) {
        let options = BuildOptions::default();
        let before = analyze(&src, &options).expect("generated Dockerfiles are valid");
        let pinning = pins::pin_all(&src, &before.images, locked);
        prop_assert!(pinning.missing.is_empty());
        prop_assert!(pinning.skipped.is_empty());
        let pinned = splice::apply(&src, &pinning.edits);
        let after = analyze(&pinned, &options).expect("a pinned Dockerfile still parses");
        prop_assert_eq!(before.images.len(), after.images.len());
        for (b, a) in before.images.iter().zip(&after.images) {
            prop_assert_eq!(Key::for_use(&b.image), Key::for_use(&a.image));
            prop_assert_eq!((b.kind, b.line, &b.stage), (a.kind, a.line, &a.stage));
            let want = if b.image.is_digest_only() {
                b.image.digest().cloned()
            } else {
                locked(&Key::for_use(&b.image))
            };
            prop_assert_eq!(a.image.digest().cloned(), want);
        }
        let again = pins::pin_all(&pinned, &after.images, locked);
        prop_assert!(again.edits.is_empty(), "a second rewrite changes nothing");
        // Unpinning touches only the references: the line structure is the original's.
        let unpinned = splice::apply(&pinned, &pins::unpin_all(&pinned, &after.images));
        prop_assert_eq!(
            unpinned.iter().filter(|&&b| b == b'\n').count(),
            src.iter().filter(|&&b| b == b'\n').count()
        );
    }
}
