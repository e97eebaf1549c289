//! `dockerfile-lock images`: list every external image the Dockerfiles use, as a table or
//! JSON. Also home of what `generate` and `verify` share with it: turning `--build-arg`,
//! `--platform` and `--target` into [`BuildOptions`], and reading one Dockerfile.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{write_out, Console, Outcome, Status};
use crate::cli::{BuildArgs, ImagesArgs, ListFormat};
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile::{self, Analysis, BuildOptions};
use crate::platform::Platform;

/// Validate `--build-arg`, `--platform` and `--target` before any file is read.
/// `--build-arg K` alone takes K from the environment, as `docker build` does (and is
/// ignored when K is not set there).
pub fn build_options(args: &BuildArgs) -> Result<BuildOptions, Diagnostic> {
    build_options_with(args, |k| std::env::var(k).ok())
}

/// [`build_options`] with the environment supplied (for tests).
pub fn build_options_with(
    args: &BuildArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<BuildOptions, Diagnostic> {
    let mut build_args = BTreeMap::new();
    for a in &args.build_args {
        let (k, v) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (a.as_str(), env(a)),
        };
        if k.is_empty() {
            return Err(
                Diagnostic::new(format!("invalid --build-arg `{a}`: the name is empty"))
                    .with_help("write --build-arg NAME=VALUE"),
            );
        }
        if let Some(v) = v {
            build_args.insert(k.to_string(), v);
        }
    }
    let mut platforms: Vec<Platform> = Vec::new();
    for p in &args.platforms {
        // `--platform a,b` is accepted too, as buildx accepts it.
        for one in p.split(',') {
            let platform = one.trim().parse::<Platform>().map_err(|e| {
                Diagnostic::new(format!("invalid --platform: {e}"))
                    .with_help("write os/arch[/variant], e.g. linux/arm64 or linux/arm/v7")
            })?;
            if !platforms.contains(&platform) {
                platforms.push(platform);
            }
        }
    }
    Ok(BuildOptions {
        build_args,
        platforms,
        target: args.target.clone(),
    })
}

/// A Dockerfile read from disk (or stdin for `-`) and analysed.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// The path as given (`-` for stdin).
    pub path: PathBuf,
    pub source: Vec<u8>,
    pub analysis: Analysis,
}

/// The diagnostic for a Dockerfile error: message, `--> FILE:LINE`, help.
pub fn error_diagnostic(path: &Path, e: &dockerfile::Error) -> Diagnostic {
    let d = Diagnostic::new(e.message.clone()).at(path, Some(e.line));
    match &e.help {
        Some(h) => d.with_help(h.clone()),
        None => d,
    }
}

/// Read and analyse one Dockerfile.
pub fn analyze_file(path: &Path, options: &BuildOptions) -> Result<Analyzed, Diagnostic> {
    if crate::workspace::project::is_project(path) {
        return Err(Diagnostic::new(format!(
            "{} is a compose or bake file; this command lists what Dockerfiles use",
            path.display()
        ))
        .with_help(format!(
            "name the Dockerfile it builds, or lock the file itself: `dockerfile-lock generate {0}` \
             (its lock {0}.lock lists every image it names and builds)",
            path.display()
        )));
    }
    let source = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Diagnostic::new(format!("cannot read stdin: {e}")))?;
        buf
    } else {
        crate::boundary::read(path, crate::boundary::DOCUMENT_LIMIT).map_err(|e| {
            if e.is_not_found() {
                crate::workspace::targets::no_dockerfile(path)
            } else {
                e.to_diagnostic()
            }
        })?
    };
    let analysis = dockerfile::analyze(&source, options).map_err(|e| error_diagnostic(path, &e))?;
    Ok(Analyzed {
        path: path.to_path_buf(),
        source,
        analysis,
    })
}

/// One row of `images --format json`.
#[derive(Debug, Serialize)]
struct Row {
    file: String,
    kind: &'static str,
    line: usize,
    raw: String,
    reference: String,
    normalized: String,
    stage: Option<String>,
    platform: Option<String>,
}

pub fn run(args: &ImagesArgs, console: &mut Console<'_>) -> Outcome {
    let options = build_options(&args.build)?;
    let env = crate::workspace::targets::env(&args.build)?;
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    for path in &args.files {
        // A directory's Dockerfile must not be a symlink out of it, as everywhere else.
        if let Some(d) = crate::workspace::targets::escape_of(path) {
            failures.push(d);
            continue;
        }
        let path = if path == Path::new("-") {
            path.clone()
        } else {
            crate::workspace::targets::dockerfile_arg(path)
        };
        // A compose or bake file: its own `image:`s and contexts, then what each build's
        // Dockerfile uses under that build's args and target, each at its own file.
        if crate::workspace::project::is_project(&path) {
            match crate::workspace::project::read_target(&path, &options, &env) {
                Ok(read) => {
                    warnings.extend(read.warnings);
                    for (u, origin) in read.analysis.images.iter().zip(&read.origins) {
                        rows.push(row(&origin.path, u));
                    }
                }
                Err(d) => failures.push(d),
            }
            continue;
        }
        match analyze_file(&path, &options) {
            Ok(a) => {
                for w in &a.analysis.warnings {
                    warnings.push(Diagnostic::new(w.message.clone()).at(&a.path, Some(w.line)));
                }
                warnings.extend(crate::workspace::targets::unconsumed_build_args(
                    &a.path, &a.source, &options,
                ));
                rows.extend(a.analysis.images.iter().map(|u| row(&a.path, u)));
            }
            Err(d) => failures.push(d),
        }
    }
    if !failures.is_empty() {
        return Err(Failure(failures));
    }
    for w in &warnings {
        console.warn(w);
    }
    list_output(console, args.format, &rows, table, "no external images")
}

fn row(file: &Path, u: &dockerfile::ImageUse) -> Row {
    Row {
        file: file.display().to_string(),
        kind: u.kind.as_str(),
        line: u.line,
        raw: u.raw.clone(),
        reference: u.reference.clone(),
        normalized: u.image.normalized(),
        stage: u.stage.clone(),
        platform: u.platform.clone(),
    }
}

/// A plain table: location, kind, stage, image as written, fully qualified image.
fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut cells: Vec<[String; 5]> = vec![[
        "LOCATION".into(),
        "KIND".into(),
        "STAGE".into(),
        "REFERENCE".into(),
        "NORMALIZED".into(),
    ]];
    for r in rows {
        let mut reference = r.reference.clone();
        if let Some(p) = &r.platform {
            reference.push_str(&format!(" (--platform={p})"));
        }
        cells.push([
            format!("{}:{}", r.file, r.line),
            r.kind.to_string(),
            r.stage.clone().unwrap_or_else(|| "-".into()),
            reference,
            r.normalized.clone(),
        ]);
    }
    columns(&cells)
}

/// Rows of cells as aligned columns, two spaces apart, no trailing blanks.
pub fn columns<const N: usize>(cells: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            line.push_str(c);
            if i + 1 < N {
                line.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `images` and `sources` output: pretty JSON, or the table; on a terminal-facing text
/// run with nothing to list, say so (`empty`) on stderr.
pub fn list_output<T: Serialize>(
    console: &mut Console<'_>,
    format: ListFormat,
    rows: &[T],
    table: impl Fn(&[T]) -> String,
    empty: &str,
) -> Outcome {
    let text = match format {
        ListFormat::Json => {
            let mut s = serde_json::to_string_pretty(rows)
                .map_err(|e| Diagnostic::new(format!("cannot encode JSON: {e}")))?;
            s.push('\n');
            s
        }
        ListFormat::Text => table(rows),
    };
    if rows.is_empty() && format == ListFormat::Text {
        console.info(empty);
    }
    write_out(console, &text)?;
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(build: &[&str], platforms: &[&str]) -> BuildArgs {
        BuildArgs {
            build_args: build.iter().map(|s| s.to_string()).collect(),
            platforms: platforms.iter().map(|s| s.to_string()).collect(),
            target: None,
            env: Vec::new(),
        }
    }

    #[test]
    fn build_args_like_docker() {
        let env = |k: &str| (k == "FROM_ENV").then(|| "e".to_string());
        let o = build_options_with(
            &args(&["A=1", "B=", "C=x=y", "FROM_ENV", "NOT_SET"], &[]),
            env,
        )
        .unwrap();
        let got: Vec<_> = o
            .build_args
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(got, ["A=1", "B=", "C=x=y", "FROM_ENV=e"]);
        assert!(build_options_with(&args(&["=v"], &[]), env).is_err());
    }

    #[test]
    fn platforms_are_validated_and_deduplicated() {
        let o = build_options_with(
            &args(&[], &["linux/arm64", "linux/amd64,linux/arm64"]),
            |_| None,
        )
        .unwrap();
        let got: Vec<_> = o.platforms.iter().map(ToString::to_string).collect();
        assert_eq!(got, ["linux/arm64", "linux/amd64"]);
        let e = build_options_with(&args(&[], &["linux"]), |_| None).unwrap_err();
        assert_eq!(
            e.message,
            "invalid --platform: platform `linux` is not of the form os/arch[/variant]"
        );
    }

    #[test]
    fn table_aligns_columns() {
        let rows = vec![Row {
            file: "Dockerfile".into(),
            kind: "from",
            line: 2,
            raw: "alpine".into(),
            reference: "alpine".into(),
            normalized: "docker.io/library/alpine:latest".into(),
            stage: None,
            platform: Some("$BUILDPLATFORM".into()),
        }];
        assert_eq!(
            table(&rows),
            "LOCATION      KIND  STAGE  REFERENCE                           NORMALIZED\n\
             Dockerfile:2  from  -      alpine (--platform=$BUILDPLATFORM)  docker.io/library/alpine:latest\n"
        );
    }
}
