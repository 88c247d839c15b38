//! Async writes to wasi output streams, and atomic files and trees.
//!
//! Files are written with `std::fs` instead: wasmtime's file output stream
//! has one 64 KiB write in flight at a time, which is slower than plain
//! `write` calls of a large buffer.

use std::path::{Path, PathBuf};

use wasip2::io::streams::{OutputStream, StreamError};
use wkg_core::speed::{SpeedFloor, TooSlow};
use wstd::runtime::AsyncPollable;

/// A transfer's pace against its low-speed floor ([`wkg_core::speed`]),
/// timed from when it began.
#[derive(Debug)]
pub struct Pace {
    floor: SpeedFloor,
    started: std::time::Instant,
}

impl Pace {
    /// The floor `WKG_HTTP_SPEED_LIMIT` and `WKG_HTTP_SPEED_TIME` ask for,
    /// from now; `None` when the limit is 0.
    pub fn from_env() -> Option<Pace> {
        let floor = SpeedFloor::from_settings(
            std::env::var("WKG_HTTP_SPEED_LIMIT").ok().as_deref(),
            std::env::var("WKG_HTTP_SPEED_TIME").ok().as_deref(),
        )?;
        Some(Pace {
            floor,
            started: std::time::Instant::now(),
        })
    }

    /// Counts `bytes` moved now (0 to only check the floor).
    ///
    /// # Errors
    /// [`TooSlow`] when the period that just ended stayed below the floor.
    pub fn moved(&mut self, bytes: u64) -> Result<(), TooSlow> {
        self.floor.record(bytes, self.started.elapsed())
    }
}

/// Why [`Output::write_all_paced`] stopped.
#[derive(Debug)]
pub enum WriteFailure {
    Stream(StreamError),
    TooSlow(TooSlow),
}

impl From<StreamError> for WriteFailure {
    fn from(e: StreamError) -> WriteFailure {
        WriteFailure::Stream(e)
    }
}

/// An output stream and its readiness pollable (dropped first).
pub struct Output {
    pollable: AsyncPollable,
    stream: OutputStream,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").finish_non_exhaustive()
    }
}

impl Output {
    pub fn new(stream: OutputStream) -> Output {
        Output {
            pollable: AsyncPollable::new(stream.subscribe()),
            stream,
        }
    }

    /// Writes all of `bytes`, waiting whenever the stream has no room.
    ///
    /// # Errors
    /// The stream's error: closed, or the last operation failed.
    pub async fn write_all(&self, bytes: &[u8]) -> Result<(), StreamError> {
        match self.write_all_paced(bytes, None).await {
            Ok(()) => Ok(()),
            Err(WriteFailure::Stream(e)) => Err(e),
            Err(WriteFailure::TooSlow(_)) => unreachable!("no pace, no floor"),
        }
    }

    /// Writes all of `bytes`, held to `pace` when given: each piece the
    /// stream takes is counted, and while the stream takes nothing the floor is checked
    /// every second, so a stream that stops taking bytes fails at the floor
    /// too.
    ///
    /// # Errors
    /// The stream's error, or [`WriteFailure::TooSlow`].
    pub async fn write_all_paced(
        &self,
        mut bytes: &[u8],
        mut pace: Option<&mut Pace>,
    ) -> Result<(), WriteFailure> {
        while !bytes.is_empty() {
            let ready = self.stream.check_write()?;
            if ready == 0 {
                match pace.as_deref_mut() {
                    None => self.pollable.wait_for().await,
                    Some(pace) => {
                        let ready = self.pollable.wait_for();
                        let tick = wstd::task::sleep(std::time::Duration::from_secs(1).into());
                        futures_util::future::select(std::pin::pin!(ready), std::pin::pin!(tick))
                            .await;
                        pace.moved(0).map_err(WriteFailure::TooSlow)?;
                    }
                }
                continue;
            }
            let n = usize::try_from(ready)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            self.stream.write(&bytes[..n])?;
            bytes = &bytes[n..];
            if let Some(pace) = pace.as_deref_mut() {
                pace.moved(n as u64).map_err(WriteFailure::TooSlow)?;
            }
        }
        Ok(())
    }

    /// Flushes and waits until everything written has been accepted.
    ///
    /// # Errors
    /// As [`Output::write_all`].
    pub async fn flush(&self) -> Result<(), StreamError> {
        self.stream.flush()?;
        loop {
            if self.stream.check_write()? > 0 {
                return Ok(());
            }
            self.pollable.wait_for().await;
        }
    }
}

/// An I/O error as the native OS would word it, without a WASI errno.
pub fn describe(e: &std::io::Error) -> String {
    wkg_core::error::without_errno(&e.to_string())
}

/// The names of the directories the runner preopened (`.`, absolute paths,
/// or whatever a `--dir HOST::GUEST` named them).
fn preopen_names() -> Vec<String> {
    wasip2::filesystem::preopens::get_directories()
        .into_iter()
        .map(|(_, name)| name)
        .collect()
}

/// Whether the preopen named `name` holds `path`, matching as wasi-libc
/// does (by whole leading components, after `..` is applied lexically): a
/// preopen named `.` holds every relative path that stays below it.
fn holds(name: &str, path: &Path) -> bool {
    use wkg_core::project::normalize_path;
    let name = normalize_path(Path::new(name));
    if name == Path::new(".") {
        return path.is_relative() && !path.starts_with("..");
    }
    path.starts_with(name)
}

/// Checks that the component can reach `path`, which the user gave for
/// `what` (a directory when `is_dir`): some preopened directory holds it.
/// Under `wasmtime run` only the `--dir` directories are there; the
/// native `wkg` preopens what the command line names.
///
/// # Errors
/// The path lies outside every preopened directory: the message names it
/// and the `--dir` argument that gives it.
pub fn check_reachable(path: &Path, what: &str, is_dir: bool) -> Result<(), Unreachable> {
    let normal = wkg_core::project::normalize_path(path);
    if preopen_names().iter().any(|name| holds(name, &normal)) {
        return Ok(());
    }
    let dir = if is_dir {
        path
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    Err(Unreachable {
        what: what.to_owned(),
        path: path.display().to_string(),
        dir: dir.display().to_string(),
    })
}

/// A path the user gave that no preopened directory holds
/// ([`check_reachable`]).
#[derive(thiserror::Error)]
#[error(
    "{what} `{path}` is outside the directories this component was given; \
     run it with `--dir {dir}` (wasmtime run), or use the native `wkg`, which gives \
     it the directories its arguments name"
)]
pub struct Unreachable {
    /// What the path is for (`output`, `WIT directory`, ...).
    pub what: String,
    pub path: String,
    /// The directory to preopen.
    pub dir: String,
}

crate::debug_as_message!(Unreachable);

/// How old a temporary file or directory of ours must be before a run takes
/// it for the leftover of a killed one and removes it: a live run renames
/// or removes its own within moments (a staged `deps` tree, a download), so
/// one this old belongs to a run that is gone. `WKG_LEFTOVER_AGE` (seconds)
/// sets it.
pub fn leftover_age() -> std::time::Duration {
    let seconds = std::env::var("WKG_LEFTOVER_AGE")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(15 * 60);
    std::time::Duration::from_secs(seconds)
}

/// Whether the entry at `path` was last changed at least `age` ago.
fn older_than(path: &Path, age: std::time::Duration) -> bool {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| std::time::SystemTime::now().duration_since(t).ok())
        .is_some_and(|elapsed| elapsed >= age)
}

fn is_hex16(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `name` is `.<stem>.<16 hex digits>.<suffix>`, a temporary name of ours
/// ([`temporary_beside`]).
fn is_temporary(name: &str, stem: &str, suffix: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(stem))
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(suffix))
        .and_then(|rest| rest.strip_suffix('.'))
        .is_some_and(is_hex16)
}

/// `name` is `.<stem>-<16 hex digits>.tmp`, a staged tree of versions
/// before [`temporary_beside`] named them.
fn is_legacy_staging(name: &str, stem: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(stem))
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(is_hex16)
}

/// The directory holding `path` (`.` for a bare name) and `path`'s file name.
fn parent_and_name(path: &Path) -> Option<(&Path, &str)> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent()?;
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    Some((parent, name))
}

/// Removes the file or tree at `path`. Best effort.
fn remove(path: &Path) {
    let _ = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

/// Removes what killed runs left beside `dest`: files and directories
/// named `.<file name of dest>.<16 hex>.<suffix>` ([`leftover_age`] old or
/// more). Best effort.
pub fn sweep_leftovers(dest: &Path, suffix: &str) {
    let Some((dir, stem)) = parent_and_name(dest) else {
        return;
    };
    let age = leftover_age();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| is_temporary(n, stem, suffix))
            && older_than(&path, age)
        {
            remove(&path);
        }
    }
}

/// Replaces the directory `dir` with `staged` (a complete tree beside it):
/// the old tree is moved aside (`.<name>.<hex>.old`), the new one moved in,
/// then the old one renamed `.<name>.<hex>.del` and removed. A kill between
/// the first two renames leaves the old tree aside, whole, which
/// [`repair_dir`] moves back; a kill while it is being removed leaves a
/// part of it under the `.del` name, which is never moved back. Callers
/// repair before they stage.
///
/// # Errors
/// A rename that fails; the old tree is then moved back.
pub fn replace_dir(dir: &Path, staged: &Path) -> std::io::Result<()> {
    let aside = temporary_beside(dir, "old");
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &aside)?;
    }
    if let Err(e) = std::fs::rename(staged, dir) {
        if had_old {
            let _ = std::fs::rename(&aside, dir);
        }
        return Err(e);
    }
    if had_old {
        let name = aside
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let trash = aside.with_file_name(format!("{}.del", name.trim_end_matches(".old")));
        let doomed = if std::fs::rename(&aside, &trash).is_ok() {
            trash
        } else {
            aside
        };
        let _ = std::fs::remove_dir_all(&doomed);
    }
    Ok(())
}

/// `.<file name of path>.<16 random hex>.<suffix>` beside `path`: the one
/// name of our temporary files and trees.
pub fn temporary_beside(path: &Path, suffix: &str) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{:016x}.{suffix}",
        wasip2::random::random::get_random_u64()
    ))
}

/// Undoes what runs killed inside [`replace_dir`] left, in one pass over
/// `dir`'s parent: when `dir` is missing and an old tree was moved aside,
/// the newest such tree is moved back; staged and old trees of dead runs
/// ([`leftover_age`]), and staged trees of earlier versions, are removed,
/// and trees half removed (`.del`) at once. Best effort.
pub fn repair_dir(dir: &Path) {
    let Some((parent, stem)) = parent_and_name(dir) else {
        return;
    };
    let mut aside = Vec::new();
    let mut stale = Vec::new();
    let mut trash = Vec::new();
    for entry in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if is_temporary(&name, stem, "old") {
            aside.push(entry);
        } else if is_temporary(&name, stem, "tmp") || is_legacy_staging(&name, stem) {
            stale.push(entry.path());
        } else if is_temporary(&name, stem, "del") {
            trash.push(entry.path());
        }
    }
    aside.sort_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
    if !dir.exists()
        && let Some(newest) = aside.pop()
    {
        let _ = std::fs::rename(newest.path(), dir);
    }
    let age = leftover_age();
    for path in stale.into_iter().chain(aside.iter().map(|e| e.path())) {
        if older_than(&path, age) {
            remove(&path);
        }
    }
    for path in trash {
        remove(&path);
    }
}

/// A local file that could not be created, opened, read or written.
#[derive(thiserror::Error)]
#[error("{action} `{path}`")]
pub struct FileError {
    pub action: &'static str,
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

crate::debug_as_message!(FileError);

impl FileError {
    pub fn new(action: &'static str, path: &Path, source: std::io::Error) -> FileError {
        FileError {
            action,
            path: path.display().to_string(),
            source,
        }
    }

    /// A closure for `map_err`: `action` on `path` failed.
    pub fn on(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> FileError {
        move |source| FileError::new(action, path, source)
    }

    /// Not-found when the file is missing, else other.
    pub fn kind(&self) -> crate::error::Kind {
        crate::error::io_kind(&self.source)
    }
}

/// A file beside its destination that is removed unless persisted.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates `.<name>.<random>.part` in `dest`'s directory.
    ///
    /// # Errors
    /// [`FileError`] when `dest` names no file, or its directory does not
    /// exist or is not writable.
    pub fn beside(dest: &Path) -> Result<TempFile, FileError> {
        if dest.file_name().is_none() {
            return Err(FileError::new(
                "writing",
                dest,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"),
            ));
        }
        // What killed runs left beside it goes first.
        sweep_leftovers(dest, "part");
        let path = temporary_beside(dest, "part");
        std::fs::File::create_new(&path).map_err(|e| FileError::new("creating", &path, e))?;
        Ok(TempFile { path, armed: true })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file, opened for writing.
    ///
    /// # Errors
    /// [`FileError`].
    pub fn file(&self) -> Result<std::fs::File, FileError> {
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&self.path)
            .map_err(|e| FileError::new("opening", &self.path, e))
    }

    /// Renames the file to `dest`.
    ///
    /// # Errors
    /// [`FileError`]; the temporary file is removed.
    pub fn persist(mut self, dest: &Path) -> Result<(), FileError> {
        std::fs::rename(&self.path, dest).map_err(|e| FileError::new("writing", dest, e))?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run killed while removing the old tree, then the next one killed
    /// between its two renames: `deps` is missing, beside it the whole old
    /// tree and what is left of the one before. The whole one comes back.
    #[test]
    fn a_tree_half_removed_is_never_moved_back() {
        let parent = std::env::temp_dir().join(format!("wkg-repair-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&parent);
        let deps = parent.join("deps");
        let whole = parent.join(".deps.00000000000000aa.old");
        let half = parent.join(".deps.00000000000000bb.del");
        for (tree, files) in [(&whole, &["a.wit", "b.wit"][..]), (&half, &["a.wit"][..])] {
            std::fs::create_dir_all(tree).unwrap();
            for file in files {
                std::fs::write(tree.join(file), "package a:b;").unwrap();
            }
        }
        repair_dir(&deps);
        let mut restored: Vec<String> = std::fs::read_dir(&deps)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        restored.sort();
        assert_eq!(restored, ["a.wit", "b.wit"]);
        assert!(!half.exists() && !whole.exists());
        std::fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn a_preopen_holds_the_paths_below_it_by_whole_components() {
        let cases = [
            (".", "wit", true),
            (".", "wit/../deps", true),
            (".", "../outside", false),
            (".", "/abs", false),
            ("/work", "/work/app/wit", true),
            ("/work", "/workspace/wit", false),
            ("/work/app", "/work/app/../other", false),
            ("./sub", "sub/file", true),
        ];
        for (preopen, path, held) in cases {
            let path = wkg_core::project::normalize_path(Path::new(path));
            assert_eq!(
                holds(preopen, &path),
                held,
                "{preopen} holds {}",
                path.display()
            );
        }
    }
}
