//! The `.env` file beside a compose file: `KEY=VALUE` lines, `export` prefixes, `#`
//! comments, single quotes (literal) and double quotes (with `\n`, `\"`, `\\` escapes), as
//! compose's dotenv reader takes them. Unquoted and double-quoted values are interpolated
//! as compose interpolates them (`KEY="${KEY:-default}"`): a name is looked up in the
//! environment first, then among the lines above; an unset one without a default is blank.

use std::collections::BTreeMap;

use super::interpolate::{interpolate_blank_unset, Budget, Problem};

/// The variables of a `.env` text, or the 1-based line and reason of the first bad line.
/// `env` looks a name up in the environment.
pub fn parse(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, (usize, String)> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    // Lines that use the lines above may not multiply into memory.
    let budget = Budget::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((key, value)) = line.split_once('=') else {
            return Err((
                i + 1,
                format!("expected KEY=VALUE, found {:?}", excerpt(line)),
            ));
        };
        let key = key.trim();
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid {
            return Err((i + 1, format!("invalid variable name {:?}", excerpt(key))));
        }
        let (value, literal) = value_of(value.trim()).map_err(|m| (i + 1, m))?;
        let value = if literal {
            value
        } else {
            let lookup = |n: &str| env(n).or_else(|| vars.get(n).cloned());
            interpolate_blank_unset(&value, &lookup)
                .and_then(|v| budget.spend(&v).map(|()| v))
                .map_err(|p| (i + 1, problem(p)))?
        };
        vars.insert(key.to_string(), value);
    }
    Ok(vars)
}

fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Why a value cannot be interpolated, for a `.env` line.
fn problem(p: Problem) -> String {
    match p {
        Problem::Unset(name) => format!("variable {} is not set", excerpt(&name)),
        Problem::Required { name, message } => format!(
            "variable {} is required: {}",
            excerpt(&name),
            excerpt(&message)
        ),
        Problem::Invalid(m) => format!("invalid interpolation: {m}"),
        Problem::TooLong | Problem::OverBudget => {
            "the interpolated values are too long".to_string()
        }
    }
}

/// The value, and whether it is literal (single-quoted: not interpolated).
fn value_of(v: &str) -> Result<(String, bool), String> {
    if let Some(rest) = v.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or("a single-quoted value has no closing quote")?;
        return Ok((rest[..end].to_string(), true));
    }
    if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok((out, false)),
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("a double-quoted value has no closing quote".into());
    }
    // An unquoted value ends at ` #` (an inline comment).
    let end = v.find(" #").unwrap_or(v.len());
    Ok((v[..end].trim_end().to_string(), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_compose_reads() {
        let text = "# comment\nTAG=1.25\nexport REG=ghcr.io\nQ='a b # c'\nD=\"x\\\"y\"\nI=v # note\nEMPTY=\n";
        let vars = parse(text, &|_| None).unwrap();
        assert_eq!(vars["TAG"], "1.25");
        assert_eq!(vars["REG"], "ghcr.io");
        assert_eq!(vars["Q"], "a b # c");
        assert_eq!(vars["D"], "x\"y");
        assert_eq!(vars["I"], "v");
        assert_eq!(vars["EMPTY"], "");
    }

    #[test]
    fn a_bad_line_is_named() {
        let none = |_: &str| None;
        assert_eq!(parse("A=1\nnot a pair\n", &none).unwrap_err().0, 2);
        assert_eq!(parse("A='open\n", &none).unwrap_err().0, 1);
        assert_eq!(parse("A B=1\n", &none).unwrap_err().0, 1);
        assert_eq!(parse("A=${B:?needed}\n", &none).unwrap_err().0, 1);
    }

    #[test]
    fn values_are_interpolated_from_the_environment_then_the_lines_above() {
        let text =
            "REG=ghcr.io\nKEY=\"${KEY:-default}\"\nIMG=${REG}/app:${TAG}\nLIT='${REG}'\nB=$UNSET\n";
        let env = |n: &str| (n == "TAG").then(|| "1.2".to_string());
        let vars = parse(text, &env).unwrap();
        assert_eq!(vars["KEY"], "default");
        assert_eq!(vars["IMG"], "ghcr.io/app:1.2");
        assert_eq!(vars["LIT"], "${REG}");
        assert_eq!(vars["B"], "");
        let env = |n: &str| (n == "KEY").then(|| "set".to_string());
        assert_eq!(parse(text, &env).unwrap()["KEY"], "set");
    }
}
