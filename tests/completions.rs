//! The committed shell completions and man page match what the CLI generates now.
//!
//! Regenerate with `scripts/update-completions` after changing a flag.

use std::path::Path;

use clap_complete::Shell;
use dockerfile_lock::commands::completions::{man_page, man_pages, script};

const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "dockerfile-lock.bash"),
    (Shell::Zsh, "_dockerfile-lock"),
    (Shell::Fish, "dockerfile-lock.fish"),
    (Shell::PowerShell, "_dockerfile-lock.ps1"),
    (Shell::Elvish, "dockerfile-lock.elv"),
];

fn committed(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("completions")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn completions_are_current() {
    for (shell, file) in SHELLS {
        assert!(
            committed(file) == script(shell),
            "completions/{file} is out of date: run scripts/update-completions"
        );
    }
}

#[test]
fn man_pages_are_current() {
    let pages = man_pages().unwrap();
    let mut committed_pages: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("completions"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|f| f.ends_with(".1"))
            .collect();
    committed_pages.sort();
    let mut generated: Vec<String> = pages.iter().map(|(f, _)| f.clone()).collect();
    generated.sort();
    assert_eq!(
        committed_pages, generated,
        "completions/*.1 differ from the pages the CLI has: run scripts/update-completions"
    );
    for (file, page) in &pages {
        assert!(
            committed(file) == *page,
            "completions/{file} is out of date: run scripts/update-completions"
        );
    }
}

// The main page lists dockerfile-lock-verify(1) and the others under SUBCOMMANDS: each
// must exist and be the subcommand's own page.
#[test]
fn every_page_the_main_page_refers_to_exists() {
    let pages = man_pages().unwrap();
    let main = String::from_utf8(man_page().unwrap()).unwrap();
    let mut referred = 0;
    for line in main.lines() {
        let Some(name) = line.strip_suffix("(1)") else {
            continue;
        };
        let name = name.replace("\\-", "-");
        referred += 1;
        let (_, page) = pages
            .iter()
            .find(|(f, _)| *f == format!("{name}.1"))
            .unwrap_or_else(|| panic!("the main page refers to {name}(1), which is not shipped"));
        let page = String::from_utf8_lossy(page);
        let sub = name.strip_prefix("dockerfile-lock-").unwrap();
        assert!(
            page.contains(&format!("dockerfile\\-lock {sub}")),
            "{name}.1 is not the page of `dockerfile-lock {sub}`"
        );
    }
    assert!(
        referred >= 7,
        "only {referred} subcommand pages referred to"
    );
}

#[test]
fn completions_name_every_subcommand() {
    let bash = String::from_utf8(script(Shell::Bash)).unwrap();
    for sub in [
        "images", "resolve", "generate", "verify", "rewrite", "update", "export",
    ] {
        assert!(bash.contains(sub), "bash completions lack `{sub}`");
    }
}

/// Run `shell` with `args`, failing clearly when the shell is missing
/// (`.ci/run` installs bash, zsh and fish).
fn run_shell(shell: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(shell)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {shell} ({e}): .ci/run installs it"));
    assert!(
        out.status.success(),
        "{shell} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Complete `words` (the last one being completed) with the committed bash script, the
/// way bash's programmable completion calls the function: `$1` the command, `$2` the word
/// being completed, `$3` the word before it.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = words[cword - 1];
    let script = format!(
        "source completions/dockerfile-lock.bash
         complete -p dockerfile-lock >/dev/null
         COMP_WORDS=({}); COMP_CWORD={cword}
         _dockerfile__lock dockerfile-lock '{}' '{prev}'
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" "),
        words[cword]
    );
    run_shell("bash", &["--norc", "--noprofile", "-c", &script])
        .lines()
        .map(str::to_owned)
        .collect()
}

// clap_complete's bash script never matched a subcommand's options for a binary name with
// a hyphen (clap-rs/clap#6421): `dockerfile-lock verify --fo<TAB>` completed nothing.
#[test]
fn bash_completes_subcommand_options() {
    assert_eq!(
        bash_complete(&["dockerfile-lock", "verify", "--fo"]),
        ["--format"]
    );
    assert_eq!(
        bash_complete(&["dockerfile-lock", "verify", "--format", ""]),
        ["text", "json", "github"]
    );
    assert_eq!(bash_complete(&["dockerfile-lock", "ver"]), ["verify"]);
    let generate = bash_complete(&["dockerfile-lock", "generate", "--"]);
    assert!(
        generate.iter().any(|o| o == "--build-arg"),
        "generate options: {generate:?}"
    );
}

#[test]
fn fish_completes_subcommand_options() {
    let out = run_shell(
        "fish",
        &[
            "--no-config",
            "-c",
            "source completions/dockerfile-lock.fish; complete --do-complete 'dockerfile-lock verify --fo'",
        ],
    );
    let names: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(names, ["--format"], "fish output: {out}");
}

/// zsh's completion system needs a terminal to run for real; instead, stand in for
/// `_arguments` so that the first call (the top level) selects the `verify` subcommand the
/// way zsh's own would, and the second prints the specs the script offers for it.
#[test]
fn zsh_dispatches_to_subcommand_options() {
    let script = r#"
compdef() { : }
_describe() { : }
_arguments() {
  if [[ -z $dispatched ]]; then dispatched=1; state=dockerfile-lock; line=(verify); return 1; fi
  print -rl -- "$@"
}
source completions/_dockerfile-lock
words=(dockerfile-lock verify --fo); CURRENT=3
_dockerfile-lock
"#;
    let out = run_shell("zsh", &["-f", "-c", script]);
    assert!(
        out.lines()
            .any(|l| l == "--format=[Output format]:FORMAT:(text json github)"),
        "zsh specs for verify: {out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("--online[")),
        "verify's own --online is missing: {out}"
    );
}

#[test]
fn every_verbs_page_has_examples_and_verify_lists_every_finding() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for verb in [
        "generate",
        "verify",
        "rewrite",
        "update",
        "export",
        "images",
        "sources",
        "packages",
        "resolve",
        "completions",
        "man",
    ] {
        let page = std::fs::read_to_string(dir.join(format!("dockerfile-lock-{verb}.1"))).unwrap();
        let examples = page
            .find(".SH EXAMPLES")
            .unwrap_or_else(|| panic!("{verb}: no EXAMPLES"));
        assert!(
            page[examples..].contains(&format!("dockerfile\\-lock {verb}"))
                || page[examples..].contains("dockerfile\\-lock export"),
            "{verb}: the examples run something else"
        );
        assert!(examples < page.find(".SH VERSION").unwrap(), "{verb}");
    }
    let verify = std::fs::read_to_string(dir.join("dockerfile-lock-verify.1")).unwrap();
    let findings = verify.find(".SH FINDINGS").expect("verify(1) has FINDINGS");
    for code in dockerfile_lock::report::Code::ALL {
        let roff = code.as_str().replace('-', "\\-");
        assert!(
            verify[findings..].contains(&format!("\\fB{roff}\\fR")),
            "verify(1) does not list {code}"
        );
    }
}
