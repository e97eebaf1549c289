//! Compose's variable interpolation (compose-spec "Interpolation"): `$VAR`, `${VAR}`,
//! `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
//! `${VAR:+replacement}`, `${VAR+replacement}`, and `$$` for a literal `$`. Defaults and
//! replacements are interpolated in turn; a `$` that starts none of these (`$(cmd)`, `$1`)
//! is kept as written, as compose-go keeps it. Unlike compose, a variable that is unset and has
//! no default is an error: a lock taken with a blank value would pin an image nobody runs.
//! A value may not grow past [`MAX_VALUE`], nor all of a file's values past [`MAX_TOTAL`]:
//! a `.env` value used many times must not multiply into memory.

use std::cell::Cell;
use std::path::Path;

use crate::builds::{excerpt, Error};

/// Why a value cannot be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `${NAME}` with NAME unset and no default.
    Unset(String),
    /// `${NAME:?message}` with NAME unset (or empty).
    Required { name: String, message: String },
    /// Not interpolation syntax.
    Invalid(String),
    /// The value would be longer than [`MAX_VALUE`].
    TooLong,
    /// The values of the file together would be longer than [`MAX_TOTAL`].
    OverBudget,
}

impl Problem {
    /// The error for a value at `line` of `path`.
    pub(crate) fn error(self, path: &Path, line: usize) -> Error {
        let file = path.file_name().map_or("the compose file".into(), |n| {
            n.to_string_lossy().into_owned()
        });
        // A name written in the file is shown as an excerpt, however long it is.
        let short = |name: String| {
            let quoted = excerpt(&name);
            quoted[1..quoted.len() - 1].to_string()
        };
        match self {
            Problem::Unset(name) => {
                let name = short(name);
                Error::new(path, line, format!("variable {name} is not set")).with_help(format!(
                "set {name} in the environment or in .env beside {file}, pass --env {name}=VALUE, \
                     or give a default: ${{{name}:-default}}"
            ))
            }
            Problem::Required { name, message } => {
                let name = short(name);
                Error::new(
                    path,
                    line,
                    format!("variable {name} is required: {}", excerpt(&message)),
                )
                .with_help(format!("set {name}, or pass --env {name}=VALUE"))
            }
            Problem::Invalid(m) => Error::new(path, line, format!("invalid interpolation: {m}"))
                .with_help("write a literal `$` as `$$`"),
            Problem::TooLong => Error::new(
                path,
                line,
                format!(
                    "the interpolated value is longer than {} MiB",
                    MAX_VALUE >> 20
                ),
            ),
            Problem::OverBudget => Error::new(
                path,
                line,
                format!(
                    "the interpolated values are longer than {} MiB in total",
                    MAX_TOTAL >> 20
                ),
            ),
        }
    }
}

/// The longest value interpolation may produce.
pub const MAX_VALUE: usize = 1 << 20;

/// What all the interpolated values of one file may add up to.
pub const MAX_TOTAL: usize = 64 << 20;

/// What one file's interpolated values have used of [`MAX_TOTAL`].
#[derive(Debug, Default)]
pub struct Budget {
    spent: Cell<usize>,
}

impl Budget {
    /// Count `value` against the budget.
    pub fn spend(&self, value: &str) -> Result<(), Problem> {
        let spent = self.spent.get().saturating_add(value.len());
        self.spent.set(spent);
        if spent > MAX_TOTAL {
            return Err(Problem::OverBudget);
        }
        Ok(())
    }
}

/// Deeper nesting of `${A:-${B:-…}}` than this is refused.
const MAX_DEPTH: usize = 50;

/// `text` with its variables replaced by what `lookup` gives.
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, Problem> {
    expand_in(text, lookup, 0, false)
}

/// As [`interpolate`], but a variable that is unset and has no default is blank, as
/// compose's `.env` reader makes it: the value is checked where the compose file uses it.
pub fn interpolate_blank_unset(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Problem> {
    expand_in(text, lookup, 0, true)
}

/// `blank`: an unset name without a default is empty rather than an error.
fn expand_in(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    blank: bool,
) -> Result<String, Problem> {
    let unset = |name: &str| {
        if blank {
            Ok(String::new())
        } else {
            Err(Problem::Unset(name.to_string()))
        }
    };
    if depth > MAX_DEPTH {
        return Err(Problem::Invalid(format!(
            "defaults nested more than {MAX_DEPTH} deep"
        )));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        // Each step adds at most one variable's value: checking here stops a long value
        // before it is built, not after.
        if out.len() > MAX_VALUE {
            return Err(Problem::TooLong);
        }
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = closing_brace(body)
                .ok_or_else(|| Problem::Invalid("a `${` has no closing `}`".into()))?;
            out.push_str(&braced(&body[..end], lookup, depth, blank)?);
            rest = &body[end + 1..];
        } else {
            let len = name_len(after);
            if len == 0 {
                // compose-go's pattern matches only `$$`, `$NAME` and `${…}`: any other `$`
                // (`$(cmd)` in an inline Dockerfile, `$1`, a trailing `$`) is text.
                out.push('$');
                rest = after;
                continue;
            }
            let name = &after[..len];
            match lookup(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&unset(name)?),
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    if out.len() > MAX_VALUE {
        return Err(Problem::TooLong);
    }
    Ok(out)
}

/// At most 40 characters of `s` for a message, control characters escaped.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(40)
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect();
    if s.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Length of the variable name at the start of `s`: `[_A-Za-z][_A-Za-z0-9]*`.
fn name_len(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first()
        .is_none_or(|c| !(c.is_ascii_alphabetic() || *c == b'_'))
    {
        return 0;
    }
    b.iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

/// Index of the `}` closing a `${`, with nested `${…}` skipped.
fn closing_brace(body: &str) -> Option<usize> {
    let b = body.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn braced(
    inner: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    blank: bool,
) -> Result<String, Problem> {
    let len = name_len(inner);
    if len == 0 {
        return Err(Problem::Invalid(format!(
            "`${{{}}}` does not start with a variable name",
            shown(inner)
        )));
    }
    let name = &inner[..len];
    let op = &inner[len..];
    let value = lookup(name);
    let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    let arg = |skip: usize| expand_in(&op[skip..], lookup, depth + 1, blank);
    match op {
        "" if blank => Ok(value.unwrap_or_default()),
        "" => value.ok_or_else(|| Problem::Unset(name.to_string())),
        _ if op.starts_with(":-") => {
            if set_nonempty {
                Ok(value.unwrap_or_default())
            } else {
                arg(2)
            }
        }
        _ if op.starts_with('-') => match value {
            Some(v) => Ok(v),
            None => arg(1),
        },
        _ if op.starts_with(":?") || op.starts_with('?') => {
            let colon = op.starts_with(':');
            let ok = if colon { set_nonempty } else { value.is_some() };
            if ok {
                Ok(value.unwrap_or_default())
            } else {
                Err(Problem::Required {
                    name: name.to_string(),
                    message: arg(if colon { 2 } else { 1 })?,
                })
            }
        }
        _ if op.starts_with(":+") => {
            if set_nonempty {
                arg(2)
            } else {
                Ok(String::new())
            }
        }
        _ if op.starts_with('+') => {
            if value.is_some() {
                arg(1)
            } else {
                Ok(String::new())
            }
        }
        _ => Err(Problem::Invalid(format!(
            "unsupported modifier in `${{{}}}`; compose supports :- - :? ? :+ +",
            shown(inner)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<String, Problem> {
        let vars = |n: &str| match n {
            "TAG" => Some("1.2".to_string()),
            "EMPTY" => Some(String::new()),
            "REG" => Some("ghcr.io".to_string()),
            _ => None,
        };
        interpolate(text, &vars)
    }

    #[test]
    fn cases() {
        let ok = [
            ("nginx:${TAG}", "nginx:1.2"),
            ("nginx:$TAG", "nginx:1.2"),
            ("nginx:${NOPE:-1.25}", "nginx:1.25"),
            ("nginx:${EMPTY:-1.25}", "nginx:1.25"),
            ("nginx:${EMPTY-1.25}x", "nginx:x"),
            ("nginx:${NOPE-1.25}", "nginx:1.25"),
            ("${NOPE:-${REG}}/app", "ghcr.io/app"),
            ("${NOPE:-${ALSO:-docker.io}}/app", "docker.io/app"),
            ("${TAG:+v$TAG}", "v1.2"),
            ("${NOPE:+v}", ""),
            ("${EMPTY+set}", "set"),
            ("$$TAG", "$TAG"),
            ("cost $$5", "cost $5"),
            ("${TAG:?needed}", "1.2"),
            ("plain", "plain"),
            ("$TAG-suffix", "1.2-suffix"),
            ("RUN echo $(date) $1 cost$", "RUN echo $(date) $1 cost$"),
            ("$(cat $TAG)", "$(cat 1.2)"),
        ];
        for (input, want) in ok {
            assert_eq!(run(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn errors() {
        assert_eq!(run("x:${NOPE}"), Err(Problem::Unset("NOPE".into())));
        assert_eq!(run("x:$NOPE"), Err(Problem::Unset("NOPE".into())));
        assert_eq!(
            run("${NOPE:?set NOPE to the tag}"),
            Err(Problem::Required {
                name: "NOPE".into(),
                message: "set NOPE to the tag".into()
            })
        );
        assert_eq!(
            run("${EMPTY:?e}"),
            Err(Problem::Required {
                name: "EMPTY".into(),
                message: "e".into()
            })
        );
        assert_eq!(run("${EMPTY?e}").as_deref(), Ok(""));
        for bad in ["${TAG", "${}", "${1}", "${TAG/a/b}", "${TAG:0:2}"] {
            assert!(matches!(run(bad), Err(Problem::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn blank_unset_leaves_defaults_working() {
        let blank = |t: &str| {
            interpolate_blank_unset(t, &|n: &str| (n == "TAG").then(|| "1.2".to_string()))
        };
        assert_eq!(blank("a${NOPE}b$NOPE-c").as_deref(), Ok("ab-c"));
        assert_eq!(blank("${NOPE-d}:${TAG}").as_deref(), Ok("d:1.2"));
        assert_eq!(blank("${NOPE:-${ALSO}x}").as_deref(), Ok("x"));
        assert!(matches!(blank("${NOPE:?m}"), Err(Problem::Required { .. })));
    }

    #[test]
    fn a_value_longer_than_the_cap_is_refused() {
        let half = "x".repeat(MAX_VALUE / 2 + 1);
        let vars = |n: &str| (n == "H").then(|| half.clone());
        assert_eq!(interpolate("${H}", &vars).map(|v| v.len()), Ok(half.len()));
        assert_eq!(interpolate("${H}${H}", &vars), Err(Problem::TooLong));
        assert_eq!(interpolate("${NO:-$H$H}", &vars), Err(Problem::TooLong));
        let many = "$H".repeat(10_000);
        assert_eq!(interpolate(&many, &vars), Err(Problem::TooLong));
    }

    #[test]
    fn the_budget_counts_every_value() {
        let budget = Budget::default();
        let chunk = "x".repeat(MAX_VALUE);
        for _ in 0..MAX_TOTAL / MAX_VALUE {
            assert_eq!(budget.spend(&chunk), Ok(()));
        }
        assert_eq!(budget.spend("x"), Err(Problem::OverBudget));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "${A:-".repeat(5000) + &"}".repeat(5000);
        assert!(matches!(run(&text), Err(Problem::Invalid(_))));
    }
}
