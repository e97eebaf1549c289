//! `dockerfile-lock resolve`: print each image's digest, like `crane digest`.
//!
//! Text lines `IMAGE DIGEST`, or a JSON array of `{image, normalized, digest, media-type,
//! platforms}`. Every image that resolved is printed; each one that did not gets an error
//! on stderr (image, registry, HTTP status, `help:`), and the exit code is then 2.

use serde::Serialize;

use super::{write_out, Console, Outcome, Status};
use crate::cli::{ListFormat, ResolveArgs};
use crate::diagnostic::{Diagnostic, Failure};
use crate::platform::Platform;
use crate::reference::{Digest, ImageRef};
use crate::registry::{self, Client, Resolved};

#[derive(Serialize)]
struct Entry<'a> {
    image: &'a str,
    normalized: String,
    digest: &'a Digest,
    /// Spelled as the lock and `export --format json` spell it.
    #[serde(rename = "media-type")]
    media_type: Option<&'a str>,
    platforms: &'a std::collections::BTreeMap<String, Digest>,
}

pub fn run(args: &ResolveArgs, console: &mut Console<'_>) -> Outcome {
    let mut config = registry::Config::from_args(&args.registry)?;
    // Like `crane digest`: a pinned reference is checked, not echoed, unless --offline.
    config.check_pinned = !args.offline;
    let mut platforms: Vec<Platform> = Vec::new();
    for p in &args.platforms {
        let p: Platform = p
            .parse()
            .map_err(|e| Diagnostic::new(format!("invalid --platform: {e}")))?;
        if !platforms.contains(&p) {
            platforms.push(p);
        }
    }
    let mut failed = false;
    // Parse every reference first; a bad one is reported and the rest still resolve.
    let mut parsed: Vec<(usize, ImageRef)> = Vec::new();
    for (i, text) in args.images.iter().enumerate() {
        match ImageRef::parse(text) {
            Ok(r) => parsed.push((i, r)),
            Err(e) => {
                failed = true;
                console.error(&Diagnostic::new(format!(
                    "invalid image reference `{text}`: {e}"
                )));
            }
        }
    }
    let refs: Vec<ImageRef> = parsed.iter().map(|(_, r)| r.clone()).collect();
    let (results, limits) = resolve_blocking(config, &refs, &platforms)?;
    for limit in &limits {
        console.debug(&crate::kinds::images::online::rate_limit_line(limit));
    }
    let mut text = String::new();
    let mut json = Vec::new();
    for ((i, image), result) in parsed.iter().zip(&results) {
        let written = &args.images[*i];
        match result {
            Ok(resolved) => match args.format {
                ListFormat::Text => text.push_str(&format!(
                    "{written} {}\n",
                    shown_digest(resolved, &platforms)
                )),
                ListFormat::Json => json.push(entry(written, image, resolved)),
            },
            Err(e) => {
                failed = true;
                console.error(&Diagnostic::from(e.clone()));
            }
        }
    }
    if args.format == ListFormat::Json {
        text = serde_json::to_string_pretty(&json).expect("plain data serializes");
        text.push('\n');
    }
    write_out(console, &text)?;
    if failed {
        // Each failure was printed as it was found.
        return Err(Failure(Vec::new()));
    }
    Ok(Status::Ok)
}

/// The digest a text line shows: with one `--platform`, that platform's manifest (what
/// `crane digest --platform` prints, and what a build on that platform pulls); else the
/// digest the tag names (an index, or a single-platform manifest).
fn shown_digest<'a>(r: &'a Resolved, platforms: &[Platform]) -> &'a Digest {
    match platforms {
        [one] => r.platforms.get(&one.to_string()).unwrap_or(&r.digest),
        _ => &r.digest,
    }
}

fn entry<'a>(written: &'a str, image: &ImageRef, r: &'a Resolved) -> Entry<'a> {
    Entry {
        image: written,
        normalized: image.normalized(),
        digest: &r.digest,
        media_type: Some(r.media_type.as_str()).filter(|t| !t.is_empty()),
        platforms: &r.platforms,
    }
}

/// Run the async client on a runtime owned by this command.
fn resolve_blocking(
    config: registry::Config,
    refs: &[ImageRef],
    platforms: &[Platform],
) -> Result<ResolvedAll, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Diagnostic::new(format!("cannot start the async runtime: {e}")))?;
    let client = Client::new(config).map_err(Diagnostic::from)?;
    let results = runtime.block_on(client.resolve_all(refs, platforms));
    Ok((results, client.rate_limits()))
}

/// Per reference, what it resolved to; and the registries' pull limits.
type ResolvedAll = (
    Vec<Result<Resolved, registry::Error>>,
    Vec<registry::RateLimit>,
);
