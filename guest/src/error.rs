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

/// `Debug` for error types as their message and causes on one line.
///
/// Errors are printed, never inspected, and a derived `Debug` of every
/// field (wit-parser's names, OCI descriptors, ...) costs the component
/// tens of kilobytes of formatting code.
#[macro_export]
macro_rules! debug_as_message {
    ($($error:ty),* $(,)?) => {$(
        impl ::std::fmt::Debug for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::error::one_line(self))
            }
        }
    )*};
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
/// WASI errno ([`wkg_core::error::without_errno`]). A cause that only
/// repeats the first line of the message before it is left out: wit-parser
/// wraps each error in its own rendering (message, then `--> file:line:col`
/// and the snippet).
fn messages(e: &(dyn Error + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let message = wkg_core::error::without_errno(&e.to_string());
        let repeats = out.last().is_some_and(|last| {
            last.strip_prefix(message.as_str())
                .is_some_and(|rest| rest.starts_with('\n'))
        });
        if !repeats {
            out.push(message);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("{what}")]
    struct Layer {
        what: &'static str,
        #[source]
        source: Option<Box<Layer>>,
    }

    fn chain(messages: &[&'static str]) -> Layer {
        let mut source = None;
        for what in messages.iter().rev() {
            source = Some(Box::new(Layer { what, source }));
        }
        *source.expect("one message at least")
    }

    #[test]
    fn one_line_joins_the_chain_outermost_first() {
        let cases: &[(&[&str], &str)] = &[
            (&["alone"], "alone"),
            (&["writing `x`", "denied"], "writing `x`: denied"),
            (&["a", "b", "c"], "a: b: c"),
            (
                &["reading `x`", "No such file or directory (os error 44)"],
                "reading `x`: No such file or directory",
            ),
        ];
        for (messages, expected) in cases {
            assert_eq!(one_line(&chain(messages)), *expected, "{messages:?}");
        }
    }

    #[test]
    fn render_lays_causes_out_as_commands_print_them() {
        assert_eq!(render(&chain(&["alone"])), "alone");
        assert_eq!(
            render(&chain(&["writing `x`", "denied"])),
            "writing `x`\n\nCaused by:\n    denied"
        );
        assert_eq!(
            render(&chain(&["a", "b", "two\nlines"])),
            "a\n\nCaused by:\n    0: b\n    1: two\n       lines"
        );
        // wit-parser's rendering, then the same message as its cause.
        assert_eq!(
            render(&chain(&["bad\n --> a.wit:1:1", "bad"])),
            "bad\n --> a.wit:1:1"
        );
        assert_eq!(one_line(&chain(&["bad", "bad"])), "bad: bad");
    }

    #[test]
    fn a_missing_file_is_not_found_and_any_other_failure_is_other() {
        use std::io::{Error, ErrorKind};
        assert_eq!(io_kind(&Error::from(ErrorKind::NotFound)), Kind::NotFound);
        assert_eq!(
            io_kind(&Error::from(ErrorKind::PermissionDenied)),
            Kind::Other
        );
        assert_eq!(io_kind(&Error::other("full")), Kind::Other);
    }
}
