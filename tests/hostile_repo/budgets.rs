//! Budgets of the compose and bake readers: a small file whose aliases, `inherits` or
//! variables multiply what is read must be refused with the limit named (exit 2), or read
//! correctly when the work is only linear, and always within a few seconds and the memory
//! cap of [`Tree::run`].

use std::time::Duration;

use crate::tree::{Run, Tree};

/// Every run here reads one small file; it must not take longer than this.
const QUICK: Duration = Duration::from_secs(5);

fn tree_with(files: &[(&str, &str)]) -> Tree {
    let tree = Tree::new();
    for (rel, text) in files {
        tree.write(rel, text);
    }
    tree.commit();
    tree
}

/// The exit code and the start of stderr, for assertion messages.
fn brief(run: &Run) -> String {
    let err: String = run.stderr.chars().take(400).collect();
    format!("exit {:?} after {:?}: {err}", run.code, run.elapsed)
}

/// Exit 2, an `error:` naming `what` and pointing at `file`, within [`QUICK`].
fn assert_refused(run: &Run, what: &str, file: &str) {
    eprintln!("{:?} for a refusal naming {what:?}", run.elapsed);
    assert_eq!(run.code, Some(2), "{}", brief(run));
    assert!(run.stderr.contains("error: "), "{}", brief(run));
    assert!(run.stderr.contains(what), "{what:?} not in {}", brief(run));
    assert!(
        run.stderr.contains(&format!("--> {file}:")),
        "{}",
        brief(run)
    );
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
}

/// A "billion laughs": nine levels of ten aliases each, under 1 KiB.
fn yaml_alias_bomb() -> String {
    let mut s = String::from("x-a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 1..9 {
        let items = vec![format!("*a{}", i - 1); 10].join(",");
        s.push_str(&format!("x-a{i}: &a{i} [{items}]\n"));
    }
    s
}

#[test]
fn a_yaml_alias_bomb_in_a_compose_file_is_refused() {
    let bomb = yaml_alias_bomb() + "services:\n  web:\n    image: nginx:1.25\n";
    assert!(bomb.len() <= 1024, "{}", bomb.len());
    let tree = tree_with(&[("compose.yaml", &bomb)]);
    for args in [&["verify", "--recursive"][..], &["images", "compose.yaml"]] {
        let run = tree.run(args, &[]);
        assert_refused(&run, "YAML aliases expand to more than", "compose.yaml");
    }
}

#[test]
fn a_yaml_alias_bomb_in_a_bake_json_file_is_refused() {
    // A `.json` bake file is read by the YAML reader, so anchors work there too.
    let bomb = yaml_alias_bomb() + "target:\n  a:\n    dockerfile-inline: \"FROM alpine\"\n";
    let tree = tree_with(&[("docker-bake.json", &bomb)]);
    let run = tree.run(&["images", "docker-bake.json"], &[]);
    assert_refused(&run, "YAML aliases expand to more than", "docker-bake.json");
}

#[test]
fn aliases_that_deepen_a_yaml_tree_are_refused() {
    // Each anchor nests the one before 190 levels deeper: few nodes, a very deep tree.
    let mut s = String::from("x-d0: &d0 1\n");
    for i in 1..300 {
        s.push_str(&format!(
            "x-d{i}: &d{i} {}*d{}{}\n",
            "[".repeat(190),
            i - 1,
            "]".repeat(190)
        ));
    }
    s.push_str("services:\n  web:\n    image: nginx:1.25\n");
    let tree = tree_with(&[("compose.yaml", &s)]);
    let run = tree.run(&["images", "compose.yaml"], &[]);
    assert_refused(&run, "levels deep", "compose.yaml");
}

#[test]
fn an_interpolated_compose_value_is_capped() {
    let big = "x".repeat(600 * 1024);
    let env = format!("BIG={big}\n");
    let compose = "services:\n  web:\n    image: nginx:1.25\n    build:\n      context: .\n      args:\n        A: ${BIG}${BIG}\n";
    let tree = tree_with(&[
        ("compose.yaml", compose),
        (".env", &env),
        ("Dockerfile", "FROM alpine:3.19\n"),
    ]);
    let run = tree.run(&["images", "compose.yaml"], &[]);
    assert_refused(&run, "longer than 1 MiB", "compose.yaml");
    assert!(!run.output().contains(&big[..100]), "the value was echoed");
}

#[test]
fn interpolated_compose_values_have_a_total_budget() {
    // Each value is under the cap; together they are not.
    let big = "x".repeat(900 * 1024);
    let env = format!("BIG={big}\n");
    let mut compose =
        String::from("services:\n  web:\n    build:\n      context: .\n      args:\n");
    for i in 0..100 {
        compose.push_str(&format!("        A{i}: $BIG\n"));
    }
    let tree = tree_with(&[
        ("compose.yaml", &compose),
        (".env", &env),
        ("Dockerfile", "FROM alpine:3.19\n"),
    ]);
    let run = tree.run(&["images", "compose.yaml"], &[]);
    assert_refused(&run, "MiB in total", "compose.yaml");
}

/// `n` targets; target i inherits from `parents(i)`; the first has an inline Dockerfile.
fn bake_targets(n: usize, parents: impl Fn(usize) -> Vec<usize>) -> String {
    let mut s = String::from("target \"t0\" {\n  dockerfile-inline = \"FROM alpine:3.19\"\n}\n");
    for i in 1..n {
        let list: Vec<String> = parents(i).iter().map(|p| format!("\"t{p}\"")).collect();
        s.push_str(&format!(
            "target \"t{i}\" {{\n  inherits = [{}]\n}}\n",
            list.join(", ")
        ));
    }
    s
}

#[test]
fn thirty_targets_that_inherit_from_all_earlier_ones_are_read_once_each() {
    let bake = bake_targets(30, |i| (0..i).collect());
    let tree = tree_with(&[("docker-bake.hcl", &bake)]);
    let run = tree.run(&["images", "docker-bake.hcl"], &[]);
    eprintln!(
        "{:?} for 30 targets inheriting from all earlier ones",
        run.elapsed
    );
    assert_eq!(run.code, Some(0), "{}", brief(&run));
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
    // Only the last target is built; the others are its templates.
    assert!(run.stdout.contains("alpine:3.19"), "{}", brief(&run));
    assert_eq!(
        run.stdout.matches("alpine:3.19").count(),
        2,
        "{}",
        brief(&run)
    );
}

#[test]
fn a_ten_thousand_target_inherits_chain_is_linear() {
    let bake = bake_targets(10_000, |i| vec![i - 1]);
    let tree = tree_with(&[("docker-bake.hcl", &bake)]);
    let run = tree.run(&["images", "docker-bake.hcl"], &[]);
    eprintln!("{:?} for a 10,000-target inherits chain", run.elapsed);
    assert_eq!(run.code, Some(0), "{}", brief(&run));
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
    assert_eq!(
        run.stdout.matches("alpine:3.19").count(),
        2,
        "{}",
        brief(&run)
    );
    let run = tree.run(&["verify", "--recursive"], &[]);
    eprintln!("{:?} for verify on it", run.elapsed);
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
    assert!(run.stdout.contains("missing-lockfile"), "{}", brief(&run));
}

#[test]
fn forty_doubling_bake_variables_are_refused() {
    let mut bake = String::from("variable \"v0\" {\n  default = \"xxxxxxxx\"\n}\n");
    for i in 1..40 {
        bake.push_str(&format!(
            "variable \"v{i}\" {{\n  default = \"${{v{p}}}${{v{p}}}\"\n}}\n",
            p = i - 1
        ));
    }
    bake.push_str("target \"a\" {\n  dockerfile-inline = \"FROM alpine:3.19\"\n  args = {\n    X = v39\n  }\n}\n");
    let tree = tree_with(&[("docker-bake.hcl", &bake)]);
    for args in [
        &["verify", "--recursive"][..],
        &["images", "docker-bake.hcl"],
    ] {
        let run = tree.run(args, &[]);
        assert_refused(&run, "longer than 1 MiB", "docker-bake.hcl");
    }
}

#[test]
fn bake_values_have_a_total_budget() {
    // A value under the cap, used by many targets.
    let mut bake = String::from("variable \"v0\" {\n  default = \"xxxxxxxx\"\n}\n");
    for i in 1..17 {
        bake.push_str(&format!(
            "variable \"v{i}\" {{\n  default = \"${{v{p}}}${{v{p}}}\"\n}}\n",
            p = i - 1
        ));
    }
    for t in 0..150 {
        bake.push_str(&format!(
            "target \"t{t}\" {{\n  dockerfile-inline = \"FROM alpine:3.19\"\n  args = {{\n    A = v16\n  }}\n}}\n"
        ));
    }
    let tree = tree_with(&[("docker-bake.hcl", &bake)]);
    let run = tree.run(&["images", "docker-bake.hcl"], &[]);
    assert_refused(&run, "MiB in total", "docker-bake.hcl");
}

#[test]
fn twenty_thousand_named_contexts_are_read_in_linear_time() {
    let mut compose = String::from(
        "services:\n  web:\n    build:\n      context: .\n      dockerfile_inline: \"FROM alpine:3.19\"\n      additional_contexts:\n",
    );
    for i in 0..20_000 {
        compose.push_str(&format!("        c{i}: docker-image://alpine:{i}\n"));
    }
    // Written twice, the last wins, in the place of the last.
    compose.push_str("        c0: docker-image://busybox:1\n");
    let tree = tree_with(&[("compose.yaml", &compose)]);
    let run = tree.run(&["images", "--format", "json", "compose.yaml"], &[]);
    eprintln!("{:?} for 20,000 named contexts", run.elapsed);
    assert_eq!(run.code, Some(0), "{}", brief(&run));
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let refs: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 20_001, "the contexts and the build's FROM");
    assert!(!refs.contains(&"alpine:0"));
    assert_eq!(refs.iter().filter(|r| **r == "busybox:1").count(), 1);
}

#[test]
fn forty_thousand_services_are_read_in_linear_time() {
    let mut compose = String::from("services:\n");
    for i in 0..40_000 {
        compose.push_str(&format!("  s{i}:\n    image: alpine:{i}\n"));
    }
    let tree = tree_with(&[("compose.yaml", &compose)]);
    let run = tree.run(&["images", "compose.yaml"], &[]);
    eprintln!("{:?} for 40,000 services", run.elapsed);
    assert_eq!(run.code, Some(0), "{}", brief(&run));
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
    assert_eq!(run.stdout.lines().count(), 40_001);
}

/// Ten thousand variables, each the one before in a template; the first is `first`.
fn variable_chain(first: &str) -> String {
    let mut bake = format!("variable \"v0\" {{\n  default = {first}\n}}\n");
    for i in 1..10_000 {
        bake.push_str(&format!(
            "variable \"v{i}\" {{\n  default = \"${{v{}}}\"\n}}\n",
            i - 1
        ));
    }
    bake.push_str("target \"a\" {\n  dockerfile = \"${v9999}\"\n}\n");
    bake
}

#[test]
fn a_ten_thousand_variable_chain_is_read_without_recursion() {
    // Evaluated by recursion, such a chain outgrows the stack.
    let tree = tree_with(&[
        ("docker-bake.hcl", &variable_chain("\"Containerfile\"")),
        ("Containerfile", "FROM alpine:3.19\n"),
    ]);
    let run = tree.run(&["images", "docker-bake.hcl"], &[]);
    eprintln!("{:?} for a 10,000-variable chain", run.elapsed);
    assert_eq!(run.code, Some(0), "{}", brief(&run));
    assert!(run.elapsed < QUICK, "took {:?}", run.elapsed);
    assert!(run.stdout.contains("Containerfile:1"), "{}", run.stdout);
}

#[test]
fn a_ten_thousand_variable_cycle_is_refused_without_recursion() {
    let tree = tree_with(&[("docker-bake.hcl", &variable_chain("v9999"))]);
    let run = tree.run(&["images", "docker-bake.hcl"], &[]);
    assert_refused(&run, "refers to itself", "docker-bake.hcl");
    assert!(run.stderr.len() < 1000, "{}", brief(&run));
}
