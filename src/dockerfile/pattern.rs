//! Shell patterns for `${V#p}`, `${V%p}` and `${V/p/r}`: `*`, `?`, `[…]` and `\x`, matched
//! as BuildKit's shell lexer matches them (it turns them into anchored regular expressions).

#[derive(Debug, Clone)]
enum Tok {
    Star,
    One,
    Lit(char),
    Class {
        negate: bool,
        items: Vec<(char, char)>,
    },
}

fn compile(p: &str) -> Vec<Tok> {
    let cs: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        match cs[i] {
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '\\' if i + 1 < cs.len() => {
                i += 1;
                out.push(Tok::Lit(cs[i]));
            }
            '[' => match class(&cs[i + 1..]) {
                Some((tok, used)) => {
                    out.push(tok);
                    i += used;
                }
                None => out.push(Tok::Lit('[')),
            },
            c => out.push(Tok::Lit(c)),
        }
        i += 1;
    }
    out
}

/// Parse a bracket expression after `[`; returns it and how many characters it used.
fn class(cs: &[char]) -> Option<(Tok, usize)> {
    let mut i = 0;
    let negate = matches!(cs.first(), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    while i < cs.len() {
        let c = cs[i];
        if c == ']' && !first {
            return Some((Tok::Class { negate, items }, i + 1));
        }
        first = false;
        if i + 2 < cs.len() && cs[i + 1] == '-' && cs[i + 2] != ']' {
            items.push((c, cs[i + 2]));
            i += 3;
        } else {
            items.push((c, c));
            i += 1;
        }
    }
    None
}

fn one(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::One => true,
        Tok::Lit(l) => *l == c,
        Tok::Class { negate, items } => items.iter().any(|&(a, b)| a <= c && c <= b) != *negate,
        Tok::Star => false,
    }
}

/// Whether `p` matches all of `s` (iterative, with one backtrack point per star).
fn matches(p: &[Tok], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && matches!(p[pi], Tok::Star) {
            star = Some((pi, si));
            pi += 1;
        } else if pi < p.len() && one(&p[pi], s[si]) {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|t| matches!(t, Tok::Star))
}

/// `${V#p}` (shortest) and `${V##p}` (longest): remove a matching prefix.
pub fn trim_prefix(v: &str, p: &str, greedy: bool) -> String {
    let toks = compile(p);
    let cs: Vec<char> = v.chars().collect();
    let mut ends: Box<dyn Iterator<Item = usize>> = if greedy {
        Box::new((0..=cs.len()).rev())
    } else {
        Box::new(0..=cs.len())
    };
    match ends.find(|&i| matches(&toks, &cs[..i])) {
        Some(i) => cs[i..].iter().collect(),
        None => v.to_string(),
    }
}

/// `${V%p}` (shortest) and `${V%%p}` (longest): remove a matching suffix.
pub fn trim_suffix(v: &str, p: &str, greedy: bool) -> String {
    let toks = compile(p);
    let cs: Vec<char> = v.chars().collect();
    let mut starts: Box<dyn Iterator<Item = usize>> = if greedy {
        Box::new(0..=cs.len())
    } else {
        Box::new((0..=cs.len()).rev())
    };
    match starts.find(|&i| matches(&toks, &cs[i..])) {
        Some(i) => cs[..i].iter().collect(),
        None => v.to_string(),
    }
}

/// `${V/p/r}` (first match) and `${V//p/r}` (every match), longest match at each place.
pub fn replace(v: &str, p: &str, r: &str, all: bool) -> String {
    let toks = compile(p);
    let cs: Vec<char> = v.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut done = false;
    while i < cs.len() {
        let hit = if done || toks.is_empty() {
            None
        } else {
            (i + 1..=cs.len())
                .rev()
                .find(|&j| matches(&toks, &cs[i..j]))
        };
        match hit {
            Some(j) => {
                out.push_str(r);
                i = j;
                done = !all;
            }
            None => {
                out.push(cs[i]);
                i += 1;
            }
        }
    }
    out
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
            (trim_prefix("v1", "[vV]", false), "1"),
            (trim_suffix("a*", "\\*", false), "a"),
            (trim_prefix("ab", "?", false), "b"),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn replacement() {
        assert_eq!(replace("a-b-c", "-", "_", false), "a_b-c");
        assert_eq!(replace("a-b-c", "-", "_", true), "a_b_c");
        assert_eq!(replace("abc", "", "x", true), "abc");
        assert_eq!(replace("linux/arm/v7", "/*", "", false), "linux");
    }
}
