//! Where a run finds its files: the config file, the package cache, the
//! docker config and the project. One definition of each rule, used by the
//! component and by the native host (which preopens, keeps modes and runs
//! credential helpers for the same files). Pure: the environment comes in
//! as a lookup, the file system as a predicate.

use std::path::{Path, PathBuf};

use crate::config::{global_cache_dir, global_config_path};
use crate::project::PROJECT_FILE_NAME;

/// The variable naming the config file, as `--config` does.
pub const CONFIG_FILE_ENV: &str = "WKG_CONFIG_FILE";
/// The variable naming the cache directory, as `--cache` does.
pub const CACHE_DIR_ENV: &str = "WKG_CACHE_DIR";

/// The config file a run reads (wkg-behaviour §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Named by `--config` or [`CONFIG_FILE_ENV`]: it must exist, and no
    /// fallback registries apply (as in wkg). Otherwise it is the global
    /// file, which may be missing.
    pub explicit: bool,
}

/// The config file: `explicit` (`--config`), else [`CONFIG_FILE_ENV`], else
/// the global one ([`global_config_path`]); `None` when none can be named.
/// `var` returns a variable's value, `None` for unset or empty.
pub fn config_file(
    explicit: Option<&Path>,
    var: impl Fn(&str) -> Option<String>,
) -> Option<ConfigFile> {
    if let Some(path) = explicit
        .map(Path::to_path_buf)
        .or_else(|| var(CONFIG_FILE_ENV).map(PathBuf::from))
    {
        return Some(ConfigFile {
            path,
            explicit: true,
        });
    }
    let path = global_config_path(var("XDG_CONFIG_HOME").as_deref(), var("HOME").as_deref())?;
    Some(ConfigFile {
        path: PathBuf::from(path),
        explicit: false,
    })
}

/// The package cache: `explicit` (`--cache`), else [`CACHE_DIR_ENV`], else
/// [`global_cache_dir`]; `None` when none can be named.
pub fn cache_dir(explicit: Option<&Path>, var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| var(CACHE_DIR_ENV).map(PathBuf::from))
        .or_else(|| {
            global_cache_dir(var("XDG_CACHE_HOME").as_deref(), var("HOME").as_deref())
                .map(PathBuf::from)
        })
}

/// The docker `config.json`: `$DOCKER_CONFIG/config.json`, else
/// `$HOME/.docker/config.json` (docker's rule); `None` without either.
pub fn docker_config_file(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let dir = var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".docker")))?;
    Some(dir.join("config.json"))
}

/// The project of a run in `cwd`: the nearest of `cwd` and its ancestors
/// that holds a `wkg.toml` (`is_file` says whether a path is a file);
/// `None` outside any project.
pub fn project_root(cwd: &Path, is_file: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|dir| is_file(&dir.join(PROJECT_FILE_NAME)))
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, v)| *n == name && !v.is_empty())
                .map(|(_, v)| (*v).to_owned())
        }
    }

    /// `--config`, the environment, and the file and whether it was named.
    type Row<'a> = (
        Option<&'a str>,
        &'a [(&'a str, &'a str)],
        Option<(&'a str, bool)>,
    );

    #[test]
    fn the_config_file_by_precedence() {
        let home = [("HOME", "/h")];
        let table: &[Row] = &[
            (
                Some("x.toml"),
                &[(CONFIG_FILE_ENV, "/e.toml")],
                Some(("x.toml", true)),
            ),
            (
                None,
                &[(CONFIG_FILE_ENV, "/e.toml")],
                Some(("/e.toml", true)),
            ),
            (
                None,
                &home,
                Some(("/h/.config/wasm-pkg/config.toml", false)),
            ),
            (
                None,
                &[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")],
                Some(("/x/wasm-pkg/config.toml", false)),
            ),
            (None, &[(CONFIG_FILE_ENV, ""), ("HOME", "")], None),
        ];
        for (flag, vars, want) in table {
            let got = config_file(flag.map(Path::new), env(vars));
            let want = want.map(|(p, explicit)| ConfigFile {
                path: PathBuf::from(p),
                explicit,
            });
            assert_eq!(got, want, "{flag:?} {vars:?}");
        }
    }

    #[test]
    fn the_cache_and_docker_config() {
        let vars = [("HOME", "/h"), ("XDG_CACHE_HOME", "/c")];
        assert_eq!(cache_dir(None, env(&vars)), Some("/c/wasm-pkg".into()));
        assert_eq!(
            cache_dir(None, env(&[(CACHE_DIR_ENV, "/w"), ("HOME", "/h")])),
            Some("/w".into())
        );
        assert_eq!(
            cache_dir(Some(Path::new("d")), env(&vars)),
            Some("d".into())
        );
        assert_eq!(cache_dir(None, env(&[])), None);
        assert_eq!(
            docker_config_file(env(&vars)),
            Some("/h/.docker/config.json".into())
        );
        assert_eq!(
            docker_config_file(env(&[("DOCKER_CONFIG", "/d"), ("HOME", "/h")])),
            Some("/d/config.json".into())
        );
        assert_eq!(docker_config_file(env(&[])), None);
    }

    #[test]
    fn the_project_is_the_nearest_wkg_toml() {
        let files = ["/p/wkg.toml", "/p/a/b/wkg.toml"];
        let is_file = |p: &Path| files.iter().any(|f| Path::new(f) == p);
        assert_eq!(
            project_root(Path::new("/p/a/b"), is_file),
            Some("/p/a/b".into())
        );
        assert_eq!(project_root(Path::new("/p/a"), is_file), Some("/p".into()));
        assert_eq!(project_root(Path::new("/q"), is_file), None);
        assert_eq!(project_root(Path::new("."), |_| false), None);
    }
}
