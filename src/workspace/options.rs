//! The build a lock is for: `--build-arg`, `--platform` and `--target` turned into
//! [`BuildOptions`] (with what the lock recorded and `.dockerfile-lock.toml` beneath them),
//! `--env` for compose and bake interpolation, the warning for an unused build arg, and the
//! findings for a command line that asks for another build than the lock records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::discover::is_project;
use super::paths::Target;
use crate::builds::Env;
use crate::cli::BuildArgs;
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{self, BuildOptions};
use crate::lockfile::Lock;
use crate::platform::Platform;
use crate::report::{Code, Finding};

/// The environment compose and bake interpolation see: `--env` over the process's.
pub fn env(build: &BuildArgs) -> Result<Env, Diagnostic> {
    Ok(Env::from_process(parse_env(&build.env)?))
}

/// Build args BuildKit knows without an `ARG`: the proxy variables, the automatic platform
/// ARGs (a `--build-arg` overrides them in FROM), and BuildKit's own settings.
fn predefined_arg(name: &str) -> bool {
    const PROXY: [&str; 5] = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "FTP_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
    ];
    const PLATFORM: [&str; 8] = [
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    ];
    PROXY.iter().any(|p| name.eq_ignore_ascii_case(p))
        || PLATFORM.contains(&name)
        || name.starts_with("BUILDKIT_")
        || name == "SOURCE_DATE_EPOCH"
}

/// The warning docker build prints when a `--build-arg` names no `ARG` of the Dockerfile.
pub fn unconsumed_build_args(
    path: &Path,
    source: &[u8],
    options: &BuildOptions,
) -> Option<Diagnostic> {
    if options.build_args.is_empty() {
        return None;
    }
    let parsed = dockerfile::parse(source).ok()?;
    let mut declared = BTreeSet::new();
    for i in &parsed.instructions {
        if !i.keyword.eq_ignore_ascii_case("arg") {
            continue;
        }
        for word in i.args.text.split_whitespace() {
            let word = word.trim_matches(|c| c == '"' || c == '\'');
            let name = word.split_once('=').map_or(word, |(n, _)| n);
            declared.insert(name.to_string());
        }
    }
    let unused: Vec<&str> = options
        .build_args
        .keys()
        .map(String::as_str)
        .filter(|k| !declared.contains(*k) && !predefined_arg(k))
        .collect();
    if unused.is_empty() {
        return None;
    }
    let s = if unused.len() == 1 { "" } else { "s" };
    Some(
        Diagnostic::new(format!(
            "build-arg{s} {} not consumed: no ARG in {} declares {}",
            unused.join(", "),
            path.display(),
            if unused.len() == 1 { "it" } else { "them" }
        ))
        .with_help("check the spelling, or declare it with `ARG NAME` where it is used"),
    )
}

/// Build options from the command line; when no `--build-arg` is given, those recorded in
/// `recorded` (the lock's) apply, and without `--platform`, the platforms the lock has.
pub fn build_options(
    build: &BuildArgs,
    recorded: Option<&Lock>,
) -> Result<BuildOptions, Diagnostic> {
    let mut options = from_args(build)?;
    if let Some(lock) = recorded {
        if build.build_args.is_empty() {
            options.build_args = lock.build_args.clone();
        }
        if build.platforms.is_empty() {
            options.platforms = locked_platforms(lock);
        }
    }
    // `.dockerfile-lock.toml` supplies defaults beneath all of that.
    let config = crate::config::load(Path::new("."))?;
    for (k, v) in config.build_args {
        options.build_args.entry(k).or_insert(v);
    }
    if options.platforms.is_empty() {
        for p in &config.platforms {
            // Checked when the config was read.
            if let Ok(p) = p.parse() {
                options.platforms.push(p);
            }
        }
    }
    Ok(options)
}

/// The platforms a lock was generated for (every entry records the same set).
pub fn locked_platforms(lock: &Lock) -> Vec<Platform> {
    let names: BTreeSet<&String> = lock
        .images
        .values()
        .flat_map(|e| e.platforms.keys())
        .collect();
    names.into_iter().filter_map(|n| n.parse().ok()).collect()
}

/// Only the `--build-arg` values given on the command line, as the lock records them.
pub fn given_build_args(options: &BuildOptions, build: &BuildArgs) -> BTreeMap<String, String> {
    if build.build_args.is_empty() {
        BTreeMap::new()
    } else {
        options.build_args.clone()
    }
}

/// `--env K=V` values; a value without `=` is an error.
pub fn parse_env(values: &[String]) -> Result<BTreeMap<String, String>, Diagnostic> {
    let mut out = BTreeMap::new();
    for v in values {
        let (k, val) = v.split_once('=').ok_or_else(|| {
            Diagnostic::new(format!("--env {v:?} is not KEY=VALUE"))
                .with_help("interpolation variables are given as --env NAME=VALUE")
        })?;
        out.insert(k.to_string(), val.to_string());
    }
    Ok(out)
}

/// Validate `--build-arg`, `--platform` and `--target` before any file is read.
/// `--build-arg K` alone takes K from the environment, as `docker build` does (and is
/// ignored when K is not set there).
pub fn from_args(args: &BuildArgs) -> Result<BuildOptions, Diagnostic> {
    from_args_with(args, |k| std::env::var(k).ok())
}

/// [`from_args`] with the environment supplied (for tests).
pub fn from_args_with(
    args: &BuildArgs,
    env: impl Fn(&str) -> Option<String>,
) -> Result<BuildOptions, Diagnostic> {
    let mut build_args = BTreeMap::new();
    for a in &args.build_args {
        let (k, v) = match a.split_once('=') {
            Some((k, v)) => (k, Some(v.to_string())),
            None => (a.as_str(), env(a)),
        };
        if k.is_empty() {
            return Err(
                Diagnostic::new(format!("invalid --build-arg `{a}`: the name is empty"))
                    .with_help("write --build-arg NAME=VALUE"),
            );
        }
        if let Some(v) = v {
            build_args.insert(k.to_string(), v);
        }
    }
    let mut platforms: Vec<Platform> = Vec::new();
    for p in &args.platforms {
        // `--platform a,b` is accepted too, as buildx accepts it.
        for one in p.split(',') {
            let platform = one.trim().parse::<Platform>().map_err(|e| {
                Diagnostic::new(format!("invalid --platform: {e}"))
                    .with_help("write os/arch[/variant], e.g. linux/arm64 or linux/arm/v7")
            })?;
            if !platforms.contains(&platform) {
                platforms.push(platform);
            }
        }
    }
    Ok(BuildOptions {
        build_args,
        platforms,
        target: args.target.clone(),
    })
}

/// The findings for a command line that asks for another build than the lock records:
/// other `--build-arg` values (a compose or bake file takes none), other `--platform`s.
pub fn mismatches(
    target: &Target,
    build: &BuildArgs,
    options: &BuildOptions,
    lock: &Lock,
) -> Vec<Finding> {
    let mut found = Vec::new();
    if !build.build_args.is_empty()
        && options.build_args != lock.build_args
        && !is_project(&target.dockerfile)
    {
        found.push(
            Finding::new(
                Code::BuildArgsMismatch,
                &target.lock,
                None,
                format!(
                    "--build-arg values {} differ from the lock's {}",
                    show_args(&options.build_args),
                    show_args(&lock.build_args)
                ),
            )
            .pins(
                Some(joined_args(&lock.build_args)),
                Some(joined_args(&options.build_args)),
            ),
        );
    }
    if !build.platforms.is_empty() {
        let locked = locked_platforms(lock);
        let given: BTreeSet<String> = options.platforms.iter().map(|p| p.to_string()).collect();
        let had: BTreeSet<String> = locked.iter().map(|p| p.to_string()).collect();
        if given != had {
            let show = |set: &BTreeSet<String>| {
                if set.is_empty() {
                    "none (the index digest only)".to_string()
                } else {
                    set.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            };
            let joined = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(",");
            found.push(
                Finding::new(
                    Code::PlatformsMismatch,
                    &target.lock,
                    None,
                    format!(
                        "--platform {} differs from the lock's platforms: {}",
                        show(&given),
                        show(&had)
                    ),
                )
                .pins(Some(joined(&had)), Some(joined(&given))),
            );
        }
    }
    found
}

fn show_args(args: &BTreeMap<String, String>) -> String {
    if args.is_empty() {
        return "(none)".into();
    }
    joined_args(args)
}

/// `K=V K2=V2`, sorted by name; empty for none.
fn joined_args(args: &BTreeMap<String, String>) -> String {
    args.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(build: &[&str], platforms: &[&str]) -> BuildArgs {
        BuildArgs {
            build_args: build.iter().map(|s| s.to_string()).collect(),
            platforms: platforms.iter().map(|s| s.to_string()).collect(),
            target: None,
            env: Vec::new(),
        }
    }

    #[test]
    fn env_values() {
        assert_eq!(parse_env(&["A=1=2".into()]).unwrap()["A"], "1=2");
        assert!(parse_env(&["A".into()]).is_err());
    }

    #[test]
    fn build_args_like_docker() {
        let env = |k: &str| (k == "FROM_ENV").then(|| "e".to_string());
        let o = from_args_with(
            &args(&["A=1", "B=", "C=x=y", "FROM_ENV", "NOT_SET"], &[]),
            env,
        )
        .unwrap();
        let got: Vec<_> = o
            .build_args
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(got, ["A=1", "B=", "C=x=y", "FROM_ENV=e"]);
        assert!(from_args_with(&args(&["=v"], &[]), env).is_err());
    }

    #[test]
    fn platforms_are_validated_and_deduplicated() {
        let o = from_args_with(
            &args(&[], &["linux/arm64", "linux/amd64,linux/arm64"]),
            |_| None,
        )
        .unwrap();
        let got: Vec<_> = o.platforms.iter().map(ToString::to_string).collect();
        assert_eq!(got, ["linux/arm64", "linux/amd64"]);
        let e = from_args_with(&args(&[], &["linux"]), |_| None).unwrap_err();
        assert_eq!(
            e.message,
            "invalid --platform: platform `linux` is not of the form os/arch[/variant]"
        );
    }

    #[test]
    fn no_build_args_show_as_none() {
        assert_eq!(show_args(&BTreeMap::new()), "(none)");
    }
}
