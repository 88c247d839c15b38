//! `wkg get`: a package release by name, written as WIT text or wasm
//! (wkg-behaviour §1.4), without wkg's bugs: `-o name.wit` with no directory
//! part works, `--format wit` on a component prints its world as WIT
//! (wkg #160 writes wasm), and a missing package's error names it.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wit_component::{DecodedWasm, WitPrinter};
use wkg_core::package::PackageSpec;

use crate::cache::{Cache, copy_atomic, write_atomic};
use clap::{Args, ValueEnum};

use super::Common;
use crate::packages::Registries;

#[derive(Debug, Args)]
pub struct GetArgs {
    /// `<namespace>:<name>` plus optional `@<version>`, e.g. `wasi:cli` or `wasi:http@0.2.0`
    #[arg(value_parser = parse_spec)]
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
    #[arg(long, env = "WKG_REGISTRY", value_parser = super::parse_registry)]
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

pub fn parse_spec(s: &str) -> Result<PackageSpec, String> {
    s.parse().map_err(|e| format!("{e}"))
}

/// What goes to the output file.
enum Content {
    Wit(String),
    /// The wasm bytes, as the verified file holding them.
    Wasm(PathBuf),
}

pub async fn run(args: GetArgs) -> anyhow::Result<()> {
    let (package, version) = args.package_spec.clone().into_parts();
    let registries = Registries::load(&args.common.settings())?;
    let cache = Cache::open(&args.common.settings())?;
    let source = registries.source(&package, args.registry.as_ref()).await?;

    let version = match version {
        Some(v) => v,
        None => {
            eprintln!("warning: no version specified; fetching version list...");
            source
                .versions(&package)
                .await?
                .into_iter()
                .max()
                .with_context(|| format!("no releases found for package `{package}`"))?
        }
    };
    eprintln!("Fetching {package}@{version}...");
    let content = source
        .fetch(&package, &version, &cache)
        .await
        .with_context(|| format!("failed to get `{package}@{version}`"))?;

    let mut format = args.format;
    let to_dir = args.output.as_os_str().to_string_lossy().ends_with('/');
    if matches!(format, Format::Auto) && !to_dir {
        match args.output.extension().and_then(|e| e.to_str()) {
            Some("wasm") => format = Format::Wasm,
            Some("wit") => format = Format::Wit,
            _ => eprintln!(
                "warning: couldn't infer output format from file name {:?}",
                args.output.display().to_string()
            ),
        }
    }
    let content = render(&content, format)?;

    let output = if to_dir {
        let extension = match content {
            Content::Wit(_) => "wit",
            Content::Wasm(_) => "wasm",
        };
        let name = format!(
            "{}_{}@{version}.{extension}",
            package.namespace(),
            package.name()
        );
        args.output.join(name)
    } else {
        args.output.clone()
    };

    if args.check {
        return check(&output, &content);
    }
    if to_dir {
        std::fs::create_dir_all(&args.output)
            .with_context(|| format!("creating output directory `{}`", args.output.display()))?;
    } else if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        bail!(
            "output directory `{}` does not exist; create it first or choose a different path",
            parent.display()
        );
    }
    if output.exists() && !args.overwrite {
        bail!(
            "{:?} already exists; you can use '--overwrite' to overwrite it",
            output.display().to_string()
        );
    }
    match &content {
        Content::Wit(text) => write_atomic(&output, text.as_bytes()),
        Content::Wasm(path) => copy_atomic(path, &output),
    }
    .with_context(|| format!("writing `{}`", output.display()))?;
    eprintln!("Wrote '{}'", output.display());
    Ok(())
}

/// Decides WIT text or wasm: a WIT package becomes its WIT text unless wasm
/// was asked for; a component stays wasm unless WIT was asked for, then its
/// world is printed.
fn render(path: &Path, format: Format) -> anyhow::Result<Content> {
    if matches!(format, Format::Wasm) {
        return Ok(Content::Wasm(path.to_owned()));
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading `{}`", path.display()))?;
    let decoded = match wit_component::decode(&bytes) {
        Ok(decoded) => decoded,
        Err(e) if matches!(format, Format::Wit) => {
            return Err(e).context("the package content is neither a WIT package nor a component");
        }
        Err(e) => {
            eprintln!("warning: couldn't decode the package content as WIT ({e:#}); writing wasm");
            return Ok(Content::Wasm(path.to_owned()));
        }
    };
    let (resolve, package) = match decoded {
        DecodedWasm::WitPackage(resolve, package) => (resolve, package),
        DecodedWasm::Component(resolve, world) if matches!(format, Format::Wit) => {
            let package = resolve.worlds[world]
                .package
                .context("the component's world has no package")?;
            (resolve, package)
        }
        DecodedWasm::Component(..) => return Ok(Content::Wasm(path.to_owned())),
    };
    let mut printer = WitPrinter::default();
    printer
        .print(&resolve, package, &[])
        .context("printing WIT")?;
    Ok(Content::Wit(printer.output.to_string()))
}

/// `--check`: the output file must hold exactly what would be written.
fn check(output: &Path, content: &Content) -> anyhow::Result<()> {
    let existing = std::fs::read(output)
        .with_context(|| format!("reading {:?} to check it", output.display().to_string()))?;
    let same = match content {
        Content::Wit(text) => existing == text.as_bytes(),
        Content::Wasm(path) => {
            std::fs::read(path).with_context(|| format!("reading `{}`", path.display()))?
                == existing
        }
    };
    if !same {
        bail!(
            "Differences between retrieved and {:?}",
            output.display().to_string()
        );
    }
    Ok(())
}
