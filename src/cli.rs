//! The command line: clap derive structs and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  in sync / success
  1  findings: verify found drift, `--check` would change a file
  2  error: usage, parse, I/O, registry or authentication";

/// Lock what container builds fetch: image digests, ADD checksums and commits, apt
/// snapshots and apk versions.
#[derive(Debug, Parser)]
#[command(name = "dockerfile-lock", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print less (errors only)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more (repeat for more detail)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Run as if started in DIR
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// When to use colour on stderr
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every external image the Dockerfiles use
    #[command(after_help = EXIT_CODES)]
    Images(ImagesArgs),
    /// List every source ADD fetches (HTTP URLs, git repositories)
    #[command(after_help = EXIT_CODES)]
    Sources(ImagesArgs),
    /// List what RUN installs with apt and apk, and what the lock pins it to
    #[command(after_help = EXIT_CODES)]
    Packages(PackagesArgs),
    /// Resolve image references to digests, like `crane digest`
    #[command(after_help = EXIT_CODES)]
    Resolve(ResolveArgs),
    /// Resolve every image and write `<Dockerfile>.lock` beside each Dockerfile
    #[command(after_help = EXIT_CODES)]
    Generate(GenerateArgs),
    /// Check that each Dockerfile and its lock agree (offline unless --online)
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Pin FROM lines in place as `image:tag@sha256:…` from the lock (or unpin)
    #[command(after_help = EXIT_CODES)]
    Rewrite(RewriteArgs),
    /// Re-resolve tags, update the locks and any pinned Dockerfile lines
    #[command(after_help = EXIT_CODES)]
    Update(UpdateArgs),
    /// Export the locks for BuildKit: source policy, build contexts, bake, JSON
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Print a man page (roff), or write them all with --out-dir
    Man(ManArgs),
}

/// How the Dockerfiles are read: build arguments, target platforms, target stage.
#[derive(Debug, Clone, Default, Args)]
pub struct BuildArgs {
    /// Set a build-time variable, as `docker build --build-arg` (repeatable)
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,

    /// Target platform os/arch[/variant] (repeatable; default linux/amd64)
    #[arg(long = "platform", value_name = "PLATFORM")]
    pub platforms: Vec<String>,

    /// Only the images needed to build this stage
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// Set a variable for compose and bake file interpolation (repeatable; wins over the
    /// environment and `.env`)
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
}

/// Locking what `RUN` installs.
#[derive(Debug, Clone, Default, Args)]
pub struct PackageArgs {
    /// Also lock what RUN installs with apt (by snapshot) and apk (by version), read from
    /// each stage's locked base image; a lock that has packages keeps them
    #[arg(long)]
    pub packages: bool,

    /// The apt snapshot to lock at: `now` (the default), `base` (the one the base image
    /// records) or an ID (YYYYMMDDTHHMMSSZ)
    #[arg(long, value_name = "now|base|ID")]
    pub snapshot: Option<String>,
}

/// Which files a command works on when none are named.
#[derive(Debug, Clone, Default, Args)]
pub struct ScanArgs {
    /// Every Dockerfile, Containerfile, compose, bake, devcontainer.json, workflow and
    /// action.yml file below DIR (default: the current directory): git-tracked files,
    /// hidden directories included
    #[arg(
        long,
        short = 'r',
        value_name = "DIR",
        num_args = 0..=1,
        default_missing_value = ".",
        conflicts_with = "files"
    )]
    pub recursive: Option<PathBuf>,

    /// Skip paths matching this glob below the root with --recursive (repeatable)
    #[arg(long, value_name = "GLOB", requires = "recursive")]
    pub exclude: Vec<String>,
}

/// How registries are reached.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Allow plain HTTP for this registry (loopback registries always are)
    #[arg(
        long = "insecure-registry",
        value_name = "HOST[:PORT]",
        env = "DOCKERFILE_LOCK_INSECURE_REGISTRIES",
        value_delimiter = ','
    )]
    pub insecure_registries: Vec<String>,

    /// Resolve REGISTRY's images through a mirror; the lock keeps the original names
    #[arg(
        long = "registry-mirror",
        value_name = "REGISTRY=HOST[:PORT]",
        env = "DOCKERFILE_LOCK_REGISTRY_MIRRORS",
        value_delimiter = ','
    )]
    pub registry_mirrors: Vec<String>,

    /// Requests in flight at once per registry
    #[arg(long, short = 'j', default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,

    /// Deadline in seconds for each registry request, each whole ADD download and each git lookup
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Github,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Dockerfiles, compose or bake files, or directories to read (`-` for stdin)
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    #[command(flatten)]
    pub build: BuildArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct PackagesArgs {
    /// Dockerfiles to read, with their locks if they have one
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    #[command(flatten)]
    pub build: BuildArgs,

    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Image references (`node:18`, `ghcr.io/org/app:1.2`)
    #[arg(value_name = "IMAGE", required = true)]
    pub images: Vec<String>,

    /// Also record the child digest for this platform (repeatable)
    #[arg(long = "platform", value_name = "PLATFORM")]
    pub platforms: Vec<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,

    /// Print a reference pinned by digest as it is, without asking the registry whether
    /// it has that digest
    #[arg(long)]
    pub offline: bool,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Dockerfiles to lock
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    /// Lockfile path (only with a single Dockerfile)
    #[arg(long, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,

    /// Print a unified diff of the locks and exit 1 if any would change; write nothing
    #[arg(long)]
    pub check: bool,

    #[command(flatten)]
    pub packages: PackageArgs,

    #[command(flatten)]
    pub build: BuildArgs,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Dockerfiles or their locks (`X.lock` means `X`)
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    /// Lockfile path (only with a single Dockerfile)
    #[arg(long, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,

    /// Also ask the registries whether each locked tag has moved
    #[arg(long)]
    pub online: bool,

    /// Report literal references that are not pinned by digest in the Dockerfile
    #[arg(long)]
    pub require_pinned: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    #[command(flatten)]
    pub build: BuildArgs,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct RewriteArgs {
    /// Dockerfiles to rewrite
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    /// Lockfile path (only with a single Dockerfile)
    #[arg(long, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,

    /// Print a unified diff and exit 1 if anything would change; write nothing
    #[arg(long)]
    pub check: bool,

    /// Remove digests instead of adding them
    #[arg(long)]
    pub unpin: bool,

    /// Also apply the locked packages in RUN lines: `--snapshot ID` for apt 2.7 or later,
    /// the snapshot as the sources for older apt, `name=version` for apk
    #[arg(long)]
    pub packages: bool,

    #[command(flatten)]
    pub build: BuildArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Dockerfiles whose locks to update
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    /// Only re-resolve these images (as written, e.g. `node:18`, or normalized)
    #[arg(long = "image", value_name = "NAME")]
    pub images: Vec<String>,

    /// Lockfile path (only with a single Dockerfile)
    #[arg(long, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,

    /// Print a unified diff of the locks and Dockerfiles and exit 1 if any would change;
    /// write nothing
    #[arg(long)]
    pub check: bool,

    /// Output format (`json`: what moved, was added, removed and written)
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,

    #[command(flatten)]
    pub packages: PackageArgs,

    #[command(flatten)]
    pub build: BuildArgs,

    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// BuildKit source policy JSON (EXPERIMENTAL_BUILDKIT_SOURCE_POLICY)
    SourcePolicy,
    /// `--build-context` arguments for `docker buildx build`
    BuildContexts,
    /// A `contexts` block for a bake file
    Bake,
    /// The locks as one JSON document
    Json,
    /// A compose override file pinning every service's image and what each build uses
    Compose,
    /// `--build-arg` arguments that apply the lock through the Dockerfile's own ARGs
    /// (`APT_SNAPSHOT`), for `docker buildx build`
    BuildArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Dockerfiles whose locks to export
    #[arg(value_name = "DOCKERFILE")]
    pub files: Vec<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,

    /// Lockfile path (only with a single Dockerfile)
    #[arg(long, value_name = "PATH")]
    pub lockfile: Option<PathBuf>,

    /// What to write
    #[arg(long, value_enum)]
    pub format: ExportFormat,

    /// Export even when a lock is out of date with its file (by default, nothing is
    /// printed and the findings are, as `verify` reports them)
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (`verify` prints dockerfile-lock-verify(1));
    /// without it, the main page
    #[arg(value_name = "SUBCOMMAND")]
    pub command: Option<String>,

    /// Write every page (dockerfile-lock.1 and dockerfile-lock-SUBCOMMAND.1) into this
    /// directory, e.g. ~/.local/share/man/man1
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
