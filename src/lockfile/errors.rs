//! What a lock that cannot be read is told as: in the user's words, not the YAML
//! library's (no `DuplicateKeyPolicy`, no `budget breached: Nodes { … }`), and a lock
//! left with git merge conflict markers is named as such, with the way out.

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::Error as YamlError;

use crate::diagnostic::excerpt;

/// The message for a YAML error, and a hint when one helps.
pub fn describe(e: &YamlError) -> (String, Option<String>) {
    let regenerate = || {
        Some("this is not a lock dockerfile-lock wrote; delete it and run `dockerfile-lock generate`".to_string())
    };
    match e.without_snippet() {
        YamlError::DuplicateMappingKey { key: Some(k), .. } => {
            (format!("`{}` appears twice", excerpt(k, 40)), None)
        }
        YamlError::DuplicateMappingKey { key: None, .. } => ("a key appears twice".into(), None),
        YamlError::Budget { breach, .. } => {
            let what = match breach {
                BudgetBreach::Depth { .. } => "nested too deeply to be a lock",
                BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => {
                    "uses YAML anchors or aliases (`&a`, `*a`), which a lock never has"
                }
                BudgetBreach::Documents { .. } => "holds more than one YAML document",
                _ => "too large to be a lock (too many YAML values)",
            };
            (what.to_string(), regenerate())
        }
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => (
            "uses YAML anchors or aliases (`&a`, `*a`), which a lock never has".into(),
            regenerate(),
        ),
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => (
            format!(
                "unknown key `{}` (a lock has {})",
                excerpt(field, 40),
                expected
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        ),
        YamlError::SerdeMissingField { field, .. } => (format!("`{field}` is missing"), None),
        other => (plain(&first_line(&other.to_string())), None),
    }
}

/// The scanner's own phrases, said plainly.
fn plain(message: &str) -> String {
    let known = [
        ("simple key expected ':'", "this line is not `key: value`"),
        ("unclosed bracket '['", "a `[` is never closed"),
        ("unclosed bracket '{'", "a `{` is never closed"),
        ("expected sequence start", "expected a list here"),
        ("expected mapping start", "expected `key: value` lines here"),
        ("invalid u64", "expected a whole number here"),
    ];
    for (theirs, ours) in known {
        if message.starts_with(theirs) {
            return ours.to_string();
        }
    }
    excerpt(message, 160)
}

/// serde-saphyr messages may end with location detail on further lines; the diagnostic
/// carries the line itself.
pub fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    match line.rfind(" at line ") {
        Some(i) if line[i..].contains(", column ") => line[..i].to_string(),
        _ => line.to_string(),
    }
}

/// The 1-based line of the first git conflict marker (`<<<<<<< `, `=======`, `>>>>>>> `)
/// in `text`, if any. A lock never holds one: no YAML it writes starts a line so.
pub fn conflict_marker(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_end_matches('\r');
            l.starts_with("<<<<<<<")
                || l.starts_with(">>>>>>>")
                || l == "======="
                || l.starts_with("||||||| ")
        })
        .map(|i| i + 1)
}

/// How to get a whole lock back after a merge.
pub const CONFLICT_HELP: &str = "keep one side (`git checkout --ours -- LOCK`), then run \
    `dockerfile-lock generate` to lock what the merged Dockerfile uses";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_markers() {
        assert_eq!(conflict_marker("a\n<<<<<<< HEAD\nb\n"), Some(2));
        assert_eq!(conflict_marker("a\n=======\n"), Some(2));
        assert_eq!(conflict_marker("a\n>>>>>>> topic\n"), Some(2));
        assert_eq!(conflict_marker("a: \"<<<<<<<\"\n  - ======= x\n"), None);
    }
}
