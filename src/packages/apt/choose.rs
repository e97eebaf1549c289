//! The version apt would install for a named package: its default candidate (the pin
//! priorities of apt_preferences(5) with no preferences file), or the version or release
//! the request names.
//!
//! Priorities, as apt's policy assigns them: 500 for a version from an ordinary archive,
//! 1 from a `NotAutomatic: yes` archive, 100 from one that also says
//! `ButAutomaticUpgrades: yes`, 990 from the target release (`-t`), and 100 for the
//! installed version (dpkg's status file). The highest priority wins, then the highest
//! version; a version below the installed one is never chosen (that would take a
//! priority of 1000 or more, which only a preferences file gives).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::index::Package;
use super::release::Release;
use crate::packages::debversion;
use crate::packages::Request;

/// The version chosen for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// The package chosen (the provider, when a virtual package was named).
    pub name: String,
    /// The version apt would install (or keep).
    pub version: String,
    /// `amd64`, …, or `all`.
    pub architecture: String,
    /// The Suite of the Release it comes from (`now` for an installed version no index
    /// lists).
    pub suite: String,
    /// The archive's URI it was found under (the snapshot URI when locked at a snapshot),
    /// userinfo masked; `filename` is below it. Empty when no index lists it.
    pub archive: String,
    /// Below the archive's URI (`pool/main/h/hello/hello_1.0-1_amd64.deb`); empty when no
    /// index lists it.
    pub filename: String,
    /// The `.deb`'s SHA256 from the index; empty when no index lists it.
    pub sha256: String,
    /// The candidate is the installed version: nothing is downloaded.
    pub installed: bool,
    /// The virtual package requested, when this package is its only provider.
    pub provides_for: Option<String>,
}

/// Why no version could be chosen. `place` is "the snapshot" or "the archive".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoChoice {
    /// No package (real or virtual) of that name for the architecture.
    Missing { name: String, arch: String },
    /// `name=version`, and no index lists that version.
    Version { name: String, version: String },
    /// `name/release`, and that release has no version of it.
    Release { name: String, release: String },
    /// A virtual package with several providers (sorted).
    Virtual {
        name: String,
        providers: Vec<String>,
    },
}

/// A version, its priority, and the index entry it was found in (none for an installed
/// version no index lists).
type Ranked<'a> = (String, i32, Option<&'a (usize, Package)>);

/// The indexes fetched, with the Release each came from.
#[derive(Debug, Default)]
pub struct Pool {
    releases: Vec<Release>,
    /// The archive URI each release was fetched from, as shown.
    archives: Vec<String>,
    /// Package → (release index, package), in the order added.
    by_name: HashMap<String, Vec<(usize, Package)>>,
    /// Virtual name → the packages providing it.
    providers: HashMap<String, BTreeSet<String>>,
}

impl Pool {
    /// Add a Release fetched from the archive at `archive`; returns its index for
    /// [`Pool::add_packages`].
    pub fn add_release(&mut self, release: Release, archive: &str) -> usize {
        self.releases.push(release);
        self.archives.push(crate::sources::redact::redact(
            archive.trim_end_matches('/'),
        ));
        self.releases.len() - 1
    }

    /// Add the packages of one index of release `r`.
    pub fn add_packages(&mut self, r: usize, packages: Vec<Package>) {
        for p in packages {
            for v in &p.provides {
                self.providers
                    .entry(v.clone())
                    .or_default()
                    .insert(p.name.clone());
            }
            let list = self.by_name.entry(p.name.clone()).or_default();
            let dup = list.iter().any(|(i, q)| {
                *i == r && q.version == p.version && q.architecture == p.architecture
            });
            if !dup {
                list.push((r, p));
            }
        }
    }

    /// The version apt would choose for `request` on `arch` (the request's `:arch` wins),
    /// with `installed` (name → version) as dpkg's status, and `target` as `-t`.
    pub fn choose(
        &self,
        request: &Request,
        arch: &str,
        installed: &BTreeMap<String, String>,
        target: Option<&str>,
    ) -> Result<Locked, NoChoice> {
        let arch = request.arch.as_deref().unwrap_or(arch);
        match self.choose_real(&request.name, request, arch, installed, target)? {
            Some(l) => Ok(l),
            None => {
                let providers: Vec<String> = self
                    .providers
                    .get(&request.name)
                    .into_iter()
                    .flatten()
                    .filter(|p| !self.candidates(p, arch).is_empty())
                    .cloned()
                    .collect();
                match providers.as_slice() {
                    [one] => {
                        let mut l = self
                            .choose_real(one, request, arch, installed, target)?
                            .ok_or_else(|| NoChoice::Missing {
                                name: request.name.clone(),
                                arch: arch.to_string(),
                            })?;
                        l.provides_for = Some(request.name.clone());
                        Ok(l)
                    }
                    [] => Err(NoChoice::Missing {
                        name: request.name.clone(),
                        arch: arch.to_string(),
                    }),
                    _ => Err(NoChoice::Virtual {
                        name: request.name.clone(),
                        providers,
                    }),
                }
            }
        }
    }

    /// The versions of `name` installable on `arch`.
    fn candidates(&self, name: &str, arch: &str) -> Vec<&(usize, Package)> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .filter(|(_, p)| p.architecture == arch || p.architecture == "all")
            .collect()
    }

    /// `Ok(None)` when no index lists `name` for `arch` (and it is not installed).
    fn choose_real(
        &self,
        name: &str,
        request: &Request,
        arch: &str,
        installed: &BTreeMap<String, String>,
        target: Option<&str>,
    ) -> Result<Option<Locked>, NoChoice> {
        let mut cands = self.candidates(name, arch);
        let now = installed.get(name).map(String::as_str);
        if cands.is_empty() && now.is_none() {
            return Ok(None);
        }
        if let Some(release) = &request.release {
            cands.retain(|(r, _)| self.releases[*r].is(release));
            if cands.is_empty() {
                return Err(NoChoice::Release {
                    name: name.to_string(),
                    release: release.clone(),
                });
            }
        }
        if let Some(want) = &request.version {
            let want = &want.version;
            cands.retain(|(_, p)| debversion::compare(&p.version, want) == Ordering::Equal);
            if cands.is_empty() {
                if now.is_some_and(|v| debversion::compare(v, want) == Ordering::Equal) {
                    return Ok(Some(self.locked(name, want, arch, None, true)));
                }
                return Err(NoChoice::Version {
                    name: name.to_string(),
                    version: want.clone(),
                });
            }
        }
        if request.release.is_some() || request.version.is_some() {
            // The named release or version decides; among what is left, the highest version.
            let best = cands
                .iter()
                .max_by(|a, b| debversion::compare(&a.1.version, &b.1.version))
                .map(|c| (c.1.version.clone(), *c));
            let Some((v, c)) = best else {
                return Ok(None);
            };
            let is_now = now.is_some_and(|n| debversion::compare(n, &v) == Ordering::Equal);
            return Ok(Some(self.locked(name, &v, arch, Some(c), is_now)));
        }
        // Every version with its priority: the highest of the files it comes from.
        let mut versions: Vec<Ranked> = Vec::new();
        for c in &cands {
            let prio = self.priority(&self.releases[c.0], target);
            match versions
                .iter_mut()
                .find(|(v, _, _)| debversion::compare(v, &c.1.version) == Ordering::Equal)
            {
                Some(entry) if prio > entry.1 => {
                    entry.1 = prio;
                    entry.2 = Some(c);
                }
                Some(_) => {}
                None => versions.push((c.1.version.clone(), prio, Some(c))),
            }
        }
        if let Some(now) = now {
            match versions
                .iter_mut()
                .find(|(v, _, _)| debversion::compare(v, now) == Ordering::Equal)
            {
                Some(entry) => entry.1 = entry.1.max(100),
                None => versions.push((now.to_string(), 100, None)),
            }
        }
        versions.sort_by(|a, b| debversion::compare(&b.0, &a.0));
        let mut best: Option<&Ranked> = None;
        for v in &versions {
            let below_now = now.is_some_and(|n| debversion::compare(&v.0, n) == Ordering::Less);
            if below_now && v.1 < 1000 {
                continue;
            }
            if best.is_none_or(|b| v.1 > b.1) {
                best = Some(v);
            }
        }
        let Some((v, _, c)) = best else {
            return Ok(None);
        };
        let is_now = now.is_some_and(|n| debversion::compare(n, v) == Ordering::Equal);
        Ok(Some(self.locked(name, v, arch, *c, is_now)))
    }

    fn priority(&self, r: &Release, target: Option<&str>) -> i32 {
        if target.is_some_and(|t| r.is(t)) {
            990
        } else if r.not_automatic && r.but_automatic_upgrades {
            100
        } else if r.not_automatic {
            1
        } else {
            500
        }
    }

    fn locked(
        &self,
        name: &str,
        version: &str,
        arch: &str,
        c: Option<&(usize, Package)>,
        installed: bool,
    ) -> Locked {
        match c {
            Some((r, p)) => Locked {
                name: p.name.clone(),
                version: p.version.clone(),
                architecture: p.architecture.clone(),
                suite: self.releases[*r].suite.clone(),
                archive: self.archives[*r].clone(),
                filename: p.filename.clone(),
                sha256: p.sha256.clone(),
                installed,
                provides_for: None,
            },
            None => Locked {
                name: name.to_string(),
                version: version.to_string(),
                architecture: arch.to_string(),
                suite: "now".into(),
                archive: String::new(),
                filename: String::new(),
                sha256: String::new(),
                installed,
                provides_for: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::Constraint;

    fn pkg(name: &str, version: &str, arch: &str, provides: &[&str]) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            architecture: arch.into(),
            provides: provides.iter().map(|s| s.to_string()).collect(),
            ..Package::default()
        }
    }

    fn release(suite: &str, na: bool, bau: bool) -> Release {
        Release {
            suite: suite.into(),
            codename: format!("{suite}-code"),
            not_automatic: na,
            but_automatic_upgrades: bau,
            ..Release::default()
        }
    }

    fn req(name: &str) -> Request {
        Request {
            name: name.into(),
            arch: None,
            version: None,
            release: None,
            span: 0..0,
        }
    }

    fn pool() -> Pool {
        let mut p = Pool::default();
        let stable = p.add_release(release("stable", false, false), "http://a/");
        let bpo = p.add_release(release("backports", true, true), "http://a");
        let exp = p.add_release(release("experimental", true, false), "http://u:p@a");
        p.add_packages(
            stable,
            vec![
                pkg("a", "1.0", "amd64", &[]),
                pkg("a", "1.0", "arm64", &[]),
                pkg("doc", "1", "all", &["docs"]),
                pkg("m1", "1", "amd64", &["mta"]),
                pkg("m2", "1", "amd64", &["mta"]),
            ],
        );
        p.add_packages(bpo, vec![pkg("a", "2.0", "amd64", &[])]);
        p.add_packages(exp, vec![pkg("a", "3.0", "amd64", &[])]);
        p
    }

    #[test]
    fn priorities_then_versions() {
        let p = pool();
        let none = BTreeMap::new();
        let pick = |r: &Request, inst: &BTreeMap<String, String>, t: Option<&str>| {
            p.choose(r, "amd64", inst, t)
                .map(|l| (l.version, l.installed))
        };
        assert_eq!(pick(&req("a"), &none, None), Ok(("1.0".into(), false)));
        assert_eq!(
            pick(&req("a"), &none, Some("backports")),
            Ok(("2.0".into(), false))
        );
        assert_eq!(
            pick(&req("a"), &none, Some("experimental-code")),
            Ok(("3.0".into(), false))
        );
        // Installed above 1.0 (500): never downgraded; backports' 2.0 ties with the
        // installed version at 100, and the higher version wins (backports upgrades).
        let between = BTreeMap::from([("a".to_string(), "1.5".to_string())]);
        assert_eq!(pick(&req("a"), &between, None), Ok(("2.0".into(), false)));
        let newer = BTreeMap::from([("a".to_string(), "9.0".to_string())]);
        assert_eq!(pick(&req("a"), &newer, None), Ok(("9.0".into(), true)));
        // Installed 2.0 (from backports): 2.0 at max(100, 100) loses to nothing newer
        // than it at 500, so it stays.
        let bp = BTreeMap::from([("a".to_string(), "2.0".to_string())]);
        assert_eq!(pick(&req("a"), &bp, None), Ok(("2.0".into(), true)));
        let older = BTreeMap::from([("a".to_string(), "0.9".to_string())]);
        assert_eq!(pick(&req("a"), &older, None), Ok(("1.0".into(), false)));
        let mut r = req("a");
        r.release = Some("experimental".into());
        assert_eq!(pick(&r, &none, None), Ok(("3.0".into(), false)));
        let mut r = req("a");
        r.version = Some(Constraint {
            op: "=".into(),
            version: "2.0".into(),
        });
        assert_eq!(pick(&r, &none, None), Ok(("2.0".into(), false)));
        r.version.as_mut().unwrap().version = "9".into();
        assert!(matches!(
            pick(&r, &none, None),
            Err(NoChoice::Version { .. })
        ));
        // The archive is shown without its userinfo.
        let l = p
            .choose(&req("a"), "amd64", &none, Some("experimental"))
            .unwrap();
        assert_eq!(l.archive, "http://***@a");
    }

    #[test]
    fn arch_all_and_virtual_packages() {
        let p = pool();
        let none = BTreeMap::new();
        let l = p.choose(&req("docs"), "arm64", &none, None).unwrap();
        assert_eq!(
            (l.name.as_str(), l.provides_for.as_deref()),
            ("doc", Some("docs"))
        );
        assert_eq!(
            p.choose(&req("mta"), "amd64", &none, None),
            Err(NoChoice::Virtual {
                name: "mta".into(),
                providers: vec!["m1".into(), "m2".into()]
            })
        );
        assert!(matches!(
            p.choose(&req("m1"), "arm64", &none, None),
            Err(NoChoice::Missing { .. })
        ));
        let mut r = req("a");
        r.arch = Some("arm64".into());
        assert_eq!(
            p.choose(&r, "amd64", &none, None).unwrap().architecture,
            "arm64"
        );
    }
}
