//! A second, independent model of BuildKit's rules for the generative differential test,
//! written from BuildKit's source and sharing no code with the crate:
//! - `process_word`: the shell lexer's `ProcessWord` (`frontend/dockerfile/shell/lex.go`),
//!   structured as lex.go is (`processStopOn`, quotes, `processDollar`, `processName`), with
//!   patterns turned into regular expressions as `convertShellPatternToRegex` does; the
//!   `regex` crate's leftmost-first matching and its `.` (no newline) are Go's. Go's
//!   `ReplaceAllString` loop and `$` template are written out below.
//! - `bflags`: `BFlags.Parse` (`instructions/bflag.go`).
//!
//! PyPI's `e2b-dockerfile-utils` (0.1.1) ports the same lexer but is not faithful enough to
//! serve: its `${V//p/r}` is Python's `re.sub`, which replaces an empty match right after
//! another (`${V//*/-}` on `ab` gives `--`, Go `-`) and never expands `$0` in `r`.

use std::collections::HashMap;

use regex::Regex;

struct Lexer<'e> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    env: &'e HashMap<String, String>,
    raw_escapes: bool,
}

/// `ProcessWord(word, env)` with SkipUnsetEnv off: the expanded word or an error.
pub fn process_word(
    word: &str,
    escape: char,
    env: &HashMap<String, String>,
) -> Result<String, String> {
    let mut chars: Vec<char> = word.chars().collect();
    // text/scanner drops a leading BOM.
    if chars.first() == Some(&'\u{feff}') {
        chars.remove(0);
    }
    let mut lx = Lexer {
        chars,
        pos: 0,
        escape,
        env,
        raw_escapes: false,
    };
    lx.stop_on(None, false, 0)
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn stop_on(&mut self, stop: Option<char>, raw: bool, depth: usize) -> Result<String, String> {
        if depth > 30 {
            return Err("too deep".into());
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw;
        let r = self.stop_on_inner(stop, depth);
        self.raw_escapes = saved;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>, depth: usize) -> Result<String, String> {
        let mut result = String::new();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.next();
                return Ok(result);
            }
            match ch {
                '$' => result.push_str(&self.dollar(depth)?),
                '<' => {
                    // processPossibleHeredoc: `<`, or `<<` and the blanks after it.
                    self.next();
                    result.push('<');
                    if self.peek() == Some('<') {
                        self.next();
                        result.push('<');
                        while let Some(c @ ('\t' | '\r' | ' ')) = self.peek() {
                            self.next();
                            result.push(c);
                        }
                    }
                }
                '\'' => result.push_str(&self.single_quote()?),
                '"' => result.push_str(&self.double_quote(depth)?),
                _ => {
                    let mut c = self.next().unwrap();
                    if c == self.escape {
                        if self.raw_escapes {
                            result.push(c);
                        }
                        match self.next() {
                            None => break,
                            Some(n) => c = n,
                        }
                    }
                    result.push(c);
                }
            }
        }
        match stop {
            Some(s) => Err(format!(
                "unexpected end of statement while looking for matching {s}"
            )),
            None => Ok(result),
        }
    }

    fn single_quote(&mut self) -> Result<String, String> {
        self.next();
        let mut r = String::new();
        loop {
            match self.next() {
                None => return Err("unterminated single quote".into()),
                Some('\'') => return Ok(r),
                Some(c) => r.push(c),
            }
        }
    }

    fn double_quote(&mut self, depth: usize) -> Result<String, String> {
        self.next();
        let mut r = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated double quote".into()),
                Some('"') => {
                    self.next();
                    return Ok(r);
                }
                Some('$') => r.push_str(&self.dollar(depth)?),
                Some(_) => {
                    let mut c = self.next().unwrap();
                    if c == self.escape {
                        if self.raw_escapes {
                            r.push(c);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.escape => {
                                c = self.next().unwrap();
                            }
                            Some(_) => {}
                        }
                    }
                    r.push(c);
                }
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if name.is_empty() && c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && "@*#?-$!0".contains(c) {
                self.next();
                return c.to_string();
            }
            if !c.is_alphanumeric() && c != '_' {
                break;
            }
            self.next();
            name.push(c);
        }
        name
    }

    fn word_in_braces(
        &mut self,
        stop: char,
        raw: bool,
        depth: usize,
        missing: &str,
    ) -> Result<String, String> {
        self.stop_on(Some(stop), raw, depth + 1).map_err(|e| {
            if self.peek().is_none() {
                missing.to_string()
            } else {
                e
            }
        })
    }

    fn dollar(&mut self, depth: usize) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(self.env.get(&name).cloned().unwrap_or_default());
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            _ => {}
        }
        let name = self.name();
        let value = self.env.get(&name).cloned();
        let Some(mut ch) = self.next() else {
            return Err("unsupported modifier".into());
        };
        let mut null_is_unset = false;
        match ch {
            '}' => return Ok(value.unwrap_or_default()),
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                let pat =
                    self.word_in_braces('/', true, depth, "syntax error: missing '/' in ${}")?;
                let repl = self.word_in_braces('}', true, depth, "syntax error: missing '}'")?;
                let re = to_regex(&pat, true, false)?;
                let v = value.unwrap_or_default();
                return Ok(if all {
                    replace_all(&re, &v, &repl)
                } else {
                    match re.find(&v) {
                        Some(m) => format!("{}{repl}{}", &v[..m.start()], &v[m.end()..]),
                        None => v,
                    }
                });
            }
            ':' => {
                null_is_unset = true;
                ch = self.next().unwrap_or('\u{fffd}');
            }
            '+' | '-' | '?' | '#' | '%' => {}
            _ => return Err(format!("unsupported modifier ({ch})")),
        }
        let raw = ch == '#' || ch == '%';
        if null_is_unset && raw {
            return Err("unsupported modifier".into());
        }
        let word = self.word_in_braces('}', raw, depth, "syntax error: missing '}'")?;
        let unset = value.is_none() || null_is_unset && value.as_deref() == Some("");
        match ch {
            '-' => Ok(if unset { word } else { value.unwrap() }),
            '+' => Ok(if unset { String::new() } else { word }),
            '?' if unset => Err(format!("{name}: unset or empty")),
            '?' => Ok(value.unwrap()),
            '#' | '%' => {
                let (greedy, pat) = match word.strip_prefix(ch) {
                    Some(p) => (true, p.to_string()),
                    None => (false, word),
                };
                let v = value.unwrap_or_default();
                if ch == '#' {
                    trim_prefix(&pat, &v, greedy)
                } else {
                    let rv: String = v.chars().rev().collect();
                    let t = trim_prefix(&reverse_pattern(&pat), &rv, greedy)?;
                    Ok(t.chars().rev().collect())
                }
            }
            _ => Err("unsupported modifier".into()),
        }
    }
}

/// `convertShellPatternToRegex`.
fn to_regex(pattern: &str, greedy: bool, anchored: bool) -> Result<Regex, String> {
    let mut out = String::from(if anchored { "^" } else { "" });
    let cs: Vec<char> = pattern.chars().collect();
    let mut i = usize::from(cs.first() == Some(&'\u{feff}'));
    while i < cs.len() {
        let c = cs[i];
        i += 1;
        match c {
            '*' => out.push_str(if greedy { ".*" } else { ".*?" }),
            '?' => out.push('.'),
            '\\' => {
                if matches!(cs.get(i), Some('}' | '/')) {
                    continue;
                }
                let n = cs.get(i).copied();
                i += 1;
                match n {
                    Some(n @ ('*' | '?' | '\\')) => out.push_str(&regex::escape(&n.to_string())),
                    _ => return Err(format!("invalid escape '\\{n:?}'")),
                }
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    Regex::new(&out).map_err(|e| e.to_string())
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let re = to_regex(pattern, greedy, true)?;
    Ok(match re.find(value) {
        Some(m) => value[m.end()..].to_string(),
        None => value.to_string(),
    })
}

/// `reversePattern`: reversed, each escape kept before what it escapes.
fn reverse_pattern(p: &str) -> String {
    let cs: Vec<char> = p.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(cs.len());
    let mut i = 0;
    let mut pieces: Vec<Vec<char>> = Vec::new();
    while i < cs.len() {
        if cs[i] == '\\' && i + 1 < cs.len() {
            pieces.push(vec!['\\', cs[i + 1]]);
            i += 2;
        } else {
            pieces.push(vec![cs[i]]);
            i += 1;
        }
    }
    for piece in pieces.into_iter().rev() {
        out.extend(piece);
    }
    out.into_iter().collect()
}

/// Go's `Regexp.ReplaceAllString`.
fn replace_all(re: &Regex, src: &str, repl: &str) -> String {
    let mut out = String::new();
    let mut last_end = 0;
    let mut search = 0;
    while search <= src.len() {
        let Some(m) = re.find_at(src, search) else {
            break;
        };
        out.push_str(&src[last_end..m.start()]);
        if m.end() > last_end || m.start() == 0 {
            out.push_str(&go_expand(repl, m.as_str()));
        }
        last_end = m.end();
        let width = src[search..].chars().next().map_or(0, char::len_utf8);
        search = if search + width > m.end() {
            search + width
        } else if search + 1 > m.end() {
            search + 1
        } else {
            m.end()
        };
    }
    out.push_str(&src[last_end..]);
    out
}

/// Go's `Regexp.expand` for a regexp without groups.
fn go_expand(template: &str, whole: &str) -> String {
    let mut out = String::new();
    let mut t = template;
    while let Some(i) = t.find('$') {
        out.push_str(&t[..i]);
        t = &t[i + 1..];
        if let Some(rest) = t.strip_prefix('$') {
            out.push('$');
            t = rest;
            continue;
        }
        let braced = t.starts_with('{');
        let body = if braced { &t[1..] } else { t };
        let n = body
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map_or(body.len(), |(i, _)| i);
        if n == 0 || braced && !body[n..].starts_with('}') {
            out.push('$');
            continue;
        }
        let name = &body[..n];
        t = &body[n + usize::from(braced)..];
        let num = (name.bytes().all(|b| b.is_ascii_digit())
            && !(name.len() > 1 && name.starts_with('0')))
        .then(|| name.parse::<u64>().ok())
        .flatten();
        if num == Some(0) {
            out.push_str(whole);
        }
    }
    out.push_str(t);
    out
}

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Bool,
    Str,
    Strs,
}

/// `BFlags.Parse` against the flags an instruction declares.
pub fn bflags(declared: &[(&str, Kind)], flags: &[&str]) -> Result<(), String> {
    let mut used = Vec::new();
    for a in flags {
        if *a == "--" {
            return Ok(());
        }
        let (flag_name, value) = match a.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (*a, None),
        };
        let arg = &flag_name[2..];
        let Some(&(_, kind)) = declared.iter().find(|(n, _)| *n == arg) else {
            return Err(format!("unknown flag: {flag_name}"));
        };
        if used.contains(&arg) && kind != Kind::Strs {
            return Err(format!("duplicate flag specified: {flag_name}"));
        }
        used.push(arg);
        match kind {
            Kind::Bool => match value {
                Some("") => return Err("missing a value".into()),
                None => {}
                Some(v) if ["true", "false"].contains(&v.to_lowercase().as_str()) => {}
                Some(_) => return Err("expecting boolean value".into()),
            },
            Kind::Str | Kind::Strs => {
                if value.is_none() {
                    return Err("missing a value".into());
                }
            }
        }
    }
    Ok(())
}
