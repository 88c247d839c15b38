//! The semver compatibility check of two releases of a package
//! (wkg-behaviour §4.7), through wit-component and wasmparser.

use std::collections::HashMap;

use wasmparser::component_types::{ComponentAnyTypeId, ComponentEntityType, SubtypeCx};
use wit_component::DecodedWasm;
use wit_parser::WorldId;
use wkg_core::package::Version;

use crate::error::BoxError;

/// Why two releases fail the semver check, or cannot be checked.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are neither a component nor a WIT package.
    #[error("decoding version {version}")]
    Decode {
        version: Version,
        #[source]
        source: BoxError,
    },
    /// A component whose world belongs to no package.
    #[error("the component's world has no package")]
    NoPackage,
    /// The release could not be encoded for the check.
    #[error("encoding version {version} for the semver check")]
    Encode {
        version: Version,
        #[source]
        source: BoxError,
    },
    /// A world of the older release is not in the newer one.
    #[error("world `{0}` was removed")]
    Removed(String),
    /// The encoded pair does not validate.
    #[error("validating the two releases' WIT")]
    Validate(#[source] wasmparser::BinaryReaderError),
    /// The encoded package lacks a world it should have (a bug).
    #[error("world `{0}` is missing from the encoded package")]
    Missing(String),
    /// The encoded world has no component type (a bug).
    #[error("world `{0}` has no component type")]
    NoComponentType(String),
    /// A world of the newer release cannot stand in for the older one's.
    #[error("world `{world}` changed incompatibly")]
    Incompatible {
        world: String,
        #[source]
        reason: Reason,
    },
}

crate::debug_as_message!(Error);

/// wasmparser's reason a world is not a subtype of the other.
#[derive(thiserror::Error)]
#[error("{0}")]
pub struct Reason(String);

crate::debug_as_message!(Reason);

impl Error {
    pub fn kind(&self) -> crate::error::Kind {
        crate::error::Kind::InvalidInput
    }
}

/// A release decoded for the semver check.
pub struct Release {
    pub version: Version,
    decoded: DecodedWasm,
}

impl std::fmt::Debug for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Release")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Release {
    /// Decodes `bytes`, a component or a WIT package.
    ///
    /// # Errors
    /// Bytes that are neither.
    pub fn decode(version: Version, bytes: &[u8]) -> Result<Release, Error> {
        match wit_component::decode(bytes) {
            Ok(decoded) => Ok(Release { version, decoded }),
            Err(e) => Err(Error::Decode {
                version,
                source: e.into(),
            }),
        }
    }

    /// The release as a binary WIT package with every version removed; a
    /// component's world goes in the package wit-component decoded it into.
    fn unversioned_package(&self) -> Result<Vec<u8>, Error> {
        let mut resolve = self.decoded.resolve().clone();
        let package = match &self.decoded {
            DecodedWasm::WitPackage(_, package) => *package,
            DecodedWasm::Component(_, world) => {
                resolve.worlds[*world].package.ok_or(Error::NoPackage)?
            }
        };
        for (_, p) in resolve.packages.iter_mut() {
            p.name.version = None;
        }
        wit_component::encode(&resolve, package, false).map_err(|e| Error::Encode {
            version: self.version.clone(),
            source: e.into(),
        })
    }

    /// The worlds to compare, by name: each world of a WIT package, or the
    /// world of a component.
    fn worlds(&self) -> HashMap<&str, WorldId> {
        let resolve = self.decoded.resolve();
        match &self.decoded {
            DecodedWasm::Component(_, world) => {
                HashMap::from([(resolve.worlds[*world].name.as_str(), *world)])
            }
            DecodedWasm::WitPackage(_, package) => resolve.packages[*package]
                .worlds
                .iter()
                .map(|(name, id)| (name.as_str(), *id))
                .collect(),
        }
    }
}

/// Checks that `newer` only adds to `older` (two releases of one semver
/// series): every world of `older` is still there, and a component of each
/// of `newer`'s worlds could stand in for one of `older`'s.
///
/// This is the check of wit-component's `semver_check`, done without the
/// text-format parser that function links in (2.3 MB of the component):
/// both releases are encoded as WIT packages with versions removed (so
/// names line up, as there), nested in one component, and wasmparser's
/// component subtyping compares each pair of world types.
///
/// # Errors
/// The world that was removed or changed incompatibly, with wasmparser's
/// reason as the cause.
pub fn semver_check(older: &Release, newer: &Release) -> Result<(), Error> {
    let older_worlds = older.worlds();
    let newer_worlds = newer.worlds();
    if let Some(name) = older_worlds.keys().find(|n| !newer_worlds.contains_key(*n)) {
        return Err(Error::Removed(name.to_string()));
    }
    let mut root = wasm_encoder::Component::new();
    for release in [older, newer] {
        let bytes = release.unversioned_package()?;
        root.section(&wasm_encoder::RawSection {
            id: wasm_encoder::ComponentSectionId::Component as u8,
            data: &bytes,
        });
    }
    let types = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&root.finish())
        .map_err(Error::Validate)?;
    let types = types.as_ref();
    let world_type = |index: u32, name: &str| -> Result<ComponentEntityType, Error> {
        let package = &types[types.component_at(index)];
        let wrapper = match package.exports.get(name).map(|item| &item.ty) {
            Some(ComponentEntityType::Type {
                referenced: ComponentAnyTypeId::Component(id),
                ..
            }) => &types[*id],
            _ => return Err(Error::Missing(name.to_owned())),
        };
        let Some((_, item)) = wrapper.exports.iter().next() else {
            return Err(Error::NoComponentType(name.to_owned()));
        };
        Ok(item.ty)
    };
    for name in older_worlds.keys() {
        let (old, new) = (world_type(0, name)?, world_type(1, name)?);
        let mut cx = SubtypeCx::new_with_refs(types, types);
        cx.component_entity_type(&new, &old, 0)
            .map_err(|e| Error::Incompatible {
                world: name.to_string(),
                reason: Reason(e.message().to_owned()),
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use wit_parser::{Resolve, UnresolvedPackageGroup};

    use super::*;

    /// A release of the WIT package `wit` (its own version).
    fn release(version: &str, wit: &str) -> Release {
        let group = UnresolvedPackageGroup::parse("test.wit", wit).unwrap_or_else(|(map, e)| {
            panic!("{}", e.render(&map));
        });
        let mut resolve = Resolve::new();
        let package = resolve.push_group(group).expect("WIT resolves");
        let bytes = wit_component::encode(&resolve, package, false).expect("encodes");
        Release::decode(version.parse().unwrap(), &bytes).expect("decodes")
    }

    fn v1(body: &str) -> Release {
        release("1.0.0", &format!("package test:pkg@1.0.0; {body}"))
    }

    fn v1_1(body: &str) -> Release {
        release("1.1.0", &format!("package test:pkg@1.1.0; {body}"))
    }

    #[test]
    fn the_same_worlds_are_compatible() {
        let body = "interface api { f: func() -> u32; } world w { export api; }";
        semver_check(&v1(body), &v1_1(body)).expect("compatible");
    }

    #[test]
    fn a_new_world_is_compatible() {
        let old = "interface api { f: func(); } world w { export api; }";
        let new =
            "interface api { f: func(); } world w { export api; } world extra { import api; }";
        semver_check(&v1(old), &v1_1(new)).expect("compatible");
    }

    #[test]
    fn a_removed_world_is_named() {
        let old = "interface api { f: func(); } world w { export api; } world gone { import api; }";
        let new = "interface api { f: func(); } world w { export api; }";
        let e = semver_check(&v1(old), &v1_1(new)).expect_err("incompatible");
        assert!(matches!(&e, Error::Removed(name) if name == "gone"), "{e}");
    }

    #[test]
    fn a_changed_signature_names_the_world_and_wasmparsers_reason() {
        let old = "interface api { f: func() -> u32; } world w { export api; }";
        let new = "interface api { f: func() -> string; } world w { export api; }";
        let e = semver_check(&v1(old), &v1_1(new)).expect_err("incompatible");
        assert_eq!(e.to_string(), "world `w` changed incompatibly");
        let reason = std::error::Error::source(&e).expect("a reason").to_string();
        assert!(!reason.is_empty());
    }

    #[test]
    fn bytes_that_are_no_wasm_do_not_decode() {
        let e = Release::decode("1.0.0".parse().unwrap(), b"not wasm").expect_err("no wasm");
        assert_eq!(e.to_string(), "decoding version 1.0.0");
    }
}
