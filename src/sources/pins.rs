//! From a Dockerfile's `ADD` sources to the remote ones, and the text of their pins:
//! `--checksum=sha256:…` for HTTP; for git the query form
//! `?checksum=<commit>&fetch-by-commit=true` (Dockerfile syntax 1.24+), else `#<commit>`,
//! or `?ref=<commit>` where the ref is written in the query.

use std::ops::Range;
use std::path::Path;

use super::gitref::{self, GitRef};
pub use super::redact::{redact, shown};
use super::redact::{safe_url, Redacted};
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{AddOrigin, AddSource, Analysis, Error};
use crate::reference::Digest;

/// What kind of remote source a use is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Http,
    Git(GitRef),
}

/// One `ADD` source BuildKit fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSource {
    pub add: AddSource,
    pub kind: Kind,
    /// The lock's key: the URL after expansion, without any commit pin in its query, and
    /// with its secrets masked (see `redact`).
    pub url: String,
    /// The URL to fetch: after expansion, secrets and all. Never written or shown.
    pub fetch: String,
    /// The secrets masked in `url`, to scrub from what a server or `git` says.
    pub secrets: Vec<String>,
    /// The pin the Dockerfile writes: an HTTP `--checksum`, or a git `--checksum` /
    /// `?checksum=` (a commit or a prefix of one).
    pub pinned: Option<String>,
}

impl RemoteSource {
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Http => "http",
            Kind::Git(_) => "git",
        }
    }

    /// BuildKit's source identifier: the URL for HTTP, `git://host/path#ref` for git.
    pub fn identifier(&self) -> String {
        match &self.kind {
            Kind::Http => self.url.clone(),
            Kind::Git(g) => g.identifier(),
        }
    }

    /// For git, a ref that is itself a full commit (`#<commit>`): locked as it stands.
    pub fn commit_ref(&self) -> Option<&str> {
        match &self.kind {
            Kind::Git(g) if gitref::is_commit(&g.git_ref) => Some(&g.git_ref),
            _ => None,
        }
    }
}

/// The `ADD` sources of `analysis` that BuildKit fetches, in order. A git source BuildKit
/// rejects, or a `--checksum` it would refuse, is an error on that line.
pub fn find(analysis: &Analysis) -> Result<Vec<RemoteSource>, Error> {
    find_located(analysis).map_err(|(e, _)| e)
}

/// [`find`], with the error placed in the file its line is in: `dockerfile` for a
/// Dockerfile read on its own, the built Dockerfile for a compose or bake file's use.
pub fn find_in(analysis: &Analysis, dockerfile: &Path) -> Result<Vec<RemoteSource>, Diagnostic> {
    find_located(analysis).map_err(|(e, origin)| located(e, origin.as_ref(), dockerfile))
}

/// An error on a line of `origin`'s Dockerfile (noting the build that reads it), or of
/// `dockerfile` for a use read on its own.
pub fn located(e: Error, origin: Option<&AddOrigin>, dockerfile: &Path) -> Diagnostic {
    let path = origin.map_or(dockerfile, |o| o.path.as_path());
    let mut d = Diagnostic::new(e.message).at(path, Some(e.line));
    if let Some(o) = origin {
        d = d.with_note(format!("built by {}", o.build()));
    }
    match e.help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

type Located = (Error, Option<AddOrigin>);

fn find_located(analysis: &Analysis) -> Result<Vec<RemoteSource>, Located> {
    let mut out = Vec::new();
    for add in &analysis.sources {
        let err = |message: String| {
            let e = Error {
                line: add.line,
                message,
                help: None,
            };
            (e, add.origin.clone())
        };
        let value = &add.value;
        let git = gitref::parse_git_ref(value)
            .map_err(|e| {
                let safe = safe_url(&add.raw, value, true);
                err(format!("invalid git source `{}`: {e}", shown(&safe.url)))
            })?
            .filter(|g| !g.indistinguishable_from_local);
        let (kind, safe, pinned) = match git {
            Some(g) => {
                let pinned = match (&add.checksum, g.checksum.as_str()) {
                    (Some(flag), q) if !q.is_empty() && flag != q => {
                        return Err(err(format!("checksum mismatch {flag:?} != {q:?}")))
                    }
                    (Some(flag), _) => Some(flag.clone()),
                    (None, "") => None,
                    (None, q) => Some(q.to_string()),
                };
                let safe = safe_url(&add.raw, value, false);
                let url = without_commit_pin(&safe.url);
                (Kind::Git(g), Redacted { url, ..safe }, pinned)
            }
            None if value.starts_with("http://") || value.starts_with("https://") => {
                if let Some(c) = &add.checksum {
                    c.parse::<Digest>()
                        .map_err(|e| err(format!("invalid --checksum `{}`: {e}", shown(c))))?;
                }
                (
                    Kind::Http,
                    safe_url(&add.raw, value, true),
                    add.checksum.clone(),
                )
            }
            None => continue,
        };
        out.push(RemoteSource {
            add: add.clone(),
            kind,
            url: safe.url,
            fetch: value.clone(),
            secrets: safe.secrets,
            pinned,
        });
    }
    Ok(out)
}

/// Where a URL's query and fragment are: `(query range without '?', fragment start at '#')`.
fn query_parts(url: &str) -> (Option<Range<usize>>, usize) {
    let hash = url.find('#').unwrap_or(url.len());
    let query = url[..hash].find('?').map(|q| q + 1..hash);
    (query, hash)
}

fn is_pin_param(pair: &str) -> bool {
    let key = pair.split_once('=').map_or(pair, |(k, _)| k);
    matches!(key, "checksum" | "commit" | "fetch-by-commit")
}

/// The URL without `checksum`, `commit` and `fetch-by-commit` in its query; the other
/// parameters and the fragment keep their bytes and order.
pub fn without_commit_pin(url: &str) -> String {
    let (query, hash) = query_parts(url);
    let Some(q) = query else {
        return url.to_string();
    };
    let kept: Vec<&str> = url[q.clone()]
        .split('&')
        .filter(|p| !is_pin_param(p))
        .collect();
    let mut out = url[..q.start - 1].to_string();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out.push_str(&url[hash..]);
    out
}

/// The query form: `checksum=<commit>&fetch-by-commit=true` added to the query (made if
/// there is none), before any fragment. BuildKit then fetches that commit and keeps the
/// ref's name readable.
pub fn with_query_pin(url: &str, commit: &str) -> String {
    let base = without_commit_pin(url);
    let (query, hash) = query_parts(&base);
    let params = format!("checksum={commit}&fetch-by-commit=true");
    let sep = match &query {
        Some(q) if !q.is_empty() => "&",
        // A bare `?`: nothing to separate from.
        Some(_) => "",
        None => "?",
    };
    let mut out = format!("{}{sep}", &base[..hash]);
    out.push_str(&params);
    out.push_str(&base[hash..]);
    out
}

/// The fragment form `#<commit>[:subdir]`: the ref replaced by the commit, which every
/// Dockerfile syntax reads. `None` when the ref is in the query (`?ref=`, `?tag=`…),
/// which this form cannot replace.
pub fn with_fragment_commit(url: &str, commit: &str) -> Option<String> {
    let base = without_commit_pin(url);
    let (query, hash) = query_parts(&base);
    let names_ref = query.is_some_and(|q| {
        base[q].split('&').any(|p| {
            matches!(
                p.split_once('=').map_or(p, |(k, _)| k),
                "ref" | "tag" | "branch"
            )
        })
    });
    if names_ref {
        return None;
    }
    let subdir = base[hash..]
        .strip_prefix('#')
        .and_then(|f| f.split_once(':'))
        .map(|(_, s)| format!(":{s}"))
        .unwrap_or_default();
    Some(format!("{}#{commit}{subdir}", &base[..hash]))
}

/// The query form's own commit pin: the `ref`, `tag` or `branch` pair replaced by
/// `ref=<commit>`, the other pairs and the fragment kept. Every frontend that reads the
/// query form (syntax 1.18+) reads this too, so a Dockerfile that already writes its ref
/// in the query can take it whatever its `# syntax=`. `None` when the ref is not there.
pub fn with_query_ref_commit(url: &str, commit: &str) -> Option<String> {
    let base = without_commit_pin(url);
    let (query, hash) = query_parts(&base);
    let q = query?;
    let mut found = false;
    let pairs: Vec<String> = base[q.clone()]
        .split('&')
        .map(|p| match p.split_once('=').map_or(p, |(k, _)| k) {
            "ref" | "tag" | "branch" if !found => {
                found = true;
                format!("ref={commit}")
            }
            _ => p.to_string(),
        })
        .collect();
    found.then(|| format!("{}{}{}", &base[..q.start], pairs.join("&"), &base[hash..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn commit_pins_come_and_go() {
        let cases = [
            (
                "https://h/r.git#v1",
                format!("https://h/r.git?checksum={C}&fetch-by-commit=true#v1"),
                Some(format!("https://h/r.git#{C}")),
            ),
            (
                "https://h/r.git?ref=v1&subdir=d",
                format!("https://h/r.git?ref=v1&subdir=d&checksum={C}&fetch-by-commit=true"),
                None,
            ),
            (
                "git@h:r.git#v1:sub/dir",
                format!("git@h:r.git?checksum={C}&fetch-by-commit=true#v1:sub/dir"),
                Some(format!("git@h:r.git#{C}:sub/dir")),
            ),
            (
                "git://h/r",
                format!("git://h/r?checksum={C}&fetch-by-commit=true"),
                Some(format!("git://h/r#{C}")),
            ),
        ];
        for (url, query, fragment) in cases {
            let pinned = with_query_pin(url, C);
            assert_eq!(pinned, query, "{url}");
            assert_eq!(without_commit_pin(&pinned), url, "{url}");
            assert_eq!(with_query_pin(&pinned, C), pinned, "pinning twice");
            assert_eq!(with_fragment_commit(url, C), fragment, "{url}");
            let parsed = gitref::parse_git_ref(&pinned).unwrap().unwrap();
            assert_eq!(parsed.checksum, C);
            assert!(parsed.fetch_by_commit);
        }
    }

    #[test]
    fn a_ref_in_the_query_is_replaced_by_the_commit() {
        let cases = [
            (
                "git://h/r.git?tag=v1&subdir=d",
                Some(format!("git://h/r.git?ref={C}&subdir=d")),
            ),
            (
                "https://h/r.git?subdir=d&branch=main&keep-git-dir=true",
                Some(format!(
                    "https://h/r.git?subdir=d&ref={C}&keep-git-dir=true"
                )),
            ),
            (
                "git://h/r.git?ref=v1&checksum=0123&fetch-by-commit=true",
                Some(format!("git://h/r.git?ref={C}")),
            ),
            ("git://h/r.git#v1", None),
            ("git://h/r.git?subdir=d", None),
        ];
        for (url, want) in cases {
            let got = with_query_ref_commit(url, C);
            assert_eq!(got, want, "{url}");
            if let Some(pinned) = got {
                let parsed = gitref::parse_git_ref(&pinned).unwrap().unwrap();
                assert_eq!(parsed.git_ref, C, "{url}");
            }
        }
    }
}
