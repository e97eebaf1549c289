//! Target platforms (`os/arch[/variant]`) and the automatic platform ARGs BuildKit defines.

use std::fmt;
use std::str::FromStr;

/// A platform as BuildKit and the OCI image index name it: `linux/arm64`, `linux/arm/v7`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    os: String,
    arch: String,
    variant: Option<String>,
}

/// Why a `--platform` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error("platform `{0}` is not of the form os/arch[/variant]")]
    Shape(String),
    #[error("platform `{0}` has an empty part")]
    Empty(String),
}

impl Platform {
    /// The platform BuildKit targets when none is named.
    pub fn default_target() -> Self {
        Platform {
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
        }
    }

    pub fn new(os: &str, arch: &str, variant: Option<&str>) -> Self {
        Platform {
            os: os.to_ascii_lowercase(),
            arch: arch.to_ascii_lowercase(),
            variant: variant.map(str::to_ascii_lowercase),
        }
    }

    pub fn os(&self) -> &str {
        &self.os
    }

    pub fn arch(&self) -> &str {
        &self.arch
    }

    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// The automatic ARGs BuildKit sets for a build targeting `self`, built on `build`
    /// (`TARGETPLATFORM`, `TARGETOS`, `TARGETARCH`, `TARGETVARIANT`, and the `BUILD*` ones).
    pub fn automatic_args(&self, build: &Platform) -> Vec<(&'static str, String)> {
        vec![
            ("BUILDPLATFORM", build.to_string()),
            ("BUILDOS", build.os.clone()),
            ("BUILDARCH", build.arch.clone()),
            ("BUILDVARIANT", build.variant.clone().unwrap_or_default()),
            ("TARGETPLATFORM", self.to_string()),
            ("TARGETOS", self.os.clone()),
            ("TARGETARCH", self.arch.clone()),
            ("TARGETVARIANT", self.variant.clone().unwrap_or_default()),
        ]
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(PlatformError::Empty(s.to_string()));
        }
        match parts.as_slice() {
            [os, arch] => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] => Ok(Platform::new(os, arch, Some(variant))),
            _ => Err(PlatformError::Shape(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        for (input, want) in [
            ("linux/amd64", "linux/amd64"),
            ("linux/arm/v7", "linux/arm/v7"),
            ("Linux/ARM64", "linux/arm64"),
        ] {
            assert_eq!(input.parse::<Platform>().unwrap().to_string(), want);
        }
        for bad in ["linux", "linux/", "a/b/c/d", "/amd64", ""] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn automatic_args_follow_buildkit() {
        let t: Platform = "linux/arm/v7".parse().unwrap();
        let args = t.automatic_args(&Platform::default_target());
        let get = |k| args.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("TARGETPLATFORM"), "linux/arm/v7");
        assert_eq!(get("TARGETVARIANT"), "v7");
        assert_eq!(get("BUILDARCH"), "amd64");
        assert_eq!(get("BUILDVARIANT"), "");
    }
}
