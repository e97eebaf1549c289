//! What one layer contributes to [`ImageFiles`], and applying layers in order.
//!
//! The OCI image spec's layer rules: a layer's whiteouts (`.wh.<name>`, and the opaque
//! marker `.wh..wh..opq`) remove paths of the layers *below* it, never its own entries; a
//! non-directory entry replaces whatever the lower layers had at its path, a directory
//! included (with everything under it).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::packages::ImageFiles;

/// One layer's kept entries and the lower paths it removes. Paths are absolute and
/// normalized; directories are named without a trailing `/` (the root as `/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Wanted regular files, with their bytes.
    #[serde(with = "base64_map")]
    pub files: BTreeMap<String, Vec<u8>>,
    /// Symbolic links at wanted paths or at directories above them, with their targets.
    pub links: BTreeMap<String, String>,
    /// Each kept file's modification time.
    pub mtimes: BTreeMap<String, u64>,
    /// Wanted paths that are hard links to a file of a lower layer: path → target.
    pub hardlinks: BTreeMap<String, String>,
    /// Lower paths removed with everything under them: whiteouts, and directories
    /// replaced by a file or a link.
    pub whiteouts: BTreeSet<String>,
    /// Directories whose lower contents are hidden (`.wh..wh..opq`).
    pub opaque: BTreeSet<String>,
    /// Directories this layer creates: a lower file or link at the same path is replaced.
    pub dirs: BTreeSet<String>,
}

impl Layer {
    /// Bytes of file content kept, for the per-layer cap.
    pub fn kept_bytes(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }
}

/// Apply `layer` on top of `image` (the lower layers, already applied).
pub fn apply(image: &mut ImageFiles, layer: &Layer) {
    // Hard links name a file as the lower layers have it, before this layer removes anything.
    let linked: Vec<(String, Vec<u8>, Option<u64>)> = layer
        .hardlinks
        .iter()
        .filter_map(|(path, target)| {
            let bytes = image.files.get(target)?.clone();
            Some((path.clone(), bytes, image.mtimes.get(target).copied()))
        })
        .collect();
    for path in &layer.whiteouts {
        remove(image, path, true);
    }
    for dir in &layer.opaque {
        remove_below(image, dir);
    }
    for dir in &layer.dirs {
        remove(image, dir, false);
    }
    for (path, bytes, mtime) in linked {
        remove(image, &path, false);
        if let Some(m) = layer.mtimes.get(&path).copied().or(mtime) {
            image.mtimes.insert(path.clone(), m);
        }
        image.files.insert(path, bytes);
    }
    for (path, bytes) in &layer.files {
        remove(image, path, false);
        image.files.insert(path.clone(), bytes.clone());
        if let Some(m) = layer.mtimes.get(path) {
            image.mtimes.insert(path.clone(), *m);
        }
    }
    for (path, target) in &layer.links {
        remove(image, path, false);
        image.links.insert(path.clone(), target.clone());
    }
}

/// Remove `path` itself, and everything under it when `subtree`.
fn remove(image: &mut ImageFiles, path: &str, subtree: bool) {
    image.files.remove(path);
    image.links.remove(path);
    image.mtimes.remove(path);
    if subtree {
        remove_below(image, path);
    }
}

/// Remove everything under the directory `dir` (not `dir` itself).
fn remove_below(image: &mut ImageFiles, dir: &str) {
    let prefix = if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    };
    for p in keys_below(&image.files, &prefix) {
        image.files.remove(&p);
    }
    for p in keys_below(&image.links, &prefix) {
        image.links.remove(&p);
    }
    for p in keys_below(&image.mtimes, &prefix) {
        image.mtimes.remove(&p);
    }
}

fn keys_below<V>(map: &BTreeMap<String, V>, prefix: &str) -> Vec<String> {
    map.range(prefix.to_string()..)
        .take_while(|(p, _)| p.starts_with(prefix))
        .map(|(p, _)| p.clone())
        .collect()
}

/// File contents as base64 in the cache's JSON (a dpkg status file is megabytes).
mod base64_map {
    use std::collections::BTreeMap;

    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

    pub fn serialize<S: Serializer>(
        map: &BTreeMap<String, Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let encoded: BTreeMap<&str, String> = map
            .iter()
            .map(|(k, v)| (k.as_str(), B64.encode(v)))
            .collect();
        encoded.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        let encoded = BTreeMap::<String, String>::deserialize(d)?;
        encoded
            .into_iter()
            .map(|(k, v)| {
                B64.decode(v.as_bytes())
                    .map(|b| (k, b))
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(p, b)| (p.to_string(), b.as_bytes().to_vec()))
            .collect()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whiteouts_remove_lower_paths_and_subtrees() {
        let mut image = ImageFiles::default();
        let base = Layer {
            files: files(&[
                ("/etc/apt/sources.list", "a"),
                ("/etc/apt/sources.list.d/x.list", "x"),
                ("/etc/apt/sources.list.d/y.list", "y"),
                ("/etc/apk/repositories", "r"),
                ("/etc/os-release", "o"),
            ]),
            ..Layer::default()
        };
        apply(&mut image, &base);
        let upper = Layer {
            files: files(&[("/etc/apt/sources.list.d/z.list", "z")]),
            whiteouts: set(&["/etc/apt/sources.list", "/etc/apk"]),
            opaque: set(&["/etc/apt/sources.list.d"]),
            ..Layer::default()
        };
        apply(&mut image, &upper);
        let left: Vec<&str> = image.files.keys().map(String::as_str).collect();
        assert_eq!(left, ["/etc/apt/sources.list.d/z.list", "/etc/os-release"]);
    }

    #[test]
    fn a_root_opaque_hides_everything_lower_and_links_replace_files() {
        let mut image = ImageFiles::default();
        apply(
            &mut image,
            &Layer {
                files: files(&[("/etc/os-release", "o"), ("/usr/lib/os-release", "u")]),
                ..Layer::default()
            },
        );
        apply(
            &mut image,
            &Layer {
                links: [("/etc/os-release".into(), "../usr/lib/os-release".into())].into(),
                ..Layer::default()
            },
        );
        assert_eq!(image.read("/etc/os-release"), Some(&b"u"[..]));
        assert!(!image.files.contains_key("/etc/os-release"));
        apply(
            &mut image,
            &Layer {
                opaque: set(&["/"]),
                ..Layer::default()
            },
        );
        assert_eq!(image, ImageFiles::default());
    }

    #[test]
    fn hard_links_take_the_lower_file() {
        let mut image = ImageFiles::default();
        apply(
            &mut image,
            &Layer {
                files: files(&[("/usr/lib/os-release", "u")]),
                mtimes: [("/usr/lib/os-release".into(), 7)].into(),
                ..Layer::default()
            },
        );
        apply(
            &mut image,
            &Layer {
                hardlinks: [("/etc/os-release".into(), "/usr/lib/os-release".into())].into(),
                whiteouts: set(&["/usr/lib/os-release"]),
                ..Layer::default()
            },
        );
        assert_eq!(image.files["/etc/os-release"], b"u");
        assert_eq!(image.mtimes["/etc/os-release"], 7);
        assert!(!image.files.contains_key("/usr/lib/os-release"));
    }
}
