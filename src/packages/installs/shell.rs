//! POSIX shell words and simple commands, read without running anything: quotes,
//! escapes, `$VAR`, `$(…)`, backticks, comments, operators, redirections and here-documents
//! (POSIX.1-2017, XCU 2.3 "Token Recognition" and 2.7 "Redirection").
//!
//! One pass over the bytes, with an explicit stack for nesting, so any input is read in
//! linear time without recursion. Spans index the input; operators and quotes are ASCII, so
//! every span starts and ends on a char boundary.

use std::ops::Range;

/// Nesting deeper than this (`$( $( …`) is not followed; the rest of the word is read
/// flat and a note says so.
pub(crate) const MAX_DEPTH: usize = 64;

/// One shell word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word as written, quotes included.
    pub span: Range<usize>,
    /// The word after quote removal; expansions are kept as written (`$X`, `$(…)`).
    pub text: String,
    /// It holds an expansion (`$X`, `${X}`, `$(…)`, backticks) outside single quotes.
    pub dynamic: bool,
    /// It holds an unquoted `*`, `?` or `[`.
    pub glob: bool,
    /// The bytes of the input that equal `text`, when there are such bytes (a word with no
    /// escapes, wholly unquoted, or wholly inside one pair of quotes).
    pub exact: Option<Range<usize>>,
}

/// A redirection: `>`, `>>`, `<`, `<<EOF`, `&>`, …, with its target word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    pub op: &'static str,
    pub target: Option<Word>,
}

impl Redirect {
    /// Whether it writes to its target.
    pub fn writes(&self) -> bool {
        matches!(self.op, ">" | ">>" | ">|" | "&>" | "&>>" | "<>")
    }
}

/// A simple command: words and redirections between two operators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Simple {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub span: Range<usize>,
    /// Its standard input is the previous command's output (`a | b`: true for `b`).
    pub piped: bool,
}

/// The commands of a script, and what could not be read.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    pub commands: Vec<Simple>,
    pub notes: Vec<(Range<usize>, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Double,
    Paren,
    Backtick,
    Brace,
}

struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    out: Lexed,
    cur: Simple,
    next_piped: bool,
    heredocs: Vec<(String, bool)>,
    deep_noted: bool,
}

/// Split `script` into simple commands.
pub(crate) fn split(script: &str) -> Lexed {
    let mut lx = Lexer {
        s: script,
        b: script.as_bytes(),
        i: 0,
        out: Lexed::default(),
        cur: Simple::default(),
        next_piped: false,
        heredocs: Vec::new(),
        deep_noted: false,
    };
    lx.run();
    lx.out
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.i + k).copied()
    }

    fn run(&mut self) {
        let mut after_continuation = false;
        while let Some(c) = self.peek(0) {
            let continuation = self.continuation_len(self.i);
            if continuation > 0 {
                self.i += continuation;
                after_continuation = true;
                continue;
            }
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.i += 1;
                    continue;
                }
                b'#' => {
                    while self.peek(0).is_some_and(|c| c != b'\n') {
                        self.i += 1;
                    }
                    // A comment line inside a continued line is dropped whole, as the
                    // Dockerfile parser drops it.
                    if after_continuation && self.peek(0) == Some(b'\n') {
                        self.i += 1;
                    }
                    continue;
                }
                b'\n' => {
                    self.i += 1;
                    self.finish(false);
                    self.skip_heredocs();
                }
                b';' | b'(' | b')' => {
                    self.i += 1;
                    self.finish(false);
                }
                b'&' if self.peek(1) == Some(b'>') => self.redirect(),
                b'&' => {
                    self.i += if self.peek(1) == Some(b'&') { 2 } else { 1 };
                    self.finish(false);
                }
                b'|' => {
                    let or = self.peek(1) == Some(b'|');
                    self.i += if matches!(self.peek(1), Some(b'|' | b'&')) {
                        2
                    } else {
                        1
                    };
                    self.finish(!or);
                }
                b'<' | b'>' if self.peek(1) != Some(b'(') => {
                    // `2>` and `2>&1`: a word of digits right before is the descriptor.
                    if let Some(last) = self.cur.words.last() {
                        if last.span.end == self.i
                            && self.s[last.span.clone()]
                                .bytes()
                                .all(|c| c.is_ascii_digit())
                        {
                            self.cur.words.pop();
                        }
                    }
                    self.redirect();
                }
                _ => {
                    let w = self.word();
                    self.push_word(w);
                }
            }
            after_continuation = false;
        }
        self.finish(false);
        if !self.heredocs.is_empty() {
            self.heredocs.clear();
        }
    }

    /// `\` then a newline (or `\r\n`): nothing, as the shell and the Dockerfile parser read it.
    fn continuation_len(&self, at: usize) -> usize {
        match (self.b.get(at), self.b.get(at + 1), self.b.get(at + 2)) {
            (Some(b'\\'), Some(b'\n'), _) => 2,
            (Some(b'\\'), Some(b'\r'), Some(b'\n')) => 3,
            _ => 0,
        }
    }

    fn push_word(&mut self, w: Word) {
        if self.cur.words.is_empty() && self.cur.redirects.is_empty() {
            self.cur.span.start = w.span.start;
        }
        self.cur.span.end = w.span.end;
        self.cur.words.push(w);
    }

    fn finish(&mut self, pipe: bool) {
        let mut cmd = std::mem::take(&mut self.cur);
        if !cmd.words.is_empty() || !cmd.redirects.is_empty() {
            cmd.piped = self.next_piped;
            self.out.commands.push(cmd);
        }
        self.next_piped = pipe;
    }

    fn redirect(&mut self) {
        const OPS: &[&str] = &[
            "&>>", "<<<", "<<-", "&>", "<<", "<>", "<&", ">>", ">&", ">|", "<", ">",
        ];
        let rest = &self.s[self.i..];
        let op = OPS
            .iter()
            .find(|op| rest.starts_with(**op))
            .copied()
            .unwrap_or(">");
        let start = self.i;
        if self.cur.words.is_empty() && self.cur.redirects.is_empty() {
            self.cur.span.start = start;
        }
        self.i += op.len();
        loop {
            match self.peek(0) {
                Some(b' ' | b'\t') => self.i += 1,
                _ if self.continuation_len(self.i) > 0 => self.i += self.continuation_len(self.i),
                _ => break,
            }
        }
        let target = match self.peek(0) {
            Some(c) if !b"\n;&|()<>".contains(&c) => Some(self.word()),
            _ => None,
        };
        if let (Some(t), "<<" | "<<-") = (&target, op) {
            self.heredocs.push((t.text.clone(), op == "<<-"));
        }
        self.cur.span.end = target.as_ref().map_or(self.i, |t| t.span.end);
        self.cur.redirects.push(Redirect { op, target });
    }

    /// After a newline, skip the bodies of the here-documents opened on that line.
    fn skip_heredocs(&mut self) {
        for (delim, strip_tabs) in std::mem::take(&mut self.heredocs) {
            while self.i < self.b.len() {
                let end = self.s[self.i..]
                    .find('\n')
                    .map_or(self.b.len(), |k| self.i + k);
                let mut line = &self.s[self.i..end];
                line = line.strip_suffix('\r').unwrap_or(line);
                if strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                self.i = (end + 1).min(self.b.len());
                if line == delim {
                    break;
                }
            }
        }
    }

    /// Open a nested context, unless that goes deeper than [`MAX_DEPTH`].
    fn enter(&mut self, stack: &mut Vec<Ctx>, ctx: Ctx) {
        if stack.len() < MAX_DEPTH {
            stack.push(ctx);
            return;
        }
        let at = self.i;
        if !self.deep_noted {
            self.deep_noted = true;
            self.out.notes.push((
                at..at,
                format!("shell nesting deeper than {MAX_DEPTH} levels is not read"),
            ));
        }
    }

    /// One word from `self.i`, which is not a blank or an operator.
    fn word(&mut self) -> Word {
        let start = self.i;
        let mut text: Vec<u8> = Vec::new();
        let mut stack: Vec<Ctx> = Vec::new();
        let mut w = Word::default();
        // The word's bytes map 1:1 to `text` unless an escape or a quote in the middle says
        // otherwise; `quoted` is the kind of quotes seen (0 none, 1 one pair around it all).
        let mut escapes = false;
        let mut quote_pairs = 0usize;
        let mut quote_at_start = false;
        let mut last_quote_end = start;
        let mut unclosed = false;
        while let Some(c) = self.peek(0) {
            let cont = self.continuation_len(self.i);
            if cont > 0 {
                self.i += cont;
                escapes = true;
                continue;
            }
            let top = stack.last().copied();
            match top {
                None => match c {
                    b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                    b'(' if self.i == start => break,
                    b'<' | b'>' if self.peek(1) == Some(b'(') => {
                        text.extend_from_slice(&self.b[self.i..self.i + 2]);
                        self.i += 2;
                        w.dynamic = true;
                        self.enter(&mut stack, Ctx::Paren);
                        continue;
                    }
                    b'<' | b'>' | b'(' => break,
                    b'\'' => {
                        quote_pairs += 1;
                        quote_at_start |= self.i == start;
                        let from = self.i + 1;
                        let end = self.s[from..].find('\'').unwrap_or_else(|| {
                            unclosed = true;
                            self.b.len() - from
                        }) + from;
                        text.extend_from_slice(&self.b[from..end]);
                        self.i = (end + 1).min(self.b.len());
                        last_quote_end = self.i;
                        continue;
                    }
                    b'"' => {
                        quote_pairs += 1;
                        quote_at_start |= self.i == start;
                        stack.push(Ctx::Double);
                        self.i += 1;
                        continue;
                    }
                    b'\\' => {
                        escapes = true;
                        self.i += 1;
                        self.take_char(&mut text);
                        continue;
                    }
                    b'*' | b'?' | b'[' => w.glob = true,
                    _ => {}
                },
                Some(Ctx::Double) => match c {
                    b'"' => {
                        stack.pop();
                        self.i += 1;
                        last_quote_end = self.i;
                        continue;
                    }
                    b'\\' if matches!(self.peek(1), Some(b'$' | b'`' | b'"' | b'\\')) => {
                        escapes = true;
                        self.i += 1;
                        self.take_char(&mut text);
                        continue;
                    }
                    _ => {}
                },
                Some(Ctx::Backtick) => match c {
                    b'`' => {
                        stack.pop();
                        self.take_char(&mut text);
                        continue;
                    }
                    b'\\' => {
                        self.take_char(&mut text);
                        self.take_char(&mut text);
                        continue;
                    }
                    _ => {}
                },
                Some(Ctx::Paren | Ctx::Brace) => match c {
                    b')' if top == Some(Ctx::Paren) => {
                        stack.pop();
                    }
                    b'}' if top == Some(Ctx::Brace) => {
                        stack.pop();
                    }
                    b'(' if top == Some(Ctx::Paren) => {
                        self.enter(&mut stack, Ctx::Paren);
                    }
                    b'\'' => {
                        let from = self.i + 1;
                        let end = self.s[from..].find('\'').map_or(self.b.len(), |k| from + k);
                        let end = (end + 1).min(self.b.len());
                        text.extend_from_slice(&self.b[self.i..end]);
                        self.i = end;
                        continue;
                    }
                    b'"' => {
                        self.enter(&mut stack, Ctx::Double);
                    }
                    b'\\' => {
                        self.take_char(&mut text);
                        self.take_char(&mut text);
                        continue;
                    }
                    _ => {}
                },
            }
            // Expansions start the same way outside quotes, in double quotes and nested.
            if c == b'$' || c == b'`' {
                let ctx = match (c, self.peek(1)) {
                    (b'`', _) => Some((Ctx::Backtick, 1)),
                    (_, Some(b'(')) => Some((Ctx::Paren, 2)),
                    (_, Some(b'{')) => Some((Ctx::Brace, 2)),
                    _ => None,
                };
                let named = matches!(self.peek(1), Some(n) if n.is_ascii_alphanumeric()
                    || b"_@*#?$!-'".contains(&n));
                if let Some((ctx, len)) = ctx {
                    w.dynamic = true;
                    text.extend_from_slice(&self.b[self.i..self.i + len]);
                    self.i += len;
                    self.enter(&mut stack, ctx);
                    continue;
                }
                if named {
                    w.dynamic = true;
                }
            }
            self.take_char(&mut text);
        }
        if unclosed || !stack.is_empty() {
            self.out.notes.push((
                start..self.i,
                format!(
                    "unclosed quote or expansion in `{}`",
                    excerpt(&self.s[start..self.i])
                ),
            ));
        }
        w.span = start..self.i;
        w.exact = if escapes || unclosed || !stack.is_empty() {
            None
        } else if quote_pairs == 0 {
            Some(w.span.clone())
        } else if quote_pairs == 1 && quote_at_start && last_quote_end == self.i {
            Some(start + 1..self.i.saturating_sub(1).max(start + 1))
        } else {
            None
        };
        w.text = String::from_utf8_lossy(&text).into_owned();
        w
    }

    /// Copy one whole char (all its UTF-8 bytes) into `text`.
    fn take_char(&mut self, text: &mut Vec<u8>) {
        let Some(ch) = self.s.get(self.i..).and_then(|r| r.chars().next()) else {
            self.i = self.b.len().min(self.i + 1);
            return;
        };
        let len = ch.len_utf8();
        text.extend_from_slice(&self.b[self.i..self.i + len]);
        self.i += len;
    }
}

/// `text` quoted for a message: at most 60 chars once control chars are escaped.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::new();
    let mut count = 0;
    for ch in text.chars() {
        let piece: String = if ch.is_control() {
            ch.escape_default().collect()
        } else {
            ch.to_string()
        };
        let len = piece.chars().count();
        if count + len > MAX - 1 {
            out.push('…');
            break;
        }
        count += len;
        out.push_str(&piece);
    }
    out
}
