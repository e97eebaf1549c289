//! Pinning and unpinning references in place: each edit replaces exactly the bytes of one
//! reference's span, so line endings, a BOM, comments, continuations, flags, quoting and
//! case elsewhere in the file survive byte for byte.

use std::ops::Range;

use crate::dockerfile::ImageUse;
use crate::lockfile::Key;
use crate::reference::{Digest, ImageRef};

/// Replace `range` of the source with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Why a use cannot be edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Built from ARGs: pinning `${BASE}@sha256:…` would silently defeat `--build-arg`.
    FromArgs,
    /// Not one literal piece of text (e.g. split by a line continuation).
    NotLiteral,
}

/// The literal text of a use, when it can be edited in place.
pub fn written<'a>(source: &'a [u8], u: &ImageUse) -> Result<(&'a str, Range<usize>), Skip> {
    if u.raw.contains('$') {
        return Err(Skip::FromArgs);
    }
    let span = u.span.clone().ok_or(Skip::NotLiteral)?;
    let text = source
        .get(span.clone())
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or(Skip::NotLiteral)?;
    // The span must hold what the parser read; anything else (an escape inside the
    // reference, say) is not ours to rewrite.
    if text != u.raw {
        return Err(Skip::NotLiteral);
    }
    Ok((text, span))
}

/// `text` without any `@digest`.
pub fn unpinned(text: &str) -> &str {
    text.split_once('@').map_or(text, |(name, _)| name)
}

/// `text` pinned to `digest`: an existing digest is replaced, not doubled, and an untagged
/// reference gets the `latest` it was resolved from, so `update` can re-resolve it.
/// `None` when the text is not a reference at all.
pub fn pinned(text: &str, digest: &Digest) -> Option<String> {
    let name = unpinned(text);
    let image = ImageRef::parse(name).ok()?;
    let mut out = name.to_string();
    if image.tag().is_none() {
        out.push_str(":latest");
    }
    out.push('@');
    out.push_str(&digest.to_string());
    Some(out)
}

/// The source with every edit applied. Edits must not overlap; they are applied in order of
/// position whatever order they come in.
pub fn apply(source: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.range.start);
    let mut out = Vec::with_capacity(source.len() + 80 * edits.len());
    let mut at = 0;
    for e in sorted {
        if e.range.start < at || e.range.end > source.len() {
            continue;
        }
        out.extend_from_slice(&source[at..e.range.start]);
        out.extend_from_slice(e.text.as_bytes());
        at = e.range.end;
    }
    out.extend_from_slice(&source[at..]);
    out
}

/// What pinning a Dockerfile from a lock would do.
#[derive(Debug, Default)]
pub struct Pinning<'a> {
    pub edits: Vec<Edit>,
    /// Uses left as written, and why.
    pub skipped: Vec<(&'a ImageUse, Skip)>,
    /// Uses the lock has no entry for.
    pub missing: Vec<&'a ImageUse>,
}

/// Pin every literal use to the digest `locked` gives for its key. Digest-only references
/// are already as pinned as they get and are left alone.
pub fn pin_all<'a>(
    source: &[u8],
    uses: &'a [ImageUse],
    locked: impl Fn(&Key) -> Option<Digest>,
) -> Pinning<'a> {
    let mut out = Pinning::default();
    for u in uses {
        if u.image.is_digest_only() {
            continue;
        }
        let (text, range) = match written(source, u) {
            Ok(w) => w,
            Err(skip) => {
                out.skipped.push((u, skip));
                continue;
            }
        };
        let Some(digest) = locked(&Key::for_use(&u.image)) else {
            out.missing.push(u);
            continue;
        };
        match pinned(text, &digest) {
            Some(new) if new != text => out.edits.push(Edit { range, text: new }),
            Some(_) => {}
            None => out.skipped.push((u, Skip::NotLiteral)),
        }
    }
    out
}

/// Digests removed from every literal reference that has a tag to fall back to.
pub fn unpin_all(source: &[u8], uses: &[ImageUse]) -> Vec<Edit> {
    uses.iter()
        .filter(|u| u.image.digest().is_some() && !u.image.is_digest_only())
        .filter_map(|u| written(source, u).ok())
        .map(|(text, range)| Edit {
            range,
            text: unpinned(text).to_string(),
        })
        .collect()
}

/// A unified diff of two versions of `path`, as `rewrite --check` prints it.
pub fn diff(path: &str, old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

/// A unified diff with ANSI colours: headers bold, hunks cyan, removals red, additions green.
pub fn paint_diff(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len() + diff.len() / 4);
    for line in diff.split_inclusive('\n') {
        let colour = if line.starts_with("---") || line.starts_with("+++") {
            "\x1b[1m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else {
            out.push_str(line);
            continue;
        };
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        out.push_str(colour);
        out.push_str(body);
        out.push_str("\x1b[0m");
        out.push_str(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::UseKind;

    const A: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const B: &str = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    #[test]
    fn painted_diff_keeps_every_byte_of_the_text() {
        let d = diff("Dockerfile", b"FROM a\nRUN x\n", b"FROM b\nRUN x\n");
        let painted = paint_diff(&d);
        assert!(painted.contains("\x1b[31m-FROM a\x1b[0m\n"), "{painted:?}");
        assert!(painted.contains("\x1b[32m+FROM b\x1b[0m\n"), "{painted:?}");
        assert!(painted.contains(" RUN x\n"));
        let plain = painted
            .replace("\x1b[0m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[36m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[32m", "");
        assert_eq!(plain, d);
    }

    #[test]
    fn pins_replace_not_double() {
        let a: Digest = A.parse().unwrap();
        let cases = [
            ("alpine", format!("alpine:latest@{A}")),
            ("alpine:3.20", format!("alpine:3.20@{A}")),
            (&*format!("alpine:3.20@{B}"), format!("alpine:3.20@{A}")),
            (
                "localhost:5000/app",
                format!("localhost:5000/app:latest@{A}"),
            ),
            ("ghcr.io/o/app:1", format!("ghcr.io/o/app:1@{A}")),
        ];
        for (input, want) in cases {
            assert_eq!(pinned(input, &a).as_deref(), Some(want.as_str()), "{input}");
            let again = pinned(&want, &a).unwrap();
            assert_eq!(again, want, "pinning twice changes nothing");
        }
        assert_eq!(pinned("Not A Ref", &a), None);
        assert_eq!(unpinned(&format!("alpine:3@{A}")), "alpine:3");
    }

    #[test]
    fn edits_touch_only_their_span() {
        let src = b"\xEF\xBB\xBFFROM --platform=$X alpine AS a\r\nfrom node:18\r\n";
        let edits = vec![
            Edit {
                range: 40..47,
                text: "node:18@x".into(),
            },
            Edit {
                range: 22..28,
                text: "alpine:latest@y".into(),
            },
        ];
        let out = apply(src, &edits);
        assert_eq!(
            out,
            b"\xEF\xBB\xBFFROM --platform=$X alpine:latest@y AS a\r\nfrom node:18@x\r\n"
        );
    }

    #[test]
    fn only_literal_spans_are_written() {
        let src = b"FROM alpine\nFROM ${B}\n";
        let mut u = ImageUse {
            kind: UseKind::From,
            line: 1,
            raw: "alpine".into(),
            span: Some(5..11),
            reference: "alpine".into(),
            image: ImageRef::parse("alpine").unwrap(),
            stage: None,
            platform: None,
        };
        assert_eq!(written(src, &u), Ok(("alpine", 5..11)));
        u.span = Some(4..10);
        assert_eq!(written(src, &u), Err(Skip::NotLiteral));
        u.span = None;
        assert_eq!(written(src, &u), Err(Skip::NotLiteral));
        u.raw = "${B}".into();
        assert_eq!(written(src, &u), Err(Skip::FromArgs));
    }

    #[test]
    fn diff_is_unified() {
        let d = diff(
            "Dockerfile",
            b"FROM a\nRUN x\n",
            b"FROM a:latest@b\nRUN x\n",
        );
        assert_eq!(
            d,
            "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n-FROM a\n+FROM a:latest@b\n RUN x\n"
        );
    }
}
