//! The `[sigstore]` table: who must have signed a package before it is
//! used, and which trusted root says so. This tool's own table (wkg 0.16.1
//! has no verification and rejects unknown top-level keys).
//!
//! ```toml
//! [sigstore]
//! trusted_root = "trusted_root.json"   # default: the public-good instance's
//!
//! [sigstore.policies.wasi]             # every package of a namespace
//! certificate_identity = "https://github.com/WebAssembly/WASI/.github/workflows/publish.yml@refs/heads/main"
//! certificate_oidc_issuer = "https://token.actions.githubusercontent.com"
//!
//! [sigstore.policies."acme:widget"]    # one package, over its namespace's
//! key = "keys/acme.pub"
//! ```
//!
//! A policy is an identity and an issuer, each exact or a regular
//! expression (cosign's `--certificate-identity[-regexp]` and
//! `--certificate-oidc-issuer[-regexp]`), or a PEM public key (`--key`).
//! Paths are relative to the working directory, as `local` roots are.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::package::{Label, PackageRef};

/// The `[sigstore]` table. Read from, and written as, a plain TOML table
/// (by `Config`'s deserializer), which keeps a derived deserializer per TOML
/// deserializer out of the component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigstoreConfig {
    /// A trusted root JSON file to use instead of the public-good one.
    pub trusted_root: Option<String>,
    /// The policies, by namespace or package.
    pub policies: BTreeMap<Scope, SignerPolicy>,
}

/// What a policy applies to: every package of a namespace (`wasi`), or one
/// package (`wasi:http`), which wins over its namespace's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Namespace(Label),
    Package(PackageRef),
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Scope, String> {
        let scope = if s.contains(':') {
            s.parse().map(Scope::Package).map_err(|e| e.to_string())
        } else {
            s.parse().map(Scope::Namespace).map_err(|e| e.to_string())
        };
        scope.map_err(|e| format!("invalid policy key `{s}`: {e}"))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Namespace(n) => write!(f, "{n}"),
            Scope::Package(p) => write!(f, "{p}"),
        }
    }
}

/// How a certificate value must match: exactly, or a regular expression
/// (Go RE2 syntax, unanchored, as cosign matches it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    Exact(String),
    Regexp(String),
}

/// Who must have signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerPolicy {
    /// A Fulcio certificate for this identity (SAN URI or email) from this
    /// OIDC issuer.
    Identity { identity: Pattern, issuer: Pattern },
    /// A signature by this PEM public key (a path).
    Key(String),
}

const POLICY_KEYS: [&str; 5] = [
    "certificate_identity",
    "certificate_identity_regexp",
    "certificate_oidc_issuer",
    "certificate_oidc_issuer_regexp",
    "key",
];

fn string(value: toml::Value, key: &str) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s),
        other => Err(format!(
            "`{key}` must be a string, not {}",
            other.type_str()
        )),
    }
}

fn table(value: toml::Value, key: &str) -> Result<toml::Table, String> {
    match value {
        toml::Value::Table(t) => Ok(t),
        other => Err(format!("`{key}` must be a table, not {}", other.type_str())),
    }
}

fn unknown(key: &str, within: &str, expected: &[&str]) -> String {
    format!(
        "unknown field `{key}` in `{within}`, expected one of {}",
        expected
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn pattern(
    exact: Option<String>,
    regexp: Option<String>,
    name: &str,
) -> Result<Option<Pattern>, String> {
    match (exact, regexp) {
        (Some(_), Some(_)) => Err(format!(
            "a policy sets both `{name}` and `{name}_regexp`; set one"
        )),
        (Some(e), None) => Ok(Some(Pattern::Exact(e))),
        (None, Some(r)) => Ok(Some(Pattern::Regexp(r))),
        (None, None) => Ok(None),
    }
}

impl SignerPolicy {
    fn from_table(t: toml::Table, within: &str) -> Result<SignerPolicy, String> {
        let mut fields: [Option<String>; 5] = Default::default();
        for (key, value) in t {
            let Some(i) = POLICY_KEYS.iter().position(|k| *k == key) else {
                return Err(unknown(&key, within, &POLICY_KEYS));
            };
            fields[i] = Some(string(value, &key)?);
        }
        let [identity, identity_regexp, issuer, issuer_regexp, key] = fields;
        let identity = pattern(identity, identity_regexp, "certificate_identity")?;
        let issuer = pattern(issuer, issuer_regexp, "certificate_oidc_issuer")?;
        match (identity, issuer, key) {
            (None, None, Some(key)) => Ok(SignerPolicy::Key(key)),
            (_, _, Some(_)) => Err("a policy names both a key and a certificate identity; a \
                 package is verified with one or the other"
                .into()),
            (Some(identity), Some(issuer), None) => Ok(SignerPolicy::Identity { identity, issuer }),
            (Some(_), None, None) => Err("a policy names an identity but no issuer; set \
                 `certificate_oidc_issuer` (or `certificate_oidc_issuer_regexp`)"
                .into()),
            (None, _, None) => Err("a policy names no signer; set `certificate_identity` (or \
                 `certificate_identity_regexp`) and `certificate_oidc_issuer`, or `key`"
                .into()),
        }
    }

    fn to_table(&self) -> toml::Table {
        let mut t = toml::Table::new();
        let mut put = |key: &str, pattern: &Pattern| {
            let (key, value) = match pattern {
                Pattern::Exact(v) => (key.to_owned(), v),
                Pattern::Regexp(v) => (format!("{key}_regexp"), v),
            };
            t.insert(key, toml::Value::String(value.clone()));
        };
        match self {
            SignerPolicy::Identity { identity, issuer } => {
                put("certificate_identity", identity);
                put("certificate_oidc_issuer", issuer);
            }
            SignerPolicy::Key(key) => put("key", &Pattern::Exact(key.clone())),
        }
        t
    }
}

impl SigstoreConfig {
    /// The table as TOML gives it.
    ///
    /// # Errors
    /// An unknown key, a value of the wrong type, an invalid policy key,
    /// a policy that names no signer (or both a key and an identity).
    pub fn from_table(t: toml::Table) -> Result<SigstoreConfig, String> {
        let mut config = SigstoreConfig::default();
        for (key, value) in t {
            match key.as_str() {
                "trusted_root" => config.trusted_root = Some(string(value, &key)?),
                "policies" => {
                    for (scope, policy) in table(value, "policies")? {
                        let within = format!("sigstore.policies.{scope}");
                        let policy = SignerPolicy::from_table(table(policy, &within)?, &within)?;
                        config.policies.insert(scope.parse()?, policy);
                    }
                }
                _ => return Err(unknown(&key, "sigstore", &["trusted_root", "policies"])),
            }
        }
        Ok(config)
    }

    /// The table to write.
    pub fn to_table(&self) -> toml::Table {
        let mut t = toml::Table::new();
        if let Some(root) = &self.trusted_root {
            t.insert("trusted_root".into(), toml::Value::String(root.clone()));
        }
        if !self.policies.is_empty() {
            let policies = self
                .policies
                .iter()
                .map(|(scope, p)| (scope.to_string(), toml::Value::Table(p.to_table())))
                .collect();
            t.insert("policies".into(), toml::Value::Table(policies));
        }
        t
    }

    /// The policy for `package`: its own, else its namespace's.
    pub fn policy(&self, package: &PackageRef) -> Option<(&Scope, &SignerPolicy)> {
        self.policies
            .get_key_value(&Scope::Package(package.clone()))
            .or_else(|| {
                self.policies
                    .get_key_value(&Scope::Namespace(package.namespace().clone()))
            })
    }

    /// This table with `overlay` on top: its trusted root when set, its
    /// policies replacing same-key ones.
    pub fn merge(self, overlay: SigstoreConfig) -> SigstoreConfig {
        let mut merged = self;
        if overlay.trusted_root.is_some() {
            merged.trusted_root = overlay.trusted_root;
        }
        merged.policies.extend(overlay.policies);
        merged
    }

    /// The files the table names (the trusted root and keys), as written.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.trusted_root
            .as_deref()
            .into_iter()
            .chain(self.policies.values().filter_map(|p| match p {
                SignerPolicy::Key(key) => Some(key.as_str()),
                SignerPolicy::Identity { .. } => None,
            }))
    }
}

/// `Config`'s `sigstore` field, read as a plain table.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SigstoreConfig>, D::Error> {
    let table = toml::Table::deserialize(d)?;
    SigstoreConfig::from_table(table)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `Config`'s `sigstore` field, written as a plain table.
pub(super) fn serialize<S: Serializer>(
    config: &Option<SigstoreConfig>,
    s: S,
) -> Result<S::Ok, S::Error> {
    config.as_ref().map(SigstoreConfig::to_table).serialize(s)
}
