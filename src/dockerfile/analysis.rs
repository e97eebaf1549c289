//! Build semantics (BuildKit's `dockerfile2llb`): global ARGs and `--build-arg`, the
//! automatic platform ARGs, expanding a FROM before deciding stage or image, `COPY --from`
//! by name or index, mount `from=`, ONBUILD triggers, `--target`; the images that remain.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::dispatch::{reachable, Ctx};
use super::expand::{expand, Vars};
use super::stages::{template_help, Program};
use super::syntax::Word;
use super::{Analysis, BuildOptions, Error, ImageUse, UseKind, Warning};
use crate::platform::Platform;
use crate::reference::ImageRef;

pub(crate) fn analyze(p: Program<'_>, options: &BuildOptions) -> Result<Analysis, Error> {
    let needed = match &options.target {
        None => None,
        Some(t) => Some(target_index(&p, t)?),
    };
    let platforms = if options.platforms.is_empty() {
        vec![Platform::default_target()]
    } else {
        options.platforms.clone()
    };
    let mut images = Vec::new();
    let mut warnings: Vec<Warning> = Vec::new();
    // Line → index in `warnings` of the first warning kept for it, and of any others (a
    // line rarely has two): duplicates are found without copying every message into a set.
    let mut first_warning: HashMap<usize, usize> = HashMap::new();
    let mut more_warnings: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut seen = HashSet::new();
    let mut sources = Vec::new();
    let mut seen_sources = HashSet::new();
    for platform in &platforms {
        let pass = Ctx::new(&p, options, platform).run()?;
        let keep = needed.map(|t| reachable(&pass.deps, t));
        for (stage, s) in pass.sources {
            let wanted = keep.as_ref().is_none_or(|k| k[stage]);
            if wanted && seen_sources.insert((s.line, s.span.clone(), s.value.clone())) {
                sources.push(s);
            }
        }
        if platforms.len() == 1 && keep.is_none() {
            // Nothing to filter or merge: this pass's uses are the result, as they are.
            images = pass.uses;
        } else {
            merge(
                &mut images,
                &mut seen,
                pass.uses,
                pass.use_stages,
                keep.as_deref(),
                platforms.len(),
            );
        }
        for (stage, w) in pass.warnings {
            let wanted = keep.as_ref().is_none_or(|k| k[stage]);
            if !wanted {
                continue;
            }
            match first_warning.entry(w.line) {
                Entry::Vacant(e) => {
                    e.insert(warnings.len());
                }
                Entry::Occupied(e) => {
                    if warnings[*e.get()].message == w.message {
                        continue;
                    }
                    let more = more_warnings.entry(w.line).or_default();
                    if more.iter().any(|&k| warnings[k].message == w.message) {
                        continue;
                    }
                    more.push(warnings.len());
                }
            }
            warnings.push(w);
        }
    }
    images.sort_by_key(|u| u.line);
    images.shrink_to_fit();
    let stage_names = p.stages.into_iter().map(|s| s.name).collect();
    sources.sort_by_key(|s| s.line);
    Ok(Analysis {
        images,
        warnings,
        stages: stage_names,
        sources,
    })
}

/// Add one pass's uses to `images`: those of stages `keep` needs, without duplicates when
/// several platforms are merged.
fn merge(
    images: &mut Vec<ImageUse>,
    seen: &mut HashSet<(UseKind, usize, String, Option<String>)>,
    uses: Vec<ImageUse>,
    stages: Vec<Option<usize>>,
    keep: Option<&[bool]>,
    platforms: usize,
) {
    images.reserve(uses.len());
    for (stage, u) in stages.into_iter().zip(uses) {
        let wanted = match (keep, stage) {
            (Some(k), Some(s)) => k[s],
            _ => true,
        };
        // One platform cannot list a use twice; only merging several needs the set.
        if wanted
            && (platforms == 1
                || seen.insert((u.kind, u.line, u.reference.clone(), u.stage.clone())))
        {
            images.push(u);
        }
    }
}

pub(crate) fn target_index(p: &Program, target: &str) -> Result<usize, Error> {
    let t = target.to_ascii_lowercase();
    p.stages
        .iter()
        .position(|s| s.name.as_deref() == Some(t.as_str()))
        .ok_or_else(|| Error {
            line: p.stages[0].line,
            message: format!("target stage {target:?} could not be found"),
            help: Some(stage_list(p)),
        })
}

/// "the stages are: …", at most `SHOWN` names, so a message stays short however many
/// stages a file has.
pub(crate) fn stage_list(p: &Program) -> String {
    const SHOWN: usize = 12;
    let mut names = p.stages.iter().filter_map(|s| s.name.as_deref());
    let first: Vec<&str> = names.by_ref().take(SHOWN).collect();
    let more = names.count();
    match (first.is_empty(), more) {
        (true, _) => "this Dockerfile has no named stages".into(),
        (false, 0) => format!("the stages are: {}", first.join(", ")),
        (false, n) => format!("the stages are: {}, and {n} more", first.join(", ")),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn use_of(
    kind: UseKind,
    line: usize,
    raw: String,
    span: Option<std::ops::Range<usize>>,
    reference: String,
    image: ImageRef,
    stage: Option<String>,
    platform: Option<String>,
) -> ImageUse {
    ImageUse {
        kind,
        line,
        raw,
        span,
        reference,
        image,
        stage,
        platform,
    }
}

/// The word with quotes removed and variables left as written.
pub(crate) fn as_written(text: &str, escape: char) -> String {
    expand(text, escape, &Vars::new(), true).map_or_else(|_| text.to_string(), |e| e.value)
}

/// A span only when the source holds exactly the reference, with no variables, or holds
/// it in a pair of quotes (`FROM "debian:12"`): then the span is inside them, so a pin
/// goes inside the quotes.
pub(crate) fn literal_span(w: &Word, raw: &str) -> Option<std::ops::Range<usize>> {
    let span = w.span.clone()?;
    if raw == w.text && !raw.contains('$') {
        return Some(span);
    }
    if raw.contains(['$', '"', '\'', '\\', '`']) {
        return None;
    }
    let quoted = ['"', '\''].iter().any(|&q| {
        w.text.len() == raw.len() + 2
            && w.text.starts_with(q)
            && w.text.ends_with(q)
            && w.text[1..w.text.len() - 1] == *raw
    });
    quoted.then(|| span.start + 1..span.end - 1)
}

/// A global ARG's default as the Dockerfile writes it (quotes removed), for a reference
/// held there (`ARG BASE=img:1@sha256:…` / `FROM $BASE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDefault {
    /// The line of the ARG.
    pub line: usize,
    pub value: String,
    /// The value's bytes in the source, when it is written literally (bare or in one pair
    /// of quotes, in one piece): what an edit may replace.
    pub span: Option<std::ops::Range<usize>>,
}

/// The default of the global ARG `name` that a build without `--build-arg name` uses (the
/// last declaration with a default), if any.
pub fn global_arg_default(source: &[u8], name: &str) -> Option<ArgDefault> {
    let p = super::stages::program(source).ok()?;
    let a = p
        .meta_args
        .iter()
        .rev()
        .find(|a| a.key == name && a.default.is_some())?;
    let text = a.default.as_deref()?;
    let value = as_written(text, p.escape);
    let word = Word {
        text: std::borrow::Cow::Borrowed(text),
        span: a.default_span.clone(),
    };
    let span = literal_span(&word, &value).filter(|_| !text.contains(p.escape));
    Some(ArgDefault {
        line: a.line,
        value,
        span,
    })
}

pub(crate) fn expansion_error(line: usize, message: String, word: &str) -> Error {
    // A pathological word (a 10,000-deep `${A:-${B:-…}}`) is shown by its start only.
    let shown = match word.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &word[..cut]),
        None => word.to_string(),
    };
    let message_text = format!("cannot expand `{shown}`: {message}");
    let nested = message.contains("nested more than");
    Error {
        line,
        message: message_text,
        help: template_help(word).filter(|_| !nested).or_else(|| {
            const FORMS: &str = "Dockerfile variables are $V, ${V}, ${V:-default}, ${V-default}, ${V:+alt}, ${V+alt}";
            if message.starts_with("unsupported modifier") {
                Some(format!("this is not Dockerfile variable syntax (a template placeholder?); {FORMS}"))
            } else {
                word.contains("${").then(|| FORMS.to_string())
            }
        }),
    }
}
