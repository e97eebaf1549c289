//! `dockerfile-lock completions SHELL` and the man page, both generated from the CLI.

use clap::CommandFactory;

use super::{write_out, Console, Outcome, Status};
use crate::cli::{Cli, CompletionsArgs};
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
    text.replace(&format!("{matched}__subcmd__"), &format!("{assigned}__subcmd__"))
        .into_bytes()
}

/// The man page (roff), exactly as committed as `completions/dockerfile-lock.1`.
pub fn man_page() -> Result<Vec<u8>, std::io::Error> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    Ok(buf)
}

pub fn run(args: &CompletionsArgs, console: &mut Console<'_>) -> Outcome {
    let text = String::from_utf8_lossy(&script(args.shell)).into_owned();
    write_out(console, &text)?;
    Ok(Status::Ok)
}

pub fn run_man(console: &mut Console<'_>) -> Outcome {
    let page =
        man_page().map_err(|e| Diagnostic::new(format!("cannot render the man page: {e}")))?;
    write_out(console, &String::from_utf8_lossy(&page))?;
    Ok(Status::Ok)
}
