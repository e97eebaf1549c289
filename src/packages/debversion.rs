//! Debian version ordering, as dpkg orders versions (deb-version(7)): `[epoch:]upstream
//! [-revision]`, the epoch compared as a number, then the upstream version, then the
//! revision, each in alternating runs of non-digits (compared character by character,
//! `~` before everything, even the end, and letters before other characters) and digits
//! (compared as numbers).

use std::cmp::Ordering;

/// dpkg's ordering of two versions. Never panics: a malformed version (what dpkg would
/// refuse) is still ordered, by the same rules applied to its parts.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    numeric(ea, eb)
        .then_with(|| runs(ua, ub))
        .then_with(|| runs(ra, rb))
}

/// `(epoch, upstream, revision)`: the epoch is what precedes the first `:`, the revision
/// what follows the last `-`.
fn split(v: &str) -> (&str, &str, &str) {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, rest)) => (e, rest),
        None => ("", v),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    (epoch, upstream, revision)
}

/// A character's weight in a non-digit run: `~` lowest, then the end of the run, then
/// letters, then everything else.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`.
fn runs(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // The non-digit runs.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let wa = weight(a.get(i).copied());
            let wb = weight(b.get(j).copied());
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        // The digit runs, as numbers of any length.
        let si = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        let sj = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        let ord = digits(&a[si..i], &b[sj..j]);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Two runs of ASCII digits compared as numbers, without overflow.
fn digits(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |s: &[u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
    let (a, b) = (&a[strip(a)..], &b[strip(b)..]);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Epochs as numbers (an empty epoch is 0); a non-numeric epoch orders by [`runs`].
fn numeric(a: &str, b: &str) -> Ordering {
    let num = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if num(a) && num(b) {
        digits(a.as_bytes(), b.as_bytes())
    } else {
        runs(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn dpkg_rules() {
        for (a, b, want) in [
            ("1.0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0~~", "1.0~", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1:0.1", "2.0", Greater),
            ("1.0-1", "1.0-2", Less),
            ("1.0-1", "1.0", Greater),
            ("1.0", "1.0-0", Equal),
            ("2.7", "2.6.1", Greater),
            ("1.01", "1.1", Equal),
            ("00:1", "1", Equal),
            (
                "1.99999999999999999999999",
                "1.100000000000000000000000",
                Less,
            ),
            ("1-2-3", "1-2-4", Less),
            ("", "0", Equal),
        ] {
            assert_eq!(compare(a, b), want, "{a} vs {b}");
            assert_eq!(compare(b, a), want.reverse(), "{b} vs {a}");
        }
    }
}
