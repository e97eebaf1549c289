//! Splitting one logical line into words the way BuildKit's parser does: the keyword, the
//! builder flags (`extractBuilderFlags`), whitespace-delimited fields, ARG/ENV words
//! (`parseWords`), CSV mount options, and heredoc markers.
//!
//! Positions are byte offsets into the logical line, so callers can map a word back to the
//! source file when it was written literally.

use std::borrow::Cow;
use std::ops::Range;

/// A word cut from a logical line: the range of the line it was cut from and, only when
/// quote or escape removal made it differ from those bytes, its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawWord {
    pub owned: Option<String>,
    pub range: Range<usize>,
}

impl RawWord {
    /// The word's bytes; `line` is the text it was cut from.
    pub fn bytes<'t>(&'t self, line: &'t [u8]) -> &'t [u8] {
        match &self.owned {
            Some(s) => s.as_bytes(),
            None => &line[self.range.clone()],
        }
    }

    /// The text is exactly the bytes it came from (no quotes or escapes were removed).
    #[cfg(test)]
    pub fn is_literal(&self, line: &[u8]) -> bool {
        self.text(line).len() == self.range.len()
    }

    /// The word's text (invalid UTF-8 replaced); `line` is the text it was cut from.
    pub fn text<'t>(&'t self, line: &'t [u8]) -> Cow<'t, str> {
        match &self.owned {
            Some(s) => Cow::Borrowed(s),
            None => lossy(&line[self.range.clone()]),
        }
    }
}

/// `String::from_utf8_lossy`, checking the (usual) valid case first, which is faster.
pub(crate) fn lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// `unicode.IsSpace` applied to a single byte, as `extractBuilderFlags` does (it converts
/// each byte to a rune, so the Latin-1 spaces 0x85 and 0xA0 count).
const fn is_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0)
}

/// The separator of `splitCommand` and `parseStringsWhitespaceDelimited`: `[\t\v\f\r ]`.
fn is_field_sep(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Decode one UTF-8 character at the start of `b`.
fn decode(b: &[u8]) -> Option<(char, usize)> {
    let n = match *b.first()? {
        c @ 0x00..=0x7f => return Some((c as char, 1)),
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(b.get(..n)?).ok()?;
    s.chars().next().map(|c| (c, n))
}

/// `char::is_whitespace` for an ASCII byte.
fn is_ascii_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Length of the leading Unicode whitespace (Go's `unicode.IsSpace`).
pub(crate) fn leading_ws(b: &[u8]) -> usize {
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii() {
            // The common case, without decoding.
            if !is_ascii_ws(b[i]) {
                break;
            }
            i += 1;
            continue;
        }
        match decode(&b[i..]) {
            Some((c, n)) if c.is_whitespace() => i += n,
            _ => break,
        }
    }
    i
}

/// Length of the trailing Unicode whitespace.
pub(crate) fn trailing_ws(b: &[u8]) -> usize {
    let mut end = b.len();
    while end > 0 {
        if b[end - 1].is_ascii() {
            if !is_ascii_ws(b[end - 1]) {
                break;
            }
            end -= 1;
            continue;
        }
        let mut start = end - 1;
        while start > 0 && end - start < 4 && (b[start] & 0xc0) == 0x80 {
            start -= 1;
        }
        match decode(&b[start..end]) {
            Some((c, n)) if c.is_whitespace() && start + n == end => end = start,
            _ => break,
        }
    }
    b.len() - end
}

/// An instruction line cut into keyword, flags and arguments (BuildKit's `splitCommand`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    pub keyword: Range<usize>,
    pub flags: Vec<RawWord>,
    pub args: Range<usize>,
}

/// Split `text[from..to]`: trim it, take the keyword up to the first `[\t\v\f\r ]`, then
/// the `--flags`, then the trimmed rest.
pub(crate) fn split_command(text: &[u8], from: usize, to: usize) -> Split {
    let a = from + leading_ws(&text[from..to]);
    let b = to - trailing_ws(&text[a..to]);
    let kw_end = text[a..b]
        .iter()
        .position(|&c| is_field_sep(c))
        .map_or(b, |p| a + p);
    if kw_end == b {
        return Split {
            keyword: a..b,
            flags: Vec::new(),
            args: b..b,
        };
    }
    let mut p = kw_end;
    while p < b && is_field_sep(text[p]) {
        p += 1;
    }
    let (flags, rest) = extract_flags(&text[..b], p);
    let args_start = rest + leading_ws(&text[rest..b]);
    Split {
        keyword: a..kw_end,
        flags,
        args: args_start..b,
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// BuildKit's `extractBuilderFlags`: `--name=value` words directly after the keyword, with
/// quotes removed and `\` escaping the next byte (always `\`, whatever `# escape=` says).
/// Returns the flags and the offset where the arguments start.
pub(crate) fn extract_flags(line: &[u8], start: usize) -> (Vec<RawWord>, usize) {
    // Fast path for flags without quotes or `\` (nearly all): a flag is then the bytes up
    // to the next space, as the state machine below would find them.
    let n = line.len();
    let mut words = Vec::new();
    let mut pos = start;
    loop {
        while pos < n && is_space_byte(line[pos]) {
            pos += 1;
        }
        if pos == n {
            return (words, n);
        }
        if line[pos] != b'-' || pos + 1 == n || line[pos + 1] != b'-' {
            return (words, pos);
        }
        let s = pos;
        let mut e = pos;
        while e < n && !FLAG_STOP[line[e] as usize] {
            e += 1;
        }
        if e < n && !is_space_byte(line[e]) {
            // A quote or escape: this word and the rest go the general way.
            return extract_flags_from(line, s, words);
        }
        if &line[s..e] == b"--" {
            return (words, e);
        }
        words.push(RawWord {
            owned: None,
            range: s..e,
        });
        if e == n {
            return (words, n);
        }
        pos = e + 1;
    }
}

/// The bytes that end the fast path's scan of a flag: `is_space_byte`, quotes and a backslash.
static FLAG_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_space_byte(b as u8) || matches!(b as u8, b'\'' | b'"' | b'\\');
        b += 1;
    }
    t
};

/// `extract_flags` from `start` (between words), after the flags `words` already found.
fn extract_flags_from(line: &[u8], start: usize, mut words: Vec<RawWord>) -> (Vec<RawWord>, usize) {
    let n = line.len();
    let mut phase = Phase::Spaces;
    // The word's bytes are copied only once a quote or escape makes it differ from the
    // source; until then it is `line[word_start..pos]`.
    let mut copied: Option<Vec<u8>> = None;
    let mut word_start = start;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = start;
    let finish = |copied: &mut Option<Vec<u8>>, range: Range<usize>| -> (RawWord, bool) {
        let owned = copied
            .take()
            .map(|c| String::from_utf8_lossy(&c).into_owned());
        let w = RawWord { owned, range };
        let keep = w.bytes(line) != b"--";
        (w, keep)
    };
    let current_len = |copied: &Option<Vec<u8>>, word_start: usize, pos: usize| {
        copied.as_ref().map_or(pos - word_start, Vec::len)
    };
    while pos <= n {
        let ch = if pos < n { line[pos] } else { 0 };
        if phase == Phase::Spaces {
            if pos == n {
                break;
            }
            if is_space_byte(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == n || line[pos + 1] != b'-' {
                return (words, pos);
            }
            phase = Phase::Word;
            word_start = pos;
        }
        if pos == n {
            if blank_ok || current_len(&copied, word_start, pos) > 0 {
                let (w, keep) = finish(&mut copied, word_start..pos);
                if keep {
                    words.push(w);
                }
            }
            break;
        }
        if phase == Phase::Word && is_space_byte(ch) {
            phase = Phase::Spaces;
            let (w, _) = finish(&mut copied, word_start..pos);
            if w.bytes(line) == b"--" {
                return (words, pos);
            }
            if blank_ok || !w.bytes(line).is_empty() {
                words.push(w);
            }
            blank_ok = false;
            pos += 1;
            continue;
        }
        let quoting_starts = phase == Phase::Word && (ch == b'\'' || ch == b'"');
        let quoting_ends = phase == Phase::Quote && ch == quote;
        if quoting_starts || quoting_ends || ch == b'\\' {
            // From here on the word differs from the source: copy what it has so far.
            copied.get_or_insert_with(|| line[word_start..pos].to_vec());
        }
        if quoting_starts {
            quote = ch;
            blank_ok = true;
            phase = Phase::Quote;
            pos += 1;
            continue;
        }
        if quoting_ends {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if ch == b'\\' {
            if pos + 1 == n {
                if phase == Phase::Quote {
                    phase = Phase::Word;
                }
                pos += 1;
                continue;
            }
            pos += 1;
            c = line[pos];
        }
        if let Some(w) = copied.as_mut() {
            w.push(c);
        }
        pos += 1;
    }
    (words, n)
}

/// BuildKit's `parseStringsWhitespaceDelimited` (FROM's arguments): fields separated by
/// runs of `[\t\v\f\r ]`, quotes kept.
pub(crate) fn fields(text: &[u8], range: Range<usize>) -> Vec<RawWord> {
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        while i < range.end && is_field_sep(text[i]) {
            i += 1;
        }
        let s = i;
        while i < range.end && !is_field_sep(text[i]) {
            i += 1;
        }
        if i > s {
            out.push(RawWord {
                owned: None,
                range: s..i,
            });
        }
    }
    out
}

/// BuildKit's `parseWords` (ARG and ENV): whitespace-separated words where quotes group
/// and stay in the word, and the escape character keeps the next character with it. Each
/// word is a piece of `rest` (quotes and escapes are kept), so only its range is returned.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    // The word is `rest[start..end]`: every character from its first to its last is kept,
    // except a lone escape at the very end, which is dropped.
    let mut start = 0;
    let mut end = 0;
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut chars = rest.char_indices();
    while let Some((i, ch)) = chars.next() {
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
            start = i;
            end = i;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || end > start {
                    words.push(start..end);
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                match chars.next() {
                    None => continue,
                    Some((j, next)) => {
                        end = j + next.len_utf8();
                        continue;
                    }
                }
            }
            end = i + ch.len_utf8();
        } else {
            if ch == quote {
                phase = Phase::Word;
            }
            if ch == escape && quote != '\'' {
                match chars.next() {
                    None => {
                        phase = Phase::Word;
                        continue;
                    }
                    Some((j, next)) => {
                        end = j + next.len_utf8();
                        continue;
                    }
                }
            }
            end = i + ch.len_utf8();
        }
    }
    if phase != Phase::Spaces && (blank_ok || end > start) {
        words.push(start..end);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_stop_table_matches_its_definition() {
        for b in 0..=255u8 {
            let want = is_space_byte(b) || matches!(b, b'\'' | b'"' | b'\\');
            assert_eq!(FLAG_STOP[b as usize], want, "{b:#x}");
        }
    }

    fn flags_of(line: &str) -> (Vec<String>, String) {
        let (w, rest) = extract_flags(line.as_bytes(), 0);
        (
            w.iter()
                .map(|w| w.text(line.as_bytes()).into_owned())
                .collect(),
            line[rest..].trim().to_string(),
        )
    }

    #[test]
    fn builder_flags_follow_buildkit() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("--from=build /a /b", &["--from=build"], "/a /b"),
            (
                "--platform=$BUILDPLATFORM golang",
                &["--platform=$BUILDPLATFORM"],
                "golang",
            ),
            ("--chown=\"a b\" x y", &["--chown=a b"], "x y"),
            ("--from='x' --link a", &["--from=x", "--link"], "a"),
            ("--a=b\\ c d", &["--a=b c"], "d"),
            ("-- --from=x a", &[], "--from=x a"),
            ("a --from=x", &[], "a --from=x"),
            ("--link", &["--link"], ""),
            ("-x", &[], "-x"),
            ("--m=\"\" z", &["--m="], "z"),
        ];
        for (line, flags, rest) in cases {
            let (f, r) = flags_of(line);
            assert_eq!(f, *flags, "{line}");
            assert_eq!(r, *rest, "{line}");
        }
    }

    #[test]
    fn flag_words_know_when_they_are_literal() {
        let line = b"--from=a --chown=\"x\" b";
        let (w, _) = extract_flags(line, 0);
        assert!(w[0].is_literal(line));
        assert_eq!(w[0].range, 0..8);
        assert!(!w[1].is_literal(line));
    }

    #[test]
    fn split_command_cuts_keyword_flags_args() {
        let s = split_command(b"  from --platform=x  alpine AS b  ", 0, 34);
        assert_eq!(s.keyword, 2..6);
        assert_eq!(
            s.flags[0].text(b"  from --platform=x  alpine AS b  "),
            "--platform=x"
        );
        assert_eq!(s.args, 21..32);
        let s = split_command(b"FROM", 0, 4);
        assert_eq!((s.keyword, s.args), (0..4, 4..4));
    }

    #[test]
    fn fields_split_on_tabs_and_spaces() {
        let t = b"a\t b  c";
        let f: Vec<_> = fields(t, 0..t.len())
            .iter()
            .map(|w| w.text(t).into_owned())
            .collect();
        assert_eq!(f, ["a", "b", "c"]);
    }

    #[test]
    fn parse_words_keeps_quotes() {
        let cases: &[(&str, &[&str])] = &[
            ("A=1 B", &["A=1", "B"]),
            ("A=\"1 2\" B='x y'", &["A=\"1 2\"", "B='x y'"]),
            ("A=a\\ b", &["A=a\\ b"]),
            ("  ", &[]),
            ("X=\"\"", &["X=\"\""]),
        ];
        for (input, want) in cases {
            let got: Vec<&str> = parse_words(input, '\\')
                .into_iter()
                .map(|r| &input[r])
                .collect();
            assert_eq!(got, *want, "{input}");
        }
    }

    #[test]
    fn whitespace_is_unicode_aware() {
        assert_eq!(leading_ws(" \u{a0}x".as_bytes()), 3);
        assert_eq!(trailing_ws("x \u{3000}".as_bytes()), 4);
        assert_eq!(trailing_ws(b"x\xff"), 0);
        assert_eq!(leading_ws(b"\xc2"), 0);
    }
}
