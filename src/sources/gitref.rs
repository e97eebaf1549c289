//! Which `ADD` sources are git repositories, read as BuildKit reads them: `util/gitutil`
//! (`ParseURL`: `http(s)://`, `ssh://`, `git://` URLs and SCP-style `user@host:path`, with
//! a `#ref[:subdir]` fragment) and the Dockerfile frontend's `dfgitutil.ParseGitRef` (an
//! HTTP(S) URL is a repository only when its path ends in `.git`; the `?ref=&tag=&branch=
//! &subdir=&checksum=&fetch-by-commit=` query of syntax 1.18+).

/// A URL split the way `gitutil.ParseURL` splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitUrl {
    /// `http`, `https`, `ssh` or `git` (lower case).
    pub scheme: String,
    /// `host[:port]`.
    pub host: String,
    pub path: String,
    /// The user name, if any (a password is never kept).
    pub user: Option<String>,
    /// Query pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// `(ref, subdir)` from a non-empty fragment.
    pub opts: Option<(String, String)>,
    /// The URL without query and fragment: what `git` is given.
    pub remote: String,
}

/// Why a text is not a git URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// No scheme and not SCP-style: a local path, as far as git is concerned.
    UnknownProtocol,
    /// A scheme other than http, https, ssh and git.
    InvalidProtocol(String),
}

/// A git source as the Dockerfile frontend reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitRef {
    /// The repository URL without query or fragment.
    pub remote: String,
    /// Branch, tag, full ref or commit; empty for the default branch.
    pub git_ref: String,
    /// `?checksum=` (or `?commit=`): the commit the ref must resolve to.
    pub checksum: String,
    pub subdir: String,
    pub fetch_by_commit: bool,
    /// `github.com/org/repo` without a scheme: BuildKit reads it as a local path in ADD.
    pub indistinguishable_from_local: bool,
    /// The scheme-less host and path, as in BuildKit's source identifier.
    pub host: String,
    pub path: String,
}

/// `^[a-zA-Z0-9]+://`: the scheme, when there is one.
fn scheme_of(s: &str) -> Option<&str> {
    let end = s.find("://")?;
    let scheme = &s[..end];
    (!scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(scheme)
}

/// `gitutil.ParseURL`.
pub fn parse_url(s: &str) -> Result<GitUrl, UrlError> {
    if let Some(scheme) = scheme_of(s) {
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "ssh" | "git") {
            return Err(UrlError::InvalidProtocol(scheme));
        }
        return Ok(from_url(&scheme, s));
    }
    scp_style(s).ok_or(UrlError::UnknownProtocol)
}

/// A `scheme://[user@]host/path?query#fragment` URL.
fn from_url(scheme: &str, s: &str) -> GitUrl {
    let rest = &s[s.find("://").map_or(0, |i| i + 3)..];
    let (before_fragment, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (no_query, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let (authority, path) = match no_query.find('/') {
        Some(i) => (&no_query[..i], &no_query[i..]),
        None => (no_query, ""),
    };
    let (user, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    let user = user.map(|u| decode(u.split_once(':').map_or(u, |(name, _)| name)));
    let prefix_len = s.len() - rest.len();
    GitUrl {
        scheme: scheme.to_string(),
        host: host.to_string(),
        path: decode(path),
        user,
        query: parse_query(query),
        opts: parse_opts(fragment),
        remote: s[..prefix_len + no_query.len()].to_string(),
    }
}

/// `sshutil.ParseSCPStyleURL`: `^([a-zA-Z0-9-_]+)@([a-zA-Z0-9-.]+):(.*?)(?:\?(.*?))?(?:#(.*))?$`.
fn scp_style(s: &str) -> Option<GitUrl> {
    let (user, rest) = s.split_once('@')?;
    let user_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if user.is_empty() || !user.bytes().all(user_ok) {
        return None;
    }
    let (host, rest) = rest.split_once(':')?;
    let host_ok = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    if host.is_empty() || !host.bytes().all(host_ok) {
        return None;
    }
    // The lazy path stops at the first `?` or `#`; a `?` after a `#` is fragment text.
    let cut = rest.find(['?', '#']).unwrap_or(rest.len());
    let path = &rest[..cut];
    let (query, fragment) = match rest[cut..].strip_prefix('?') {
        Some(q) => q.split_once('#').unwrap_or((q, "")),
        None => ("", rest[cut..].strip_prefix('#').unwrap_or("")),
    };
    Some(GitUrl {
        scheme: "ssh".into(),
        host: host.to_string(),
        path: path.to_string(),
        user: Some(user.to_string()),
        query: parse_query(query),
        opts: parse_opts(fragment),
        remote: format!("{user}@{host}:{path}"),
    })
}

/// `ref[:subdir]`, the subdirectory cleaned as `path.Join("/", subdir)` without the slash.
fn parse_opts(fragment: &str) -> Option<(String, String)> {
    if fragment.is_empty() {
        return None;
    }
    let (r, subdir) = fragment.split_once(':').unwrap_or((fragment, ""));
    Some((r.to_string(), clean_subdir(subdir)))
}

/// `strings.TrimPrefix(path.Join("/", p), "/")`.
fn clean_subdir(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

/// `url.ParseQuery` leniently, as `URL.Query()` does: bad pairs are dropped.
fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty() && !p.contains(';'))
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode_query(k), decode_query(v))
        })
        .collect()
}

fn decode_query(s: &str) -> String {
    decode(&s.replace('+', " "))
}

/// Percent-decoding; a malformed escape is kept as written.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `dfgitutil.ParseGitRef`: `Ok(None)` when the text is not a git source, `Err` when it is
/// one BuildKit rejects (conflicting or unknown query parameters).
pub fn parse_git_ref(s: &str) -> Result<Option<GitRef>, String> {
    if s.starts_with("./") || s.starts_with("../") {
        return Ok(None);
    }
    let mut res = GitRef::default();
    let url = if s.starts_with("github.com/") {
        res.indistinguishable_from_local = true;
        let mut u = from_url("https", &format!("https://{s}"));
        u.remote = u.remote["https://".len()..].to_string();
        u
    } else {
        let Ok(u) = parse_url(s) else {
            return Ok(None);
        };
        if matches!(u.scheme.as_str(), "http" | "https") && !u.path.ends_with(".git") {
            return Ok(None);
        }
        u
    };
    res.remote = url.remote.clone();
    res.host = url.host.clone();
    res.path = url.path.clone();
    if let Some((r, subdir)) = &url.opts {
        res.git_ref = r.clone();
        res.subdir = subdir.clone();
    }
    load_query(&mut res, &url.query)?;
    Ok(Some(res))
}

fn parse_bool(v: Option<&str>, name: &str) -> Result<bool, String> {
    match v {
        None => Ok(true),
        Some("1" | "t" | "T" | "TRUE" | "true" | "True") => Ok(true),
        Some("0" | "f" | "F" | "FALSE" | "false" | "False") => Ok(false),
        Some(other) => Err(format!("invalid {name} value: {other:?}")),
    }
}

/// `GitRef.loadQuery`.
fn load_query(gf: &mut GitRef, query: &[(String, String)]) -> Result<(), String> {
    let mut seen: Vec<&str> = Vec::new();
    let (mut tag, mut branch) = (String::new(), String::new());
    for (k, v) in query {
        if seen.contains(&k.as_str()) {
            return Err(format!("query {k:?} has multiple values"));
        }
        seen.push(k);
        let value = if v.is_empty() {
            match k.as_str() {
                "submodules" | "keep-git-dir" | "fetch-by-commit" => None,
                _ => return Err(format!("query {k:?} has no value")),
            }
        } else {
            Some(v.as_str())
        };
        let v = value.unwrap_or("");
        match k.as_str() {
            "ref" => {
                if !gf.git_ref.is_empty() && gf.git_ref != v {
                    return Err(format!("ref conflicts: {:?} vs {v:?}", gf.git_ref));
                }
                gf.git_ref = v.to_string();
            }
            "tag" => tag = v.to_string(),
            "branch" => branch = v.to_string(),
            "subdir" => {
                if !gf.subdir.is_empty() && gf.subdir != v {
                    return Err(format!("subdir conflicts: {:?} vs {v:?}", gf.subdir));
                }
                gf.subdir = v.to_string();
            }
            "checksum" | "commit" => gf.checksum = v.to_string(),
            "keep-git-dir" | "submodules" => {
                parse_bool(value, k)?;
            }
            "mtime" => {
                if !matches!(v, "checkout" | "commit") {
                    return Err(format!(
                        "invalid mtime value: {v:?} (must be \"checkout\" or \"commit\")"
                    ));
                }
            }
            "fetch-by-commit" => gf.fetch_by_commit = parse_bool(value, k)?,
            _ => return Err(format!("unexpected query {k:?}")),
        }
    }
    if !tag.is_empty() {
        if !tag.starts_with("refs/tags/") {
            tag = format!("refs/tags/{tag}");
        }
        if !gf.git_ref.is_empty() && gf.git_ref != tag {
            return Err(format!("ref conflicts: {:?} vs {tag:?}", gf.git_ref));
        }
        gf.git_ref = tag.clone();
    }
    if !branch.is_empty() {
        if !tag.is_empty() {
            return Err("branch conflicts with tag".into());
        }
        if !branch.starts_with("refs/heads/") {
            branch = format!("refs/heads/{branch}");
        }
        if !gf.git_ref.is_empty() && gf.git_ref != branch {
            return Err(format!("ref conflicts: {:?} vs {branch:?}", gf.git_ref));
        }
        gf.git_ref = branch;
    }
    Ok(())
}

impl GitRef {
    /// BuildKit's source identifier (`client/llb/source.go`, `Git`):
    /// `git://<host><path>#<ref>[:<subdir>]`, the same for every transport.
    pub fn identifier(&self) -> String {
        self.identifier_with_ref(&self.git_ref)
    }

    /// The identifier with another ref (a commit, for a source policy's CONVERT).
    pub fn identifier_with_ref(&self, git_ref: &str) -> String {
        let mut id = format!("git://{}{}", self.host, join_root(&self.path));
        if !git_ref.is_empty() || !self.subdir.is_empty() {
            id.push('#');
            id.push_str(git_ref);
            if !self.subdir.is_empty() {
                id.push(':');
                id.push_str(&self.subdir);
            }
        }
        id
    }
}

/// `path.Join("/", p)`.
fn join_root(p: &str) -> String {
    format!("/{}", clean_subdir(p))
}

/// Whether `s` is a full commit id (SHA-1 or SHA-256), as `gitutil.IsCommitSHA` checks.
pub fn is_commit(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
#[path = "gitref_tests.rs"]
mod tests;
