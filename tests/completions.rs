//! The committed shell completions and man page match what the CLI generates now.
//!
//! Regenerate with `scripts/update-completions` after changing a flag.

use std::path::Path;

use clap_complete::Shell;
use dockerfile_lock::commands::completions::{man_page, script};

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
fn man_page_is_current() {
    assert!(
        committed("dockerfile-lock.1") == man_page().unwrap(),
        "completions/dockerfile-lock.1 is out of date: run scripts/update-completions"
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
