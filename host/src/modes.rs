//! Keeps the permissions of the user's files across a run.
//!
//! The component rewrites `config.toml`, `wkg.lock` and `wkg.toml` through a
//! temporary file renamed over the old one, so a kill never leaves half a
//! file. wasi:filesystem has no permissions, though: the new file gets the
//! default mode (`0644` under a `022` umask), and a `0600` config holding a
//! password would become readable by all. So the native `wkg` notes each
//! file's mode before the run and puts it back afterwards; a config file the
//! run created gets `0600`, as docker does for its `config.json`. Under a
//! stock `wasmtime run` nobody does this (see the README).

use std::fs::Permissions;
use std::path::PathBuf;

/// The files of a run and their modes before it.
#[derive(Debug, Default)]
pub struct Kept {
    /// The file, whether it may hold credentials, and its permissions
    /// (`None`: it did not exist).
    files: Vec<(PathBuf, bool, Option<Permissions>)>,
}

impl Kept {
    /// Notes the permissions of `files` (each with whether it may hold
    /// credentials).
    pub fn before(files: Vec<(PathBuf, bool)>) -> Kept {
        let files = files
            .into_iter()
            .map(|(path, secret)| {
                let mode = std::fs::metadata(&path).ok().map(|m| m.permissions());
                (path, secret, mode)
            })
            .collect();
        Kept { files }
    }

    /// Puts back the noted permissions of files the run replaced; gives a
    /// credentials file the run created `0600`. Best effort: a file that
    /// cannot be changed keeps what it has.
    pub fn restore(&self) {
        for (path, secret, before) in &self.files {
            let Ok(now) = std::fs::metadata(path) else {
                continue;
            };
            let wanted = match before {
                Some(before) => before.clone(),
                None if *secret => owner_only(now.permissions()),
                None => continue,
            };
            if now.permissions() != wanted {
                let _ = std::fs::set_permissions(path, wanted);
            }
        }
    }
}

#[cfg(unix)]
fn owner_only(_: Permissions) -> Permissions {
    use std::os::unix::fs::PermissionsExt;
    Permissions::from_mode(0o600)
}

#[cfg(not(unix))]
fn owner_only(now: Permissions) -> Permissions {
    now
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let kept_file = dir.path().join("config.toml");
        std::fs::write(&kept_file, "old").unwrap();
        std::fs::set_permissions(&kept_file, Permissions::from_mode(0o600)).unwrap();
        let created = dir.path().join("new.toml");
        let lock = dir.path().join("wkg.lock");
        let kept = Kept::before(vec![
            (kept_file.clone(), true),
            (created.clone(), true),
            (lock.clone(), false),
        ]);
        // What a rewrite through a renamed temporary file leaves.
        let temp = dir.path().join(".tmp");
        std::fs::write(&temp, "new").unwrap();
        std::fs::set_permissions(&temp, Permissions::from_mode(0o644)).unwrap();
        std::fs::rename(&temp, &kept_file).unwrap();
        std::fs::write(&created, "x").unwrap();
        std::fs::set_permissions(&created, Permissions::from_mode(0o644)).unwrap();
        std::fs::write(&lock, "x").unwrap();
        std::fs::set_permissions(&lock, Permissions::from_mode(0o644)).unwrap();
        kept.restore();
        let mode = |p: &PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&kept_file), 0o600);
        assert_eq!(mode(&created), 0o600);
        // A lock the run created keeps the default mode.
        assert_eq!(mode(&lock), 0o644);
    }
}
