//! `dockerfile-lock images`: list every external image the Dockerfiles use, as a table or
//! JSON.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{columns, list_output, Console, Outcome};
use crate::cli::ImagesArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::dockerfile;
use crate::workspace::read::analyze_file;
use crate::workspace::{self, discover, options, paths, project, Listed};

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
    /// The compose service (`{"service": …}`) or bake target (`{"target": …}`) the use
    /// belongs to; absent for a Dockerfile read on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<BTreeMap<&'static str, String>>,
    /// What the owner's build gives BuildKit, with `buildx bake --print`'s keys, on the
    /// owner's first use only (a build's settings, repeated on each of its uses, would make
    /// the output grow as their product); null for a service that builds nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    build: Option<Option<BuildJson>>,
    /// For a compose value built from variables: each variable, and where its value came
    /// from (`--env`, `environment`, `.env`, or `unset`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variables: BTreeMap<String, &'static str>,
}

/// A build's settings as `buildx bake --print` names them.
#[derive(Debug, Serialize)]
struct BuildJson {
    args: BTreeMap<String, String>,
    target: Option<String>,
    platforms: Vec<String>,
    contexts: BTreeMap<String, String>,
}

pub fn run(args: &ImagesArgs, console: &mut Console<'_>) -> Outcome {
    let options = options::from_args(&args.build)?;
    let env = workspace::env(&args.build)?;
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    let mut failures = Vec::new();
    let mut shown = paths::Shown::default();
    for item in workspace::listed(&args.files, &args.scan, &env)? {
        let (path, only) = match item {
            Listed::Stdin => (PathBuf::from("-"), None),
            Listed::File { target, only } => (target.dockerfile, only),
        };
        // A compose or bake file: its own `image:`s and contexts, then what each build's
        // Dockerfile uses under that build's args and target, each at its own file; only
        // the named Dockerfile's uses when the file stands for that Dockerfile.
        if discover::is_project(&path) {
            match project::read_target(&path, &options, &env) {
                Ok(read) => {
                    warnings.extend(read.warnings.into_iter().filter(|w| {
                        only.is_none() || w.path.as_ref().map(|p| shown.of(p)) == only
                    }));
                    let mut described = HashSet::new();
                    for (u, origin) in read.analysis.images.iter().zip(&read.origins) {
                        let file = shown.of(&origin.path);
                        if only.as_ref().is_some_and(|o| *o != file) {
                            continue;
                        }
                        let mut r = row(&file, u);
                        r.variables = origin.variables.iter().cloned().collect();
                        if let (Some(word), Some(owner)) = (read.owner_word, &origin.owner) {
                            if described.insert(owner) {
                                r.build = Some(origin.build.as_deref().map(build_json));
                            }
                            r.owner = Some(BTreeMap::from([(word, owner.clone())]));
                        }
                        rows.push(r);
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
                warnings.extend(options::unconsumed_build_args(&a.path, &a.source, &options));
                rows.extend(a.analysis.images.iter().map(|u| row(&a.path, u)));
            }
            Err(d) => failures.push(d),
        }
    }
    if !failures.is_empty() {
        return Err(Failure(failures.into_iter().map(paths::shown_at).collect()));
    }
    for w in warnings {
        console.warn(&paths::shown_at(w));
    }
    let width = text_width();
    list_output(
        console,
        args.format,
        &rows,
        |rows| fitted(rows, width),
        "no external images",
    )
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
        owner: None,
        build: None,
        variables: BTreeMap::new(),
    }
}

fn build_json(b: &project::BuildSettings) -> BuildJson {
    BuildJson {
        args: b.args.clone(),
        target: b.target.clone(),
        platforms: b.platforms.clone(),
        contexts: b.contexts.clone(),
    }
}

/// A plain table: location, kind, stage, image as written, fully qualified image.
/// How wide the table may be: `COLUMNS` when set, else 80 on a terminal; unbounded when
/// stdout is a file or a pipe (JSON is for machines, but a pipe keeps every column).
fn text_width() -> Option<usize> {
    use std::io::IsTerminal;
    match std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
    {
        Some(n) if n > 0 => Some(n),
        _ => std::io::stdout().is_terminal().then_some(80),
    }
}

/// The table, without the NORMALIZED column when the whole table is wider than `width`
/// (`--format json` always has it).
fn fitted(rows: &[Row], width: Option<usize>) -> String {
    let full = table(rows);
    let Some(width) = width else {
        return full;
    };
    if full.lines().all(|l| l.chars().count() <= width) {
        return full;
    }
    let mut cells: Vec<[String; 4]> = vec![[
        "LOCATION".into(),
        "KIND".into(),
        "STAGE".into(),
        "REFERENCE".into(),
    ]];
    for r in rows {
        let [location, kind, stage, reference, _] = cells_of(r);
        cells.push([location, kind, stage, reference]);
    }
    columns(&cells)
}

fn cells_of(r: &Row) -> [String; 5] {
    let mut reference = r.reference.clone();
    if let Some(p) = &r.platform {
        reference.push_str(&format!(" (--platform={p})"));
    }
    [
        format!("{}:{}", r.file, r.line),
        r.kind.to_string(),
        r.stage.clone().unwrap_or_else(|| "-".into()),
        reference,
        r.normalized.clone(),
    ]
}

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
        cells.push(cells_of(r));
    }
    columns(&cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_too_wide_drops_the_normalized_column() {
        let row = |line, reference: &str| Row {
            file: "services/payments/api/Dockerfile".into(),
            kind: "from",
            line,
            raw: reference.into(),
            reference: reference.into(),
            normalized: format!("docker.io/library/{reference}"),
            stage: Some("build".into()),
            platform: None,
            owner: None,
            build: None,
            variables: BTreeMap::new(),
        };
        let rows = vec![
            row(1, "golang:1.23-bookworm"),
            row(9, "debian:bookworm-slim"),
        ];
        let narrow = fitted(&rows, Some(80));
        assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
        assert!(!narrow.contains("NORMALIZED") && narrow.contains("golang:1.23-bookworm"));
        assert_eq!(fitted(&rows, None), table(&rows));
        assert_eq!(fitted(&rows, Some(200)), table(&rows));
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
            owner: None,
            build: None,
            variables: BTreeMap::new(),
        }];
        assert_eq!(
            table(&rows),
            "LOCATION      KIND  STAGE  REFERENCE                           NORMALIZED\n\
             Dockerfile:2  from  -      alpine (--platform=$BUILDPLATFORM)  docker.io/library/alpine:latest\n"
        );
    }
}
