//! `ADD` sources, step 7: the source-policy rule that pins each locked source, one per
//! BuildKit identifier across the locks exported together.

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Failure};
use crate::lockfile::{Lock, SourcePin};

/// The attributes that pin one fetched source, merged across the locks exported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRule {
    pub attrs: BTreeMap<&'static str, String>,
    pub lock: String,
}

/// One rule per locked source, by BuildKit's identifier for it (the URL for HTTP,
/// `git://host/path#ref` for git); two locks pinning one identifier differently is an
/// error, as for images.
pub fn source_rules<'a>(
    locks: impl IntoIterator<Item = (String, &'a Lock)>,
) -> Result<BTreeMap<String, SourceRule>, Failure> {
    let mut rules: BTreeMap<String, SourceRule> = BTreeMap::new();
    let mut errors = Vec::new();
    for (here, lock) in locks {
        for (url, entry) in &lock.sources {
            let (identifier, attrs) = match &entry.pin {
                SourcePin::Http { checksum } => (
                    url.clone(),
                    BTreeMap::from([("http.checksum", checksum.to_string())]),
                ),
                SourcePin::Git { commit, .. } => {
                    let Ok(Some(g)) = crate::sources::gitref::parse_git_ref(url) else {
                        continue;
                    };
                    let attrs = BTreeMap::from([
                        ("git.checksum", commit.clone()),
                        ("git.fetchbycommit", "true".to_string()),
                    ]);
                    (g.identifier(), attrs)
                }
            };
            match rules.get(&identifier) {
                None => {
                    let lock = here.clone();
                    rules.insert(identifier, SourceRule { attrs, lock });
                }
                Some(rule) if rule.attrs == attrs => {}
                Some(rule) => errors.push(
                    Diagnostic::new(format!(
                        "source `{}` is locked to different pins in the locks exported together",
                        crate::sources::pins::shown(&identifier)
                    ))
                    .with_note(format!("{} in {}", entry_pin(&rule.attrs), rule.lock))
                    .with_note(format!("{} in {here}", entry.pin.shown()))
                    .with_help("run `dockerfile-lock update` on those Dockerfiles so they agree, or export them separately"),
                ),
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(Failure(errors))
    }
}

fn entry_pin(attrs: &BTreeMap<&'static str, String>) -> String {
    attrs
        .get("http.checksum")
        .or_else(|| attrs.get("git.checksum"))
        .cloned()
        .unwrap_or_default()
}
