//! Every parser of the core against arbitrary input: none may panic, and
//! where a value prints, `parse(display(x)) == x`. The inputs mix random
//! bytes with strings built from each format's own alphabet and keywords,
//! so that the parsers get past their first checks.
//!
//! `PROPTEST_CASES` sets the cases per parser (256 by default here); the
//! long run is `fuzz/parsers.sh` (a million per parser).

use proptest::prelude::*;
use wkg_core::auth::{DockerConfig, TokenResponse, parse_challenges};
use wkg_core::config::Config;
use wkg_core::digest::Digest;
use wkg_core::lock::LockFile;
use wkg_core::manifest::{ImageManifest, WasmConfig};
use wkg_core::metadata::RegistryMetadata;
use wkg_core::package::{PackageRef, PackageSpec, Registry};
use wkg_core::project::ProjectManifest;
use wkg_core::reference::Reference;
use wkg_core::tags::{TagList, next_link};

fn cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings from pieces of `alphabet` (each piece a few characters or a
/// whole keyword), up to `max` pieces.
fn built(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pieces), 0..max).prop_map(|p| p.concat())
}

/// Random text, or text made of the format's pieces.
fn input(pieces: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop_oneof![".{0,64}", built(pieces, max)]
}

const REFERENCE: &[&str] = &[
    "a",
    "b",
    "z",
    "0",
    "9",
    "A",
    ".",
    "-",
    "_",
    "__",
    "/",
    ":",
    "@",
    "sha256:",
    "sha512:",
    "localhost",
    "ghcr.io",
    "127.0.0.1",
    ":5000",
    "[::1]",
    "latest",
    "v1.0",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
];
const PACKAGE: &[&str] = &[
    "a", "b", "x1", "-", ":", "@", "1", ".", "0", "-rc.1", "+b", "A", "/",
];
const CHALLENGE: &[&str] = &[
    "Bearer",
    "Basic",
    " ",
    ",",
    "=",
    "\"",
    "realm",
    "service",
    "scope",
    "\\",
    "\"x,y\"",
    "https://auth.example/token",
    "repository:a/b:pull,push",
    "error=\"insufficient_scope\"",
];
const LINK: &[&str] = &[
    "<",
    ">",
    ";",
    ",",
    " ",
    "rel",
    "=",
    "\"",
    "next",
    "prev",
    "/v2/a/tags/list?n=1&last=b",
    "https://r.example/v2/x",
    "title*=UTF-8''x",
];
const JSON: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "1",
    "-1e999",
    "\"mediaType\"",
    "\"schemaVersion\"",
    "2",
    "\"config\"",
    "\"layers\"",
    "\"digest\"",
    "\"size\"",
    "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
    "\"application/wasm\"",
    "\"annotations\"",
    "\"oci\"",
    "\"registry\"",
    "\"namespacePrefix\"",
    "\"ociRegistry\"",
    "\"preferredProtocol\"",
    "\"wargUrl\"",
    "\"auths\"",
    "\"auth\"",
    "\"credsStore\"",
    "\"credHelpers\"",
    "\"token\"",
    "\"access_token\"",
    "\"tags\"",
    "\"name\"",
    "\"architecture\"",
    "\"wasm\"",
    "\"os\"",
    "\"layerDigests\"",
    "\"component\"",
    "\\u0000",
];
const TOML: &[&str] = &[
    "\n",
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "{",
    "}",
    ",",
    ".",
    " ",
    "#",
    "1",
    "true",
    "default_registry",
    "namespace_registries",
    "package_registry_overrides",
    "registry",
    "oci",
    "local",
    "root",
    "auth",
    "username",
    "password",
    "protocol",
    "http",
    "metadata",
    "overrides",
    "path",
    "version",
    "workspace",
    "members",
    "config",
    "authors",
    "license",
    "packages",
    "versions",
    "name",
    "requirement",
    "digest",
    "=0.2.3",
    "\"wasi:http\"",
    "\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
    "ghcr.io",
];

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn references(s in input(REFERENCE, 12)) {
        if let Ok(r) = s.parse::<Reference>() {
            let again: Reference = r.to_string().parse().unwrap();
            prop_assert_eq!(again, r);
        }
    }

    #[test]
    fn digests(s in input(REFERENCE, 4)) {
        if let Ok(d) = s.parse::<Digest>() {
            prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        }
    }

    #[test]
    fn packages(s in input(PACKAGE, 12)) {
        if let Ok(p) = s.parse::<PackageRef>() {
            prop_assert_eq!(p.to_string().parse::<PackageRef>().unwrap(), p);
        }
        if let Ok(p) = s.parse::<PackageSpec>() {
            prop_assert_eq!(p.to_string().parse::<PackageSpec>().unwrap(), p);
        }
        if let Ok(r) = s.parse::<Registry>() {
            prop_assert_eq!(r.to_string().parse::<Registry>().unwrap(), r);
        }
    }

    #[test]
    fn challenges(s in input(CHALLENGE, 16)) {
        let _ = parse_challenges(&s);
    }

    #[test]
    fn links(s in input(LINK, 16)) {
        let _ = next_link(&s);
    }

    #[test]
    fn json_documents(s in input(JSON, 24)) {
        let b = s.as_bytes();
        if let Ok(m) = ImageManifest::from_json(b) {
            prop_assert_eq!(ImageManifest::from_json(&m.to_json()).unwrap(), m);
        }
        if let Ok(c) = WasmConfig::from_json(b) {
            prop_assert_eq!(WasmConfig::from_json(&c.to_json()).unwrap(), c);
        }
        let _ = RegistryMetadata::from_json(b);
        let _ = DockerConfig::from_json(b);
        let _ = TokenResponse::from_json(b);
        let _ = TagList::from_json(b);
        let _ = wkg_core::error::ErrorEnvelope::parse(b);
    }

    #[test]
    fn toml_documents(s in input(TOML, 32)) {
        if let Ok(c) = Config::from_toml(&s, "config.toml") {
            let again = Config::from_toml(&c.to_toml(), "config.toml").unwrap();
            prop_assert_eq!(again, c);
        }
        let _ = ProjectManifest::from_toml(&s, "wkg.toml");
        if let Ok(l) = LockFile::from_toml(&s, "wkg.lock") {
            prop_assert_eq!(LockFile::from_toml(&l.to_toml(), "wkg.lock").unwrap(), l);
        }
    }
}
