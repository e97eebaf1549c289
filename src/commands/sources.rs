//! `dockerfile-lock sources`: list every source `ADD` fetches (HTTP URLs and git
//! repositories, as BuildKit recognises them), as a table or JSON; `images`' sibling.

use std::path::PathBuf;

use serde::Serialize;

use super::{columns, list_output, Console, Outcome};
use crate::cli::ImagesArgs;
use crate::diagnostic::Failure;
use crate::sources::{self, Kind};
use crate::workspace::read::analyze_file;
use crate::workspace::{self, discover, options, paths, project, Listed};

/// One row of `sources --format json`.
#[derive(Debug, Serialize)]
struct Row {
    file: String,
    kind: &'static str,
    line: usize,
    /// As written, before ARG expansion.
    raw: String,
    /// After ARG expansion.
    url: String,
    /// BuildKit's source identifier (what a source policy matches).
    identifier: String,
    /// git only: the ref the URL names (empty for the default branch).
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    git_ref: Option<String>,
    /// The pin the Dockerfile writes (`--checksum`, `?checksum=`), if any.
    pinned: Option<String>,
    stage: Option<String>,
}

pub fn run(args: &ImagesArgs, console: &mut Console<'_>) -> Outcome {
    let options = options::from_args(&args.build)?;
    let env = workspace::env(&args.build)?;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut shown = paths::Shown::default();
    for item in workspace::listed(&args.files, &args.scan, &env)? {
        let (path, only) = match item {
            Listed::Stdin => (PathBuf::from("-"), None),
            Listed::File { target, only } => (target.dockerfile, only),
        };
        // A compose or bake file: what each build's Dockerfile fetches, at that file.
        let analysis = match discover::is_project(&path) {
            true => project::read_target(&path, &options, &env).map(|r| r.analysis),
            false => analyze_file(&path, &options).map(|a| a.analysis),
        };
        let found = match analysis.and_then(|a| sources::pins::find_in(&a, &path)) {
            Ok(found) => found,
            Err(d) => {
                failures.push(d);
                continue;
            }
        };
        for s in found {
            let file = match &s.add.origin {
                Some(o) => shown.of(&o.path),
                None => path.clone(),
            };
            if only.as_ref().is_some_and(|o| *o != file) {
                continue;
            }
            rows.push(Row {
                file: file.display().to_string(),
                kind: s.kind_name(),
                line: s.add.line,
                raw: sources::pins::redact(&s.add.raw),
                url: sources::redact::safe_url(&s.add.raw, &s.add.value, s.kind == Kind::Http).url,
                identifier: sources::pins::redact(&s.identifier()),
                git_ref: match &s.kind {
                    Kind::Git(g) => Some(g.git_ref.clone()),
                    Kind::Http => None,
                },
                pinned: s.pinned.clone(),
                stage: s.add.stage.clone(),
            });
        }
    }
    if !failures.is_empty() {
        return Err(Failure(failures.into_iter().map(paths::shown_at).collect()));
    }
    list_output(console, args.format, &rows, table, "no remote ADD sources")
}

/// LOCATION, KIND, STAGE, URL (after expansion), PIN.
fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut cells: Vec<[String; 5]> = vec![[
        "LOCATION".into(),
        "KIND".into(),
        "STAGE".into(),
        "URL".into(),
        "PINNED".into(),
    ]];
    for r in rows {
        cells.push([
            format!("{}:{}", r.file, r.line),
            r.kind.to_string(),
            r.stage.clone().unwrap_or_else(|| "-".into()),
            r.url.clone(),
            r.pinned.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    columns(&cells)
}
