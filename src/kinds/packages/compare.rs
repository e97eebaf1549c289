//! Packages, step 5 offline: the lock against what the stages install, and whether the
//! Dockerfile applies what the lock pins (a lock the build does not apply pins nothing).

use super::plan::{Scan, StagePlan};
use crate::lockfile::packages::PackagesEntry;
use crate::lockfile::Lock;
use crate::packages::installs::Action;
use crate::packages::Manager;
use crate::report::{Code, Finding, UsedBy};
use crate::workspace::Target;

/// What findings about packages say they are about.
pub const KIND: &str = "package";

/// The build arg an apt snapshot can be applied through (`--snapshot $APT_SNAPSHOT`),
/// which `export --format build-args` sets.
pub const SNAPSHOT_ARG: &str = "APT_SNAPSHOT";

/// The offline findings for one Dockerfile, appended to `found`. A lock without
/// `packages:` locks none: its installs are findings only under `--require-pinned`.
pub fn compare(
    target: &Target,
    lock: &Lock,
    source: &[u8],
    scan: &Scan,
    require_pinned: bool,
    found: &mut Vec<Finding>,
) {
    let file = &target.dockerfile;
    let finding =
        |code, line, message: String| Finding::new(code, file, line, message).with_kind(KIND);
    if require_pinned {
        for u in &scan.unpinned {
            found.push(
                finding(
                    Code::Unpinned,
                    Some(u.line),
                    format!("{}; {}", u.message, u.help),
                )
                .used_by(vec![UsedBy {
                    dockerfile: Some(file.clone()),
                    line: Some(u.line),
                    stage: None,
                    by: None,
                }]),
            );
        }
    }
    if lock.packages.is_empty() {
        if require_pinned {
            for plan in &scan.stages {
                let names: Vec<&str> = plan.requests.keys().map(String::as_str).collect();
                found.push(
                    finding(
                        Code::Unpinned,
                        plan.lines.first().copied(),
                        format!(
                            "{} installs {} that no lock pins; run `dockerfile-lock generate --packages`",
                            describe(plan),
                            shown_list(&names)
                        ),
                    )
                    .about(plan.key.manager.as_str())
                    .used_by(stage_use(target, plan, plan.lines.first().copied())),
                );
            }
        }
        return;
    }
    for plan in &scan.stages {
        let Some(entry) = lock.packages.get(&plan.key) else {
            let names: Vec<&str> = plan.requests.keys().map(String::as_str).collect();
            found.push(
                finding(
                    Code::MissingLockEntry,
                    plan.lines.first().copied(),
                    format!(
                        "{} installs {}, which the lock does not have",
                        describe(plan),
                        shown_list(&names)
                    ),
                )
                .about(plan.key.manager.as_str())
                .used_by(stage_use(target, plan, plan.lines.first().copied())),
            );
            continue;
        };
        for (name, request) in &plan.requests {
            if !entry.packages.iter().any(|p| &p.name == name) {
                let line = plan
                    .commands
                    .iter()
                    .find(|c| c.command.packages.iter().any(|p| p.span == request.span))
                    .map(|c| c.line);
                let line = line.or(plan.lines.first().copied());
                found.push(
                    finding(
                        Code::MissingLockEntry,
                        line,
                        format!("{} `{name}` is not in the lock", plan.key.manager.as_str()),
                    )
                    .about(package(plan, name))
                    .pins(None, written_version(request))
                    .used_by(stage_use(target, plan, line)),
                );
            }
        }
        for p in &entry.packages {
            if !plan.requests.contains_key(&p.name) {
                found.push(
                    finding(
                        Code::StaleLockEntry,
                        plan.lines.first().copied(),
                        format!(
                            "the lock has {} `{}` for stage `{}`, which no command installs any more",
                            plan.key.manager.as_str(),
                            p.name,
                            plan.key.stage
                        ),
                    )
                    .about(package(plan, &p.name))
                    .pins(Some(p.version.clone()), None)
                    .used_by(stage_use(target, plan, plan.lines.first().copied())),
                );
            }
        }
        base_changed(target, lock, plan, entry, found);
        unapplied(target, source, plan, entry, found, &finding);
    }
}

/// `stale-lock-entry` for each entry no stage of `scans` installs any more.
pub fn stale_entries(target: &Target, lock: &Lock, scans: &[&Scan], found: &mut Vec<Finding>) {
    for (key, entry) in &lock.packages {
        if !scans.iter().any(|s| s.stages.iter().any(|p| &p.key == key)) {
            let stage = match &key.dockerfile {
                Some(d) => format!("stage `{}` of {d}", key.stage),
                None => format!("stage `{}`", key.stage),
            };
            found.push(
                Finding::new(
                    Code::StaleLockEntry,
                    &target.lock,
                    None,
                    format!(
                        "the lock has {} packages for {stage}, which installs none any more",
                        key.manager.as_str(),
                    ),
                )
                .with_kind(KIND)
                .about(key.manager.as_str())
                .pins(entry.snapshot.clone(), None)
                .used_by(vec![UsedBy {
                    dockerfile: Some(match &key.dockerfile {
                        Some(d) => target
                            .lock
                            .parent()
                            .unwrap_or(std::path::Path::new(""))
                            .join(d),
                        None => target.dockerfile.clone(),
                    }),
                    line: None,
                    stage: Some(key.stage.clone()),
                    by: None,
                }]),
            );
        }
    }
}

/// `base-changed`: the entry was read from another image than the one locked now.
fn base_changed(
    target: &Target,
    lock: &Lock,
    plan: &StagePlan,
    entry: &PackagesEntry,
    found: &mut Vec<Finding>,
) {
    let now = lock.images.get(&plan.base).map(|image| {
        image
            .platforms
            .get(&entry.platform)
            .unwrap_or(&image.digest)
            .clone()
    });
    let (message, locked, current) = match now {
        _ if entry.base != plan.base.reference => (
            format!(
                "stage `{}` is built on {} now, but its {} packages were read from {}",
                plan.key.stage,
                plan.base.reference,
                plan.key.manager.as_str(),
                entry.base
            ),
            entry.base.clone(),
            plan.base.reference.clone(),
        ),
        Some(d) if d != entry.base_digest => (
            format!(
                "{} is locked to {d} now, but stage `{}`'s {} packages were read from {}",
                entry.base,
                plan.key.stage,
                plan.key.manager.as_str(),
                entry.base_digest
            ),
            entry.base_digest.to_string(),
            d.to_string(),
        ),
        _ => return,
    };
    found.push(
        Finding::new(
            Code::BaseChanged,
            &target.dockerfile,
            plan.lines.first().copied(),
            message,
        )
        .with_kind(KIND)
        .about(plan.key.manager.as_str())
        .pins(Some(locked), Some(current))
        .used_by(stage_use(target, plan, plan.lines.first().copied())),
    );
}

/// `package-lock-unapplied`: a command that does not apply what the lock pins.
fn unapplied(
    target: &Target,
    source: &[u8],
    plan: &StagePlan,
    entry: &PackagesEntry,
    found: &mut Vec<Finding>,
    finding: &dyn Fn(Code, Option<usize>, String) -> Finding,
) {
    match plan.key.manager {
        Manager::Apt => {
            let Some(id) = &entry.snapshot else { return };
            if sources_applied(source, plan, entry) {
                return;
            }
            for c in &plan.commands {
                if !matches!(c.command.action, Action::AptInstall | Action::AptUpdate) {
                    continue;
                }
                if !command_applies(source, &c.command, id) {
                    found.push(
                        finding(
                            Code::PackageLockUnapplied,
                            Some(c.line),
                            format!(
                                "`{}` does not apply the locked snapshot {id}: the build would install whatever the mirror serves",
                                verb(c.command.action)
                            ),
                        )
                        .about(plan.key.manager.as_str())
                        .pins(
                            Some(id.clone()),
                            c.command.snapshot.as_ref().map(|(v, _)| v.clone()),
                        )
                        .used_by(stage_use(target, plan, Some(c.line))),
                    );
                }
            }
        }
        Manager::Apk => {
            for c in &plan.commands {
                for r in &c.command.packages {
                    let Some(locked) = entry.packages.iter().find(|p| p.name == r.name) else {
                        continue;
                    };
                    if !pins_version(r, &locked.version) {
                        found.push(
                            finding(
                                Code::PackageLockUnapplied,
                                Some(c.line),
                                format!(
                                    "`apk add {}` does not pin the locked version {}",
                                    r.name, locked.version
                                ),
                            )
                            .about(package(plan, &r.name))
                            .pins(Some(locked.version.clone()), written_version(r))
                            .used_by(stage_use(
                                target,
                                plan,
                                Some(c.line),
                            )),
                        );
                    }
                }
            }
        }
    }
}

/// Whether `request` is written `name=version` with the locked `version` (apk).
pub fn pins_version(request: &crate::packages::Request, version: &str) -> bool {
    request
        .version
        .as_ref()
        .is_some_and(|v| v.op == "=" && v.version == version)
}

/// Whether an apt command applies snapshot `id`: `--snapshot ID`, or the `APT_SNAPSHOT`
/// build arg the Dockerfile declares.
pub fn command_applies(
    source: &[u8],
    command: &crate::packages::installs::Command,
    id: &str,
) -> bool {
    command
        .snapshot
        .as_ref()
        .is_some_and(|(v, _)| v == id || names_snapshot_arg(v, source))
}

/// Whether the stage applies `entry`'s snapshot to `request`: through the sources, or on
/// each apt command that names it and each `apt-get update` before.
pub fn apt_applied(source: &[u8], plan: &StagePlan, entry: &PackagesEntry) -> bool {
    let Some(id) = &entry.snapshot else {
        return false;
    };
    sources_applied(source, plan, entry)
        || plan
            .commands
            .iter()
            .filter(|c| matches!(c.command.action, Action::AptInstall | Action::AptUpdate))
            .all(|c| command_applies(source, &c.command, id))
}

/// Whether a snapshot written as `$APT_SNAPSHOT` (or `${APT_SNAPSHOT}`) comes from a
/// declared `ARG APT_SNAPSHOT`, which the exported build args set.
fn names_snapshot_arg(value: &str, source: &[u8]) -> bool {
    let named = value == format!("${SNAPSHOT_ARG}") || value == format!("${{{SNAPSHOT_ARG}}}");
    named && declares_arg(source, SNAPSHOT_ARG)
}

/// Whether the Dockerfile declares `ARG name` (in any stage, or before the first FROM).
pub fn declares_arg(source: &[u8], name: &str) -> bool {
    let Ok(file) = crate::dockerfile::parse(source) else {
        return false;
    };
    file.instructions.iter().any(|i| {
        i.command() == "arg"
            && i.args.text.split_whitespace().any(|w| {
                let n = w.split_once('=').map_or(w, |(n, _)| n);
                n == name
            })
    })
}

/// Whether the stage points the image's sources at the snapshot (older apt): every
/// repository's snapshot URI is written in the stage.
fn sources_applied(source: &[u8], plan: &StagePlan, entry: &PackagesEntry) -> bool {
    let text = String::from_utf8_lossy(&source[plan.from_end.min(source.len())..]);
    let stage_text = match text.find("\nFROM ").or_else(|| text.find("\nfrom ")) {
        Some(end) => &text[..end],
        None => &text,
    };
    !entry.repositories.is_empty()
        && entry.repositories.iter().all(|r| {
            r.snapshot_uri
                .as_deref()
                .is_some_and(|u| stage_text.contains(&written_uri(u)))
        })
}

/// `apt curl`: how findings name one package of a stage.
fn package(plan: &StagePlan, name: &str) -> String {
    format!("{} {name}", plan.key.manager.as_str())
}

/// The version a request pins exactly (`name=version`), if it does.
fn written_version(request: &crate::packages::Request) -> Option<String> {
    request
        .version
        .as_ref()
        .filter(|v| v.op == "=")
        .map(|v| v.version.clone())
}

/// The stage's use, at `line`, for a finding's `used-by`.
pub fn stage_use(target: &Target, plan: &StagePlan, line: Option<usize>) -> Vec<UsedBy> {
    vec![UsedBy {
        dockerfile: Some(target.dockerfile.clone()),
        line,
        stage: Some(plan.key.stage.clone()),
        by: None,
    }]
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::AptUpdate => "apt-get update",
        Action::AptInstall => "apt-get install",
        Action::ApkAdd => "apk add",
        _ => "the command",
    }
}

/// "stage `build` (apt)".
pub fn describe(plan: &StagePlan) -> String {
    format!("stage `{}`", plan.key.stage)
}

fn shown_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut out: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if names.len() > SHOWN {
        out.push(format!("and {} more", names.len() - SHOWN));
    }
    out.join(", ")
}

/// The snapshot URI as the image's sources get it. Debian's and Ubuntu's snapshot services
/// are written with `http://`, as the images' own sources are: a slim image has no CA
/// certificates for `https://`, and apt checks the archive's signature either way. (The
/// lock is made over `https://`.)
pub fn written_uri(uri: &str) -> String {
    for host in ["snapshot.debian.org/", "snapshot.ubuntu.com/"] {
        if let Some(rest) = uri.strip_prefix(&format!("https://{host}")) {
            return format!("http://{host}{rest}");
        }
    }
    uri.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_snapshot_services_are_written_over_plain_http() {
        assert_eq!(
            written_uri("https://snapshot.debian.org/archive/debian/20260101T000000Z/"),
            "http://snapshot.debian.org/archive/debian/20260101T000000Z/"
        );
        assert_eq!(
            written_uri("https://snapshot.ubuntu.com/ubuntu/20260101T000000Z/"),
            "http://snapshot.ubuntu.com/ubuntu/20260101T000000Z/"
        );
        // A configured service is written as configured.
        assert_eq!(
            written_uri("https://apt.example.com/snap/debian/20260101T000000Z/"),
            "https://apt.example.com/snap/debian/20260101T000000Z/"
        );
    }
}
