//! The syntax tree BuildKit's parser builds, with byte spans: each instruction's keyword,
//! flags, arguments, ONBUILD trigger and heredocs. No build semantics here.

use std::borrow::Cow;
use std::ops::Range;

use super::lexer::{self, Directive, Heredoc, LogicalLine};
use super::words::{self, RawWord, Split};
use super::Error;

/// A word of an instruction: its text (quotes removed where BuildKit's parser removes them)
/// and, when it was written literally in one piece, its byte range in the source. The text
/// borrows from the source unless quotes, escapes or a continuation made it differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: Cow<'a, str>,
    pub span: Option<Range<usize>>,
}

impl<'a> Word<'a> {
    fn from_raw(raw: RawWord, line: &LogicalLine<'a>) -> Word<'a> {
        let text = match raw.owned {
            Some(t) => Cow::Owned(t),
            // The line's own bytes: take them from the source, with the source's lifetime.
            None => line.str_at(raw.range.clone()),
        };
        // Written literally: no quotes or escapes were removed.
        let span = if text.len() == raw.range.len() {
            line.source_range(raw.range)
        } else {
            None
        };
        Word { text, span }
    }
}

/// One instruction as BuildKit's parser returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// The keyword as written (`from`, `FROM`, …).
    pub keyword: Cow<'a, str>,
    /// 1-based lines where the instruction starts and ends (heredoc bodies included).
    pub start_line: usize,
    pub end_line: usize,
    /// Bytes from the keyword to the end of the last line (without its newline).
    pub span: Range<usize>,
    /// `--name[=value]` flags directly after the keyword, quotes removed.
    pub flags: Vec<Word<'a>>,
    /// Everything after the flags, trimmed, as written (continuations joined).
    pub args: Word<'a>,
    /// FROM and ADD only: the arguments split on whitespace (quotes kept, as BuildKit keeps
    /// them).
    pub fields: Vec<Word<'a>>,
    /// ONBUILD only: the trigger instruction.
    pub trigger: Option<Box<Instruction<'a>>>,
    pub heredocs: Vec<Heredoc>,
}

impl Instruction<'_> {
    /// The keyword in lower case.
    pub fn command(&self) -> String {
        self.keyword.to_ascii_lowercase()
    }

    /// The value of `--name=value` flags named `name` (case-sensitive, as BuildKit's).
    pub fn flag_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = FlagValue<'s>> + 's {
        self.flags.iter().filter_map(move |f| {
            let rest = f.text.strip_prefix("--")?;
            let (n, v) = match rest.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (rest, None),
            };
            (n == name).then(|| FlagValue {
                value: v,
                span: match (&f.span, v) {
                    (Some(s), Some(v)) => Some(s.end - v.len()..s.end),
                    _ => None,
                },
            })
        })
    }
}

/// A flag's value and, when written literally, its byte range in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagValue<'a> {
    /// `None` for a flag written without `=`.
    pub value: Option<&'a str>,
    pub span: Option<Range<usize>>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile<'a> {
    pub directives: Vec<Directive>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
    pub instructions: Vec<Instruction<'a>>,
}

/// Parse `source` as BuildKit's parser does (no build semantics: unknown instructions are
/// kept, as BuildKit's parser keeps them).
pub fn parse(source: &[u8]) -> Result<Dockerfile<'_>, Error> {
    // About one instruction per two lines in real files; reserving up front (with a little
    // room over that, as outgrowing it means copying the whole vector into one twice the
    // size) spares copying a large vector as it grows (bounded, so a file of blank lines
    // reserves little).
    let lines = count_newlines(source);
    let mut instructions = Vec::with_capacity((lines / 8 * 5).min(source.len() / 32) + 1);
    let lexed = lexer::lex(source, |raw| {
        let split = words::split_command(&raw.line.text, 0, raw.line.text.len());
        let mut ins = build(&raw, split, false, true);
        ins.heredocs = raw.heredocs;
        instructions.push(ins);
    })?;
    Ok(Dockerfile {
        directives: lexed.directives,
        escape: lexed.escape as char,
        instructions,
    })
}

/// The number of `\n` bytes in `b`, counted in blocks small enough for a byte counter
/// (which the compiler vectorizes; a plain filter-and-count does not).
fn count_newlines(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|c| c.iter().fold(0u8, |n, &x| n + u8::from(x == b'\n')) as usize)
        .sum()
}

/// The instruction `split` describes. Without `keep_args` the arguments' text is left
/// empty: the image analysis does not need a RUN script, and copying it costs throughput.
pub(crate) fn build<'a>(
    raw: &lexer::RawInstruction<'a>,
    split: Split,
    in_trigger: bool,
    keep_args: bool,
) -> Instruction<'a> {
    let line = &raw.line;
    let text = &line.text;
    let keyword = line.str_at(split.keyword.clone());
    let is = |k: &str| keyword.eq_ignore_ascii_case(k);
    let fields = if is("from") || is("add") {
        words::fields(text, split.args.clone())
            .into_iter()
            .map(|w| Word::from_raw(w, line))
            .collect()
    } else {
        Vec::new()
    };
    // One level only: `ONBUILD ONBUILD …` is an error later, and a chain of them must not
    // recurse once per word.
    let trigger = (is("onbuild") && !in_trigger && !split.args.is_empty()).then(|| {
        let inner = words::split_command(text, split.args.start, split.args.end);
        Box::new(build(raw, inner, true, true))
    });
    Instruction {
        keyword,
        start_line: raw.start_line,
        end_line: raw.end_line,
        span: raw.span.clone(),
        flags: split
            .flags
            .into_iter()
            .map(|w| Word::from_raw(w, line))
            .collect(),
        args: if keep_args {
            let text = line.str_at(split.args.clone());
            let span = if text.len() == split.args.len() {
                line.source_range(split.args.clone())
            } else {
                None
            };
            Word { text, span }
        } else {
            Word {
                text: Cow::Borrowed(""),
                span: None,
            }
        },
        fields,
        trigger,
        heredocs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_the_source() {
        let src = "\u{feff}FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nCOPY --from=build /a /b\n";
        let df = parse(src.as_bytes()).unwrap();
        let from = &df.instructions[0];
        assert_eq!(from.fields[0].text, "golang:1.22");
        assert_eq!(&src[from.fields[0].span.clone().unwrap()], "golang:1.22");
        let copy = &df.instructions[1];
        let v = copy.flag_values("from").next().unwrap();
        assert_eq!(v.value, Some("build"));
        assert_eq!(&src[v.span.clone().unwrap()], "build");
    }

    #[test]
    fn continued_words_and_quoted_flags_have_no_span() {
        let src = "FROM \"alpine\"\nFROM al\\\npine\nCOPY --from=\"x\" a b";
        let df = parse(src.as_bytes()).unwrap();
        // FROM keeps quotes at this level (BuildKit removes them when expanding).
        assert_eq!(df.instructions[0].fields[0].text, "\"alpine\"");
        assert_eq!(df.instructions[1].fields[0].text, "alpine");
        assert_eq!(df.instructions[1].fields[0].span, None);
        let v = df.instructions[2].flag_values("from").next().unwrap();
        assert_eq!((v.value, v.span), (Some("x"), None));
    }

    #[test]
    fn onbuild_keeps_its_trigger() {
        let src = "ONBUILD  copy --from=b x y";
        let df = parse(src.as_bytes()).unwrap();
        let t = df.instructions[0].trigger.as_ref().unwrap();
        assert_eq!(t.command(), "copy");
        let v = t.flag_values("from").next().unwrap();
        assert_eq!(&src[v.span.clone().unwrap()], "b");
        assert_eq!(t.args.text, "x y");
    }
}
