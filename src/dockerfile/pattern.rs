//! Shell patterns for `${V#p}`, `${V%p}` and `${V/p/r}`, matched as BuildKit's shell lexer
//! matches them: it turns a pattern into a regular expression (`convertShellPatternToRegex`
//! in `frontend/dockerfile/shell/lex.go`) and lets Go's `regexp` find it. So:
//! - `*` is any run of characters (shortest for `#`/`%`, longest for `##`/`%%` and `/`),
//!   `?` one character, and neither matches a newline (Go's `.`);
//! - there are no bracket expressions: `[` and `]` are literal;
//! - `\*`, `\?` and `\\` are literal characters, `\}` and `\/` stand for `}` and `/`, and
//!   any other escape is an error (`invalid escape`);
//! - matches are Go's leftmost-first ones, `%` works on the reversed value and pattern, and
//!   `${V//p/r}` replaces as `ReplaceAllString` does (`$0` in `r` is the match).

/// A piece of a pattern between stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// `?`: one character other than a newline.
    One,
    Lit(char),
}

/// A compiled pattern: `segs[0] * segs[1] * … segs[n]`, runs of stars folded into one
/// (for where a match ends, `**` is `*`).
#[derive(Debug, Clone)]
struct Pattern {
    segs: Vec<Vec<Tok>>,
    /// Longest-first stars (`.*`) instead of shortest-first (`.*?`).
    greedy: bool,
}

/// BuildKit's pattern syntax; an invalid escape is an error, as there.
fn compile(p: &str, greedy: bool) -> Result<Pattern, String> {
    let mut cs = p.chars().peekable();
    // Go's text/scanner skips a byte order mark at the very start.
    if cs.peek() == Some(&'\u{feff}') {
        cs.next();
    }
    let mut segs = vec![Vec::new()];
    let mut star_last = false;
    while let Some(c) = cs.next() {
        let tok = match c {
            '*' => {
                if !star_last {
                    segs.push(Vec::new());
                }
                star_last = true;
                continue;
            }
            '?' => Tok::One,
            '\\' => match cs.peek() {
                // `}` and `/` are escaped to get through `${…}`; the escape is not the
                // pattern's: the character is read next, as a literal.
                Some('}' | '/') => continue,
                _ => match cs.next() {
                    Some(n @ ('*' | '?' | '\\')) => Tok::Lit(n),
                    n => {
                        return Err(format!(
                            "invalid pattern ({p}) in substitution: invalid escape '\\{}'",
                            n.unwrap_or('\u{fffd}')
                        ))
                    }
                },
            },
            c => Tok::Lit(c),
        };
        star_last = false;
        segs.last_mut().expect("one segment at least").push(tok);
    }
    Ok(Pattern { segs, greedy })
}

fn tok_matches(t: Tok, c: char) -> bool {
    match t {
        Tok::One => c != '\n',
        Tok::Lit(l) => l == c,
    }
}

fn seg_at(seg: &[Tok], s: &[char], at: usize) -> bool {
    at + seg.len() <= s.len() && seg.iter().zip(&s[at..]).all(|(t, &c)| tok_matches(*t, c))
}

impl Pattern {
    /// Where the match Go's leftmost-first regexp finds at `from` ends, if any (the pattern
    /// is anchored at `from`, not at the end).
    fn match_at(&self, s: &[char], from: usize) -> Option<usize> {
        let (first, rest) = self.segs.split_first().expect("one segment at least");
        if !seg_at(first, s, from) {
            return None;
        }
        let start = from + first.len();
        if rest.is_empty() {
            return Some(start);
        }
        // ok[k][p]: from position p, before star k, the rest of the pattern can match. One
        // backward sweep per star: a star either stops at p (and its segment follows) or
        // takes s[p] and goes on. Then the walk forward picks, star by star, the first
        // choice in Go's order (shortest or longest) that can still complete.
        let n = s.len();
        let k = rest.len();
        let mut ok = vec![vec![false; n + 2]; k + 1];
        ok[k].iter_mut().for_each(|b| *b = true);
        for j in (0..k).rev() {
            let seg = &rest[j];
            for p in (start..=n).rev() {
                let stop_here = seg_at(seg, s, p) && ok[j + 1][p + seg.len()];
                let go_on = p < n && s[p] != '\n' && ok[j][p + 1];
                ok[j][p] = stop_here || go_on;
            }
        }
        if !ok[0][start] {
            return None;
        }
        let mut pos = start;
        for (j, seg) in rest.iter().enumerate() {
            // How far this star can reach: up to the next newline.
            let reach = s[pos..]
                .iter()
                .position(|&c| c == '\n')
                .map_or(n, |i| pos + i);
            let fits = |q: usize| seg_at(seg, s, q) && ok[j + 1][q + seg.len()];
            let q = if self.greedy {
                (pos..=reach).rev().find(|&q| fits(q))
            } else {
                (pos..=reach).find(|&q| fits(q))
            }?;
            pos = q + seg.len();
        }
        Some(pos)
    }

    /// Go's `FindStringIndex` from `from`: the leftmost start, then its match.
    fn find(&self, s: &[char], from: usize) -> Option<(usize, usize)> {
        (from..=s.len()).find_map(|i| self.match_at(s, i).map(|e| (i, e)))
    }
}

/// `${V#p}` (shortest) and `${V##p}` (longest): remove a matching prefix.
pub fn trim_prefix(v: &str, p: &str, greedy: bool) -> Result<String, String> {
    let pat = compile(p, greedy)?;
    let cs: Vec<char> = v.chars().collect();
    Ok(match pat.match_at(&cs, 0) {
        Some(end) => cs[end..].iter().collect(),
        None => v.to_string(),
    })
}

/// BuildKit's `reversePattern`: the characters reversed, an escape kept before the
/// character it escapes.
fn reverse_pattern(p: &str) -> String {
    let cs: Vec<char> = p.chars().collect();
    let mut out = vec!['\0'; cs.len()];
    let last = cs.len().saturating_sub(1);
    let mut i = 0;
    while i < cs.len() {
        let o = last - i;
        if cs[i] == '\\' && i != last {
            out[o - 1] = '\\';
            out[o] = cs[i + 1];
            i += 2;
        } else {
            out[o] = cs[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// `${V%p}` (shortest) and `${V%%p}` (longest): remove a matching suffix. As BuildKit
/// does it: reverse value and pattern, and remove a prefix.
pub fn trim_suffix(v: &str, p: &str, greedy: bool) -> Result<String, String> {
    let pat = compile(&reverse_pattern(p), greedy)?;
    let mut cs: Vec<char> = v.chars().collect();
    cs.reverse();
    Ok(match pat.match_at(&cs, 0) {
        Some(end) => cs[end..].iter().rev().collect(),
        None => v.to_string(),
    })
}

/// `${V/p/r}` (first match, `r` as is) and `${V//p/r}` (every match, Go's
/// `ReplaceAllString`: `r` is a template where `$0` is the match and `$$` a dollar).
/// Stars are longest-first; an empty value can match too (`${V/*/x}` is `x`).
pub fn replace(v: &str, p: &str, r: &str, all: bool) -> Result<String, String> {
    let pat = compile(p, true)?;
    let cs: Vec<char> = v.chars().collect();
    if !all {
        return Ok(match pat.find(&cs, 0) {
            Some((a, b)) => {
                let mut out: String = cs[..a].iter().collect();
                out.push_str(r);
                out.extend(&cs[b..]);
                out
            }
            None => v.to_string(),
        });
    }
    let mut out = String::new();
    let mut last_end = 0;
    let mut search = 0;
    while search <= cs.len() {
        let Some((a, b)) = pat.find(&cs, search) else {
            break;
        };
        out.extend(&cs[last_end..a]);
        // No replacement for an empty match right after the previous match.
        if b > last_end || a == 0 {
            expand_template(&mut out, r, &cs[a..b]);
        }
        last_end = b;
        search = if search + 1 > b { search + 1 } else { b };
    }
    out.extend(&cs[last_end.min(cs.len())..]);
    Ok(out)
}

/// Go's `Regexp.Expand` for a pattern without groups: `$0` / `${0}` is the match, `$$` a
/// dollar, any other `$name` nothing, and a `$` without a name stays.
fn expand_template(out: &mut String, t: &str, matched: &[char]) {
    let mut rest = t;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('$') {
            out.push('$');
            rest = r;
            continue;
        }
        let (brace, body) = match rest.strip_prefix('{') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let len: usize = body
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum();
        if len == 0 || (brace && !body[len..].starts_with('}')) {
            out.push('$');
            continue;
        }
        let name = &body[..len];
        rest = &body[len + usize::from(brace)..];
        if name == "0" {
            out.extend(matched);
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_and_suffix_removal() {
        let cases = [
            (trim_prefix("a/b/c", "*/", false), "b/c"),
            (trim_prefix("a/b/c", "*/", true), "c"),
            (trim_suffix("1.22.3", ".*", false), "1.22"),
            (trim_suffix("1.22.3", ".*", true), "1"),
            (trim_prefix("abc", "x", false), "abc"),
            (trim_suffix("a*", "\\*", false), "a"),
            (trim_prefix("ab", "?", false), "b"),
            (trim_prefix("a\nb", "*b", false), "a\nb"),
        ];
        for (got, want) in cases {
            assert_eq!(got.unwrap(), want);
        }
    }

    /// Regression: bracket expressions were matched as classes; BuildKit has none.
    #[test]
    fn brackets_are_literal() {
        assert_eq!(trim_suffix("a.b", "[.]b", false).unwrap(), "a.b");
        assert_eq!(trim_suffix("a[.]b", "[.]b", false).unwrap(), "a");
        assert_eq!(trim_prefix("v1", "[vV]", false).unwrap(), "v1");
    }

    /// Regression: an escape BuildKit rejects (`\.`) was taken as a literal.
    #[test]
    fn invalid_escapes_are_errors() {
        let e = trim_suffix("a.b", "\\.b", false).unwrap_err();
        assert!(e.contains("invalid escape '\\.'"), "{e}");
        assert!(trim_prefix("a", "\\", false).is_err());
        assert!(replace("a", "\\x", "", true).is_err());
        assert_eq!(trim_prefix("}a", "\\}", false).unwrap(), "a");
    }

    #[test]
    fn replacement() {
        let r = |v, p, s, all| replace(v, p, s, all).unwrap();
        assert_eq!(r("a-b-c", "-", "_", false), "a_b-c");
        assert_eq!(r("a-b-c", "-", "_", true), "a_b_c");
        assert_eq!(r("abc", "", "x", true), "xaxbxcx");
        assert_eq!(r("abc", "", "x", false), "xabc");
        assert_eq!(r("linux/arm/v7", "/*", "", false), "linux");
        // Regression: an empty value still matches `*`.
        assert_eq!(r("", "*", "x", false), "x");
        assert_eq!(r("", "*", "x", true), "x");
        assert_eq!(r("ab", "a*", "[$0]", true), "[ab]");
        assert_eq!(r("ab", "b", "$$", true), "a$");
        assert_eq!(r("ab", "b", "$0", false), "a$0");
    }
}
