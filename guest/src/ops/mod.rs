//! The operations the commands and the `wasm-pkg:client/registry` export
//! both run, on plain values (paths, package refs, [`Settings`]): fetching
//! and updating a project's dependencies, building and publishing
//! packages, finding releases. Nothing here knows the command line; the commands print the
//! outcomes.
//!
//! [`Settings`]: crate::settings::Settings

pub mod mirror;
pub mod project;
pub mod publish;
pub mod release;

use crate::error::{BoxError, Kind};

/// Why an operation failed: the error of the layer that failed, or the
/// operation's own refusal; [`Error::kind`] is the WIT `error` case.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] crate::settings::Error),
    #[error(transparent)]
    Source(#[from] crate::packages::Error),
    #[error(transparent)]
    Oci(#[from] crate::oci::Error),
    #[error(transparent)]
    Deps(#[from] crate::deps::Error),
    #[error(transparent)]
    Wit(#[from] crate::deps::WitError),
    #[error(transparent)]
    Workspace(#[from] crate::workspace::Error),
    #[error(transparent)]
    Semver(#[from] crate::wit::Error),
    #[error(transparent)]
    Inspect(#[from] crate::component::InspectError),
    #[error(transparent)]
    Created(#[from] crate::artifact::CreatedError),
    #[error(transparent)]
    File(#[from] crate::io::FileError),
    #[error(transparent)]
    Plan(#[from] wkg_core::publish::PlanError),
    /// wit-component or wasm-metadata refused the package.
    #[error("{what}")]
    Encode {
        what: String,
        #[source]
        source: BoxError,
    },
    /// A directory or file the operation needs is not there.
    #[error("{0}")]
    NotFound(String),
    /// An argument or project the operation cannot work with.
    #[error("{0}")]
    Invalid(String),
    /// A refusal to overwrite or change what exists (`--locked`, an
    /// existing release).
    #[error("{0}")]
    Refused(String),
    /// What the operation was doing when `source` failed.
    #[error("{what}")]
    Context {
        what: String,
        #[source]
        source: Box<Error>,
    },
}

crate::debug_as_message!(Error);

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::Settings(e) => e.kind(),
            Error::Source(e) => e.kind(),
            Error::Oci(e) => e.kind(),
            Error::Deps(e) => e.kind(),
            Error::Wit(e) => e.kind(),
            Error::Workspace(e) => e.kind(),
            Error::Semver(e) => e.kind(),
            Error::File(e) => e.kind(),
            Error::Context { source, .. } => source.kind(),
            Error::Inspect(crate::component::InspectError::Io { source, .. }) => {
                crate::error::io_kind(source)
            }
            Error::Inspect(_)
            | Error::Created(_)
            | Error::Plan(_)
            | Error::Encode { .. }
            | Error::Invalid(_) => Kind::InvalidInput,
            Error::NotFound(_) => Kind::NotFound,
            Error::Refused(_) => Kind::Other,
        }
    }
}

/// `.context(what)` for the operations' results.
pub trait Context<T> {
    /// Wraps the error with what was being done.
    ///
    /// # Errors
    /// [`Error::Context`] around the error.
    fn context(self, what: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T, E: Into<Error>> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::Context {
            what: what(),
            source: Box::new(e.into()),
        })
    }
}
