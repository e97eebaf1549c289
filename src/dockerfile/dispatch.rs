//! One build pass for one target platform, as `dockerfile2llb` dispatches it: global ARGs,
//! each FROM expanded and then resolved to a stage, `scratch` or an image, and each stage's
//! ARG/ENV scope, `COPY --from`, `RUN --mount from=` and inherited ONBUILD triggers.

use std::collections::{HashMap, HashSet};

use super::analysis::{as_written, expansion_error, literal_span, stage_list, use_of};
use super::csv::csv_fields;
use super::expand::{expand, Vars};

/// A stage's variables: names borrow from the Dockerfile.
type Scope<'p> = HashMap<&'p str, String>;
use super::stages::{template_help, AddCmd, Cmd, Program};
use super::syntax::Word;
use super::{AddSource, BuildOptions, Error, ImageUse, UseKind, Warning};
use crate::platform::Platform;
use crate::reference::ImageRef;

/// Per-platform result: image uses with the stage they belong to, warnings, stage deps.
pub(crate) struct Pass {
    pub uses: Vec<ImageUse>,
    /// The stage of each use (apart, so one platform's uses become the result as they are).
    pub use_stages: Vec<Option<usize>>,
    /// With the stage they arise in, so `--target` can drop those of unneeded stages.
    pub warnings: Vec<(usize, Warning)>,
    pub deps: Vec<Vec<usize>>,
    /// ADD sources with the stage they belong to.
    pub sources: Vec<(usize, AddSource)>,
}

impl Pass {
    fn add_use(&mut self, stage: Option<usize>, u: ImageUse) {
        self.use_stages.push(stage);
        self.uses.push(u);
    }
}

pub(crate) struct Ctx<'a> {
    p: &'a Program<'a>,
    options: &'a BuildOptions,
    globals: Vars,
    /// Names visible to a stage's `ARG X` without a default: declared globals and the
    /// automatic platform ARGs.
    inheritable: HashSet<&'a str>,
    /// Stage name → index; later definitions win, as in BuildKit's map.
    names: HashMap<&'a str, usize>,
    /// `stage_list`, computed once: every COPY --from image repeats it.
    stage_list: Option<String>,
    pass: Pass,
}

impl<'a> Ctx<'a> {
    pub fn new(p: &'a Program<'a>, options: &'a BuildOptions, platform: &Platform) -> Self {
        let mut globals = Vars::new();
        let mut inheritable = HashSet::new();
        for (k, v) in platform.automatic_args(&Platform::default_target()) {
            globals.insert(k.to_string(), v);
            inheritable.insert(k);
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
            globals,
            inheritable,
            names,
            stage_list: None,
            pass: Pass {
                uses: Vec::with_capacity(uses),
                use_stages: Vec::with_capacity(uses),
                warnings: Vec::new(),
                deps: vec![Vec::new(); p.stages.len()],
                sources: Vec::new(),
            },
        }
    }

    pub fn run(mut self) -> Result<Pass, Error> {
        let p = self.p;
        let esc = p.escape;
        if let Some(d) = &p.syntax {
            let image = ImageRef::parse(&d.value).map_err(|e| Error {
                line: d.line,
                message: format!("invalid `# syntax=` image `{}`: {e}", d.value),
                help: None,
            })?;
            self.pass.add_use(
                None,
                use_of(
                    UseKind::Syntax,
                    d.line,
                    d.value.clone(),
                    Some(d.span.clone()),
                    d.value.clone(),
                    image,
                    None,
                    None,
                ),
            );
        }
        // Global ARGs: a --build-arg wins, else the default expanded with earlier globals.
        for a in &p.meta_args {
            self.inheritable.insert(&a.key);
            let value = match (self.options.build_args.get(a.key.as_ref()), &a.default) {
                (Some(v), _) => Some(v.clone()),
                (None, Some(d)) => Some(
                    expand(d, esc, &self.globals, false)
                        .map_err(|m| expansion_error(a.line, m, d))?
                        .value,
                ),
                (None, None) => None,
            };
            if let Some(v) = value {
                self.globals.insert(a.key.to_string(), v);
            }
        }
        let mut persisted: Vec<Scope<'a>> = Vec::with_capacity(p.stages.len());
        let mut seen_names: HashMap<&'a str, usize> = HashMap::with_capacity(p.stages.len());
        for (i, st) in p.stages.iter().enumerate() {
            let exp = expand(&st.base.text, esc, &self.globals, false)
                .map_err(|m| expansion_error(st.line, m, &st.base.text))?;
            if let Some(pl) = &st.platform {
                expand(&pl.text, esc, &self.globals, false)
                    .map_err(|m| expansion_error(st.line, m, &pl.text))?;
            }
            let raw = as_written(&st.base.text, esc);
            let reference = exp.value;
            let mut env = Scope::new();
            let mut base_stage = None;
            if reference.is_empty() || !exp.unset.is_empty() && ImageRef::parse(&reference).is_err()
            {
                return Err(self.unset_error(st.line, &raw, &exp.unset));
            }
            if let Some(&j) = seen_names.get(lower(&reference).as_ref()) {
                base_stage = Some(j);
                env = persisted[j].clone();
                self.pass.deps[i].push(j);
            } else if reference != "scratch" {
                let image = ImageRef::parse(&reference).map_err(|e| Error {
                    line: st.line,
                    message: format!("invalid image reference `{reference}`: {e}"),
                    help: template_help(&raw),
                })?;
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
                self.pass.add_use(Some(i), u);
            }
            let mut scope = env.clone();
            if let Some(j) = base_stage {
                for cmd in &p.stages[j].triggers {
                    self.dispatch(i, cmd, &mut scope, &mut env)?;
                }
            }
            for cmd in &st.commands {
                self.dispatch(i, cmd, &mut scope, &mut env)?;
            }
            persisted.push(env);
            if let Some(n) = &st.name {
                seen_names.insert(n, i);
            }
        }
        Ok(self.pass)
    }

    fn dispatch(
        &mut self,
        i: usize,
        cmd: &'a Cmd<'a>,
        scope: &mut Scope<'a>,
        env: &mut Scope<'a>,
    ) -> Result<(), Error> {
        let esc = self.p.escape;
        match cmd {
            Cmd::Arg(line, pairs) => {
                for (k, default) in pairs {
                    let value = match (self.options.build_args.get(k.as_ref()), default) {
                        (Some(v), _) => Some(v.clone()),
                        (None, Some(d)) => Some(
                            expand(d, esc, scope, false)
                                .map_err(|m| expansion_error(*line, m, d))?
                                .value,
                        ),
                        (None, None) if self.inheritable.contains(k.as_ref()) => {
                            self.globals.get(k.as_ref()).cloned()
                        }
                        (None, None) => None,
                    };
                    if let Some(v) = value {
                        scope.insert(k, v);
                    }
                }
            }
            Cmd::Env(line, pairs) => {
                for (k, v) in pairs {
                    let v = expand(v, esc, scope, false)
                        .map_err(|m| expansion_error(*line, m, v))?
                        .value;
                    scope.insert(k, v.clone());
                    env.insert(k, v);
                }
            }
            Cmd::CopyFrom(line, from) => self.copy_from(i, *line, from)?,
            Cmd::Add(line, add) => self.add(i, *line, add, scope)?,
            Cmd::Mounts(line, mounts) => {
                for m in mounts {
                    self.mount(i, *line, m, scope)?;
                }
            }
        }
        Ok(())
    }

    /// ADD's sources and `--checksum`, expanded with the stage's variables as BuildKit's
    /// `AddCommand.Expand` does.
    fn add(&mut self, i: usize, line: usize, add: &AddCmd, scope: &Scope<'a>) -> Result<(), Error> {
        let esc = self.p.escape;
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
                stage: self.p.stages[i].name.clone(),
                checksum: checksum.clone(),
                checksum_span: checksum_span.clone(),
                flags_at: add.flags_at,
                siblings: add.sources.len(),
            };
            self.pass.sources.push((i, source));
        }
        Ok(())
    }

    /// `COPY --from=`: a stage name (any case), a stage index, or else an image. BuildKit
    /// does not expand variables here.
    fn copy_from(&mut self, i: usize, line: usize, from: &Word) -> Result<(), Error> {
        let name = &from.text;
        if let Ok(index) = name.parse::<i64>() {
            let n = self.p.stages.len();
            return match usize::try_from(index).ok().filter(|&x| x < n) {
                Some(x) => {
                    self.pass.deps[i].push(x);
                    Ok(())
                }
                None => Err(Error {
                    line,
                    message: format!("invalid stage index {index}"),
                    help: Some(format!("this Dockerfile has {n} stage(s), numbered from 0")),
                }),
            };
        }
        if let Some(&j) = self.names.get(lower(name).as_ref()) {
            self.pass.deps[i].push(j);
            return Ok(());
        }
        if name.contains('$') {
            return Err(Error {
                line,
                message: format!("COPY --from={name}: BuildKit does not expand variables in --from"),
                help: Some("name the image in a stage instead (`ARG IMG` … `FROM ${IMG} AS src`) and use COPY --from=src".into()),
            });
        }
        let image = ImageRef::parse(name).map_err(|e| Error {
            line,
            message: format!(
                "COPY --from={name} names no stage, and is not a valid image reference: {e}"
            ),
            help: Some(stage_list(self.p)),
        })?;
        // A name that could be a stage name (BuildKit's `^[a-z][a-z0-9-_.]*$`, compared
        // lower-cased) but names none is most likely a misspelt stage (`--from=set` for
        // `setup`), which BuildKit silently pulls as `docker.io/library/set:latest`: warn.
        // A tag, digest or path (`busybox:1.36`, `ghcr.io/x/y`) can't name a stage, so
        // such a use is plainly an image and needs no warning on every run.
        if could_be_stage_name(name) {
            let p = self.p;
            let stages = self.stage_list.get_or_insert_with(|| stage_list(p));
            self.pass.warnings.push((
                i,
                Warning {
                    line,
                    message: format!(
                        "COPY --from={name} names no stage, so BuildKit pulls the image {}; {stages}",
                        image.normalized(),
                    ),
                },
            ));
        }
        let u = use_of(
            UseKind::CopyFrom,
            line,
            name.to_string(),
            from.span.clone(),
            name.to_string(),
            image,
            self.p.stages[i].name.clone(),
            None,
        );
        self.pass.add_use(Some(i), u);
        Ok(())
    }

    /// `RUN --mount=…,from=X`: the options are expanded with the stage's variables; X is
    /// a stage name or an image (never an index).
    fn mount(&mut self, i: usize, line: usize, m: &Word, scope: &Scope<'a>) -> Result<(), Error> {
        let fields = csv_fields(&m.text).map_err(|e| Error {
            line,
            message: format!("invalid --mount `{}`: {e}", m.text),
            help: None,
        })?;
        for f in fields {
            let Some((key, raw)) = f.text.split_once('=') else {
                continue;
            };
            if !key.eq_ignore_ascii_case("from") {
                continue;
            }
            let value = expand(raw, self.p.escape, scope, false)
                .map_err(|e| expansion_error(line, e, raw))?
                .value;
            if value.is_empty() {
                continue;
            }
            if let Some(&j) = self.names.get(lower(&value).as_ref()) {
                self.pass.deps[i].push(j);
                continue;
            }
            let image = ImageRef::parse(&value).map_err(|e| Error {
                line,
                message: format!(
                    "--mount from={value} names no stage, and is not a valid image reference: {e}"
                ),
                help: Some(stage_list(self.p)),
            })?;
            if value.bytes().all(|b| b.is_ascii_digit()) {
                self.pass.warnings.push((i, Warning {
                    line,
                    message: format!("--mount from={value} is not a stage index (only COPY --from takes one), so BuildKit pulls the image {}", image.normalized()),
                }));
            }
            let span = match (&m.span, &f.range) {
                (Some(s), Some(r)) if value == raw => {
                    Some(s.start + r.start + key.len() + 1..s.start + r.end)
                }
                _ => None,
            };
            let raw = as_written(raw, self.p.escape);
            let u = use_of(
                UseKind::MountFrom,
                line,
                raw,
                span,
                value,
                image,
                self.p.stages[i].name.clone(),
                None,
            );
            self.pass.add_use(Some(i), u);
        }
        Ok(())
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
