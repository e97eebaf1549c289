//! Byte splicing, for every in-place edit (pins of every kind of locked input): each edit
//! replaces exactly the bytes of one span, so line endings, a BOM, comments,
//! continuations, flags, quoting and case elsewhere in the file survive byte for byte; and
//! the unified diff `--check` prints. A leaf: it knows bytes, not Dockerfiles.

use std::ops::Range;

/// Replace `range` of the source with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
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
