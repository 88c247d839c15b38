//! Workspaces: a root `wkg.toml` whose `[workspace] members` (paths or
//! globs, relative to it) name WIT directories that are built, fetched and
//! published together, each using the others as local packages
//! (wkg-behaviour §1.5, §1.7, §3.1).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use wit_parser::PackageName;
use wkg_core::package::PackageRef;
use wkg_core::project::normalize_path;

use crate::deps::{self, Project, WitError};
use crate::error::Kind;

/// A workspace whose members cannot be found or read.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A literal member that is no directory with `.wit` files.
    #[error("workspace member `{entry}` is not a directory with `.wit` files (`{dir}`)")]
    NotWitDirectory { entry: String, dir: String },
    /// A member pattern that is not UTF-8.
    #[error("member patterns must be UTF-8")]
    NotUtf8,
    /// A member pattern with `**`.
    #[error("workspace member pattern `{0}`: `**` is not supported")]
    Recursive(String),
    /// A member pattern glob does not parse.
    #[error("invalid workspace member pattern `{pattern}`")]
    Pattern {
        pattern: String,
        #[source]
        source: glob::PatternError,
    },
    /// An absolute member pattern.
    #[error("workspace member pattern `{0}` must be relative to wkg.toml")]
    Absolute(String),
    /// A member directory that does not exist.
    #[error("`{0}` does not exist")]
    Missing(String),
    /// A member that is a wasm file.
    #[error(
        "`{0}` is a wasm file; packages published together are WIT directories \
         (publish a wasm file on its own)"
    )]
    Wasm(String),
    /// A member's WIT.
    #[error(transparent)]
    Wit(#[from] WitError),
    /// A member whose package name is no valid package ref.
    #[error(transparent)]
    Name(#[from] wkg_core::package::PackageRefError),
}

crate::debug_as_message!(Error);

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::Missing(_) => Kind::NotFound,
            Error::Wit(e) => e.kind(),
            _ => Kind::InvalidInput,
        }
    }
}

/// A member: its WIT directory and the package it defines.
#[derive(Debug, Clone)]
pub struct Member {
    pub dir: PathBuf,
    pub name: PackageName,
    pub package: PackageRef,
    /// The packages its WIT uses.
    pub uses: Vec<PackageRef>,
}

/// The members of `project`'s workspace, in the order `members` lists them
/// (a glob's matches sorted); empty when the project is not a workspace.
///
/// A glob keeps the directories holding at least one `.wit` file, as wkg;
/// a literal entry must be such a directory.
///
/// # Errors
/// An invalid glob, a member that is not a WIT directory, WIT that does
/// not parse.
pub fn members(project: &Project) -> Result<Vec<Member>, Error> {
    let Some(workspace) = &project.manifest.workspace else {
        return Ok(Vec::new());
    };
    let mut dirs = Vec::new();
    for entry in &workspace.members {
        if entry.contains(['*', '?', '[']) {
            let mut found: Vec<PathBuf> = expand(&project.dir, entry)?
                .into_iter()
                .filter(|p| has_wit(p))
                .collect();
            found.sort();
            dirs.extend(found);
        } else {
            let dir = normalize_path(&project.dir.join(entry));
            if !has_wit(&dir) {
                return Err(Error::NotWitDirectory {
                    entry: entry.clone(),
                    dir: dir.display().to_string(),
                });
            }
            dirs.push(dir);
        }
    }
    dirs.dedup();
    dirs.iter().map(|dir| member(dir)).collect()
}

/// The directories `pattern` (relative to `base`) matches, one path
/// component at a time: the glob crate's matching on names, our own walk,
/// which only reads directories below `base` (a component cannot read `/`
/// to walk down from it, as `glob::glob` does for an absolute pattern).
fn expand(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, Error> {
    let mut dirs = vec![base.to_owned()];
    for component in Path::new(pattern).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                dirs = dirs.iter().map(|d| normalize_path(&d.join(".."))).collect();
            }
            Component::Normal(part) => {
                let part = part.to_str().ok_or(Error::NotUtf8)?;
                if part == "**" {
                    return Err(Error::Recursive(pattern.to_owned()));
                }
                if !part.contains(['*', '?', '[']) {
                    dirs = dirs.iter().map(|d| d.join(part)).collect();
                    continue;
                }
                let matcher = glob::Pattern::new(part).map_err(|source| Error::Pattern {
                    pattern: pattern.to_owned(),
                    source,
                })?;
                let mut next = Vec::new();
                for dir in &dirs {
                    let Ok(entries) = std::fs::read_dir(dir) else {
                        continue;
                    };
                    for entry in entries.flatten() {
                        let name = entry.file_name();
                        if entry.path().is_dir()
                            && name.to_str().is_some_and(|n| matcher.matches(n))
                        {
                            next.push(entry.path());
                        }
                    }
                }
                dirs = next;
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::Absolute(pattern.to_owned()));
            }
        }
    }
    Ok(dirs)
}

/// The member in the WIT directory (or `.wit` file) `dir`.
///
/// # Errors
/// A missing directory, WIT that does not parse.
pub fn member(dir: &Path) -> Result<Member, Error> {
    if !dir.exists() {
        return Err(Error::Missing(dir.display().to_string()));
    }
    if deps::is_wasm(dir) {
        return Err(Error::Wasm(dir.display().to_string()));
    }
    let group = deps::parse_wit(dir)?;
    let name = group.main.name.clone();
    let package = format!("{}:{}", name.namespace, name.name).parse()?;
    let uses = deps::foreign_deps(&group)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    Ok(Member {
        dir: dir.to_owned(),
        name,
        package,
        uses,
    })
}

fn has_wit(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "wit"))
    })
}

/// The members as local packages, for resolving any one of them.
pub fn locals(members: &[Member]) -> BTreeMap<PackageRef, PathBuf> {
    members
        .iter()
        .map(|m| (m.package.clone(), m.dir.clone()))
        .collect()
}
