//! The command line: wkg 0.16.1's command tree, flags and exit codes.
//!
//! Exit codes: 0 on success (and `--help`, `--version`), 1 on an error
//! (`Error: …` with its causes on stderr), 2 on a usage error.

use std::path::Path;

use clap::{Parser, Subcommand, ValueEnum};

use crate::commands::config::ConfigArgs;
use crate::commands::get::GetArgs;
use crate::commands::publish::PublishArgs;
use crate::commands::wit::{BuildArgs, FetchArgs, UpdateArgs};
use crate::commands::{self, Common};

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
    /// Copy the releases a lock pins (with their referrers) to another registry or into OCI
    /// image layouts, for air-gapped use
    Mirror(commands::mirror::MirrorArgs),
    /// Sigstore verification of files and digests
    #[command(subcommand)]
    Sigstore(commands::sigstore::SigstoreCommand),
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

#[derive(Debug, Subcommand)]
pub enum OciCommand {
    /// Pull a component from an OCI registry and write it to a file
    Pull(commands::oci::PullArgs),
    /// Push a component to an OCI registry
    Push(commands::oci::PushArgs),
    /// Write the artifact `push` would push into an OCI image layout, without uploading
    Build(commands::oci::BuildArgs),
    /// List the referrers of a manifest (signatures, attestations, SBOMs)
    Discover(commands::oci::DiscoverArgs),
    /// Attach a file to a manifest as a referrer
    Attach(commands::oci::AttachArgs),
    /// Sign a manifest with a local key: a Sigstore bundle attached as its referrer
    Sign(commands::oci::SignArgs),
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
        Err(e) => Err(e.into()),
    };
    match done {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("Error: {}", crate::error::render(e.as_ref()));
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
    fn layout_path<'a>(location: &'a commands::oci::Location, out: &mut Vec<UserPath<'a>>) {
        if let commands::oci::Location::Layout(l) = location {
            out.push((Path::new(&l.dir), "image layout", true));
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
        Command::Sigstore(commands::sigstore::SigstoreCommand::VerifyBundle(a)) => {
            out.push((a.bundle.as_path(), "bundle", false));
            if let Some(k) = &a.key {
                out.push((k, "key", false));
            }
            if let Some(r) = &a.trusted_root {
                out.push((r, "trusted root", false));
            }
            if commands::sigstore::digest_argument(&a.artifact).is_none() {
                out.push((Path::new(&a.artifact), "artifact", false));
            }
        }
        Command::Mirror(a) => {
            if let Some(lock) = &a.lock {
                out.push((lock, "lock file", false));
            }
            if let Some(dir) = commands::mirror::layout_dir(&a.to) {
                out.push((Path::new(dir), "image layout", true));
            }
            common(&a.common, &mut out);
        }
        Command::Publish(a) => {
            for p in &a.paths {
                let file = p.extension().is_some_and(|e| e == "wasm");
                out.push((p, "path", !file));
            }
            if let Some(k) = &a.sign_key {
                out.push((k, "signing key", false));
            }
            common(&a.common, &mut out);
        }
        Command::Oci(OciCommand::Pull(a)) => {
            if let Some(o) = &a.output {
                out.push((o, "output", false));
            }
            if let Some(k) = &a.verify.key {
                out.push((k, "key", false));
            }
            if let Some(r) = &a.verify.trusted_root {
                out.push((r, "trusted root", false));
            }
            layout_path(&a.reference, &mut out);
        }
        Command::Oci(OciCommand::Sign(a)) => {
            out.push((&a.key, "key", false));
            layout_path(&a.reference, &mut out);
        }
        Command::Oci(OciCommand::Push(a)) => {
            out.push((&a.file, "file", false));
            layout_path(&a.reference, &mut out);
        }
        Command::Oci(OciCommand::Build(a)) => {
            out.push((&a.file, "file", false));
            out.push((&a.layout, "image layout", true));
        }
        Command::Oci(OciCommand::Discover(a)) => layout_path(&a.reference, &mut out),
        Command::Oci(OciCommand::Attach(a)) => {
            out.push((&a.file, "file", false));
            layout_path(&a.reference, &mut out);
        }
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

async fn dispatch(command: Command) -> commands::Result {
    if let Command::Oci(_) = command {
        crate::http::set_advice(crate::http::Advice::Oci);
    }
    match command {
        Command::Oci(OciCommand::Pull(args)) => commands::oci::pull(args).await,
        Command::Oci(OciCommand::Push(args)) => commands::oci::push(args).await,
        Command::Oci(OciCommand::Build(args)) => commands::oci::build(args).await,
        Command::Oci(OciCommand::Discover(args)) => commands::oci::discover(args).await,
        Command::Oci(OciCommand::Attach(args)) => commands::oci::attach(args).await,
        Command::Oci(OciCommand::Sign(args)) => commands::oci::sign(args).await,
        Command::Config(args) => commands::config::run(args),
        Command::Get(args) => commands::get::run(args).await,
        Command::Mirror(args) => commands::mirror::run(args).await,
        Command::Sigstore(command) => commands::sigstore::run(command),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("wkg").chain(args.split_whitespace()))
    }

    #[test]
    fn usage_errors_exit_with_2_and_help_with_0() {
        for bad in [
            "",
            "frobnicate",
            "get",
            "oci push",
            "fetch --type tar",
            "update -d",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.exit_code(), 2, "`wkg {bad}`");
        }
        for help in ["--help", "--version", "get --help"] {
            assert_eq!(parse(help).expect_err(help).exit_code(), 0, "`wkg {help}`");
        }
    }

    #[test]
    fn the_command_tree_is_wkg_0_16_1s() {
        let good = [
            "get wasi:http@0.2.3 -o out/",
            "get --registry localhost:5000 test:pkg",
            "publish a.wasm --package test:pkg@1.0.0 --dry-run",
            "publish --workspace --skip-dupes",
            "oci pull localhost:5000/a:1 -o a.wasm",
            "oci push localhost:5000/a:1 a.wasm --annotation k=v",
            "build -d wit -o pkg.wasm --locked",
            "fetch wit -t wasm --offline",
            "fetch --type WIT",
            "update wasi:io -d wit",
            "wit fetch",
            "config --default-registry example.com",
            "--color never fetch",
        ];
        for args in good {
            parse(args).unwrap_or_else(|e| panic!("`wkg {args}`: {e}"));
        }
    }

    #[test]
    fn every_path_the_user_names_is_checked_for_reachability() {
        let paths = |args: &str| -> Vec<(String, &'static str, bool)> {
            let cli = parse(args).unwrap();
            user_paths(&cli.command)
                .into_iter()
                .map(|(p, what, dir)| (p.display().to_string(), what, dir))
                .collect()
        };
        assert_eq!(
            paths("get test:pkg -o out/ --cache c"),
            [
                ("out/".to_owned(), "output", true),
                ("c".to_owned(), "cache directory", true)
            ]
        );
        assert_eq!(
            paths("publish a.wasm wit --config c.toml"),
            [
                ("a.wasm".to_owned(), "path", false),
                ("wit".to_owned(), "path", true),
                ("c.toml".to_owned(), "config file", false)
            ]
        );
        assert_eq!(
            paths("build -d w -o p.wasm"),
            [
                ("w".to_owned(), "WIT directory", true),
                ("p.wasm".to_owned(), "output", false)
            ]
        );
        assert_eq!(paths("fetch"), []);
        assert_eq!(
            paths("oci push r/a:1 a.wasm"),
            [("a.wasm".to_owned(), "file", false)]
        );
    }
}
