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
    let results = runtime.block_on(client.resolve_all(images, platforms));
    if progress {
        // Erase the progress line so that what follows starts clean.
        let _ = write!(console.err, "\r\x1b[K");
    }
    for limit in client.rate_limits() {
        console.debug(&rate_limit_line(&limit));
    }
    let mut answers = HashMap::new();
    let mut errors = Vec::new();
    for (image, result) in images.iter().zip(results) {
        match result {
            Ok(r) => {
                console.debug(&format!("{image} → {}", r.digest));
                answers.insert(image.clone(), r);
            }
            // The client names the image in every error it returns.
            Err(e) => errors.push(at_uses(Diagnostic::from(e), uses.get(image))),
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(Failure(errors))
    }
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
