//! One build pass for one target platform, in `dockerfile2llb`'s order: global ARGs; each
//! FROM expanded and resolved to an earlier stage (by its lower-cased name, exactly),
//! `scratch` or an image; the dependency graph of `COPY --from` and `RUN --mount from=`
//! (stage names, stage indexes, and the implicit image states they create); circular
//! dependencies; ONBUILD triggers where a child stage runs them; then the stages the target
//! needs are dispatched (`scope`), which is where their ARG, ENV and mount errors arise.

use std::collections::HashMap;

use super::csv::csv_fields;
use super::expand::{expand, Vars};
use super::scope::{self, Scope};
use super::stages::{template_help, trigger_command, AddCmd, Cmd, Program};
use super::syntax::Word;
use super::written::{as_written, expansion_error, literal_span, stage_list, target_index, use_of};
use super::{AddSource, BuildOptions, Error, ImageUse, UseKind, Warning};
use crate::platform::Platform;
use crate::reference::ImageRef;

/// BuildKit's default PATH for a stage of a non-Windows platform.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Per-platform result: image uses with the graph node they belong to, warnings, graph.
pub(crate) struct Pass {
    pub uses: Vec<ImageUse>,
    /// The node of each use (apart, so one platform's uses become the result as they are).
    pub use_stages: Vec<Option<usize>>,
    /// With the stage they arise in, so `--target` can drop those of unneeded stages.
    pub warnings: Vec<(usize, Warning)>,
    /// The graph BuildKit builds: nodes `0..stages` are the stages, later ones the image
    /// states `COPY --from` and mounts create (in the order BuildKit creates them, which
    /// `COPY --from=<n>` can name); edges go to what a node needs.
    pub deps: Vec<Vec<usize>>,
    /// The stage each use is written in or, for a trigger's, run in (for ordering).
    owners: Vec<usize>,
    /// ADD sources of the stages the target needs, with the stage they belong to.
    pub sources: Vec<(usize, AddSource)>,
}

impl Pass {
    fn add_use(&mut self, node: Option<usize>, owner: usize, u: ImageUse) {
        self.use_stages.push(node);
        self.owners.push(owner);
        self.uses.push(u);
    }
}

pub(crate) struct Ctx<'a> {
    p: &'a Program<'a>,
    options: &'a BuildOptions,
    os: String,
    globals: Vars,
    /// Stage name → index; later definitions win, as in BuildKit's map.
    names: HashMap<&'a str, usize>,
    /// `stage_list`, computed once: every COPY --from image repeats it.
    stage_list: Option<String>,
    /// The first image reference that does not parse: BuildKit resolves every state's
    /// image after building the graph, so this error waits for the graph's.
    bad_reference: Option<Error>,
    pass: Pass,
}

/// Where a `COPY --from` or mount source comes from, for its use.
struct Source<'w> {
    kind: UseKind,
    line: usize,
    name: &'w str,
    raw: String,
    span: Option<std::ops::Range<usize>>,
}

impl<'a> Ctx<'a> {
    pub fn new(p: &'a Program<'a>, options: &'a BuildOptions, platform: &Platform) -> Self {
        let mut globals = Vars::new();
        let target = match &options.target {
            Some(t) => t.clone(),
            None => p
                .stages
                .last()
                .and_then(|s| s.name.clone())
                .unwrap_or_else(|| "default".into()),
        };
        let automatic = platform.automatic_args(&Platform::default_target());
        let more = [
            ("BUILDOSVERSION", String::new()),
            ("TARGETOSVERSION", String::new()),
            ("TARGETSTAGE", target),
        ];
        // `defaultArgs`: a --build-arg overrides an automatic ARG, declared or not.
        for (k, v) in automatic.into_iter().chain(more) {
            let v = options.build_args.get(k).cloned().unwrap_or(v);
            globals.insert(k.to_string(), v);
        }
        // Room for a use per FROM, COPY --from and RUN --mount (most mounts name no image,
        // but growing a vector of this size means copying it).
        let uses = 1
            + p.stages.len()
            + p.stages
                .iter()
                .flat_map(|s| &s.commands)
                .filter(|c| matches!(c, Cmd::CopyFrom(..) | Cmd::Mounts(..)))
                .count();
        let mut names = HashMap::with_capacity(p.stages.len());
        for (i, s) in p.stages.iter().enumerate() {
            if let Some(n) = &s.name {
                names.insert(n.as_str(), i);
            }
        }
        Ctx {
            p,
            options,
            os: platform.os().to_string(),
            globals,
            names,
            stage_list: None,
            bad_reference: None,
            pass: Pass {
                uses: Vec::with_capacity(uses),
                use_stages: Vec::with_capacity(uses),
                warnings: Vec::new(),
                deps: vec![Vec::new(); p.stages.len()],
                owners: Vec::with_capacity(uses),
                sources: Vec::new(),
            },
        }
    }

    pub fn run(mut self) -> Result<Pass, Error> {
        let p = self.p;
        if let Some(d) = &p.syntax {
            let image = ImageRef::parse(&d.value).map_err(|e| Error {
                line: d.line,
                message: format!("invalid `# syntax=` image `{}`: {e}", d.value),
                help: None,
            })?;
            let u = use_of(
                UseKind::Syntax,
                d.line,
                d.value.clone(),
                Some(d.span.clone()),
                d.value.clone(),
                image,
                None,
                None,
            );
            self.pass.add_use(None, 0, u);
        }
        self.global_args()?;
        let bases = self.stages()?;
        // The graph: each stage's COPY --from and mounts, in order.
        let mut command_deps: Vec<Vec<(usize, usize)>> = vec![Vec::new(); p.stages.len()];
        for (i, st) in p.stages.iter().enumerate() {
            for cmd in &st.commands {
                for (node, line) in self.sources(i, cmd)? {
                    command_deps[i].push((node, line));
                }
            }
        }
        self.circular(&command_deps)?;
        if let Some(e) = self.bad_reference.take() {
            return Err(e);
        }
        // ONBUILD triggers, parsed where a child stage the target needs runs them; those
        // may need more stages, whose children then run theirs.
        let target = match &self.options.target {
            Some(t) => target_index(p, t)?,
            None => p.stages.len() - 1,
        };
        let mut triggers: Vec<Option<Vec<Cmd<'a>>>> = vec![None; p.stages.len()];
        let needed = loop {
            let needed = reachable(&self.pass.deps, target);
            let mut more = false;
            for i in 0..p.stages.len() {
                let Some(j) = bases[i] else { continue };
                if !needed[i] || triggers[i].is_some() || p.stages[j].triggers.is_empty() {
                    continue;
                }
                triggers[i] = Some(self.triggers(i, j)?);
                more = true;
            }
            if let Some(e) = self.bad_reference.take() {
                return Err(e);
            }
            if !more {
                break needed;
            }
        };
        // Stages the target does not need still list the images their triggers name
        // (another --target needs them), but nothing in them can fail this build.
        for i in 0..p.stages.len() {
            if let (Some(j), None) = (bases[i], &triggers[i]) {
                if !p.stages[j].triggers.is_empty() {
                    let kept = self.triggers(i, j).unwrap_or_default();
                    triggers[i] = Some(kept);
                }
            }
        }
        self.bad_reference = None;
        self.pass.sources = self.dispatch(&bases, &needed, &triggers)?;
        if triggers.iter().any(Option::is_some) {
            self.in_stage_order();
        }
        Ok(self.pass)
    }

    /// Uses by line, and on one line (an ONBUILD trigger several children run) by the
    /// stage they are in, whatever order the triggers were parsed in.
    fn in_stage_order(&mut self) {
        let uses = std::mem::take(&mut self.pass.uses);
        let nodes = std::mem::take(&mut self.pass.use_stages);
        let owners = std::mem::take(&mut self.pass.owners);
        let mut all: Vec<_> = uses.into_iter().zip(nodes).zip(owners).collect();
        all.sort_by_key(|((u, _), owner)| (u.line, *owner));
        for ((u, node), owner) in all {
            self.pass.add_use(node, owner, u);
        }
    }

    /// Global ARGs: a --build-arg wins, else the default expanded with earlier globals.
    fn global_args(&mut self) -> Result<(), Error> {
        for a in &self.p.meta_args {
            let value = match (self.options.build_args.get(a.key.as_ref()), &a.default) {
                (Some(v), _) => Some(v.clone()),
                (None, Some(d)) => Some(
                    expand(d, self.p.escape, &self.globals, false)
                        .map_err(|m| expansion_error(a.line, m, d))?
                        .value,
                ),
                (None, None) => None,
            };
            if let Some(v) = value {
                self.globals.insert(a.key.to_string(), v);
            }
        }
        Ok(())
    }

    /// Every FROM, expanded with the globals: an earlier stage (whose lower-cased name it
    /// is, exactly), `scratch`, or an image. Returns each stage's base stage.
    fn stages(&mut self) -> Result<Vec<Option<usize>>, Error> {
        let p = self.p;
        let esc = p.escape;
        let mut bases = Vec::with_capacity(p.stages.len());
        let mut seen_names: HashMap<&'a str, usize> = HashMap::with_capacity(p.stages.len());
        for (i, st) in p.stages.iter().enumerate() {
            let exp = expand(&st.base.text, esc, &self.globals, false)
                .map_err(|m| expansion_error(st.line, m, &st.base.text))?;
            let raw = as_written(&st.base.text, esc);
            let reference = exp.value;
            // A blank name fails here, as BuildKit reads the stages; a name an unset ARG
            // leaves unparsable fails only where the images are resolved, after every
            // stage has been read, so a later blank name is the error BuildKit reports.
            if reference.is_empty() {
                return Err(self.unset_error(st.line, &raw, &exp.unset));
            }
            if let Some(pl) = &st.platform {
                let v = expand(&pl.text, esc, &self.globals, false)
                    .map_err(|m| expansion_error(st.line, m, &pl.text))?;
                if v.value.is_empty() {
                    return Err(Error {
                        line: st.line,
                        message: format!("empty platform value from expression {}", pl.text),
                        help: v.unset.first().map(|n| {
                            format!("`{n}` is not set: declare `ARG {n}` before the first FROM, or pass --build-arg {n}=<value>")
                        }),
                    });
                }
            }
            let base = seen_names.get(reference.as_str()).copied();
            if let Some(j) = base {
                self.pass.deps[i].push(j);
            } else if reference != "scratch" {
                match ImageRef::parse(&reference) {
                    Ok(image) => {
                        let span = literal_span(&st.base, &raw);
                        let platform = st.platform.as_ref().map(|w| as_written(&w.text, esc));
                        let u = use_of(
                            UseKind::From,
                            st.line,
                            raw,
                            span,
                            reference,
                            image,
                            st.name.clone(),
                            platform,
                        );
                        self.pass.add_use(Some(i), i, u);
                    }
                    Err(_) if !exp.unset.is_empty() => {
                        let e = self.unset_error(st.line, &raw, &exp.unset);
                        self.bad_reference.get_or_insert(e);
                    }
                    Err(e) => {
                        let help = template_help(&raw).or_else(|| {
                            let lower = reference.to_ascii_lowercase();
                            seen_names.contains_key(lower.as_str()).then(|| {
                                format!("FROM names a stage only by its name in lower case, as BuildKit stores it: `FROM {lower}`")
                            })
                        });
                        self.bad_reference.get_or_insert(Error {
                            line: st.line,
                            message: format!("invalid image reference `{reference}`: {e}"),
                            help,
                        });
                    }
                }
            }
            bases.push(base);
            if let Some(n) = &st.name {
                seen_names.insert(n, i);
            }
        }
        Ok(bases)
    }

    /// The nodes `cmd` (of stage `i`) needs, with the line that needs each; adds the image
    /// states it creates, their uses, and the edges.
    fn sources(&mut self, i: usize, cmd: &Cmd<'_>) -> Result<Vec<(usize, usize)>, Error> {
        let mut out = Vec::new();
        match cmd {
            Cmd::CopyFrom(line, from) => {
                if let Some(node) = self.copy_from(i, *line, from)? {
                    out.push((node, *line));
                }
            }
            Cmd::Mounts(line, mounts) => {
                for m in mounts {
                    let node = self.mount(i, *line, m)?;
                    out.push((node, *line));
                }
            }
            Cmd::Arg(..) | Cmd::Env(..) | Cmd::Add(..) => {}
        }
        for &(node, _) in &out {
            self.pass.deps[i].push(node);
        }
        Ok(out)
    }

    /// A node for an image state, as `toCommand` and `detectRunMount` create one for a
    /// source that names no stage; `scratch` is the empty image, not pulled.
    fn image_state(&mut self, i: usize, src: Source<'_>) -> usize {
        let node = self.pass.deps.len();
        self.pass.deps.push(Vec::new());
        if src.name == "scratch" {
            return node;
        }
        match ImageRef::parse(src.name) {
            Ok(image) => {
                let stage = self.p.stages[i].name.clone();
                self.warn_if_misspelt(i, &src, &image);
                let u = use_of(
                    src.kind,
                    src.line,
                    src.raw,
                    src.span,
                    src.name.to_string(),
                    image,
                    stage,
                    None,
                );
                self.pass.add_use(Some(node), i, u);
            }
            Err(e) => {
                let what = match src.kind {
                    UseKind::MountFrom => "--mount from",
                    _ => "COPY --from",
                };
                let help = stage_list(self.p);
                self.bad_reference.get_or_insert(Error {
                    line: src.line,
                    message: format!(
                        "{what}={} names no stage, and is not a valid image reference: {e}",
                        src.name
                    ),
                    help: Some(help),
                });
            }
        }
        node
    }

    fn warn_if_misspelt(&mut self, i: usize, src: &Source<'_>, image: &ImageRef) {
        let message = match src.kind {
            // A name that could be a stage name (BuildKit's `^[a-z][a-z0-9-_.]*$`, compared
            // lower-cased) but names none is most likely a misspelt stage (`--from=set` for
            // `setup`), which BuildKit silently pulls as `docker.io/library/set:latest`. A
            // tag, digest or path (`busybox:1.36`, `ghcr.io/x/y`) can't name a stage.
            UseKind::CopyFrom if could_be_stage_name(src.name) => {
                let p = self.p;
                let stages = self.stage_list.get_or_insert_with(|| stage_list(p));
                format!(
                    "COPY --from={} names no stage, so BuildKit pulls the image {}; {stages}",
                    src.name,
                    image.normalized(),
                )
            }
            UseKind::MountFrom if src.name.bytes().all(|b| b.is_ascii_digit()) => format!(
                "--mount from={} is not a stage index (only COPY --from takes one), so BuildKit pulls the image {}",
                src.name,
                image.normalized()
            ),
            _ => return,
        };
        self.pass.warnings.push((
            i,
            Warning {
                line: src.line,
                message,
            },
        ));
    }

    /// `COPY --from=`: a stage name (any case), an index of a stage or of an image state
    /// created before it, or else an image. BuildKit does not expand variables here.
    fn copy_from(&mut self, i: usize, line: usize, from: &Word) -> Result<Option<usize>, Error> {
        let name: &str = &from.text;
        let unchanged =
            expand(name, self.p.escape, &Vars::new(), false).is_ok_and(|e| e.value == name);
        if !unchanged {
            return Err(Error {
                line,
                message: format!("COPY --from={name}: BuildKit does not expand variables in --from"),
                help: Some("name the image in a stage instead (`ARG IMG` … `FROM ${IMG} AS src`) and use COPY --from=src".into()),
            });
        }
        if let Ok(index) = name.parse::<i64>() {
            let n = self.pass.deps.len();
            return match usize::try_from(index).ok().filter(|&x| x < n) {
                Some(x) => Ok(Some(x)),
                None => Err(Error {
                    line,
                    message: format!("invalid stage index {index}"),
                    help: Some(format!(
                        "this Dockerfile has {} stage(s), numbered from 0",
                        self.p.stages.len()
                    )),
                }),
            };
        }
        if let Some(&j) = self.names.get(lower(name).as_ref()) {
            return Ok(Some(j));
        }
        let src = Source {
            kind: UseKind::CopyFrom,
            line,
            name,
            raw: name.to_string(),
            span: from.span.clone(),
        };
        Ok(Some(self.image_state(i, src)))
    }

    /// `RUN --mount=…,from=X`: X as written (BuildKit expands no variables in it, and
    /// rejects them when parsing) names a stage, or else an image; no `from` is `scratch`.
    fn mount(&mut self, i: usize, line: usize, m: &Word) -> Result<usize, Error> {
        let fields = csv_fields(&m.text).map_err(|e| Error {
            line,
            message: format!("invalid --mount `{}`: {e}", m.text),
            help: None,
        })?;
        let from = fields.iter().rev().find_map(|f| {
            let (key, value) = f.text.split_once('=')?;
            key.eq_ignore_ascii_case("from")
                .then_some((f, key.len(), value))
        });
        let (name, span) = match from {
            Some((f, key_len, value)) if !value.is_empty() => {
                let span = match (&m.span, &f.range) {
                    (Some(s), Some(r)) => Some(s.start + r.start + key_len + 1..s.start + r.end),
                    _ => None,
                };
                (value, span)
            }
            _ => ("scratch", None),
        };
        if let Some(&j) = self.names.get(lower(name).as_ref()) {
            return Ok(j);
        }
        let src = Source {
            kind: UseKind::MountFrom,
            line,
            name,
            raw: name.to_string(),
            span,
        };
        Ok(self.image_state(i, src))
    }

    /// `validateCircularDependency`: a stage that needs itself, through COPY --from and
    /// mounts. The error names the stage the search started from and the first command on
    /// the path, as BuildKit's does.
    fn circular(&self, deps: &[Vec<(usize, usize)>]) -> Result<(), Error> {
        let n = deps.len();
        let mut visited = vec![false; n];
        let mut on_path = vec![false; n];
        for start in 0..n {
            if visited[start] {
                continue;
            }
            // (stage, next edge to try, line of the command that led here)
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            let mut lines: Vec<usize> = Vec::new();
            visited[start] = true;
            on_path[start] = true;
            while let Some(&mut (s, ref mut k)) = stack.last_mut() {
                let Some(&(dep, line)) = deps[s].get(*k) else {
                    on_path[s] = false;
                    stack.pop();
                    lines.pop();
                    continue;
                };
                *k += 1;
                if dep >= n {
                    continue;
                }
                if on_path[dep] {
                    let first = lines.first().copied().unwrap_or(line);
                    let name = match &self.p.stages[start].name {
                        Some(name) => name.clone(),
                        None => format!("stage-{start}"),
                    };
                    return Err(Error {
                        line: first,
                        message: format!("circular dependency detected on stage: {name}"),
                        help: Some("a stage cannot COPY or mount from itself, or from a stage that needs it".into()),
                    });
                }
                if !visited[dep] {
                    visited[dep] = true;
                    on_path[dep] = true;
                    stack.push((dep, 0));
                    lines.push(line);
                }
            }
        }
        Ok(())
    }

    /// The triggers of stage `j`, parsed for its child `i` (`initOnBuildTriggers`): an
    /// error in one is reported on the child's FROM line.
    fn triggers(&mut self, i: usize, j: usize) -> Result<Vec<Cmd<'a>>, Error> {
        let p = self.p;
        let at_from = |e: Error| Error {
            line: p.stages[i].line,
            message: format!("ONBUILD trigger (line {}): {}", e.line, e.message),
            help: e.help,
        };
        let mut out = Vec::new();
        for t in &p.stages[j].triggers {
            let Some(cmd) = trigger_command(t, p.escape).map_err(at_from)? else {
                continue;
            };
            self.sources(i, &cmd).map_err(at_from)?;
            out.push(cmd);
        }
        Ok(out)
    }

    /// Dispatch the stages the target needs, in order, for their errors and for what their
    /// ADDs fetch (sources are expanded in the stage's scope, as BuildKit expands them).
    fn dispatch(
        &self,
        bases: &[Option<usize>],
        needed: &[bool],
        triggers: &[Option<Vec<Cmd<'a>>>],
    ) -> Result<Vec<(usize, AddSource)>, Error> {
        let mut sources = Vec::new();
        let p = self.p;
        let env = scope::Env {
            build_args: &self.options.build_args,
            globals: &self.globals,
            escape: p.escape,
        };
        let mut finished: Vec<Option<Scope<'_>>> = vec![None; p.stages.len()];
        for (i, st) in p.stages.iter().enumerate() {
            // A stage the target does not need cannot fail the build, but another
            // --target may build it: its ADDs are still listed, as far as they expand.
            let strict = needed[i];
            let mut scope = match bases[i].and_then(|j| finished[j].clone()) {
                Some(s) => s,
                None if self.os != "windows" => Scope::from([("PATH", DEFAULT_PATH.to_string())]),
                None => Scope::new(),
            };
            let inherited = triggers[i].iter().flatten();
            for cmd in inherited.chain(&st.commands) {
                let done = match cmd {
                    Cmd::Add(line, add) => add_sources(p, i, *line, add, &scope, &mut sources),
                    _ => Ok(()),
                }
                .and_then(|()| scope::run(cmd, &mut scope, &env));
                match done {
                    Err(e) if strict => return Err(e),
                    _ => {}
                }
            }
            finished[i] = Some(scope);
        }
        Ok(sources)
    }

    /// A FROM that is empty or invalid because variables are unset: name them and say how
    /// to set them, never show the half-expanded reference.
    fn unset_error(&self, line: usize, raw: &str, unset: &[String]) -> Error {
        let Some(first) = unset.first() else {
            return Error {
                line,
                message: format!("base name `{raw}` is empty after ARG expansion"),
                help: template_help(raw)
                    .or_else(|| Some("give it a value with --build-arg".into())),
            };
        };
        let declared = self.p.meta_args.iter().any(|a| &a.key == first);
        let later = self.p.stages.iter().any(|s| {
            s.commands
                .iter()
                .any(|c| matches!(c, Cmd::Arg(_, pairs) if pairs.iter().any(|(k, _)| k == first)))
        });
        let help = if declared {
            format!("pass --build-arg {first}=<value>, or give `ARG {first}` a default")
        } else if later {
            format!("`ARG {first}` is declared after the first FROM, where FROM cannot see it: declare it before the first FROM (then --build-arg {first}=<value> sets it)")
        } else {
            format!("declare `ARG {first}=<default>` before the first FROM, or declare it and pass --build-arg {first}=<value>")
        };
        let names: Vec<String> = unset.iter().map(|n| format!("`{n}`")).collect();
        Error {
            line,
            message: format!(
                "FROM `{raw}` needs {} {}, which {} not set",
                if unset.len() == 1 { "ARG" } else { "ARGs" },
                names.join(", "),
                if unset.len() == 1 { "is" } else { "are" }
            ),
            help: Some(help),
        }
    }
}

/// ADD's sources and `--checksum` in stage `i`, expanded with the stage's variables as
/// BuildKit's `AddCommand.Expand` does.
fn add_sources(
    p: &Program<'_>,
    i: usize,
    line: usize,
    add: &AddCmd<'_>,
    scope: &Scope<'_>,
    out: &mut Vec<(usize, AddSource)>,
) -> Result<(), Error> {
    let esc = p.escape;
    let word = |w: &str| {
        expand(w, esc, scope, false)
            .map(|e| e.value)
            .map_err(|m| expansion_error(line, m, w))
    };
    let checksum = match &add.checksum {
        Some((flag, at)) => Some(word(&flag.text[*at..])?),
        None => None,
    };
    let checksum_span = add.checksum.as_ref().and_then(|(f, _)| {
        f.span
            .clone()
            .filter(|_| !f.text.contains(['$', '"', '\'', esc]))
    });
    for w in &add.sources {
        let raw = as_written(&w.text, esc);
        let source = AddSource {
            line,
            span: literal_span(w, &raw),
            value: word(&w.text)?,
            raw,
            stage: p.stages[i].name.clone(),
            checksum: checksum.clone(),
            checksum_span: checksum_span.clone(),
            flags_at: add.flags_at,
            siblings: add.sources.len(),
            origin: None,
        };
        out.push((i, source));
    }
    Ok(())
}

/// The nodes `target` needs, through FROM, COPY --from, mounts and triggers (iterative).
pub(crate) fn reachable(deps: &[Vec<usize>], target: usize) -> Vec<bool> {
    let mut keep = vec![false; deps.len()];
    let mut todo = vec![target];
    while let Some(s) = todo.pop() {
        if !std::mem::replace(&mut keep[s], true) {
            todo.extend(deps[s].iter().copied());
        }
    }
    keep
}

/// Stage names are stored lower-cased and looked up case-insensitively; most names are
/// lower case already, so borrow them.
fn lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Whether `name` has the shape of a stage name: `^[a-z][a-z0-9-_.]*$`, case-insensitive.
fn could_be_stage_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
