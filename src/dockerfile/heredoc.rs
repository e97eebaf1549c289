//! Heredoc markers on RUN/COPY/ADD lines (`<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`, several
//! per line), found as BuildKit's `heredocsFromLine` finds them. The bodies themselves are
//! consumed by the lexer.

/// A heredoc marker found on an instruction line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    pub name: String,
    /// `<<-`: leading tabs are stripped before comparing with the terminator.
    pub chomp: bool,
}

/// The heredoc markers on a RUN/COPY/ADD line (BuildKit's `heredocsFromLine`): the line is
/// cut into shell words with quotes kept, and each word of the form `[n]<<[-]NAME` (no
/// further `<`) names a heredoc; the name is the word with its quotes removed.
pub(crate) fn heredoc_markers(line: &str) -> Vec<Marker> {
    let mut out = Vec::new();
    for word in shell_words_raw(line) {
        let rest = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(rest) = rest.strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match rest.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        if let Some(name) = unquote_single_word(rest) {
            out.push(Marker { name, chomp });
        }
    }
    out
}

/// Shell words with quotes and `\` escapes kept: whitespace outside quotes separates. As
/// nothing is removed, each word is a piece of `line`.
fn shell_words_raw(line: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = line.char_indices();
    let mut quote: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == '\\' && q == '"' {
                    chars.next();
                }
            }
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push(&line[s..i]);
                }
            }
            None => {
                start.get_or_insert(i);
                if c == '\'' || c == '"' {
                    quote = Some(c);
                } else if c == '\\' {
                    chars.next();
                }
            }
        }
    }
    if let Some(s) = start {
        words.push(&line[s..]);
    }
    words
}

/// Remove quotes and escapes from a heredoc name; `None` unless it is one word.
fn unquote_single_word(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    x => out.push(x),
                }
            },
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => out.push(chars.next()?),
                    x => out.push(x),
                }
            },
            '\\' => out.push(chars.next()?),
            c if c.is_whitespace() => return None,
            c => out.push(c),
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_markers_like_buildkit() {
        let cases: &[(&str, &[(&str, bool)])] = &[
            ("RUN <<EOF", &[("EOF", false)]),
            ("RUN <<-EOF", &[("EOF", true)]),
            ("COPY <<\"A\" <<'B' /x", &[("A", false), ("B", false)]),
            ("RUN 3<<X cat", &[("X", false)]),
            ("RUN cat <<EOF > /f", &[("EOF", false)]),
            ("RUN echo '<<EOF'", &[]),
            ("RUN a << EOF", &[]),
            ("RUN a <<<EOF", &[]),
        ];
        for (line, want) in cases {
            let got: Vec<_> = heredoc_markers(line)
                .into_iter()
                .map(|m| (m.name, m.chomp))
                .collect();
            let want: Vec<_> = want.iter().map(|(n, c)| (n.to_string(), *c)).collect();
            assert_eq!(got, want, "{line}");
        }
    }
}
