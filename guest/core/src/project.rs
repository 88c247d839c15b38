//! The `wkg.toml` project manifest (reference behaviour §3.1), plus this
//! tool's `[config]` table: config.toml's keys for this project only (see
//! [`Config::from_project_manifest`]).
//!
//! ```toml
//! [overrides]
//! "my:local-dep" = { path = "../local-dep/wit" }
//! "wasi:config" = { version = "=0.2.0-rc.1" }
//!
//! [metadata]
//! authors = "WasmPkg <wasm-pkg@bytecodealliance.org>"   # alias `author`
//! description = "WASI HTTP interface"
//! licenses = "Apache-2.0"                               # alias `license`
//! source = "https://github.com/example/http"           # alias `repository`
//! homepage = "https://example.com"
//! revision = "f00ba4"
//!
//! [config]
//! default_registry = "acme.registry.com"
//! ```
//!
//! or, for a workspace root (exclusive with `[overrides]` and `[metadata]`):
//!
//! ```toml
//! [workspace]
//! members = ["pkg-a", "examples/*/wit"]
//! [workspace.metadata]
//! authors = "WasmPkg"
//! ```
//!
//! Stricter than wkg, which takes any string as an override key and
//! ignores unknown keys in `[workspace]`: override keys must be `ns:name`,
//! and unknown keys are errors in every table. Values are kept as written:
//! paths are not resolved, members not expanded, and `licenses`, `source`
//! and `homepage` are checked (SPDX, URL) only when a build uses them, as
//! in wkg.

use std::collections::BTreeMap;

use semver::VersionReq;
use serde::Deserialize;
use toml::Spanned;

use crate::config::{Config, ConfigError};
use crate::package::PackageRef;

/// The manifest's name, in the project directory.
pub const PROJECT_FILE_NAME: &str = "wkg.toml";

/// A parsed `wkg.toml`. The default is what a missing file means.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectManifest {
    /// `[overrides]`: per package, a local path or a version requirement.
    pub overrides: BTreeMap<PackageRef, Override>,
    /// `[metadata]`: written into built packages, then into OCI
    /// annotations on publish.
    pub metadata: Option<Metadata>,
    /// `[workspace]`: present only without `[overrides]` and `[metadata]`.
    pub workspace: Option<Workspace>,
    /// `[config]`: registry config for this project, over the global
    /// config.toml (see [`Config::merge`]).
    pub config: Option<Config>,
}

/// One `[overrides]` entry. With `path`, the package comes from that local
/// WIT directory, `.wit` file or `.wasm` file (relative to the working
/// directory in wkg) and `version` is ignored; with `version` only, the
/// requirement replaces the one derived from the WIT. With neither the
/// entry is accepted and should be ignored with a warning, as wkg does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    /// A local path, as written.
    #[serde(default)]
    pub path: Option<String>,
    /// A version requirement.
    #[serde(default)]
    pub version: Option<VersionReq>,
}

/// `[metadata]` and `[workspace.metadata]`, as the wasm-pkg-tools README
/// documents it (wkg 0.16.1 itself rejects its list-valued `authors` and
/// its `categories` and `documentation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// A string or a list of strings (alias `author`); a list is kept
    /// joined with `", "`, the one string wasm-metadata's `authors` section
    /// and the `org.opencontainers.image.authors` annotation hold.
    #[serde(default, alias = "author", deserialize_with = "one_or_many")]
    pub authors: Option<String>,
    /// Keywords (the README's `categories = ["wasm-pkg"]`); no wasm-metadata
    /// section or standard OCI annotation holds them, so they are accepted
    /// and not published.
    #[serde(default)]
    pub categories: Option<Vec<String>>,
    /// The documentation URL: the `org.opencontainers.image.documentation`
    /// annotation when the package is published from its directory.
    #[serde(default)]
    pub documentation: Option<String>,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
    /// An SPDX expression (alias `license`).
    #[serde(default, alias = "license")]
    pub licenses: Option<String>,
    /// The source repository URL (alias `repository`).
    #[serde(default, alias = "repository")]
    pub source: Option<String>,
    /// The homepage URL.
    #[serde(default)]
    pub homepage: Option<String>,
    /// The source control revision.
    #[serde(default)]
    pub revision: Option<String>,
}

/// A string, or a list of strings joined with `", "`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(Some(
        match OneOrMany::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected a string or a list of strings"))?
        {
            OneOrMany::One(s) => s,
            OneOrMany::Many(list) => list.join(", "),
        },
    ))
}

/// `[workspace]`. Without `members` it is wkg's unimplemented member
/// declaration: it lists nothing, but still excludes `[overrides]` and
/// `[metadata]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// Member directories or globs relative to the manifest, as written.
    #[serde(default)]
    pub members: Vec<String>,
    /// Workspace-level metadata (parsed but never applied by wkg 0.16.1).
    #[serde(default)]
    pub metadata: Option<Metadata>,
}

/// The file as written, each table with its span for the exclusivity
/// check.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestToml {
    #[serde(default)]
    overrides: Option<Spanned<BTreeMap<PackageRef, Override>>>,
    #[serde(default)]
    metadata: Option<Spanned<Metadata>>,
    #[serde(default)]
    workspace: Option<Spanned<Workspace>>,
    #[serde(default)]
    config: Option<Config>,
}

impl ProjectManifest {
    /// Parse `wkg.toml` text; `origin` (usually the path) prefixes error
    /// messages, which are positioned like config.toml's.
    ///
    /// # Errors
    /// Invalid TOML; unknown keys in any table; an override key that is not
    /// `ns:name`; an invalid version requirement; an invalid `[config]`
    /// table (as [`Config::from_toml`] reports it); `[workspace]` together
    /// with `[overrides]` or `[metadata]` (even empty), with wkg's message,
    /// positioned at `[workspace]`.
    pub fn from_toml(text: &str, origin: &str) -> Result<ProjectManifest, ConfigError> {
        let deserializer = toml::de::Deserializer::parse(text)
            .map_err(|e| ConfigError::from_toml(origin, text, &e, true))?;
        let manifest = ManifestToml::deserialize(deserializer)
            .map_err(|e| ConfigError::from_toml(origin, text, &e, false))?;

        if let Some(workspace) = &manifest.workspace {
            let conflicts: Vec<&str> = [
                manifest.overrides.as_ref().map(|_| "overrides"),
                manifest.metadata.as_ref().map(|_| "metadata"),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !conflicts.is_empty() {
                let message = format!(
                    "`[workspace]` cannot coexist with: `[{}]` - use `[workspace.metadata]` \
                     for workspace level values",
                    conflicts.join("]`, `[")
                );
                let offset = Some(workspace.span().start);
                return Err(ConfigError::at(origin, text, offset, message));
            }
        }

        Ok(ProjectManifest {
            overrides: manifest
                .overrides
                .map(Spanned::into_inner)
                .unwrap_or_default(),
            metadata: manifest.metadata.map(Spanned::into_inner),
            workspace: manifest.workspace.map(Spanned::into_inner),
            config: manifest.config,
        })
    }
}

/// `path` with `.` and `name/..` pairs removed, without touching the file
/// system: how an override path relative to its `wkg.toml` (say
/// `/work/app/../lib/wit`) is named to a component, whose preopened
/// directories cannot be left through `..`.
pub fn normalize_path(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let popped =
                    matches!(out.components().next_back(), Some(Component::Normal(_))) && out.pop();
                if !popped && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegistryMapping;

    fn parse(text: &str) -> ProjectManifest {
        ProjectManifest::from_toml(text, "wkg.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    fn error(text: &str) -> ConfigError {
        ProjectManifest::from_toml(text, "wkg.toml").unwrap_err()
    }

    fn package(name: &str) -> PackageRef {
        name.parse().unwrap()
    }

    const FULL: &str = r#"[overrides]
"my:local-dep" = { path = "../local-dep/wit" }
"wasi:config" = { version = "=0.2.0-rc.1" }
"my:both" = { path = "both.wasm", version = "1.0" }

[overrides."my:neither"]

[metadata]
authors = "WasmPkg <wasm-pkg@bytecodealliance.org>"
description = "WASI HTTP interface"
licenses = "Apache-2.0"
source = "https://github.com/example/http"
homepage = "https://example.com"
revision = "f00ba4"

[config]
default_registry = "acme.registry.com"

[config.namespace_registries]
wasi = "wasi.dev"
"#;

    #[test]
    fn parses_all_tables_and_config() {
        let manifest = parse(FULL);
        assert_eq!(
            manifest
                .overrides
                .keys()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["my:both", "my:local-dep", "my:neither", "wasi:config"]
        );
        assert_eq!(
            manifest.overrides[&package("my:local-dep")],
            Override {
                path: Some("../local-dep/wit".to_owned()),
                version: None,
            }
        );
        assert_eq!(
            manifest.overrides[&package("wasi:config")],
            Override {
                path: None,
                version: Some("=0.2.0-rc.1".parse().unwrap()),
            }
        );
        assert_eq!(
            manifest.overrides[&package("my:both")].version,
            Some("^1.0".parse().unwrap())
        );
        // Neither path nor version: accepted, for the caller to warn about.
        assert_eq!(
            manifest.overrides[&package("my:neither")],
            Override::default()
        );
        assert_eq!(
            manifest.metadata,
            Some(Metadata {
                authors: Some("WasmPkg <wasm-pkg@bytecodealliance.org>".to_owned()),
                description: Some("WASI HTTP interface".to_owned()),
                licenses: Some("Apache-2.0".to_owned()),
                source: Some("https://github.com/example/http".to_owned()),
                homepage: Some("https://example.com".to_owned()),
                revision: Some("f00ba4".to_owned()),
                ..Metadata::default()
            })
        );
        assert_eq!(manifest.workspace, None);

        let config = manifest.config.unwrap();
        assert_eq!(
            config
                .default_registry()
                .map(ToString::to_string)
                .as_deref(),
            Some("acme.registry.com")
        );
        assert_eq!(
            config.namespace_registries()["wasi"],
            RegistryMapping::Registry("wasi.dev".parse().unwrap())
        );
        // The same table as the guest's `Config::from_project_manifest`.
        assert_eq!(
            Config::from_project_manifest(FULL, "wkg.toml").unwrap(),
            Some(config)
        );
    }

    #[test]
    fn empty_and_missing_tables() {
        assert_eq!(parse(""), ProjectManifest::default());
        let manifest = parse("[overrides]\n[metadata]\n[config]\n");
        assert!(manifest.overrides.is_empty());
        assert_eq!(manifest.metadata, Some(Metadata::default()));
        assert_eq!(manifest.config, Some(Config::empty()));
    }

    #[test]
    fn metadata_aliases() {
        let manifest = parse(
            "[metadata]\nauthor = \"A\"\nlicense = \"MIT\"\nrepository = \"https://r.example\"\n",
        );
        let metadata = manifest.metadata.unwrap();
        assert_eq!(metadata.authors.as_deref(), Some("A"));
        assert_eq!(metadata.licenses.as_deref(), Some("MIT"));
        assert_eq!(metadata.source.as_deref(), Some("https://r.example"));

        // An alias and its field together are one key given twice.
        let err = error("[metadata]\nauthors = \"A\"\nauthor = \"B\"\n");
        assert!(err.message().contains("duplicate field `authors`"), "{err}");
    }

    #[test]
    fn the_readmes_metadata_example() {
        let manifest = parse(
            "[metadata]\n\
             authors = [\"WasmPkg <wasm-pkg@bytecodealliance.org>\", \"B <b@example.com>\"]\n\
             categories = [\"wasm-pkg\"]\n\
             description = \"WASI HTTP interface\"\n\
             license = \"Apache-2.0\"\n\
             documentation = \"https://docs.foobar.baz\"\n\
             homepage = \"https://foobar.baz\"\n\
             repository = \"https://github.com/bytecodealliance/wasm-pkg-tools\"\n",
        );
        let m = manifest.metadata.unwrap();
        assert_eq!(
            m.authors.as_deref(),
            Some("WasmPkg <wasm-pkg@bytecodealliance.org>, B <b@example.com>")
        );
        assert_eq!(m.categories, Some(vec!["wasm-pkg".to_owned()]));
        assert_eq!(m.documentation.as_deref(), Some("https://docs.foobar.baz"));
        assert_eq!(m.licenses.as_deref(), Some("Apache-2.0"));
        let err = error("[metadata]\nauthors = 3\n");
        assert!(
            err.message().contains("a string or a list of strings"),
            "{err}"
        );
        assert_eq!(err.line(), Some(2));
        let err = error("[metadata]\nkeywords = []\n");
        assert!(err.message().contains("unknown field `keywords`"), "{err}");
    }

    #[test]
    fn workspace_root() {
        let manifest = parse(
            "[workspace]\nmembers = [\"a/wit\", \"examples/*/wit\"]\n\n\
             [workspace.metadata]\nauthors = \"Webster Assembler\"\n\n\
             [config]\ndefault_registry = \"localhost:5000\"\n",
        );
        let workspace = manifest.workspace.unwrap();
        assert_eq!(workspace.members, ["a/wit", "examples/*/wit"]);
        assert_eq!(
            workspace.metadata.unwrap().authors.as_deref(),
            Some("Webster Assembler")
        );
        assert!(manifest.overrides.is_empty() && manifest.metadata.is_none());
        assert!(manifest.config.is_some());

        // Without members: wkg's member declaration, listing nothing.
        assert_eq!(parse("[workspace]\n").workspace, Some(Workspace::default()));
    }

    #[test]
    fn workspace_excludes_overrides_and_metadata() {
        let cases = [
            (
                "[workspace]\nmembers = [\"a\"]\n\n[overrides.\"foo:bar\"]\npath = \"oo-bar\"\n",
                "`[workspace]` cannot coexist with: `[overrides]` - use `[workspace.metadata]` \
                 for workspace level values",
            ),
            (
                "[metadata]\nauthors = \"A\"\n\n[workspace]\nmembers = [\"a\"]\n",
                "`[workspace]` cannot coexist with: `[metadata]` - use `[workspace.metadata]` \
                 for workspace level values",
            ),
            (
                "[overrides]\n[metadata]\n[workspace]\n",
                "`[workspace]` cannot coexist with: `[overrides]`, `[metadata]` - use \
                 `[workspace.metadata]` for workspace level values",
            ),
        ];
        // Positioned at `[workspace]`.
        for ((text, message), line) in cases.into_iter().zip([1, 4, 3]) {
            let err = error(text);
            assert_eq!(err.message(), message, "{text}");
            assert_eq!((err.line(), err.column()), (Some(line), Some(1)), "{err}");
        }
        let err = error(cases[0].0);
        assert_eq!(err.to_string(), format!("wkg.toml:1:1: {}", cases[0].1),);
    }

    #[test]
    fn errors_are_positioned() {
        let cases: &[(&str, (usize, usize), &str)] = &[
            ("[overrides\n", (1, 11), ""),
            (
                "[package]\nname = \"x\"\n",
                (1, 2),
                "unknown field `package`",
            ),
            (
                "[overrides]\n\"foo\" = { path = \"x\" }\n",
                (2, 1),
                "invalid package ref `foo`",
            ),
            (
                "[overrides]\n\"Foo:bar\" = { path = \"x\" }\n",
                (2, 1),
                "invalid package ref `Foo:bar`",
            ),
            (
                "[overrides]\n\"foo:bar\" = { paht = \"x\" }\n",
                (2, 15),
                "unknown field `paht`",
            ),
            (
                "[overrides]\n\"foo:bar\" = { version = \"not a req\" }\n",
                (2, 25),
                "",
            ),
            (
                "[metadata]\nlicence = \"MIT\"\n",
                (2, 1),
                "unknown field `licence`",
            ),
            (
                "[metadata]\nauthors = [1]\n",
                (2, 11),
                "a string or a list of strings",
            ),
            (
                "[workspace]\nroot = \"..\"\n",
                (2, 1),
                "unknown field `root`",
            ),
            ("[workspace]\nmembers = \"a\"\n", (2, 11), "invalid type"),
            (
                "[workspace.metadata]\nauthor = 1\n",
                (2, 10),
                "a string or a list of strings",
            ),
            (
                "[config]\nnamespaces = 1\n",
                (2, 1),
                "unknown field `namespaces`",
            ),
            (
                "[config.namespace_registries]\nwasi = \"https://wasi.dev\"\n",
                (2, 8),
                "invalid registry",
            ),
        ];
        for (text, (line, column), message) in cases {
            let err = error(text);
            assert_eq!(
                (err.line(), err.column()),
                (Some(*line), Some(*column)),
                "{text}: {err}"
            );
            assert!(err.message().contains(message), "{text}: {err}");
            assert!(
                err.to_string()
                    .starts_with(&format!("wkg.toml:{line}:{column}: "))
            );
        }
    }

    #[test]
    fn paths_are_normalized_lexically() {
        let n = |p: &str| {
            normalize_path(std::path::Path::new(p))
                .display()
                .to_string()
        };
        assert_eq!(n("/work/app/../lib/wit"), "/work/lib/wit");
        assert_eq!(n("/work/./app/wit/"), "/work/app/wit");
        assert_eq!(n("/.."), "/");
        assert_eq!(n("../x/../y"), "../y");
        assert_eq!(n("a/.."), ".");
    }
}
