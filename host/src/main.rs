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

use wkg_host::{CodeCache, Invocation, Preopen, Trust, Wkg};

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
        if let Some(dir) = side.path(&env).as_deref().and_then(Path::parent) {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    if side.edit {
        env.push(("WKG_HOST_LAUNCHES_EDITOR".into(), "1".into()));
    }
    if side.uses_cache {
        // Likewise the package cache (wkg creates it on first use).
        let cache =
            wkg_core::config::global_cache_dir(var(&env, "XDG_CACHE_HOME"), var(&env, "HOME"));
        if let Some(dir) = cache {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    // Credential helpers run here, for the docker config the component reads.
    let docker_config = docker_config_dir(&env).map(|d| d.join("config.json"));
    let cwd = std::env::current_dir()?;
    // The component finds the nearest `wkg.toml` above it through `PWD`.
    env.retain(|(k, _)| k != "PWD");
    env.push(("PWD".into(), cwd.display().to_string()));
    let mut preopens = preopens(&args, &env)?;
    if side.project {
        preopens.extend(project_preopens(&cwd));
    }
    let trust = trust(&side, &env, &cwd);
    // The component runs on this thread; the workers drive the network
    // meanwhile, so hashing in the component overlaps with transfers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
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
            credential_helpers: docker_config,
            ..Default::default()
        })
        .await
    })?;
    if code == 0 && side.edit {
        launch_editor(&side, &env)?;
    }
    Ok(code)
}

/// The TLS trust for this run: `SSL_CERT_FILE` for every host, and, for the
/// commands that connect, the `extra_root_certificates` and
/// `accept_invalid_certificates` of the config the component reads (as
/// [`HostSide::path`] finds it, then `./wkg.toml`'s `[config]`), parsed by
/// the same core crate. A file that does not parse is left to the component
/// to report; a certificate that cannot be read is a warning.
fn trust(side: &HostSide, env: &[(String, String)], cwd: &Path) -> Trust {
    use wkg_core::config::Config;
    let mut trust = Trust::default();
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|f| !f.is_empty()) {
        // Read at the first https connection.
        trust.root_files.push(PathBuf::from(file));
    }
    if !side.connects {
        return trust;
    }
    let read = |path: &Path| std::fs::read_to_string(cwd.join(path)).ok();
    let mut config = side
        .path(env)
        .and_then(|p| read(&p))
        .and_then(|text| Config::from_toml(&text, "config.toml").ok())
        .unwrap_or_default();
    let manifest = wkg_core::project::PROJECT_FILE_NAME;
    if let Some(Ok(Some(project))) =
        read(Path::new(manifest)).map(|text| Config::from_project_manifest(&text, manifest))
    {
        config = config.merge(project);
    }
    let (from_config, problems) = Trust::from_config(&config);
    trust.extend(from_config);
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    trust
}

/// The non-empty value of `name` in `env`.
fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(n, v)| n == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// The docker config directory: `$DOCKER_CONFIG`, else `$HOME/.docker`.
fn docker_config_dir(env: &[(String, String)]) -> Option<PathBuf> {
    var(env, "DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| var(env, "HOME").map(|h| Path::new(h).join(".docker")))
}

/// What the host must do around a `wkg config` command or a package
/// command, read from the arguments (the component parses them for real).
#[derive(Debug, Default)]
struct HostSide {
    /// `--edit`: the host starts `$EDITOR` after the component seeded the file.
    edit: bool,
    /// `--edit` or `--default-registry`: the file may be created.
    writes: bool,
    /// `--config <path>`.
    config: Option<PathBuf>,
    /// A package or `oci` command, which uses the cache.
    uses_cache: bool,
    /// A project command (`build`, `fetch`, `update`, `publish`), which
    /// reads the nearest `wkg.toml` and the local dependencies it names.
    project: bool,
    /// A command that connects to registries (`oci` and the package
    /// commands).
    connects: bool,
}

impl HostSide {
    fn parse(args: &[String]) -> HostSide {
        let mut rest = args.iter().skip(1);
        let mut side = HostSide::default();
        let command = loop {
            match rest.next().map(String::as_str) {
                None => return side,
                Some("--color") => _ = rest.next(),
                Some(arg) if !arg.starts_with('-') => break arg,
                Some(_) => {}
            }
        };
        side.project = matches!(command, "publish" | "build" | "fetch" | "update" | "wit");
        // `oci` keeps its digest hints of large files there.
        side.uses_cache = side.project || matches!(command, "get" | "oci");
        side.connects = side.uses_cache || command == "oci";
        let is_config = command == "config";
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--config" => side.config = rest.next().map(PathBuf::from),
                a if a.starts_with("--config=") => {
                    side.config = Some(PathBuf::from(&a["--config=".len()..]));
                }
                "-e" | "--edit" if is_config => side.edit = true,
                "--default-registry" if is_config => side.writes = true,
                a if is_config && a.starts_with("--default-registry=") => side.writes = true,
                _ => {}
            }
        }
        side.writes |= side.edit;
        side
    }

    /// The file the command edits, found as the component finds it.
    fn path(&self, env: &[(String, String)]) -> Option<PathBuf> {
        if let Some(path) = &self.config {
            return Some(path.clone());
        }
        if let Some(file) = var(env, "WKG_CONFIG_FILE") {
            return Some(PathBuf::from(file));
        }
        let global =
            wkg_core::config::global_config_path(var(env, "XDG_CONFIG_HOME"), var(env, "HOME"));
        global.map(PathBuf::from)
    }
}

/// Starts `$EDITOR <config file>` and waits; its exit status is ignored, as
/// in wkg.
fn launch_editor(side: &HostSide, env: &[(String, String)]) -> anyhow::Result<()> {
    let editor = std::env::var_os("EDITOR").filter(|e| !e.is_empty());
    let (Some(editor), Some(path)) = (editor, side.path(env)) else {
        return Ok(());
    };
    std::process::Command::new(&editor)
        .arg(&path)
        .status()
        .map_err(|e| anyhow::anyhow!("starting `$EDITOR` ({}): {e}", editor.to_string_lossy()))?;
    Ok(())
}

/// The directories to preopen, keyed by the path the component sees.
fn preopens(args: &[String], env: &[(String, String)]) -> anyhow::Result<Vec<Preopen>> {
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
    let home = var("HOME");
    let config_home = var("XDG_CONFIG_HOME").or_else(|| home.as_ref().map(|h| h.join(".config")));
    let cache_home = var("XDG_CACHE_HOME").or_else(|| home.as_ref().map(|h| h.join(".cache")));
    if let Some(dir) = config_home {
        add(dir.join("wasm-pkg"), true);
    }
    if let Some(dir) = cache_home {
        add(dir.join("wasm-pkg"), true);
    }
    if let Some(dir) = docker_config_dir(env) {
        add(dir, false);
    }
    for file in [var("WKG_CONFIG_FILE"), var("WKG_CACHE_DIR")]
        .into_iter()
        .flatten()
    {
        if let Some(dir) = nearest_dir(&file) {
            add(dir, true);
        }
    }
    // Absolute paths on the command line (`-o /tmp/x.wasm`, `--config=/etc/…`).
    for arg in args.iter().skip(1) {
        let value = arg.split_once('=').map_or(arg.as_str(), |(_, v)| v);
        if value.starts_with('/')
            && let Some(dir) = nearest_dir(Path::new(value))
        {
            add(dir, true);
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

/// The nearest directory at or above `cwd` with a `wkg.toml`, and the
/// directories of the local dependencies its `[overrides]` name (read-only),
/// at their absolute paths. A manifest that does not parse is left to the
/// component to report.
fn project_preopens(cwd: &Path) -> Vec<Preopen> {
    let name = wkg_core::project::PROJECT_FILE_NAME;
    let Some(root) = cwd.ancestors().find(|d| d.join(name).is_file()) else {
        return Vec::new();
    };
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
