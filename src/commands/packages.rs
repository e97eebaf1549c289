//! `dockerfile-lock packages`: list what each stage's `RUN` lines install with apt and
//! apk, and what the lock pins each package to; `images`' and `sources`' sibling. Offline:
//! it reads the Dockerfiles and their locks only.

use serde::Serialize;

use super::{columns, list_output, Console, Outcome};
use crate::cli::PackagesArgs;
use crate::diagnostic::{Diagnostic, Failure};
use crate::kinds::packages::{compare, plan};
use crate::lockfile::{self, Lock};
use crate::packages::Manager;
use crate::workspace::{self, read::read_dockerfile};

/// One row of `packages --format json`: a package a command names.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
struct Row {
    file: String,
    line: usize,
    stage: String,
    manager: Manager,
    name: String,
    /// As written after the name (`=1.2-1`, `/bookworm-backports`), if anything.
    requested: Option<String>,
    /// The version the lock pins; none when the lock has no entry for it.
    locked: Option<String>,
    /// apt's snapshot.
    snapshot: Option<String>,
    /// Whether the `RUN` line applies what the lock pins.
    applied: bool,
}

pub fn run(args: &PackagesArgs, console: &mut Console<'_>) -> Outcome {
    let env = workspace::env(&args.build)?;
    let targets = workspace::targets(&args.files, &args.scan, None, &env)?;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for target in &targets {
        match rows_of(target, args, &env, console) {
            Ok(mut r) => rows.append(&mut r),
            Err(d) => failures.push(d),
        }
    }
    if !failures.is_empty() {
        return Err(Failure(failures));
    }
    list_output(
        console,
        args.format,
        &rows,
        table,
        "no apt or apk installs in RUN lines",
    )
}

fn rows_of(
    target: &workspace::Target,
    args: &PackagesArgs,
    env: &crate::builds::Env,
    console: &mut Console<'_>,
) -> Result<Vec<Row>, Diagnostic> {
    let lock: Option<Lock> = lockfile::read(&target.lock).map_err(|e| e.to_diagnostic())?;
    // A compose or bake file: the Dockerfiles its builds read, each as its builds read it.
    let (source, analysis) = if workspace::discover::is_project(&target.dockerfile) {
        Default::default()
    } else {
        let options = workspace::build_options(&args.build, lock.as_ref())?;
        read_dockerfile(&target.dockerfile, &options)?
    };
    let mut rows = Vec::new();
    for f in plan::scan_target(target, &source, &analysis, env)? {
        rows.extend(file_rows(&f, lock.as_ref(), console));
    }
    Ok(rows)
}

fn file_rows(f: &plan::FileScan, lock: Option<&Lock>, console: &mut Console<'_>) -> Vec<Row> {
    let (source, scan) = (&f.source, &f.scan);
    for n in &scan.notes {
        console
            .warn(&Diagnostic::new(format!("not read: {}", n.message)).at(&f.path, Some(n.line)));
    }
    let file = f.path.display().to_string();
    let mut rows = Vec::new();
    for stage in &scan.stages {
        let entry = lock.and_then(|l| l.packages.get(&stage.key));
        let apt_applied = entry.is_some_and(|e| compare::apt_applied(source, stage, e));
        for c in &stage.commands {
            for r in &c.command.packages {
                let locked = entry.and_then(|e| e.packages.iter().find(|p| p.name == r.name));
                let applied = match (stage.key.manager, locked) {
                    (_, None) => false,
                    (Manager::Apt, Some(_)) => apt_applied,
                    (Manager::Apk, Some(p)) => compare::pins_version(r, &p.version),
                };
                let requested = r
                    .version
                    .as_ref()
                    .map(|v| format!("{}{}", v.op, v.version))
                    .or_else(|| r.release.as_ref().map(|s| format!("/{s}")));
                rows.push(Row {
                    file: file.clone(),
                    line: c.line,
                    stage: stage.key.stage.clone(),
                    manager: stage.key.manager,
                    name: r.name.clone(),
                    requested,
                    locked: locked.map(|p| p.version.clone()),
                    snapshot: entry.and_then(|e| e.snapshot.clone()),
                    applied,
                });
            }
        }
    }
    rows
}

/// LOCATION, STAGE, MANAGER, PACKAGE, LOCKED, APPLIED.
fn table(rows: &[Row]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut cells: Vec<[String; 6]> = vec![[
        "LOCATION".into(),
        "STAGE".into(),
        "MANAGER".into(),
        "PACKAGE".into(),
        "LOCKED".into(),
        "APPLIED".into(),
    ]];
    for r in rows {
        let locked = match (&r.locked, &r.snapshot) {
            (Some(v), Some(s)) => format!("{v} @{s}"),
            (Some(v), None) => v.clone(),
            (None, _) => "-".into(),
        };
        cells.push([
            format!("{}:{}", r.file, r.line),
            r.stage.clone(),
            r.manager.as_str().into(),
            format!("{}{}", r.name, r.requested.as_deref().unwrap_or("")),
            locked,
            if r.applied { "yes" } else { "no" }.into(),
        ]);
    }
    columns(&cells)
}
