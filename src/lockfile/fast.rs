//! A fast reader for locks exactly as `encode` writes them, so that `verify` over a large
//! repository stays in milliseconds.
//!
//! It is safe by construction: a lock read this way is accepted only if encoding it gives
//! back the very bytes that were read. Anything else — a hand edit, a quoted value, an
//! unusual layout, an invalid value — returns `None`, and the caller reads the file with
//! the full YAML parser, which also produces the precise error.

use std::collections::BTreeMap;

use serde_saphyr::{Location, Spanned};

use super::schema::sources::{AddKind, SourceIn, SourceUseIn};
use super::schema::{self, FileIn, ImageIn, Kind, UseIn, HEADER};
use super::Lock;

/// The lock in `text`, if `text` is in canonical form.
pub fn read(text: &str) -> Option<Lock> {
    let file = parse(text)?;
    let lock = schema::decode(file).ok()?;
    let again = schema::encode(&lock).ok()?;
    (again == text).then_some(lock)
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// The lines of `text`, each of which must end with `\n`.
struct Lines<'a> {
    rest: &'a str,
}

impl<'a> Lines<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.rest.split_once('\n').map(|(line, _)| line)
    }

    fn next(&mut self) -> Option<&'a str> {
        let (line, rest) = self.rest.split_once('\n')?;
        self.rest = rest;
        Some(line)
    }

    /// The value after `prefix` on the next line.
    fn field(&mut self, prefix: &str) -> Option<&'a str> {
        let value = self.peek()?.strip_prefix(prefix)?;
        self.next();
        Some(value)
    }
}

/// A scalar as written: plain, or quoted without escapes (`"1.22"`, `'on'`). Anything the
/// serializer would write differently fails the re-encoding check.
fn scalar(s: &str) -> String {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            if !inner.contains([q, '\\']) {
                return inner.to_string();
            }
        }
    }
    s.to_string()
}

fn parse(text: &str) -> Option<FileIn> {
    let mut lines = Lines { rest: text };
    if lines.next()? != HEADER {
        return None;
    }
    let version: u64 = lines.field("version: ")?.parse().ok()?;
    let dockerfile = scalar(lines.field("dockerfile: ")?);
    let mut build_args = BTreeMap::new();
    if lines.field("build-args:").is_some() {
        while let Some(arg) = lines.field("  ") {
            let (k, v) = arg.split_once(": ")?;
            build_args.insert(scalar(k), scalar(v));
        }
    }
    let mut images = Vec::new();
    match lines.next()? {
        "images: []" => {}
        "images:" => {
            while lines.peek().is_some_and(|l| l.starts_with("  - ")) {
                images.push(image(&mut lines)?);
            }
        }
        _ => return None,
    }
    let mut sources = Vec::new();
    if lines.field("sources:").is_some() {
        while lines.peek().is_some() {
            sources.push(source(&mut lines)?);
        }
    }
    if !lines.rest.is_empty() {
        return None;
    }
    Some(FileIn {
        version: spanned(version),
        dockerfile,
        build_args,
        images,
        sources,
        // A lock with packages is read by the full parser.
        packages: Vec::new(),
    })
}

fn image(lines: &mut Lines<'_>) -> Option<ImageIn> {
    let name = scalar(lines.field("  - name: ")?);
    let reference = scalar(lines.field("    reference: ")?);
    let digest = lines.field("    digest: ")?.parse().ok()?;
    let media_type = lines.field("    media-type: ").map(scalar);
    let mut platforms = BTreeMap::new();
    if lines.field("    platforms:").is_some() {
        while let Some(p) = lines.field("      ") {
            let (k, v) = p.split_once(": ")?;
            platforms.insert(k.to_string(), v.parse().ok()?);
        }
    }
    lines.field("    used-by:")?;
    let mut used_by = Vec::new();
    while let Some(u) = lines.field("      - {kind: ") {
        let u = u.strip_suffix('}')?;
        let (kind, stage) = match u.split_once(", stage: ") {
            Some((k, s)) => (k, Some(scalar(s))),
            None => (u, None),
        };
        let kind = match kind {
            "syntax" => Kind::Syntax,
            "from" => Kind::From,
            "copy-from" => Kind::CopyFrom,
            "mount-from" => Kind::MountFrom,
            "image" => Kind::Image,
            "context" => Kind::Context,
            _ => return None,
        };
        used_by.push(UseIn {
            kind,
            by: None,
            dockerfile: None,
            stage,
        });
    }
    Some(ImageIn {
        name: spanned(name),
        reference: spanned(reference),
        digest,
        media_type,
        platforms,
        used_by,
    })
}

fn source(lines: &mut Lines<'_>) -> Option<SourceIn> {
    let url = scalar(lines.field("  - url: ")?);
    let checksum = match lines.field("    checksum: ") {
        Some(d) => Some(d.parse().ok()?),
        None => None,
    };
    let git_ref = lines.field("    ref: ").map(scalar);
    let commit = lines.field("    commit: ").map(|c| spanned(scalar(c)));
    lines.field("    used-by:")?;
    let mut used_by = Vec::new();
    while let Some(u) = lines.field("      - {kind: add") {
        let stage = match u.strip_suffix('}')? {
            "" => None,
            rest => Some(scalar(rest.strip_prefix(", stage: ")?)),
        };
        used_by.push(SourceUseIn {
            kind: AddKind::Add,
            stage,
        });
    }
    Some(SourceIn {
        url: spanned(url),
        checksum,
        git_ref,
        commit,
        // Written only for refs that share a commit; such a lock takes the full reader.
        lines: Vec::new(),
        used_by,
    })
}
