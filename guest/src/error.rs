//! What the errors of every layer have in common: the [`Kind`] a caller of
//! the export sees (the cases of the WIT `error` variant, `wit/client.wit`),
//! and the renderings people read.
//!
//! Each layer has its own typed error (`oci::Error`, `packages::Error`,
//! `deps::Error`, ...) with a `kind()`; a layer's error wraps the one below
//! as its `source`, so the chain reads outermost first.

use std::error::Error;
use std::fmt::Write;

/// An error of a library that reports dynamic error chains (wit-parser,
/// wit-component, wasm-metadata), kept with its causes.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// What a failure means to the caller: the case of the WIT `error`
/// variant it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No such package, release or file.
    NotFound,
    /// The registry wants credentials, or refused the ones given.
    Unauthorized,
    /// A malformed argument: a package spec, a path, a config or WIT file.
    InvalidInput,
    /// Content that does not match its digest.
    DigestMismatch,
    /// The registry could not be reached, or broke the protocol.
    Network,
    /// Anything else: an I/O failure, a refused publish.
    Other,
}

/// The kind of a failed file operation: not-found when the file is
/// missing, else other.
pub fn io_kind(e: &std::io::Error) -> Kind {
    match e.kind() {
        std::io::ErrorKind::NotFound => Kind::NotFound,
        _ => Kind::Other,
    }
}

/// The messages of `e` and its causes, outermost first, each without a
/// WASI errno ([`wkg_core::error::without_errno`]).
fn messages(e: &(dyn Error + 'static)) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        out.push(wkg_core::error::without_errno(&e.to_string()));
        next = e.source();
    }
    out
}

/// `e` and its causes on one line, joined by `: ` (as `{:#}` of a
/// command's error).
pub fn one_line(e: &(dyn Error + 'static)) -> String {
    messages(e).join(": ")
}

/// `e` and its causes as a command's `{:?}` lays them out: the message, then
/// `Caused by:` and the causes (numbered when there are several).
pub fn render(e: &(dyn Error + 'static)) -> String {
    let mut chain = messages(e).into_iter();
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
