//! What a `RUN` script installs: the `apt-get`/`apt` and `apk` commands in it with the
//! packages they name, what cannot be read without running the script, and the
//! installers that a lock cannot pin (`curl … | sh`, `pip install flask`, …).
//!
//! The script is read as POSIX shell words (the `shell` submodule); nothing is run or
//! expanded. Every span indexes the script as given, so a caller can splice bytes in place.

mod managers;
mod shell;
mod unpinned;

use std::ops::Range;

use super::{Manager, Request};
use shell::{excerpt, Simple, Word};

/// How deep `sh -c '… sh -c "…"'` is followed.
const MAX_SHELL_DEPTH: usize = 8;

/// What [`scan`] found in one script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The package manager commands, in script order.
    pub commands: Vec<Command>,
    /// What cannot be read statically (a package name from a variable, a repository added
    /// by another command, a script that is run).
    pub notes: Vec<Note>,
    /// Installers whose versions a lock cannot pin as written.
    pub unpinned: Vec<Unpinned>,
}

/// What a package manager command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `apt-get update`.
    AptUpdate,
    /// `apt-get install` (and `reinstall`).
    AptInstall,
    /// `apt-get upgrade`, `dist-upgrade`, `full-upgrade`.
    AptUpgrade,
    /// `apk add`.
    ApkAdd,
    /// `apk upgrade`.
    ApkUpgrade,
    /// `apk update`.
    ApkUpdate,
}

/// One `apt-get`/`apt`/`apk` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// apt (`apt-get`, `apt`) or apk.
    pub manager: Manager,
    /// The subcommand.
    pub action: Action,
    /// The packages named, each with the span of its word (quotes included).
    pub packages: Vec<Request>,
    /// An `--snapshot ID`, `--snapshot=ID`, `-S ID` or `-o APT::Snapshot=ID` already
    /// written: the value, and the span of the whole option text.
    pub snapshot: Option<(String, Range<usize>)>,
    /// apt's `-t`/`--target-release`/`--default-release` (or `-o APT::Default-Release=`),
    /// which changes the version chosen for every package without its own `/release`.
    pub target_release: Option<String>,
    /// The byte offset right after the subcommand word (`install`, `update`, `add`), where
    /// ` --snapshot ID` can be inserted.
    pub insert_at: usize,
    /// The whole simple command, assignments and wrappers (`sudo`, `env`) included.
    pub span: Range<usize>,
    /// The 0-based line of the script where the command starts.
    pub line: usize,
}

/// Something the scan cannot read statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What the note is about, in the script.
    pub span: Range<usize>,
    /// What cannot be read, quoting at most a short excerpt of the script.
    pub message: String,
}

/// An installer whose version a lock cannot pin, and how to pin it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpinned {
    /// The package word, or the whole command when a flag is missing (`cargo install`) or
    /// the download and the shell are two commands (`curl … | sh`).
    pub span: Range<usize>,
    /// `pip`, `npm`, `go`, `cargo`, `gem`, `curl | sh`.
    pub tool: String,
    /// What is not pinned.
    pub message: String,
    /// How to pin it.
    pub help: String,
}

/// Read `script`, a `RUN` command in shell form (continuation lines included) or a
/// here-document body, for what it installs. Never fails: what cannot be read becomes a
/// [`Note`].
pub fn scan(script: &str) -> Scan {
    let mut scanner = Scanner::default();
    scanner.scan(script, 0, 0);
    let newlines: Vec<usize> = script
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    for cmd in &mut scanner.out.commands {
        cmd.line = newlines.partition_point(|&n| n < cmd.span.start);
    }
    scanner.out
}

#[derive(Default)]
struct Scanner {
    out: Scan,
}

/// `/usr/bin/apt-get` → `apt-get`.
fn basename(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

fn shifted(r: &Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

fn is_assignment(text: &str) -> bool {
    let Some((name, _)) = text.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A path whose writing adds a package repository.
fn repository_file(path: &str) -> bool {
    path.starts_with("/etc/apt/sources.list") || path.starts_with("/etc/apk/repositories")
}

/// Words that may open a command without being its name.
const RESERVED: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "do", "while", "until",
];

const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"];

impl Scanner {
    fn note(&mut self, span: Range<usize>, message: String) {
        self.out.notes.push(Note { span, message });
    }

    /// Scan `text`, which sits at `offset` in the script.
    fn scan(&mut self, text: &str, offset: usize, depth: usize) {
        let lexed = shell::split(text);
        for (span, message) in lexed.notes {
            self.note(shifted(&span, offset), message);
        }
        let mut cmds = lexed.commands;
        for cmd in &mut cmds {
            cmd.span = shifted(&cmd.span, offset);
            let words = cmd.words.iter_mut();
            let targets = cmd.redirects.iter_mut().filter_map(|r| r.target.as_mut());
            for w in words.chain(targets) {
                w.span = shifted(&w.span, offset);
                w.exact = w.exact.as_ref().map(|e| shifted(e, offset));
            }
        }
        for idx in 0..cmds.len() {
            self.command(text, offset, &cmds, idx, depth);
        }
    }

    fn command(&mut self, text: &str, offset: usize, cmds: &[Simple], idx: usize, depth: usize) {
        let cmd = &cmds[idx];
        let src = |r: &Range<usize>| &text[r.start - offset..r.end - offset];
        for r in &cmd.redirects {
            if r.target
                .as_ref()
                .is_some_and(|t| r.writes() && repository_file(&t.text))
            {
                self.repository_note(cmd.span.clone(), src(&cmd.span));
                break;
            }
        }
        let Some((k, xargs)) = strip_prefix(&cmd.words) else {
            return;
        };
        let name = basename(&cmd.words[k].text);
        let args = &cmd.words[k + 1..];
        match name {
            "apt-get" | "apt" => {
                if let Some(c) = self.apt(cmd, k) {
                    self.push(c, cmd, xargs, src(&cmd.span));
                }
            }
            "apk" => {
                if let Some(c) = self.apk(cmd, k) {
                    self.push(c, cmd, xargs, src(&cmd.span));
                }
            }
            "aptitude" if args.iter().any(|w| w.text == "install") => self.note(
                cmd.span.clone(),
                format!(
                    "`{}`: aptitude installs are not read",
                    excerpt(src(&cmd.span))
                ),
            ),
            "add-apt-repository" | "apt-add-repository" => {
                self.repository_note(cmd.span.clone(), src(&cmd.span))
            }
            "tee" | "cp" | "mv" | "ln" | "install" | "sed" | "dd" | "curl" | "wget"
                if args
                    .iter()
                    .any(|w| repository_file(w.text.trim_start_matches("of="))) =>
            {
                self.repository_note(cmd.span.clone(), src(&cmd.span))
            }
            "." | "source" => self.script_note(cmd, args.first(), src),
            _ if SHELLS.contains(&name) => self.shell(text, offset, cmds, idx, k, depth),
            _ if name.ends_with(".sh") || name.ends_with(".bash") => {
                self.script_note(cmd, Some(&cmd.words[k]), src)
            }
            _ => {
                let found = unpinned::installer(name, args, cmd);
                self.out.notes.extend(found.notes);
                self.out.unpinned.extend(found.unpinned);
                if found.interpreter && cmd.piped {
                    self.piped_download(text, offset, cmds, idx);
                }
            }
        }
    }

    fn push(&mut self, mut c: Command, cmd: &Simple, xargs: bool, source: &str) {
        if xargs {
            self.note(
                cmd.span.clone(),
                format!(
                    "package names that `xargs` reads from its input cannot be read statically: `{}`",
                    excerpt(source)
                ),
            );
        }
        // `do apt-get …`: the command starts after the reserved words.
        let first = cmd
            .words
            .first()
            .filter(|w| RESERVED.contains(&w.text.as_str()));
        let start = match first {
            Some(_) => cmd
                .words
                .iter()
                .find(|w| !RESERVED.contains(&w.text.as_str())),
            None => None,
        };
        c.span = start.map_or(cmd.span.start, |w| w.span.start)..cmd.span.end;
        self.out.commands.push(c);
    }

    fn repository_note(&mut self, span: Range<usize>, source: &str) {
        self.note(
            span,
            format!(
                "a repository added by an earlier command is not locked: `{}`",
                excerpt(source)
            ),
        );
    }

    fn script_note<'s>(
        &mut self,
        cmd: &Simple,
        file: Option<&Word>,
        src: impl Fn(&Range<usize>) -> &'s str,
    ) {
        let shown = file.map_or("", |w| src(&w.span));
        if file.is_some_and(|w| unpinned::downloads_inside(&w.text)) {
            self.out
                .unpinned
                .push(unpinned::pipe_to_shell(cmd.span.clone(), src(&cmd.span)));
            return;
        }
        self.note(
            cmd.span.clone(),
            format!("what `{}` installs cannot be read", excerpt(shown)),
        );
    }

    /// `sh -c '…'`, `bash script.sh`, `… | sh`.
    fn shell(
        &mut self,
        text: &str,
        offset: usize,
        cmds: &[Simple],
        idx: usize,
        k: usize,
        depth: usize,
    ) {
        let cmd = &cmds[idx];
        let src = |r: &Range<usize>| &text[r.start - offset..r.end - offset];
        let mut dash_c = false;
        let mut stdin = false;
        let mut i = k + 1;
        while let Some(w) = cmd.words.get(i) {
            let t = w.text.as_str();
            if t == "--" || t == "-" {
                stdin |= t == "-";
                i += 1;
                break;
            }
            if t.starts_with("--") {
                i += 1;
                continue;
            }
            if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
                dash_c |= t[1..].contains('c');
                stdin |= t[1..].contains('s');
                // `-o pipefail`: the option's name follows.
                i += if t[1..].ends_with('o') { 2 } else { 1 };
                continue;
            }
            break;
        }
        let arg = cmd.words.get(i).filter(|_| !stdin || dash_c);
        let Some(arg) = arg else {
            if cmd.piped {
                self.piped_download(text, offset, cmds, idx);
            }
            return;
        };
        if !dash_c {
            return self.script_note(cmd, Some(arg), src);
        }
        if unpinned::downloads_inside(&arg.text) {
            let u = unpinned::pipe_to_shell(cmd.span.clone(), src(&cmd.span));
            self.out.unpinned.push(u);
        } else if arg.dynamic && arg.text.starts_with('$') {
            self.note(
                cmd.span.clone(),
                format!("what `{}` runs cannot be read", excerpt(src(&cmd.span))),
            );
        } else if depth >= MAX_SHELL_DEPTH {
            self.note(
                arg.span.clone(),
                "shells nested too deep are not read".to_string(),
            );
        } else if let Some(exact) = &arg.exact {
            self.scan(src(exact), exact.start, depth + 1);
        } else {
            // The script's text is not the file's bytes (escapes): read it, but spans can
            // only point at the whole word.
            let mut inner = Scanner::default();
            inner.scan(&arg.text, 0, depth + 1);
            for c in &inner.out.commands {
                let shown = arg.text.get(c.span.clone()).unwrap_or_default();
                self.note(
                    arg.span.clone(),
                    format!(
                        "`{}` is written with escapes inside a quoted script and cannot be locked in place",
                        excerpt(shown)
                    ),
                );
            }
            for n in inner.out.notes {
                self.note(arg.span.clone(), n.message);
            }
            for u in inner.out.unpinned {
                self.out.unpinned.push(Unpinned {
                    span: arg.span.clone(),
                    ..u
                });
            }
        }
    }

    /// `curl … | sh`: the pipeline feeding command `idx` downloads what it runs.
    fn piped_download(&mut self, text: &str, offset: usize, cmds: &[Simple], idx: usize) {
        // Pipelines are short; a bound keeps `sh | sh | sh …` linear.
        let mut j = idx;
        while j > 0 && cmds[j].piped && idx - j < 16 {
            j -= 1;
            let Some((k, _)) = strip_prefix(&cmds[j].words) else {
                continue;
            };
            if matches!(basename(&cmds[j].words[k].text), "curl" | "wget" | "fetch") {
                let span = cmds[j].span.start..cmds[idx].span.end;
                let source = &text[span.start - offset..span.end - offset];
                self.out
                    .unpinned
                    .push(unpinned::pipe_to_shell(span, source));
                return;
            }
        }
    }
}

/// The index of the command word after assignments, reserved words and wrappers
/// (`sudo`, `env`, `nice`, `xargs`, …), and whether `xargs` adds words from its input.
fn strip_prefix(words: &[Word]) -> Option<(usize, bool)> {
    let mut k = 0;
    let mut xargs = false;
    while let Some(w) = words.get(k) {
        let t = w.text.as_str();
        if is_assignment(t) && !w.span.is_empty() {
            k += 1;
            continue;
        }
        // Options of each wrapper that take a separate value.
        let with_value: &[&str] = match basename(t) {
            _ if RESERVED.contains(&t) => &[],
            "sudo" | "doas" => &["-u", "-g", "-C", "-D", "-h", "-p", "-U", "-r", "-t", "-T"],
            "env" => &["-u", "-C", "-S"],
            "nice" => &["-n"],
            "exec" => &["-a"],
            "command" | "time" | "nohup" | "stdbuf" => &[],
            "xargs" => {
                xargs = true;
                &["-I", "-n", "-P", "-d", "-L", "-a", "-E", "-s"]
            }
            _ if w.dynamic && t.starts_with('$') && k + 1 < words.len() => &[],
            _ => return Some((k, xargs)),
        };
        if t == "command"
            && words
                .get(k + 1)
                .is_some_and(|n| n.text == "-v" || n.text == "-V")
        {
            return None;
        }
        k += 1;
        while let Some(o) = words.get(k).map(|o| o.text.as_str()) {
            if !o.starts_with('-') || o == "-" {
                break;
            }
            k += if with_value.contains(&o) { 2 } else { 1 };
            if o == "--" {
                break;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
