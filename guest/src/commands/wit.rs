//! `wkg build`, `wkg fetch` and `wkg update` (and their deprecated
//! `wkg wit` aliases): the command line of [`crate::ops::project`].

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Common, LockArgs};
use crate::ops::project::{self, Moved};

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
fn parse_package_ref(s: &str) -> Result<wkg_core::package::PackageRef, String> {
    s.parse().map_err(|e| format!("{e}"))
}

impl From<OutputType> for project::OutputType {
    fn from(t: OutputType) -> Self {
        match t {
            OutputType::Wit => project::OutputType::Wit,
            OutputType::Wasm => project::OutputType::Wasm,
        }
    }
}

pub async fn fetch(args: FetchArgs) -> anyhow::Result<()> {
    let fetch = project::Fetch {
        dir: args.dir,
        output: args.output_type.map(Into::into).unwrap_or_default(),
        locked: args.lock.locked,
        offline: args.lock.offline,
    };
    project::fetch(&fetch, &args.common.settings()).await?;
    Ok(())
}

pub async fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let update = project::UpdateDeps {
        packages: args.packages,
        dir: args.dir,
        output: args.output_type.map(Into::into).unwrap_or_default(),
    };
    for Moved { package, from, to } in project::update(&update, &args.common.settings()).await? {
        match from {
            Some(from) => crate::progress::status("Updated", format!("{package} {from} -> {to}")),
            None => crate::progress::status("Locked", format!("{package} {to}")),
        }
    }
    Ok(())
}

pub async fn build(args: BuildArgs) -> anyhow::Result<()> {
    let build = project::Build {
        dir: args.dir,
        output: args.output,
        locked: args.lock.locked,
        offline: args.lock.offline,
    };
    let output = project::build(&build, &args.common.settings()).await?;
    eprintln!("WIT package written to {}", output.display());
    Ok(())
}
