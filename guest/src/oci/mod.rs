//! An OCI distribution client over wasi:http.
//!
//! Layers, from the bottom: [`crate::http`] moves bytes; [`transport`]
//! adds authentication (anonymous, Basic, Bearer tokens from a
//! `WWW-Authenticate` challenge), redirects and status-to-error mapping;
//! [`remote`] holds the registry operations of the distribution spec
//! (manifests, blobs, uploads, tags, referrers). [`credentials`] finds the
//! credential to start from. [`layout`] reads and writes the same content
//! in an OCI image layout on disk, and [`store`] is either of the two.

pub mod copy;
pub mod credentials;
pub mod layout;
pub mod remote;
pub mod store;
pub mod transport;

use http::{Method, StatusCode};
use wkg_core::digest::VerifyError;
use wkg_core::error::ErrorCode;

use crate::http::HttpError;

pub use store::{Attachment, Store};
pub use transport::Client;

/// An OCI registry operation that failed.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// 404, or an error envelope naming an unknown repository, manifest or blob.
    #[error("{what} not found{detail}")]
    NotFound { what: String, detail: String },
    /// 401 after every credential was tried.
    #[error("authentication to `{registry}` failed: {detail}")]
    Unauthorized { registry: String, detail: String },
    /// 403: authenticated, but not allowed.
    #[error("access denied by `{registry}`{detail}")]
    Denied { registry: String, detail: String },
    /// Any other unexpected status.
    #[error("{method} {url} failed with status {status}{detail}")]
    Status {
        method: Method,
        url: String,
        status: StatusCode,
        codes: Vec<ErrorCode>,
        detail: String,
    },
    /// Content that does not match its digest or size.
    #[error("{what}")]
    Verify {
        what: String,
        #[source]
        source: VerifyError,
    },
    /// A response that breaks the distribution protocol.
    #[error("{0}")]
    Protocol(String),
    /// An OCI image layout whose marker or index does not read, or that
    /// lacks what was asked for.
    #[error("OCI image layout `{dir}`")]
    Layout {
        dir: String,
        #[source]
        source: wkg_core::layout::LayoutError,
    },
    /// A local file could not be read or written.
    #[error("{action} `{path}`")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

crate::debug_as_message!(Error);

impl From<crate::io::FileError> for Error {
    fn from(e: crate::io::FileError) -> Error {
        Error::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

impl Error {
    /// Not-found, unauthorized (401 and 403), digest-mismatch, other for
    /// local files, network for the rest.
    pub fn kind(&self) -> crate::error::Kind {
        use crate::error::Kind;
        match self {
            Error::NotFound { .. } => Kind::NotFound,
            Error::Unauthorized { .. } | Error::Denied { .. } => Kind::Unauthorized,
            Error::Verify { .. } => Kind::DigestMismatch,
            Error::Io { .. } => Kind::Other,
            Error::Layout { source, .. } => match source {
                wkg_core::layout::LayoutError::UnknownTag { .. } => Kind::NotFound,
                _ => Kind::InvalidInput,
            },
            Error::Http(_) | Error::Status { .. } | Error::Protocol(_) => Kind::Network,
        }
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}
