//! Async writes to wasi output streams, and hashing a file.
//!
//! Files are written with `std::fs` instead: wasmtime's file output stream
//! has one 64 KiB write in flight at a time, which is slower than plain
//! `write` calls of a large buffer.

use std::io::Read;
use std::path::Path;

use wasip2::io::streams::{OutputStream, StreamError};
use wkg_core::digest::{Digest, Verifier};
use wstd::runtime::AsyncPollable;

/// The sha256 digest and size of the file at `path`, hashed here.
///
/// # Errors
/// The file cannot be opened or read.
pub fn sha256_file(path: &Path) -> std::io::Result<(Digest, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut verifier = Verifier::new();
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(verifier.finish()),
            Ok(n) => verifier.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
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
    pub async fn write_all(&self, mut bytes: &[u8]) -> Result<(), StreamError> {
        while !bytes.is_empty() {
            let ready = self.stream.check_write()?;
            if ready == 0 {
                self.pollable.wait_for().await;
                continue;
            }
            let n = usize::try_from(ready)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            self.stream.write(&bytes[..n])?;
            bytes = &bytes[n..];
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

/// An error and its causes in anyhow's `{:?}` layout (`msg`, then
/// `Caused by:` and the numbered causes), each message without a WASI
/// errno ([`wkg_core::error::without_errno`]).
pub fn render_error(e: &anyhow::Error) -> String {
    use std::fmt::Write;
    let mut chain = e
        .chain()
        .map(|c| wkg_core::error::without_errno(&c.to_string()));
    let mut out = chain.next().unwrap_or_default();
    let causes: Vec<String> = chain.collect();
    if !causes.is_empty() {
        out.push_str("\n\nCaused by:");
        let numbered = causes.len() > 1;
        for (n, cause) in causes.iter().enumerate() {
            out.push('\n');
            let indent = if numbered {
                let _ = write!(out, "{n:>5}: ");
                "       "
            } else {
                out.push_str("    ");
                "    "
            };
            out.push_str(&cause.replace('\n', &format!("\n{indent}")));
        }
    }
    out
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
pub fn check_reachable(path: &Path, what: &str, is_dir: bool) -> anyhow::Result<()> {
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
    anyhow::bail!(
        "{what} `{}` is outside the directories this component was given; \
         run it with `--dir {}` (wasmtime run), or use the native `wkg`, which gives \
         it the directories its arguments name",
        path.display(),
        dir.display()
    )
}
