use super::*;

#[test]
fn good_labels() {
    for input in ["a", "wasi", "my-pkg", "a1", "a-b-c", "x9-y8", "http2"] {
        let label: Label = input.parse().expect(input);
        assert_eq!(label.to_string(), input);
        assert_eq!(label.as_str(), input);
    }
}

#[test]
fn bad_labels() {
    use LabelErrorKind::*;
    let cases = [
        ("", Empty),
        ("-", EmptyWord),
        ("a-", EmptyWord),
        ("-a", EmptyWord),
        ("a--b", EmptyWord),
        ("Foo", InvalidWordFirstChar),
        ("1a", InvalidWordFirstChar),
        ("a-1", InvalidWordFirstChar),
        ("a-B", InvalidWordFirstChar),
        ("..", InvalidWordFirstChar),
        ("../x", InvalidWordFirstChar),
        ("é", InvalidWordFirstChar),
        (" a", InvalidWordFirstChar),
        ("aB", InvalidChar),
        ("a_b", InvalidChar),
        ("a.b", InvalidChar),
        ("a/b", InvalidChar),
        ("a\\b", InvalidChar),
        ("a ", InvalidChar),
        ("aé", InvalidChar),
    ];
    for (input, kind) in cases {
        let err = input.parse::<Label>().expect_err(input);
        assert_eq!(err.kind(), &kind, "{input}");
        assert_eq!(err.input(), input);
    }
    assert_eq!(
        "Foo".parse::<Label>().unwrap_err().to_string(),
        "invalid label `Foo`: dash-separated words must begin with an ASCII lowercase letter"
    );
}

#[test]
fn good_package_refs() {
    let cases = [
        ("wasi:http", "wasi", "http"),
        ("my-ns:my-pkg", "my-ns", "my-pkg"),
        ("a1:b2", "a1", "b2"),
    ];
    for (input, namespace, name) in cases {
        let package: PackageRef = input.parse().expect(input);
        assert_eq!(package.namespace().as_str(), namespace);
        assert_eq!(package.name().as_str(), name);
        assert_eq!(package.to_string(), input);
        assert_eq!(
            PackageRef::new(namespace.parse().unwrap(), name.parse().unwrap()),
            package
        );
    }
}

#[test]
fn bad_package_refs() {
    let cases = [
        ("x", "invalid package ref `x`: missing expected `:`"),
        ("", "invalid package ref ``: missing expected `:`"),
        (
            ":x",
            "invalid package ref `:x`: invalid label ``: labels may not be empty",
        ),
        (
            "x:",
            "invalid package ref `x:`: invalid label ``: labels may not be empty",
        ),
        (
            "a:b:c",
            "invalid package ref `a:b:c`: invalid label `b:c`: dash-separated words may contain only lowercase alphanumeric ASCII characters",
        ),
        (
            "Foo:bar",
            "invalid package ref `Foo:bar`: invalid label `Foo`: dash-separated words must begin with an ASCII lowercase letter",
        ),
        (
            "../x:y",
            "invalid package ref `../x:y`: invalid label `../x`: dash-separated words must begin with an ASCII lowercase letter",
        ),
        (
            "acme:../../x",
            "invalid package ref `acme:../../x`: invalid label `../../x`: dash-separated words must begin with an ASCII lowercase letter",
        ),
        (
            "acme:x/y",
            "invalid package ref `acme:x/y`: invalid label `x/y`: dash-separated words may contain only lowercase alphanumeric ASCII characters",
        ),
        (
            "wasi:http@0.2.0",
            "invalid package ref `wasi:http@0.2.0`: invalid label `http@0.2.0`: dash-separated words may contain only lowercase alphanumeric ASCII characters",
        ),
    ];
    for (input, message) in cases {
        let err = input.parse::<PackageRef>().expect_err(input);
        assert_eq!(err.to_string(), message);
        assert_eq!(err.input(), input);
    }
}

#[test]
fn good_package_specs() {
    let cases = [
        ("wasi:http", "wasi:http", None),
        ("wasi:http@0.2.0", "wasi:http", Some("0.2.0")),
        ("wasi:cli@0.3.0-rc.1", "wasi:cli", Some("0.3.0-rc.1")),
        ("a:b@1.2.3+build.5", "a:b", Some("1.2.3+build.5")),
    ];
    for (input, package, version) in cases {
        let spec: PackageSpec = input.parse().expect(input);
        assert_eq!(spec.package().to_string(), package);
        assert_eq!(spec.version().map(ToString::to_string).as_deref(), version);
        assert_eq!(spec.to_string(), input);
        let (p, v) = spec.clone().into_parts();
        assert_eq!(PackageSpec::new(p, v), spec);
    }
}

#[test]
fn bad_package_specs() {
    let cases = [
        ("x", "invalid package spec `x`: missing expected `:`"),
        (
            "x@1.0.0",
            "invalid package spec `x@1.0.0`: missing expected `:`",
        ),
        (
            "Wasi:http@0.2.0",
            "invalid package spec `Wasi:http@0.2.0`: invalid label `Wasi`: dash-separated words must begin with an ASCII lowercase letter",
        ),
        (
            "wasi:http@",
            "invalid package spec `wasi:http@`: missing version after `@`",
        ),
        (
            "wasi:http@1.0",
            "invalid package spec `wasi:http@1.0`: invalid version `1.0`: unexpected end of input while parsing minor version number",
        ),
        (
            "wasi:http@v1.0.0",
            "invalid package spec `wasi:http@v1.0.0`: invalid version `v1.0.0`: unexpected character 'v' while parsing major version number",
        ),
        (
            "wasi:http@1.0.0@2",
            "invalid package spec `wasi:http@1.0.0@2`: invalid version `1.0.0@2`: unexpected character '@' after patch version number",
        ),
        (
            "acme:../../x@1.0.0",
            "invalid package spec `acme:../../x@1.0.0`: invalid label `../../x`: dash-separated words must begin with an ASCII lowercase letter",
        ),
    ];
    for (input, message) in cases {
        let err = input.parse::<PackageSpec>().expect_err(input);
        assert_eq!(err.to_string(), message);
        assert_eq!(err.input(), input);
    }
}

#[test]
fn good_registries() {
    let cases = [
        ("wasi.dev", "wasi.dev", "wasi.dev", None),
        ("localhost", "localhost", "localhost", None),
        ("localhost:5000", "localhost:5000", "localhost", Some(5000)),
        ("127.0.0.1:1", "127.0.0.1:1", "127.0.0.1", Some(1)),
        ("ghcr.io", "ghcr.io", "ghcr.io", None),
        ("Example.COM", "example.com", "example.com", None),
        (
            "my_registry:65535",
            "my_registry:65535",
            "my_registry",
            Some(65535),
        ),
        ("[::1]", "[::1]", "[::1]", None),
        ("[::1]:5000", "[::1]:5000", "[::1]", Some(5000)),
        ("[fe80::1:2]:80", "[fe80::1:2]:80", "[fe80::1:2]", Some(80)),
        ("a-b.c-d", "a-b.c-d", "a-b.c-d", None),
    ];
    for (input, display, host, port) in cases {
        let registry: Registry = input.parse().expect(input);
        assert_eq!(registry.to_string(), display, "{input}");
        assert_eq!(registry.as_str(), display);
        assert_eq!(registry.host(), host, "{input}");
        assert_eq!(registry.port(), port, "{input}");
        assert_eq!(display.parse::<Registry>().unwrap(), registry);
    }
}

#[test]
fn bad_registries() {
    let long = format!("{}.com", "a".repeat(250));
    let cases = [
        ("", "registry is empty"),
        (
            "https://example.com",
            "a registry is a `host[:port]` without scheme",
        ),
        (
            "http://localhost:5000",
            "a registry is a `host[:port]` without scheme",
        ),
        (
            "example.com/path",
            "a registry is a `host[:port]` without path, query or fragment",
        ),
        (
            "example.com?x=1",
            "a registry is a `host[:port]` without path, query or fragment",
        ),
        (
            "user:pw@example.com",
            "a registry is a `host[:port]` without userinfo",
        ),
        (
            "exa mple.com",
            "host `exa mple.com` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            "example.com.",
            "host `example.com.` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            "-example.com",
            "host `-example.com` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            ":5000",
            "host `` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            "a!b",
            "host `a!b` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            "[::1",
            "host `[::1` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            "[::1]x",
            "host `[::1]x` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            "[zz]",
            "host `[zz]` must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        (
            &long,
            "must be a DNS name, an IPv4 address or a bracketed IPv6 address",
        ),
        ("host:", "port `` must be a number from 1 to 65535"),
        ("host:0", "port `0` must be a number from 1 to 65535"),
        (
            "host:65536",
            "port `65536` must be a number from 1 to 65535",
        ),
        ("host:+80", "port `+80` must be a number from 1 to 65535"),
        ("host:1:2", "port `1:2` must be a number from 1 to 65535"),
        ("[::1]:x", "port `x` must be a number from 1 to 65535"),
    ];
    for (input, message) in cases {
        let err = input.parse::<Registry>().expect_err(input);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("invalid registry `{input}`: ")),
            "{text}"
        );
        assert!(text.ends_with(message), "{input}: {text}");
        assert_eq!(err.input(), input);
    }
}

#[test]
fn serde_uses_strings() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct All {
        label: Label,
        package: PackageRef,
        spec: PackageSpec,
        registry: Registry,
    }
    let json = r#"{"label":"wasi","package":"wasi:http","spec":"wasi:http@0.2.0","registry":"localhost:5000"}"#;
    let all: All = serde_json::from_str(json).unwrap();
    assert_eq!(all.spec.version(), Some(&Version::new(0, 2, 0)));
    assert_eq!(serde_json::to_string(&all).unwrap(), json);
    let bad = r#"{"label":"Wasi","package":"wasi:http","spec":"wasi:http","registry":"x"}"#;
    let err = serde_json::from_str::<All>(bad).unwrap_err().to_string();
    assert!(err.starts_with("invalid label `Wasi`"), "{err}");
}

#[test]
fn ordering_and_borrow() {
    let mut specs: Vec<PackageSpec> = ["b:a", "a:b@1.0.0", "a:b", "a:b@0.9.0"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    specs.sort();
    let sorted: Vec<String> = specs.iter().map(ToString::to_string).collect();
    assert_eq!(sorted, ["a:b", "a:b@0.9.0", "a:b@1.0.0", "b:a"]);
    let map: std::collections::BTreeMap<Label, u8> = [("wasi".parse().unwrap(), 1)].into();
    assert_eq!(map.get("wasi"), Some(&1));
}
