//! The `RUN` instructions of each stage as scripts, with where each script's bytes are in
//! the source, for reading what they install and for editing them in place.

use std::ops::Range;

use super::syntax::{self, Instruction};
use super::Error;

/// One stage as written: its name, its `FROM` and its `RUN` scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRuns {
    /// Lower-cased, as BuildKit stores it.
    pub name: Option<String>,
    /// The line of its `FROM`.
    pub from_line: usize,
    /// The base as written (before ARG expansion), lower-cased: an earlier stage's name
    /// when it names one.
    pub base: String,
    /// Where `FROM … [AS name]` ends: an instruction inserted after the stage's `FROM`
    /// goes after this byte (the end of the `FROM` line).
    pub from_end: usize,
    pub runs: Vec<RunScript>,
}

/// A script a `RUN` runs, as its bytes are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunScript {
    /// 1-based line of the `RUN` keyword.
    pub line: usize,
    /// The script's bytes in the source: the shell form's command (continuations
    /// included, which the shell removes as Dockerfile does), or a heredoc body the shell
    /// runs (`RUN <<EOF`).
    pub text: Range<usize>,
    /// The line of the script's first byte.
    pub text_line: usize,
    pub form: Form,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Shell,
    Heredoc,
    /// `RUN ["…"]`: not read as a shell script.
    Exec,
}

/// Every stage's `RUN` scripts (ONBUILD triggers are not included: they run in another
/// build). A file that does not parse is the parser's error.
pub fn stage_runs(source: &[u8]) -> Result<Vec<StageRuns>, Error> {
    let file = syntax::parse(source)?;
    let mut stages: Vec<StageRuns> = Vec::new();
    for ins in &file.instructions {
        match ins.command().as_str() {
            "from" => {
                let words: Vec<&str> = ins.fields.iter().map(|w| w.text.as_ref()).collect();
                let name = match words.as_slice() {
                    [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                stages.push(StageRuns {
                    name,
                    from_line: ins.start_line,
                    base: words
                        .first()
                        .map(|w| w.to_ascii_lowercase())
                        .unwrap_or_default(),
                    from_end: ins.span.end,
                    runs: Vec::new(),
                });
            }
            "run" if file.escape == '\\' => {
                if let Some(stage) = stages.last_mut() {
                    stage.runs.extend(scripts(source, ins));
                }
            }
            _ => {}
        }
    }
    Ok(stages)
}

fn scripts(source: &[u8], ins: &Instruction<'_>) -> Vec<RunScript> {
    // The command starts after the keyword and the flags.
    let mut start = ins.span.start + ins.keyword.len();
    for f in &ins.flags {
        match &f.span {
            Some(s) => start = start.max(s.end),
            // A flag written with quotes or across lines: find its text after `start`.
            None => return Vec::new(),
        }
    }
    let end = match ins.heredocs.first() {
        // The command line ends where the first body starts (its newline before it).
        Some(h) => h.body.start.saturating_sub(1).max(start),
        None => ins.span.end,
    };
    while start < end && matches!(source[start], b' ' | b'\t') {
        start += 1;
    }
    let line_of = |at: usize| source[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let command = &source[start..end];
    if command.first() == Some(&b'[') {
        return vec![RunScript {
            line: ins.start_line,
            text: start..end,
            text_line: ins.start_line,
            form: Form::Exec,
        }];
    }
    let mut out = Vec::new();
    // `RUN <<EOF` alone: the body is the script the shell runs. A command before or after
    // the heredoc word (`RUN python3 <<EOF`) reads the body as its input, not as shell.
    let trimmed = String::from_utf8_lossy(command);
    let only_heredoc = ins.heredocs.len() == 1
        && trimmed.trim().starts_with("<<")
        && !trimmed.trim().contains(char::is_whitespace);
    if only_heredoc {
        let body = ins.heredocs[0].body.clone();
        out.push(RunScript {
            line: ins.start_line,
            text_line: line_of(body.start),
            text: body,
            form: Form::Heredoc,
        });
    } else {
        out.push(RunScript {
            line: ins.start_line,
            text: start..end,
            text_line: ins.start_line,
            form: Form::Shell,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<(Option<String>, String, Vec<String>)> {
        stage_runs(src.as_bytes())
            .unwrap()
            .into_iter()
            .map(|s| {
                (
                    s.name,
                    s.base,
                    s.runs
                        .iter()
                        .map(|r| src[r.text.clone()].to_string())
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn shell_form_keeps_continuations_and_skips_flags() {
        let src = "FROM debian AS Build\nRUN --mount=type=cache,target=/var/cache/apt apt-get update && \\\n    apt-get install -y curl\nFROM build\nRUN apk add git\n";
        let got = texts(src);
        assert_eq!(got[0].0.as_deref(), Some("build"));
        assert_eq!(
            got[0].2,
            vec!["apt-get update && \\\n    apt-get install -y curl"]
        );
        assert_eq!(got[1].1, "build");
        assert_eq!(got[1].2, vec!["apk add git"]);
    }

    #[test]
    fn a_lone_heredoc_is_the_script_and_a_command_with_one_is_not() {
        let src = "FROM alpine\nRUN <<EOF\napk add curl\nEOF\nRUN python3 <<EOF\nprint(1)\nEOF\nRUN [\"apk\", \"add\", \"x\"]\n";
        let stages = stage_runs(src.as_bytes()).unwrap();
        let runs = &stages[0].runs;
        assert_eq!(runs[0].form, Form::Heredoc);
        assert_eq!(&src[runs[0].text.clone()], "apk add curl\n");
        assert_eq!(runs[0].text_line, 3);
        assert_eq!(runs[1].form, Form::Shell);
        assert_eq!(&src[runs[1].text.clone()], "python3 <<EOF");
        assert_eq!(runs[2].form, Form::Exec);
    }
}
