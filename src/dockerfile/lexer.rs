//! Physical lines to logical instruction lines, as BuildKit's `parser.Parse` reads them:
//! the BOM, parser directives at the very top, comments, line continuations with the
//! active escape character, and heredoc bodies that are data, never instructions.
//!
//! Lines end at `\n` (a `\r` before it is dropped). A lone `\r` does not end a line:
//! BuildKit's scanner splits on `\n` only, so a classic-Mac file is one long line there.

use std::borrow::Cow;
use std::ops::Range;

pub use super::directives::Directive;
use super::directives::Directives;
use super::words::leading_ws;
use super::{heredoc, words, Error};

const BOM: &[u8] = b"\xef\xbb\xbf";

/// An instruction's text with continuations joined, and where each piece came from. A
/// one-line instruction borrows its text from the source; only continued ones are copied.
#[derive(Debug, Clone, Default)]
pub(crate) struct LogicalLine<'a> {
    pub text: Cow<'a, [u8]>,
    /// The whole source, so words of a continued line can still borrow from it.
    src: &'a [u8],
    /// The whole source as a string, when it is valid UTF-8 (checked once, not per word).
    src_str: Option<&'a str>,
    /// Source offset of the first piece.
    first: usize,
    /// `(offset in text, offset in source)` for each further physical piece, in order.
    more: Vec<(usize, usize)>,
}

impl<'a> LogicalLine<'a> {
    fn new(src: &'a [u8], src_str: Option<&'a str>, source_start: usize, piece: &'a [u8]) -> Self {
        LogicalLine {
            text: Cow::Borrowed(piece),
            src,
            src_str,
            first: source_start,
            more: Vec::new(),
        }
    }

    fn push(&mut self, source_start: usize, piece: &[u8]) {
        if let Cow::Borrowed(first) = self.text {
            // Continued lines usually go on for several pieces: grow once, not per piece.
            let mut owned = Vec::with_capacity(first.len() * 4 + piece.len());
            owned.extend_from_slice(first);
            self.text = Cow::Owned(owned);
        }
        let text = self.text.to_mut();
        self.more.push((text.len(), source_start));
        text.extend_from_slice(piece);
    }

    /// `text[r]` as a string (invalid UTF-8 replaced), borrowed from the source unless `r`
    /// crosses a continuation or is not valid UTF-8.
    pub fn str_at(&self, r: Range<usize>) -> Cow<'a, str> {
        let in_source = match &self.text {
            Cow::Borrowed(_) => Some(self.first + r.start..self.first + r.end),
            Cow::Owned(_) => self.source_range(r.clone()),
        };
        match in_source {
            Some(s) => match self.src_str.and_then(|whole| whole.get(s.clone())) {
                Some(text) => Cow::Borrowed(text),
                None => words::lossy(&self.src[s]),
            },
            None => Cow::Owned(words::lossy(&self.text[r]).into_owned()),
        }
    }

    /// The source range of `r` (a range of `text`) when it lies within one physical piece.
    pub fn source_range(&self, r: Range<usize>) -> Option<Range<usize>> {
        let len = self.text.len();
        let (l, s, seg_end) = match self.more.first() {
            Some(&(m, _)) if r.start >= m => {
                let idx = self.more.partition_point(|&(l, _)| l <= r.start) - 1;
                let (l, s) = self.more[idx];
                (l, s, self.more.get(idx + 1).map_or(len, |&(next, _)| next))
            }
            Some(&(m, _)) => (0, self.first, m),
            None => (0, self.first, len),
        };
        (r.end <= seg_end && r.start <= r.end).then(|| s + (r.start - l)..s + (r.end - l))
    }
}

/// A heredoc attached to an instruction: its name and the source bytes of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    /// `<<-`: leading tabs are stripped (from the terminator line, for matching).
    pub chomp: bool,
    /// The body's bytes in the source, without the terminator line.
    pub body: Range<usize>,
}

/// One instruction as the lexer sees it.
#[derive(Debug, Clone)]
pub(crate) struct RawInstruction<'a> {
    /// The escape character in force (directives are all read before any instruction).
    pub escape: u8,
    pub line: LogicalLine<'a>,
    pub start_line: usize,
    pub end_line: usize,
    pub span: Range<usize>,
    pub heredocs: Vec<Heredoc>,
}

pub(crate) struct Lexed {
    pub directives: Vec<Directive>,
    pub escape: u8,
    /// How many lines the file has (a last line without a newline counts).
    pub lines: usize,
}

/// A physical line: its number, where it starts, and where its content ends (before
/// `\r\n` / `\n`).
#[derive(Clone, Copy)]
struct Line {
    no: usize,
    start: usize,
    end: usize,
}

struct Lines<'a> {
    src: &'a [u8],
    pos: usize,
    no: usize,
}

impl Iterator for Lines<'_> {
    type Item = Line;

    fn next(&mut self) -> Option<Line> {
        if self.pos >= self.src.len() {
            return None;
        }
        let start = self.pos;
        let rest = &self.src[start..];
        let (mut end, next) = match find_newline(rest) {
            Some(i) => (start + i, start + i + 1),
            None => (self.src.len(), self.src.len()),
        };
        // BuildKit's trimNewline: drop every trailing \r (and \n).
        while end > start && self.src[end - 1] == b'\r' {
            end -= 1;
        }
        self.pos = next;
        self.no += 1;
        Some(Line {
            no: self.no,
            start,
            end,
        })
    }
}

/// The offset of the first `\n` in `b`, eight bytes at a time (lines are usually longer
/// than a word, and a byte-at-a-time search was a good part of the lexer's time).
fn find_newline(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const NL: u64 = ONES * b'\n' as u64;
    let mut chunks = b.chunks_exact(8);
    let mut i = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ NL;
        // The lowest set high bit marks the first zero byte (higher ones may be false).
        let zero = x.wrapping_sub(ONES) & !x & (ONES << 7);
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'\n')
        .map(|p| i + p)
}

/// BuildKit's continuation rule for escape character `E`: the line ends in `E` (then only
/// spaces or tabs) not preceded by another `E`; a lone `E` continues too. Returns the
/// length to keep and whether the line continues. An escaped escape does not continue.
fn trim_continuation(line: &[u8], escape: u8) -> (usize, bool) {
    let mut i = line.len();
    while i > 0 && matches!(line[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    if i >= 1 && line[i - 1] == escape && (i == 1 || line[i - 2] != escape) {
        (i - 1, true)
    } else {
        (line.len(), false)
    }
}

/// Whether an instruction can carry heredocs: RUN, COPY and ADD (also as ONBUILD
/// triggers), and not in JSON form.
fn can_contain_heredoc(text: &[u8]) -> bool {
    let s = words::split_command(text, 0, text.len());
    let mut kw = &text[s.keyword.clone()];
    let mut args = s.args;
    if kw.eq_ignore_ascii_case(b"onbuild") {
        let inner = words::split_command(text, args.start, args.end);
        kw = &text[inner.keyword];
        args = inner.args;
    }
    let heredoc_kw = [&b"run"[..], b"copy", b"add"]
        .iter()
        .any(|k| kw.eq_ignore_ascii_case(k));
    heredoc_kw && !is_json_array(&text[args])
}

/// BuildKit's `parseJSON`: the arguments are a JSON array of strings.
pub(crate) fn is_json_array(args: &[u8]) -> bool {
    args.first() == Some(&b'[')
        && args.last() == Some(&b']')
        && serde_json::from_slice::<Vec<String>>(args).is_ok()
}

/// Read `src`, handing each instruction to `each` as it is found (nothing is kept), and
/// return the directives.
pub(crate) fn lex<'a>(
    src: &'a [u8],
    mut each: impl FnMut(RawInstruction<'a>),
) -> Result<Lexed, Error> {
    let mut lines = Lines { src, pos: 0, no: 0 };
    let src_str = std::str::from_utf8(src).ok();
    let mut directives = Directives::default();
    while let Some(first) = lines.next() {
        let mut start = first.start;
        if first.no == 1 && src[start..first.end].starts_with(BOM) {
            start += BOM.len();
        }
        let t_start = start + leading_ws(&src[start..first.end]);
        let t = &src[t_start..first.end];
        directives.line(first.no, t, t_start)?;
        if t.is_empty() || t[0] == b'#' {
            continue;
        }
        let (keep, mut continues) = trim_continuation(t, directives.escape);
        let mut line = LogicalLine::new(src, src_str, t_start, &t[..keep]);
        let mut end_line = first.no;
        let mut span_end = first.end;
        while continues {
            let Some(next) = lines.next() else { break };
            end_line = next.no;
            span_end = next.end;
            let piece = &src[next.start..next.end];
            let lead = leading_ws(piece);
            // Comment lines and empty lines inside a continuation are skipped.
            if lead == piece.len() || piece[lead] == b'#' {
                continue;
            }
            let (keep, more) = trim_continuation(piece, directives.escape);
            line.push(next.start, &piece[..keep]);
            continues = more;
        }
        let mut heredocs = Vec::new();
        if line.text.contains(&b'<')
            && line.text.windows(2).any(|w| w == b"<<")
            && can_contain_heredoc(&line.text)
        {
            let text = words::lossy(&line.text);
            for marker in heredoc::heredoc_markers(&text) {
                let body_start = lines.pos.min(src.len());
                let mut body_end = body_start;
                let mut terminated = false;
                while let Some(l) = lines.next() {
                    end_line = l.no;
                    span_end = l.end;
                    let mut candidate = &src[l.start..l.end];
                    if marker.chomp {
                        while let [b'\t', rest @ ..] = candidate {
                            candidate = rest;
                        }
                    }
                    if candidate == marker.name.as_bytes() {
                        terminated = true;
                        break;
                    }
                    body_end = lines.pos;
                }
                if !terminated {
                    return Err(Error {
                        line: first.no,
                        message: format!("unterminated heredoc `{}`", marker.name),
                        help: Some(format!(
                            "end the heredoc with a line that is exactly `{}`",
                            marker.name
                        )),
                    });
                }
                heredocs.push(Heredoc {
                    name: marker.name,
                    chomp: marker.chomp,
                    body: body_start..body_end,
                });
            }
        }
        each(RawInstruction {
            escape: directives.escape,
            line,
            start_line: first.no,
            end_line,
            span: t_start..span_end.max(t_start),
            heredocs,
        });
    }
    Ok(Lexed {
        escape: directives.escape,
        directives: directives.found,
        lines: lines.no,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(src: &[u8]) -> Result<Vec<RawInstruction<'_>>, Error> {
        let mut v = Vec::new();
        lex(src, |i| v.push(i))?;
        Ok(v)
    }

    fn lines_of(src: &str) -> Vec<(String, usize, usize)> {
        all(src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|i| {
                (
                    String::from_utf8(i.line.text.into_owned()).unwrap(),
                    i.start_line,
                    i.end_line,
                )
            })
            .collect()
    }

    #[test]
    fn continuations_comments_and_blank_lines() {
        type Case<'a> = (&'a str, &'a [(&'a str, usize, usize)]);
        let cases: &[Case] = &[
            ("FROM a\nRUN b", &[("FROM a", 1, 1), ("RUN b", 2, 2)]),
            ("RUN a \\\n  b", &[("RUN a   b", 1, 2)]),
            ("RUN a \\\n# c\n\n  b\n", &[("RUN a   b", 1, 4)]),
            ("RUN a \\  \t\nb", &[("RUN a b", 1, 2)]),
            (
                "RUN a \\\\\nRUN b",
                &[("RUN a \\\\", 1, 1), ("RUN b", 2, 2)],
            ),
            ("  \\\nFROM a", &[("FROM a", 1, 2)]),
            ("RUN a \\", &[("RUN a ", 1, 1)]),
            ("RUN a \\\n", &[("RUN a ", 1, 1)]),
            ("FROM a\r\nRUN b\r\n", &[("FROM a", 1, 1), ("RUN b", 2, 2)]),
            ("FROM a\rRUN b", &[("FROM a\rRUN b", 1, 1)]),
            ("\u{feff}FROM a", &[("FROM a", 1, 1)]),
            ("  # c\n\tFROM a", &[("FROM a", 2, 2)]),
        ];
        for (src, want) in cases {
            let want: Vec<_> = want
                .iter()
                .map(|(t, s, e)| (t.to_string(), *s, *e))
                .collect();
            assert_eq!(lines_of(src), want, "{src:?}");
        }
    }

    #[test]
    fn escape_directive_changes_continuation() {
        let src = "# escape=`\nFROM a `\n  AS b\nRUN c:\\\nRUN d";
        let want = [
            ("FROM a   AS b".to_string(), 2, 3),
            ("RUN c:\\".to_string(), 4, 4),
            ("RUN d".to_string(), 5, 5),
        ];
        assert_eq!(lines_of(src), want);
    }

    #[test]
    fn heredoc_bodies_are_data() {
        let src = "FROM a\nRUN <<EOF\nFROM evil\nEOF\nCOPY <<-A <<B /x\n\tq\n\tA\nr\nB\nRUN x";
        let l = all(src.as_bytes()).unwrap();
        let got: Vec<_> = l
            .iter()
            .map(|i| (i.start_line, i.end_line, i.heredocs.len()))
            .collect();
        assert_eq!(got, [(1, 1, 0), (2, 4, 1), (5, 9, 2), (10, 10, 0)]);
        assert_eq!(&src[l[1].heredocs[0].body.clone()], "FROM evil\n");
        let e = all(b"FROM a\nRUN <<EOF\nx\n").err().unwrap();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "unterminated heredoc `EOF`")
        );
        // JSON form and other instructions carry no heredocs.
        assert_eq!(lines_of("RUN [\"<<EOF\"]\nENV a=<<EOF\nFROM x").len(), 3);
    }

    #[test]
    fn find_newline_matches_a_plain_search() {
        let mut buf = Vec::new();
        for len in 0..40 {
            for at in 0..=len {
                buf.clear();
                buf.extend((0..len).map(|i| [b'a', 0x8a, 0x0b, 0xff, b'\r'][i % 5]));
                if at < len {
                    buf[at] = b'\n';
                    if at + 3 < len {
                        buf[at + 3] = b'\n';
                    }
                }
                let want = buf.iter().position(|&c| c == b'\n');
                assert_eq!(find_newline(&buf), want, "{buf:?}");
            }
        }
    }

    #[test]
    fn source_ranges_stay_within_one_piece() {
        let src = b"FROM a \\\n  bb";
        let l = all(src).unwrap();
        let line = &l[0].line;
        assert_eq!(&*line.text, b"FROM a   bb");
        assert_eq!(line.source_range(5..6), Some(5..6));
        assert_eq!(line.source_range(9..11), Some(11..13));
        assert_eq!(line.source_range(5..9), None);
    }
}
