//! The cases of BuildKit's `util/gitutil/git_url_test.go` (`TestParseURL`) and the
//! frontend's `dfgitutil/git_ref_test.go` (`TestParseGitRef`), with the answers BuildKit
//! expects.

use super::*;

#[test]
fn parse_url_cases() {
    // (url, scheme, host, path, user, opts, query)
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
        Option<(&'a str, &'a str)>,
        &'a [(&'a str, &'a str)],
    );
    let cases: &[Case] = &[
        (
            "http://github.com/moby/buildkit",
            "http",
            "github.com",
            "/moby/buildkit",
            None,
            None,
            &[],
        ),
        (
            "https://github.com/moby/buildkit",
            "https",
            "github.com",
            "/moby/buildkit",
            None,
            None,
            &[],
        ),
        (
            "http://github.com/moby/buildkit#v1.0.0",
            "http",
            "github.com",
            "/moby/buildkit",
            None,
            Some(("v1.0.0", "")),
            &[],
        ),
        (
            "http://github.com/moby/buildkit#v1.0.0:subdir",
            "http",
            "github.com",
            "/moby/buildkit",
            None,
            Some(("v1.0.0", "subdir")),
            &[],
        ),
        (
            "http://foo:bar@github.com/moby/buildkit#v1.0.0",
            "http",
            "github.com",
            "/moby/buildkit",
            Some("foo"),
            Some(("v1.0.0", "")),
            &[],
        ),
        (
            "ssh://git@github.com/moby/buildkit.git",
            "ssh",
            "github.com",
            "/moby/buildkit.git",
            Some("git"),
            None,
            &[],
        ),
        (
            "ssh://git@github.com:22/moby/buildkit.git",
            "ssh",
            "github.com:22",
            "/moby/buildkit.git",
            Some("git"),
            None,
            &[],
        ),
        (
            "git@github.com:moby/buildkit.git",
            "ssh",
            "github.com",
            "moby/buildkit.git",
            Some("git"),
            None,
            &[],
        ),
        (
            "git@github.com:moby/buildkit.git#v1.0.0",
            "ssh",
            "github.com",
            "moby/buildkit.git",
            Some("git"),
            Some(("v1.0.0", "")),
            &[],
        ),
        (
            "git@github.com:moby/buildkit.git#v1.0.0:hack",
            "ssh",
            "github.com",
            "moby/buildkit.git",
            Some("git"),
            Some(("v1.0.0", "hack")),
            &[],
        ),
        (
            "nonstandarduser@example.com:/srv/repos/weird/project.git",
            "ssh",
            "example.com",
            "/srv/repos/weird/project.git",
            Some("nonstandarduser"),
            None,
            &[],
        ),
        (
            "ssh://root@subdomain.example.hostname:2222/root/my/really/weird/path/foo.git",
            "ssh",
            "subdomain.example.hostname:2222",
            "/root/my/really/weird/path/foo.git",
            Some("root"),
            None,
            &[],
        ),
        (
            "git://host.xz:1234/path/to/repo.git",
            "git",
            "host.xz:1234",
            "/path/to/repo.git",
            None,
            None,
            &[],
        ),
        (
            "ssh://someuser@192.168.0.123:456/~/repo-in-my-home-dir.git",
            "ssh",
            "192.168.0.123:456",
            "/~/repo-in-my-home-dir.git",
            Some("someuser"),
            None,
            &[],
        ),
        (
            "HTTP://github.com/moby/buildkit",
            "http",
            "github.com",
            "/moby/buildkit",
            None,
            None,
            &[],
        ),
        (
            "https://github.com/moby/buildkit?ref=v1.0.0&foo=bar#v1.2.3",
            "https",
            "github.com",
            "/moby/buildkit",
            None,
            Some(("v1.2.3", "")),
            &[("ref", "v1.0.0"), ("foo", "bar")],
        ),
        (
            "git@github.com:moby/buildkit.git?subdir=/subdir#v1.0.0",
            "ssh",
            "github.com",
            "moby/buildkit.git",
            Some("git"),
            Some(("v1.0.0", "")),
            &[("subdir", "/subdir")],
        ),
    ];
    for (url, scheme, host, path, user, opts, query) in cases {
        let got = parse_url(url).unwrap_or_else(|e| panic!("{url}: {e:?}"));
        assert_eq!(got.scheme, *scheme, "{url}");
        assert_eq!(got.host, *host, "{url}");
        assert_eq!(got.path, *path, "{url}");
        assert_eq!(got.user.as_deref(), *user, "{url}");
        let want_opts = opts.map(|(r, s)| (r.to_string(), s.to_string()));
        assert_eq!(got.opts, want_opts, "{url}");
        let want_query: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got.query, want_query, "{url}");
    }
    assert_eq!(
        parse_url("httpx://github.com/moby/buildkit"),
        Err(UrlError::InvalidProtocol("httpx".into()))
    );
    assert_eq!(parse_url("/local/path"), Err(UrlError::UnknownProtocol));
}

/// (ref, remote, git ref, subdir, checksum, fetch-by-commit, indistinguishable)
type RefCase<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, bool, bool);

#[test]
fn parse_git_ref_cases() {
    let cases: &[RefCase] = &[
        ("https://example.com/foo.git", "https://example.com/foo.git", "", "", "", false, false),
        ("https://example.com/foo.git#deadbeef", "https://example.com/foo.git", "deadbeef", "", "", false, false),
        ("https://example.com/foo.git#release/1.2", "https://example.com/foo.git", "release/1.2", "", "", false, false),
        ("git://example.com/foo", "git://example.com/foo", "", "", "", false, false),
        ("github.com/moby/buildkit", "github.com/moby/buildkit", "", "", "", false, true),
        ("github.com/moby/buildkit#master", "github.com/moby/buildkit", "master", "", "", false, true),
        ("https://github.com/moby/buildkit.git", "https://github.com/moby/buildkit.git", "", "", "", false, false),
        ("https://foo:bar@github.com/moby/buildkit.git", "https://foo:bar@github.com/moby/buildkit.git", "", "", "", false, false),
        ("git@github.com:moby/buildkit", "git@github.com:moby/buildkit", "", "", "", false, false),
        ("git@github.com:moby/buildkit.git", "git@github.com:moby/buildkit.git", "", "", "", false, false),
        ("git@bitbucket.org:atlassianlabs/atlassian-docker.git", "git@bitbucket.org:atlassianlabs/atlassian-docker.git", "", "", "", false, false),
        ("https://github.com/foo/bar.git#baz/qux:quux/quuz", "https://github.com/foo/bar.git", "baz/qux", "quux/quuz", "", false, false),
        ("https://github.com/docker/docker.git#:myfolder", "https://github.com/docker/docker.git", "", "myfolder", "", false, false),
        ("https://github.com/docker/docker.git?ref=v1.0.0&subdir=/subdir", "https://github.com/docker/docker.git", "v1.0.0", "/subdir", "", false, false),
        ("https://github.com/moby/buildkit.git?subdir=/subdir#v1.0.0", "https://github.com/moby/buildkit.git", "v1.0.0", "/subdir", "", false, false),
        ("https://github.com/moby/buildkit.git?tag=v1.0.0", "https://github.com/moby/buildkit.git", "refs/tags/v1.0.0", "", "", false, false),
        ("github.com/moby/buildkit?tag=v1.0.0", "github.com/moby/buildkit", "refs/tags/v1.0.0", "", "", false, true),
        ("https://github.com/moby/buildkit.git?branch=v1.0", "https://github.com/moby/buildkit.git", "refs/heads/v1.0", "", "", false, false),
        ("git@github.com:moby/buildkit.git?subdir=/subdir#v1.0.0", "git@github.com:moby/buildkit.git", "v1.0.0", "/subdir", "", false, false),
        ("https://github.com/moby/buildkit.git?mtime=commit", "https://github.com/moby/buildkit.git", "", "", "", false, false),
        ("https://github.com/moby/buildkit.git?mtime=checkout", "https://github.com/moby/buildkit.git", "", "", "", false, false),
        ("https://github.com/moby/buildkit.git?fetch-by-commit=true&checksum=deadbeef#refs/heads/branch", "https://github.com/moby/buildkit.git", "refs/heads/branch", "", "deadbeef", true, false),
        ("https://github.com/moby/buildkit.git?fetch-by-commit&checksum=deadbeef", "https://github.com/moby/buildkit.git", "", "", "deadbeef", true, false),
        ("https://github.com/moby/buildkit.git?fetch-by-commit=false", "https://github.com/moby/buildkit.git", "", "", "", false, false),
    ];
    for (input, remote, git_ref, subdir, checksum, by_commit, local) in cases {
        let got = parse_git_ref(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"))
            .unwrap_or_else(|| panic!("{input}: not recognised as git"));
        assert_eq!(got.remote, *remote, "{input}");
        assert_eq!(got.git_ref, *git_ref, "{input}");
        assert_eq!(got.subdir, *subdir, "{input}");
        assert_eq!(got.checksum, *checksum, "{input}");
        assert_eq!(got.fetch_by_commit, *by_commit, "{input}");
        assert_eq!(got.indistinguishable_from_local, *local, "{input}");
    }
}

#[test]
fn not_git_sources() {
    for input in [
        "https://example.com/",
        "https://example.com/foo",
        "https://example.com/foo.git/",
        "https://example.com/foo.git.bar",
        "custom.xyz/moby/buildkit.git",
        "https://github.com/moby/buildkit",
        "http://github.com/docker/docker.git:#branch",
        "./.git",
        ".git",
        "src/app.tar.gz",
    ] {
        assert_eq!(parse_git_ref(input), Ok(None), "{input}");
    }
}

#[test]
fn rejected_git_sources() {
    let cases = [
        (
            "https://github.com/moby/buildkit.git?ref=v1.0.0#v1.2.3",
            "ref conflicts",
        ),
        (
            "https://github.com/moby/buildkit.git?ref=v1.0.0&tag=v1.2.3",
            "ref conflicts",
        ),
        (
            "https://github.com/moby/buildkit.git?tag=v1.0.0&branch=v1.0",
            "branch conflicts with tag",
        ),
        (
            "https://github.com/moby/buildkit.git?mtime=invalid",
            "invalid mtime value",
        ),
        (
            "https://github.com/moby/buildkit.git?fetch-by-commit=invalid",
            "invalid fetch-by-commit value",
        ),
        (
            "https://github.com/moby/buildkit.git?invalid=123",
            "unexpected query \"invalid\"",
        ),
    ];
    for (input, want) in cases {
        let err = parse_git_ref(input).expect_err(input);
        assert!(err.contains(want), "{input}: {err}");
    }
}

#[test]
fn identifiers_are_transport_independent() {
    let id = |s: &str| parse_git_ref(s).unwrap().unwrap().identifier();
    assert_eq!(
        id("https://github.com/moby/buildkit.git#v1:docs"),
        "git://github.com/moby/buildkit.git#v1:docs"
    );
    assert_eq!(
        id("git@github.com:moby/buildkit.git#v1:docs"),
        "git://github.com/moby/buildkit.git#v1:docs"
    );
    assert_eq!(
        id("ssh://git@github.com/moby/buildkit.git"),
        "git://github.com/moby/buildkit.git"
    );
    assert_eq!(id("https://h/r.git?tag=v1"), "git://h/r.git#refs/tags/v1");
    assert!(is_commit(&"a".repeat(40)) && !is_commit("deadbeef"));
}
