//! The top level of a compose file as the compose specification's schema allows it: the
//! known sections and `x-` extensions. A file with services at the top level (the version 1
//! format, which compose no longer reads) is named as such rather than read as empty.

use crate::builds::yaml::Node;
use crate::builds::{excerpt, Error};
use std::path::Path;

/// The top-level keys the compose specification defines.
const SECTIONS: [&str; 9] = [
    "version", "name", "include", "services", "networks", "volumes", "secrets", "configs", "models",
];

/// Refuse a top-level key compose's schema refuses; a file that looks like version 1 is
/// told so, with the fix.
pub(super) fn check_top_level(path: &Path, doc: &Node) -> Result<(), Error> {
    let looks_like_service =
        |n: &Node| n.is_map() && (n.get("image").is_some() || n.get("build").is_some());
    for (key, value) in doc.entries() {
        let name = key.as_str().unwrap_or_default();
        if SECTIONS.contains(&name) || name.starts_with("x-") {
            continue;
        }
        if doc.get("services").is_none() && looks_like_service(value) {
            return Err(Error::new(
                path,
                key.line,
                format!(
                    "this is a version 1 compose file: service {} is at the top level, not under `services:`",
                    excerpt(name)
                ),
            )
            .with_help(
                "compose no longer reads the version 1 format; move the services under a \
                 top-level `services:` key",
            ));
        }
        return Err(Error::new(
            path,
            key.line,
            format!("unknown top-level key {} in a compose file", excerpt(name)),
        )
        .with_help(
            "a compose file's top level holds services, networks, volumes, secrets, configs, \
             include, name and x- extensions",
        ));
    }
    Ok(())
}
