//! Registry credentials, found as the docker CLI finds them, and never shown.
//!
//! `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`): `credHelpers`, `auths`
//! (base64 `auth`, `username`/`password`, `identitytoken`), `credsStore`; then
//! `REGISTRY_AUTH_FILE` or podman's `auth.json`. A helper answering "credentials not
//! found" means anonymous access. The `docker_credential` crate reads the files and runs
//! the helpers; it blocks, so lookups run on tokio's blocking pool.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use docker_credential::{CredentialRetrievalError as E, DockerCredential};

use super::Error;

/// A credential for one registry. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    UserPass {
        user: String,
        pass: String,
    },
    /// An identity (refresh) token, exchanged at the token realm (OAuth2 refresh grant).
    IdentityToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::UserPass { user, .. } => {
                write!(f, "UserPass {{ user: {user:?}, pass: <redacted> }}")
            }
            Credential::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// Where credentials are looked up.
#[derive(Debug, Clone, Default)]
pub struct CredentialStore {
    /// The docker config directory (holding `config.json`).
    pub docker_config: Option<PathBuf>,
    /// A podman / containers `auth.json`.
    pub auth_file: Option<PathBuf>,
}

impl CredentialStore {
    /// As the docker CLI and podman locate their files: `DOCKER_CONFIG` or `~/.docker`;
    /// `REGISTRY_AUTH_FILE` or `$XDG_RUNTIME_DIR/containers/auth.json`.
    pub fn from_env() -> Self {
        let env = |k| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let docker_config = env("DOCKER_CONFIG").or_else(|| env("HOME").map(|h| h.join(".docker")));
        let auth_file = env("REGISTRY_AUTH_FILE").or_else(|| {
            env("XDG_RUNTIME_DIR")
                .map(|d| d.join("containers/auth.json"))
                .filter(|p| p.is_file())
                .or_else(|| env("HOME").map(|h| h.join(".config/containers/auth.json")))
        });
        CredentialStore {
            docker_config,
            auth_file,
        }
    }

    /// No credentials at all: every registry is accessed anonymously.
    pub fn none() -> Self {
        CredentialStore::default()
    }

    /// The credential for `registry` (as references name it), if any, and the file it
    /// came from (to tell a refused credential from a missing one).
    pub async fn lookup(&self, registry: &str) -> Result<Option<(Credential, PathBuf)>, Error> {
        let store = self.clone();
        let name = registry.to_string();
        match tokio::task::spawn_blocking(move || store.lookup_from(&name)).await {
            Ok(found) => found,
            Err(_) => Err(Error::new(
                registry,
                format!("the credential lookup for {registry} did not finish"),
            )),
        }
    }

    #[cfg(test)]
    fn lookup_blocking(&self, registry: &str) -> Result<Option<Credential>, Error> {
        Ok(self.lookup_from(registry)?.map(|(c, _)| c))
    }

    fn lookup_from(&self, registry: &str) -> Result<Option<(Credential, PathBuf)>, Error> {
        let files = [
            self.docker_config.as_ref().map(|d| d.join("config.json")),
            self.auth_file.clone(),
        ];
        for file in files.into_iter().flatten() {
            if !file.is_file() {
                continue;
            }
            for key in keys(registry) {
                match read(&file, &key) {
                    Ok(c) => return Ok(Some((c, file))),
                    Err(Lookup::Missing) => continue,
                    Err(Lookup::Anonymous) => return Ok(None),
                    Err(Lookup::NoHelper) => {
                        let (name, field) =
                            helper_of(&file, &key).unwrap_or_else(|| ("?".into(), "credsStore"));
                        let exe = format!("docker-credential-{name}");
                        let why = if on_path(&exe) {
                            format!("`{exe}` could not be run")
                        } else {
                            format!("`{exe}` is not found on PATH")
                        };
                        return Err(Error {
                            message: format!(
                                "cannot read the credentials for {registry}: {why} ({field} in {})",
                                file.display()
                            ),
                            registry: registry.to_string(),
                            status: None,
                            help: Some(format!(
                                "install {exe}, or remove it from {field} in that file"
                            )),
                        });
                    }
                    Err(Lookup::Failed(why)) => {
                        return Err(Error {
                            message: format!(
                            "cannot read the credentials for {registry} configured in {}: {why}",
                            file.display()
                        ),
                            registry: registry.to_string(),
                            status: None,
                            help: Some(format!(
                                "check the credential helper or entry for {key} in that file"
                            )),
                        })
                    }
                }
            }
        }
        Ok(None)
    }
}

enum Lookup {
    Missing,
    Anonymous,
    /// The credential helper the file names could not be started.
    NoHelper,
    Failed(&'static str),
}

/// The credential helper `file` names for `key` (`credHelpers`, else `credsStore`) and the
/// field that names it.
fn helper_of(file: &Path, key: &str) -> Option<(String, &'static str)> {
    let text = std::fs::read(file).ok()?;
    let config: serde_json::Value = serde_json::from_slice(&text).ok()?;
    let printable = |s: &str| {
        s.chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect::<String>()
    };
    if let Some(name) = config["credHelpers"][key].as_str() {
        return Some((printable(name), "credHelpers"));
    }
    config["credsStore"]
        .as_str()
        .map(|name| (printable(name), "credsStore"))
}

/// Whether an executable named `exe` is in a directory of `PATH`.
fn on_path(exe: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(exe).is_file()))
}

fn read(file: &Path, key: &str) -> Result<Credential, Lookup> {
    let f = File::open(file).map_err(|_| Lookup::Failed("the file cannot be read"))?;
    match docker_credential::get_credential_from_reader(BufReader::new(f), key) {
        Ok(DockerCredential::UsernamePassword(user, pass)) => {
            Ok(Credential::UserPass { user, pass })
        }
        Ok(DockerCredential::IdentityToken(t)) => Ok(Credential::IdentityToken(t)),
        Err(E::NoCredentialConfigured) => Err(Lookup::Missing),
        // The helper protocol's answer for an unknown server; its output is otherwise
        // never shown, since a misbehaving helper might print a secret.
        Err(E::HelperFailure { stdout, stderr, .. })
            if stdout.contains("credentials not found")
                || stderr.contains("credentials not found") =>
        {
            Err(Lookup::Anonymous)
        }
        Err(E::HelperFailure { .. }) => Err(Lookup::Failed("the credential helper failed")),
        Err(E::HelperCommunicationError) => Err(Lookup::NoHelper),
        Err(E::MalformedHelperResponse) => Err(Lookup::Failed(
            "the credential helper's answer is malformed",
        )),
        Err(E::CredentialDecodingError) => Err(Lookup::Failed(
            "the `auth` entry is not base64 user:password",
        )),
        Err(E::CredentialMismatchError) => Err(Lookup::Failed(
            "`auth` disagrees with `username`/`password`",
        )),
        Err(E::ConfigNotFound | E::ConfigReadError) => {
            Err(Lookup::Failed("the file is not valid JSON"))
        }
    }
}

/// The keys the docker CLI stores a registry's credentials under, most specific first.
fn keys(registry: &str) -> Vec<String> {
    if registry == crate::reference::DOCKER_HUB {
        return vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ];
    }
    vec![
        registry.to_string(),
        format!("https://{registry}"),
        format!("http://{registry}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(config: &str) -> (tempfile::TempDir, CredentialStore) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        let store = CredentialStore {
            docker_config: Some(dir.path().to_path_buf()),
            auth_file: None,
        };
        (dir, store)
    }

    #[test]
    fn auths_entries_in_every_form() {
        let (_d, s) = store(
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"},
                "reg.example:5000": {"username": "u", "password": "p"},
                "https://tok.example": {"identitytoken": "refresh-me"}
            }}"#,
        );
        let up = |u: &str, p: &str| Credential::UserPass {
            user: u.into(),
            pass: p.into(),
        };
        assert_eq!(
            s.lookup_blocking("docker.io").unwrap(),
            Some(up("hub", "hubpw"))
        );
        assert_eq!(
            s.lookup_blocking("reg.example:5000").unwrap(),
            Some(up("u", "p"))
        );
        assert_eq!(
            s.lookup_blocking("tok.example").unwrap(),
            Some(Credential::IdentityToken("refresh-me".into()))
        );
        assert_eq!(s.lookup_blocking("other.example").unwrap(), None);
    }

    #[test]
    fn a_missing_credential_helper_is_named() {
        let (_d, s) = store(r#"{"credsStore": "nope-xyz-0"}"#);
        let e = s.lookup_blocking("r.example").unwrap_err();
        assert!(
            e.message
                .contains("`docker-credential-nope-xyz-0` is not found on PATH (credsStore in"),
            "{}",
            e.message
        );
        let (_d, s) = store(r#"{"credHelpers": {"r.example": "ecr-nope-1"}}"#);
        let e = s.lookup_blocking("r.example").unwrap_err();
        assert!(
            e.message
                .contains("`docker-credential-ecr-nope-1` is not found on PATH (credHelpers in"),
            "{}",
            e.message
        );
        assert_eq!(
            e.help.as_deref(),
            Some(
                "install docker-credential-ecr-nope-1, or remove it from credHelpers in that file"
            )
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Credential::UserPass {
            user: "u".into(),
            pass: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let t = Credential::IdentityToken("tok-secret".into());
        assert!(!format!("{t:?}").contains("tok-secret"));
    }

    #[test]
    fn a_broken_entry_is_an_error_without_the_secret() {
        let (_d, s) = store(r#"{"auths": {"r.example": {"auth": "!!not base64 hunter2"}}}"#);
        let e = s.lookup_blocking("r.example").unwrap_err();
        assert!(e.message.contains("not base64"), "{}", e.message);
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
