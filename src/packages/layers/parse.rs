//! Reading one layer's tar stream, keeping only what [`wanted`] names and the whiteouts
//! that can remove such paths.
//!
//! The stream is read once, front to back, and never held whole: entries that are not
//! kept are skipped as they pass. Whiteouts follow the OCI image spec ("Whiteouts"):
//! `.wh.<name>` removes `<name>` from lower layers, `.wh..wh..opq` hides everything lower
//! in its directory, and other `.wh..wh.` names are implementation metadata (aufs).

use std::io::{self, Read};
use std::time::Instant;

use crate::packages::{normalize, wanted};

use super::layer::Layer;

/// A kept regular file larger than this makes the layer unreadable.
pub const FILE_CAP: u64 = 16 << 20;
/// At most this many bytes of kept files per layer.
pub const LAYER_CAP: usize = 64 << 20;
/// Tar metadata entries (GNU long names, PAX headers) larger than this are refused: the
/// tar reader holds them in memory.
const META_CAP: u64 = 1 << 20;
/// Longer paths or link targets are skipped: no file that matters has one.
const PATH_CAP: usize = 4096;

/// Paths, one per place, that [`wanted`] keeps; a whiteout or a replacement at one of their
/// directories matters. Kept in step with `wanted` by a test.
const PROBES: &[&str] = &[
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/apt/sources.list",
    "/etc/apt/preferences",
    "/var/lib/dpkg/status",
    "/etc/apk/repositories",
    "/etc/apk/arch",
    "/lib/apk/db/installed",
    "/usr/lib/apk/db/installed",
    "/etc/apt/sources.list.d/_",
    "/etc/apt/apt.conf.d/_",
    "/etc/apt/preferences.d/_",
];

/// How a layer blob is compressed, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression of a layer media type; `None` for one that is not a tar layer this
    /// reader knows (encrypted, or another kind of artifact).
    pub fn of(media_type: &str) -> Option<Compression> {
        let t = media_type.trim().to_ascii_lowercase();
        if t.contains("+encrypted") {
            return None;
        }
        let known = t.starts_with("application/vnd.oci.image.layer.")
            || t.starts_with("application/vnd.docker.image.rootfs.");
        if !known {
            return None;
        }
        if t.ends_with("+gzip") || t.ends_with(".tar.gzip") {
            Some(Compression::Gzip)
        } else if t.ends_with("+zstd") || t.ends_with(".tar.zstd") {
            Some(Compression::Zstd)
        } else if t.ends_with(".tar") {
            Some(Compression::None)
        } else {
            None
        }
    }
}

/// Whether `path` is a directory above something [`wanted`] keeps.
pub fn holds_wanted(path: &str) -> bool {
    path == "/"
        || PROBES.iter().any(|w| {
            w.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Read a layer blob's bytes (`compressed` as `compression`) until the tar ends. Fails on
/// a corrupt stream, a kept file over the caps, or once `deadline` has passed.
pub fn read_layer(
    compressed: impl Read,
    compression: Compression,
    deadline: Instant,
) -> Result<Layer, String> {
    let stream: Box<dyn Read> = match compression {
        Compression::None => Box::new(compressed),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(compressed)),
        Compression::Zstd => Box::new(super::zstd::Frames::new(compressed)),
    };
    let guarded = Guard::new(stream, deadline);
    read_tar(guarded).map_err(|e| match e.kind() {
        io::ErrorKind::TimedOut => "the deadline passed while reading the layer".to_string(),
        _ => format!("the layer is not a readable tar stream: {e}"),
    })
}

fn read_tar(stream: impl Read) -> io::Result<Layer> {
    let mut layer = Layer::default();
    let mut archive = tar::Archive::new(stream);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path_bytes();
        if raw.len() > PATH_CAP {
            continue;
        }
        let Some(path) = std::str::from_utf8(&raw).ok().and_then(normalize) else {
            continue;
        };
        let (dir, name) = match path.rsplit_once('/') {
            Some(("", name)) => ("/", name),
            Some((dir, name)) => (dir, name),
            None => continue,
        };
        if name == ".wh..wh..opq" {
            if holds_wanted(dir) {
                layer.opaque.insert(dir.to_string());
            }
            continue;
        }
        if name.starts_with(".wh..wh.") {
            continue;
        }
        if let Some(gone) = name.strip_prefix(".wh.") {
            let gone = match dir {
                "/" => format!("/{gone}"),
                _ => format!("{dir}/{gone}"),
            };
            if let Some(gone) = normalize(&gone).filter(|g| wanted(g) || holds_wanted(g)) {
                layer.whiteouts.insert(gone);
            }
            continue;
        }
        let is_wanted = wanted(&path);
        let above = holds_wanted(&path);
        if !is_wanted && !above {
            continue;
        }
        // Whatever this entry is, it replaces what this layer had at the path before.
        layer.files.remove(&path);
        layer.links.remove(&path);
        layer.hardlinks.remove(&path);
        layer.mtimes.remove(&path);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            layer.dirs.insert(path);
            continue;
        }
        if above {
            // A file or link where lower layers may have a directory of wanted files.
            layer.whiteouts.insert(path.clone());
        }
        let mtime = entry.header().mtime().ok();
        let link_target = || -> Option<String> {
            let t = entry.link_name_bytes()?;
            (t.len() <= PATH_CAP)
                .then(|| String::from_utf8(t.into_owned()).ok())
                .flatten()
        };
        if kind.is_symlink() {
            if let Some(target) = link_target() {
                layer.links.insert(path, target);
            }
        } else if kind.is_hard_link() {
            let Some(target) = link_target().as_deref().and_then(normalize) else {
                continue;
            };
            if !is_wanted {
                continue;
            }
            if let Some(bytes) = layer.files.get(&target).cloned() {
                keep(&mut layer, path.clone(), bytes)?;
            } else {
                layer.hardlinks.insert(path.clone(), target);
            }
            if let Some(m) = mtime {
                layer.mtimes.insert(path, m);
            }
        } else if (kind.is_file() || kind.is_contiguous()) && is_wanted {
            let size = entry.header().entry_size().unwrap_or(u64::MAX);
            if size > FILE_CAP {
                return Err(too_large(&path, size));
            }
            let mut bytes = Vec::with_capacity(size as usize);
            (&mut entry).take(FILE_CAP + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > FILE_CAP {
                return Err(too_large(&path, bytes.len() as u64));
            }
            keep(&mut layer, path.clone(), bytes)?;
            if let Some(m) = mtime {
                layer.mtimes.insert(path, m);
            }
        }
        // Devices, fifos and the like at a wanted path only remove the lower file.
    }
    Ok(layer)
}

fn keep(layer: &mut Layer, path: String, bytes: Vec<u8>) -> io::Result<()> {
    if layer.kept_bytes() + bytes.len() > LAYER_CAP {
        return Err(io::Error::other(format!(
            "its files that matter add up to more than {} MiB",
            LAYER_CAP >> 20
        )));
    }
    layer.files.insert(path, bytes);
    Ok(())
}

fn too_large(path: &str, size: u64) -> io::Error {
    io::Error::other(format!(
        "{path} is {size} bytes, more than the {} MiB a file may have here",
        FILE_CAP >> 20
    ))
}

/// Sits between the decompressor and the tar reader: stops at the deadline (a
/// decompression bomb costs time, not memory), and refuses tar metadata entries large
/// enough to exhaust memory before the tar reader buffers them.
///
/// It follows the 512-byte block structure of the archive (POSIX ustar, with GNU's old
/// sparse extension headers) to know where each header starts.
struct Guard<R> {
    inner: R,
    deadline: Instant,
    /// The current header block, as far as read, and how much of it the caller has had.
    block: [u8; 512],
    filled: usize,
    served: usize,
    /// Whether the block being filled is a header (else a GNU sparse extension block).
    extension: bool,
    /// Bytes of entry data (padded to whole blocks) still to pass through.
    data: u64,
    /// The data of a sparse entry, which follows its extension blocks.
    pending_data: u64,
}

impl<R: Read> Guard<R> {
    fn new(inner: R, deadline: Instant) -> Self {
        Guard {
            inner,
            deadline,
            block: [0; 512],
            filled: 0,
            served: 0,
            extension: false,
            data: 0,
            pending_data: 0,
        }
    }

    /// Inspect a complete block: set up how much data follows it.
    fn inspect(&mut self) -> io::Result<()> {
        let b = &self.block;
        if self.extension {
            // An old-GNU sparse extension block: more of them follow while byte 504 is set.
            self.extension = b[504] != 0;
            if !self.extension {
                self.data = self.pending_data;
            }
            return Ok(());
        }
        if b.iter().all(|&x| x == 0) {
            return Ok(());
        }
        let size = octal_or_binary(&b[124..136]).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidData, "bad size in a tar header")
        })?;
        let kind = b[156];
        if matches!(kind, b'L' | b'K' | b'x' | b'g' | b'X') && size > META_CAP {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a tar metadata entry of {size} bytes"),
            ));
        }
        let padded = size.div_ceil(512).saturating_mul(512);
        if kind == b'S' && b[482] != 0 {
            self.extension = true;
            self.pending_data = padded;
        } else {
            self.data = padded;
        }
        Ok(())
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() > self.deadline {
            return Err(io::ErrorKind::TimedOut.into());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if self.data > 0 && self.served == self.filled {
            let want = buf
                .len()
                .min(usize::try_from(self.data).unwrap_or(usize::MAX));
            let n = self.inner.read(&mut buf[..want])?;
            self.data -= n as u64;
            return Ok(n);
        }
        if self.served == self.filled {
            // At a block boundary: read the next block whole before handing any of it out.
            self.filled = 0;
            self.served = 0;
            while self.filled < 512 {
                let n = self.inner.read(&mut self.block[self.filled..])?;
                if n == 0 {
                    break;
                }
                self.filled += n;
            }
            if self.filled == 512 {
                self.inspect()?;
            }
        }
        let n = buf.len().min(self.filled - self.served);
        buf[..n].copy_from_slice(&self.block[self.served..self.served + n]);
        self.served += n;
        Ok(n)
    }
}

/// A tar numeric field: octal text, or GNU's base-256 when the high bit is set.
fn octal_or_binary(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_wanted() {
        for p in PROBES {
            assert!(wanted(p), "{p}");
        }
        assert!(holds_wanted("/etc"));
        assert!(holds_wanted("/etc/apt/sources.list.d"));
        assert!(holds_wanted("/usr/lib"));
        assert!(!holds_wanted("/etc/apt/sources.list"));
        assert!(!holds_wanted("/et"));
        assert!(!holds_wanted("/home"));
    }

    #[test]
    fn media_types() {
        use Compression::*;
        for (t, want) in [
            ("application/vnd.oci.image.layer.v1.tar+gzip", Some(Gzip)),
            (
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                Some(Gzip),
            ),
            ("application/vnd.oci.image.layer.v1.tar+zstd", Some(Zstd)),
            ("application/vnd.oci.image.layer.v1.tar", Some(None)),
            (
                "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
                Option::None,
            ),
            ("application/vnd.oci.image.layer.v1.tar+bzip2", Option::None),
            ("application/octet-stream", Option::None),
        ] {
            assert_eq!(Compression::of(t), want, "{t}");
        }
    }

    fn tar_of(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        b.into_inner().unwrap()
    }

    fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, body: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, body).unwrap();
    }

    fn far() -> Instant {
        Instant::now() + std::time::Duration::from_secs(60)
    }

    #[test]
    fn keeps_wanted_files_and_whiteouts_only() {
        let bytes = tar_of(|b| {
            file(b, "./etc/os-release", b"ID=x\n");
            file(b, "usr/bin/tool", b"binary");
            file(b, "etc/apt/.wh.sources.list", b"");
            file(b, "etc/.wh.apk", b"");
            file(b, "usr/share/.wh.doc", b"");
            file(b, "etc/apt/sources.list.d/.wh..wh..opq", b"");
            file(b, ".wh.var", b"");
        });
        let layer = read_layer(&bytes[..], Compression::None, far()).unwrap();
        assert_eq!(layer.files.keys().collect::<Vec<_>>(), ["/etc/os-release"]);
        assert_eq!(layer.mtimes["/etc/os-release"], 1_700_000_000);
        let whiteouts: Vec<&str> = layer.whiteouts.iter().map(String::as_str).collect();
        assert_eq!(whiteouts, ["/etc/apk", "/etc/apt/sources.list", "/var"]);
        assert!(layer.opaque.contains("/etc/apt/sources.list.d"));
    }

    #[test]
    fn traversal_stays_in_the_image_and_caps_hold() {
        let bytes = tar_of(|b| {
            let mut h = tar::Header::new_gnu();
            h.set_size(3);
            h.set_entry_type(tar::EntryType::Regular);
            // `append_data` refuses `..`; write the name into the header directly.
            h.as_gnu_mut().unwrap().name[..30]
                .copy_from_slice(b"../../etc/apk/repositories\0\0\0\0");
            h.set_cksum();
            b.append(&h, &b"abc"[..]).unwrap();
        });
        let layer = read_layer(&bytes[..], Compression::None, far()).unwrap();
        assert_eq!(layer.files["/etc/apk/repositories"], b"abc");

        let big = vec![0u8; (FILE_CAP + 1) as usize];
        let bytes = tar_of(|b| file(b, "var/lib/dpkg/status", &big));
        let err = read_layer(&bytes[..], Compression::None, far()).unwrap_err();
        assert!(err.contains("more than the 16 MiB"), "{err}");
    }

    #[test]
    fn huge_metadata_entries_are_refused_before_they_are_read() {
        let mut h = tar::Header::new_gnu();
        h.set_size(1 << 40);
        h.set_entry_type(tar::EntryType::GNULongName);
        h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
        h.set_cksum();
        let mut bytes = h.as_bytes().to_vec();
        bytes.extend(std::iter::repeat_n(b'a', 4096));
        let err = read_layer(&bytes[..], Compression::None, far()).unwrap_err();
        assert!(err.contains("metadata entry"), "{err}");
    }

    #[test]
    fn garbage_and_a_passed_deadline_are_errors() {
        assert!(read_layer(&b"not a tar at all"[..], Compression::Gzip, far()).is_err());
        assert!(read_layer(
            &[0x28, 0xb5, 0x2f, 0xfd, 0xff][..],
            Compression::Zstd,
            far()
        )
        .is_err());
        let bytes = tar_of(|b| file(b, "etc/os-release", b"ID=x\n"));
        let past = Instant::now() - std::time::Duration::from_secs(1);
        let err = read_layer(&bytes[..], Compression::None, past).unwrap_err();
        assert!(err.contains("deadline"), "{err}");
    }

    proptest::proptest! {
        /// Layer bytes come from the network: never a panic, whatever they are.
        #[test]
        fn any_bytes_are_handled(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
                let _ = read_layer(&bytes[..], c, far());
            }
        }
    }
}
