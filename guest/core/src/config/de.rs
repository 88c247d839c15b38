//! Deserialization of the parts of `config.toml` that need more than a
//! derive: the untagged [`RegistryMapping`] (with a readable error), and
//! the `[registry."<name>"]` tables, whose errors name the registry.
//!
//! Every value is deserialized directly from the TOML deserializer (no
//! `flatten`, no buffering), so toml attaches the span of the offending
//! key or value to each error.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{
    CustomMapping, LocalConfig, OciAuth, OciConfig, Protocol, RegistryConfig, RegistryMapping,
};
use crate::metadata::{LOCAL_PROTOCOL, OCI_PROTOCOL};
use crate::package::Registry;

impl<'de> Deserialize<'de> for RegistryMapping {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MappingVisitor)
    }
}

struct MappingVisitor;

impl<'de> Visitor<'de> for MappingVisitor {
    type Value = RegistryMapping;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a registry name or a `{ registry, metadata }` table")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.parse().map(RegistryMapping::Registry).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        CustomMapping::deserialize(MapAccessDeserializer::new(map)).map(RegistryMapping::Custom)
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        value.parse().map_err(D::Error::custom)
    }
}

/// `[registry]`: registry name → table, each table told its name.
pub(super) fn registries<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<Registry, RegistryConfig>, D::Error> {
    deserializer.deserialize_map(RegistriesVisitor)
}

struct RegistriesVisitor;

impl<'de> Visitor<'de> for RegistriesVisitor {
    type Value = BTreeMap<Registry, RegistryConfig>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of registry tables")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut registries = BTreeMap::new();
        while let Some(registry) = map.next_key::<Registry>()? {
            let config = map.next_value_seed(RegistryConfigSeed(&registry))?;
            if registries.contains_key(&registry) {
                return Err(A::Error::custom(format!(
                    "registry `{registry}` is configured twice (host names ignore case)"
                )));
            }
            registries.insert(registry, config);
        }
        Ok(registries)
    }
}

/// One `[registry."<name>"]` table.
struct RegistryConfigSeed<'a>(&'a Registry);

impl<'de> DeserializeSeed<'de> for RegistryConfigSeed<'_> {
    type Value = RegistryConfig;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RegistryConfigSeed<'_> {
    type Value = RegistryConfig;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a table for registry `{}`", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut config = RegistryConfig::default();
        loop {
            let seed = RegistryKeySeed {
                registry: self.0,
                default_seen: config.default.is_some(),
            };
            let Some(key) = map.next_key_seed(seed)? else {
                break;
            };
            match key.as_str() {
                "default" | "type" => config.default = Some(map.next_value()?),
                OCI_PROTOCOL => config.oci = Some(map.next_value_seed(OciConfigSeed(self.0))?),
                LOCAL_PROTOCOL => config.local = Some(map.next_value::<LocalConfig>()?),
                _ => {
                    let table = map.next_value::<toml::Table>()?;
                    config.other.insert(key, table);
                }
            }
        }
        Ok(config)
    }
}

/// A key of a registry table; a second `default`/`type` is an error,
/// raised while reading the key so that it points there.
struct RegistryKeySeed<'a> {
    registry: &'a Registry,
    default_seen: bool,
}

impl<'de> DeserializeSeed<'de> for RegistryKeySeed<'_> {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let key = String::deserialize(deserializer)?;
        if self.default_seen && (key == "default" || key == "type") {
            return Err(D::Error::custom(format!(
                "registry `{}` sets both `default` and its alias `type`",
                self.registry
            )));
        }
        Ok(key)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum OciField {
    Auth,
    Protocol,
    AcceptInvalidCertificates,
    ExtraRootCertificates,
}

/// One `[registry."<name>".oci]` table.
struct OciConfigSeed<'a>(&'a Registry);

impl<'de> DeserializeSeed<'de> for OciConfigSeed<'_> {
    type Value = OciConfig;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OciConfigSeed<'_> {
    type Value = OciConfig;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an `oci` table for registry `{}`", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut config = OciConfig::default();
        while let Some(field) = map.next_key::<OciField>()? {
            match field {
                OciField::Auth => config.auth = Some(map.next_value_seed(OciAuthSeed(self.0))?),
                OciField::Protocol => config.protocol = Some(map.next_value()?),
                OciField::AcceptInvalidCertificates => {
                    config.accept_invalid_certificates = map.next_value()?;
                }
                OciField::ExtraRootCertificates => {
                    config.extra_root_certificates = map.next_value()?;
                }
            }
        }
        Ok(config)
    }
}

/// `oci.auth`: a base64 string or a `{ username, password }` table.
struct OciAuthSeed<'a>(&'a Registry);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsernamePassword {
    username: String,
    password: String,
}

impl<'de> DeserializeSeed<'de> for OciAuthSeed<'_> {
    type Value = OciAuth;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OciAuthSeed<'_> {
    type Value = OciAuth;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a base64 `username:password` string or a `{ username, password }` table")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        OciAuth::from_base64(v).map_err(|e| {
            E::custom(format!(
                "invalid base64-encoded credentials for registry `{}`: {}",
                self.0,
                e.reason()
            ))
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let UsernamePassword { username, password } =
            UsernamePassword::deserialize(MapAccessDeserializer::new(map))?;
        Ok(OciAuth::new(username, password))
    }
}
