//! The native `wkg`: runs the embedded `wkg.wasm` with the user's
//! arguments, the environment wkg reads, and the directories a command may
//! touch (the working directory, wkg's config and cache directories, the
//! docker config directory, and directories named by absolute paths on the
//! command line), each at the path the user sees. Its https trusts
//! `SSL_CERT_FILE` and the `extra_root_certificates` and
//! `accept_invalid_certificates` of the config the component reads, and the
//! docker credential helpers the component asks for run here.
//!
//! `WKG_COMPONENT=<path>` runs another build of `wkg.wasm` instead of the
//! embedded one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wkg_host::{CodeCache, Invocation, Preopen, Proxies, Trust, Wkg};

mod arguments;
mod modes;

use arguments::{HostSide, PathArg};

/// Environment variables the component sees; everything else stays out.
fn forwarded(name: &str) -> bool {
    matches!(
        name,
        "HOME"
            | "DOCKER_CONFIG"
            | "NO_COLOR"
            | "CLICOLOR"
            | "CLICOLOR_FORCE"
            | "RUST_LOG"
            | "RUST_BACKTRACE"
            | "SOURCE_DATE_EPOCH"
            | "EDITOR"
            | "TERM"
    ) || name.starts_with("XDG_")
        || name.starts_with("WKG_")
}

fn main() {
    let code = match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e:?}");
            1
        }
    };
    std::process::exit(code);
}

fn run() -> anyhow::Result<i32> {
    let args: Vec<String> = std::env::args().collect();
    let mut env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| forwarded(k)).collect();
    let side = HostSide::parse(&args);
    if side.writes {
        // The component may create the config file, but only inside a
        // directory it was given: make sure the global one exists.
        if let Some(dir) = side.config_path(&env).as_deref().and_then(Path::parent) {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    if side.edit {
        env.push(("WKG_HOST_LAUNCHES_EDITOR".into(), "1".into()));
    }
    if side.uses_cache {
        // Likewise the global package cache (wkg creates it on first use). A
        // `--cache` directory is left to the component to create (a dry run
        // creates none): its nearest existing ancestor is preopened.
        let cache =
            wkg_core::config::global_cache_dir(var(&env, "XDG_CACHE_HOME"), var(&env, "HOME"));
        if let Some(dir) = cache {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    // Credential helpers run here, for the docker config the component reads.
    let docker_config =
        wkg_core::paths::docker_config_file(|name| var(&env, name).map(str::to_owned));
    let cwd = std::env::current_dir()?;
    // The component finds the nearest `wkg.toml` above it through `PWD`.
    env.retain(|(k, _)| k != "PWD");
    env.push(("PWD".into(), cwd.display().to_string()));
    // The project of a project command (its directory is preopened, so the
    // component reaches its `wkg.toml` from a sub-directory too).
    let project_root = side
        .project
        .then(|| wkg_core::paths::project_root(&cwd, Path::is_file))
        .flatten();
    let project_root = project_root.as_deref();
    let config = registry_config(&side, &env, project_root.unwrap_or(&cwd));
    // `local` and `oci-layout` registries' roots, relative to the working
    // directory as in wkg.
    let roots = config
        .registry_configs()
        .values()
        .flat_map(|r| [r.local().map(|l| l.root.as_str()), r.layout_root()])
        .flatten()
        .map(|root| PathArg {
            typed: PathBuf::from(root),
            dir: true,
            writable: true,
        })
        // The `[sigstore]` trusted root and keys, read only.
        .chain(
            config
                .sigstore()
                .into_iter()
                .flat_map(|s| s.paths())
                .map(|path| PathArg {
                    typed: PathBuf::from(path),
                    dir: false,
                    writable: false,
                }),
        );
    let mut preopens = preopens(&side, roots, &env)?;
    if let Some(root) = project_root {
        preopens.extend(project_preopens(root));
    }
    let trust = trust(&side, &config);
    let modes = modes::Kept::before(user_files(&side, &env, &cwd, project_root));
    // The component runs on this thread; the workers drive the network
    // meanwhile, so hashing in the component overlaps with transfers. A
    // command that makes no request (`--version`, `--help`, `config`) needs
    // no workers to start.
    let runtime = if side.connects {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    };
    let code = runtime.block_on(async {
        let wkg = match std::env::var_os("WKG_COMPONENT") {
            Some(path) => {
                let bytes = std::fs::read(&path).map_err(|e| {
                    anyhow::anyhow!(
                        "reading WKG_COMPONENT `{}`: {e}",
                        Path::new(&path).display()
                    )
                })?;
                Wkg::from_component(&bytes, CodeCache::Default)?
            }
            None => Wkg::new(CodeCache::Default)?,
        };
        wkg.run(Invocation {
            args: args.clone(),
            env: env.clone(),
            preopens,
            trust,
            proxies: Proxies::from_env(|name| std::env::var(name).ok()),
            credential_helpers: docker_config,
            ..Default::default()
        })
        .await
        .map_err(anyhow::Error::from)
    })?;
    modes.restore();
    if code == 0 && side.edit {
        launch_editor(&side, &env)?;
    }
    Ok(code)
}

/// The TLS trust for this run: `SSL_CERT_FILE` for every host, and, for the
/// commands that connect, the `extra_root_certificates` and
/// `accept_invalid_certificates` of the config the component reads
/// ([`registry_config`]); a certificate that cannot be read is a warning.
fn trust(side: &HostSide, config: &wkg_core::config::Config) -> Trust {
    let mut trust = Trust::default();
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        // Read at the first https connection.
        trust.root_files.push(PathBuf::from(file));
    }
    if !side.connects {
        return trust;
    }
    let (from_config, problems) = Trust::from_config(config);
    trust.extend(from_config);
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    trust
}

/// The registry config the component reads, for a command that connects
/// (as [`HostSide::config_path`] finds it, then the `[config]` of the
/// `wkg.toml` in `project`), parsed by the same core crate; empty
/// otherwise. A file that does not parse is left to the component to
/// report.
fn registry_config(
    side: &HostSide,
    env: &[(String, String)],
    project: &Path,
) -> wkg_core::config::Config {
    use wkg_core::config::Config;
    if !side.connects {
        return Config::default();
    }
    let read = |path: &Path| std::fs::read_to_string(path).ok();
    let mut config = side
        .config_path(env)
        .and_then(|p| read(&p))
        .and_then(|text| Config::from_toml(&text, "config.toml").ok())
        .unwrap_or_default();
    let manifest = wkg_core::project::PROJECT_FILE_NAME;
    if let Some(Ok(Some(project))) =
        read(&project.join(manifest)).map(|text| Config::from_project_manifest(&text, manifest))
    {
        config = config.merge(project);
    }
    config
}

/// The files of the user's a command may rewrite: the config file for
/// `wkg config`; for project commands the project's `wkg.toml` and the
/// `wkg.lock` beside it (in the working directory without a project, as
/// the component writes it). The config file is one that may hold
/// credentials.
fn user_files(
    side: &HostSide,
    env: &[(String, String)],
    cwd: &Path,
    project_root: Option<&Path>,
) -> Vec<(PathBuf, bool)> {
    let mut files = Vec::new();
    if side.writes
        && let Some(config) = side.config_path(env)
    {
        files.push((cwd.join(config), true));
    }
    if side.project {
        let root = project_root.unwrap_or(cwd);
        files.push((root.join(wkg_core::project::PROJECT_FILE_NAME), false));
        files.push((root.join(wkg_core::lock::LOCK_FILE_NAME), false));
    }
    files
}

/// The non-empty value of `name` in `env`.
pub(crate) fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(n, v)| n == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// Starts `$EDITOR <config file>` and waits; its exit status is ignored, as
/// in wkg.
fn launch_editor(side: &HostSide, env: &[(String, String)]) -> anyhow::Result<()> {
    let editor = std::env::var_os("EDITOR").filter(|e| !e.is_empty());
    let (Some(editor), Some(path)) = (editor, side.config_path(env)) else {
        return Ok(());
    };
    std::process::Command::new(&editor)
        .arg(&path)
        .status()
        .map_err(|e| anyhow::anyhow!("starting `$EDITOR` ({}): {e}", editor.to_string_lossy()))?;
    Ok(())
}

/// The directories to preopen, keyed by the path the component sees.
fn preopens(
    side: &HostSide,
    more: impl Iterator<Item = PathArg>,
    env: &[(String, String)],
) -> anyhow::Result<Vec<Preopen>> {
    let var = |k: &str| var(env, k).map(PathBuf::from);
    let mut dirs: BTreeMap<String, Preopen> = BTreeMap::new();
    let mut add = |host: PathBuf, writable: bool| {
        if host.is_dir()
            && let Some(guest) = host.to_str()
        {
            let entry = dirs.entry(guest.to_owned()).or_insert(Preopen {
                host: host.clone(),
                guest: guest.to_owned(),
                writable,
            });
            entry.writable |= writable;
        }
    };

    let cwd = std::env::current_dir()?;
    add(cwd.clone(), true);
    // The global config file's directory and the global cache.
    let (xdg_config, xdg_cache, home) = (
        crate::var(env, "XDG_CONFIG_HOME"),
        crate::var(env, "XDG_CACHE_HOME"),
        crate::var(env, "HOME"),
    );
    let global_config = wkg_core::config::global_config_path(xdg_config, home).map(PathBuf::from);
    if let Some(dir) = global_config.as_deref().and_then(Path::parent) {
        add(dir.to_owned(), true);
    }
    if let Some(dir) = wkg_core::config::global_cache_dir(xdg_cache, home) {
        add(PathBuf::from(dir), true);
    }
    let docker_config =
        wkg_core::paths::docker_config_file(|name| crate::var(env, name).map(str::to_owned));
    if let Some(dir) = docker_config.as_deref().and_then(Path::parent) {
        add(dir.to_owned(), false);
    }
    // The paths the user typed, and those of `WKG_CONFIG_FILE` and
    // `WKG_CACHE_DIR`, at the paths the user sees.
    let real_cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.clone());
    let from_env = [("WKG_CONFIG_FILE", false), ("WKG_CACHE_DIR", true)]
        .into_iter()
        .filter_map(|(name, dir)| {
            Some(PathArg {
                typed: var(name)?,
                dir,
                writable: true,
            })
        });
    for arg in side.paths.iter().cloned().chain(from_env).chain(more) {
        if let Some(p) = arguments::preopen_for(&cwd, &real_cwd, &arg) {
            let entry = dirs.entry(p.guest.clone()).or_insert(p);
            entry.writable |= arg.writable;
        }
    }

    let mut list: Vec<Preopen> = dirs.into_values().collect();
    list.push(Preopen {
        host: cwd,
        guest: ".".into(),
        writable: true,
    });
    Ok(list)
}

/// The project directory `root` ([`wkg_core::paths::project_root`]), and the directories of
/// the local dependencies its `[overrides]` name (read-only), at their
/// absolute paths. A manifest that does not parse is left to the component
/// to report.
fn project_preopens(root: &Path) -> Vec<Preopen> {
    let name = wkg_core::project::PROJECT_FILE_NAME;
    let mut out = vec![Preopen {
        host: root.to_owned(),
        guest: root.display().to_string(),
        writable: true,
    }];
    let text = std::fs::read_to_string(root.join(name)).unwrap_or_default();
    if let Ok(manifest) = wkg_core::project::ProjectManifest::from_toml(&text, name) {
        for path in manifest.overrides.values().filter_map(|o| o.path.as_ref()) {
            let path = wkg_core::project::normalize_path(&root.join(path));
            if let Some(dir) = nearest_dir(&path) {
                out.push(Preopen {
                    guest: dir.display().to_string(),
                    host: dir,
                    writable: false,
                });
            }
        }
    }
    out
}

/// `path` itself if it is a directory, else its nearest existing ancestor.
fn nearest_dir(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.is_dir())
        .filter(|p| p.parent().is_some())
        .map(Path::to_path_buf)
}
