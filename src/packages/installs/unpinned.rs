//! Installers other than apt and apk, whose versions a lock cannot pin as written:
//! `pip`, `npm -g`, `go install`, `cargo install`, `gem install`, and a download piped to a
//! shell. The checks follow hadolint's DL3013, DL3016, DL3028 and DL3062, and DL4006's
//! reading of `curl | sh`.

use std::ops::Range;

use super::shell::{excerpt, Simple, Word};
use super::{Note, Unpinned};

/// What [`installer`] found in one command.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub notes: Vec<Note>,
    pub unpinned: Vec<Unpinned>,
    /// The command is an interpreter reading a program from its input (`python3 -`).
    pub interpreter: bool,
}

const PIPE_HELP: &str =
    "download it with a locked `ADD --checksum=sha256:… URL` and run the file instead";

/// A download run by a shell: `curl … | sh`, `sh -c "$(curl …)"`, `bash <(curl …)`.
pub(super) fn pipe_to_shell(span: Range<usize>, source: &str) -> Unpinned {
    Unpinned {
        span,
        tool: "curl | sh".into(),
        message: format!("`{}` runs whatever the URL serves today", excerpt(source)),
        help: PIPE_HELP.into(),
    }
}

/// A word whose expansion downloads: `$(curl …)`, `<(wget …)`, `` `curl …` ``.
pub(super) fn downloads_inside(text: &str) -> bool {
    ["$(", "<(", "`"].iter().any(|open| {
        text.match_indices(open).any(|(at, _)| {
            let rest = text[at + open.len()..].trim_start();
            ["curl ", "wget ", "fetch "]
                .iter()
                .any(|d| rest.starts_with(d))
        })
    })
}

/// Check one command whose name (basename) is `name`.
pub(super) fn installer(name: &str, args: &[Word], cmd: &Simple) -> Found {
    let mut found = Found::default();
    let python = name.starts_with("python") || name == "py";
    found.interpreter = (python || matches!(name, "perl" | "ruby" | "node"))
        && args.first().is_none_or(|a| a.text == "-");
    let args = match name {
        _ if name.starts_with("pip")
            && name[3..].chars().all(|c| c.is_ascii_digit() || c == '.') =>
        {
            args
        }
        _ if python => match args.iter().position(|a| a.text == "-m") {
            Some(m) if args.get(m + 1).is_some_and(|a| a.text == "pip") => &args[m + 2..],
            _ => return found,
        },
        "npm" => {
            npm(args, &mut found);
            return found;
        }
        "go" => {
            go(args, &mut found);
            return found;
        }
        "cargo" => {
            cargo(args, cmd, &mut found);
            return found;
        }
        "gem" => {
            gem(args, &mut found);
            return found;
        }
        _ => return found,
    };
    pip(args, &mut found);
    found
}

/// The words after `sub`command that are not options, with options taking a separate
/// value (`with_value`) skipped with it; `None` when `sub` is not the first word.
fn operands<'w>(args: &'w [Word], subs: &[&str], with_value: &[&str]) -> Option<Vec<&'w Word>> {
    let first = args.iter().position(|a| !a.text.starts_with('-'))?;
    if !subs.contains(&args[first].text.as_str()) {
        return None;
    }
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        if i - 1 == first {
            continue;
        }
        if a.text.starts_with('-') {
            if with_value.contains(&a.text.as_str()) {
                i += 1;
            }
            continue;
        }
        out.push(a);
    }
    Some(out)
}

fn flag(args: &[Word], names: &[&str]) -> bool {
    args.iter().any(|a| {
        let t = a.text.split_once('=').map_or(a.text.as_str(), |(n, _)| n);
        names.contains(&t)
    })
}

fn dynamic_note(found: &mut Found, w: &Word) -> bool {
    if w.dynamic {
        found.notes.push(Note {
            span: w.span.clone(),
            message: format!(
                "package name from `{}` cannot be read statically",
                excerpt(&w.text)
            ),
        });
    }
    w.dynamic
}

fn push(found: &mut Found, span: Range<usize>, tool: &str, what: &str, help: &str) {
    found.unpinned.push(Unpinned {
        span,
        tool: tool.into(),
        message: format!("`{}` installs whatever version is newest", excerpt(what)),
        help: help.into(),
    });
}

fn pip(args: &[Word], found: &mut Found) {
    const WITH_VALUE: &[&str] = &[
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--src",
        "--upgrade-strategy",
        "--progress-bar",
        "--trusted-host",
        "--cache-dir",
        "--log",
        "--proxy",
        "--timeout",
        "--retries",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--no-binary",
        "--only-binary",
        "-C",
        "--config-settings",
        "--report",
    ];
    let Some(words) = operands(args, &["install"], WITH_VALUE) else {
        return;
    };
    if flag(args, &["--require-hashes"]) {
        return;
    }
    for w in words {
        let t = w.text.as_str();
        if dynamic_note(found, w) {
            continue;
        }
        let local = t.starts_with(['.', '/']) || t.ends_with(".whl") || t.ends_with(".tar.gz");
        let pinned = if t.contains("://") {
            t.contains("sha256=")
        } else {
            t.contains("==")
        };
        if !local && !pinned {
            push(
                found,
                w.span.clone(),
                "pip",
                t,
                "pin an exact version (`name==1.2.3`), or install from a requirements file with \
                 hashes (`pip install --require-hashes -r requirements.txt`)",
            );
        }
    }
}

/// An exact semver version: `1.2.3`, `1.2.3-rc.1`.
fn exact_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn npm(args: &[Word], found: &mut Found) {
    const WITH_VALUE: &[&str] = &["--registry", "--prefix", "--cache", "--userconfig", "--tag"];
    let global = args
        .iter()
        .any(|a| matches!(a.text.as_str(), "-g" | "--global" | "--location=global"));
    let Some(words) = operands(args, &["install", "i", "add", "in"], WITH_VALUE) else {
        return;
    };
    if !global {
        return;
    }
    for w in words {
        let t = w.text.as_str();
        if dynamic_note(found, w) || t.starts_with(['.', '/']) || t.ends_with(".tgz") {
            continue;
        }
        let version = t
            .strip_prefix('@')
            .unwrap_or(t)
            .rsplit_once('@')
            .map(|(_, v)| v);
        if !version.is_some_and(exact_semver) {
            push(
                found,
                w.span.clone(),
                "npm",
                t,
                "pin an exact version: `npm install -g name@1.2.3`",
            );
        }
    }
}

fn go(args: &[Word], found: &mut Found) {
    const WITH_VALUE: &[&str] = &[
        "-ldflags",
        "-gcflags",
        "-asmflags",
        "-tags",
        "-o",
        "-mod",
        "-modfile",
        "-C",
        "-p",
        "-pkgdir",
        "-toolexec",
        "-overlay",
        "-buildmode",
        "-compiler",
        "-gccgoflags",
        "-installsuffix",
        "-pgo",
    ];
    let Some(words) = operands(args, &["install"], WITH_VALUE) else {
        return;
    };
    for w in words {
        let t = w.text.as_str();
        if dynamic_note(found, w) || t.starts_with(['.', '/']) {
            continue;
        }
        let floating = match t.rsplit_once('@') {
            None => true,
            Some((_, v)) => matches!(
                v,
                "latest" | "upgrade" | "patch" | "master" | "main" | "HEAD"
            ),
        };
        if floating {
            push(
                found,
                w.span.clone(),
                "go",
                t,
                "name a version: `go install example.com/cmd@v1.2.3`",
            );
        }
    }
}

fn cargo(args: &[Word], cmd: &Simple, found: &mut Found) {
    const WITH_VALUE: &[&str] = &[
        "--version",
        "--vers",
        "--git",
        "--branch",
        "--tag",
        "--rev",
        "--path",
        "--root",
        "--index",
        "--registry",
        "--features",
        "-F",
        "--target",
        "--target-dir",
        "--profile",
        "-j",
        "--jobs",
        "--bin",
        "--example",
        "--config",
        "-Z",
    ];
    let Some(words) = operands(args, &["install"], WITH_VALUE) else {
        return;
    };
    let local = flag(args, &["--path", "--git"]);
    if words.is_empty() && !local {
        return;
    }
    let locked = flag(args, &["--locked", "--frozen"]);
    let versioned = flag(args, &["--version", "--vers", "--rev", "--tag", "--path"])
        || (!words.is_empty() && words.iter().all(|w| w.text.contains('@')));
    if locked && versioned {
        return;
    }
    let missing = match (locked, versioned) {
        (false, false) => "`--locked` and a version",
        (false, true) => "`--locked`",
        _ => "a version",
    };
    let what = words.first().map_or("cargo install", |w| w.text.as_str());
    found.unpinned.push(Unpinned {
        span: cmd.span.clone(),
        tool: "cargo".into(),
        message: format!("`cargo install {}` is missing {missing}", excerpt(what)),
        help: "add `--locked` and `--version 1.2.3` (or `crate@1.2.3`), so the same crate and \
               dependency versions are built every time"
            .into(),
    });
}

fn gem(args: &[Word], found: &mut Found) {
    const WITH_VALUE: &[&str] = &[
        "-v",
        "--version",
        "-i",
        "--install-dir",
        "-n",
        "--bindir",
        "-s",
        "--source",
        "--platform",
    ];
    let Some(words) = operands(args, &["install", "i"], WITH_VALUE) else {
        return;
    };
    if flag(args, &["-v", "--version"]) {
        return;
    }
    for w in words {
        let t = w.text.as_str();
        if dynamic_note(found, w) || t.contains(':') || t.ends_with(".gem") {
            continue;
        }
        push(
            found,
            w.span.clone(),
            "gem",
            t,
            "pin a version: `gem install name -v 1.2.3`",
        );
    }
}
