//! A run's settings below the command line, as plain values: the config
//! file and cache directory the user named, and where the files of a run
//! are (the rules are [`wkg_core::paths`], shared with the native host).

use std::path::{Path, PathBuf};

use anyhow::Context;
use wkg_core::config::Config;
use wkg_core::paths::{self, ConfigFile};

/// `--config` / `WKG_CONFIG_FILE` and `--cache` / `WKG_CACHE_DIR`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub config: Option<PathBuf>,
    pub cache: Option<PathBuf>,
}

impl Settings {
    /// The config file of the run ([`paths::config_file`]).
    ///
    /// # Errors
    /// None named and neither `XDG_CONFIG_HOME` nor `HOME` set.
    pub fn config_file(&self) -> anyhow::Result<ConfigFile> {
        paths::config_file(self.config.as_deref(), var).context(
            "cannot locate the global config file: set HOME or XDG_CONFIG_HOME, or pass --config",
        )
    }

    /// The package cache of the run ([`paths::cache_dir`]).
    ///
    /// # Errors
    /// None named and neither `XDG_CACHE_HOME` nor `HOME` set.
    pub fn cache_dir(&self) -> anyhow::Result<PathBuf> {
        paths::cache_dir(self.cache.as_deref(), var).context(
            "cannot locate the cache directory: set HOME or XDG_CACHE_HOME, or pass --cache",
        )
    }
}

/// The value of the environment variable `name`; `None` when unset or
/// empty.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The project directory ([`paths::project_root`]): the working directory
/// when it holds a `wkg.toml` (named by `PWD` when the runner passes it,
/// else `.`), else the nearest ancestor of `PWD` that does (reachable when
/// the runner preopened it), else the working directory.
pub fn project_dir() -> PathBuf {
    let pwd = var("PWD").filter(|p| p.starts_with('/'));
    if Path::new(wkg_core::project::PROJECT_FILE_NAME).is_file() {
        return pwd.map_or_else(|| PathBuf::from("."), PathBuf::from);
    }
    pwd.and_then(|pwd| paths::project_root(Path::new(&pwd), Path::is_file))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Reads and parses the config file `path`; `None` when it does not exist.
///
/// # Errors
/// An unreadable file, or one that does not parse (with file, line and
/// column).
pub fn read_config(path: &Path) -> anyhow::Result<Option<Config>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).with_context(|| format!("reading config file `{}`", path.display()));
        }
    };
    let config = Config::from_toml(&text, &path.display().to_string())
        .map_err(|e| anyhow::anyhow!("invalid config: {e}"))?;
    Ok(Some(config))
}
