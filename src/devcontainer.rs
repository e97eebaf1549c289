//! Dev container configurations (`.devcontainer/devcontainer.json`, `.devcontainer.json`,
//! `.devcontainer/<name>/devcontainer.json`), read as the Development Containers
//! specification describes them: `image` is pulled; `build.dockerfile` is built with
//! `build.context`, `build.args` and `build.target`, all relative to the file's directory
//! (the older top-level `dockerFile` and `context` too). The file is JSON with comments.
//! A `dockerComposeFile` configuration runs what its compose file says: that file is
//! locked on its own, so it is a note here. The result is a [`Project`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::builds::yaml::Node;
use crate::builds::{
    excerpt, jsonc, parse_image, Build, DockerfileSource, Error, FileImage, ImageKind, Project,
    Warning,
};
use crate::compose::{boundary_error, clean};

/// The names the specification looks for.
pub const FILE_NAMES: [&str; 2] = ["devcontainer.json", ".devcontainer.json"];

/// Whether a file name is a dev container configuration's.
pub fn is_devcontainer_name(name: &str) -> bool {
    FILE_NAMES.contains(&name)
}

/// Whether a path below the root is where the specification looks for a configuration:
/// `.devcontainer/devcontainer.json`, `.devcontainer.json` and
/// `.devcontainer/<name>/devcontainer.json`, in any directory.
pub fn is_devcontainer_path(rel: &Path) -> bool {
    let names: Vec<&str> = rel
        .iter()
        .rev()
        .take(3)
        .map(|c| c.to_str().unwrap_or_default())
        .collect();
    matches!(
        names.as_slice(),
        [".devcontainer.json", ..]
            | ["devcontainer.json", ".devcontainer", ..]
            | ["devcontainer.json", _, ".devcontainer"]
    )
}

/// What a configuration is called in messages and locks: its `name`, when it is written
/// plainly, else `devcontainer`.
const DEFAULT_OWNER: &str = "devcontainer";

/// Read a configuration; the Dockerfile it builds is named, not read.
pub fn load(path: &Path) -> Result<Project, Error> {
    let root = crate::boundary::root_of(path);
    let source = crate::boundary::read_text_inside(path, &root, crate::boundary::DOCUMENT_LIMIT)
        .map_err(|e| boundary_error(path, &e))?;
    let project = read(path, &source)?;
    crate::boundary::builds_inside(&project, &root)?;
    Ok(project)
}

/// Read a configuration's text.
pub fn read(path: &Path, source: &str) -> Result<Project, Error> {
    let doc = jsonc::parse(source)
        .map_err(|e| Error::new(path, e.line, e.described("JSON with comments")))?;
    if !doc.is_map() {
        return Err(Error::new(
            path,
            doc.line,
            "a devcontainer.json must hold an object",
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let owner = doc
        .get("name")
        .and_then(Node::as_str)
        .filter(|n| !n.is_empty() && !n.contains("${"))
        .unwrap_or(DEFAULT_OWNER)
        .to_string();
    let mut project = Project {
        files: vec![path.to_path_buf()],
        ..Project::default()
    };
    if let Some(node) = doc.get("image").filter(|n| !n.is_null()) {
        let raw = string(path, node, "image")?;
        if raw.contains("${") {
            project.warnings.push(decided_at_start(path, node, raw));
        } else {
            let image = parse_image(path, node.line, raw)?;
            project.images.push(FileImage {
                owner: owner.clone(),
                kind: ImageKind::Image,
                path: path.to_path_buf(),
                line: node.line,
                raw: raw.to_string(),
                reference: raw.to_string(),
                image,
                span: node.text_span(source),
                variables: Vec::new(),
            });
        }
    }
    let build = doc.get("build").filter(|b| !b.is_null());
    if let Some(b) = build.filter(|b| !b.is_map()) {
        return Err(Error::new(path, b.line, "`build` must be an object"));
    }
    let field = |key: &str, old: &str| {
        build
            .and_then(|b| b.get(key))
            .or_else(|| doc.get(old))
            .filter(|n| !n.is_null())
    };
    if let Some(node) = field("dockerfile", "dockerFile") {
        let dockerfile = string(path, node, "build.dockerfile")?;
        let context = match field("context", "context") {
            Some(c) => string(path, c, "build.context")?,
            None => ".",
        };
        for (what, value) in [("build.dockerfile", dockerfile), ("build.context", context)] {
            if value.contains("${") {
                return Err(Error::new(
                    path,
                    node.line,
                    format!(
                        "{what} {} is decided when the dev container is built",
                        excerpt(value)
                    ),
                )
                .with_help("write the path plainly so that the Dockerfile can be locked"));
            }
        }
        let mut build_args = BTreeMap::new();
        if let Some(args) = build.and_then(|b| b.get("args")).filter(|a| !a.is_null()) {
            if !args.is_map() {
                return Err(Error::new(
                    path,
                    args.line,
                    "`build.args` must be an object",
                ));
            }
            for (k, v) in args.entries() {
                let name = k.as_str().unwrap_or_default();
                let value = string(path, v, &format!("build.args.{name}"))?;
                if value.contains("${") {
                    project.warnings.push(Warning {
                        path: path.to_path_buf(),
                        line: v.line,
                        message: format!(
                            "build arg {name} = {} is decided when the dev container is built: \
                             the Dockerfile is read with its own default",
                            excerpt(value)
                        ),
                    });
                    continue;
                }
                build_args.insert(name.to_string(), value.to_string());
            }
        }
        let target = match build.and_then(|b| b.get("target")).filter(|t| !t.is_null()) {
            Some(t) => Some(string(path, t, "build.target")?.to_string()),
            None => None,
        };
        project.builds.push(Build {
            owner: owner.clone(),
            path: path.to_path_buf(),
            line: build.map_or(node.line, |b| b.line),
            dockerfile: DockerfileSource::Path(clean(&dir.join(dockerfile))),
            context: clean(&dir.join(context)),
            build_args,
            target,
            platforms: Vec::new(),
            contexts: Vec::new(),
        });
    }
    if let Some(node) = doc.get("dockerComposeFile").filter(|n| !n.is_null()) {
        let files: Vec<PathBuf> = match node.as_str() {
            Some(f) => vec![clean(&dir.join(f))],
            None => node
                .items()
                .iter()
                .filter_map(Node::as_str)
                .map(|f| clean(&dir.join(f)))
                .collect(),
        };
        let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        project.warnings.push(Warning {
            path: path.to_path_buf(),
            line: node.line,
            message: format!(
                "the dev container runs a service of {}: locked through the compose file, not here",
                shown.join(", ")
            ),
        });
    }
    Ok(project)
}

fn string<'a>(path: &Path, node: &'a Node, what: &str) -> Result<&'a str, Error> {
    match node.as_str() {
        Some(s) if node.style != crate::builds::yaml::Style::Plain => Ok(s),
        _ => Err(Error::new(
            path,
            node.line,
            format!("`{what}` must be a string"),
        )),
    }
}

fn decided_at_start(path: &Path, node: &Node, raw: &str) -> Warning {
    Warning {
        path: path.to_path_buf(),
        line: node.line,
        message: format!(
            "`{raw}` is decided when the dev container starts: not locked",
            raw = raw.chars().take(80).collect::<String>()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_the_specification_looks_at() {
        for yes in [
            ".devcontainer/devcontainer.json",
            ".devcontainer.json",
            "a/.devcontainer/python/devcontainer.json",
            "sub/.devcontainer.json",
        ] {
            assert!(is_devcontainer_path(Path::new(yes)), "{yes}");
        }
        for no in [
            "devcontainer.json",
            "x/devcontainer.json",
            ".devcontainer/a/b/devcontainer.json",
            ".devcontainer/devcontainer.jsonc",
        ] {
            assert!(!is_devcontainer_path(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn image_build_and_compose() {
        let src = "{\n  // the base\n  \"name\": \"py\",\n  \"image\": \"mcr.microsoft.com/devcontainers/python:3\",\n  \"build\": {\n    \"dockerfile\": \"Dockerfile\",\n    \"context\": \"..\",\n    \"target\": \"dev\",\n    \"args\": {\"V\": \"3.12\", \"U\": \"${localEnv:USER}\"},\n  },\n  \"dockerComposeFile\": [\"../compose.yaml\"],\n}\n";
        let p = read(Path::new(".devcontainer/devcontainer.json"), src).unwrap();
        assert_eq!(p.images.len(), 1);
        let i = &p.images[0];
        assert_eq!((i.owner.as_str(), i.line), ("py", 4));
        assert_eq!(
            &src[i.span.clone().unwrap()],
            "mcr.microsoft.com/devcontainers/python:3"
        );
        let b = &p.builds[0];
        assert_eq!(
            b.dockerfile,
            DockerfileSource::Path(".devcontainer/Dockerfile".into())
        );
        assert_eq!(b.context, Path::new("."));
        assert_eq!(b.target.as_deref(), Some("dev"));
        assert_eq!(b.build_args, BTreeMap::from([("V".into(), "3.12".into())]));
        let lines: Vec<usize> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [9, 11], "{:?}", p.warnings);
        assert!(p.warnings[1].message.contains("compose.yaml"));
    }

    #[test]
    fn a_variable_image_is_a_note_and_a_number_an_error() {
        let p = read(
            Path::new(".devcontainer.json"),
            "{\"image\": \"${localEnv:IMG}\"}",
        )
        .unwrap();
        assert!(p.images.is_empty());
        assert!(p.warnings[0].message.contains("not locked"));
        let e = read(Path::new(".devcontainer.json"), "{\"image\": 3}").unwrap_err();
        assert!(e.message.contains("must be a string"), "{e:?}");
        let e = read(Path::new(".devcontainer.json"), "{\n/* open").unwrap_err();
        assert_eq!(e.line, 2);
    }
}
