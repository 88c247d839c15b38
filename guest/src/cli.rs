//! The command line: wkg 0.16.1's command tree, flags and exit codes.
//!
//! Exit codes: 0 on success (and `--help`, `--version`), 1 on an error
//! (`Error: …` with its causes on stderr), 2 on a usage error.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;

#[derive(Debug, Parser)]
#[command(
    name = "wkg",
    bin_name = "wkg",
    version,
    about = "Fetch and publish WebAssembly components and WIT packages through OCI registries"
)]
pub struct Cli {
    /// Controls when to use color
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set registry configuration
    Config(ConfigArgs),
    /// Download a package from a registry
    Get(GetArgs),
    /// Publish a package to a registry
    Publish(PublishArgs),
    /// Commands for interacting with OCI registries
    #[command(subcommand)]
    Oci(OciCommand),
    /// Build a WIT package from a directory. By default, this will fetch all dependencies needed
    /// and encode them in the WIT package. This will generate a lock file that can be used to
    /// fetch the dependencies in the future
    Build(BuildArgs),
    /// Fetch dependencies for a component. This will read the package containing the world(s)
    /// you have defined in the given wit directory (`wit` by default). It will then fetch the
    /// dependencies and write them to the `deps` directory along with a lock file
    Fetch(FetchArgs),
    /// Update the lock file with the latest dependencies. This will update all dependencies and
    /// generate a new lock file
    Update(UpdateArgs),
    /// Commands for interacting with WIT files and dependencies
    #[command(subcommand)]
    Wit(WitCommand),
}

/// `--config` and `--cache`, on every package command.
#[derive(Debug, Args)]
pub struct Common {
    /// The path to the configuration file
    #[arg(long, env = "WKG_CONFIG_FILE")]
    pub config: Option<PathBuf>,
    /// The path to the cache directory. Defaults to the system cache directory
    #[arg(long, env = "WKG_CACHE_DIR")]
    pub cache: Option<PathBuf>,
}

impl Common {
    /// The settings the layers below the command line take.
    pub fn settings(&self) -> crate::settings::Settings {
        crate::settings::Settings {
            config: self.config.clone(),
            cache: self.cache.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The default registry domain to use. Overrides configuration file(s)
    #[arg(long, value_parser = commands::parse_registry)]
    pub default_registry: Option<wkg_core::package::Registry>,
    /// Opens the global configuration file in an editor defined in the `$EDITOR` environment
    /// variable
    #[arg(short, long)]
    pub edit: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// `<namespace>:<name>` plus optional `@<version>`, e.g. `wasi:cli` or `wasi:http@0.2.0`
    #[arg(value_parser = commands::get::parse_spec)]
    pub package_spec: wkg_core::package::PackageSpec,
    /// Output path. If this ends with a '/', a filename based on the package name, version, and
    /// format will be appended, e.g. `name-space_name@1.0.0.wasm`
    #[arg(short, long, default_value = "./")]
    pub output: PathBuf,
    /// Output format
    #[arg(long, default_value = "auto")]
    pub format: Format,
    /// Check that the file at `--output` matches the retrieved package
    #[arg(long, conflicts_with = "overwrite")]
    pub check: bool,
    /// Overwrite any existing output file
    #[arg(long)]
    pub overwrite: bool,
    /// The registry domain to use. Overrides configuration file(s)
    #[arg(long, env = "WKG_REGISTRY", value_parser = commands::parse_registry)]
    pub registry: Option<wkg_core::package::Registry>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Auto,
    Wasm,
    Wit,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The files and directories to publish. If a directory is provided, the package is built
    /// to a tempfile before publishing
    pub paths: Vec<PathBuf>,
    /// The registry domain to use. Overrides configuration file(s)
    #[arg(long, env = "WKG_REGISTRY", value_parser = commands::parse_registry)]
    pub registry: Option<wkg_core::package::Registry>,
    /// If not provided, the package name and version will be inferred from the Wasm file.
    /// Expected format: `<namespace>:<name>@<version>`
    #[arg(long, env = "WKG_PACKAGE", value_parser = commands::get::parse_spec)]
    pub package: Option<wkg_core::package::PackageSpec>,
    /// Attempt package, version, and registry resolution without publishing
    #[arg(long)]
    pub dry_run: bool,
    /// Publish all packages in the workspace
    #[arg(long)]
    pub workspace: bool,
    /// Disable semver compatibility checks
    #[arg(long)]
    pub skip_semver_check: bool,
    /// Skip publishing any package whose `(name, version)` already exists in the registry
    #[arg(long)]
    pub skip_dupes: bool,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum OciCommand {
    /// Pull a component from an OCI registry and write it to a file
    Pull(commands::oci::PullArgs),
    /// Push a component to an OCI registry
    Push(commands::oci::PushArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputType {
    Wit,
    Wasm,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The directory containing the WIT files to build
    #[arg(short = 'd', long = "wit-dir", default_value = "wit")]
    pub dir: PathBuf,
    /// The name of the file that should be written. This can also be a full path. Defaults to
    /// the current directory with the name of the package
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub common: Common,
}

/// How the lock file constrains `build` and `fetch`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Fail if `wkg.lock` would change
    #[arg(long)]
    pub locked: bool,
    /// Use only `wkg.lock` and the cache; make no network request
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The directory containing the WIT files to fetch dependencies for [default: wit; at a
    /// workspace root: every member, into `wkg/deps`]
    pub dir: Option<PathBuf>,
    /// The desired output type of the dependencies
    #[arg(short = 't', long = "type", ignore_case = true)]
    pub output_type: Option<OutputType>,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Update only these dependencies (`<namespace>:<name>`); all of them by default
    #[arg(value_parser = parse_package_ref)]
    pub packages: Vec<wkg_core::package::PackageRef>,
    /// The directory containing the WIT files to update dependencies for
    #[arg(short = 'd', long = "wit-dir", default_value = "wit")]
    pub dir: PathBuf,
    /// The desired output type of the dependencies
    #[arg(short = 't', long = "type", ignore_case = true)]
    pub output_type: Option<OutputType>,
    #[command(flatten)]
    pub common: Common,
}

/// Deprecated aliases of the top-level commands.
#[derive(Debug, Subcommand)]
pub enum WitCommand {
    /// Deprecated: use `wkg build`
    Build(BuildArgs),
    /// Deprecated: use `wkg fetch`
    Fetch(FetchArgs),
    /// Deprecated: use `wkg update`
    Update(UpdateArgs),
}

fn parse_package_ref(s: &str) -> Result<wkg_core::package::PackageRef, String> {
    s.parse().map_err(|e| format!("{e}"))
}

/// Parses `args` and runs the command; returns the process exit code.
pub async fn run(args: Vec<String>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(2);
        }
    };
    let reachable = user_paths(&cli.command)
        .into_iter()
        .try_for_each(|(path, what, is_dir)| crate::io::check_reachable(path, what, is_dir));
    let done = match reachable {
        Ok(()) => dispatch(cli.command).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {}", crate::io::render_error(&e));
            1
        }
    }
}

/// A path the user gave, what it is, and whether it names a directory.
type UserPath<'a> = (&'a Path, &'static str, bool);

/// The paths the user gave on the command line (or through `WKG_CONFIG_FILE`
/// and `WKG_CACHE_DIR`).
fn user_paths(command: &Command) -> Vec<UserPath<'_>> {
    fn common<'a>(c: &'a Common, out: &mut Vec<UserPath<'a>>) {
        if let Some(p) = &c.config {
            out.push((p, "config file", false));
        }
        if let Some(p) = &c.cache {
            out.push((p, "cache directory", true));
        }
    }
    let mut out = Vec::new();
    match command {
        Command::Config(a) => common(&a.common, &mut out),
        Command::Get(a) => {
            let dir = a.output.as_os_str().to_string_lossy().ends_with('/');
            out.push((&a.output, "output", dir));
            common(&a.common, &mut out);
        }
        Command::Publish(a) => {
            for p in &a.paths {
                let file = p.extension().is_some_and(|e| e == "wasm");
                out.push((p, "path", !file));
            }
            common(&a.common, &mut out);
        }
        Command::Oci(OciCommand::Pull(a)) => {
            if let Some(o) = &a.output {
                out.push((o, "output", false));
            }
        }
        Command::Oci(OciCommand::Push(a)) => out.push((&a.file, "file", false)),
        Command::Build(a) | Command::Wit(WitCommand::Build(a)) => {
            out.push((&a.dir, "WIT directory", true));
            if let Some(o) = &a.output {
                out.push((o, "output", false));
            }
            common(&a.common, &mut out);
        }
        Command::Fetch(a) | Command::Wit(WitCommand::Fetch(a)) => {
            if let Some(d) = &a.dir {
                out.push((d, "WIT directory", true));
            }
            common(&a.common, &mut out);
        }
        Command::Update(a) | Command::Wit(WitCommand::Update(a)) => {
            out.push((&a.dir, "WIT directory", true));
            common(&a.common, &mut out);
        }
    }
    out
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    if let Command::Oci(_) = command {
        crate::http::set_advice(crate::http::Advice::Oci);
    }
    match command {
        Command::Oci(OciCommand::Pull(args)) => commands::oci::pull(args).await,
        Command::Oci(OciCommand::Push(args)) => commands::oci::push(args).await,
        Command::Config(args) => commands::config::run(args),
        Command::Get(args) => commands::get::run(args).await,
        Command::Publish(args) => commands::publish::run(args).await,
        Command::Build(args) => commands::wit::build(args).await,
        Command::Fetch(args) => commands::wit::fetch(args).await,
        Command::Update(args) => commands::wit::update(args).await,
        Command::Wit(command) => {
            let name = match &command {
                WitCommand::Build(_) => "build",
                WitCommand::Fetch(_) => "fetch",
                WitCommand::Update(_) => "update",
            };
            eprintln!("warning: `wkg wit {name}` is deprecated");
            eprintln!("   help: use `wkg {name}` instead");
            match command {
                WitCommand::Build(args) => commands::wit::build(args).await,
                WitCommand::Fetch(args) => commands::wit::fetch(args).await,
                WitCommand::Update(args) => commands::wit::update(args).await,
            }
        }
    }
}
