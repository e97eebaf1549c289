//! Packages, step 6: `rewrite --packages` applies what the lock pins in the `RUN` lines
//! (byte-exact, through [`crate::splice`]), `--unpin` takes it out, and `update` moves it.
//!
//! - apt 2.7 or later: `--snapshot ID` after each `apt-get update` and `apt-get install`;
//! - older apt: one instruction after the stage's `FROM` that points the image's own
//!   sources at the snapshot (`check-valid-until=no`: snapshots are older than a week);
//! - apk: `name=version`.

use super::compare::{written_uri, SNAPSHOT_ARG};
use super::plan::{Scan, StagePlan};
use crate::diagnostic::Diagnostic;
use crate::lockfile::packages::PackagesEntry;
use crate::lockfile::Lock;
use crate::packages::installs::Action;
use crate::packages::{debversion, Manager};
use crate::splice::Edit;

/// The end of the instruction `rewrite --packages` inserts for older apt, which finds it
/// again (to move or remove it).
pub const MARKER: &str = "# dockerfile-lock: apt snapshot";

/// Whether apt `version` applies `--snapshot` itself (2.7 and later).
pub fn native_snapshot(version: Option<&str>) -> bool {
    version.is_some_and(|v| debversion::compare(v, "2.7~") != std::cmp::Ordering::Less)
}

/// `rewrite --packages`' edits (or with `unpin`, their removal). A stage the lock lacks is
/// a note: `generate --packages` locks it first.
pub fn edits(
    scan: &Scan,
    lock: &Lock,
    source: &[u8],
    unpin: bool,
    notes: &mut Vec<Diagnostic>,
    dockerfile: &std::path::Path,
) -> Vec<Edit> {
    let mut out = Vec::new();
    for plan in &scan.stages {
        let Some(entry) = lock.packages.get(&plan.key) else {
            if !unpin {
                notes.push(
                    Diagnostic::new(format!(
                        "stage `{}`'s {} packages are not in the lock: left as written",
                        plan.key.stage,
                        plan.key.manager.as_str()
                    ))
                    .at(dockerfile, plan.lines.first().copied())
                    .with_help("run `dockerfile-lock generate --packages` first"),
                );
            }
            continue;
        };
        match plan.key.manager {
            Manager::Apt => apt(plan, entry, source, unpin, &mut out),
            Manager::Apk => apk(plan, entry, unpin, notes, dockerfile, &mut out),
        }
    }
    out
}

fn apt(plan: &StagePlan, entry: &PackagesEntry, source: &[u8], unpin: bool, out: &mut Vec<Edit>) {
    let Some(id) = &entry.snapshot else { return };
    let inserted = inserted_line(source, plan);
    if unpin {
        for c in &plan.commands {
            if let Some((v, span)) = &c.command.snapshot {
                if v == id {
                    out.push(remove_with_space(source, span.clone()));
                }
            }
        }
        if let Some(range) = inserted {
            out.push(Edit {
                range,
                text: String::new(),
            });
        }
        return;
    }
    if native_snapshot(entry.apt_version.as_deref()) {
        for c in &plan.commands {
            if !matches!(c.command.action, Action::AptInstall | Action::AptUpdate) {
                continue;
            }
            match &c.command.snapshot {
                Some((v, _)) if v == id || v.contains(SNAPSHOT_ARG) => {}
                Some((_, span)) => out.push(Edit {
                    range: span.clone(),
                    text: format!("--snapshot {id}"),
                }),
                None => out.push(Edit {
                    range: c.command.insert_at..c.command.insert_at,
                    text: format!(" --snapshot {id}"),
                }),
            }
        }
    } else {
        let line = sources_instruction(entry);
        match inserted {
            Some(range) => {
                let old = String::from_utf8_lossy(&source[range.clone()]);
                if old.trim_start_matches('\n') != line {
                    out.push(Edit {
                        range: range.start + 1..range.end,
                        text: line,
                    });
                }
            }
            None => out.push(Edit {
                range: plan.from_end..plan.from_end,
                text: format!("\n{line}"),
            }),
        }
    }
}

fn apk(
    plan: &StagePlan,
    entry: &PackagesEntry,
    unpin: bool,
    notes: &mut Vec<Diagnostic>,
    dockerfile: &std::path::Path,
    out: &mut Vec<Edit>,
) {
    for c in &plan.commands {
        for r in &c.command.packages {
            let Some(locked) = entry.packages.iter().find(|p| p.name == r.name) else {
                continue;
            };
            let pinned = format!("{}={}", r.name, locked.version);
            match (&r.version, unpin) {
                (Some(v), true) if v.op == "=" && v.version == locked.version => out.push(Edit {
                    range: r.span.clone(),
                    text: r.name.clone(),
                }),
                (_, true) => {}
                (Some(v), false) if v.op == "=" && v.version == locked.version => {}
                (Some(v), false) if v.op != "=" => notes.push(
                    Diagnostic::new(format!(
                        "`{}{}{}` is left as written: the lock pins {}",
                        r.name, v.op, v.version, locked.version
                    ))
                    .at(dockerfile, Some(c.line)),
                ),
                _ => out.push(Edit {
                    range: r.span.clone(),
                    text: pinned,
                }),
            }
        }
    }
}

/// `update`'s edits: each snapshot and apk version written from `old` moved to `new`'s.
pub fn repinned(scan: &Scan, old: &Lock, new: &Lock, source: &[u8]) -> Vec<Edit> {
    let mut out = Vec::new();
    for plan in &scan.stages {
        let (Some(before), Some(after)) =
            (old.packages.get(&plan.key), new.packages.get(&plan.key))
        else {
            continue;
        };
        match plan.key.manager {
            Manager::Apt => {
                let (Some(from), Some(to)) = (&before.snapshot, &after.snapshot) else {
                    continue;
                };
                if from == to {
                    continue;
                }
                for c in &plan.commands {
                    if let Some((v, span)) = &c.command.snapshot {
                        if v == from {
                            out.push(Edit {
                                range: span.clone(),
                                text: format!("--snapshot {to}"),
                            });
                        }
                    }
                }
                if let Some(range) = inserted_line(source, plan) {
                    out.push(Edit {
                        range: range.start + 1..range.end,
                        text: sources_instruction(after),
                    });
                }
            }
            Manager::Apk => {
                for c in &plan.commands {
                    for r in &c.command.packages {
                        let was = before.packages.iter().find(|p| p.name == r.name);
                        let now = after.packages.iter().find(|p| p.name == r.name);
                        if let (Some(v), Some(was), Some(now)) = (&r.version, was, now) {
                            if v.op == "=" && v.version == was.version && was.version != now.version
                            {
                                out.push(Edit {
                                    range: r.span.clone(),
                                    text: format!("{}={}", r.name, now.version),
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// The instruction that points an older apt's sources at the snapshot: the image's source
/// files are replaced by one list of the snapshot URIs.
pub fn sources_instruction(entry: &PackagesEntry) -> String {
    let mut lines = Vec::new();
    for r in &entry.repositories {
        let (Some(uri), Some(suite)) = (&r.snapshot_uri, &r.suite) else {
            continue;
        };
        let mut options = vec!["check-valid-until=no".to_string()];
        if let Some(k) = &r.signed_by {
            options.push(format!("signed-by={k}"));
        }
        lines.push(format!(
            "'deb [{}] {} {} {}'",
            options.join(" "),
            written_uri(uri),
            suite,
            r.components.join(" ")
        ));
    }
    format!(
        "RUN rm -f /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources && printf '%s\\n' {} > /etc/apt/sources.list {MARKER} {}",
        lines.join(" "),
        entry.snapshot.as_deref().unwrap_or_default()
    )
}

/// The instruction [`sources_instruction`] inserted in the stage, from the newline before
/// it to its end.
fn inserted_line(source: &[u8], plan: &StagePlan) -> Option<std::ops::Range<usize>> {
    let from = plan.from_end.min(source.len());
    let rest = &source[from..];
    let mut at = 0;
    // Only directly after the FROM line, where it is inserted.
    if rest.first() != Some(&b'\n') {
        return None;
    }
    at += 1;
    let end = rest[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(rest.len(), |p| at + p);
    let line = String::from_utf8_lossy(&rest[at..end]);
    (line.starts_with("RUN ") && line.contains(MARKER)).then(|| from..from + end)
}

/// `span` removed with the one space before it.
fn remove_with_space(source: &[u8], span: std::ops::Range<usize>) -> Edit {
    let start = if span.start > 0 && source[span.start - 1] == b' ' {
        span.start - 1
    } else {
        span.start
    };
    Edit {
        range: start..span.end,
        text: String::new(),
    }
}
