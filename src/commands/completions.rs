//! `dockerfile-lock completions SHELL` and the man page, both generated from the CLI.

use clap::CommandFactory;

use super::{write_out, Console, Outcome, Status};
use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::diagnostic::Diagnostic;

/// The completion script for `shell`, exactly as committed under `completions/`.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
    if shell == clap_complete::Shell::Bash {
        return fix_bash_hyphen(buf);
    }
    buf
}

const BIN: &str = "dockerfile-lock";

/// clap_complete's bash script names a subcommand's state `dockerfile__lock__subcmd__verify`
/// where it is set, but `dockerfile__subcmd__lock__subcmd__verify` where it is matched: the
/// hyphen of the binary name is mangled two ways, so no option of any subcommand ever
/// completes (clap-rs/clap#6421, still in clap_complete 4.6.12). Rename the match arms to
/// the form the script assigns.
fn fix_bash_hyphen(script: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&script);
    let assigned = BIN.replace('-', "__");
    let matched = BIN.replace('-', "__subcmd__");
    text.replace(
        &format!("{matched}__subcmd__"),
        &format!("{assigned}__subcmd__"),
    )
    .into_bytes()
}

/// Every man page, as committed under `completions/`: `dockerfile-lock.1` first, then
/// `dockerfile-lock-SUBCOMMAND.1` for each subcommand the main page lists in SUBCOMMANDS.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>, std::io::Error> {
    let mut cmd = Cli::command();
    // Build once so that global flags (-q, -v, --color) appear on every subcommand's page.
    cmd.build();
    // `help` is clap's own; it has no page of its own to refer to.
    let cmd = cmd.mut_subcommand("help", |help| help.hide(true));
    let mut pages = vec![(format!("{BIN}.1"), render(cmd.clone())?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{BIN}-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("{BIN} {}", sub.get_name()))
            .version(cmd.get_version().unwrap_or_default().to_owned());
        pages.push((format!("{name}.1"), render(page)?));
    }
    Ok(pages)
}

fn render(cmd: clap::Command) -> Result<Vec<u8>, std::io::Error> {
    let verb = cmd
        .get_name()
        .strip_prefix(&format!("{BIN}-"))
        .map(str::to_string);
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let page = String::from_utf8_lossy(&buf).into_owned();
    // EXAMPLES (and verify's FINDINGS) go before VERSION, where man pages keep them.
    let mut extra = String::new();
    if let Some(verb) = &verb {
        if verb == "verify" {
            extra.push_str(".SH FINDINGS\n");
            for code in crate::report::Code::ALL {
                extra.push_str(&format!(
                    ".TP\n\\fB{}\\fR\n{}\n",
                    roff_escape(code.as_str()),
                    roff_escape(code.meaning())
                ));
            }
        }
        let examples = examples(verb);
        if !examples.is_empty() {
            extra.push_str(".SH EXAMPLES\n");
            for (what, command) in examples {
                extra.push_str(&format!(
                    ".TP\n{}\n.nf\n{}\n.fi\n",
                    roff_escape(what),
                    roff_escape(command)
                ));
            }
        }
    }
    let out = match page.find(".SH VERSION") {
        Some(at) if !extra.is_empty() => format!("{}{extra}{}", &page[..at], &page[at..]),
        _ => page,
    };
    Ok(out.into_bytes())
}

/// Text for roff: backslashes doubled, a leading `.` or `'` kept literal, `-` as a minus.
fn roff_escape(text: &str) -> String {
    let mut out = text.replace('\\', "\\e").replace('-', "\\-");
    if out.starts_with('.') || out.starts_with('\'') {
        out.insert_str(0, "\\&");
    }
    out
}

/// Each verb's EXAMPLES: what it does, then the command.
fn examples(verb: &str) -> Vec<(&'static str, &'static str)> {
    match verb {
        "generate" => vec![
            ("Lock the Dockerfile in the current directory", "dockerfile-lock generate"),
            ("Lock every file of the repository, and what RUN installs", "dockerfile-lock generate --recursive --packages"),
            ("Lock apt at the snapshot the base image records", "dockerfile-lock generate --packages --snapshot base"),
            ("Show what would change, write nothing", "dockerfile-lock generate --check"),
        ],
        "verify" => vec![
            ("The CI gate and pre-commit hook: offline, exit 1 on findings", "dockerfile-lock verify --recursive"),
            ("Also ask upstream whether tags, sources and packages moved", "dockerfile-lock verify --recursive --online"),
            ("Annotations on the pull request's lines", "dockerfile-lock verify --recursive --format github"),
            ("Findings as data", "dockerfile-lock verify --format json | jq '.findings[] | {code, reference, locked, current}'"),
        ],
        "rewrite" => vec![
            ("Pin FROM lines and ADD sources in place from the lock", "dockerfile-lock rewrite"),
            ("Also apply the locked packages in RUN lines", "dockerfile-lock rewrite --packages"),
            ("Show the diff, write nothing", "dockerfile-lock rewrite --check"),
            ("Take the pins out again", "dockerfile-lock rewrite --unpin --packages"),
        ],
        "update" => vec![
            ("Move every lock to what upstream serves now", "dockerfile-lock update --recursive"),
            ("Move one tag everywhere it is locked", "dockerfile-lock update --recursive --image node:22"),
            ("What would move, as JSON", "dockerfile-lock update --check --format json"),
        ],
        "export" => vec![
            ("Build with the lock through a source policy", "EXPERIMENTAL_BUILDKIT_SOURCE_POLICY=policy.json docker buildx build .   # after: dockerfile-lock export --format source-policy > policy.json"),
            ("Build with the lock through named contexts and build args", "docker buildx build $(dockerfile-lock export --format build-contexts) $(dockerfile-lock export --format build-args) ."),
            ("A compose override pinning every service", "dockerfile-lock export --format compose compose.yaml > compose.lock.yaml && docker compose -f compose.yaml -f compose.lock.yaml build"),
        ],
        "images" => vec![
            ("The images of the Dockerfile here", "dockerfile-lock images"),
            ("Every image of the repository, as JSON", "dockerfile-lock images --recursive --format json"),
        ],
        "sources" => vec![
            ("What ADD fetches in the repository", "dockerfile-lock sources --recursive"),
        ],
        "packages" => vec![
            ("What RUN installs, and what the lock pins it to", "dockerfile-lock packages"),
            ("The same for a compose project, as JSON", "dockerfile-lock packages compose.yaml --format json"),
        ],
        "resolve" => vec![
            ("A tag's digest, as crane digest prints it", "dockerfile-lock resolve node:22"),
            ("One platform's manifest digest", "dockerfile-lock resolve --platform linux/arm64 node:22"),
        ],
        "completions" => vec![
            ("bash (bash-completion 2 loads it on demand)", "dockerfile-lock completions bash > ~/.local/share/bash-completion/completions/dockerfile-lock"),
            ("zsh: a directory in $fpath, before compinit runs", "dockerfile-lock completions zsh > ~/.zfunc/_dockerfile-lock"),
            ("fish", "dockerfile-lock completions fish > ~/.config/fish/completions/dockerfile-lock.fish"),
        ],
        "man" => vec![
            ("Read a page without installing it", "dockerfile-lock man verify | man -l -"),
            ("Install every page", "dockerfile-lock man --out-dir ~/.local/share/man/man1"),
        ],
        _ => Vec::new(),
    }
}

/// The main man page (roff), exactly as committed as `completions/dockerfile-lock.1`.
pub fn man_page() -> Result<Vec<u8>, std::io::Error> {
    Ok(man_pages()?.swap_remove(0).1)
}

pub fn run(args: &CompletionsArgs, console: &mut Console<'_>) -> Outcome {
    let text = String::from_utf8_lossy(&script(args.shell)).into_owned();
    write_out(console, &text)?;
    Ok(Status::Ok)
}

pub fn run_man(args: &ManArgs, console: &mut Console<'_>) -> Outcome {
    let pages =
        man_pages().map_err(|e| Diagnostic::new(format!("cannot render the man pages: {e}")))?;
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Diagnostic::new(format!("cannot create {}: {e}", dir.display())))?;
        for (file, page) in &pages {
            let path = dir.join(file);
            crate::lockfile::write_if_changed(&path, page).map_err(|e| e.to_diagnostic())?;
        }
        console.info(&format!(
            "wrote {} man pages to {}",
            pages.len(),
            dir.display()
        ));
        return Ok(Status::Ok);
    }
    let want = match &args.command {
        None => format!("{BIN}.1"),
        Some(sub) => format!("{BIN}-{sub}.1"),
    };
    let Some((_, page)) = pages.iter().find(|(file, _)| *file == want) else {
        let names: Vec<&str> = pages[1..]
            .iter()
            .filter_map(|(f, _)| f.strip_prefix(&format!("{BIN}-"))?.strip_suffix(".1"))
            .collect();
        return Err(Diagnostic::new(format!(
            "no man page for `{}`",
            args.command.as_deref().unwrap_or_default()
        ))
        .with_help(format!("pages exist for: {}", names.join(", ")))
        .into());
    };
    write_out(console, &String::from_utf8_lossy(page))?;
    Ok(Status::Ok)
}
