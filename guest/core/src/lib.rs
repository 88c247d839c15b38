//! Sans-I/O core of a `wkg`-compatible package tool and OCI distribution
//! client.
//!
//! Everything here is pure: parsing, validation, serialization and URL
//! building for package names, `config.toml`, registry metadata, the OCI
//! distribution API and the wasm OCI artifact layout.
//! No files, network, environment or clock are touched, so the crate
//! builds for native targets and `wasm32-wasip2` alike; the caller
//! performs the HTTP requests and feeds the responses back in.
//!
//! Layers, one module each:
//!
//! * [`package`]: labels, `ns:name` package refs, `ns:name@version` specs
//!   and registry names.
//! * [`publish`]: the semver series check and the annotations of a publish.
//! * [`config`]: `config.toml` parsing, writing and merging, registry
//!   resolution, config and cache paths.
//! * [`project`]: the `wkg.toml` project manifest, with its `[config]`
//!   table.
//! * [`lock`]: the `wkg.lock` lock file, read strictly and written as wkg
//!   writes it.
//! * [`resolve`]: dependency resolution: requirements from `[overrides]`,
//!   workspace members and WIT, lock reuse, version choice, digest checks.
//! * [`metadata`]: the well-known `registry.json` and package → OCI
//!   repository mapping.
//! * [`digest`]: content digests and streaming verification.
//! * [`reference`](mod@reference): `[registry/]repository[:tag][@digest]` references.
//! * [`manifest`]: image manifests and the wasm artifact config.
//! * [`auth`]: challenges, token requests, Basic credentials, Docker
//!   `config.json`.
//! * [`urls`]: distribution API endpoint URLs, `Location` resolution,
//!   redaction.
//! * [`tags`]: tag lists and `Link` pagination.
//! * [`error`]: the registry error envelope and body excerpts.
//!
//! ```
//! use wkg_core::reference::Reference;
//! use wkg_core::urls::{RegistryUrls, Scheme};
//!
//! let reference: Reference = "ghcr.io/webassembly/wasi/http:0.2.1".parse()?;
//! let urls = RegistryUrls::new(Scheme::Https, reference.api_host());
//! assert_eq!(
//!     urls.manifest(reference.repository(), &reference.target()),
//!     "https://ghcr.io/v2/webassembly/wasi/http/manifests/0.2.1",
//! );
//!
//! let hub: Reference = "busybox".parse()?;
//! assert_eq!(hub.to_string(), "docker.io/library/busybox:latest");
//! assert_eq!(hub.api_host(), "index.docker.io");
//! # Ok::<(), wkg_core::reference::ReferenceError>(())
//! ```

pub mod auth;
pub mod cache;
pub mod config;
pub mod digest;
pub mod error;
pub mod index;
mod json;
pub mod layout;
pub mod lock;
pub mod manifest;
pub mod metadata;
pub mod package;
pub mod paths;
pub mod project;
pub mod publish;
pub mod reference;
pub mod referrers;
pub mod resolve;
pub mod retry;
pub mod sigstore;
pub mod speed;
pub mod tags;
pub mod urls;

pub use digest::Digest;
pub use reference::Reference;
