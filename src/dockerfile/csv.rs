//! `--mount` option lists, read as Go's `encoding/csv` reads them (BuildKit parses
//! `--mount=type=bind,from=x,"target=/a,b"` with it): `,` separates, `"` quotes, `""` is a
//! quote.

use std::ops::Range;

/// One `key=value` field of a `--mount` option list, read as Go's `encoding/csv` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CsvField {
    pub text: String,
    /// Byte range of the field in the input; `None` when it was quoted.
    pub range: Option<Range<usize>>,
}

/// Split `s` into CSV fields (`,` separated, `"` quoting with `""` for a quote).
pub(crate) fn csv_fields(s: &str) -> Result<Vec<CsvField>, String> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let mut text = Vec::new();
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => {
                        text.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            if i < b.len() && b[i] != b',' {
                return Err("extraneous or missing \" in quoted-field".into());
            }
            out.push(CsvField {
                text: String::from_utf8_lossy(&text).into_owned(),
                range: None,
            });
        } else {
            let start = i;
            while i < b.len() && b[i] != b',' {
                if b[i] == b'"' {
                    return Err("bare \" in non-quoted-field".into());
                }
                i += 1;
            }
            out.push(CsvField {
                text: s[start..i].to_string(),
                range: Some(start..i),
            });
        }
        if i >= b.len() {
            return Ok(out);
        }
        i += 1; // the comma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_like_encoding_csv() {
        let f = csv_fields("type=cache,from=x,\"target=/a,b\"").unwrap();
        let t: Vec<_> = f.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(t, ["type=cache", "from=x", "target=/a,b"]);
        assert_eq!(f[1].range, Some(11..17));
        assert_eq!(f[2].range, None);
        assert!(csv_fields("a=b\"c").is_err());
        assert!(csv_fields("\"abc").is_err());
    }
}
