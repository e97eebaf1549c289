//! What dispatching a stage can fail on, as `dockerfile2llb` dispatches it: the stage's
//! ARG and ENV values expanded in its scope, and its `--mount` options checked with their
//! values expanded. BuildKit dispatches only the stages the target needs, so only those can
//! fail here; nothing here changes which images a build uses (`COPY --from` and mount
//! `from=` are never expanded).

use std::collections::HashMap;

use super::csv::csv_fields;
use super::expand::{expand, Vars};
use super::stages::Cmd;
use super::written::expansion_error;
use super::Error;

/// A stage's variables: ARGs and ENVs so far (and those of the stage it is built FROM).
pub(crate) type Scope<'s> = HashMap<&'s str, String>;

/// The mount types BuildKit knows (`allowedMountTypes`).
const MOUNT_TYPES: [&str; 5] = ["bind", "cache", "tmpfs", "secret", "ssh"];

/// The keys `parseMount` knows.
const MOUNT_KEYS: [&str; 19] = [
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "destination",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// The stage's environment (`getEnv(d.state)`) and the values ARG takes from outside.
pub(crate) struct Env<'e> {
    pub build_args: &'e std::collections::BTreeMap<String, String>,
    /// Global ARGs and the automatic platform ARGs, which a bare `ARG X` inherits.
    pub globals: &'e Vars,
    pub escape: char,
}

/// Run one command of a stage: ARG/ENV change `scope`, a RUN's mounts are checked.
pub(crate) fn run<'s>(cmd: &'s Cmd<'s>, scope: &mut Scope<'s>, env: &Env<'_>) -> Result<(), Error> {
    let esc = env.escape;
    match cmd {
        Cmd::Arg(line, pairs) => {
            for (k, default) in pairs {
                let value = match (env.build_args.get(k.as_ref()), default) {
                    (Some(v), _) => Some(v.clone()),
                    (None, Some(d)) => Some(
                        expand(d, esc, scope, false)
                            .map_err(|m| expansion_error(*line, m, d))?
                            .value,
                    ),
                    (None, None) => env.globals.get(k.as_ref()).cloned(),
                };
                if let Some(v) = value {
                    scope.insert(k, v);
                }
            }
        }
        Cmd::Env(line, pairs) => {
            for (k, v) in pairs {
                let v = expand(v, esc, scope, false)
                    .map_err(|m| expansion_error(*line, m, v))?
                    .value;
                scope.insert(k, v);
            }
        }
        Cmd::Mounts(line, mounts) => {
            for m in mounts {
                mount(&m.text, scope, esc).map_err(|message| Error {
                    line: *line,
                    message,
                    help: None,
                })?;
            }
        }
        Cmd::CopyFrom(..) | Cmd::Add(..) => {}
    }
    Ok(())
}

/// `parseMount` with an expander: every field `key=value` (but the flags `ro`, `rw`,
/// `readonly`, `readwrite` and, for secret and ssh mounts, `required`), values expanded,
/// keys and mount types known.
fn mount(text: &str, scope: &Scope<'_>, escape: char) -> Result<(), String> {
    let fields = csv_fields(text).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
    let mut kind = "bind".to_string();
    for f in &fields {
        let field = f.text.as_str();
        let Some((key, value)) = field.split_once('=') else {
            let key = field.to_ascii_lowercase();
            match key.as_str() {
                "readonly" | "ro" | "readwrite" | "rw" => continue,
                "required" if kind == "secret" || kind == "ssh" => continue,
                "required" => {
                    return Err(format!("unexpected key '{key}' for mount type '{kind}'"))
                }
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
        };
        let key = key.to_ascii_lowercase();
        let value = expand(value, escape, scope, false)
            .map_err(|e| format!("failed to process {value:?}: {e}"))?
            .value;
        if !MOUNT_KEYS.contains(&key.as_str()) {
            return Err(format!("unexpected key '{key}' in '{field}'"));
        }
        if key == "type" {
            let t = value.to_ascii_lowercase();
            if !MOUNT_TYPES.contains(&t.as_str()) {
                return Err(format!("unsupported mount type {value:?}"));
            }
            kind = t;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_fields_as_dispatch_checks_them() {
        let scope = Scope::new();
        assert_eq!(mount("type=cache,target=/c,ro", &scope, '\\'), Ok(()));
        assert_eq!(
            mount("type=bind,target", &scope, '\\'),
            Err("invalid field 'target' must be a key=value pair".into())
        );
        assert_eq!(
            mount("type=nfs,target=/x", &scope, '\\'),
            Err("unsupported mount type \"nfs\"".into())
        );
        assert!(mount("type=bind,colour=red", &scope, '\\').is_err());
        assert!(mount("type=secret,id=a,required", &scope, '\\').is_ok());
        assert!(mount("type=bind,required", &scope, '\\').is_err());
        assert!(mount("type=bind,target=${X:?unset}", &scope, '\\').is_err());
    }
}
