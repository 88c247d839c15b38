//! `wkg config`: show the default registry, set it, or open the file in an
//! editor (wkg-behaviour §1.3).

use std::path::Path;

use anyhow::{Context, bail};
use wkg_core::config::Config;

use crate::cache::write_atomic;
use clap::Args;

use super::Common;
use crate::settings::read_config;

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The default registry domain to use. Overrides configuration file(s)
    #[arg(long, value_parser = super::parse_registry)]
    pub default_registry: Option<wkg_core::package::Registry>,
    /// Opens the global configuration file in an editor defined in the `$EDITOR` environment
    /// variable
    #[arg(short, long)]
    pub edit: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Set by the native host when it will start `$EDITOR` on the config file
/// after the component exits 0: a component cannot start a process.
pub const HOST_EDITOR_VAR: &str = "WKG_HOST_LAUNCHES_EDITOR";

/// Writes `config` to `path` through a temporary file and a rename, so a
/// failure never leaves a half-written config; creates the directory.
fn write_config(path: &Path, config: &Config) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if parent.exists() && !parent.is_dir() {
            bail!("parent directory `{}` is not a directory", parent.display());
        }
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating directory `{}`", parent.display()))?;
    }
    let written = write_atomic(path, config.to_toml().as_bytes());
    written.with_context(|| format!("writing config file `{}`", path.display()))
}

pub fn run(args: ConfigArgs) -> anyhow::Result<()> {
    let path = args.common.settings().config_file()?.path;
    if args.edit {
        return edit(&path);
    }
    let mut config = read_config(&path)?;
    if let Some(registry) = args.default_registry {
        let mut updated = config.unwrap_or_default();
        updated.set_default_registry(Some(registry));
        write_config(&path, &updated)?;
        eprintln!("Updated config file: {}", path.display());
        config = Some(updated);
    }
    match config.as_ref().and_then(Config::default_registry) {
        Some(registry) => eprintln!("Default registry: {registry}"),
        None => eprintln!("warning: Default registry is not set"),
    }
    Ok(())
}

/// `--edit`: seeds a missing file with the empty config, then the editor.
fn edit(path: &Path) -> anyhow::Result<()> {
    if std::env::var_os("EDITOR").is_none_or(|e| e.is_empty()) {
        bail!("failed to read `$EDITOR` environment variable");
    }
    if !path.exists() {
        write_config(path, &Config::default())?;
    }
    if std::env::var_os(HOST_EDITOR_VAR).is_none() {
        eprintln!("Config file: {}", path.display());
        eprintln!(
            "   help: a component cannot start `$EDITOR`; open that file in your editor, \
             or run the native `wkg`, which does"
        );
    }
    Ok(())
}
