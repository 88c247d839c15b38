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
