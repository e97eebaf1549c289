//! Variable expansion and quote removal in one word, as BuildKit's shell lexer
//! (`frontend/dockerfile/shell`) does it for FROM, ARG, ENV and mount options:
//! `$V ${V} ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m} ${V#p} ${V##p} ${V%p} ${V%%p}
//! ${V/p/r} ${V//p/r}`, single and double quotes, and the escape character.
//!
//! Nesting (`${A:-${B:-…}}`) is bounded, so hostile input cannot exhaust the stack.

use std::borrow::Cow;
use std::collections::HashMap;

use super::pattern;

/// Variables in scope: name → value. A name that is absent is unset.
pub type Vars = HashMap<String, String>;

/// Where `expand` reads variables: a map of owned names ([`Vars`]) or one whose names
/// borrow from the Dockerfile.
pub trait Lookup {
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Lookup for Vars {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Lookup for HashMap<&str, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// How deep `${…}` substitutions may nest inside one another.
pub const MAX_DEPTH: usize = 32;

/// The result of expanding a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub value: String,
    /// Variables read with `$V` or `${V}` that were unset, in order, once each.
    pub unset: Vec<String>,
}

/// Expand `word` with `vars`. With `keep_unset`, unset variables stay as written
/// (BuildKit's `SkipUnsetEnv`): that gives the reference "as written, quotes removed".
pub fn expand(
    word: &str,
    escape: char,
    vars: &dyn Lookup,
    keep_unset: bool,
) -> Result<Expanded, String> {
    // Go's text/scanner, which BuildKit's lexer reads with, skips a leading byte order mark.
    let word = word.strip_prefix('\u{feff}').unwrap_or(word);
    // Most words have nothing to expand or unquote.
    if !word.contains(['$', '\'', '"', escape]) {
        return Ok(Expanded {
            value: word.to_string(),
            unset: Vec::new(),
        });
    }
    let mut lx = Lexer {
        s: word,
        pos: 0,
        escape,
        vars,
        keep_unset,
        unset: Vec::new(),
    };
    let value = lx.process(None, false, 0)?;
    Ok(Expanded {
        value,
        unset: lx.unset,
    })
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    escape: char,
    vars: &'a dyn Lookup,
    keep_unset: bool,
    unset: Vec<String>,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|r| r.chars().next())
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if let Some(c) = c {
            self.pos += c.len_utf8();
        }
        c
    }

    /// Step over the character `peek` returned.
    fn bump(&mut self) {
        self.next();
    }

    /// Read until `stop` (consumed) or the end; `raw_escapes` keeps escape characters
    /// (pattern operators need them to tell `\*` from `*`).
    fn process(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
        depth: usize,
    ) -> Result<String, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "variable substitutions are nested more than {MAX_DEPTH} levels deep"
            ));
        }
        let mut out = String::with_capacity(self.s.len() - self.pos);
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.bump();
                return Ok(out);
            }
            match ch {
                '\'' => out.push_str(&self.single_quote()?),
                '"' => out.push_str(&self.double_quote(depth, raw_escapes)?),
                '$' => out.push_str(&self.dollar(depth)?),
                _ => {
                    self.bump();
                    if ch == self.escape {
                        if raw_escapes {
                            out.push(ch);
                        }
                        match self.next() {
                            Some(c) => out.push(c),
                            None => break,
                        }
                    } else {
                        out.push(ch);
                    }
                }
            }
        }
        match stop {
            Some(s) => Err(format!(
                "unexpected end of statement while looking for matching {s}"
            )),
            None => Ok(out),
        }
    }

    fn single_quote(&mut self) -> Result<String, String> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    )
                }
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    /// `"…"`; with `raw` (inside a pattern) the escape characters are kept, as BuildKit's
    /// `processDoubleQuote` keeps them when its raw-escapes mode is on.
    fn double_quote(&mut self, depth: usize, raw: bool) -> Result<String, String> {
        self.bump();
        let mut out = String::new();
        loop {
            let Some(ch) = self.peek() else {
                return Err(
                    "unexpected end of statement while looking for matching double-quote".into(),
                );
            };
            match ch {
                '"' => {
                    self.bump();
                    return Ok(out);
                }
                '$' => out.push_str(&self.dollar(depth)?),
                _ => {
                    self.bump();
                    if ch == self.escape {
                        if raw {
                            out.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            // Only these can be escaped inside double quotes.
                            Some(n) if n == '"' || n == '$' || n == self.escape => {
                                self.bump();
                                out.push(n);
                                continue;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    /// A variable name: letters, digits and `_`; a leading digit run or one special
    /// parameter character stands alone.
    fn name(&mut self) -> &'a str {
        let start = self.pos;
        if let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                while self.peek().is_some_and(|d| d.is_ascii_digit()) {
                    self.bump();
                }
                return &self.s[start..self.pos];
            }
            if matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!') {
                self.bump();
                return &self.s[start..self.pos];
            }
        }
        loop {
            // ASCII bytes without decoding; anything else as a character.
            match self.s.as_bytes().get(self.pos) {
                Some(b) if b.is_ascii_alphanumeric() || *b == b'_' => self.pos += 1,
                Some(b) if b.is_ascii() => break,
                Some(_) if self.peek().is_some_and(char::is_alphanumeric) => self.bump(),
                _ => break,
            }
        }
        &self.s[start..self.pos]
    }

    fn get(&self, name: &str) -> Option<&'a str> {
        let vars: &'a dyn Lookup = self.vars;
        vars.lookup(name)
    }

    /// `$V` or `${V}`, written from `start` to here: the value (borrowed, not copied),
    /// recording the name when unset; with `keep_unset`, an unset one as written.
    fn plain(&mut self, name: &str, start: usize) -> Cow<'a, str> {
        match self.get(name) {
            Some(v) => Cow::Borrowed(v),
            None if self.keep_unset => Cow::Borrowed(&self.s[start..self.pos]),
            None => {
                if !self.unset.iter().any(|u| u == name) {
                    self.unset.push(name.to_string());
                }
                Cow::Borrowed("")
            }
        }
    }

    fn dollar(&mut self, depth: usize) -> Result<Cow<'a, str>, String> {
        let start = self.pos;
        self.bump();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(self.plain(name, start));
        }
        self.bump();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.name();
        let Some(mut op) = self.next() else {
            return Err("syntax error: missing '}'".into());
        };
        if op == '}' {
            return Ok(self.plain(name, start));
        }
        let mut ops = op.to_string();
        let value: Result<String, String> = match op {
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = op == ':';
                if null_is_unset {
                    match self.next() {
                        Some(c) => {
                            op = c;
                            ops.push(c);
                        }
                        None => return Err("syntax error: missing '}'".into()),
                    }
                }
                let raw = op == '#' || op == '%';
                if null_is_unset && raw {
                    return Err(format!("unsupported modifier ({ops}) in substitution"));
                }
                let word = self.word_until(&['}'], raw, depth)?.0;
                let value = self.get(name).map(str::to_string);
                if self.keep_unset && value.is_none() {
                    return Ok(format!("${{{name}{ops}{word}}}").into());
                }
                let empty = value
                    .as_deref()
                    .is_none_or(|v| null_is_unset && v.is_empty());
                match op {
                    '-' => Ok(if empty {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    '+' => Ok(if empty { String::new() } else { word }),
                    '?' => match value {
                        Some(v) if !(null_is_unset && v.is_empty()) => Ok(v),
                        Some(_) => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        )),
                        None => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        )),
                    },
                    '#' | '%' => {
                        let (greedy, pat) = match word.strip_prefix(op) {
                            Some(p) => (true, p.to_string()),
                            None => (false, word),
                        };
                        let v = value.unwrap_or_default();
                        if op == '#' {
                            pattern::trim_prefix(&v, &pat, greedy)
                        } else {
                            pattern::trim_suffix(&v, &pat, greedy)
                        }
                    }
                    _ => Err(format!("unsupported modifier ({ops}) in substitution")),
                }
            }
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.bump();
                }
                // As in BuildKit: the pattern runs to the next `/` (a `}` before it is part
                // of it, so `${V//}` lacks its `/`), the replacement to `}`; both keep their
                // escapes.
                let pat = self
                    .word_until(&['/'], true, depth)
                    .map_err(|e| at_end(self, e, "syntax error: missing '/' in ${}"))?
                    .0;
                let repl = self.word_until(&['}'], true, depth)?.0;
                match self.get(name).map(str::to_string) {
                    None if self.keep_unset => {
                        let slash = if all { "//" } else { "/" };
                        Ok(format!("${{{name}{slash}{pat}/{repl}}}"))
                    }
                    v => pattern::replace(&v.unwrap_or_default(), &pat, &repl, all),
                }
            }
            _ => Err(format!("unsupported modifier ({ops}) in substitution")),
        };
        value.map(Cow::Owned)
    }

    /// The word of a `${V<op>word}` up to one of `stops`; reports which stop ended it.
    fn word_until(
        &mut self,
        stops: &[char],
        raw: bool,
        depth: usize,
    ) -> Result<(String, char), String> {
        let mut out = String::new();
        loop {
            let Some(ch) = self.peek() else {
                return Err("syntax error: missing '}'".into());
            };
            if stops.contains(&ch) {
                self.bump();
                return Ok((out, ch));
            }
            match ch {
                '$' => {
                    if depth + 1 > MAX_DEPTH {
                        return Err(format!(
                            "variable substitutions are nested more than {MAX_DEPTH} levels deep"
                        ));
                    }
                    out.push_str(&self.dollar(depth + 1)?)
                }
                '\'' => out.push_str(&self.single_quote()?),
                '"' => out.push_str(&self.double_quote(depth + 1, raw)?),
                _ => {
                    self.bump();
                    if ch == self.escape {
                        if raw {
                            out.push(ch);
                        }
                        if let Some(c) = self.next() {
                            out.push(c);
                        }
                    } else {
                        out.push(ch);
                    }
                }
            }
        }
    }
}

/// BuildKit reports an error that ran into the end of the word as `missing`.
fn at_end(lx: &Lexer<'_>, e: String, missing: &str) -> String {
    if lx.peek().is_none() && !e.contains("nested more than") {
        missing.to_string()
    } else {
        e
    }
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;
