//! The YAML tree: lines and spans, aliases and merge keys, and the alias and nesting
//! budgets.

use super::*;

#[test]
fn scalars_keep_their_line_and_span() {
    let src = "services:\n  web:\n    image: nginx:1.25\n  db:\n    image: \"postgres:16\"\n";
    let doc = parse(src).unwrap();
    let web = doc.get("services").unwrap().get("web").unwrap();
    let image = web.get("image").unwrap();
    assert_eq!(image.as_str(), Some("nginx:1.25"));
    assert_eq!(image.line, 3);
    assert_eq!(&src[image.text_span(src).unwrap()], "nginx:1.25");
    let db = doc
        .get("services")
        .unwrap()
        .get("db")
        .unwrap()
        .get("image")
        .unwrap();
    assert_eq!(db.line, 5);
    assert_eq!(&src[db.text_span(src).unwrap()], "postgres:16");
}

#[test]
fn an_escape_in_a_quoted_value_has_no_replaceable_span() {
    let src = "a: \"x\\ty\"\nb: 'it''s'\n";
    let doc = parse(src).unwrap();
    assert_eq!(doc.get("a").unwrap().text_span(src), None);
    assert_eq!(doc.get("b").unwrap().text_span(src), None);
}

#[test]
fn aliases_and_merge_keys_resolve() {
    let src = "x-base: &base\n  image: alpine:3\n  user: root\nweb:\n  <<: *base\n  user: app\n";
    let doc = parse(src).unwrap();
    let web = doc.get("web").unwrap();
    assert_eq!(web.get("image").unwrap().as_str(), Some("alpine:3"));
    assert_eq!(web.get("image").unwrap().line, 2);
    assert_eq!(web.get("user").unwrap().as_str(), Some("app"));
}

#[test]
fn a_syntax_error_names_its_line() {
    let err = parse("a: b\nc: [d\n").unwrap_err();
    assert!(err.line >= 2, "{err:?}");
}

#[test]
fn utf8_before_a_value_keeps_byte_spans() {
    let src = "# café\nimage: alpine\n";
    let doc = parse(src).unwrap();
    let span = doc.get("image").unwrap().text_span(src).unwrap();
    assert_eq!(&src[span], "alpine");
}

#[test]
fn json_is_read_too() {
    let src = "{\n  \"target\": {\n    \"a\": {\"dockerfile\": \"x\"}\n  }\n}\n";
    let doc = parse(src).unwrap();
    let d = doc
        .get("target")
        .unwrap()
        .get("a")
        .unwrap()
        .get("dockerfile")
        .unwrap();
    assert_eq!((d.as_str(), d.line), (Some("x"), 3));
}

fn laughs(levels: usize, fan: usize) -> String {
    let mut s = String::from("a0: &a0 x\n");
    for i in 1..=levels {
        let items = vec![format!("*a{}", i - 1); fan].join(", ");
        s.push_str(&format!("a{i}: &a{i} [{items}]\n"));
    }
    s
}

#[test]
fn an_alias_bomb_is_refused_at_its_line() {
    let err = parse(&laughs(9, 10)).unwrap_err();
    assert!(err.over_limit, "{err:?}");
    assert_eq!(
        err.message,
        format!("YAML aliases expand to more than {MAX_ALIAS_NODES} nodes")
    );
    // a5 is the first level whose aliases together pass the limit.
    assert_eq!(err.line, 6);
    assert_eq!(err.described("YAML"), err.message);
}

#[test]
fn aliases_within_the_budget_resolve() {
    let doc = parse(&laughs(4, 10)).unwrap();
    assert_eq!(doc.get("a4").unwrap().items().len(), 10);
    assert_eq!(
        doc.get("a4").unwrap().items()[9].items()[9].items().len(),
        10
    );
}

#[test]
fn aliases_of_long_text_count_its_bytes() {
    let big = "x".repeat(100_000);
    let src = format!("a: &a {big}\nb: [{}]\n", vec!["*a"; 200].join(", "));
    let err = parse(&src).unwrap_err();
    assert!(err.message.contains("MiB of text"), "{err:?}");
    assert_eq!(err.line, 2);
}

#[test]
fn aliases_may_not_deepen_the_tree_past_the_limit() {
    let mut src = String::from("d0: &d0 1\n");
    for i in 1..5 {
        src.push_str(&format!(
            "d{i}: &d{i} {}*d{}{}\n",
            "[".repeat(60),
            i - 1,
            "]".repeat(60)
        ));
    }
    let err = parse(&src).unwrap_err();
    assert!(err.message.contains("levels deep"), "{err:?}");
    assert_eq!(err.line, 5);
}

#[test]
fn large_merges_are_linear() {
    let keys = |p: &str| -> String {
        (0..20_000)
            .map(|i| format!("{p}{i}: v"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let src = format!("a: &a {{{}}}\nb: {{<<: *a, {}}}\n", keys("k"), keys("k"));
    let start = std::time::Instant::now();
    let doc = parse(&src).unwrap();
    assert_eq!(doc.get("b").unwrap().entries().count(), 20_000);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}
