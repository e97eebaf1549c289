//! Parse arguments, run the command, render errors, exit 0 / 1 / 2.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use dockerfile_lock::cli::{Cli, ColorChoice, Command};
use dockerfile_lock::commands::{self, Console, Status};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    if let Some(dir) = &cli.global.directory {
        if let Err(e) = std::env::set_current_dir(dir) {
            eprintln!("error: cannot change to {}: {e}", dir.display());
            return ExitCode::from(2);
        }
        // Every path read or written stays below the directory named with -C.
        dockerfile_lock::boundary::set_root(std::path::Path::new("."));
    }
    let stderr_tty = std::io::stderr().is_terminal();
    let color = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stderr_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    // Diffs on stdout are coloured when stdout itself is a terminal.
    let out_color = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let verbosity = if cli.global.quiet {
        -1
    } else {
        cli.global.verbose.min(3) as i8
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let mut console = Console {
        out: &mut out,
        err: &mut err,
        err_is_tty: stderr_tty,
        color,
        out_color,
        verbosity,
    };
    let outcome = match &cli.command {
        Command::Images(a) => commands::images::run(a, &mut console),
        Command::Sources(a) => commands::sources::run(a, &mut console),
        Command::Packages(a) => commands::packages::run(a, &mut console),
        Command::Resolve(a) => commands::resolve::run(a, &mut console),
        Command::Generate(a) => commands::generate::run(a, &mut console),
        Command::Verify(a) => commands::verify::run(a, &mut console),
        Command::Rewrite(a) => commands::rewrite::run(a, &mut console),
        Command::Update(a) => commands::update::run(a, &mut console),
        Command::Export(a) => commands::export::run(a, &mut console),
        Command::Completions(a) => commands::completions::run(a, &mut console),
        Command::Man(a) => commands::completions::run_man(a, &mut console),
    };
    let _ = console.out.flush();
    match outcome {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(failure) => {
            // One file can fail through two projects (a compose file, and a variant read
            // over it): the same error is said once.
            let mut said = std::collections::HashSet::new();
            for d in &failure.0 {
                if said.insert(d.render("error", false)) {
                    console.error(d);
                }
            }
            ExitCode::from(2)
        }
    }
}
