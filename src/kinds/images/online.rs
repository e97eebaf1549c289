//! Images, step 3: asking registries. One client, one runtime, every reference at once, a
//! progress line on a terminal, and all-or-nothing results.

use std::collections::HashMap;
use std::path::PathBuf;

use super::plan::Source;
use super::Planned;
use crate::cli::RegistryArgs;
use crate::console::Console;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::Analysis;
use crate::lockfile::Key;
use crate::platform::Platform;
use crate::reference::ImageRef;
use crate::registry::{self, Client, Resolved};
use crate::workspace::Origin;

/// The `-v` line for a registry's pull limit (Docker Hub counts pulls, not `HEAD`s).
pub fn rate_limit_line(limit: &registry::RateLimit) -> String {
    format!(
        "{}: {} (HEAD lookups do not count as pulls)",
        limit.registry,
        limit.describe()
    )
}

/// Where each reference is used: the Dockerfiles and lines a registry error points at.
pub type Uses = HashMap<ImageRef, Vec<(PathBuf, usize)>>;

/// Where one file uses each reference its plan asks about, in line order: the use's own
/// file (a Dockerfile a compose or bake file builds), else `dockerfile`.
pub fn uses(
    planned: &Planned,
    analysis: &Analysis,
    origins: &[Origin],
    dockerfile: &std::path::Path,
) -> Uses {
    let mut uses = Uses::new();
    for (key, source) in &planned.plan {
        let Source::Ask(image) = source else {
            continue;
        };
        let at = uses.entry(image.clone()).or_default();
        for (i, u) in analysis.images.iter().enumerate() {
            if Key::for_use(&u.image) == *key {
                let path = origins.get(i).map_or(dockerfile, |o| &o.path);
                at.push((path.to_path_buf(), u.line));
            }
        }
    }
    uses
}

/// Resolve every reference; any failure fails the whole call, so that no lock is written
/// from half an answer. Errors name the reference, keep the registry's hint, and point at
/// every use of the reference that `uses` knows (`--> FILE:LINE`, then notes).
pub fn resolve_all(
    console: &mut Console<'_>,
    args: &RegistryArgs,
    images: &[ImageRef],
    platforms: &[Platform],
    uses: &Uses,
) -> Result<HashMap<ImageRef, Resolved>, Failure> {
    if images.is_empty() {
        return Ok(HashMap::new());
    }
    let config = registry::Config::from_args(&with_config_mirrors(args)?)?;
    let client = Client::new(config).map_err(Diagnostic::from)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::new(format!("cannot start the async runtime: {e}")))?;
    let progress = console.err_is_tty && console.verbosity >= 0;
    if progress {
        let n = images.len();
        let s = if n == 1 { "" } else { "s" };
        let _ = write!(console.err, "resolving {n} image{s}…");
        let _ = console.err.flush();
    }
    // On a terminal: how many are answered, and the last one, on one line rewritten.
    let results = {
        let err = std::cell::RefCell::new(&mut *console.err);
        let show = |n: usize, of: usize, image: &ImageRef| {
            if progress {
                let mut line = format!("resolved {n}/{of}: {image}");
                if line.chars().count() > 78 {
                    line = line.chars().take(77).collect::<String>() + "…";
                }
                let mut err = err.borrow_mut();
                let _ = write!(err, "\r\x1b[K{line}");
                let _ = err.flush();
            }
        };
        runtime.block_on(client.resolve_all_with(images, platforms, &show))
    };
    if progress {
        // Erase the progress line so that what follows starts clean.
        let _ = write!(console.err, "\r\x1b[K");
    }
    for limit in client.rate_limits() {
        console.debug(&rate_limit_line(&limit));
    }
    let mut answers = HashMap::new();
    let mut failed = Vec::new();
    for (image, result) in images.iter().zip(results) {
        match result {
            Ok(r) => {
                console.debug(&format!("{image} → {}", r.digest));
                answers.insert(image.clone(), r);
            }
            Err(e) => failed.push((image, e)),
        }
    }
    if failed.is_empty() {
        Ok(answers)
    } else {
        Err(Failure(grouped(failed, uses)))
    }
}

/// What failed alike: the registry, the cause and its help.
type Cause = (String, String, Option<String>);

/// The errors of failed references, in the order of their first use: one per reference,
/// or one per registry and cause when several references failed alike (a registry that is
/// down is said once, with every reference it held up as a note).
fn grouped(failed: Vec<(&ImageRef, registry::Error)>, uses: &Uses) -> Vec<Diagnostic> {
    let first_use = |image: &ImageRef| {
        uses.get(image)
            .and_then(|u| u.first().cloned())
            .unwrap_or_default()
    };
    // (registry, cause, help) → the references, in first-use order.
    let mut groups: Vec<(Cause, Vec<(&ImageRef, registry::Error)>)> = Vec::new();
    let mut failed = failed;
    failed.sort_by_key(|(image, _)| first_use(image));
    for (image, e) in failed {
        // The client names the image in every error: `cannot resolve IMAGE: cause`.
        let prefix = format!("cannot resolve {image}: ");
        let cause = e
            .message
            .strip_prefix(&prefix)
            .unwrap_or(&e.message)
            .to_string();
        let key = (e.registry.clone(), cause, e.help.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push((image, e)),
            None => groups.push((key, vec![(image, e)])),
        }
    }
    let mut out = Vec::new();
    for ((registry, cause, help), members) in groups {
        if members.len() == 1 {
            let (image, e) = members.into_iter().next().expect("one member");
            out.push(at_uses(Diagnostic::from(e), uses.get(image)));
            continue;
        }
        let mut d = Diagnostic::new(format!(
            "cannot resolve {} images on {registry}: {cause}",
            members.len()
        ));
        d.help = help;
        let (first, _) = &members[0];
        if let Some((path, line)) = uses.get(*first).and_then(|u| u.first()) {
            d = d.at(path, Some(*line));
        }
        for (image, _) in &members {
            let at = uses
                .get(*image)
                .map(|u| {
                    u.iter()
                        .map(|(p, l)| format!("{}:{l}", p.display()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            d = d.with_note(if at.is_empty() {
                format!("{image}")
            } else {
                format!("{image} at {at}")
            });
        }
        out.push(d);
    }
    out
}

/// Point a registry error at the first use of its reference, and note the others.
fn at_uses(d: Diagnostic, uses: Option<&Vec<(PathBuf, usize)>>) -> Diagnostic {
    let Some(((first, line), rest)) = uses.and_then(|u| u.split_first()) else {
        return d;
    };
    let mut d = d.at(first, Some(*line));
    for (path, line) in rest {
        d = d.with_note(format!("also used at {}:{line}", path.display()));
    }
    d
}

/// The registry flags with the `mirrors` of `.dockerfile-lock.toml` (found from the current
/// directory) beneath them: a `--registry-mirror` for the same registry wins.
pub fn with_config_mirrors(args: &RegistryArgs) -> Result<RegistryArgs, Diagnostic> {
    let file = crate::config::load(std::path::Path::new("."))?;
    if file.mirrors.is_empty() {
        return Ok(args.clone());
    }
    let mut args = args.clone();
    let mut mirrors: Vec<String> = file
        .mirrors
        .iter()
        .map(|(registry, mirror)| format!("{registry}={mirror}"))
        .collect();
    mirrors.append(&mut args.registry_mirrors);
    args.registry_mirrors = mirrors;
    Ok(args)
}
