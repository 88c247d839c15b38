//! A run's settings below the command line, as plain values: the config
//! file and cache directory the user named, and where the files of a run
//! are (the rules are [`wkg_core::paths`], shared with the native host).

use std::path::{Path, PathBuf};

use wkg_core::config::{Config, ConfigError};
use wkg_core::paths::{self, ConfigFile};

use crate::error::Kind;
use crate::io::FileError;

/// Why the settings of a run, or a config they name, cannot be used.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No `--config` and no home to find the global one in.
    #[error("cannot locate the global config file: set HOME or XDG_CONFIG_HOME, or pass --config")]
    NoConfigFile,
    /// No `--cache` and no home to put the cache in.
    #[error("cannot locate the cache directory: set HOME or XDG_CACHE_HOME, or pass --cache")]
    NoCacheDir,
    /// `--config` / `WKG_CONFIG_FILE` names a file that does not exist.
    #[error("config file `{0}` does not exist")]
    MissingConfig(String),
    /// A config or `wkg.toml` that cannot be read.
    #[error(transparent)]
    Read(#[from] FileError),
    /// A `config.toml` that does not parse (file, line and column).
    #[error("invalid config: {0}")]
    InvalidConfig(ConfigError),
    /// The `[config]` of a `wkg.toml` that does not parse.
    #[error("invalid registry config: {0}")]
    InvalidProjectConfig(ConfigError),
}

crate::debug_as_message!(Error);

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::MissingConfig(_) => Kind::NotFound,
            Error::Read(e) => e.kind(),
            Error::NoConfigFile | Error::NoCacheDir => Kind::Other,
            Error::InvalidConfig(_) | Error::InvalidProjectConfig(_) => Kind::InvalidInput,
        }
    }
}

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
    pub fn config_file(&self) -> Result<ConfigFile, Error> {
        paths::config_file(self.config.as_deref(), var).ok_or(Error::NoConfigFile)
    }

    /// The package cache of the run ([`paths::cache_dir`]).
    ///
    /// # Errors
    /// None named and neither `XDG_CACHE_HOME` nor `HOME` set.
    pub fn cache_dir(&self) -> Result<PathBuf, Error> {
        paths::cache_dir(self.cache.as_deref(), var).ok_or(Error::NoCacheDir)
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
pub fn read_config(path: &Path) -> Result<Option<Config>, Error> {
    let Some(text) = read_optional(path, "reading config file")? else {
        return Ok(None);
    };
    let config =
        Config::from_toml(&text, &path.display().to_string()).map_err(Error::InvalidConfig)?;
    Ok(Some(config))
}

/// The `[config]` table of the project's `wkg.toml` ([`project_dir`]), if
/// it has one.
///
/// # Errors
/// An unreadable or invalid `wkg.toml`, with file, line and column.
pub fn read_project_config() -> Result<Option<Config>, Error> {
    let path = project_dir().join(wkg_core::project::PROJECT_FILE_NAME);
    let Some(text) = read_optional(&path, "reading")? else {
        return Ok(None);
    };
    Config::from_project_manifest(&text, &path.display().to_string())
        .map_err(Error::InvalidProjectConfig)
}

/// The text of `path`; `None` when it does not exist.
///
/// # Errors
/// [`FileError`] (`action`, path) for any other failure.
pub fn read_optional(path: &Path, action: &'static str) -> Result<Option<String>, FileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FileError::new(action, path, e)),
    }
}
