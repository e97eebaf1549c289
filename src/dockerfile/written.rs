//! A word as the Dockerfile writes it (quotes removed, variables kept) and where its bytes
//! are, the image use built from it, and the errors that quote a word or name the stages:
//! the pieces the analysis, the dispatcher and the scope all use.

use super::expand::{expand, Vars};
use super::stages::{template_help, Program};
use super::syntax::Word;
use super::{Error, ImageUse, UseKind};
use crate::reference::ImageRef;

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
