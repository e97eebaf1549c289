//! `dockerfile-lock export`: the locks in forms BuildKit applies at build time without
//! rewriting the Dockerfile (a source policy, `--build-context` arguments, a bake
//! `contexts` block), or as one JSON document for other tools.
//!
//! Exporting works from the locks alone and resolves nothing. The named-context formats
//! also read each Dockerfile's stage names when they can (see `context_pins`); run
//! `dockerfile-lock verify` first to know the locks still match the Dockerfiles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{write_out, Console, Outcome, Status};
use crate::builds::Env;
use crate::cli::{ExportArgs, ExportFormat};
use crate::diagnostic::{Diagnostic, Failure};
use crate::kinds::images::export::Pin;
use crate::kinds::sources::export::SourceRule;
use crate::kinds::{images, sources};
use crate::lockfile::Lock;
use crate::report::{self, Finding};
use crate::workspace::{self, project, Target};

mod compose;
mod contexts;
mod json;
mod source_policy;

use contexts::context_name;

/// One lock as read, with the paths it was found at.
#[derive(Debug, Clone)]
struct Locked {
    target: Target,
    lock: Lock,
    /// The Dockerfile's stage names (lower-cased), for the named-context formats.
    stages: BTreeSet<String>,
}

impl Locked {
    /// A lock and the stage names its entries record.
    fn new(target: Target, lock: Lock) -> Locked {
        let stages = lock
            .images
            .values()
            .flat_map(|e| e.used_by.iter().filter_map(|u| u.stage.clone()))
            .collect();
        Locked {
            target,
            lock,
            stages,
        }
    }
}

pub fn run(args: &ExportArgs, console: &mut Console<'_>) -> Outcome {
    let env = crate::builds::Env::from_process(Default::default());
    let targets = workspace::targets(&args.files, &args.scan, args.lockfile.as_deref(), &env)?;
    let mut locks = Vec::new();
    let mut errors = Vec::new();
    for target in targets {
        match workspace::read_lock(&target) {
            Ok(lock) => locks.push(Locked::new(target, lock)),
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    // A lock out of date with its file would pin the wrong images, or none.
    if !args.no_verify {
        let findings = stale(&locks, &env)?;
        if !findings.is_empty() {
            let _ = console
                .err
                .write_all(report::render_text(&findings).as_bytes());
            console.warn(
                &Diagnostic::new(format!(
                    "not exported: {} out of date with {}",
                    if locks.len() == 1 { "the lock is" } else { "locks are" },
                    if locks.len() == 1 { "its file" } else { "their files" },
                ))
                .with_help(
                    "run `dockerfile-lock generate`, or pass --no-verify to export them as they are",
                ),
            );
            return Ok(Status::Findings);
        }
    }
    let what = match args.format {
        ExportFormat::BuildContexts | ExportFormat::Bake => Some("build contexts"),
        ExportFormat::Compose => Some("a compose override"),
        _ => None,
    };
    if let Some(what) = what {
        for locked in &mut locks {
            if args.format != ExportFormat::Compose {
                add_dockerfile_stages(console, &env, locked);
            }
            if !locked.lock.sources.is_empty() {
                console.warn(
                    &Diagnostic::new(format!(
                        "the {} ADD source(s) {} locks are not pinned by {what}",
                        locked.lock.sources.len(),
                        display(&locked.target.lock)
                    ))
                    .with_help(
                        "pin them with `--format source-policy`, or `dockerfile-lock rewrite`",
                    ),
                );
            }
        }
    }
    if args.format == ExportFormat::Compose {
        let not_compose: Vec<&Locked> = locks.iter().filter(|l| !is_compose(l)).collect();
        if not_compose.len() == locks.len() {
            return Err(Diagnostic::new(format!(
                "--format compose pins compose services, and {} is not a compose file",
                not_compose
                    .first()
                    .map_or_else(String::new, |l| display(&l.target.dockerfile))
            ))
            .with_help("name the compose file (`compose.yaml`), or use `--format build-contexts` or `--format source-policy` for a Dockerfile")
            .into());
        }
        for l in not_compose {
            console.warn(&Diagnostic::new(format!(
                "{} is not a compose file: --format compose leaves it out",
                display(&l.target.dockerfile)
            )));
        }
    }
    let text = render(args.format, &locks)?;
    write_out(console, &text)?;
    Ok(Status::Ok)
}

/// `verify`'s offline findings about what each lock covers: missing and stale entries,
/// digests that disagree, packages read from another base.
fn stale(locks: &[Locked], env: &Env) -> Result<Vec<Finding>, Failure> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for locked in locks {
        let result = (|| -> Result<(), Diagnostic> {
            let bytes =
                crate::boundary::read_lock(&locked.target.lock).map_err(|e| e.to_diagnostic())?;
            let options =
                workspace::build_options(&crate::cli::BuildArgs::default(), Some(&locked.lock))?;
            let read = project::read_target(&locked.target.dockerfile, &options, env)?;
            crate::kinds::compare(
                &locked.target,
                &locked.lock,
                &bytes,
                &read,
                env,
                false,
                &mut findings,
            )?;
            Ok(())
        })();
        if let Err(d) = result {
            errors.push(d);
        }
    }
    // Out of date, not merely unapplied: a lock that pins what the file uses is exported,
    // which is how a build applies it without edits.
    findings.retain(|f| {
        matches!(
            f.code,
            report::Code::MissingLockEntry
                | report::Code::StaleLockEntry
                | report::Code::DigestMismatch
                | report::Code::BaseChanged
        )
    });
    if errors.is_empty() {
        Ok(findings)
    } else {
        Err(Failure(errors))
    }
}

fn is_compose(locked: &Locked) -> bool {
    locked
        .target
        .dockerfile
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(crate::compose::is_compose_name)
}

/// The bake targets `locks` build, for `--format bake`: each gets the contexts (a
/// Dockerfile's own lock has none, and gets a `default` target).
fn bake_targets(locks: &[Locked]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for l in locks.iter().filter(|l| {
        l.target
            .dockerfile
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("docker-bake"))
    }) {
        for u in l.lock.images.values().flat_map(|e| &e.used_by) {
            let Some(by) = &u.by else { continue };
            let args = out.entry(by.clone()).or_default();
            // The apt snapshot, through the target's Dockerfile's `ARG APT_SNAPSHOT`.
            if let Some(d) = &u.dockerfile {
                args.extend(dockerfile_build_args(&l.target.lock, d, &l.lock));
            }
        }
    }
    out
}

/// The text `format` gives for `locks`; a tag locked to two digests is an error.
fn render(format: ExportFormat, locks: &[Locked]) -> Result<String, Failure> {
    Ok(match format {
        ExportFormat::SourcePolicy => source_policy::render(&pins(locks)?, &source_rules(locks)?),
        ExportFormat::BuildContexts => contexts::render_args(&context_pins(locks)?),
        ExportFormat::Bake => contexts::render_bake(&context_pins(locks)?, &bake_targets(locks)),
        ExportFormat::Json => json::render(locks),
        ExportFormat::Compose => compose_pins(locks)?,
        ExportFormat::BuildArgs => build_args(locks)?,
    })
}

/// One `--build-arg NAME=VALUE` per line: the values the Dockerfiles' own ARGs take to
/// apply their locks (an apt snapshot). One name with two values is an error.
fn build_args(locks: &[Locked]) -> Result<String, Failure> {
    let mut args: BTreeMap<String, (String, std::path::PathBuf)> = BTreeMap::new();
    let mut errors = Vec::new();
    for locked in locks {
        let found: Vec<(String, String)> =
            if workspace::discover::is_project(&locked.target.dockerfile) {
                // Each Dockerfile its builds read, with its own entries.
                let dockerfiles: BTreeSet<&String> = locked
                    .lock
                    .packages
                    .keys()
                    .filter_map(|k| k.dockerfile.as_ref())
                    .collect();
                dockerfiles
                    .into_iter()
                    .flat_map(|d| dockerfile_build_args(&locked.target.lock, d, &locked.lock))
                    .collect()
            } else {
                let source = crate::boundary::read(
                    &locked.target.dockerfile,
                    crate::boundary::DOCUMENT_LIMIT,
                )
                .map_err(|e| e.to_diagnostic())?;
                crate::kinds::packages::build_args(&source, &locked.lock)
                    .into_iter()
                    .collect()
            };
        for (k, v) in found {
            match args.get(&k) {
                Some((other, at)) if *other != v => errors.push(
                    Diagnostic::new(format!(
                        "{} needs {k}={v}, but {} needs {k}={other}",
                        display(&locked.target.dockerfile),
                        display(at)
                    ))
                    .with_help("export them one at a time"),
                ),
                _ => {
                    args.insert(k, (v, locked.target.dockerfile.clone()));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(Failure(errors));
    }
    Ok(args
        .into_iter()
        .map(|(k, (v, _))| {
            format!(
                "--build-arg {}\n",
                contexts::shell_quote(&format!("{k}={v}"))
            )
        })
        .collect())
}

/// The build args that apply `lock`'s packages in the Dockerfile `dockerfile` (relative
/// to the lock) that a compose or bake build reads: its own entries only.
fn dockerfile_build_args(
    lock_path: &Path,
    dockerfile: &str,
    lock: &Lock,
) -> BTreeMap<String, String> {
    let path = lock_path.parent().unwrap_or(Path::new("")).join(dockerfile);
    let Ok(source) = crate::boundary::read(&path, crate::boundary::DOCUMENT_LIMIT) else {
        return BTreeMap::new();
    };
    let mut own = lock.clone();
    own.packages
        .retain(|k, _| k.dockerfile.as_deref() == Some(dockerfile));
    crate::kinds::packages::build_args(&source, &own)
}

/// Every tagged entry of `locks`, one digest per tag (the images' rule).
fn pins(locks: &[Locked]) -> Result<BTreeMap<String, Pin>, Failure> {
    images::export::pins(locks.iter().map(|l| (display(&l.target.lock), &l.lock)))
}

/// One source-policy rule per locked source (the sources' rule).
fn source_rules(locks: &[Locked]) -> Result<BTreeMap<String, SourceRule>, Failure> {
    sources::export::source_rules(locks.iter().map(|l| (display(&l.target.lock), &l.lock)))
}

/// `--format compose`: from the locks of compose files, each service's `image:` by digest
/// and, for a service that builds, one `additional_contexts` entry per image its build
/// uses. Locks of other files have no services and add nothing.
fn compose_pins(locks: &[Locked]) -> Result<String, Failure> {
    let mut services: BTreeMap<String, compose::ServicePins> = BTreeMap::new();
    // Context names made here for a build's images, and the stage names each build's lock
    // records: BuildKit looks a stage's name up among the contexts first, so a context
    // named like a stage would replace the whole stage.
    let mut made: BTreeSet<(String, String)> = BTreeSet::new();
    let mut stages: BTreeSet<(String, String)> = BTreeSet::new();
    // The tag pins, checked to agree across the locks exported together.
    pins(locks)?;
    for locked in locks {
        if !is_compose(locked) {
            continue;
        }
        for (key, entry) in &locked.lock.images {
            for u in &entry.used_by {
                let Some(service) = &u.by else { continue };
                if u.kind != crate::dockerfile::UseKind::Context {
                    if let Some(stage) = &u.stage {
                        stages.insert((service.clone(), stage.clone()));
                    }
                }
                let s = services.entry(service.clone()).or_default();
                let pinned = format!("{}@{}", entry.name, entry.digest);
                let context = match u.kind {
                    crate::dockerfile::UseKind::Image => {
                        s.image = Some(pinned);
                        None
                    }
                    crate::dockerfile::UseKind::Context => u
                        .stage
                        .clone()
                        .map(|name| (name, format!("docker-image://{pinned}"))),
                    _ if key.is_tag() => {
                        let name = context_name(&key.reference);
                        made.insert((service.clone(), name.clone()));
                        Some((
                            name,
                            format!("docker-image://{}@{}", key.reference, entry.digest),
                        ))
                    }
                    _ => None,
                };
                if let Some((name, value)) = context {
                    s.build
                        .get_or_insert_with(Default::default)
                        .additional_contexts
                        .insert(name, value);
                }
                // The apt snapshot, through the build's `ARG APT_SNAPSHOT`.
                if let Some(d) = &u.dockerfile {
                    for (k, v) in dockerfile_build_args(&locked.target.lock, d, &locked.lock) {
                        s.build
                            .get_or_insert_with(Default::default)
                            .args
                            .insert(k, v);
                    }
                }
            }
        }
    }
    let clashes: Vec<Diagnostic> = made
        .iter()
        .filter(|m| stages.contains(*m))
        .map(|(service, name)| {
            Diagnostic::new(format!(
                "service {service:?}: the build context `{name}` would replace the stage `{name}`, not only the image it starts from"
            ))
            .with_help(format!(
                "rename the stage, or pin `{name}` with `--format source-policy`, which matches images only"
            ))
        })
        .collect();
    if !clashes.is_empty() {
        return Err(Failure(clashes));
    }
    compose::render(&services).map_err(|e| Diagnostic::new(format!("cannot encode: {e}")).into())
}

/// The pins for named contexts, refusing any whose name is also a stage's: BuildKit
/// looks every named stage up among the named contexts first (`dockerfile2llb`,
/// `buildDispatchStates`), so `--build-context alpine=…` would replace all of
/// `FROM alpine AS alpine`, its instructions included, not just its base image.
fn context_pins(locks: &[Locked]) -> Result<BTreeMap<String, Pin>, Failure> {
    let pins = pins(locks)?;
    let mut errors = Vec::new();
    // `dockerfile2llb` (`namedContextFunc`) never looks up `context` or `scratch`.
    for reference in pins.keys() {
        let name = context_name(reference);
        if name.eq_ignore_ascii_case("context") || name.eq_ignore_ascii_case("scratch") {
            errors.push(
                Diagnostic::new(format!(
                    "BuildKit never looks up a build context named `{name}`, so `{reference}` cannot be pinned this way"
                ))
                .with_help(format!("pin `{reference}` with `--format source-policy`")),
            );
        }
    }
    for locked in locks {
        for reference in pins.keys() {
            let name = context_name(reference);
            if locked.stages.contains(&name) {
                errors.push(
                    Diagnostic::new(format!(
                        "the build context `{name}` would replace the stage `{name}`, not only the image it starts from"
                    ))
                    .at(&locked.target.dockerfile, None)
                    .with_help(format!(
                        "rename the stage, or pin `{name}` with `--format source-policy`, which matches images only"
                    )),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(pins)
    } else {
        Err(Failure(errors))
    }
}

/// Add the Dockerfile's own stage names to those the lock records (a stage that starts
/// from another stage uses no image, so the lock does not name it). A Dockerfile that
/// cannot be read is only a warning: the lock alone is what is exported.
fn add_dockerfile_stages(console: &mut Console<'_>, env: &Env, locked: &mut Locked) {
    match project::stages(&locked.target.dockerfile, &locked.lock, env) {
        Ok(stages) => locked.stages.extend(stages),
        Err(d) => console.warn(
            &Diagnostic::new(format!(
                "cannot check the stage names of {} against the build contexts: {}",
                locked.target.dockerfile.display(),
                d.message
            ))
            .at(&locked.target.dockerfile, d.line),
        ),
    }
}

/// A path as output shows it: `/`-separated on every platform.
fn display(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

#[cfg(test)]
mod tests;
