//! From the syntax tree to build stages, with the checks BuildKit's `instructions.Parse`
//! makes: known instructions, only ARG before the first FROM, FROM's arguments and stage
//! names, ONBUILD triggers, and the flags that name images (`--platform`, `--from`,
//! `--mount`). Nothing is expanded here.

use std::borrow::Cow;
use std::ops::Range;

use super::flags;
use super::lexer;
use super::syntax::{self, Instruction, Word};
use super::words::{self as w, parse_words, split_command};
use super::{Directive, Error};

/// An ARG before the first FROM.
#[derive(Debug, Clone)]
pub(crate) struct MetaArg<'a> {
    pub key: Cow<'a, str>,
    pub default: Option<Cow<'a, str>>,
    pub line: usize,
    /// Where the default is in the source, when the instruction is written in one piece.
    pub default_span: Option<Range<usize>>,
}

/// A stage instruction that matters for images: variables, and sources of other stages
/// or images.
#[derive(Debug, Clone)]
pub(crate) enum Cmd<'a> {
    Arg(usize, Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>),
    Env(usize, Vec<(Cow<'a, str>, Cow<'a, str>)>),
    CopyFrom(usize, Word<'a>),
    Mounts(usize, Vec<Word<'a>>),
    Add(usize, AddCmd<'a>),
}

/// An ADD instruction's sources (its words but the last), `--checksum` flag, and where a
/// flag can be inserted (just after the keyword; `None` in an ONBUILD trigger).
#[derive(Debug, Clone)]
pub(crate) struct AddCmd<'a> {
    pub sources: Vec<Word<'a>>,
    /// The whole `--checksum=…` flag word, and the value's start within it.
    pub checksum: Option<(Word<'a>, usize)>,
    pub flags_at: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Stage<'a> {
    /// Lower-cased, as BuildKit stores it.
    pub name: Option<String>,
    pub line: usize,
    pub base: Word<'a>,
    pub platform: Option<Word<'a>>,
    pub commands: Vec<Cmd<'a>>,
    /// This stage's own ONBUILD triggers, as written: BuildKit parses one only where a
    /// child stage (built FROM this one) runs it, so errors in it belong to that child.
    pub triggers: Vec<Instruction<'a>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Program<'a> {
    pub syntax: Option<Directive>,
    pub escape: char,
    pub meta_args: Vec<MetaArg<'a>>,
    pub stages: Vec<Stage<'a>>,
}

const INSTRUCTIONS: [&str; 18] = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

fn err(line: usize, message: impl Into<String>) -> Error {
    Error {
        line,
        message: message.into(),
        help: None,
    }
}

/// Template placeholders (`{{ … }}`) are the commonest reason a "Dockerfile" fails.
pub(crate) fn template_help(text: &str) -> Option<String> {
    (text.contains("{{") || text.contains("}}")).then(|| {
        "this looks like a template (`{{ … }}`), not a Dockerfile: render it first".to_string()
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The instruction's canonical (lower-case) name, if BuildKit knows it; no allocation,
/// since this runs once per instruction.
fn known(ins: &Instruction) -> Option<&'static str> {
    keyword(ins.keyword.as_bytes())
}

/// The canonical (lower-case) name of keyword `kw`, if BuildKit knows it: lower-cased once
/// on the stack, then compared whole.
fn keyword(kw: &[u8]) -> Option<&'static str> {
    let mut buf = [0u8; 11]; // "healthcheck", the longest
    let lower = buf.get_mut(..kw.len())?;
    lower.copy_from_slice(kw);
    lower.make_ascii_lowercase();
    INSTRUCTIONS
        .iter()
        .find(|k| k.as_bytes() == &*lower)
        .copied()
}

fn unknown_instruction(ins: &Instruction) -> Error {
    let kw = ins.command();
    let guess = INSTRUCTIONS
        .iter()
        .filter(|k| kw.len() < 20 && edit_distance(&kw, k) <= 2)
        .min_by_key(|k| edit_distance(&kw, k));
    let help = template_help(&ins.args.text)
        .or_else(|| template_help(&ins.keyword))
        .or_else(|| guess.map(|g| format!("did you mean {}?", g.to_ascii_uppercase())));
    Error {
        line: ins.start_line,
        message: format!(
            "unknown instruction: {}",
            // A keyword is a word; anything longer is not one (a file that is no
            // Dockerfile, such as `/proc/self/environ`): quote only its start.
            crate::diagnostic::excerpt(&ins.keyword, 24)
        ),
        help,
    }
}

/// `text[r]`, borrowed for as long as `text` borrows.
fn sub<'a>(text: &Cow<'a, str>, r: Range<usize>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(&s[r]),
        Cow::Owned(s) => Cow::Owned(s[r].to_string()),
    }
}

/// The value of a string flag; `--flag` without `=` is an error, as in BuildKit's BFlags.
fn string_flag<'a>(ins: &Instruction<'a>, name: &str) -> Result<Vec<Word<'a>>, Error> {
    let mut out = Vec::new();
    for f in &ins.flags {
        let Some(v) = flag_value(f, name) else {
            continue;
        };
        match v {
            Some((start, span)) => out.push(Word {
                text: sub(&f.text, start..f.text.len()),
                span,
            }),
            None => {
                return Err(err(
                    ins.start_line,
                    format!("missing a value on flag: {name}"),
                ))
            }
        }
    }
    Ok(out)
}

/// `Instruction::flag_values` for one flag: `None` when it is not `--name`, else where its
/// value starts in the text and the value's span (`Some(None)`: no `=`).
#[allow(clippy::type_complexity)]
fn flag_value(f: &Word<'_>, name: &str) -> Option<Option<(usize, Option<Range<usize>>)>> {
    let rest = f.text.strip_prefix("--")?;
    let (n, v) = match rest.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (rest, None),
    };
    (n == name).then(|| {
        v.map(|v| {
            let span = f.span.as_ref().map(|s| s.end - v.len()..s.end);
            (f.text.len() - v.len(), span)
        })
    })
}

/// ARG's `name[=default]` words.
#[allow(clippy::type_complexity)]
fn arg_pairs<'a>(
    ins: &Instruction<'a>,
    escape: char,
) -> Result<Vec<(Cow<'a, str>, Option<Cow<'a, str>>)>, Error> {
    let text = &ins.args.text;
    let words = parse_words(text, escape);
    if words.is_empty() {
        return Err(err(ins.start_line, "ARG requires at least one argument"));
    }
    Ok(words
        .into_iter()
        .map(|w| match text[w.clone()].find('=') {
            Some(i) => (
                sub(text, w.start..w.start + i),
                Some(sub(text, w.start + i + 1..w.end)),
            ),
            None => (sub(text, w), None),
        })
        .collect())
}

/// Where each ARG word's default lies in the source (`arg_pairs`' words, in order).
fn default_spans(ins: &Instruction<'_>, escape: char) -> Vec<Option<Range<usize>>> {
    let text = &ins.args.text;
    parse_words(text, escape)
        .into_iter()
        .map(|w| {
            let eq = text[w.clone()].find('=')?;
            let s = ins.args.span.as_ref()?;
            Some(s.start + w.start + eq + 1..s.start + w.end)
        })
        .collect()
}

/// ENV's `name=value …` or legacy `name value`.
#[allow(clippy::type_complexity)]
fn env_pairs<'a>(
    ins: &Instruction<'a>,
    escape: char,
) -> Result<Vec<(Cow<'a, str>, Cow<'a, str>)>, Error> {
    let text = &ins.args.text;
    let words = parse_words(text, escape);
    let Some(first) = words.first() else {
        return Err(err(ins.start_line, "ENV must have two arguments"));
    };
    if !text[first.clone()].contains('=') {
        let Some(k_end) = text.find([' ', '\t', '\r', '\x0b', '\x0c']) else {
            return Err(err(ins.start_line, "ENV must have two arguments"));
        };
        let v = &text[k_end + 1..];
        let v_start = text.len() - v.trim_start().len();
        return Ok(vec![(sub(text, 0..k_end), sub(text, v_start..text.len()))]);
    }
    words
        .into_iter()
        .map(|w| match text[w.clone()].find('=') {
            Some(i) => Ok((
                sub(text, w.start..w.start + i),
                sub(text, w.start + i + 1..w.end),
            )),
            None => Err(err(
                ins.start_line,
                format!(
                    "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                    &text[w]
                ),
            )),
        })
        .collect()
}

/// The image-relevant meaning of a stage instruction (or ONBUILD trigger).
fn command<'a>(
    ins: &Instruction<'a>,
    escape: char,
    trigger: bool,
) -> Result<Option<Cmd<'a>>, Error> {
    let line = ins.start_line;
    let Some(kw) = known(ins) else {
        return Err(unknown_instruction(ins));
    };
    Ok(match kw {
        "arg" => Some(Cmd::Arg(line, arg_pairs(ins, escape)?)),
        "env" => Some(Cmd::Env(line, env_pairs(ins, escape)?)),
        "copy" => string_flag(ins, "from")?
            .pop()
            .filter(|w| !w.text.is_empty())
            .map(|w| Cmd::CopyFrom(line, w)),
        "add" => Some(Cmd::Add(line, add_cmd(ins, trigger)?)),
        "run" => {
            let mounts = string_flag(ins, "mount")?;
            for m in &mounts {
                flags::check_mount(&m.text).map_err(|e| err(line, e))?;
            }
            (!mounts.is_empty()).then_some(Cmd::Mounts(line, mounts))
        }
        "onbuild" if trigger => {
            return Err(err(
                line,
                "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
            ))
        }
        "from" | "maintainer" if trigger => {
            return Err(err(
                line,
                format!(
                    "{} isn't allowed as an ONBUILD trigger",
                    kw.to_ascii_uppercase()
                ),
            ))
        }
        _ => None,
    })
}

/// An ONBUILD trigger as a child stage parses it (`instructions.ParseCommand` in
/// `initOnBuildTriggers`): a known instruction whose flags check out. The error's line is
/// the trigger's; the caller moves it to the child's FROM, as BuildKit does.
pub(crate) fn trigger_command<'a>(
    ins: &Instruction<'a>,
    escape: char,
) -> Result<Option<Cmd<'a>>, Error> {
    let Some(k) = known(ins) else {
        return Err(unknown_instruction(ins));
    };
    arguments(k, &ins.args.text)
        .and_then(|()| flags::check(k, ins.flags.iter().map(|f| f.text.as_ref()), &ins.args.text))
        .map_err(|e| err(ins.start_line, e))?;
    command(ins, escape, true)
}

/// ADD's sources as BuildKit's `parseMaybeJSONToList` splits them: a JSON array of
/// strings, else whitespace-separated fields (quotes kept, removed on expansion).
fn add_cmd<'a>(ins: &Instruction<'a>, trigger: bool) -> Result<AddCmd<'a>, Error> {
    string_flag(ins, "checksum")?;
    let checksum = ins
        .flags
        .iter()
        .rfind(|f| f.text.starts_with("--checksum="))
        .map(|f| (f.clone(), "--checksum=".len()));
    let json = ins.args.text.trim_start().starts_with('[');
    let mut sources = match serde_json::from_str::<Vec<String>>(&ins.args.text) {
        Ok(list) if json => list
            .into_iter()
            .map(|text| Word {
                text: Cow::Owned(text),
                span: None,
            })
            .collect(),
        _ => ins.fields.clone(),
    };
    sources.pop();
    let flags_at = (!trigger).then(|| ins.span.start + ins.keyword.len());
    Ok(AddCmd {
        sources,
        checksum,
        flags_at,
    })
}

/// BuildKit's stage name rule: `^[a-z][a-z0-9-_.]*$` after lower-casing.
fn valid_stage_name(name: &str) -> bool {
    let mut b = name.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase())
        && b.all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.')
        })
}

fn stage<'a>(ins: &Instruction<'a>) -> Result<Stage<'a>, Error> {
    let line = ins.start_line;
    let platform = string_flag(ins, "platform")?.pop();
    let f = &ins.fields;
    let name = match f.len() {
        1 => None,
        3 if f[1].text.eq_ignore_ascii_case("as") => {
            let name = f[2].text.to_ascii_lowercase();
            if !valid_stage_name(&name) {
                return Err(Error {
                    line,
                    message: format!(
                        "invalid name for build stage: {:?}, name can't start with a number or contain symbols",
                        f[2].text
                    ),
                    help: template_help(&ins.args.text),
                });
            }
            Some(name)
        }
        n => {
            let help = template_help(&ins.args.text).or_else(|| {
                Some(match n {
                    0 => "name an image: `FROM alpine:3.20`".to_string(),
                    2 if f[1].text.eq_ignore_ascii_case("as") => {
                        "name the stage after AS: `FROM image AS name`".to_string()
                    }
                    _ if ins.args.text.contains('\r') => "this file seems to use CR (classic Mac) line endings, which BuildKit reads as one line: convert them to LF".to_string(),
                    _ => "FROM takes an image and optionally `AS name`".to_string(),
                })
            });
            return Err(Error {
                line,
                message: "FROM requires either one or three arguments".into(),
                help,
            });
        }
    };
    Ok(Stage {
        name,
        line,
        base: f[0].clone(),
        platform,
        commands: Vec::new(),
        triggers: Vec::new(),
    })
}

/// Instructions the image analysis reads; the others are only checked by keyword.
const NEEDED: [&str; 5] = ["from", "arg", "env", "onbuild", "add"];

/// Stages and global ARGs, collected one instruction at a time.
#[derive(Default)]
struct Builder<'a> {
    meta_args: Vec<MetaArg<'a>>,
    stages: Vec<Stage<'a>>,
    count: usize,
    last_line: usize,
}

impl<'a> Builder<'a> {
    fn add(&mut self, ins: &Instruction<'a>, escape: char) -> Result<(), Error> {
        if ins.keyword.eq_ignore_ascii_case("from") {
            self.stages.push(stage(ins)?);
            return Ok(());
        }
        let cmd = command(ins, escape, false)?;
        let Some(current) = self.stages.last_mut() else {
            return match cmd {
                Some(Cmd::Arg(line, pairs)) => {
                    let spans = default_spans(ins, escape);
                    let args = pairs
                        .into_iter()
                        .zip(spans)
                        .map(|((key, default), span)| MetaArg {
                            key,
                            default,
                            line,
                            default_span: span,
                        });
                    self.meta_args.extend(args);
                    Ok(())
                }
                _ => Err(before_first_from(&ins.keyword, ins.start_line)),
            };
        };
        if ins.keyword.eq_ignore_ascii_case("onbuild") {
            let Some(trigger) = &ins.trigger else {
                return Err(err(
                    ins.start_line,
                    "ONBUILD requires at least one argument",
                ));
            };
            // `parseOnBuild` looks only at the trigger's keyword; the rest waits for a
            // stage that runs it.
            match keyword(trigger.keyword.as_bytes()) {
                Some("onbuild") => {
                    return Err(err(
                        ins.start_line,
                        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                    ))
                }
                Some(k @ ("from" | "maintainer")) => {
                    return Err(err(
                        ins.start_line,
                        format!(
                            "{} isn't allowed as an ONBUILD trigger",
                            k.to_ascii_uppercase()
                        ),
                    ))
                }
                _ => current.triggers.push((**trigger).clone()),
            }
        } else if let Some(cmd) = cmd {
            current.commands.push(cmd);
        }
        Ok(())
    }
}

/// The argument checks of `instructions.Parse` for instructions the analysis otherwise
/// skips: `HEALTHCHECK` needs `NONE` or a command (`parseHealthcheck`).
fn arguments(keyword: &str, args: &str) -> Result<(), String> {
    if keyword == "healthcheck" && args.trim().is_empty() {
        return Err("HEALTHCHECK requires at least one argument".into());
    }
    Ok(())
}

fn before_first_from(keyword: &str, line: usize) -> Error {
    Error {
        line,
        message: format!(
            "{} before the first FROM: no build stage in current context",
            keyword.to_ascii_uppercase()
        ),
        help: Some("only ARG may come before the first FROM".into()),
    }
}

/// The checks of BuildKit's parser proper on one instruction: LABEL and ENV (also as an
/// ONBUILD trigger) must be `name=value` pairs or the legacy `name value`.
fn parser_checks(
    text: &[u8],
    split: &w::Split,
    known: Option<&'static str>,
    escape: char,
) -> Result<(), String> {
    let (kw, args) = match known {
        Some("label" | "env") => (known, split.args.clone()),
        Some("onbuild") if !split.args.is_empty() => {
            let inner = split_command(text, split.args.start, split.args.end);
            (keyword(&text[inner.keyword.clone()]), inner.args)
        }
        _ => return Ok(()),
    };
    match kw {
        Some(k @ ("label" | "env")) => {
            flags::check_name_val(&k.to_ascii_uppercase(), &w::lossy(&text[args]), escape)
        }
        _ => Ok(()),
    }
}

/// Read `source` in one pass, check its instructions as BuildKit's `instructions.Parse`
/// does, and group them into stages. Errors of the parser proper (anywhere in the file)
/// come first, as in BuildKit, which parses the whole file before checking instructions.
pub(crate) fn program(source: &[u8]) -> Result<Program<'_>, Error> {
    let mut b = Builder::default();
    let mut failed: Option<Error> = None;
    // The parser's own errors (LABEL and ENV `name=value` pairs) win over the instruction
    // checks wherever they are, as BuildKit parses the whole file first.
    let mut parse_failed: Option<Error> = None;
    let lexed = lexer::lex(source, |raw| {
        if parse_failed.is_some() {
            return;
        }
        let text = &raw.line.text;
        let split = split_command(text, 0, text.len());
        let kw = &text[split.keyword.clone()];
        let known = keyword(kw);
        if let Err(e) = parser_checks(text, &split, known, raw.escape as char) {
            parse_failed = Some(err(raw.start_line, e));
            return;
        }
        if failed.is_some() {
            return;
        }
        b.count += 1;
        b.last_line = raw.start_line;
        // `parseHealthcheck` counts its arguments before it parses its flags.
        if let Some(k) = known {
            if let Err(e) = arguments(k, &w::lossy(&text[split.args.clone()])) {
                failed = Some(err(raw.start_line, e));
                return;
            }
        }
        if let (Some(k), false) = (known, split.flags.is_empty()) {
            let flag_texts: Vec<Cow<'_, str>> = split.flags.iter().map(|f| f.text(text)).collect();
            let args = w::lossy(&text[split.args.clone()]);
            if let Err(e) = flags::check(k, flag_texts.iter().map(|f| f.as_ref()), &args) {
                failed = Some(err(raw.start_line, e));
                return;
            }
        }
        let has_flag = |name: &str| {
            split
                .flags
                .iter()
                .any(|f| f.bytes(text).starts_with(name.as_bytes()))
        };
        // COPY and RUN matter only with --from / --mount; most have neither.
        let needed = match known {
            Some(k) => {
                NEEDED.contains(&k)
                    || (k == "copy" && has_flag("--from"))
                    || (k == "run" && has_flag("--mount"))
            }
            None => false,
        };
        let result = if needed || known.is_none() {
            let keep_args = known != Some("run");
            let ins = syntax::build(&raw, split, false, keep_args);
            b.add(&ins, raw.escape as char)
        } else if b.stages.is_empty() {
            Err(before_first_from(
                &String::from_utf8_lossy(kw),
                raw.start_line,
            ))
        } else {
            Ok(())
        };
        failed = result.err();
    })?;
    if let Some(e) = parse_failed.or(failed) {
        return Err(e);
    }
    if b.count == 0 {
        // BuildKit's parser names the last line it read.
        return Err(err(
            lexed.lines.max(1),
            "the Dockerfile has no instructions",
        ));
    }
    if b.stages.is_empty() {
        return Err(Error {
            line: b.last_line,
            message: "the Dockerfile contains no stages to build".into(),
            help: Some("add a FROM instruction".into()),
        });
    }
    // The frontend is chosen before parsing, by `DetectSyntax`'s own rules.
    let syntax = super::directives::detect_syntax(source);
    Ok(Program {
        syntax,
        escape: lexed.escape as char,
        meta_args: b.meta_args,
        stages: b.stages,
    })
}

#[cfg(test)]
#[path = "stages_tests.rs"]
mod tests;
