//! Instruction flags checked as BuildKit's `BFlags.Parse` checks them
//! (`frontend/dockerfile/instructions/bflag.go`): each instruction declares its flags and
//! their kind, and an unknown flag, a repeated one, a missing value or a bad boolean is an
//! error. Also the checks `instructions.Parse` makes on `--mount` before any expansion,
//! and the parser's `name=value` rule for LABEL and ENV.

use super::csv::csv_fields;
use super::words::parse_words;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    String,
    /// May be given more than once (`--mount`, `--exclude`).
    Strings,
}

use Kind::{Bool, String as Str, Strings};

/// The flags each instruction declares (`instructions/parse.go` and the RUN hooks). `None`:
/// the instruction never parses its flags (ARG, STOPSIGNAL), so any are accepted.
fn declared(keyword: &str) -> Option<&'static [(&'static str, Kind)]> {
    Some(match keyword {
        "add" => &[
            ("chown", Str),
            ("chmod", Str),
            ("link", Bool),
            ("keep-git-dir", Bool),
            ("checksum", Str),
            ("unpack", Bool),
            ("exclude", Strings),
        ],
        "copy" => &[
            ("chown", Str),
            ("from", Str),
            ("chmod", Str),
            ("link", Bool),
            ("exclude", Strings),
            ("parents", Bool),
        ],
        "from" => &[("platform", Str)],
        "run" => &[
            ("mount", Strings),
            ("network", Str),
            ("security", Str),
            ("device", Strings),
        ],
        "healthcheck" => &[
            ("interval", Str),
            ("timeout", Str),
            ("start-period", Str),
            ("start-interval", Str),
            ("retries", Str),
        ],
        "arg" | "stopsignal" => return None,
        _ => &[],
    })
}

/// Check the flags of instruction `keyword` (lower case, known). `args` is the text after
/// the flags: `HEALTHCHECK NONE` parses no flags, so it takes any.
pub(crate) fn check<'f>(
    keyword: &str,
    flags: impl IntoIterator<Item = &'f str>,
    args: &str,
) -> Result<(), String> {
    let Some(known) = declared(keyword) else {
        return Ok(());
    };
    if keyword == "healthcheck"
        && args
            .split([' ', '\t'])
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("none"))
    {
        return Ok(());
    }
    let mut used: Vec<&str> = Vec::new();
    for f in flags {
        if f == "--" {
            return Ok(());
        }
        let (flag_name, value) = match f.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (f, None),
        };
        let name = flag_name.strip_prefix("--").unwrap_or(flag_name);
        let Some(&(_, kind)) = known.iter().find(|(n, _)| *n == name) else {
            return Err(format!("unknown flag: {flag_name}"));
        };
        if kind != Strings && used.contains(&name) {
            return Err(format!("duplicate flag specified: {flag_name}"));
        }
        used.push(name);
        match (kind, value) {
            (Bool, Some("")) | (Str | Strings, None) => {
                return Err(format!("missing a value on flag: {flag_name}"))
            }
            (Bool, Some(v))
                if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") =>
            {
                return Err(format!(
                    "expecting boolean value for flag {flag_name}, not: {v}"
                ))
            }
            _ => {}
        }
        // RUN's post-parse hooks check these values.
        match (keyword, name, value) {
            ("run", "network", Some(v)) if !matches!(v, "default" | "none" | "host") => {
                return Err(format!("invalid network mode {v:?}"))
            }
            ("run", "security", Some(v)) if !matches!(v, "sandbox" | "insecure") => {
                return Err(format!("security {v:?} is not valid"))
            }
            _ => {}
        }
    }
    Ok(())
}

/// What `instructions.Parse` checks in a `--mount` value before anything is expanded: it
/// is CSV, and `from` takes no variables (a `$` at the very end is no variable).
pub(crate) fn check_mount(value: &str) -> Result<(), String> {
    let fields = csv_fields(value).map_err(|e| format!("invalid --mount `{value}`: {e}"))?;
    for f in fields {
        let Some((key, v)) = f.text.split_once('=') else {
            continue;
        };
        if key.eq_ignore_ascii_case("from") {
            if let Some(i) = v.find('$') {
                if i != v.len() - 1 {
                    return Err(format!(
                        "'{}' doesn't support variable expansion, define alias stage instead",
                        key.to_ascii_lowercase()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The parser's `parseNameVal` for LABEL (and ENV): `name=value …`, or the legacy
/// `name value`; every word of the first form needs its `=`, and no name may be blank.
pub(crate) fn check_name_val(keyword: &str, rest: &str, escape: char) -> Result<(), String> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Err(format!("{keyword} requires at least one argument"));
    };
    if !rest[first.clone()].contains('=') {
        // `reWhitespace.Split(rest, 2)` on the trimmed arguments.
        if !rest.contains([' ', '\t', '\r', '\x0b', '\x0c']) {
            return Err(format!("{keyword} must have two arguments"));
        }
        return Ok(());
    }
    for w in words {
        let word = &rest[w];
        match word.split_once('=') {
            None => {
                return Err(format!(
                    "Syntax error - can't find = in {word:?}. Must be of the form: name=value"
                ))
            }
            Some(("", _)) => return Err(format!("{keyword} names can not be blank")),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_as_bflags_parses_them() {
        let cases: &[(&str, &[&str], Result<(), &str>)] = &[
            ("copy", &["--from=a", "--chown=1", "--link"], Ok(())),
            (
                "copy",
                &["--chown"],
                Err("missing a value on flag: --chown"),
            ),
            ("copy", &["--user=1"], Err("unknown flag: --user")),
            (
                "from",
                &["--platform=x", "--platform=y"],
                Err("duplicate flag specified: --platform"),
            ),
            ("run", &["--mount=a", "--mount=b"], Ok(())),
            ("copy", &["--link="], Err("missing a value on flag: --link")),
            (
                "copy",
                &["--link=maybe"],
                Err("expecting boolean value for flag --link, not: maybe"),
            ),
            ("workdir", &["--x"], Err("unknown flag: --x")),
            ("arg", &["--x"], Ok(())),
            ("copy", &["--", "--bogus"], Ok(())),
            ("run", &["--network=none", "--security=insecure"], Ok(())),
            (
                "run",
                &["--network=bridge"],
                Err("invalid network mode \"bridge\""),
            ),
        ];
        for (kw, flags, want) in cases {
            assert_eq!(
                check(kw, flags.iter().copied(), "a b"),
                want.map_err(str::to_string),
                "{kw} {flags:?}"
            );
        }
        assert_eq!(check("healthcheck", ["--x=1"], "NONE"), Ok(()));
        assert!(check("healthcheck", ["--x=1"], "CMD true").is_err());
    }

    #[test]
    fn mount_from_takes_no_variables() {
        assert!(check_mount("type=bind,from=$IMG,target=/t").is_err());
        assert!(check_mount("type=bind,FROM=${IMG},target=/t").is_err());
        assert!(check_mount("from=a$,target=/t").is_ok());
        assert!(check_mount("type=cache,target=$HOME").is_ok());
        assert!(check_mount("\"from=x").is_err());
    }

    #[test]
    fn label_needs_name_value_pairs() {
        assert_eq!(
            check_name_val("LABEL", "a=b CMD", '\\'),
            Err("Syntax error - can't find = in \"CMD\". Must be of the form: name=value".into())
        );
        assert_eq!(check_name_val("LABEL", "a b c", '\\'), Ok(()));
        assert_eq!(
            check_name_val("LABEL", "a", '\\'),
            Err("LABEL must have two arguments".into())
        );
        assert_eq!(
            check_name_val("LABEL", "=b", '\\'),
            Err("LABEL names can not be blank".into())
        );
        assert_eq!(check_name_val("LABEL", "a=\"b c\" d=", '\\'), Ok(()));
    }
}
