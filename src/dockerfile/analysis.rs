//! Build semantics (BuildKit's `dockerfile2llb`): global ARGs and `--build-arg`, the
//! automatic platform ARGs, expanding a FROM before deciding stage or image, `COPY --from`
//! by name or index, mount `from=`, ONBUILD triggers, `--target`; the images that remain.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use super::dispatch::{reachable, Ctx};
use super::stages::Program;
use super::syntax::Word;
use super::written::{as_written, literal_span, target_index};
use super::{Analysis, BuildOptions, Error, ImageUse, UseKind, Warning};
use crate::platform::Platform;

pub(crate) fn analyze(p: Program<'_>, options: &BuildOptions) -> Result<Analysis, Error> {
    // Without `--target`, BuildKit builds the last stage: only what it needs is pulled.
    let needed = match &options.target {
        None => p.stages.len() - 1,
        Some(t) => target_index(&p, t)?,
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
        let keep = reachable(&pass.deps, needed);
        for (stage, s) in pass.sources {
            if keep[stage] && seen_sources.insert((s.line, s.span.clone(), s.value.clone())) {
                sources.push(s);
            }
        }
        merge(
            &mut images,
            &mut seen,
            pass.uses,
            pass.use_stages,
            &keep,
            platforms.len(),
        );
        for (stage, w) in pass.warnings {
            if !keep[stage] {
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
    keep: &[bool],
    platforms: usize,
) {
    images.reserve(uses.len());
    for (stage, u) in stages.into_iter().zip(uses) {
        // A use of no stage (the `# syntax=` frontend) every build needs.
        let wanted = stage.is_none_or(|s| keep[s]);
        // One platform cannot list a use twice; only merging several needs the set.
        if wanted
            && (platforms == 1
                || seen.insert((u.kind, u.line, u.reference.clone(), u.stage.clone())))
        {
            images.push(u);
        }
    }
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
