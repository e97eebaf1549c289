use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::only(pairs)
}

fn hcl(src: &str, vars: &[(&str, &str)]) -> Result<Project, Error> {
    read(
        &[(Path::new("docker-bake.hcl"), src)],
        Path::new(""),
        &env(vars),
    )
}

const BAKE: &str = r#"variable "BASE" {
  default = "alpine:3.19"
}
variable "REG" { default = "ghcr.io/acme" }

group "default" {
  targets = ["api", "worker"]
}

target "_common" {
  context = "svc"
  args = {
    BASE = BASE
    KEEP = "1"
  }
  contexts = {
    tools = "docker-image://busybox:1.36"
  }
}

target "api" {
  inherits = ["_common"]
  dockerfile = "api.Dockerfile"
  target = "runtime"
  platforms = ["linux/amd64", "linux/arm64"]
  args = {
    KEEP = "${REG}/x"
  }
}

target "worker" {
  inherits = ["_common"]
  dockerfile-inline = <<-EOT
    FROM ${BASE}
    EOT
}
"#;

#[test]
fn targets_inherit_and_variables_default() {
    let p = hcl(BAKE, &[]).unwrap();
    let owners: Vec<&str> = p.builds.iter().map(|b| b.owner.as_str()).collect();
    assert_eq!(owners, ["api", "worker"]);
    let api = &p.builds[0];
    assert_eq!(api.line, 21);
    assert_eq!(
        api.dockerfile,
        DockerfileSource::Path(PathBuf::from("svc/api.Dockerfile"))
    );
    assert_eq!(api.context, PathBuf::from("svc"));
    assert_eq!(api.target.as_deref(), Some("runtime"));
    assert_eq!(api.platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(
        api.build_args,
        BTreeMap::from([
            ("BASE".to_string(), "alpine:3.19".to_string()),
            ("KEEP".to_string(), "ghcr.io/acme/x".to_string()),
        ])
    );
    assert_eq!(api.contexts[0].image(), Some("busybox:1.36"));
    let worker = &p.builds[1];
    assert_eq!(
        worker.dockerfile,
        DockerfileSource::Inline("FROM alpine:3.19\n".into())
    );
    // One context image per target that uses it, at the line it is written.
    let imgs: Vec<(&str, usize, &str)> = p
        .images
        .iter()
        .map(|i| (i.owner.as_str(), i.line, &BAKE[i.span.clone().unwrap()]))
        .collect();
    assert_eq!(
        imgs,
        [("api", 17, "busybox:1.36"), ("worker", 17, "busybox:1.36")]
    );
}

#[test]
fn the_environment_overrides_a_default() {
    let p = hcl(BAKE, &[("BASE", "alpine:3.20")]).unwrap();
    assert_eq!(p.builds[0].build_args["BASE"], "alpine:3.20");
    assert_eq!(
        p.builds[1].dockerfile,
        DockerfileSource::Inline("FROM alpine:3.20\n".into())
    );
}

#[test]
fn a_target_outside_groups_is_built_unless_only_inherited() {
    let src = "target \"base\" {}\ntarget \"a\" { inherits = [\"base\"] }\ntarget \"lone\" { dockerfile = \"x\" }\n";
    let p = hcl(src, &[]).unwrap();
    let owners: Vec<&str> = p.builds.iter().map(|b| b.owner.as_str()).collect();
    assert_eq!(owners, ["a", "lone"]);
}

#[test]
fn what_is_not_evaluated_is_named_with_its_line() {
    for (src, line, want) in [
        (
            "target \"a\" {\n  args = {\n    V = lower(\"X\")\n  }\n}\n",
            3,
            "function `lower`",
        ),
        (
            "target \"a\" {\n  dockerfile = target.b.dockerfile\n}\n",
            2,
            "access to another target's attributes",
        ),
        (
            "target \"a\" {\n  context = NOPE\n}\n",
            2,
            "unknown variable NOPE",
        ),
        (
            "target \"a\" {\n  context = \"%{if true}x%{endif}\"\n}\n",
            2,
            "template directives",
        ),
        (
            "target \"a\" {\n  matrix = { v = [\"1\"] }\n}\n",
            2,
            "needs a `name`",
        ),
        (
            "target \"a\" {\n  inherits = [\"b\"]\n}\n",
            2,
            "not a target",
        ),
        (
            "group \"g\" {\n  targets = [\"b\"]\n}\n",
            2,
            "not a target or group",
        ),
        ("target \"a\" {\n  context = \n}\n", 2, "invalid HCL"),
        (
            "variable \"A\" { default = A }\ntarget \"a\" {\n  context = A\n}\n",
            3,
            "refers to itself",
        ),
        (
            "target \"a\" {\n  platforms = \"linux/amd64\"\n}\n",
            2,
            "must be a list",
        ),
    ] {
        let e = hcl(src, &[]).unwrap_err();
        assert!(e.message.contains(want), "{src:?}: {}", e.message);
        assert_eq!(e.line, line, "{src:?}: {}", e.message);
    }
}

#[test]
fn conditionals_and_comparisons() {
    let src = "variable \"DEV\" { default = \"\" }\ntarget \"a\" {\n  target = DEV != \"\" ? \"dev\" : \"prod\"\n  args = { X = !(DEV == \"\") && true ? \"y\" : \"n\" }\n}\n";
    let p = hcl(src, &[]).unwrap();
    assert_eq!(p.builds[0].target.as_deref(), Some("prod"));
    assert_eq!(p.builds[0].build_args["X"], "n");
    let p = hcl(src, &[("DEV", "1")]).unwrap();
    assert_eq!(p.builds[0].target.as_deref(), Some("dev"));
    assert_eq!(p.builds[0].build_args["X"], "y");
}

#[test]
fn json_and_overrides() {
    let json = "{\n  \"variable\": {\"TAG\": {\"default\": \"3.19\"}},\n  \"target\": {\n    \"app\": {\n      \"args\": {\"BASE\": \"alpine:${TAG}\"},\n      \"contexts\": {\"x\": \"docker-image://redis:7\"}\n    }\n  }\n}\n";
    let over = "target \"app\" {\n  target = \"final\"\n}\n";
    let p = read(
        &[
            (Path::new("docker-bake.json"), json),
            (Path::new("docker-bake.override.hcl"), over),
        ],
        Path::new("proj"),
        &env(&[]),
    )
    .unwrap();
    let b = &p.builds[0];
    assert_eq!(b.build_args["BASE"], "alpine:3.19");
    assert_eq!(b.target.as_deref(), Some("final"));
    assert_eq!(
        b.dockerfile,
        DockerfileSource::Path("proj/Dockerfile".into())
    );
    let i = &p.images[0];
    assert_eq!((i.reference.as_str(), i.line), ("redis:7", 6));
    assert_eq!(&json[i.span.clone().unwrap()], "redis:7");
}

#[test]
fn load_finds_override_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("docker-bake.hcl"),
        "target \"a\" { args = { V = \"1\" } }\n",
    )
    .unwrap();
    std::fs::write(
        d.join("docker-bake.override.hcl"),
        "target \"a\" { args = { V = \"2\" } }\n",
    )
    .unwrap();
    let p = load(&d.join("docker-bake.hcl"), &env(&[])).unwrap();
    assert_eq!(p.files.len(), 2);
    assert_eq!(p.builds[0].build_args["V"], "2");
    assert_eq!(p.builds[0].context, clean(d));
    assert!(is_bake_name("docker-bake.override.json") && !is_bake_name("docker-bake.hcl.lock"));
}

#[test]
fn diamond_inherits_merge_in_order_as_before() {
    let src = "target \"base\" {\n  args = { A = \"base\", B = \"base\" }\n  contexts = { x = \"docker-image://x:base\", y = \"docker-image://y:base\" }\n}\ntarget \"b\" {\n  inherits = [\"base\"]\n  args = { B = \"b\" }\n  contexts = { y = \"docker-image://y:b\" }\n}\ntarget \"c\" {\n  inherits = [\"base\"]\n  contexts = { x = \"docker-image://x:c\" }\n}\ntarget \"a\" {\n  inherits = [\"b\", \"c\"]\n}\n";
    let p = hcl(src, &[]).unwrap();
    let owners: Vec<&str> = p.builds.iter().map(|b| b.owner.as_str()).collect();
    assert_eq!(owners, ["a"]);
    let a = &p.builds[0];
    // `c` comes last and carries `base`'s B again: parents replace what earlier ones set.
    assert_eq!(a.build_args["A"], "base");
    assert_eq!(a.build_args["B"], "base");
    let contexts: Vec<(&str, &str)> = a
        .contexts
        .iter()
        .map(|c| (c.name.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        contexts,
        [("y", "docker-image://y:base"), ("x", "docker-image://x:c")]
    );
}

#[test]
fn a_cycle_of_inherits_is_named() {
    let src = "target \"a\" {\n  inherits = [\"b\"]\n}\ntarget \"b\" {\n  inherits = [\"c\"]\n}\ntarget \"c\" {\n  inherits = [\"a\"]\n}\ntarget \"d\" {\n  inherits = [\"a\"]\n}\n";
    let e = hcl(src, &[]).unwrap_err();
    assert!(e.message.contains("inherits from itself"), "{}", e.message);
    assert_eq!(e.line, 8);
}

#[test]
fn inheriting_from_every_earlier_target_is_resolved_once_each() {
    // 200 targets, 19,900 edges: resolving each path anew would never finish.
    let mut src = String::from("target \"t0\" {\n  args = { A0 = \"0\" }\n}\n");
    for i in 1..200 {
        let parents: Vec<String> = (0..i).map(|p| format!("\"t{p}\"")).collect();
        src.push_str(&format!(
            "target \"t{i}\" {{\n  inherits = [{}]\n  args = {{ A{i} = \"{i}\" }}\n}}\n",
            parents.join(", ")
        ));
    }
    let p = hcl(&src, &[]).unwrap();
    assert_eq!(p.builds.len(), 1);
    assert_eq!(p.builds[0].build_args.len(), 200);
}

/// Variables `v0` (8 bytes) to `v{n-1}`, each twice the one before, and a target using
/// the last.
fn doubling(n: usize) -> String {
    let mut src = String::from("variable \"v0\" {\n  default = \"xxxxxxxx\"\n}\n");
    for i in 1..n {
        src.push_str(&format!(
            "variable \"v{i}\" {{\n  default = \"${{v{p}}}${{v{p}}}\"\n}}\n",
            p = i - 1
        ));
    }
    src.push_str(&format!(
        "target \"a\" {{\n  args = {{ X = v{} }}\n}}\n",
        n - 1
    ));
    src
}

#[test]
fn doubling_variables_stop_at_the_value_cap() {
    // v16 is 8 << 16 bytes, half the cap.
    let p = hcl(&doubling(17), &[]).unwrap();
    assert_eq!(p.builds[0].build_args["X"].len(), eval::MAX_VALUE / 2);
    let e = hcl(&doubling(40), &[]).unwrap_err();
    assert!(
        e.message
            .starts_with("a value is longer than 1 MiB (in the default of v18, "),
        "{}",
        e.message
    );
    assert_eq!(e.line, 122);
    assert_eq!(e.help, None);
}

#[test]
fn values_used_many_times_count_against_the_total() {
    let mut src = doubling(17);
    for t in 0..150 {
        src.push_str(&format!("target \"t{t}\" {{\n  args = {{ X = v16 }}\n}}\n"));
    }
    let e = hcl(&src, &[]).unwrap_err();
    assert!(e.message.contains("64 MiB in total"), "{}", e.message);
}

#[test]
fn a_long_list_is_a_long_value() {
    let mut src = doubling(17);
    src.push_str("target \"b\" {\n  platforms = [v16, v16, v16]\n}\n");
    let e = hcl(&src, &[]).unwrap_err();
    assert!(e.message.contains("longer than 1 MiB"), "{}", e.message);
}

#[test]
fn a_cycle_of_variables_is_an_error_only_where_it_is_used() {
    let src = "variable \"A\" {\n  default = B\n}\nvariable \"B\" {\n  default = \"${A}x\"\n}\nvariable \"C\" {\n  default = true ? \"ok\" : C\n}\ntarget \"a\" {\n  args = { X = C }\n}\n";
    let p = hcl(src, &[]).unwrap();
    assert_eq!(p.builds[0].build_args["X"], "ok");
    let e = hcl(
        &format!("{src}target \"b\" {{\n  args = {{ Y = A }}\n}}\n"),
        &[],
    )
    .unwrap_err();
    assert!(
        e.message
            .starts_with("variable A refers to itself (in the default of B,"),
        "{}",
        e.message
    );
    assert_eq!(e.line, 14);
}

#[test]
fn names_from_the_file_are_shown_as_short_excerpts() {
    let long = "n".repeat(100_000);
    for src in [
        format!("target \"{long}\" {{\n  inherits = [\"{long}x\"]\n}}\n"),
        format!("target \"a\" {{\n  context = {long}\n}}\n"),
        format!("variable \"{long}\" {{\n  default = {long}\n}}\ntarget \"a\" {{\n  context = {long}\n}}\n"),
        format!("target \"{long}\" {{\n  args = {{ {long} = [] }}\n}}\n"),
        format!("group \"{long}\" {{\n  targets = [\"{long}x\"]\n}}\n"),
    ] {
        let e = hcl(&src, &[]).expect_err(&src[..30.min(src.len())]);
        let len = e.message.len() + e.help.map_or(0, |h| h.len());
        assert!(len < 1000, "{len} bytes: {}", &e.message[..200.min(e.message.len())]);
    }
}

#[test]
fn a_matrix_makes_one_target_per_combination() {
    let src = r#"target "app" {
  name = "app-${tgt}-${v}"
  matrix = {
    tgt = ["dev", "prod"]
    v = ["1", "2"]
  }
  target = tgt
  args = { V = v }
}
"#;
    let p = hcl(src, &[]).unwrap();
    let got: Vec<(&str, Option<&str>, &str)> = p
        .builds
        .iter()
        .map(|b| {
            (
                b.owner.as_str(),
                b.target.as_deref(),
                b.build_args["V"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("app-dev-1", Some("dev"), "1"),
            ("app-dev-2", Some("dev"), "2"),
            ("app-prod-1", Some("prod"), "1"),
            ("app-prod-2", Some("prod"), "2"),
        ]
    );
    let many = "target \"a\" {\n  name = \"a-${x}-${y}\"\n  matrix = { x = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17], y = [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16] }\n}\n";
    let e = hcl(many, &[]).unwrap_err();
    assert!(e.message.contains("more than 256"), "{}", e.message);
    let wide = (0..5)
        .map(|i| {
            format!(
                "target \"t{i}\" {{\n  name = \"t{i}-${{x}}\"\n  matrix = {{ x = [{}] }}\n}}\n",
                (0..250)
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect::<String>();
    let e = hcl(&wide, &[]).unwrap_err();
    assert!(e.message.contains("more than 1024"), "{}", e.message);
    let bad = "target \"a\" {\n  name = \"a/${x}\"\n  matrix = { x = [\"1\"] }\n}\n";
    assert!(hcl(bad, &[])
        .unwrap_err()
        .message
        .contains("names a target"));
}

#[test]
fn a_matrix_of_objects_is_read_by_attribute() {
    let src = r#"target "img" {
  name = "img-${item.name}"
  matrix = {
    item = [
      { name = "old", base = "debian:11" },
      { name = "new", base = "debian:12" },
    ]
  }
  args = { BASE = item.base, FIRST = item["name"] }
}
"#;
    let p = hcl(src, &[]).unwrap();
    let got: Vec<(&str, &str, &str)> = p
        .builds
        .iter()
        .map(|b| {
            (
                b.owner.as_str(),
                b.build_args["BASE"].as_str(),
                b.build_args["FIRST"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("img-old", "debian:11", "old"),
            ("img-new", "debian:12", "new")
        ]
    );
    let e = hcl(
        "target \"a\" {\n  name = \"a-${x.nope}\"\n  matrix = { x = [{ y = 1 }] }\n}\n",
        &[],
    )
    .unwrap_err();
    assert!(e.message.contains("no element"), "{}", e.message);
}
