//! `Packages` indexes (and dpkg's status file, the same format): decompressing them within
//! a budget, and reading their deb822 paragraphs in one pass over the bytes.

use std::io::{Read, Write};

/// The largest decompressed index accepted: Debian's largest is ~60 MB.
pub const MAX_DECOMPRESSED: u64 = 512 << 20;

/// One package version of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// `Package:`.
    pub name: String,
    /// `Version:`.
    pub version: String,
    /// `Architecture:` (`amd64`, `all`).
    pub architecture: String,
    /// `Filename:`, below the archive's URI.
    pub filename: String,
    /// `Size:` of the `.deb`.
    pub size: Option<u64>,
    /// `SHA256:` of the `.deb`.
    pub sha256: String,
    /// `Depends:`, as written.
    pub depends: String,
    /// `Pre-Depends:`, as written.
    pub pre_depends: String,
    /// The names `Provides:` lists (versions and architectures left out).
    pub provides: Vec<String>,
    /// `Priority:` (`required`, `optional`, …).
    pub priority: String,
    /// `Multi-Arch:` (`same`, `foreign`, `allowed`).
    pub multi_arch: String,
    /// dpkg status only: `Status:`.
    pub status: String,
}

/// `bytes`, decompressed as `path`'s extension says (`.xz`, `.gz`, else as is), failing
/// past `cap` decompressed bytes.
pub fn decompress(path: &str, bytes: &[u8], cap: u64) -> Result<Vec<u8>, String> {
    let mut out = Capped {
        buf: Vec::new(),
        cap,
    };
    let result = if path.ends_with(".xz") {
        lzma_rs::xz_decompress(&mut &bytes[..], &mut out).map_err(|e| match e {
            lzma_rs::error::Error::IoError(e) => e.to_string(),
            e => format!("not valid xz: {e}"),
        })
    } else if path.ends_with(".gz") {
        let mut d = flate2::read::MultiGzDecoder::new(bytes).take(cap.saturating_add(1));
        let mut buf = Vec::new();
        d.read_to_end(&mut buf)
            .map_err(|e| format!("not valid gzip: {e}"))
            .and_then(|_| out.write_all(&buf).map_err(|e| e.to_string()))
    } else {
        out.write_all(bytes).map_err(|e| e.to_string())
    };
    result.map(|()| out.buf)
}

/// A writer that refuses to grow past its cap.
struct Capped {
    buf: Vec<u8>,
    cap: u64,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if (self.buf.len() + data.len()) as u64 > self.cap {
            return Err(std::io::Error::other(format!(
                "decompressed, the index is larger than the {} MiB limit",
                self.cap >> 20
            )));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every paragraph of a `Packages` (or status) file that names a package and a version.
/// Lines are split at their first `:`; continuation lines (a leading space or tab) are
/// skipped, as no field read here spans lines; bytes that are not UTF-8 are replaced.
pub fn parse_packages(bytes: &[u8]) -> Vec<Package> {
    let mut out = Vec::new();
    let mut p = Package::default();
    let mut any = false;
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            if any && !p.name.is_empty() && !p.version.is_empty() {
                out.push(std::mem::take(&mut p));
            } else {
                p = Package::default();
            }
            any = false;
            continue;
        }
        any = true;
        if line[0] == b' ' || line[0] == b'\t' || line[0] == b'#' {
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (key, value) = (&line[..colon], trim(&line[colon + 1..]));
        let text = || String::from_utf8_lossy(value).into_owned();
        match key {
            b"Package" => p.name = text(),
            b"Version" => p.version = text(),
            b"Architecture" => p.architecture = text(),
            b"Filename" => p.filename = text(),
            b"Size" => p.size = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()),
            b"SHA256" => p.sha256 = text(),
            b"Depends" => p.depends = text(),
            b"Pre-Depends" => p.pre_depends = text(),
            b"Provides" => p.provides = provided(&text()),
            b"Priority" => p.priority = text(),
            b"Multi-Arch" => p.multi_arch = text(),
            b"Status" => p.status = text(),
            _ => {}
        }
    }
    if any && !p.name.is_empty() && !p.version.is_empty() {
        out.push(p);
    }
    out
}

/// The names in `Provides: a (= 1), b:any`.
fn provided(v: &str) -> Vec<String> {
    v.split(',')
        .filter_map(|item| {
            let name = item.split(['(', ' ']).find(|s| !s.is_empty())?;
            let name = name.split(':').next().unwrap_or(name).trim();
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs() {
        let text = b"Package: hello\r\nVersion: 1.0-1\nArchitecture: amd64\nDescription: x\n y\n .\n\
Provides: greeter (= 1), hi:any\nSize: 12\n\n\n\nPackage: broken\n\nVersion: 2\n\nPackage: doc\nVersion: 1\nArchitecture: all";
        let p = parse_packages(text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "hello");
        assert_eq!(p[0].version, "1.0-1");
        assert_eq!(p[0].provides, ["greeter", "hi"]);
        assert_eq!(p[0].size, Some(12));
        assert_eq!(p[1].architecture, "all");
        assert!(parse_packages(b"").is_empty());
        assert!(parse_packages(b":\n\xff\xfe: x\n \n").is_empty());
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = b"Package: Version:\n \t:()=,~\xff\xfe\r";
        for _ in 0..2000 {
            let len = rng.usize(0..200);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            let _ = parse_packages(&bytes);
            for name in ["P.xz", "P.gz", "P"] {
                let _ = decompress(name, &bytes, 1 << 20);
            }
        }
        // A long line, and a paragraph of a million fields, stay linear.
        let mut big = b"Package: a\nVersion: 1\nProvides: ".to_vec();
        big.extend(std::iter::repeat_n(b"x, ".as_slice(), 100_000).flatten());
        big.extend(b"\n");
        big.extend(std::iter::repeat_n(b"X-Field: y\n".as_slice(), 1_000_000).flatten());
        assert_eq!(parse_packages(&big).len(), 1);
    }

    #[test]
    fn decompression_is_capped() {
        let plain = vec![b'a'; 10_000];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(decompress("P.gz", &gz, 10_000).unwrap(), plain);
        assert!(decompress("P.gz", &gz, 9_999).is_err());
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &plain[..], &mut xz).unwrap();
        assert_eq!(decompress("P.xz", &xz, 10_000).unwrap(), plain);
        assert!(decompress("P.xz", &xz, 100).unwrap_err().contains("limit"));
        assert!(decompress("P.xz", b"garbage", 100).is_err());
        assert!(decompress("P.gz", b"garbage", 100).is_err());
        assert!(decompress("P", b"abc", 2).is_err());
    }
}
