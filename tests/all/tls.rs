//! The native host's https: a Distribution registry serving TLS with a
//! certificate from a CA the test makes, trusted through `SSL_CERT_FILE`
//! and through config.toml's `extra_root_certificates` (PEM and DER) and
//! `accept_invalid_certificates`; refused otherwise; and connections reused
//! (counted by a relay in front of the registry).

use crate::support;

use support::{Registry, Relay, Wkg};

const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");

/// Lines of the registry's access log with `"GET /v2/`.
fn gets(registry: &Registry) -> usize {
    registry.requests("GET", "/v2/")
}

#[test]
fn oci_trusts_ssl_cert_file_and_reuses_connections() {
    let registry = Registry::tls();
    let relay = Relay::start(registry.port);
    let reference = format!("{}/tls/greet:0.1.0", relay.host());

    let untrusted = Wkg::new();
    let run = untrusted.run(&["oci", "push", &reference, GREET]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("TLS certificate is not trusted")
            && run.stderr.contains("extra_root_certificates"),
        "{run:?}"
    );

    let wkg = Wkg::new();
    std::fs::write(wkg.path("ca.pem"), registry.ca_pem.as_ref().unwrap()).unwrap();
    let ca = wkg.path("ca.pem").display().to_string();
    let wkg = wkg.env("SSL_CERT_FILE", &ca);
    let run = wkg.run(&["oci", "push", &reference, GREET]);
    assert_eq!(run.code, 0, "{run:?}");

    let (connections, requests) = (relay.connections(), gets(&registry));
    let run = wkg.run(&["oci", "pull", &reference, "-o", "pulled.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("pulled.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );
    let requests = gets(&registry) - requests;
    assert!(requests >= 3, "{requests} requests: {}", registry.log());
    assert_eq!(
        relay.connections() - connections,
        1,
        "{requests} requests should share one connection"
    );

    // A file that holds no certificate is named, and trusts nothing.
    std::fs::write(wkg.path("bad.pem"), "not a certificate").unwrap();
    let bad = wkg.path("bad.pem").display().to_string();
    let wkg = wkg.env("SSL_CERT_FILE", &bad);
    let run = wkg.run(&["oci", "pull", &reference, "-o", "again.wasm"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(&format!("ignoring `{bad}`")), "{run:?}");
    assert!(!wkg.path("again.wasm").exists());
}

/// A config.toml that maps the `test` namespace to `host` over https, with
/// `oci` settings.
fn config(host: &str, oci: &str) -> String {
    format!("[namespace_registries]\ntest = \"{host}\"\n\n[registry.\"{host}\".oci]\n{oci}\n")
}

fn package(wkg: &Wkg, args: &[&str]) -> support::Run {
    let mut all = vec![args[0], "--config", "config.toml", "--cache", "cache"];
    all.extend_from_slice(&args[1..]);
    wkg.run(&all)
}

#[test]
fn packages_trust_the_config() {
    let registry = Registry::tls();
    let host = registry.host();
    let ca = registry.ca_pem.clone().unwrap();
    let wkg = Wkg::new();
    // Each config starts from an empty cache, so every `get` goes to the registry.
    let write = |oci: &str| {
        std::fs::write(wkg.path("config.toml"), config(&host, oci)).unwrap();
        let _ = std::fs::remove_dir_all(wkg.path("cache"));
    };

    write(&format!(
        "extra_root_certificates = [{{ encoding = \"pem\", data = \"\"\"\n{ca}\"\"\" }}]"
    ));
    let run = package(&wkg, &["publish", GREET]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = package(&wkg, &["get", "test:greet@0.1.0", "-o", "pem.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");

    // DER as base64: the PEM's body.
    let der: String = ca.lines().filter(|l| !l.starts_with("-----")).collect();
    write(&format!(
        "extra_root_certificates = [{{ encoding = \"der\", data = \"{der}\" }}]"
    ));
    let run = package(&wkg, &["get", "test:greet@0.1.0", "-o", "der.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");

    write("accept_invalid_certificates = true");
    let run = package(&wkg, &["get", "test:greet@0.1.0", "-o", "any.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    for file in ["pem.wasm", "der.wasm", "any.wasm"] {
        assert_eq!(
            std::fs::read(wkg.path(file)).unwrap(),
            std::fs::read(GREET).unwrap()
        );
    }

    // No trust, or a certificate that does not parse: refused, nothing written.
    for oci in [
        "",
        "extra_root_certificates = [{ encoding = \"pem\", data = \"garbage\" }]",
    ] {
        write(oci);
        let run = package(&wkg, &["get", "test:greet@0.1.0", "-o", "no.wasm"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains("TLS certificate is not trusted"),
            "{run:?}"
        );
        if !oci.is_empty() {
            assert!(
                run.stderr.contains("ignoring `extra_root_certificates[0]`"),
                "{run:?}"
            );
        }
        assert!(!wkg.path("no.wasm").exists());
    }
}

/// `wkg` behind a real proxy (tinyproxy): pulls, pushes and package fetches
/// reach the registry only through it (counted in its log), in absolute
/// form for http; `NO_PROXY` bypasses it.
#[test]
fn requests_go_through_an_http_proxy() {
    let registry = support::shared_anonymous();
    let proxy = support::proxy::Proxy::start(None);
    let host = registry.host();
    let wkg = Wkg::new().env("HTTP_PROXY", &proxy.url());
    let reference = format!("{host}/proxied/greet:0.1.0");

    let run = wkg.run(&["oci", "push", &reference, GREET, "--insecure", &host]);
    assert_eq!(run.code, 0, "{run:?}");
    let pushed = proxy.requests();
    assert!(
        pushed.iter().any(|r| r.starts_with(&format!(
            "PUT http://{host}/v2/proxied/greet/manifests/0.1.0"
        ))),
        "{pushed:?}"
    );
    let run = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "pulled.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("pulled.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );
    let pulled = proxy.requests();
    assert!(
        pulled[pushed.len()..]
            .iter()
            .any(|r| r.starts_with(&format!(
                "GET http://{host}/v2/proxied/greet/manifests/0.1.0"
            ))),
        "{pulled:?}"
    );

    // A package command: a WIT project fetching a dependency.
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["proxied"]),
    )
    .unwrap();
    let run = wkg.run(&[
        "publish",
        GREET,
        "--package",
        "proxied:dep@0.1.0",
        "--config",
        "config.toml",
        "--cache",
        "cache",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let before = proxy.requests().len();
    let run = wkg.run(&[
        "get",
        "proxied:dep@0.1.0",
        "-o",
        "dep.wasm",
        "--config",
        "config.toml",
        "--cache",
        "cache2",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let fetched = proxy.requests();
    assert!(
        fetched[before..]
            .iter()
            .any(|r| r.contains("/v2/proxied/dep/manifests/0.1.0")),
        "{fetched:?}"
    );

    // NO_PROXY: straight to the registry.
    let direct = Wkg::new()
        .env("HTTP_PROXY", &proxy.url())
        .env("NO_PROXY", "localhost,127.0.0.1");
    let before = proxy.requests().len();
    let run = direct.run(&[
        "oci",
        "pull",
        &reference,
        "-o",
        "direct.wasm",
        "--insecure",
        &host,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(proxy.requests().len(), before, "{:?}", proxy.requests());
}

/// https through the proxy's `CONNECT` tunnel, TLS to the registry inside;
/// a proxy that wants credentials gets them from the proxy URL, which is
/// never printed.
#[test]
fn https_goes_through_a_connect_tunnel_with_proxy_credentials() {
    let registry = Registry::tls();
    let proxy = support::proxy::Proxy::start(Some(("wkg", "s3cret")));
    let wkg = Wkg::new();
    std::fs::write(wkg.path("ca.pem"), registry.ca_pem.as_ref().unwrap()).unwrap();
    let ca = wkg.path("ca.pem").display().to_string();
    let authority = format!("127.0.0.1:{}", proxy.port);
    let wkg = wkg
        .env("SSL_CERT_FILE", &ca)
        .env("https_proxy", &format!("http://wkg:s3cret@{authority}"));
    let reference = format!("{}/tunnel/greet:0.1.0", registry.host());
    let run = wkg.run(&["oci", "push", &reference, GREET]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = wkg.run(&["oci", "pull", &reference, "-o", "pulled.wasm"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("pulled.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );
    let requests = proxy.requests();
    assert!(
        requests
            .iter()
            .any(|r| r == &format!("CONNECT {} HTTP/1.1", registry.host())),
        "{requests:?}"
    );
    // Wrong credentials: the proxy refuses the tunnel; the message names the
    // proxy without them.
    let wrong = Wkg::new().env("SSL_CERT_FILE", &ca).env(
        "HTTPS_PROXY",
        &format!("http://wkg:wrong-password@{authority}"),
    );
    let run = wrong.run(&["oci", "pull", &reference, "-o", "x.wasm"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("proxy `http://{authority}` refused the tunnel")),
        "{run:?}"
    );
    assert!(!run.stderr.contains("wrong-password"), "{run:?}");
    assert!(!wrong.path("x.wasm").exists());
}
