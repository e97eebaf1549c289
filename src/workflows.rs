//! GitHub Actions files, read for the images they run, as GitHub's workflow and action
//! metadata syntax defines them. A workflow (`.github/workflows/*.yml`): each job's
//! `container` (a string, or its `image`), each of its `services`' `image`, and each
//! step's `uses: docker://IMAGE`. An action (`action.yml`): `runs.image`, which is either
//! `docker://IMAGE` or the path of a Dockerfile beside the file, built with the action's
//! directory as its context. A value with a `${{ … }}` expression is decided when the
//! workflow runs: it is a note, never a guess. The result is a [`Project`].

use std::path::Path;

use crate::builds::yaml::{self, Node};
use crate::builds::{
    parse_image, Build, DockerfileSource, Error, FileImage, ImageKind, Project, Warning,
};
use crate::compose::{boundary_error, clean};

/// The prefix GitHub gives an image named where an action could be.
const DOCKER: &str = "docker://";

/// The names of an action's metadata file.
pub const ACTION_NAMES: [&str; 2] = ["action.yml", "action.yaml"];

pub fn is_action_name(name: &str) -> bool {
    ACTION_NAMES.contains(&name)
}

/// Whether a path is a workflow: a `.yml` or `.yaml` file directly in `.github/workflows`.
pub fn is_workflow_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let mut dirs = path.iter().rev().skip(1);
    (name.ends_with(".yml") || name.ends_with(".yaml"))
        && dirs.next().is_some_and(|d| d == "workflows")
        && dirs.next().is_some_and(|d| d == ".github")
}

/// Read a workflow.
pub fn load_workflow(path: &Path) -> Result<Project, Error> {
    let source = read_source(path)?;
    workflow(path, &source)
}

/// Read an action's metadata; the Dockerfile it builds is named, not read.
pub fn load_action(path: &Path) -> Result<Project, Error> {
    let source = read_source(path)?;
    let project = action(path, &source)?;
    crate::boundary::builds_inside(&project, &crate::boundary::root_of(path))?;
    Ok(project)
}

fn read_source(path: &Path) -> Result<String, Error> {
    let root = crate::boundary::root_of(path);
    crate::boundary::read_text_inside(path, &root, crate::boundary::DOCUMENT_LIMIT)
        .map_err(|e| boundary_error(path, &e))
}

fn document(path: &Path, source: &str, what: &str) -> Result<Node, Error> {
    let doc = yaml::parse(source).map_err(|e| Error::new(path, e.line, e.described("YAML")))?;
    if !doc.is_map() {
        return Err(Error::new(
            path,
            doc.line,
            format!("{what} must be a mapping"),
        ));
    }
    Ok(doc)
}

/// Read a workflow's text.
pub fn workflow(path: &Path, source: &str) -> Result<Project, Error> {
    let doc = document(path, source, "a workflow")?;
    let mut found = Found::new(path, source);
    for (id, job) in doc.get("jobs").map(|j| j.entries()).into_iter().flatten() {
        let id = id.as_str().unwrap_or_default();
        if let Some(c) = job.get("container").filter(|c| !c.is_null()) {
            let image = if c.is_map() { c.get("image") } else { Some(c) };
            if let Some(image) = image {
                found.image(id, image, 0, "container")?;
            }
        }
        for (name, service) in job
            .get("services")
            .map(|s| s.entries())
            .into_iter()
            .flatten()
        {
            let name = name.as_str().unwrap_or_default();
            if let Some(image) = service.get("image") {
                found.image(id, image, 0, &format!("service {name}"))?;
            }
        }
        for step in job.get("steps").map(Node::items).unwrap_or_default() {
            if let Some(uses) = step.get("uses") {
                if uses.as_str().is_some_and(|u| u.starts_with(DOCKER)) {
                    found.image(id, uses, DOCKER.len(), "step")?;
                }
            }
        }
    }
    Ok(found.project)
}

/// Read an action's text.
pub fn action(path: &Path, source: &str) -> Result<Project, Error> {
    let doc = document(path, source, "an action's metadata")?;
    let mut found = Found::new(path, source);
    let Some(image) = doc.get("runs").and_then(|r| r.get("image")) else {
        return Ok(found.project);
    };
    let value = image.as_str().unwrap_or_default();
    if value.starts_with(DOCKER) || value.contains("${{") {
        found.image("action", image, DOCKER.len().min(value.len()), "runs.image")?;
        return Ok(found.project);
    }
    if value.is_empty() {
        return Err(Error::new(
            path,
            image.line,
            "`runs.image` must not be empty",
        ));
    }
    // A path to a Dockerfile, relative to the action's directory, which is the build's
    // context.
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    found.project.builds.push(Build {
        owner: "action".into(),
        path: path.to_path_buf(),
        line: image.line,
        dockerfile: DockerfileSource::Path(clean(&dir.join(value))),
        context: clean(&dir),
        build_args: Default::default(),
        target: None,
        platforms: Vec::new(),
        contexts: Vec::new(),
    });
    Ok(found.project)
}

/// The images a file names, as they are found.
struct Found<'a> {
    path: &'a Path,
    source: &'a str,
    project: Project,
}

impl<'a> Found<'a> {
    fn new(path: &'a Path, source: &'a str) -> Found<'a> {
        Found {
            path,
            source,
            project: Project {
                files: vec![path.to_path_buf()],
                ..Project::default()
            },
        }
    }

    /// Record the image `node` names after `prefix` bytes (`docker://`); an expression is
    /// a note, an empty value (a matrix that leaves a service out) nothing.
    fn image(&mut self, owner: &str, node: &Node, prefix: usize, what: &str) -> Result<(), Error> {
        if node.is_null() {
            return Ok(());
        }
        let Some(value) = node.as_str() else {
            return Err(Error::new(
                self.path,
                node.line,
                format!("job {owner}: {what} must be a string"),
            ));
        };
        if value.contains("${{") {
            let shown: String = value.chars().take(80).collect();
            self.project.warnings.push(Warning {
                path: self.path.to_path_buf(),
                line: node.line,
                message: format!("`{shown}` is decided when the workflow runs: not locked"),
            });
            return Ok(());
        }
        let reference = value.get(prefix..).unwrap_or_default();
        if reference.is_empty() {
            return Ok(());
        }
        let image = parse_image(self.path, node.line, reference)?;
        let span = node.text_span(self.source).map(|r| r.start + prefix..r.end);
        self.project.images.push(FileImage {
            owner: owner.to_string(),
            kind: ImageKind::Image,
            path: self.path.to_path_buf(),
            line: node.line,
            raw: reference.to_string(),
            reference: reference.to_string(),
            image,
            span,
            variables: Vec::new(),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_paths() {
        assert!(is_workflow_path(Path::new(".github/workflows/ci.yml")));
        assert!(is_workflow_path(Path::new("a/.github/workflows/x.yaml")));
        assert!(!is_workflow_path(Path::new(".github/ci.yml")));
        assert!(!is_workflow_path(Path::new(".github/workflows/sub/ci.yml")));
        assert!(!is_workflow_path(Path::new(
            ".github/workflows/ci.yml.lock"
        )));
    }

    #[test]
    fn jobs_services_steps_and_expressions() {
        let src = "on: push\njobs:\n  test:\n    container: node:20\n    services:\n      db:\n        image: \"postgres:16\"\n      off:\n        image: ''\n    steps:\n      - uses: actions/checkout@v4\n      - uses: 'docker://alpine:3.20'\n  matrix:\n    container:\n      image: ${{ matrix.image }}\n";
        let p = workflow(Path::new(".github/workflows/ci.yml"), src).unwrap();
        let got: Vec<(&str, usize, &str)> = p
            .images
            .iter()
            .map(|i| (i.owner.as_str(), i.line, &src[i.span.clone().unwrap()]))
            .collect();
        assert_eq!(
            got,
            [
                ("test", 4, "node:20"),
                ("test", 7, "postgres:16"),
                ("test", 12, "alpine:3.20"),
            ]
        );
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, 15);
        assert_eq!(
            p.warnings[0].message,
            "`${{ matrix.image }}` is decided when the workflow runs: not locked"
        );
    }

    #[test]
    fn an_action_runs_an_image_or_builds_its_dockerfile() {
        let p = action(
            Path::new("act/action.yml"),
            "runs:\n  using: docker\n  image: docker://ghcr.io/o/i:1\n",
        )
        .unwrap();
        assert_eq!(p.images[0].reference, "ghcr.io/o/i:1");
        let p = action(
            Path::new("act/action.yml"),
            "runs:\n  using: docker\n  image: Dockerfile\n",
        )
        .unwrap();
        assert_eq!(
            p.builds[0].dockerfile,
            DockerfileSource::Path("act/Dockerfile".into())
        );
        assert_eq!(p.builds[0].context, Path::new("act"));
        let e = workflow(Path::new("w.yml"), "jobs:\n  a:\n    container: [x]\n").unwrap_err();
        assert_eq!(e.line, 3);
    }
}
