use super::*;

fn parse(json: &str) -> RegistryMetadata {
    RegistryMetadata::from_json(json.as_bytes()).expect(json)
}

fn location(registry: Option<&str>, prefix: Option<&str>) -> OciLocation {
    OciLocation {
        registry: registry.map(str::to_owned),
        namespace_prefix: prefix.map(str::to_owned),
    }
}

#[test]
fn formats_and_preferred_protocol() {
    let cases: &[(&str, Option<&str>, OciLocation, &[&str])] = &[
        // New format.
        (
            r#"{"preferredProtocol":"oci","oci":{"registry":"ghcr.io","namespacePrefix":"webassembly/"}}"#,
            Some("oci"),
            location(Some("ghcr.io"), Some("webassembly/")),
            &["oci"],
        ),
        // Legacy format, as wasi.dev serves it.
        (
            r#"{"ociRegistry":"ghcr.io","ociNamespacePrefix":"webassembly/"}"#,
            Some("oci"),
            location(Some("ghcr.io"), Some("webassembly/")),
            &["oci"],
        ),
        // bytecodealliance.org.
        (
            r#"{"ociRegistry":"ghcr.io","ociNamespacePrefix":"bytecodealliance/wasm-pkg/"}"#,
            Some("oci"),
            location(Some("ghcr.io"), Some("bytecodealliance/wasm-pkg/")),
            &["oci"],
        ),
        // A single protocol key is the preferred protocol.
        (
            r#"{"oci":{"registry":"oci.example.com"}}"#,
            Some("oci"),
            location(Some("oci.example.com"), None),
            &["oci"],
        ),
        (
            r#"{"warg":{"url":"https://warg.example.com"}}"#,
            Some("warg"),
            location(None, None),
            &["warg"],
        ),
        // Two protocol keys and no preference: none.
        (
            r#"{"oci":{"registry":"a"},"other":{"key":"v"}}"#,
            None,
            location(Some("a"), None),
            &["oci", "other"],
        ),
        // Explicit preference wins, even for an unconfigured protocol.
        (
            r#"{"preferredProtocol":"warg","oci":{"registry":"a"},"other":{}}"#,
            Some("warg"),
            location(Some("a"), None),
            &["oci", "other"],
        ),
        (
            r#"{"preferredProtocol":"local"}"#,
            Some("local"),
            location(None, None),
            &[],
        ),
        // A legacy prefix alone does not imply oci (as in wkg).
        (
            r#"{"ociNamespacePrefix":"p/"}"#,
            None,
            location(None, Some("p/")),
            &["oci"],
        ),
        // Legacy keys plus one other protocol: the protocol key counts.
        (
            r#"{"ociRegistry":"ghcr.io","other":{}}"#,
            Some("other"),
            location(Some("ghcr.io"), None),
            &["oci", "other"],
        ),
        // Legacy keys override the object's values.
        (
            r#"{"oci":{"registry":"a","namespacePrefix":"x/"},"ociRegistry":"b"}"#,
            Some("oci"),
            location(Some("b"), Some("x/")),
            &["oci"],
        ),
        // Empty, nulls, and ignored non-object keys.
        ("{}", None, location(None, None), &[]),
        (
            r#"{"preferredProtocol":null,"ociRegistry":null,"oci":{"registry":null}}"#,
            Some("oci"),
            location(None, None),
            &["oci"],
        ),
        // Only the legacy warg key: a warg registry.
        (
            r#"{"wargUrl":"https://warg.example.com","$schema":"x","n":1}"#,
            Some("warg"),
            location(None, None),
            &[],
        ),
        (r#"{"$schema":"x","n":1}"#, None, location(None, None), &[]),
    ];
    for (json, preferred, oci, protocols) in cases {
        let metadata = parse(json);
        assert_eq!(metadata.preferred_protocol(), *preferred, "{json}");
        assert_eq!(&metadata.oci(), oci, "{json}");
        assert_eq!(metadata.configured_protocols(), *protocols, "{json}");
    }
    assert_eq!(RegistryMetadata::default(), parse("{}"));
}

#[test]
fn bad_metadata() {
    let cases = [
        ("", "invalid registry metadata: EOF while parsing a value"),
        ("[]", "invalid registry metadata: invalid type: sequence"),
        (
            r#"{"preferredProtocol":1}"#,
            "invalid registry metadata: `preferredProtocol` must be a string",
        ),
        (
            r#"{"ociRegistry":["a"]}"#,
            "invalid registry metadata: `ociRegistry` must be a string",
        ),
        (
            r#"{"ociNamespacePrefix":true}"#,
            "invalid registry metadata: `ociNamespacePrefix` must be a string",
        ),
        (
            r#"{"oci":"ghcr.io"}"#,
            "invalid registry metadata: `oci` must be an object",
        ),
        (
            r#"{"oci":{"registry":5}}"#,
            "invalid registry metadata: `oci.registry` must be a string",
        ),
        (
            r#"{"oci":{"namespacePrefix":{}}}"#,
            "invalid registry metadata: `oci.namespacePrefix` must be a string",
        ),
    ];
    for (json, message) in cases {
        let err = RegistryMetadata::from_json(json.as_bytes()).expect_err(json);
        assert!(err.to_string().starts_with(message), "{json}: {err}");
    }
}

#[test]
fn well_known_urls() {
    let cases = [
        (
            "wasi.dev",
            "https://wasi.dev/.well-known/wasm-pkg/registry.json",
        ),
        (
            "localhost",
            "http://localhost/.well-known/wasm-pkg/registry.json",
        ),
        (
            "localhost:5000",
            "http://localhost:5000/.well-known/wasm-pkg/registry.json",
        ),
        (
            "127.0.0.1:8080",
            "http://127.0.0.1:8080/.well-known/wasm-pkg/registry.json",
        ),
        (
            "localhost.example.com",
            "https://localhost.example.com/.well-known/wasm-pkg/registry.json",
        ),
        (
            "127.0.0.2",
            "https://127.0.0.2/.well-known/wasm-pkg/registry.json",
        ),
        ("[::1]", "https://[::1]/.well-known/wasm-pkg/registry.json"),
    ];
    for (registry, url) in cases {
        assert_eq!(well_known_url(&registry.parse().unwrap()), url);
    }
}

#[test]
fn oci_repositories() {
    let cases = [
        (
            r#"{"ociRegistry":"ghcr.io","ociNamespacePrefix":"webassembly/"}"#,
            "wasi.dev",
            "wasi:http",
            ("ghcr.io", "webassembly/wasi/http"),
        ),
        (
            r#"{"oci":{"registry":"ghcr.io","namespacePrefix":"bytecodealliance/wasm-pkg/"}}"#,
            "bytecodealliance.org",
            "ba:sample-wasi-http-rust",
            (
                "ghcr.io",
                "bytecodealliance/wasm-pkg/ba/sample-wasi-http-rust",
            ),
        ),
        // Default metadata: the registry name itself, no prefix.
        ("{}", "ghcr.io", "acme:pkg", ("ghcr.io", "acme/pkg")),
        (
            "{}",
            "localhost:5000",
            "acme:pkg",
            ("localhost:5000", "acme/pkg"),
        ),
        // The prefix is concatenated as-is.
        (
            r#"{"ociNamespacePrefix":"org"}"#,
            "example.com",
            "a:b",
            ("example.com", "orga/b"),
        ),
        (
            r#"{"oci":{"registry":""}}"#,
            "example.com",
            "a:b",
            ("example.com", "a/b"),
        ),
    ];
    for (json, registry, package, (host, repository)) in cases {
        let (h, r) = oci_repository(
            &parse(json).oci(),
            &registry.parse().unwrap(),
            &package.parse().unwrap(),
        );
        assert_eq!((h.as_str(), r.as_str()), (host, repository), "{json}");
    }
}

#[test]
fn serde_keeps_everything() {
    let json = r#"{"preferredProtocol":"oci","ociRegistry":"ghcr.io","ociNamespacePrefix":"webassembly/","oci":{"registry":"x","extra":[1,null,{"a":null}]},"other":{"k":"v"}}"#;
    let metadata = parse(json);
    let written = serde_json::to_string(&metadata).unwrap();
    assert_eq!(
        written,
        r#"{"preferredProtocol":"oci","ociRegistry":"ghcr.io","ociNamespacePrefix":"webassembly/","oci":{"extra":[1,{}],"registry":"x"},"other":{"k":"v"}}"#
    );
    assert_eq!(parse(&written), metadata);
    let back: RegistryMetadata = serde_json::from_str(&written).unwrap();
    assert_eq!(back, metadata);
    let err = serde_json::from_str::<RegistryMetadata>(r#"{"oci":1}"#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid registry metadata: `oci` must be an object"),
        "{err}"
    );
}
