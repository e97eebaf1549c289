//! Images, step 6: the pins `rewrite` writes (`name:tag@digest` from the lock, or
//! `--unpin`), and the pins `update` moves, each an edit of exactly one reference's bytes.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use super::plan::Want;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::{global_arg_default, Analysis, ImageUse, UseKind};
use crate::lockfile::{Key, Lock};
use crate::reference::{Digest, ImageRef};
use crate::splice::Edit;
use crate::workspace::Target;

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

/// `rewrite`'s image edits for one file: the pins from the lock (notes for the uses left as
/// written), or with `unpin` their removal. A use the lock lacks is an error.
pub fn edits(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &Analysis,
    unpin: bool,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Edit>, Failure> {
    if unpin {
        return Ok(unpin_all(source, &analysis.images));
    }
    pin_edits(target, lock, source, analysis, notes)
}

fn pin_edits(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    analysis: &Analysis,
    notes: &mut Vec<Diagnostic>,
) -> Result<Vec<Edit>, Failure> {
    let pinning = pin_all(source, &analysis.images, |key| {
        lock.images.get(key).map(|e| e.digest.clone())
    });
    for (u, skip) in &pinning.skipped {
        // A compose, bake, dev container or workflow value is interpolated, not an ARG.
        let in_a_file = matches!(u.kind, UseKind::Image | UseKind::Context);
        let why = match skip {
            Skip::FromArgs if in_a_file => "is interpolated from variables and left as written (pinning it would defeat them); the lock still covers it",
            Skip::FromArgs => "is built from ARGs and left as written (pinning it would defeat --build-arg); the lock still covers it",
            Skip::NotLiteral => "is quoted or split across lines and is left as written; the lock still covers it",
        };
        notes.push(
            Diagnostic::new(format!("`{}` {why}", u.raw)).at(&target.dockerfile, Some(u.line)),
        );
    }
    if pinning.missing.is_empty() {
        return Ok(pinning.edits);
    }
    let errors = pinning
        .missing
        .iter()
        .map(|u| {
            Diagnostic::new(format!(
                "`{}` has no entry in {}",
                u.raw,
                target.lock.display()
            ))
            .at(&target.dockerfile, Some(u.line))
            .with_help(format!(
                "run `dockerfile-lock generate {}` to lock it, then rewrite again",
                target.dockerfile.display()
            ))
        })
        .collect();
    Err(Failure(errors))
}

/// One file as `update` read it: what moving its pins needs.
pub struct File<'a> {
    pub dockerfile: &'a Path,
    pub source: &'a [u8],
    pub analysis: &'a Analysis,
    pub wanted: &'a BTreeMap<Key, Want>,
    /// The build args the lock records: a FROM built from one of them is not moved.
    pub build_args: &'a BTreeMap<String, String>,
}

/// The edits that move each already-pinned reference to its new digest, where it is
/// written: in the FROM (quoted or not), or in the default of the global ARG a FROM names
/// whole (`ARG BASE=img:1@sha256:…` / `FROM $BASE`); none when no pin moved. The
/// diagnostics of pins that cannot be moved in place. Unpinned references stay unpinned:
/// that is `rewrite`'s job.
pub fn repinned(file: &File<'_>, old: &Lock, new: &Lock) -> Result<Vec<Edit>, Vec<Diagnostic>> {
    let changed: BTreeMap<&Key, &Digest> = new
        .images
        .iter()
        .filter(|(k, e)| k.is_tag() && old.images.get(*k).is_some_and(|o| o.digest != e.digest))
        .map(|(k, e)| (k, &e.digest))
        .collect();
    let pinned_in_file = file.wanted.values().any(|w| w.pinned.is_some());
    if changed.is_empty() || !pinned_in_file {
        return Ok(Vec::new());
    }
    let mut edits = Vec::new();
    let mut stuck = Vec::new();
    for u in &file.analysis.images {
        let Some(digest) = changed.get(&Key::for_use(&u.image)) else {
            continue;
        };
        if u.image.digest().is_none() || u.image.is_digest_only() {
            continue;
        }
        let at = match written(file.source, u) {
            Ok((text, range)) => Some((text.to_string(), range)),
            Err(_) => in_arg_default(file, u),
        };
        match at.and_then(|(text, range)| pinned(&text, digest).map(|t| (t, range))) {
            Some((text, range)) => edits.push(Edit { range, text }),
            None => stuck.push(
                Diagnostic::new(format!(
                    "`{}` is pinned where update cannot move it to {digest}",
                    u.raw
                ))
                .at(file.dockerfile, Some(u.line))
                .with_help("edit the digest by hand (or unpin it with `rewrite --unpin` and pin again with `rewrite`), then update again"),
            ),
        }
    }
    if !stuck.is_empty() {
        return Err(stuck);
    }
    Ok(edits)
}

/// For `FROM $NAME` (or `${NAME}`) whose reference is the literal default of global ARG
/// NAME, not overridden by a --build-arg: that default's text and bytes.
fn in_arg_default(file: &File<'_>, u: &ImageUse) -> Option<(String, Range<usize>)> {
    if u.kind != UseKind::From {
        return None;
    }
    let name = u.raw.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    if file.build_args.contains_key(name) {
        return None;
    }
    let d = global_arg_default(file.source, name)?;
    (d.value == u.reference).then_some(())?;
    Some((d.value, d.span?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::UseKind;

    const A: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const B: &str = "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

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
}
