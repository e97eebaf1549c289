//! The shape of the house, read from the `use` lines and paths of `src/`: no import circle
//! among the modules that share a parent (at every level), and no verb of `commands/`
//! importing another verb. A test, so that a change that brings a circle back fails CI.
//!
//! What counts as an import: a path that names a module of the crate (`crate::…`,
//! `super::…`, `self::…`, or a child module's name), in a `use` or in the code. Comments,
//! strings and `#[cfg(test)]` modules do not count: a test may reach across the layers. A
//! path is mapped to the file of the longest module it names; an item that module only
//! re-exports (`pub use x::Item`) is followed to the file that defines it. A module owns
//! its children: naming them is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One module read from a file: its path from the crate root, and its children.
struct Module {
    file: PathBuf,
    /// Code without comments, strings or test modules.
    code: String,
    children: BTreeMap<String, Vec<String>>,
    /// The paths of its `pub use`s.
    exports: Vec<Vec<String>>,
}

/// Every module reachable from `src/lib.rs` through `mod` declarations, by module path.
fn modules(src: &Path) -> BTreeMap<Vec<String>, Module> {
    let mut out = BTreeMap::new();
    let mut todo = vec![(Vec::<String>::new(), src.join("lib.rs"), src.to_path_buf())];
    while let Some((path, file, dir)) = todo.pop() {
        let raw = std::fs::read_to_string(&file).unwrap_or_default();
        let code = without_tests(&strip(&raw));
        let mut children = BTreeMap::new();
        for (name, at) in mod_declarations(&code, &raw) {
            let child = match at {
                Some(p) => file.parent().unwrap().join(p),
                None if dir.join(format!("{name}.rs")).exists() => dir.join(format!("{name}.rs")),
                None => dir.join(&name).join("mod.rs"),
            };
            let child_dir = match child.file_name().and_then(|n| n.to_str()) {
                Some("mod.rs") => child.parent().unwrap().to_path_buf(),
                _ => child.with_extension(""),
            };
            let mut child_path = path.clone();
            child_path.push(name.clone());
            children.insert(name, child_path.clone());
            todo.push((child_path, child, child_dir));
        }
        let exports = paths(&code)
            .into_iter()
            .filter_map(|(p, public)| public.then_some(p))
            .collect();
        out.insert(
            path,
            Module {
                file,
                code,
                children,
                exports,
            },
        );
    }
    out
}

/// `mod name;` declarations outside test modules, with their `#[path]` if any.
fn mod_declarations(code: &str, raw: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = code[from..].find("mod ") {
        let at = from + i;
        from = at + 4;
        let word_start = at == 0 || !is_ident(code.as_bytes()[at - 1]);
        let rest = &code[at + 4..];
        let name: String = rest.chars().take_while(|c| is_ident(*c as u8)).collect();
        if !word_start || name.is_empty() || !rest[name.len()..].trim_start().starts_with(';') {
            continue;
        }
        // The attributes just before the declaration, as written (the path is a string).
        let before = &raw[..at];
        let attrs = &before[before.rfind([';', '}', '{']).map_or(0, |i| i + 1)..];
        let path = attrs
            .split("#[path = \"")
            .nth(1)
            .and_then(|p| p.split('"').next())
            .map(str::to_string);
        out.push((name, path));
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The code with comments, string and char literals blanked out (newlines kept).
fn strip(src: &str) -> String {
    let b = src.as_bytes();
    // Bytes, so that offsets stay those of the source; blanked ranges start and end at
    // ASCII delimiters, so what is left is still UTF-8.
    let mut out = Vec::with_capacity(src.len());
    let mut i = 0;
    let blank = |s: &[u8], out: &mut Vec<u8>| {
        for c in s {
            out.push(if *c == b'\n' { b'\n' } else { b' ' });
        }
    };
    while i < b.len() {
        let rest = &b[i..];
        let end = if rest.starts_with(b"//") {
            i + rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len())
        } else if rest.starts_with(b"/*") {
            let (mut depth, mut j) = (1, i + 2);
            while j < b.len() && depth > 0 {
                if b[j..].starts_with(b"/*") {
                    depth += 1;
                    j += 2;
                } else if b[j..].starts_with(b"*/") {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            j
        } else if (rest.starts_with(b"r#") || rest.starts_with(b"r\"") || rest.starts_with(b"br"))
            && (i == 0 || !is_ident(b[i - 1]))
            && raw_string_end(b, i).is_some()
        {
            raw_string_end(b, i).unwrap()
        } else if rest[0] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            j + 1
        } else if rest[0] == b'\'' && char_literal_len(rest).is_some() {
            i + char_literal_len(rest).unwrap()
        } else {
            out.push(b[i]);
            i += 1;
            continue;
        };
        let end = end.min(b.len());
        blank(&b[i..end], &mut out);
        i = end;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The end of a raw string literal starting at `i` (`r"…"`, `r#"…"#`, `br"…"`).
fn raw_string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + if b[i] == b'b' { 2 } else { 1 };
    let hashes = b[j..].iter().take_while(|c| **c == b'#').count();
    j += hashes;
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let close: Vec<u8> = std::iter::once(b'"')
        .chain(std::iter::repeat_n(b'#', hashes))
        .collect();
    let body = &b[j + 1..];
    let k = body
        .windows(close.len())
        .position(|w| w == close.as_slice())?;
    Some(j + 1 + k + close.len())
}

/// The length of a char literal at the start of `s`, `None` for a lifetime.
fn char_literal_len(s: &[u8]) -> Option<usize> {
    if s.get(1) == Some(&b'\\') {
        // The escaped character itself may be a quote: look past it.
        let close = s.get(3..)?.iter().position(|c| *c == b'\'')?;
        return Some(close + 4);
    }
    let len = match *s.get(1)? {
        c if c < 0x80 => 1,
        c if c < 0xE0 => 2,
        c if c < 0xF0 => 3,
        _ => 4,
    };
    (s.get(1 + len) == Some(&b'\'')).then_some(len + 2)
}

/// The code without `#[cfg(test)] mod x { … }` blocks and `#[cfg(test)] mod x;` lines.
fn without_tests(code: &str) -> String {
    let mut out = code.to_string();
    while let Some(at) = out.find("#[cfg(test)]") {
        let after = at + "#[cfg(test)]".len();
        let Some(end) = out[after..].find([';', '{']).map(|i| after + i) else {
            break;
        };
        let stop = if out.as_bytes()[end] == b';' {
            end + 1
        } else {
            let mut depth = 0;
            let mut k = end;
            for (j, c) in out[end..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    k = end + j + 1;
                    break;
                }
            }
            k
        };
        out.replace_range(at..stop, &" ".repeat(stop - at));
    }
    out
}

/// Every `a::b::c` path in the code, `use` trees expanded (`a::{b, c::d}`), with whether
/// it came from a `pub use`.
fn paths(code: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let tokens = tokenize(code);
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "use" {
            let public = i > 0 && tokens[i - 1].starts_with("pub");
            let end = tokens[i..]
                .iter()
                .position(|t| t == ";")
                .map_or(tokens.len(), |k| i + k);
            use_tree(&tokens[i + 1..end], &[], &mut |p| out.push((p, public)));
            i = end;
            continue;
        }
        if is_ident(tokens[i].as_bytes()[0]) && tokens.get(i + 1).is_some_and(|t| t == "::") {
            let preceded = i > 0 && tokens[i - 1] == "::";
            let mut p = vec![tokens[i].clone()];
            let mut j = i + 1;
            while tokens.get(j).is_some_and(|t| t == "::")
                && tokens.get(j + 1).is_some_and(|t| is_ident(t.as_bytes()[0]))
            {
                p.push(tokens[j + 1].clone());
                j += 2;
            }
            if !preceded {
                out.push((p, false));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn tokenize(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if is_ident(b[i]) {
            let j = i + b[i..].iter().take_while(|c| is_ident(**c)).count();
            out.push(code[i..j].to_string());
            i = j;
        } else if b[i..].starts_with(b"::") {
            out.push("::".into());
            i += 2;
        } else if b"{},;*".contains(&b[i]) {
            out.push((b[i] as char).to_string());
            i += 1;
        } else {
            i += 1;
        }
    }
    out
}

/// Expand one use tree into its paths (a glob keeps its prefix).
fn use_tree(tokens: &[String], prefix: &[String], emit: &mut dyn FnMut(Vec<String>)) {
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (k, t) in tokens.iter().enumerate() {
        match t.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                parts.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    for part in parts {
        let mut here = prefix.to_vec();
        let mut k = 0;
        while k < part.len() {
            match part[k].as_str() {
                "::" | "*" => k += 1,
                "{" => {
                    let close = part.len() - 1 - part.iter().rev().position(|t| t == "}").unwrap();
                    use_tree(&part[k + 1..close], &here, emit);
                    here.clear();
                    break;
                }
                "as" => break,
                "self" if !here.is_empty() => k += 1,
                t => {
                    here.push(t.to_string());
                    k += 1;
                }
            }
        }
        if !here.is_empty() {
            emit(here);
        }
    }
}

/// The module a path names from `scope`, and the segments left after it.
fn resolve<'a>(
    mods: &BTreeMap<Vec<String>, Module>,
    scope: &[String],
    path: &'a [String],
) -> Option<(Vec<String>, &'a [String])> {
    let (mut at, mut rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (scope.to_vec(), &path[1..]),
        "super" => {
            let mut at = scope.to_vec();
            let mut rest = path;
            while rest.first().is_some_and(|s| s == "super") {
                at.pop()?;
                rest = &rest[1..];
            }
            (at, rest)
        }
        first if mods[scope].children.contains_key(first) => (scope.to_vec(), path),
        _ => return None,
    };
    while let Some(child) = rest.first().and_then(|n| mods[&at].children.get(n)) {
        at = child.clone();
        rest = &rest[1..];
    }
    Some((at, rest))
}

/// The module that defines `name` as named in `module`, following its `pub use`s.
fn home(
    mods: &BTreeMap<Vec<String>, Module>,
    module: Vec<String>,
    name: Option<&String>,
    depth: usize,
) -> Vec<String> {
    let Some(name) = name else { return module };
    if depth > 8 {
        return module;
    }
    for p in &mods[&module].exports {
        if p.last() == Some(name) {
            if let Some((m, rest)) = resolve(mods, &module, p) {
                if m != module {
                    return home(mods, m, rest.first(), depth + 1);
                }
            }
        }
    }
    module
}

/// Every import edge between files: (from module, to module).
fn edges(mods: &BTreeMap<Vec<String>, Module>) -> BTreeSet<(Vec<String>, Vec<String>)> {
    let mut out = BTreeSet::new();
    for (path, m) in mods {
        for (p, _) in paths(&m.code) {
            let Some((target, rest)) = resolve(mods, path, &p) else {
                continue;
            };
            let target = home(mods, target, rest.first(), 0);
            // A module owns its subtree: naming a descendant is not an import.
            if target != *path && !target.starts_with(path) {
                out.insert((path.clone(), target));
            }
        }
    }
    out
}

/// Circles among modules that share a parent: sibling A depends on sibling B when a file
/// in A's subtree names a file in B's.
fn circles(src: &Path) -> Vec<String> {
    let mods = modules(src);
    let edges = edges(&mods);
    let mut found = Vec::new();
    for (parent, m) in &mods {
        let kids: Vec<&Vec<String>> = m.children.values().collect();
        let up = |p: &Vec<String>| kids.iter().find(|k| p.starts_with(k)).copied();
        let mut deps: BTreeMap<&Vec<String>, BTreeSet<&Vec<String>>> = BTreeMap::new();
        for (a, b) in &edges {
            if let (Some(x), Some(y)) = (up(a), up(b)) {
                if x != y {
                    deps.entry(x).or_default().insert(y);
                }
            }
        }
        // Two siblings in one circle: each reaches the other.
        let reach = |from: &Vec<String>| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![from];
            while let Some(n) = todo.pop() {
                for d in deps.get(n).into_iter().flatten() {
                    if seen.insert(*d) {
                        todo.push(d);
                    }
                }
            }
            seen
        };
        let mut done = BTreeSet::new();
        for k in &kids {
            if done.contains(k) || !reach(k).contains(k) {
                continue;
            }
            let circle: Vec<String> = kids
                .iter()
                .filter(|o| reach(k).contains(*o) && reach(o).contains(k))
                .inspect(|o| {
                    done.insert(**o);
                })
                .map(|o| {
                    mods[*o]
                        .file
                        .strip_prefix(src)
                        .unwrap()
                        .display()
                        .to_string()
                })
                .collect();
            found.push(format!("in {}: {}", display(parent), circle.join(", ")));
        }
    }
    found
}

/// Verbs (the modules directly in `commands`) that name another verb.
fn verb_imports(src: &Path) -> Vec<String> {
    let mods = modules(src);
    let verbs = ["commands".to_string()];
    edges(&mods)
        .into_iter()
        .filter(|(a, b)| {
            a.len() > 1
                && b.len() > 1
                && a.starts_with(&verbs)
                && b.starts_with(&verbs)
                && a[1] != b[1]
        })
        .map(|(a, b)| format!("{} -> {}", display(&a), display(&b)))
        .collect()
}

fn display(path: &[String]) -> String {
    if path.is_empty() {
        "crate".into()
    } else {
        path.join("::")
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_import_circle_in_src() {
    let found = circles(&src());
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn no_verb_imports_another_verb() {
    let found = verb_imports(&src());
    assert!(found.is_empty(), "verb imports:\n{}", found.join("\n"));
}

/// The check is not vacuous: it finds a circle through a `use`, through a path in the code,
/// and through a facade's re-export, and none in a tree that imports one way.
#[test]
fn the_check_finds_circles() {
    let tree = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        dir
    };
    let lib = "pub mod a;\npub mod b;\n";
    let circle = tree(&[
        ("lib.rs", lib),
        ("a.rs", "use crate::b::f;\npub fn g() {}\n"),
        ("b.rs", "// use crate::c;\npub fn f() { crate::a::g() }\n"),
    ]);
    assert_eq!(circles(circle.path()), ["in crate: a.rs, b.rs"]);
    let facade = tree(&[
        ("lib.rs", lib),
        ("a/mod.rs", "mod x;\npub use x::X;\n"),
        (
            "a/x.rs",
            "pub struct X;\nfn f() { let _ = \"crate::b\"; }\n",
        ),
        ("b/mod.rs", "mod y;\n"),
        ("b/y.rs", "use crate::a::X;\n"),
        ("a/z.rs", ""),
    ]);
    assert!(
        circles(facade.path()).is_empty(),
        "{:?}",
        circles(facade.path())
    );
    std::fs::write(
        facade.path().join("a/x.rs"),
        "pub struct X;\nuse crate::b::{self};\n",
    )
    .unwrap();
    assert_eq!(circles(facade.path()), ["in crate: a/mod.rs, b/mod.rs"]);
    let tests_only = tree(&[
        ("lib.rs", lib),
        (
            "a.rs",
            "use crate::b::f;\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n",
        ),
        (
            "b.rs",
            "pub fn f() {}\n#[cfg(test)]\nmod tests { fn t() { crate::a::g() } }\n",
        ),
    ]);
    assert!(circles(tests_only.path()).is_empty());
}
