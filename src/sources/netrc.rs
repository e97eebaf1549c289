//! `~/.netrc` (or the file `NETRC` names), read as curl reads it: `machine`, `default`,
//! `login`, `password`, `macdef` skipped. Only the entry for the URL's own host is used.

use std::path::PathBuf;

/// A login and password for one host.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password, not even in a debug dump.
        write!(f, "Login({:?}, ***)", self.login)
    }
}

/// The netrc file to read: `$NETRC`, else `~/.netrc`.
fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc"))
}

/// The login for `host` from the user's netrc file, if it has one (or a `default`).
pub fn lookup(host: &str) -> Option<Login> {
    let text = std::fs::read_to_string(path()?).ok()?;
    find(&text, host)
}

/// The entry for `host` in netrc `text`: the first `machine host`, else `default`.
pub fn find(text: &str, host: &str) -> Option<Login> {
    let mut tokens = Tokens::new(text);
    let mut found: Option<Login> = None;
    let mut default: Option<Login> = None;
    // What the current entry is for: Some(true) our machine, Some(false) another one,
    // None the default entry.
    let mut current: Option<Option<bool>> = None;
    let mut entry = Login {
        login: String::new(),
        password: String::new(),
    };
    let mut finish = |current: Option<Option<bool>>, entry: &mut Login| {
        let e = std::mem::replace(
            entry,
            Login {
                login: String::new(),
                password: String::new(),
            },
        );
        match current {
            Some(Some(true)) if found.is_none() => found = Some(e),
            Some(None) if default.is_none() => default = Some(e),
            _ => {}
        }
    };
    while let Some(t) = tokens.next() {
        match t {
            "machine" => {
                finish(current, &mut entry);
                let name = tokens.next().unwrap_or("");
                current = Some(Some(name.eq_ignore_ascii_case(host)));
            }
            "default" => {
                finish(current, &mut entry);
                current = Some(None);
            }
            "login" => entry.login = tokens.next().unwrap_or("").to_string(),
            "password" => entry.password = tokens.next().unwrap_or("").to_string(),
            "macdef" => {
                finish(current, &mut entry);
                current = None;
                tokens.skip_macro();
            }
            _ => {}
        }
    }
    finish(current, &mut entry);
    found.or(default)
}

/// Whitespace-separated tokens; `"…"` quotes a token with spaces.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens { rest: text }
    }

    fn next(&mut self) -> Option<&'a str> {
        self.rest = self.rest.trim_start();
        if self.rest.is_empty() {
            return None;
        }
        if let Some(q) = self.rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            self.rest = q.get(end + 1..).unwrap_or("");
            return Some(&q[..end]);
        }
        let end = self
            .rest
            .find(char::is_whitespace)
            .unwrap_or(self.rest.len());
        let (t, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(t)
    }

    /// A macro definition runs to the next empty line.
    fn skip_macro(&mut self) {
        self.rest = match self.rest.find("\n\n") {
            Some(i) => &self.rest[i + 2..],
            None => "",
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_then_default() {
        let text = "machine a.example login ua password pa\n\
                    macdef init\ncd x\n\n\
                    machine b.example\n  login ub\n  password \"p b\"\n\
                    default login anon password guest\n";
        let b = find(text, "B.example").unwrap();
        assert_eq!((b.login.as_str(), b.password.as_str()), ("ub", "p b"));
        assert_eq!(find(text, "a.example").unwrap().password, "pa");
        assert_eq!(find(text, "c.example").unwrap().login, "anon");
        assert_eq!(find("machine x login l password p", "y"), None);
        assert!(!format!("{b:?}").contains("p b"), "debug output hides it");
    }
}
