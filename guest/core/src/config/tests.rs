use super::*;
use crate::auth::Credential;
use crate::urls::Scheme;

/// The example of the reference §2.2, with both auth forms, both mapping
/// forms, extra root certificates and a local root.
const FULL: &str = r#"default_registry = "acme.registry.com"

[namespace_registries]
wasi = "wasi.dev"
another = { registry = "another", metadata = { preferredProtocol = "oci", "oci" = { registry = "ghcr.io", namespacePrefix = "webassembly/" } } }
legacy = { registry = "legacy.example", metadata = { ociRegistry = "ghcr.io", ociNamespacePrefix = "legacy/" } }

[package_registry_overrides]
"example:foo" = "example.com"
"example:bar" = { registry = "bar.example", metadata = { oci = { registry = "registry.bar" } } }

[registry."acme.registry.com"]
default = "oci"
[registry."acme.registry.com".oci]
auth = { username = "open", password = "sesame" }
protocol = "https"
accept_invalid_certificates = false
[[registry."acme.registry.com".oci.extra_root_certificates]]
encoding = "pem"
data = """-----BEGIN CERTIFICATE-----
MIIB
-----END CERTIFICATE-----"""
[[registry."acme.registry.com".oci.extra_root_certificates]]
encoding = "der"
data = "MIIC"
[registry."acme.registry.com".local]
root = "/a/path"

[registry."wasi.dev".oci]
auth = "cGluZzpwb25n"
protocol = "http"
accept_invalid_certificates = true

[registry."files.example"]
type = "local"
local = { root = "/srv/registry" }

[registry."old.example".warg]
url = "https://warg.example"
auth_token = "secret-token"
"#;

fn full() -> Config {
    Config::from_toml(FULL, "config.toml").unwrap()
}

fn registry(name: &str) -> Registry {
    name.parse().unwrap()
}

fn package(name: &str) -> PackageRef {
    name.parse().unwrap()
}

#[test]
fn parses_the_full_example() {
    let config = full();
    assert_eq!(
        config.default_registry(),
        Some(&registry("acme.registry.com"))
    );

    let namespaces = config.namespace_registries();
    assert_eq!(
        namespaces["wasi"],
        RegistryMapping::Registry(registry("wasi.dev"))
    );
    let another = &namespaces["another"];
    assert_eq!(another.registry(), &registry("another"));
    let metadata = another.metadata().unwrap();
    assert_eq!(metadata.preferred_protocol(), Some("oci"));
    assert_eq!(metadata.oci().registry.as_deref(), Some("ghcr.io"));
    assert_eq!(
        metadata.oci().namespace_prefix.as_deref(),
        Some("webassembly/")
    );
    let legacy = namespaces["legacy"].metadata().unwrap();
    assert_eq!(legacy.preferred_protocol(), Some("oci"));
    assert_eq!(legacy.oci().namespace_prefix.as_deref(), Some("legacy/"));

    let overrides = config.package_registry_overrides();
    assert_eq!(
        overrides[&package("example:foo")],
        RegistryMapping::Registry(registry("example.com"))
    );
    assert_eq!(
        overrides[&package("example:bar")].registry(),
        &registry("bar.example")
    );

    let acme = config
        .registry_config(&registry("acme.registry.com"))
        .unwrap();
    assert_eq!(acme.default_setting(), Some("oci"));
    assert_eq!(acme.default_backend(), Some("oci"));
    assert_eq!(acme.configured_backends(), ["local", "oci"]);
    let oci = acme.oci().unwrap();
    let auth = oci.auth.as_ref().unwrap();
    assert_eq!(auth.credential(), &Credential::new("open", "sesame"));
    assert_eq!(auth.base64(), None);
    assert_eq!(oci.protocol, Some(Protocol::Https));
    assert!(!oci.accept_invalid_certificates);
    assert_eq!(
        oci.extra_root_certificates,
        [
            Certificate {
                encoding: CertificateEncoding::Pem,
                data: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into(),
            },
            Certificate {
                encoding: CertificateEncoding::Der,
                data: "MIIC".into(),
            },
        ]
    );
    assert_eq!(acme.local().unwrap().root, "/a/path");

    let wasi = config.registry_config(&registry("wasi.dev")).unwrap();
    assert_eq!(wasi.default_setting(), None);
    assert_eq!(wasi.default_backend(), Some("oci"));
    let oci = wasi.oci().unwrap();
    let auth = oci.auth.as_ref().unwrap();
    assert_eq!(auth.credential(), &Credential::new("ping", "pong"));
    assert_eq!(auth.base64(), Some("cGluZzpwb25n"));
    assert_eq!(oci.protocol, Some(Protocol::Http));
    assert_eq!(Scheme::from(Protocol::Http), Scheme::Http);
    assert!(oci.accept_invalid_certificates);

    let files = config.registry_config(&registry("files.example")).unwrap();
    assert_eq!(files.default_setting(), Some("local"));
    assert_eq!(files.local().unwrap().root, "/srv/registry");

    let old = config.registry_config(&registry("old.example")).unwrap();
    assert_eq!(old.default_backend(), Some("warg"));
    assert_eq!(
        old.other_backend("warg").unwrap()["url"].as_str(),
        Some("https://warg.example")
    );
}

#[test]
fn base64_auth_forms() {
    type Case<'a> = (&'a str, Result<(&'a str, &'a str), &'a str>);
    let cases: &[Case] = &[
        ("cGluZzpwb25n", Ok(("ping", "pong"))),
        ("dXNlcjpwOnNz", Ok(("user", "p:ss"))),
        // Padding is optional: `a:b` is `YTpi`, `ab:c` is `YWI6Yw==`.
        ("YWI6Yw==", Ok(("ab", "c"))),
        ("YWI6Yw", Ok(("ab", "c"))),
        ("Og", Ok(("", ""))),
        ("!!!", Err("not valid base64")),
        (" cGluZzpwb25n", Err("not valid base64")),
        ("/w", Err("not valid UTF-8")),
        (
            "cGluZw",
            Err("expected `<username>:<password>` but no `:` found"),
        ),
    ];
    for (encoded, expected) in cases {
        match (OciAuth::from_base64(encoded), expected) {
            (Ok(auth), Ok((user, password))) => {
                assert_eq!(auth.credential(), &Credential::new(*user, *password));
                assert_eq!(auth.base64(), Some(*encoded));
            }
            (Err(err), Err(reason)) => {
                assert_eq!(err.reason(), *reason, "{encoded}");
                assert_eq!(
                    err.to_string(),
                    format!("invalid base64-encoded credentials: {reason}")
                );
            }
            (got, _) => panic!("{encoded}: {got:?}"),
        }
    }
}

#[test]
fn secrets_stay_out_of_debug() {
    let debug = format!("{:?}", full());
    for secret in ["sesame", "cGluZzpwb25n", "pong", "secret-token"] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    assert!(debug.contains("<hidden>"), "{debug}");
}

#[test]
fn writes_what_wkg_writes() {
    assert_eq!(
        Config::empty().to_toml(),
        "[namespace_registries]\n\n[package_registry_overrides]\n\n[registry]\n"
    );
    let mut config = Config::empty();
    config.set_default_registry(Some(registry("example.com")));
    assert_eq!(
        config.to_toml(),
        "default_registry = \"example.com\"\n\n[namespace_registries]\n\n[package_registry_overrides]\n\n[registry]\n"
    );
    assert_eq!(Config::from_toml("", "x").unwrap(), Config::empty());
}

#[test]
fn round_trips() {
    let config = full();
    let text = config.to_toml();
    let back = Config::from_toml(&text, "written").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, config, "{text}");
    assert!(text.contains("auth = \"cGluZzpwb25n\""), "{text}");
    assert!(text.contains("ociNamespacePrefix = \"legacy/\""), "{text}");
    assert!(text.contains("auth_token = \"secret-token\""), "{text}");
    // Writing is deterministic.
    assert_eq!(back.to_toml(), text);

    let mut built = Config::empty();
    built.set_namespace_registry(
        "acme".parse().unwrap(),
        RegistryMapping::Registry(registry("Localhost:5000")),
    );
    built.set_package_registry_override(
        package("acme:x"),
        RegistryMapping::Custom(CustomMapping {
            registry: registry("x.example"),
            metadata: crate::metadata::RegistryMetadata::from_json(
                br#"{"oci":{"registry":"ghcr.io","n":18446744073709551615,"a":[null,1]}}"#,
            )
            .unwrap(),
        }),
    );
    let entry = built.registry_config_mut(&registry("localhost:5000"));
    entry.set_default_backend(Some("oci".into()));
    entry.set_oci(Some(OciConfig {
        auth: Some(OciAuth::new("u", "p")),
        protocol: Some(Protocol::Http),
        ..OciConfig::default()
    }));
    entry.set_local(Some(LocalConfig { root: "/r".into() }));
    let text = built.to_toml();
    let back = Config::from_toml(&text, "built").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back.namespace_registries(), built.namespace_registries());
    assert_eq!(back.registry_configs(), built.registry_configs());
    let metadata = back.package_registry_overrides()[&package("acme:x")]
        .metadata()
        .unwrap();
    assert_eq!(metadata.oci().registry.as_deref(), Some("ghcr.io"));
}

#[test]
fn errors_point_at_the_offending_key_or_value() {
    let cases: &[(&str, &str)] = &[
        (
            "default_registry = \"a.com\"\n\nfoo = 1\n",
            "config.toml:3:1: unknown field `foo`, expected one of `default_registry`, `namespace_registries`, `package_registry_overrides`, `registry`, `sigstore` (hint: unknown keys are rejected; check the spelling)",
        ),
        (
            "[registry.\"a.com\".oci]\nprotocol = \"ftp\"\n",
            "config.toml:2:12: unknown OCI protocol `ftp`: expected `http` or `https`",
        ),
        (
            "[registry.\"a.com\".oci]\n  protocl = \"http\"\n",
            "config.toml:2:3: unknown field `protocl`, expected one of `auth`, `protocol`, `accept_invalid_certificates`, `extra_root_certificates` (hint: unknown keys are rejected; check the spelling)",
        ),
        (
            "[registry.\"acme.registry.com\".oci]\nauth = \"cGluZw\"\n",
            "config.toml:2:8: invalid base64-encoded credentials for registry `acme.registry.com`: expected `<username>:<password>` but no `:` found (hint: `auth` is base64 of `username:password` or a `{ username, password }` table)",
        ),
        (
            "[registry.\"a.com\".oci]\nauth = { username = \"u\", password = \"p\", token = \"t\" }\n",
            "config.toml:2:42: unknown field `token`, expected `username` or `password` (hint: unknown keys are rejected; check the spelling)",
        ),
        (
            "default_registry = \"https://example.com\"\n",
            "config.toml:1:20: invalid registry `https://example.com`: a registry is a `host[:port]` without scheme",
        ),
        (
            "[namespace_registries]\nWasi = \"wasi.dev\"\n",
            "config.toml:2:1: invalid label `Wasi`: dash-separated words must begin with an ASCII lowercase letter",
        ),
        (
            "[package_registry_overrides]\n\"example\" = \"x.com\"\n",
            "config.toml:2:1: invalid package ref `example`: missing expected `:`",
        ),
        (
            "[namespace_registries]\nx = 5\n",
            "config.toml:2:5: invalid type: integer `5`, expected a registry name or a `{ registry, metadata }` table",
        ),
        (
            "[namespace_registries]\nx = { registry = \"a.com\", metdata = {} }\n",
            "config.toml:2:27: unknown field `metdata`, expected `registry` or `metadata` (hint: unknown keys are rejected; check the spelling)",
        ),
        (
            "[namespace_registries]\nx = { registry = \"a.com\" }\n",
            "config.toml:2:5: missing field `metadata`",
        ),
        (
            "[registry.\"a.com\".local]\nroot = \"/r\"\npath = \"/p\"\n",
            "config.toml:3:1: unknown field `path`, expected `root` (hint: unknown keys are rejected; check the spelling)",
        ),
        (
            "[registry.\"a.com\"]\ndefault = \"oci\"\ntype = \"local\"\n",
            "config.toml:3:1: registry `a.com` sets both `default` and its alias `type`",
        ),
        (
            "# é comment\nx = \"é\" = 1\n",
            "config.toml:2:9: unexpected key or value, expected newline, `#` (hint: the file is not valid TOML)",
        ),
        (
            "[registry.\"a.com\".oci]\naccept_invalid_certificates = \"yes\"\n",
            "config.toml:2:31: invalid type: string \"yes\", expected a boolean",
        ),
        (
            "[[registry.\"a.com\".oci.extra_root_certificates]]\nencoding = \"base64\"\ndata = \"x\"\n",
            "config.toml:2:12: unknown variant `base64`, expected `pem` or `der`",
        ),
        (
            "[registry.\"a.com\"]\nwarg = \"x\"\n",
            "config.toml:2:8: invalid type: string \"x\", expected a map",
        ),
    ];
    for (text, expected) in cases {
        let err = Config::from_toml(text, "config.toml").expect_err(text);
        let rendered = err.to_string();
        assert_eq!(rendered, *expected, "{text}");
        assert_eq!(err.origin(), "config.toml");
    }
    let err = Config::from_toml("[registry.\"a.com\".oci]\nprotocol = \"ftp\"\n", "c").unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(2), Some(12)));
    assert_eq!(
        err.message(),
        "unknown OCI protocol `ftp`: expected `http` or `https`"
    );
    assert_eq!(err.hint(), None);
    let syntax = Config::from_toml("a = ", "c").unwrap_err();
    assert_eq!(syntax.hint(), Some("the file is not valid TOML"));
    assert_eq!(syntax.line(), Some(1));
}

#[test]
fn line_columns() {
    let cases = [
        ("abc", 0, (1, 1)),
        ("abc", 2, (1, 3)),
        ("abc", 3, (1, 4)),
        ("a\nbc", 2, (2, 1)),
        ("a\nbc", 3, (2, 2)),
        ("é\néa", 5, (2, 2)),
        // Inside a multi-byte character: its start.
        ("é", 1, (1, 1)),
        ("a", 99, (1, 2)),
    ];
    for (text, offset, expected) in cases {
        assert_eq!(line_column(text, offset), expected, "{text:?} {offset}");
    }
}

#[test]
fn merges_overlay_key_by_key() {
    let base = Config::from_toml(
        r#"default_registry = "global.example"
[namespace_registries]
wasi = "wasi.dev"
acme = "acme.example"
[registry."acme.example"]
default = "oci"
[registry."acme.example".oci]
auth = { username = "me", password = "secret" }
accept_invalid_certificates = true
[registry."acme.example".warg]
url = "u"
token = "t"
"#,
        "global",
    )
    .unwrap();
    let project = Config::from_toml(
        r#"[namespace_registries]
acme = "localhost:5000"
[registry."acme.example".oci]
protocol = "http"
[registry."acme.example".warg]
url = "v"
[registry."localhost:5000".oci]
protocol = "http"
"#,
        "wkg.toml",
    )
    .unwrap();
    let merged = base.clone().merge(project);
    assert_eq!(merged.default_registry(), Some(&registry("global.example")));
    let namespaces = merged.namespace_registries();
    assert_eq!(namespaces["wasi"].registry(), &registry("wasi.dev"));
    assert_eq!(namespaces["acme"].registry(), &registry("localhost:5000"));
    let acme = merged.registry_config(&registry("acme.example")).unwrap();
    assert_eq!(acme.default_setting(), Some("oci"));
    let oci = acme.oci().unwrap();
    assert_eq!(
        oci.auth.as_ref().unwrap().credential(),
        &Credential::new("me", "secret")
    );
    assert_eq!(oci.protocol, Some(Protocol::Http));
    assert!(oci.accept_invalid_certificates);
    let warg = acme.other_backend("warg").unwrap();
    assert_eq!(warg["url"].as_str(), Some("v"));
    assert_eq!(warg["token"].as_str(), Some("t"));
    assert!(
        merged
            .registry_config(&registry("localhost:5000"))
            .is_some()
    );

    let mut overlay = Config::empty();
    overlay.set_default_registry(Some(registry("project.example")));
    let merged = base.clone().merge(overlay);
    assert_eq!(
        merged.default_registry(),
        Some(&registry("project.example"))
    );
    assert_eq!(base.clone().merge(Config::empty()), base);
}

#[test]
fn fallbacks_are_separate() {
    let fallbacks = Config::fallbacks();
    assert_eq!(fallbacks.len(), 2);
    assert_eq!(fallbacks["wasi"], registry("wasi.dev"));
    assert_eq!(fallbacks["ba"], registry("bytecodealliance.org"));
    assert!(!Config::empty().to_toml().contains("wasi"));
}

#[test]
fn auth_env_vars() {
    let cases = [
        ("ghcr.io", "WKG_REGISTRY_GHCR_IO_AUTH_BEARER"),
        ("localhost:5000", "WKG_REGISTRY_LOCALHOST_5000_AUTH_BEARER"),
        (
            "my-registry.example.com",
            "WKG_REGISTRY_MY_REGISTRY_EXAMPLE_COM_AUTH_BEARER",
        ),
        ("[::1]:80", "WKG_REGISTRY____1__80_AUTH_BEARER"),
        ("héllo", "WKG_REGISTRY_H_LLO_AUTH_BEARER"),
    ];
    for (host, var) in cases {
        assert_eq!(registry_auth_env_var(host), var);
    }
}

#[test]
fn global_paths() {
    // XDG value, HOME, config path, cache dir.
    type Case<'a> = [Option<&'a str>; 4];
    let cases: &[Case] = &[
        [
            None,
            Some("/home/u"),
            Some("/home/u/.config/wasm-pkg/config.toml"),
            Some("/home/u/.cache/wasm-pkg"),
        ],
        [
            Some("/xdg"),
            Some("/home/u"),
            Some("/xdg/wasm-pkg/config.toml"),
            Some("/xdg/wasm-pkg"),
        ],
        [
            Some("/xdg/"),
            None,
            Some("/xdg/wasm-pkg/config.toml"),
            Some("/xdg/wasm-pkg"),
        ],
        // Relative or empty XDG values are ignored.
        [
            Some("rel"),
            Some("/home/u/"),
            Some("/home/u/.config/wasm-pkg/config.toml"),
            Some("/home/u/.cache/wasm-pkg"),
        ],
        [
            Some(""),
            Some("/"),
            Some("/.config/wasm-pkg/config.toml"),
            Some("/.cache/wasm-pkg"),
        ],
        [Some("rel"), None, None, None],
        [None, Some(""), None, None],
        [None, None, None, None],
    ];
    for [xdg, home, config, cache] in cases {
        assert_eq!(
            global_config_path(*xdg, *home).as_deref(),
            *config,
            "{xdg:?} {home:?}"
        );
        assert_eq!(
            global_cache_dir(*xdg, *home).as_deref(),
            *cache,
            "{xdg:?} {home:?}"
        );
    }
}

mod resolution;

#[test]
fn project_manifest_config_table() {
    let text = "[metadata]\nauthors = [\"x\"]\n\n[config]\ndefault_registry = \"a.b\"\n\n[config.namespace_registries]\nacme = \"acme.io:5000\"\n";
    let config = Config::from_project_manifest(text, "wkg.toml")
        .unwrap()
        .unwrap();
    assert_eq!(config.default_registry().map(|r| r.as_str()), Some("a.b"));
    assert_eq!(config.namespace_registries().len(), 1);
    assert_eq!(
        Config::from_project_manifest("[metadata]\n", "wkg.toml").unwrap(),
        None
    );
    let err =
        Config::from_project_manifest("[overrides]\n\n[config]\nnamespaces = 1\n", "wkg.toml")
            .unwrap_err();
    assert_eq!((err.line(), err.column()), (Some(4), Some(1)), "{err}");
    assert!(
        err.to_string()
            .starts_with("wkg.toml:4:1: unknown field `namespaces`"),
        "{err}"
    );
}

#[test]
fn sigstore_policies_by_namespace_and_package() {
    let text = r#"
[sigstore]
trusted_root = "root.json"
[sigstore.policies.wasi]
certificate_identity = "https://github.com/WebAssembly/WASI/.github/workflows/publish.yml@refs/heads/main"
certificate_oidc_issuer = "https://token.actions.githubusercontent.com"
[sigstore.policies."wasi:http"]
certificate_identity_regexp = "^https://github.com/WebAssembly/"
certificate_oidc_issuer = "https://token.actions.githubusercontent.com"
[sigstore.policies."acme:widget"]
key = "keys/acme.pub"
"#;
    let config = Config::from_toml(text, "config.toml").unwrap();
    let sigstore = config.sigstore().unwrap();
    let policy = |p: &str| {
        sigstore
            .policy(&p.parse().unwrap())
            .map(|(scope, policy)| (scope.to_string(), policy.clone()))
    };
    let (scope, cli) = policy("wasi:cli").unwrap();
    assert_eq!(scope, "wasi");
    assert!(matches!(
        cli,
        SignerPolicy::Identity {
            identity: Pattern::Exact(_),
            ..
        }
    ));
    let (scope, http) = policy("wasi:http").unwrap();
    assert_eq!(scope, "wasi:http");
    assert!(matches!(
        http,
        SignerPolicy::Identity {
            identity: Pattern::Regexp(_),
            ..
        }
    ));
    assert_eq!(
        policy("acme:widget").unwrap().1,
        SignerPolicy::Key("keys/acme.pub".into())
    );
    assert_eq!(policy("acme:other"), None);
    assert_eq!(
        sigstore.paths().collect::<Vec<_>>(),
        ["root.json", "keys/acme.pub"]
    );
    // Written back as read.
    assert_eq!(Config::from_toml(&config.to_toml(), "x").unwrap(), config);
    // A project's table over the global one.
    let project =
        Config::from_toml("[sigstore.policies.wasi]\nkey = \"k.pub\"\n", "wkg.toml").unwrap();
    let merged = config.merge(project);
    let merged = merged.sigstore().unwrap();
    assert_eq!(merged.trusted_root.as_deref(), Some("root.json"));
    assert_eq!(
        merged.policy(&"wasi:cli".parse().unwrap()).unwrap().1,
        &SignerPolicy::Key("k.pub".into())
    );
}

#[test]
fn sigstore_policies_that_name_no_signer_are_refused() {
    for (policy, message) in [
        ("", "a policy names no signer"),
        (
            "certificate_identity = \"a\"",
            "names an identity but no issuer",
        ),
        (
            "certificate_identity = \"a\"\ncertificate_identity_regexp = \"b\"\ncertificate_oidc_issuer = \"c\"",
            "both `certificate_identity` and `certificate_identity_regexp`",
        ),
        (
            "key = \"k\"\ncertificate_identity = \"a\"\ncertificate_oidc_issuer = \"c\"",
            "both a key and a certificate identity",
        ),
        ("identity = \"a\"", "unknown field `identity`"),
    ] {
        let text = format!("[sigstore.policies.wasi]\n{policy}\n");
        let error = Config::from_toml(&text, "config.toml")
            .unwrap_err()
            .to_string();
        assert!(error.contains(message), "{policy}: {error}");
        assert!(error.starts_with("config.toml:"), "{error}");
    }
    let error = Config::from_toml("[sigstore.policies.\"a:b:c\"]\nkey = \"k\"\n", "c")
        .unwrap_err()
        .to_string();
    assert!(error.contains("invalid policy key `a:b:c`"), "{error}");
}
