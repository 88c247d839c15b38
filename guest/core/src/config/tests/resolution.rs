use super::*;
use crate::metadata::{OciLocation, RegistryMetadata, oci_repository};

const CONFIG: &str = r#"
[namespace_registries]
acme = "acme.example"
custom = { registry = "custom.example", metadata = { ociRegistry = "ghcr.io", ociNamespacePrefix = "custom/" } }
localns = { registry = "files.example", metadata = { preferredProtocol = "oci" } }
badmeta = { registry = "bad.example", metadata = { preferredProtocol = "local" } }
wargmeta = { registry = "warg.example", metadata = { warg = { url = "https://w" } } }

[package_registry_overrides]
"acme:special" = "special.example"
"custom:other" = "other.example"
"acme:inline" = { registry = "inline.example", metadata = { oci = { registry = "oci.inline", namespacePrefix = "p/" } } }
"custom:same" = "custom.example"

[registry."files.example"]
local = { root = "/srv/files" }

[registry."explicit.example"]
default = "oci"

[registry."two.example"]
oci = { protocol = "http" }
local = { root = "/x" }

[registry."warg.only"]
warg = { url = "https://w" }

[registry."typed.example"]
type = "warg"

[registry."noroot.example"]
default = "local"

[registry."mirror.example"]
oci-layout = { root = "mirror/webassembly" }

[registry."nolayout.example"]
type = "oci-layout"
"#;

#[derive(Debug)]
enum Want {
    /// Registry, backend, inline OCI location if any.
    Ok(&'static str, Backend, Option<OciLocation>),
    Err(&'static str),
}

fn oci(registry: &str, prefix: Option<&str>) -> Option<OciLocation> {
    Some(OciLocation {
        registry: Some(registry.into()),
        namespace_prefix: prefix.map(str::to_owned),
    })
}

fn local(root: &str) -> Backend {
    Backend::Local { root: root.into() }
}

fn check(config: &Config, package: &str, over: Option<&str>, fallbacks: bool, want: Want) {
    let package = package.parse().unwrap();
    let over = over.map(|r| r.parse::<Registry>().unwrap());
    let got = config.resolve(&package, over.as_ref(), fallbacks);
    let context = format!("{package} {over:?} {fallbacks}");
    match (got, want) {
        (Ok(resolution), Want::Ok(registry, backend, location)) => {
            assert_eq!(resolution.registry().as_str(), registry, "{context}");
            assert_eq!(resolution.backend(), &backend, "{context}");
            assert_eq!(
                resolution.metadata().map(RegistryMetadata::oci),
                location,
                "{context}"
            );
        }
        (Err(err), Want::Err(message)) => {
            assert!(err.to_string().starts_with(message), "{context}: {err}");
        }
        (got, want) => panic!("{context}: got {got:?}, want {want:?}"),
    }
}

#[test]
fn resolution_order() {
    use Backend::{FromMetadata, Oci};
    let config = Config::from_toml(CONFIG, "c").unwrap();
    let with_default = {
        let mut c = config.clone();
        c.set_default_registry(Some("default.example".parse().unwrap()));
        c
    };
    let cases: Vec<(&Config, &str, Option<&str>, bool, Want)> = vec![
        // Namespace mapping, string form: the well-known decides later.
        (
            &config,
            "acme:pkg",
            None,
            true,
            Want::Ok("acme.example", FromMetadata, None),
        ),
        // Package override beats the namespace.
        (
            &config,
            "acme:special",
            None,
            true,
            Want::Ok("special.example", FromMetadata, None),
        ),
        // --registry beats everything.
        (
            &config,
            "acme:special",
            Some("cli.example"),
            true,
            Want::Ok("cli.example", FromMetadata, None),
        ),
        // Inline metadata decides at once.
        (
            &config,
            "custom:x",
            None,
            false,
            Want::Ok("custom.example", Oci, oci("ghcr.io", Some("custom/"))),
        ),
        (
            &config,
            "acme:inline",
            None,
            false,
            Want::Ok("inline.example", Oci, oci("oci.inline", Some("p/"))),
        ),
        // The namespace's inline metadata is not applied to another registry
        // (wkg applied it: quirk fixed).
        (
            &config,
            "custom:other",
            None,
            false,
            Want::Ok("other.example", FromMetadata, None),
        ),
        (
            &config,
            "custom:x",
            Some("cli.example"),
            false,
            Want::Ok("cli.example", FromMetadata, None),
        ),
        // ...but is when the override names the same registry.
        (
            &config,
            "custom:same",
            None,
            false,
            Want::Ok("custom.example", Oci, oci("ghcr.io", Some("custom/"))),
        ),
        (
            &config,
            "custom:x",
            Some("custom.example"),
            false,
            Want::Ok("custom.example", Oci, oci("ghcr.io", Some("custom/"))),
        ),
        // Fallbacks only when asked for.
        (
            &config,
            "wasi:http",
            None,
            true,
            Want::Ok("wasi.dev", FromMetadata, None),
        ),
        (
            &config,
            "ba:sample",
            None,
            true,
            Want::Ok("bytecodealliance.org", FromMetadata, None),
        ),
        (
            &config,
            "wasi:http",
            None,
            false,
            Want::Err("no registry configured for namespace \"wasi\""),
        ),
        (
            &config,
            "nope:x",
            None,
            true,
            Want::Err("no registry configured for namespace \"nope\""),
        ),
        // default_registry beats the fallbacks (wkg quirk, kept).
        (
            &with_default,
            "wasi:http",
            None,
            true,
            Want::Ok("default.example", FromMetadata, None),
        ),
        (
            &with_default,
            "nope:x",
            None,
            false,
            Want::Ok("default.example", FromMetadata, None),
        ),
        (
            &with_default,
            "acme:pkg",
            None,
            true,
            Want::Ok("acme.example", FromMetadata, None),
        ),
        // A single backend table is the default; local needs no metadata.
        (
            &config,
            "x:y",
            Some("files.example"),
            false,
            Want::Ok("files.example", local("/srv/files"), None),
        ),
        // Config backend beats inline metadata.
        (
            &config,
            "localns:x",
            None,
            false,
            Want::Ok(
                "files.example",
                local("/srv/files"),
                Some(OciLocation::default()),
            ),
        ),
        (
            &config,
            "x:y",
            Some("explicit.example"),
            false,
            Want::Ok("explicit.example", Oci, None),
        ),
        // Two tables and no default: the metadata decides.
        (
            &config,
            "x:y",
            Some("two.example"),
            false,
            Want::Ok("two.example", FromMetadata, None),
        ),
        // Errors.
        (
            &config,
            "badmeta:x",
            None,
            false,
            Want::Err(
                "registry metadata with 'local' protocol not allowed (registry `bad.example`)",
            ),
        ),
        (
            &config,
            "wargmeta:x",
            None,
            false,
            Want::Err("registry `warg.example` is a warg registry"),
        ),
        (
            &config,
            "x:y",
            Some("warg.only"),
            false,
            Want::Err("registry `warg.only` is a warg registry"),
        ),
        (
            &config,
            "x:y",
            Some("typed.example"),
            false,
            Want::Err("registry `typed.example` is a warg registry"),
        ),
        (
            &config,
            "x:y",
            Some("noroot.example"),
            false,
            Want::Err("registry `noroot.example` uses the `local` backend but has no `local.root`"),
        ),
        (
            &config,
            "wasi:http",
            Some("mirror.example"),
            false,
            Want::Ok(
                "mirror.example",
                Backend::Layout {
                    root: "mirror/webassembly".into(),
                },
                None,
            ),
        ),
        (
            &config,
            "x:y",
            Some("nolayout.example"),
            false,
            Want::Err(
                "registry `nolayout.example` uses the `oci-layout` backend but has no \
                 `oci-layout.root`",
            ),
        ),
    ];
    for (config, package, over, fallbacks, want) in cases {
        check(config, package, over, fallbacks, want);
    }
}

#[test]
fn finishing_with_fetched_metadata() {
    let config = Config::from_toml(CONFIG, "c").unwrap();
    let wasi: PackageRef = "wasi:http".parse().unwrap();
    let pending = config.resolve(&wasi, None, true).unwrap();
    assert!(pending.needs_metadata());
    assert_eq!(pending.oci_location(), OciLocation::default());

    let legacy = br#"{"ociRegistry":"ghcr.io","ociNamespacePrefix":"webassembly/"}"#;
    let metadata = RegistryMetadata::from_json(legacy).unwrap();
    let done = pending.clone().with_metadata(metadata).unwrap();
    assert!(!done.needs_metadata());
    assert_eq!(done.backend(), &Backend::Oci);
    let (host, repository) = oci_repository(&done.oci_location(), done.registry(), &wasi);
    assert_eq!(
        format!("{host}/{repository}"),
        "ghcr.io/webassembly/wasi/http"
    );

    // 404: default metadata, the registry name is the OCI host.
    let done = pending
        .clone()
        .with_metadata(RegistryMetadata::default())
        .unwrap();
    assert_eq!(done.backend(), &Backend::Oci);
    let (host, repository) = oci_repository(&done.oci_location(), done.registry(), &wasi);
    assert_eq!(
        (host.as_str(), repository.as_str()),
        ("wasi.dev", "wasi/http")
    );

    let cases = [
        (
            r#"{"preferredProtocol":"local"}"#,
            "registry metadata with 'local' protocol not allowed (registry `wasi.dev`)",
        ),
        (
            r#"{"warg":{"url":"https://w"}}"#,
            "registry `wasi.dev` is a warg registry, and warg is not supported",
        ),
        (
            r#"{"wargUrl":"https://warg.wa.dev"}"#,
            "registry `wasi.dev` is a warg registry, and warg is not supported",
        ),
        (
            r#"{"preferredProtocol":"svn"}"#,
            "unknown backend type \"svn\" for registry `wasi.dev`",
        ),
    ];
    for (json, message) in cases {
        let metadata = RegistryMetadata::from_json(json.as_bytes()).unwrap();
        let err = pending.clone().with_metadata(metadata).unwrap_err();
        assert!(err.to_string().starts_with(message), "{err}");
    }
    let warg = pending
        .clone()
        .with_metadata(RegistryMetadata::from_json(br#"{"warg":{"url":"https://w"}}"#).unwrap())
        .unwrap_err();
    assert!(
        warg.to_string().contains("removed from wkg in 0.16.0"),
        "{warg}"
    );
    // The wasm-pkg-tools README's document: warg preferred, OCI configured.
    let readme = br#"{"preferredProtocol":"warg","warg":{"url":"https://warg.example.com"},
        "oci":{"registry":"ghcr.io","namespacePrefix":"webassembly/"}}"#;
    let done = pending
        .clone()
        .with_metadata(RegistryMetadata::from_json(readme).unwrap())
        .unwrap();
    assert_eq!(done.backend(), &Backend::Oci);

    // An explicit oci backend still needs the metadata for the location.
    let explicit = config
        .resolve(&wasi, Some(&"explicit.example".parse().unwrap()), false)
        .unwrap();
    assert!(explicit.needs_metadata());
    let metadata = RegistryMetadata::from_json(br#"{"preferredProtocol":"local"}"#).unwrap();
    let done = explicit.with_metadata(metadata).unwrap();
    assert_eq!(done.backend(), &Backend::Oci);

    // Local registries and inline metadata need no fetch; inline metadata
    // is kept.
    let files = config
        .resolve(&wasi, Some(&"files.example".parse().unwrap()), false)
        .unwrap();
    assert!(!files.needs_metadata());
    let custom = config
        .resolve(&"custom:x".parse().unwrap(), None, false)
        .unwrap();
    assert!(!custom.needs_metadata());
    let kept = custom
        .clone()
        .with_metadata(RegistryMetadata::default())
        .unwrap();
    assert_eq!(kept, custom);
}
