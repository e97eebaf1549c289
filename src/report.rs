//! Findings (what `verify` reports) and their renderers: text, JSON, GitHub Actions
//! annotations. Findings are data, not errors: they make the exit code 1, not 2.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::diagnostic::{escape_control, Diagnostic};

/// What kind of disagreement a finding is. The kebab-case names are stable: CI scripts
/// match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// A Dockerfile has no lock beside it.
    MissingLockfile,
    /// The Dockerfile uses a reference the lock does not have.
    MissingLockEntry,
    /// The lock has a reference the Dockerfile no longer uses.
    StaleLockEntry,
    /// A digest pinned in the Dockerfile differs from the locked one.
    DigestMismatch,
    /// The `--build-arg` values given differ from those the lock was made with.
    BuildArgsMismatch,
    /// The `--platform`s given differ from those the lock was made for.
    PlatformsMismatch,
    /// A literal reference is not pinned by digest (`verify --require-pinned`).
    Unpinned,
    /// The registry moved a locked tag (`verify --online`).
    TagDrift,
    /// A locked `ADD` source changed upstream: other bytes, or a moved ref (`--online`).
    SourceDrift,
    /// A lock whose Dockerfile, compose or bake file is gone (`--recursive`).
    OrphanLock,
    /// One tag locked to different digests in two locks of the repository.
    LockConflict,
    /// The lock pins packages (an apt snapshot, an apk version) that the Dockerfile's
    /// commands do not apply.
    PackageLockUnapplied,
    /// The base image a packages entry was read from is no longer the locked one.
    BaseChanged,
    /// A newer version of a locked package is available today (`--online`).
    PackageDrift,
    /// A locked version is gone from the live index: the next build fails (`--online`).
    PackageWithdrawn,
}

impl Code {
    pub const ALL: [Code; 15] = [
        Code::MissingLockfile,
        Code::MissingLockEntry,
        Code::StaleLockEntry,
        Code::DigestMismatch,
        Code::BuildArgsMismatch,
        Code::PlatformsMismatch,
        Code::Unpinned,
        Code::TagDrift,
        Code::SourceDrift,
        Code::OrphanLock,
        Code::LockConflict,
        Code::PackageLockUnapplied,
        Code::BaseChanged,
        Code::PackageDrift,
        Code::PackageWithdrawn,
    ];

    /// What the finding means, one line (the README's and verify(1)'s findings table).
    pub fn meaning(self) -> &'static str {
        match self {
            Code::MissingLockfile => "no lock beside the file",
            Code::MissingLockEntry => "the file uses an image, source or package the lock lacks",
            Code::StaleLockEntry => "the lock has an entry the file no longer uses",
            Code::DigestMismatch => {
                "a digest or checksum pinned in the file differs from the lock's"
            }
            Code::BuildArgsMismatch => "the --build-arg values given differ from those recorded",
            Code::PlatformsMismatch => "the --platform values given differ from those recorded",
            Code::Unpinned => {
                "with --require-pinned: a literal reference, source or install no pin covers"
            }
            Code::TagDrift => "with --online: the registry moved a locked tag",
            Code::SourceDrift => {
                "with --online: a locked URL serves other bytes, or a git ref moved"
            }
            Code::OrphanLock => "with --recursive: a lock whose file is gone",
            Code::LockConflict => "one tag locked to different digests in two locks",
            Code::PackageLockUnapplied => {
                "the lock pins an apt snapshot or apk version the RUN line does not apply"
            }
            Code::BaseChanged => {
                "a stage's packages were read from another base image than the one locked"
            }
            Code::PackageDrift => "with --online: a newer version of a locked package is available",
            Code::PackageWithdrawn => "with --online: a locked version is gone from the live index",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Code::MissingLockfile => "missing-lockfile",
            Code::MissingLockEntry => "missing-lock-entry",
            Code::StaleLockEntry => "stale-lock-entry",
            Code::DigestMismatch => "digest-mismatch",
            Code::BuildArgsMismatch => "build-args-mismatch",
            Code::PlatformsMismatch => "platforms-mismatch",
            Code::Unpinned => "unpinned",
            Code::TagDrift => "tag-drift",
            Code::SourceDrift => "source-drift",
            Code::OrphanLock => "orphan-lock",
            Code::LockConflict => "lock-conflict",
            Code::PackageLockUnapplied => "package-lock-unapplied",
            Code::BaseChanged => "base-changed",
            Code::PackageDrift => "package-drift",
            Code::PackageWithdrawn => "package-withdrawn",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One disagreement between a Dockerfile, its lock and (with `--online`) the registry.
///
/// Besides the prose `message`, the JSON report carries what the finding is about as
/// data: `reference`, `locked`, `current` and `used-by` (see the README's Findings).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Finding {
    pub code: Code,
    /// The file the finding is about (the Dockerfile, or the lock for lock-only problems).
    pub path: PathBuf,
    /// 1-based line in `path`, when one line is to blame.
    pub line: Option<usize>,
    pub message: String,
    /// What the finding is about: `image`, `source` (what `ADD` fetches) or `package`
    /// (what `RUN` installs). Left out for findings about a whole file or lock.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// The entry: an image's normalized reference, a source's URL, `manager name` for a
    /// package (`manager` alone for a stage's whole entry).
    pub reference: Option<String>,
    /// What the lock pins: a digest, a checksum or commit, a version or apt snapshot.
    pub locked: Option<String>,
    /// What disagrees with `locked`: the pin the Dockerfile writes, or (`--online`) what
    /// upstream serves now.
    pub current: Option<String>,
    /// Where the entry is used, when known.
    pub used_by: Vec<UsedBy>,
}

/// One use of a finding's entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct UsedBy {
    /// The file the use is written in (a Dockerfile, or a compose or bake file's
    /// `image:`); none when the lock does not say.
    pub dockerfile: Option<PathBuf>,
    /// Its 1-based line, when known (a lock's record of a use has none).
    pub line: Option<usize>,
    /// The stage it is in (for a `context` use, the context's name).
    pub stage: Option<String>,
    /// The compose service or bake target whose build uses it.
    pub by: Option<String>,
}

impl Finding {
    /// The same finding, about a kind of entry: `image`, `source` or `package`.
    pub fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }

    /// The same finding, about the entry `reference`.
    pub fn about(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// The same finding, with what the lock pins and what disagrees with it.
    pub fn pins(mut self, locked: Option<String>, current: Option<String>) -> Self {
        self.locked = locked;
        self.current = current;
        self
    }

    /// The same finding, with where its entry is used.
    pub fn used_by(mut self, used_by: Vec<UsedBy>) -> Self {
        self.used_by = used_by;
        self
    }

    pub fn new(
        code: Code,
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code,
            path: path.into(),
            line,
            message: message.into(),
            kind: None,
            reference: None,
            locked: None,
            current: None,
            used_by: Vec::new(),
        }
    }
}

/// `path:line: code: message`, one per line, as compilers print them; control
/// characters escaped, so each finding stays one line and cannot drive the terminal.
pub fn render_text(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str(&escape_control(&f.path.display().to_string()));
        if let Some(line) = f.line {
            s.push_str(&format!(":{line}"));
        }
        s.push_str(&format!(": {}: {}\n", f.code, escape_control(&f.message)));
    }
    s
}

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: &'a [Finding],
    errors: Vec<JsonError<'a>>,
}

/// An error (exit 2) as `--format json` reports it beside the findings.
#[derive(Serialize)]
struct JsonError<'a> {
    path: Option<String>,
    line: Option<usize>,
    message: &'a str,
    help: Option<&'a str>,
}

/// `{"findings": [{"code", "path", "line", "message", "kind", "reference", "locked",
/// "current", "used-by"}], "errors": [{"path", "line", "message", "help"}]}`; `line`,
/// `path`, `help` and the structured fields are null when unknown, `kind` absent. `errors` is
/// non-empty exactly when the exit code is 2.
pub fn render_json(findings: &[Finding], errors: &[Diagnostic]) -> String {
    let errors = errors
        .iter()
        .map(|d| JsonError {
            path: d.path.as_ref().map(|p| p.display().to_string()),
            line: d.line,
            message: &d.message,
            help: d.help.as_deref(),
        })
        .collect();
    let report = JsonReport { findings, errors };
    let s = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
    let mut s = json_escape_c1(&s);
    s.push('\n');
    s
}

/// serde escapes C0 controls in strings but passes C1 ones (U+0080–U+009F, e.g. CSI)
/// through; they only occur inside strings, where `\u00XX` decodes to the same text.
fn json_escape_c1(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c as u32 {
            0x80..=0x9f => out.push_str(&format!("\\u{:04x}", c as u32)),
            _ => out.push(c),
        }
    }
    out
}

/// GitHub Actions workflow commands: `::error file=…,line=…,title=code::message` for each
/// finding, and `::error file=…,line=…,title=error::message` for each error (without
/// `file=` when an error names no file).
pub fn render_github(findings: &[Finding], errors: &[Diagnostic]) -> String {
    let mut s = String::new();
    for f in findings {
        annotation(&mut s, Some(&f.path), f.line, f.code.as_str(), &f.message);
    }
    for d in errors {
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        annotation(&mut s, d.path.as_deref(), d.line, "error", &message);
    }
    s
}

fn annotation(s: &mut String, path: Option<&Path>, line: Option<usize>, title: &str, msg: &str) {
    s.push_str("::error ");
    if let Some(path) = path {
        s.push_str("file=");
        s.push_str(&escape_property(&path.display().to_string()));
        if let Some(line) = line {
            s.push_str(&format!(",line={line}"));
        }
        s.push(',');
    }
    s.push_str(&format!("title={title}::"));
    s.push_str(&escape_data(msg));
    s.push('\n');
}

/// The escapes the Actions runner undoes in a command's message; any other control
/// character is shown escaped (`\x1b`), never passed to the log raw.
fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    escape_control(&s).into_owned()
}

/// Properties also separate on `,` and end at `::`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Finding> {
        vec![
            Finding::new(
                Code::MissingLockEntry,
                "app/Dockerfile",
                Some(3),
                "node:18 is not in the lock",
            ),
            Finding::new(
                Code::MissingLockfile,
                "a,b:c/Dockerfile",
                None,
                "100% missing\nreally",
            ),
        ]
    }

    #[test]
    fn codes_are_stable_kebab_case() {
        for code in Code::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        assert_eq!(Code::TagDrift.to_string(), "tag-drift");
    }

    #[test]
    fn text() {
        assert_eq!(
            render_text(&sample()),
            "app/Dockerfile:3: missing-lock-entry: node:18 is not in the lock\n\
             a,b:c/Dockerfile: missing-lockfile: 100% missing\\nreally\n"
        );
    }

    #[test]
    fn json() {
        let v: serde_json::Value = serde_json::from_str(&render_json(&sample(), &[])).unwrap();
        assert_eq!(v["findings"][0]["code"], "missing-lock-entry");
        assert_eq!(v["findings"][0]["line"], 3);
        assert_eq!(v["findings"][1]["line"], serde_json::Value::Null);
        assert_eq!(v["findings"][1]["path"], "a,b:c/Dockerfile");
        assert_eq!(
            render_json(&[], &[]),
            "{\n  \"findings\": [],\n  \"errors\": []\n}\n"
        );
        let err = Diagnostic::new("unknown instruction: FORM")
            .at("app/Dockerfile", Some(2))
            .with_help("did you mean FROM?");
        let v: serde_json::Value =
            serde_json::from_str(&render_json(&[], &[err, Diagnostic::new("no network")])).unwrap();
        assert_eq!(v["errors"][0]["path"], "app/Dockerfile");
        assert_eq!(v["errors"][0]["line"], 2);
        assert_eq!(v["errors"][0]["message"], "unknown instruction: FORM");
        assert_eq!(v["errors"][0]["help"], "did you mean FROM?");
        assert_eq!(v["errors"][1]["path"], serde_json::Value::Null);
    }

    #[test]
    fn json_carries_the_fields_text_and_github_leave_out() {
        let plain = sample();
        let mut rich = sample();
        rich[0] = rich[0]
            .clone()
            .with_kind("image")
            .about("docker.io/library/node:18")
            .pins(Some("sha256:1".into()), None)
            .used_by(vec![UsedBy {
                dockerfile: Some("app/Dockerfile".into()),
                line: Some(3),
                stage: None,
                by: Some("web".into()),
            }]);
        assert_eq!(render_text(&rich), render_text(&plain));
        assert_eq!(render_github(&rich, &[]), render_github(&plain, &[]));
        let v: serde_json::Value = serde_json::from_str(&render_json(&rich, &[])).unwrap();
        let f = &v["findings"][0];
        assert_eq!(f["kind"], "image");
        assert_eq!(f["reference"], "docker.io/library/node:18");
        assert_eq!(f["locked"], "sha256:1");
        assert_eq!(f["current"], serde_json::Value::Null);
        assert_eq!(
            f["used-by"],
            serde_json::json!([{"dockerfile": "app/Dockerfile", "line": 3, "stage": null, "by": "web"}])
        );
        let bare = &v["findings"][1];
        assert!(bare.get("kind").is_none(), "{bare}");
        assert_eq!(bare["used-by"], serde_json::json!([]));
        assert_eq!(bare["reference"], serde_json::Value::Null);
    }

    #[test]
    fn github_errors() {
        let errs = [
            Diagnostic::new("unknown instruction: FORM")
                .at("Dockerfile", Some(2))
                .with_help("fix it"),
            Diagnostic::new("no network"),
        ];
        assert_eq!(
            render_github(&[], &errs),
            "::error file=Dockerfile,line=2,title=error::unknown instruction: FORM%0Ahelp: fix it\n\
             ::error title=error::no network\n"
        );
    }

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        let f = vec![Finding::new(
            Code::Unpinned,
            "x\x1b]0;t\x07/Dockerfile",
            Some(1),
            "a\x1b[31mb\u{9b}",
        )];
        for out in [render_text(&f), render_github(&f, &[])] {
            assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
            assert!(out.contains("\\x1b]0;t\\x07"), "{out}");
        }
        let json = render_json(&f, &[]);
        assert!(!json.chars().any(|c| c.is_control() && c != '\n'), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["findings"][0]["message"], "a\x1b[31mb\u{9b}");
    }

    #[test]
    fn github_escapes() {
        assert_eq!(
            render_github(&sample(), &[]),
            "::error file=app/Dockerfile,line=3,title=missing-lock-entry::node:18 is not in the lock\n\
             ::error file=a%2Cb%3Ac/Dockerfile,title=missing-lockfile::100%25 missing%0Areally\n"
        );
    }
}
