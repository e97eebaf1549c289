//! The `apt-get`/`apt` and `apk` command lines: options, the subcommand, the package
//! words and an `--snapshot` already written (apt-get(8), apk(8)).

use std::ops::Range;

use super::shell::{excerpt, Simple, Word};
use super::{Action, Command, Scanner};
use crate::packages::{Constraint, Manager, Request};

impl Scanner {
    pub(super) fn apt(&mut self, cmd: &Simple, k: usize) -> Option<Command> {
        let words = &cmd.words;
        let mut sub: Option<&Word> = None;
        let mut snapshot = None;
        let mut packages = Vec::new();
        let mut target_release = None;
        let mut i = k + 1;
        while let Some(w) = words.get(i) {
            let t = w.text.as_str();
            i += 1;
            // The option's name and, for those that take one, its value and where it ends.
            let (name, attached) = if let Some(long) = t.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                }
            } else if t.len() > 1 && t.starts_with('-') {
                // A cluster of short options; `o c t a S` take a value, attached or next.
                match t[1..].find(['o', 'c', 't', 'a', 'S']) {
                    Some(at) => {
                        let rest = &t[at + 2..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        (&t[at + 1..at + 2], (!rest.is_empty()).then_some(rest))
                    }
                    None => continue,
                }
            } else {
                ("", None)
            };
            if !name.is_empty() {
                const WITH_VALUE: &[&str] = &[
                    "snapshot",
                    "option",
                    "target-release",
                    "default-release",
                    "config-file",
                    "host-architecture",
                    "architecture",
                    "o",
                    "c",
                    "t",
                    "a",
                    "S",
                ];
                if !WITH_VALUE.contains(&name) {
                    continue;
                }
                let (value, end) = match attached {
                    Some(v) => (v.to_string(), w.span.end),
                    None => {
                        let v = words.get(i);
                        i += 1;
                        let end = v.map_or(w.span.end, |v| v.span.end);
                        (v.map_or(String::new(), |v| v.text.clone()), end)
                    }
                };
                match name {
                    "snapshot" | "S" => snapshot = Some((value, w.span.start..end)),
                    "option" | "o" => {
                        if let Some(v) = config_value(&value, "APT::Snapshot") {
                            snapshot = Some((v, w.span.start..end));
                        } else if let Some(v) = config_value(&value, "APT::Default-Release") {
                            target_release = Some(v);
                        }
                    }
                    "target-release" | "default-release" | "t" => target_release = Some(value),
                    _ => {}
                }
                continue;
            }
            if sub.is_none() {
                sub = Some(w);
                continue;
            }
            if let Some(r) = self.package(w, Manager::Apt) {
                packages.push(r);
            }
        }
        let sub = sub?;
        let action = match sub.text.as_str() {
            "install" | "reinstall" => Action::AptInstall,
            "update" => Action::AptUpdate,
            "upgrade" | "dist-upgrade" | "full-upgrade" => Action::AptUpgrade,
            _ => return None,
        };
        Some(Command {
            manager: Manager::Apt,
            action,
            packages,
            snapshot,
            target_release,
            insert_at: sub.span.end,
            span: cmd.span.clone(),
            line: 0,
        })
    }

    pub(super) fn apk(&mut self, cmd: &Simple, k: usize) -> Option<Command> {
        const WITH_VALUE: &[&str] = &[
            "repository",
            "virtual",
            "root",
            "keys-dir",
            "repositories-file",
            "arch",
            "cache-dir",
            "cache-max-age",
            "progress-fd",
            "wait",
            "timeout",
        ];
        let words = &cmd.words;
        let mut sub: Option<&Word> = None;
        let mut packages = Vec::new();
        let mut i = k + 1;
        while let Some(w) = words.get(i) {
            let t = w.text.as_str();
            i += 1;
            let (name, value) = if let Some(long) = t.strip_prefix("--") {
                match long.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some((v.to_string(), w.span.clone()))),
                    None if WITH_VALUE.contains(&long) => {
                        i += 1;
                        (
                            long.to_string(),
                            words.get(i - 1).map(|v| (v.text.clone(), v.span.clone())),
                        )
                    }
                    None => (long.to_string(), None),
                }
            } else if t.len() > 1 && t.starts_with('-') {
                match t[1..].find(['X', 't', 'p']) {
                    Some(at) => {
                        let name = match t.as_bytes()[at + 1] {
                            b'X' => "repository",
                            b't' => "virtual",
                            _ => "root",
                        };
                        let attached = &t[at + 2..];
                        let value = if attached.is_empty() {
                            i += 1;
                            words.get(i - 1).map(|v| (v.text.clone(), v.span.clone()))
                        } else {
                            Some((attached.to_string(), w.span.clone()))
                        };
                        (name.to_string(), value)
                    }
                    None => continue,
                }
            } else {
                if sub.is_none() {
                    sub = Some(w);
                } else if let Some(r) = self.package(w, Manager::Apk) {
                    packages.push(r);
                }
                continue;
            };
            if let ("repository", Some((url, _))) = (name.as_str(), value) {
                self.note(
                    w.span.start..words.get(i - 1).map_or(w.span.end, |v| v.span.end),
                    format!("the extra repository `{}` is not locked", excerpt(&url)),
                );
            }
        }
        let sub = sub?;
        let action = match sub.text.as_str() {
            "add" => Action::ApkAdd,
            "upgrade" => Action::ApkUpgrade,
            "update" => Action::ApkUpdate,
            _ => return None,
        };
        Some(Command {
            manager: Manager::Apk,
            action,
            packages,
            snapshot: None,
            target_release: None,
            insert_at: sub.span.end,
            span: cmd.span.clone(),
            line: 0,
        })
    }

    /// One package word, or `None` (with a note when it cannot be read).
    fn package(&mut self, w: &Word, manager: Manager) -> Option<Request> {
        let t = w.text.as_str();
        if w.dynamic || w.glob || t.contains(['*', '?', '[']) {
            self.note(
                w.span.clone(),
                format!(
                    "package name from `{}` cannot be read statically",
                    excerpt(t)
                ),
            );
            return None;
        }
        let skip = t.is_empty()
            || t.starts_with(['.', '/', '!'])
            || t.ends_with(".deb")
            || t.ends_with(".apk")
            || (manager == Manager::Apk
                && (t.starts_with("so:") || t.starts_with("cmd:") || t.starts_with("pc:")));
        if skip {
            return None;
        }
        Some(match manager {
            Manager::Apt => apt_request(t, w.span.clone()),
            Manager::Apk => apk_request(t, w.span.clone()),
        })
    }
}

/// The value of `key=value` when `key` is `want` (apt's configuration names ignore case).
fn config_value(option: &str, want: &str) -> Option<String> {
    let (key, v) = option.split_once('=')?;
    key.trim()
        .eq_ignore_ascii_case(want)
        .then(|| v.trim().trim_matches('"').to_string())
}

/// `name[:arch][=version | /release]`.
fn apt_request(t: &str, span: Range<usize>) -> Request {
    let (head, version, release) = if let Some((h, v)) = t.split_once('=') {
        let c = Constraint {
            op: "=".into(),
            version: v.into(),
        };
        (h, Some(c), None)
    } else if let Some((h, r)) = t.split_once('/') {
        (h, None, Some(r.to_string()))
    } else {
        (t, None, None)
    };
    let (name, arch) = match head.split_once(':') {
        Some((n, a)) => (n, Some(a.to_string())),
        None => (head, None),
    };
    Request {
        name: name.into(),
        arch,
        version,
        release,
        span,
    }
}

/// `name[@tag][op version]`, op one of `= ~ =~ < <= > >= <~ >~ ><`; the tag goes in
/// `release`.
fn apk_request(t: &str, span: Range<usize>) -> Request {
    let at = t.find(['=', '<', '>', '~']).unwrap_or(t.len());
    let (head, rest) = t.split_at(at);
    let version = (!rest.is_empty()).then(|| {
        let op_len = rest
            .find(|c| !matches!(c, '=' | '<' | '>' | '~'))
            .unwrap_or(rest.len());
        Constraint {
            op: rest[..op_len].into(),
            version: rest[op_len..].into(),
        }
    });
    let (name, release) = match head.split_once('@') {
        Some((n, tag)) => (n, Some(tag.to_string())),
        None => (head, None),
    };
    Request {
        name: name.into(),
        arch: None,
        version,
        release,
        span,
    }
}
