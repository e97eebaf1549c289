//! The `.env` file beside a compose file: `KEY=VALUE` lines, `export` prefixes, `#`
//! comments, single quotes (literal) and double quotes (with `\n`, `\"`, `\\` escapes), as
//! compose's dotenv reader takes them. Values are not interpolated here.

use std::collections::BTreeMap;

/// The variables of a `.env` text, or the 1-based line and reason of the first bad line.
pub fn parse(text: &str) -> Result<BTreeMap<String, String>, (usize, String)> {
    let mut vars = BTreeMap::new();
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
        vars.insert(
            key.to_string(),
            value_of(value.trim()).map_err(|m| (i + 1, m))?,
        );
    }
    Ok(vars)
}

fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

fn value_of(v: &str) -> Result<String, String> {
    if let Some(rest) = v.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or("a single-quoted value has no closing quote")?;
        return Ok(rest[..end].to_string());
    }
    if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(out),
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
    Ok(v[..end].trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_compose_reads() {
        let text = "# comment\nTAG=1.25\nexport REG=ghcr.io\nQ='a b # c'\nD=\"x\\\"y\"\nI=v # note\nEMPTY=\n";
        let vars = parse(text).unwrap();
        assert_eq!(vars["TAG"], "1.25");
        assert_eq!(vars["REG"], "ghcr.io");
        assert_eq!(vars["Q"], "a b # c");
        assert_eq!(vars["D"], "x\"y");
        assert_eq!(vars["I"], "v");
        assert_eq!(vars["EMPTY"], "");
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(parse("A=1\nnot a pair\n").unwrap_err().0, 2);
        assert_eq!(parse("A='open\n").unwrap_err().0, 1);
        assert_eq!(parse("A B=1\n").unwrap_err().0, 1);
    }
}
