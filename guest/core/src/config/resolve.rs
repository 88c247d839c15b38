//! Registry resolution for a package (reference behaviour §2.3 steps 1, 3
//! and 4; checklist items 14–16, 21, 25 and 27), split in two pure steps
//! around the one piece of I/O, the well-known metadata fetch:
//!
//! 1. [`Config::resolve`] picks the registry, any inline metadata, and the
//!    backend when the config decides it.
//! 2. If [`Resolution::needs_metadata`], the caller fetches
//!    [`well_known_url`](crate::metadata::well_known_url) (a 404 or any
//!    failure means [`RegistryMetadata::default`]) and calls
//!    [`Resolution::with_metadata`], which finishes the backend choice.

use super::{Config, RegistryMapping};
use crate::metadata::{
    LAYOUT_PROTOCOL, LOCAL_PROTOCOL, OCI_PROTOCOL, OciLocation, RegistryMetadata,
};
use crate::package::{Label, PackageRef, Registry};

/// The backend that serves a package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An OCI registry; the location comes from the metadata
    /// ([`Resolution::oci_location`]).
    Oci,
    /// A filesystem registry rooted at `root` (`[registry.X.local]`).
    Local {
        /// The `local.root` directory.
        root: String,
    },
    /// OCI image layouts, one per repository, under `root`
    /// (`[registry.X.oci-layout]`); repositories are named as in an OCI
    /// registry ([`Resolution::oci_location`]).
    Layout {
        /// The `oci-layout.root` directory.
        root: String,
    },
    /// The config does not choose: the registry metadata's preferred
    /// protocol will ([`Resolution::with_metadata`]).
    FromMetadata,
}

/// The outcome of [`Config::resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    registry: Registry,
    metadata: Option<RegistryMetadata>,
    backend: Backend,
}

/// Why no usable registry or backend was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// Nothing maps the namespace and there is no default registry.
    #[error("no registry configured for namespace \"{namespace}\"")]
    NoRegistry {
        /// The package's namespace.
        namespace: Label,
    },
    /// The config or the metadata names a backend other than `oci` and
    /// `local` (for example `warg`, removed in wkg 0.16.0).
    #[error("{}", unknown_backend(registry, backend))]
    UnknownBackend {
        /// The registry.
        registry: Registry,
        /// The backend name.
        backend: String,
    },
    /// Registry metadata asks for the `local` (or `oci-layout`) backend,
    /// which only the config may select.
    #[error("registry metadata with '{protocol}' protocol not allowed (registry `{registry}`)")]
    LocalFromMetadata {
        /// The registry.
        registry: Registry,
        /// `local` or `oci-layout`.
        protocol: &'static str,
    },
    /// The `local` (or `oci-layout`) backend is selected without its
    /// table's `root`.
    #[error("registry `{registry}` uses the `{backend}` backend but has no `{backend}.root`")]
    MissingLocalRoot {
        /// The registry.
        registry: Registry,
        /// `local` or `oci-layout`.
        backend: &'static str,
    },
}

/// The message of [`ResolveError::UnknownBackend`]: for `warg`, that wkg
/// dropped it and how to map the namespace to an OCI registry instead.
fn unknown_backend(registry: &Registry, backend: &str) -> String {
    if backend == "warg" {
        format!(
            "registry `{registry}` is a warg registry, and warg is not supported \
             (it was removed from wkg in 0.16.0); map the namespace to an OCI registry in \
             config.toml, for example `[namespace_registries]` \
             `<namespace> = {{ registry = \"{registry}\", metadata = {{ preferredProtocol = \"oci\", \
             \"oci\" = {{ registry = \"ghcr.io\", namespacePrefix = \"<org>/\" }} }} }}`"
        )
    } else {
        format!("unknown backend type \"{backend}\" for registry `{registry}`")
    }
}

/// The backend the metadata asks for: its preferred protocol, else `oci`;
/// `local` is refused. A document that prefers `warg` but also configures
/// `oci` (the wasm-pkg-tools README's example) gets `oci`: wkg 0.16 has no
/// warg and refuses it.
fn backend_from_metadata(
    registry: &Registry,
    metadata: &RegistryMetadata,
) -> Result<Backend, ResolveError> {
    match metadata.preferred_protocol() {
        None | Some(OCI_PROTOCOL) => Ok(Backend::Oci),
        Some("warg") if metadata.configured_protocols().contains(&OCI_PROTOCOL) => Ok(Backend::Oci),
        Some(protocol @ (LOCAL_PROTOCOL | LAYOUT_PROTOCOL)) => {
            Err(ResolveError::LocalFromMetadata {
                registry: registry.clone(),
                protocol: if protocol == LOCAL_PROTOCOL {
                    LOCAL_PROTOCOL
                } else {
                    LAYOUT_PROTOCOL
                },
            })
        }
        Some(other) => Err(ResolveError::UnknownBackend {
            registry: registry.clone(),
            backend: other.to_owned(),
        }),
    }
}

impl Config {
    /// Where `package` comes from.
    ///
    /// **Registry**, first match wins: `registry_override` (`--registry`),
    /// `package_registry_overrides`, `namespace_registries`,
    /// `default_registry`, then, only if `use_fallbacks`, the built-in
    /// [`Config::fallbacks`]. Else [`ResolveError::NoRegistry`].
    ///
    /// * Quirk kept from wkg: `default_registry` beats the fallbacks, so
    ///   setting a default registry re-routes `wasi:*` away from wasi.dev.
    /// * Quirk kept from wkg, as a flag: wkg applies the fallbacks to the
    ///   global config but not to a `--config`/`WKG_CONFIG_FILE` file, with
    ///   which `wasi:http` fails with `no registry configured for namespace
    ///   "wasi"`. Pass `use_fallbacks = false` for a `--config` file.
    ///
    /// **Metadata**: the inline metadata of the package override, else of
    /// the namespace mapping, but only from a `{ registry, metadata }`
    /// mapping whose registry is the chosen one. wkg takes the package
    /// override's inline metadata even when `--registry` chose another
    /// registry, and the namespace mapping's even when a package override
    /// or `wkg get --registry` chose another registry (so packages went to
    /// the other registry's OCI host); that is fixed here.
    ///
    /// **Backend**: `default`/`type` of `[registry.<name>]`, or its only
    /// backend table; else the metadata's preferred protocol when the
    /// metadata is inline; else [`Backend::FromMetadata`]. `local` needs a
    /// `local` table, `oci-layout` an `oci-layout` table with a `root`;
    /// anything but `oci`, `local` and `oci-layout` is
    /// [`ResolveError::UnknownBackend`].
    pub fn resolve(
        &self,
        package: &PackageRef,
        registry_override: Option<&Registry>,
        use_fallbacks: bool,
    ) -> Result<Resolution, ResolveError> {
        let by_package = self.package_registry_overrides.get(package);
        let by_namespace = self.namespace_registries.get(package.namespace());
        let registry = registry_override
            .or(by_package.map(RegistryMapping::registry))
            .or(by_namespace.map(RegistryMapping::registry))
            .or(self.default_registry.as_ref())
            .cloned()
            .or_else(|| {
                use_fallbacks
                    .then(|| Config::fallbacks().remove(package.namespace()))
                    .flatten()
            })
            .ok_or_else(|| ResolveError::NoRegistry {
                namespace: package.namespace().clone(),
            })?;

        let metadata = [by_package, by_namespace]
            .into_iter()
            .flatten()
            .find_map(|mapping| match mapping {
                RegistryMapping::Custom(custom) if custom.registry == registry => {
                    Some(custom.metadata.clone())
                }
                _ => None,
            });

        let config = self.registries.get(&registry);
        let backend = match config.and_then(|c| c.default_backend()) {
            Some(OCI_PROTOCOL) => Backend::Oci,
            Some(LOCAL_PROTOCOL) => match config.and_then(|c| c.local()) {
                Some(local) => Backend::Local {
                    root: local.root.clone(),
                },
                None => {
                    return Err(ResolveError::MissingLocalRoot {
                        registry,
                        backend: LOCAL_PROTOCOL,
                    });
                }
            },
            Some(LAYOUT_PROTOCOL) => match config.and_then(|c| c.layout_root()) {
                Some(root) => Backend::Layout { root: root.into() },
                None => {
                    return Err(ResolveError::MissingLocalRoot {
                        registry,
                        backend: LAYOUT_PROTOCOL,
                    });
                }
            },
            Some(other) => {
                return Err(ResolveError::UnknownBackend {
                    backend: other.to_owned(),
                    registry,
                });
            }
            None => match &metadata {
                Some(metadata) => backend_from_metadata(&registry, metadata)?,
                None => Backend::FromMetadata,
            },
        };
        Ok(Resolution {
            registry,
            metadata,
            backend,
        })
    }
}

impl Resolution {
    /// The registry name (the key of `[registry."…"]` and of `wkg.lock`).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The metadata: inline from the config, or supplied by
    /// [`Resolution::with_metadata`].
    pub fn metadata(&self) -> Option<&RegistryMetadata> {
        self.metadata.as_ref()
    }

    /// The backend; [`Backend::FromMetadata`] until the metadata is known.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Whether the caller must fetch the registry's well-known metadata:
    /// there is no inline metadata and the backend is not `local` or
    /// `oci-layout` (files make no network call).
    pub fn needs_metadata(&self) -> bool {
        self.metadata.is_none()
            && !matches!(self.backend, Backend::Local { .. } | Backend::Layout { .. })
    }

    /// Finish with the fetched metadata (use [`RegistryMetadata::default`]
    /// after a 404 or a failed fetch). An undecided backend becomes the
    /// metadata's preferred protocol, else `oci`; `local` and unknown
    /// protocols are errors. When the resolution already has metadata
    /// (inline from the config), that metadata is kept and `metadata` is
    /// ignored.
    pub fn with_metadata(self, metadata: RegistryMetadata) -> Result<Resolution, ResolveError> {
        if self.metadata.is_some() {
            return Ok(self);
        }
        let backend = match self.backend {
            Backend::FromMetadata => backend_from_metadata(&self.registry, &metadata)?,
            decided => decided,
        };
        Ok(Resolution {
            registry: self.registry,
            metadata: Some(metadata),
            backend,
        })
    }

    /// The OCI location from the metadata (default when there is none):
    /// feed it to [`oci_repository`](crate::metadata::oci_repository).
    pub fn oci_location(&self) -> OciLocation {
        self.metadata
            .as_ref()
            .map(RegistryMetadata::oci)
            .unwrap_or_default()
    }
}
