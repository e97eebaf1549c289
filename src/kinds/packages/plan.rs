//! Packages, steps 1 and 2: the installs each built stage's `RUN` scripts make, the locked
//! image each stage's distribution is read from, and what the old lock already answers.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::dockerfile::runs::{self, Form, RunScript, StageRuns};
use crate::dockerfile::{Analysis, UseKind};
use crate::lockfile::packages::PackagesKey;
use crate::lockfile::Key;
use crate::packages::installs::{self, Action, Command};
use crate::packages::{Manager, Request};
use crate::reference::ImageRef;

/// One install command, its spans moved into the Dockerfile's bytes.
#[derive(Debug, Clone)]
pub struct Found {
    pub command: Command,
    /// 1-based line of the command in the Dockerfile.
    pub line: usize,
}

/// One stage's installs with one manager.
#[derive(Debug, Clone)]
pub struct StagePlan {
    pub key: PackagesKey,
    /// The `RUN` lines that install, ascending.
    pub lines: Vec<usize>,
    /// The image entry the stage is built on (through earlier stages).
    pub base: Key,
    pub image: ImageRef,
    /// The commands (`apt-get update` included), in order.
    pub commands: Vec<Found>,
    /// Each package named, once, by name (the first request wins).
    pub requests: BTreeMap<String, Request>,
    /// Where an instruction goes right after the stage's `FROM` line.
    pub from_end: usize,
}

/// Something a script does that cannot be read or pinned statically, with its line.
#[derive(Debug, Clone)]
pub struct Note {
    pub line: usize,
    pub message: String,
}

/// An installer no lock pins (`pip install x`, `curl … | sh`), for `--require-pinned`.
#[derive(Debug, Clone)]
pub struct Unpinned {
    pub line: usize,
    pub message: String,
    pub help: String,
}

/// Everything the scripts of the stages built install.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    pub stages: Vec<StagePlan>,
    pub notes: Vec<Note>,
    pub unpinned: Vec<Unpinned>,
}

/// One file's installs, with its bytes (spans point into them).
#[derive(Debug, Clone)]
pub struct FileScan {
    pub path: std::path::PathBuf,
    pub source: Vec<u8>,
    pub scan: Scan,
}

/// The installs of every Dockerfile `target` locks: the Dockerfile itself, or each one a
/// compose or bake file's builds read (their keys name it, relative to the lock).
pub fn scan_target(
    target: &crate::workspace::Target,
    source: &[u8],
    analysis: &Analysis,
    env: &crate::builds::Env,
) -> Result<Vec<FileScan>, Diagnostic> {
    if !crate::workspace::discover::is_project(&target.dockerfile) {
        return Ok(vec![FileScan {
            path: target.dockerfile.clone(),
            source: source.to_vec(),
            scan: scan(source, analysis)?,
        }]);
    }
    let mut out = Vec::new();
    for built in crate::workspace::built::dockerfiles(&target.dockerfile, env)? {
        let mut found = scan(&built.source, &built.analysis)?;
        let rel = crate::workspace::relative_dockerfile(&target.lock, &built.path);
        for stage in &mut found.stages {
            stage.key.dockerfile = Some(rel.clone());
        }
        out.push(FileScan {
            path: built.path,
            source: built.source,
            scan: found,
        });
    }
    Ok(out)
}

/// The key's stage: its name, or its index for an unnamed stage.
fn stage_key(stage: &StageRuns, index: usize) -> String {
    stage.name.clone().unwrap_or_else(|| index.to_string())
}

/// Read the installs of every stage `analysis` builds (a stage is built when its `FROM`
/// image, or an earlier stage's it builds on, is among the uses).
pub fn scan(source: &[u8], analysis: &Analysis) -> Result<Scan, Diagnostic> {
    let stages = runs::stage_runs(source).map_err(|e| Diagnostic::new(e.to_string()))?;
    let mut out = Scan::default();
    for (i, stage) in stages.iter().enumerate() {
        let Some((base, image)) = base_of(&stages, i, analysis) else {
            continue;
        };
        let mut per_manager: BTreeMap<Manager, StagePlan> = BTreeMap::new();
        for run in &stage.runs {
            if run.form == Form::Exec {
                let text = String::from_utf8_lossy(&source[run.text.clone()]);
                if text.contains("apt") || text.contains("apk") {
                    out.notes.push(Note {
                        line: run.line,
                        message: "an exec-form RUN is not read for packages; write it in shell form to lock what it installs".into(),
                    });
                }
                continue;
            }
            let Ok(script) = std::str::from_utf8(&source[run.text.clone()]) else {
                continue;
            };
            let found = installs::scan(script);
            let at = |span: &Range<usize>| line_in(script, run, span.start);
            for n in &found.notes {
                out.notes.push(Note {
                    line: at(&n.span),
                    message: n.message.clone(),
                });
            }
            for u in &found.unpinned {
                out.unpinned.push(Unpinned {
                    line: at(&u.span),
                    message: u.message.clone(),
                    help: u.help.clone(),
                });
            }
            for command in found.commands {
                let line = at(&command.span);
                let command = moved(command, run.text.start);
                let plan = per_manager
                    .entry(command.manager)
                    .or_insert_with(|| StagePlan {
                        key: PackagesKey {
                            dockerfile: None,
                            stage: stage_key(stage, i),
                            manager: command.manager,
                        },
                        lines: Vec::new(),
                        base: base.clone(),
                        image: image.clone(),
                        commands: Vec::new(),
                        requests: BTreeMap::new(),
                        from_end: stage.from_end,
                    });
                if !plan.lines.contains(&run.line) {
                    plan.lines.push(run.line);
                }
                if matches!(command.action, Action::AptInstall | Action::ApkAdd) {
                    for r in &command.packages {
                        plan.requests
                            .entry(r.name.clone())
                            .or_insert_with(|| r.clone());
                    }
                }
                plan.commands.push(Found { command, line });
            }
        }
        // A stage that only runs `apt-get update` installs nothing to lock.
        out.stages
            .extend(per_manager.into_values().filter(|p| !p.requests.is_empty()));
    }
    Ok(out)
}

/// The image a stage is built on, through the earlier stages it names; `None` for a stage
/// not built, or built on `scratch`.
fn base_of(stages: &[StageRuns], i: usize, analysis: &Analysis) -> Option<(Key, ImageRef)> {
    let mut at = i;
    for _ in 0..=stages.len() {
        let stage = &stages[at];
        if let Some(u) = analysis
            .images
            .iter()
            .find(|u| u.kind == UseKind::From && u.line == stage.from_line)
        {
            return Some((Key::for_use(&u.image), u.image.clone()));
        }
        // An earlier stage by its name: the last one so named before this one.
        at = stages[..at]
            .iter()
            .rposition(|s| s.name.as_deref() == Some(stage.base.as_str()))?;
    }
    None
}

/// The Dockerfile line of byte `at` of a script.
fn line_in(script: &str, run: &RunScript, at: usize) -> usize {
    let before = &script.as_bytes()[..at.min(script.len())];
    run.text_line + before.iter().filter(|&&b| b == b'\n').count()
}

/// A command with its spans moved by `by` bytes.
fn moved(mut c: Command, by: usize) -> Command {
    let shift = |r: &mut Range<usize>| *r = r.start + by..r.end + by;
    shift(&mut c.span);
    c.insert_at += by;
    if let Some((_, s)) = &mut c.snapshot {
        shift(s);
    }
    for p in &mut c.packages {
        shift(&mut p.span);
    }
    c
}
