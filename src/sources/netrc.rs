//! `~/.netrc` (or the file `NETRC` names), parsed as curl parses it (`machine`, `default`,
//! `login`, `password`, `macdef` skipped) but used more narrowly: only a `machine` entry
//! naming the URL's own host counts. The `default` entry is never used, since the hosts
//! an `ADD` names come from the tree being checked, and a login meant for any host would
//! go to whichever host that tree chooses.

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

/// The login for `host` from the user's netrc file, if it has a `machine` entry for it.
pub fn lookup(host: &str) -> Option<Login> {
    let text = std::fs::read_to_string(path()?).ok()?;
    find(&text, host)
}

/// The first `machine host` entry in netrc `text`. `default` ends the entry before it
/// and is otherwise ignored.
pub fn find(text: &str, host: &str) -> Option<Login> {
    // An IPv6 host comes bracketed from a URL and bare in a netrc file.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut tokens = Tokens::new(text);
    // Whether the entry being read is `machine host`.
    let mut ours = false;
    let mut entry = Login {
        login: String::new(),
        password: String::new(),
    };
    while let Some(t) = tokens.next() {
        match t {
            "machine" | "default" | "macdef" if ours => return Some(entry),
            "machine" => {
                let name = tokens.next().unwrap_or("");
                ours = name.eq_ignore_ascii_case(host);
            }
            "default" => ours = false,
            "login" if ours => entry.login = tokens.next().unwrap_or("").to_string(),
            "password" if ours => entry.password = tokens.next().unwrap_or("").to_string(),
            "login" | "password" | "account" => {
                tokens.next();
            }
            "macdef" => {
                ours = false;
                tokens.skip_macro();
            }
            _ => {}
        }
    }
    ours.then_some(entry)
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
    fn machine_entries_only() {
        let text = "machine a.example login ua password pa\n\
                    macdef init\ncd x\n\n\
                    machine b.example\n  login ub\n  password \"p b\"\n\
                    default login anon password guest\n";
        let b = find(text, "B.example").unwrap();
        assert_eq!((b.login.as_str(), b.password.as_str()), ("ub", "p b"));
        assert_eq!(find(text, "a.example").unwrap().password, "pa");
        assert_eq!(find("machine x login l password p", "y"), None);
        assert!(!format!("{b:?}").contains("p b"), "debug output hides it");
    }

    #[test]
    fn the_default_entry_is_never_used() {
        let text = "default login anon password guest\nmachine a.example login ua password pa\n";
        assert_eq!(find(text, "c.example"), None);
        assert_eq!(find("default login anon password guest", "a.example"), None);
        // A token named like a keyword after `login` is a value, not a new entry.
        let text = "machine a.example login default password machine\n";
        let a = find(text, "a.example").unwrap();
        assert_eq!(
            (a.login.as_str(), a.password.as_str()),
            ("default", "machine")
        );
        assert_eq!(find(text, "machine"), None);
        assert_eq!(
            find("machine ::1 login l password p", "[::1]")
                .unwrap()
                .login,
            "l"
        );
    }
}
