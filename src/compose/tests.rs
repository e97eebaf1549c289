use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::builds::DockerfileSource;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::only(pairs)
}

fn one(src: &str, vars: &[(&str, &str)]) -> Result<Project, Error> {
    read(
        &[(Path::new("compose.yaml"), src)],
        Path::new(""),
        &env(vars),
        &BTreeMap::new(),
    )
}

const APP: &str = "\
services:
  web:
    image: nginx:1.25
  db:
    image: \"postgres:${PG:-16}\"
  app:
    image: registry.example/app:dev
    build:
      context: ./app
      dockerfile: Containerfile
      target: runtime
      args:
        BASE: debian:12
        EMPTY:
      platforms: [linux/amd64, linux/arm64]
      additional_contexts:
        tools: docker-image://busybox:1.36
        src: ../src
";

#[test]
fn images_and_builds() {
    let p = one(APP, &[]).unwrap();
    let images: Vec<(&str, &str, usize, Option<&str>)> = p
        .images
        .iter()
        .map(|i| {
            (
                i.owner.as_str(),
                i.reference.as_str(),
                i.line,
                i.span.clone().map(|s| &APP[s]),
            )
        })
        .collect();
    assert_eq!(
        images,
        [
            ("web", "nginx:1.25", 3, Some("nginx:1.25")),
            ("db", "postgres:16", 5, None),
            ("app", "busybox:1.36", 17, Some("busybox:1.36")),
        ]
    );
    assert_eq!(p.images[2].kind, ImageKind::Context("tools".into()));
    let b = &p.builds[0];
    assert_eq!(b.owner, "app");
    assert_eq!(b.line, 9);
    assert_eq!(
        b.dockerfile,
        DockerfileSource::Path(PathBuf::from("app/Containerfile"))
    );
    assert_eq!(b.context, PathBuf::from("app"));
    assert_eq!(b.target.as_deref(), Some("runtime"));
    assert_eq!(b.platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(
        b.build_args,
        BTreeMap::from([("BASE".into(), "debian:12".into())])
    );
    let names: Vec<&str> = b.contexts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["tools", "src"]);
    assert_eq!(b.contexts[0].image(), Some("busybox:1.36"));
}

#[test]
fn an_arg_without_value_comes_from_the_environment() {
    let p = one(APP, &[("EMPTY", "x")]).unwrap();
    assert_eq!(p.builds[0].build_args["EMPTY"], "x");
}

#[test]
fn an_unset_variable_names_file_and_line() {
    let src = "services:\n  web:\n    image: nginx:${TAG}\n";
    let e = one(src, &[]).unwrap_err();
    assert_eq!((e.path.as_path(), e.line), (Path::new("compose.yaml"), 3));
    assert_eq!(e.message, "variable TAG is not set");
    assert!(e.help.unwrap().contains("--env TAG=VALUE"));
    let p = one(src, &[("TAG", "1.27")]).unwrap();
    assert_eq!(p.images[0].reference, "nginx:1.27");
    assert_eq!(p.images[0].raw, "nginx:${TAG}");
    assert_eq!(p.images[0].span, None);
}

#[test]
fn a_required_variable_reports_its_message() {
    let e = one("services:\n  a:\n    image: ${IMG:?set IMG}\n", &[]).unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("set IMG"), "{}", e.message);
}

#[test]
fn dollar_dollar_is_a_literal_dollar_and_not_replaceable() {
    let src = "services:\n  a:\n    build:\n      context: .\n      args:\n        X: $$HOME\n";
    let p = one(src, &[]).unwrap();
    assert_eq!(p.builds[0].build_args["X"], "$HOME");
}

#[test]
fn build_as_a_string_is_the_context_and_list_args_work() {
    let src = "services:\n  a:\n    build: svc\n  b:\n    build:\n      context: svc\n      args: [\"V=1\", \"W\"]\n      additional_contexts: [\"base=docker-image://alpine:3.20\"]\n";
    let p = one(src, &[("W", "2")]).unwrap();
    assert_eq!(
        p.builds[0].dockerfile,
        DockerfileSource::Path("svc/Dockerfile".into())
    );
    assert_eq!(p.builds[1].build_args["V"], "1");
    assert_eq!(p.builds[1].build_args["W"], "2");
    let img = &p.images[0];
    assert_eq!((img.reference.as_str(), img.line), ("alpine:3.20", 8));
    assert_eq!(&src[img.span.clone().unwrap()], "alpine:3.20");
}

#[test]
fn dockerfile_inline() {
    let src = "services:\n  a:\n    build:\n      dockerfile_inline: |\n        FROM alpine:3.20\n";
    let p = one(src, &[]).unwrap();
    assert_eq!(
        p.builds[0].dockerfile,
        DockerfileSource::Inline("FROM alpine:3.20\n".into())
    );
}

#[test]
fn overrides_merge_as_compose_merges() {
    let base = "services:\n  web:\n    image: nginx:1.25\n  app:\n    build:\n      context: app\n      args:\n        A: 1\n        B: 2\n";
    let over = "services:\n  web:\n    image: nginx:1.27\n  app:\n    build:\n      target: dev\n      args:\n        B: 3\n  extra:\n    image: redis:7\n";
    let p = read(
        &[
            (Path::new("compose.yaml"), base),
            (Path::new("compose.override.yaml"), over),
        ],
        Path::new(""),
        &env(&[]),
        &BTreeMap::new(),
    )
    .unwrap();
    let web = &p.images[0];
    assert_eq!(
        (web.reference.as_str(), web.path.as_path(), web.line),
        ("nginx:1.27", Path::new("compose.override.yaml"), 3)
    );
    assert_eq!(p.images[1].reference, "redis:7");
    let b = &p.builds[0];
    assert_eq!(b.target.as_deref(), Some("dev"));
    assert_eq!(b.context, PathBuf::from("app"));
    assert_eq!(b.build_args["A"], "1");
    assert_eq!(b.build_args["B"], "3");
}

#[test]
fn anchors_and_extension_fields() {
    let src = "x-img: &img nginx:1.25\nservices:\n  a:\n    image: *img\n  b:\n    image: *img\n";
    let p = one(src, &[]).unwrap();
    assert_eq!(p.images.len(), 2);
    assert!(p
        .images
        .iter()
        .all(|i| i.line == 1 && i.reference == "nginx:1.25"));
}

#[test]
fn errors_name_the_line() {
    for (src, line, want) in [
        ("services:\n  a:\n    image: [x]\n", 3, "must be a string"),
        (
            "services:\n  a:\n    image: \"Bad:Ref\"\n",
            3,
            "invalid image reference",
        ),
        (
            "services:\n  a:\n    extends: b\n",
            3,
            "which compose.yaml does not define",
        ),
        ("include: other.yaml\n", 1, "`include` must be a list"),
        (
            "services:\n  a:\n    image: a\n   b: [\n",
            4,
            "invalid YAML",
        ),
        ("services: [a]\n", 1, "`services` must be a mapping"),
        (
            "services:\n  a:\n    image: x:${1}\n",
            3,
            "invalid interpolation",
        ),
    ] {
        let e = one(src, &[]).unwrap_err();
        assert!(e.message.contains(want), "{src:?}: {}", e.message);
        assert!(
            e.line == line || (want == "invalid YAML" && e.line >= 3),
            "{src:?}: line {}",
            e.line
        );
    }
}

#[test]
fn a_remote_context_is_a_warning_not_a_build() {
    let src = "services:\n  a:\n    build: https://github.com/o/r.git#main\n";
    let p = one(src, &[]).unwrap();
    assert!(p.builds.is_empty());
    assert_eq!(p.warnings[0].line, 3);
}

#[test]
fn load_reads_the_override_and_dotenv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("compose.yaml"),
        "services:\n  a:\n    image: nginx:${TAG}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("compose.override.yaml"),
        "services:\n  b:\n    image: redis:${R:-7}\n",
    )
    .unwrap();
    std::fs::write(d.join(".env"), "TAG=1.25\n").unwrap();
    let p = load(&d.join("compose.yaml"), &env(&[])).unwrap();
    let refs: Vec<&str> = p.images.iter().map(|i| i.reference.as_str()).collect();
    assert_eq!(refs, ["nginx:1.25", "redis:7"]);
    assert_eq!(p.files.len(), 2);
    // --env wins over .env
    let p = load(&d.join("compose.yaml"), &env(&[("TAG", "1.27")])).unwrap();
    assert_eq!(p.images[0].reference, "nginx:1.27");
    std::fs::write(d.join(".env"), "oops\n").unwrap();
    let e = load(&d.join("compose.yaml"), &env(&[])).unwrap_err();
    assert_eq!((e.path, e.line), (d.join(".env"), 1));
}

#[test]
fn names() {
    assert!(is_compose_name("compose.yaml") && is_compose_name("docker-compose.override.yml"));
    assert!(!is_compose_name("compose.yaml.lock") && !is_compose_name("my-compose.yaml"));
    assert!(is_override_name("compose.override.yml") && !is_override_name("compose.yml"));
    assert_eq!(clean(Path::new("./a/./b/../c")), PathBuf::from("a/c"));
    assert_eq!(clean(Path::new("../x")), PathBuf::from("../x"));
}

#[test]
fn an_alias_bomb_is_named_as_a_limit_not_a_syntax_error() {
    let mut src = String::from("x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..9 {
        let items = vec![format!("*a{}", i - 1); 10].join(", ");
        src.push_str(&format!("x-a{i}: &a{i} [{items}]\n"));
    }
    src.push_str("services:\n  web:\n    image: nginx:1.25\n");
    let e = one(&src, &[]).unwrap_err();
    assert!(
        e.message.starts_with("YAML aliases expand to more than"),
        "{}",
        e.message
    );
    assert_eq!(e.line, 5);
}

#[test]
fn interpolated_values_are_capped_one_by_one_and_together() {
    let big = "x".repeat(600 * 1024);
    let src = "services:\n  web:\n    image: nginx:1.25\n    build:\n      context: .\n      args:\n        A: ${BIG}${BIG}\n";
    let e = one(src, &[("BIG", &big)]).unwrap_err();
    assert_eq!(e.message, "the interpolated value is longer than 1 MiB");
    assert_eq!(e.line, 7);
    assert!(!e.message.contains("xxxx"));

    let mut src = String::from("services:\n  web:\n    build:\n      context: .\n      args:\n");
    for i in 0..120 {
        src.push_str(&format!("        A{i}: $BIG\n"));
    }
    let e = one(&src, &[("BIG", &big)]).unwrap_err();
    assert_eq!(
        e.message,
        "the interpolated values are longer than 64 MiB in total"
    );
}

#[test]
fn an_override_replaces_a_named_context_and_its_image() {
    let base = "services:\n  app:\n    build:\n      context: .\n      additional_contexts:\n        tools: docker-image://busybox:1.36\n        base: docker-image://alpine:3\n        src: ../src\n";
    let over = "services:\n  app:\n    build:\n      additional_contexts:\n        tools: ../tools\n        src: docker-image://debian:12\n";
    let p = read(
        &[
            (Path::new("compose.yaml"), base),
            (Path::new("compose.override.yaml"), over),
        ],
        Path::new(""),
        &env(&[]),
        &BTreeMap::new(),
    )
    .unwrap();
    let contexts: Vec<(&str, &str)> = p.builds[0]
        .contexts
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        contexts,
        [
            ("base", "docker-image://alpine:3"),
            ("tools", "../tools"),
            ("src", "docker-image://debian:12")
        ]
    );
    let images: Vec<(&str, usize)> = p
        .images
        .iter()
        .map(|i| (i.reference.as_str(), i.line))
        .collect();
    assert_eq!(images, [("alpine:3", 7), ("debian:12", 6)]);
}

#[test]
fn names_from_the_file_are_shown_as_short_excerpts() {
    let long = "n".repeat(100_000);
    for src in [
        format!("services:\n  web:\n    image: \"${{{long}}}\"\n"),
        format!("services:\n  web:\n    image: \"${{{long}:?x}}\"\n"),
        format!("services:\n  web:\n    image: \"${{{long}/a/b}}\"\n"),
        format!("services:\n  web:\n    image: \"${{-{long}}}\"\n"),
        format!("services:\n  {long}:\n    build: [x]\n"),
        format!("services:\n  {long}: x\n"),
    ] {
        let e = one(&src, &[]).unwrap_err();
        let len = e.message.len() + e.help.map_or(0, |h| h.len());
        assert!(
            len < 1000,
            "{len} bytes: {}",
            &e.message[..200.min(e.message.len())]
        );
    }
}

#[test]
fn a_version_1_file_is_an_error_that_says_so() {
    let src = "web:\n  image: nginx:1.25\ndb:\n  build: .\n";
    let e = one(src, &[]).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("version 1"), "{}", e.message);
    assert!(e.help.unwrap().contains("services:"));
    let e = one("services: {}\nweb:\n  image: nginx\n", &[]).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("unknown top-level key"), "{}", e.message);
    assert!(one("version: '3'\nx-a: 1\nname: p\nservices: {}\n", &[]).is_ok());
}

#[test]
fn a_service_with_neither_image_nor_build_is_an_error() {
    for src in [
        "services:\n  web:\n    ports: [\"80:80\"]\n",
        "services:\n  web:\n    image: ${IMG:-}\n",
        "services:\n  web:\n",
    ] {
        let e = one(src, &[]).unwrap_err();
        assert!(
            e.message.contains("neither an image nor a build"),
            "{src:?}: {}",
            e.message
        );
        assert!(e.line == 2 || e.line == 3, "{src:?}: {}", e.line);
    }
    // Under a profile, compose checks it only when the profile is enabled.
    assert!(one("services:\n  web:\n    profiles: [x]\n", &[]).is_ok());
}

#[test]
fn an_empty_platform_means_no_platform() {
    let src = "services:\n  a:\n    build: .\n    platform: ${DOCKER_PLATFORM:-}\n";
    let p = one(src, &[]).unwrap();
    assert!(p.builds[0].platforms.is_empty());
    assert!(p.builds[0].options().is_ok());
}

#[test]
fn shell_substitution_in_a_value_is_kept_as_written() {
    let src = "services:\n  a:\n    build:\n      dockerfile_inline: |\n        FROM alpine:3.20\n        RUN echo $(uname -m) > /arch && echo $1\n";
    let p = one(src, &[]).unwrap();
    assert_eq!(
        p.builds[0].dockerfile,
        DockerfileSource::Inline(
            "FROM alpine:3.20\nRUN echo $(uname -m) > /arch && echo $1\n".into()
        )
    );
}

#[test]
fn dotenv_values_are_interpolated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("compose.yaml"),
        "services:\n  a:\n    image: nginx:${TAG}\n",
    )
    .unwrap();
    std::fs::write(d.join(".env"), "TAG=\"${TAG:-1.25}\"\n").unwrap();
    let p = load(&d.join("compose.yaml"), &env(&[])).unwrap();
    assert_eq!(p.images[0].reference, "nginx:1.25");
    let p = load(&d.join("compose.yaml"), &env(&[("TAG", "1.27")])).unwrap();
    assert_eq!(p.images[0].reference, "nginx:1.27");
}

#[test]
fn extends_in_the_same_file_merges_as_an_override() {
    let src = "services:\n  base:\n    build:\n      context: app\n      args:\n        A: 1\n  web:\n    extends:\n      service: base\n    build:\n      args:\n        B: 2\n";
    let p = one(src, &[]).unwrap();
    let web = &p.builds[1];
    assert_eq!(web.owner, "web");
    assert_eq!(web.context, PathBuf::from("app"));
    assert_eq!(
        (web.build_args["A"].as_str(), web.build_args["B"].as_str()),
        ("1", "2")
    );
    let e = one(
        "services:\n  a:\n    extends:\n      file: x.yaml\n      service: b\n",
        &[],
    )
    .unwrap_err();
    assert_eq!((e.path.as_path(), e.line), (Path::new("compose.yaml"), 4));
}

#[test]
fn a_variant_is_read_over_the_default_file_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("docker-compose.prod.yml"), "services: {}\n").unwrap();
    assert_eq!(
        files_of(&d.join("docker-compose.prod.yml")),
        [d.join("docker-compose.prod.yml")]
    );
    std::fs::write(d.join("docker-compose.yml"), "services: {}\n").unwrap();
    std::fs::write(d.join("docker-compose.override.yml"), "services: {}\n").unwrap();
    assert_eq!(
        files_of(&d.join("docker-compose.prod.yml")),
        [
            d.join("docker-compose.yml"),
            d.join("docker-compose.prod.yml")
        ]
    );
    assert_eq!(
        files_of(&d.join("docker-compose.yml")),
        [
            d.join("docker-compose.yml"),
            d.join("docker-compose.override.yml")
        ]
    );
    assert!(is_variant_name("compose.ci.yaml") && !is_variant_name("compose.override.yaml"));
}
