//! What the native `wkg` must know of the command line before the component
//! runs (the component parses it for real, with wkg's clap tree): which
//! command it is, and every path the user typed, so that the host can
//! preopen the directories those paths need, at the paths the user sees.

use std::path::{Component, Path, PathBuf};

use wkg_host::Preopen;

/// A path as the user typed it, and how the command uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathArg {
    pub typed: PathBuf,
    /// A directory (`--cache`, `-d`, `fetch DIR`, an output ending in `/`),
    /// else a file, whose parent directory is what is needed.
    pub dir: bool,
    pub writable: bool,
}

/// What the host must do around a command.
#[derive(Debug, Default)]
pub struct HostSide {
    /// `--edit`: the host starts `$EDITOR` after the component seeded the file.
    pub edit: bool,
    /// `--edit` or `--default-registry`: the file may be created.
    pub writes: bool,
    /// `wkg config`.
    pub is_config: bool,
    /// `--config <path>`.
    pub config: Option<PathBuf>,
    /// A package or `oci` command, which uses the cache.
    pub uses_cache: bool,
    /// A project command (`build`, `fetch`, `update`, `publish`), which
    /// reads the nearest `wkg.toml` and the local dependencies it names.
    pub project: bool,
    /// A command that connects to registries (`oci` and the package
    /// commands).
    pub connects: bool,
    /// The paths on the command line.
    pub paths: Vec<PathArg>,
}

/// Options that take a value, per command (after the global `--color`).
fn takes_value(group: &str, command: &str, option: &str) -> bool {
    let common = matches!(option, "--config" | "--cache");
    let connection = matches!(option, "-u" | "-p" | "--insecure");
    if group == "sigstore" {
        return matches!(
            option,
            "--bundle"
                | "--certificate-identity"
                | "--certificate-identity-regexp"
                | "--certificate-oidc-issuer"
                | "--certificate-oidc-issuer-regexp"
                | "--key"
                | "--trusted-root"
        );
    }
    if group == "oci" {
        return common
            || connection
            || match command {
                "pull" => {
                    matches!(option, "-o" | "--output" | "--key" | "--trusted-root")
                        || option.starts_with("--certificate-")
                }
                "sign" => option == "--key",
                "push" | "build" => {
                    matches!(
                        option,
                        "-a" | "--author" | "--annotation" | "--layout" | "--tag"
                    )
                }
                "discover" => matches!(option, "--artifact-type" | "--format"),
                "attach" => matches!(option, "--artifact-type" | "--media-type" | "--annotation"),
                _ => false,
            };
    }
    common
        || match command {
            "get" => matches!(option, "-o" | "--output" | "--format" | "--registry"),
            "publish" => matches!(option, "--registry" | "--package" | "--sign-key"),
            "build" => matches!(option, "-d" | "--wit-dir" | "-o" | "--output"),
            "fetch" => matches!(option, "-t" | "--type"),
            "update" => matches!(option, "-d" | "--wit-dir" | "-t" | "--type"),
            "config" => option == "--default-registry",
            "mirror" => matches!(option, "--lock" | "--to" | "-u" | "-p" | "--insecure"),
            _ => false,
        }
}

impl HostSide {
    /// Reads `args` (the first is the program name). Unknown options are
    /// passed over: the component reports them.
    pub fn parse(args: &[String]) -> HostSide {
        let mut side = HostSide::default();
        let mut words = args.iter().skip(1).map(String::as_str);
        let mut command = loop {
            match words.next() {
                None => return side,
                Some("--color") => _ = words.next(),
                Some(arg) if !arg.starts_with('-') => break arg,
                Some(_) => {}
            }
        };
        // `oci pull|push` and the deprecated `wit build|fetch|update`.
        let group = command;
        if matches!(command, "oci" | "wit" | "sigstore") {
            match words.next() {
                Some(sub) => command = sub,
                None => return side,
            }
        }
        side.project = group == "wit"
            || (group != "oci"
                && matches!(command, "publish" | "build" | "fetch" | "update" | "mirror"));
        // `oci` keeps its digest hints of large files there.
        side.uses_cache = side.project || matches!(group, "get" | "oci");
        side.connects = side.uses_cache;
        side.is_config = command == "config";

        let mut options: Vec<(&str, &str)> = Vec::new();
        let mut positionals: Vec<&str> = Vec::new();
        let mut only_positionals = false;
        while let Some(word) = words.next() {
            if only_positionals || !word.starts_with('-') || word == "-" {
                positionals.push(word);
                continue;
            }
            if word == "--" {
                only_positionals = true;
                continue;
            }
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) if word.starts_with("--") => (name, Some(value)),
                // `-ofile`: a short option with its value attached.
                _ if !word.starts_with("--") && word.len() > 2 => (&word[..2], Some(&word[2..])),
                _ => (word, None),
            };
            if takes_value(group, command, name) {
                let value = inline.or_else(|| words.next());
                if let Some(value) = value {
                    options.push((name, value));
                }
            } else {
                options.push((name, ""));
            }
        }

        let file = |typed: &str, writable| PathArg {
            dir: typed.ends_with('/'),
            typed: PathBuf::from(typed),
            writable,
        };
        let dir = |typed: &str| PathArg {
            typed: PathBuf::from(typed),
            dir: true,
            writable: true,
        };
        for &(name, value) in &options {
            match name {
                "--config" => {
                    side.config = Some(PathBuf::from(value));
                    side.paths.push(file(value, true));
                }
                "--cache" => side.paths.push(dir(value)),
                "-o" | "--output" => side.paths.push(file(value, true)),
                "-d" | "--wit-dir" => side.paths.push(dir(value)),
                "-e" | "--edit" if side.is_config => side.edit = true,
                "--default-registry" if side.is_config => side.writes = true,
                _ => {}
            }
        }
        let has = |names: &[&str]| options.iter().any(|(n, _)| names.contains(n));
        if group == "sigstore" {
            for &(name, value) in &options {
                if matches!(name, "--bundle" | "--key" | "--trusted-root") {
                    side.paths.push(file(value, false));
                }
            }
            // The artifact, unless it is a digest.
            if let Some(artifact) = positionals.first()
                && !(artifact.starts_with("sha256:") && artifact.len() == 71)
            {
                side.paths.push(file(artifact, false));
            }
            return side;
        }
        if group == "oci" {
            // An image layout in place of a registry reference.
            let layout = positionals
                .first()
                .and_then(|p| wkg_core::layout::Location::parse(p)?.ok().map(|l| l.dir));
            let reads_only = matches!(command, "pull" | "discover");
            if let Some(typed) = layout {
                side.paths.push(PathArg {
                    typed: PathBuf::from(typed),
                    dir: true,
                    writable: !reads_only,
                });
            }
            match command {
                "push" | "attach" => {
                    if let Some(typed) = positionals.get(1) {
                        side.paths.push(file(typed, false));
                    }
                }
                "build" => {
                    if let Some(typed) = positionals.first() {
                        side.paths.push(file(typed, false));
                    }
                    for &(name, value) in &options {
                        if name == "--layout" {
                            side.paths.push(dir(value));
                        }
                    }
                }
                _ => {}
            }
            for &(name, value) in &options {
                if matches!(name, "--key" | "--trusted-root") {
                    side.paths.push(file(value, false));
                }
            }
            side.writes |= side.edit;
            return side;
        }
        match command {
            "publish" => {
                for &(name, value) in &options {
                    if name == "--sign-key" {
                        side.paths.push(file(value, false));
                    }
                }
                for typed in positionals {
                    let wasm = Path::new(typed).extension().is_some_and(|e| e == "wasm");
                    side.paths.push(PathArg {
                        typed: PathBuf::from(typed),
                        dir: !wasm,
                        writable: false,
                    });
                }
            }
            "mirror" => {
                for &(name, value) in &options {
                    match name {
                        "--lock" => side.paths.push(file(value, false)),
                        "--to" => {
                            if let Some(d) = value.strip_prefix(wkg_core::layout::LOCATION_PREFIX) {
                                side.paths.push(dir(d));
                            }
                        }
                        _ => {}
                    }
                }
            }
            "fetch" => side
                .paths
                .push(dir(positionals.first().copied().unwrap_or("wit"))),
            "build" | "update" if !has(&["-d", "--wit-dir"]) => side.paths.push(dir("wit")),
            _ => {}
        }
        side.writes |= side.edit;
        side
    }

    /// The config file the command reads or edits, found as the component
    /// finds it: `--config`, `WKG_CONFIG_FILE`, else the global one.
    pub fn config_path(&self, env: &[(String, String)]) -> Option<PathBuf> {
        let var = |name: &str| crate::var(env, name).map(str::to_owned);
        wkg_core::paths::config_file(self.config.as_deref(), var).map(|file| file.path)
    }
}

/// The preopen that gives the component `arg` as typed, if the working
/// directory's preopen does not already: its directory (a file's parent),
/// or that directory's nearest existing ancestor, named as the user typed
/// it. wasi-libc finds the preopen for a path by its leading components,
/// so `../x.toml` is opened in a preopen named `..`, and the operating
/// system resolves that directory here, as it would for the native tool:
/// through symbolic links, `..` taken physically.
///
/// A relative directory that lies physically inside `cwd` needs nothing;
/// one reached through `..` or a symbolic link that leaves `cwd` does.
pub fn preopen_for(cwd: &Path, real_cwd: &Path, arg: &PathArg) -> Option<Preopen> {
    let dir = if arg.dir {
        arg.typed.as_path()
    } else {
        arg.typed.parent()?
    };
    let existing = dir.ancestors().find(|a| cwd.join(a).is_dir())?;
    // `./x` is `x` to wasi-libc.
    let shown: PathBuf = existing
        .components()
        .skip_while(|c| matches!(c, Component::CurDir))
        .collect();
    if shown.as_os_str().is_empty() {
        return None;
    }
    if shown.is_relative() {
        let lexical = wkg_core::project::normalize_path(&shown);
        let inside = !lexical.starts_with("..")
            && cwd
                .join(&shown)
                .canonicalize()
                .is_ok_and(|real| real.starts_with(real_cwd));
        if inside {
            return None;
        }
    }
    Some(Preopen {
        host: cwd.join(&shown),
        guest: shown.to_str()?.to_owned(),
        writable: arg.writable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(line: &str) -> HostSide {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        HostSide::parse(&args)
    }

    /// A path as typed, whether a directory, whether writable.
    type Typed<'a> = (&'a str, bool, bool);

    fn typed(side: &HostSide) -> Vec<Typed<'_>> {
        side.paths
            .iter()
            .map(|p| (p.typed.to_str().unwrap(), p.dir, p.writable))
            .collect()
    }

    #[test]
    fn paths_per_command() {
        let cases: &[(&str, &[Typed])] = &[
            (
                "wkg get wasi:http -o ../out/ --config ../c.toml",
                &[("../out/", true, true), ("../c.toml", false, true)],
            ),
            (
                "wkg get wasi:http --output=../x.wit",
                &[("../x.wit", false, true)],
            ),
            ("wkg get wasi:http -o../x.wit", &[("../x.wit", false, true)]),
            ("wkg --color never build", &[("wit", true, true)]),
            (
                "wkg build -d ../w -o ../b.wasm --cache ../c",
                &[
                    ("../w", true, true),
                    ("../b.wasm", false, true),
                    ("../c", true, true),
                ],
            ),
            (
                "wkg fetch ../app/wit -t wasm",
                &[("../app/wit", true, true)],
            ),
            ("wkg wit fetch", &[("wit", true, true)]),
            ("wkg update -d x wasi:http", &[("x", true, true)]),
            (
                "wkg publish ../a.wasm ../wit --package a:b@1.0.0",
                &[("../a.wasm", false, false), ("../wit", true, false)],
            ),
            (
                "wkg oci push -a me --annotation k=../v ghcr.io/a/b:1 ../a.wasm",
                &[("../a.wasm", false, false)],
            ),
            (
                "wkg oci pull ghcr.io/a/b:1 -o ../a.wasm",
                &[("../a.wasm", false, true)],
            ),
            (
                "wkg oci pull oci-layout:../out:1 -o a.wasm",
                &[("a.wasm", false, true), ("../out", true, false)],
            ),
            (
                "wkg oci push oci-layout:../out ../a.wasm",
                &[("../out", true, true), ("../a.wasm", false, false)],
            ),
            (
                "wkg oci build ../a.wasm --layout ../out --tag 1.0.0",
                &[("../a.wasm", false, false), ("../out", true, true)],
            ),
            (
                "wkg oci attach --artifact-type t ghcr.io/a/b:1 ../sig.json",
                &[("../sig.json", false, false)],
            ),
            (
                "wkg oci discover oci-layout:../l:1 --format json",
                &[("../l", true, false)],
            ),
            (
                "wkg mirror --lock ../wkg.lock --to oci-layout:../air",
                &[("../wkg.lock", false, false), ("../air", true, true)],
            ),
            ("wkg mirror --to 127.0.0.1:5000/mirror", &[]),
            (
                "wkg config --config ../c.toml",
                &[("../c.toml", false, true)],
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(typed(&side(line)), *expected, "{line}");
        }
    }

    #[test]
    fn command_kinds() {
        let s = side("wkg config --default-registry=ghcr.io");
        assert!(s.is_config && s.writes && !s.edit && !s.connects);
        let s = side("wkg config -e");
        assert!(s.edit && s.writes);
        let s = side("wkg oci pull ghcr.io/a/b:1");
        assert!(s.connects && s.uses_cache && !s.project);
        let s = side("wkg oci build a.wasm --layout out");
        assert!(!s.project && s.uses_cache);
        let s = side("wkg wit build");
        assert!(s.project && s.connects);
        assert!(!side("wkg --version").connects);
    }

    #[test]
    fn preopens_as_typed() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().canonicalize().unwrap();
        let cwd = real.join("project");
        std::fs::create_dir_all(cwd.join("sub")).unwrap();
        std::fs::create_dir_all(real.join("elsewhere")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(real.join("elsewhere"), cwd.join("link")).unwrap();
        let arg = |typed: &str, dir| PathArg {
            typed: PathBuf::from(typed),
            dir,
            writable: true,
        };
        let guest = |a: PathArg| preopen_for(&cwd, &cwd, &a).map(|p| (p.guest, p.host));

        assert_eq!(guest(arg("x.toml", false)), None);
        assert_eq!(guest(arg("sub/x.toml", false)), None);
        assert_eq!(guest(arg("./sub/../x.toml", false)), None);
        assert_eq!(
            guest(arg("../x.toml", false)),
            Some(("..".into(), cwd.join("..")))
        );
        assert_eq!(
            guest(arg("./../elsewhere/new/out.wasm", false)),
            Some(("../elsewhere".into(), cwd.join("../elsewhere")))
        );
        assert_eq!(
            guest(arg("sub/../../x", true)),
            Some(("sub/../..".into(), cwd.join("sub/../..")))
        );
        #[cfg(unix)]
        assert_eq!(
            guest(arg("link/out.wasm", false)),
            Some(("link".into(), cwd.join("link")))
        );
        let absolute = real.join("elsewhere/x.wasm");
        assert_eq!(
            guest(arg(absolute.to_str().unwrap(), false)),
            Some((
                real.join("elsewhere").display().to_string(),
                real.join("elsewhere")
            ))
        );
    }
}
