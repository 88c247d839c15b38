use super::*;

const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Good {
    input: String,
    registry: &'static str,
    repository: &'static str,
    tag: Option<&'static str>,
    digest: bool,
    display: String,
}

fn good(
    input: impl Into<String>,
    registry: &'static str,
    repository: &'static str,
    tag: Option<&'static str>,
    digest: bool,
    display: impl Into<String>,
) -> Good {
    Good {
        input: input.into(),
        registry,
        repository,
        tag,
        digest,
        display: display.into(),
    }
}

#[test]
fn parses_good_references() {
    let cases = [
        good(
            "ghcr.io/webassembly/wasi/http:0.2.1",
            "ghcr.io",
            "webassembly/wasi/http",
            Some("0.2.1"),
            false,
            "ghcr.io/webassembly/wasi/http:0.2.1",
        ),
        good(
            format!("localhost:5000/a/b@{D}"),
            "localhost:5000",
            "a/b",
            None,
            true,
            format!("localhost:5000/a/b@{D}"),
        ),
        good(
            "127.0.0.1:5000/x:1.0",
            "127.0.0.1:5000",
            "x",
            Some("1.0"),
            false,
            "127.0.0.1:5000/x:1.0",
        ),
        good(
            "busybox",
            "docker.io",
            "library/busybox",
            Some("latest"),
            false,
            "docker.io/library/busybox:latest",
        ),
        good(
            "user/repo",
            "docker.io",
            "user/repo",
            Some("latest"),
            false,
            "docker.io/user/repo:latest",
        ),
        good(
            format!("a/b:t@{D}"),
            "docker.io",
            "a/b",
            Some("t"),
            true,
            format!("docker.io/a/b:t@{D}"),
        ),
        good(
            "[::1]:5000/x:y",
            "[::1]:5000",
            "x",
            Some("y"),
            false,
            "[::1]:5000/x:y",
        ),
        good(
            "localhost/foo",
            "localhost",
            "foo",
            Some("latest"),
            false,
            "localhost/foo:latest",
        ),
        good(
            "index.docker.io/busybox:1",
            "docker.io",
            "library/busybox",
            Some("1"),
            false,
            "docker.io/library/busybox:1",
        ),
        good(
            "docker.io/library/busybox:latest",
            "docker.io",
            "library/busybox",
            Some("latest"),
            false,
            "docker.io/library/busybox:latest",
        ),
        good(
            "registry.example.com/a.b/c__d/e---f_g:_T.a-g",
            "registry.example.com",
            "a.b/c__d/e---f_g",
            Some("_T.a-g"),
            false,
            "registry.example.com/a.b/c__d/e---f_g:_T.a-g",
        ),
        good(
            // no slash: `localhost:5000` is a repository with a tag, as in docker
            "localhost:5000",
            "docker.io",
            "library/localhost",
            Some("5000"),
            false,
            "docker.io/library/localhost:5000",
        ),
        good(
            format!("my-registry.local:443/ns/app@{D}"),
            "my-registry.local:443",
            "ns/app",
            None,
            true,
            format!("my-registry.local:443/ns/app@{D}"),
        ),
    ];
    for case in cases {
        let r: Reference = case
            .input
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", case.input));
        assert_eq!(r.registry(), case.registry, "{}", case.input);
        assert_eq!(r.repository(), case.repository, "{}", case.input);
        assert_eq!(r.tag(), case.tag, "{}", case.input);
        assert_eq!(
            r.digest().map(ToString::to_string),
            case.digest.then(|| D.to_owned())
        );
        assert_eq!(r.to_string(), case.display);
        assert_eq!(
            r.to_string().parse::<Reference>().unwrap(),
            r,
            "round trip {}",
            case.input
        );
    }
}

#[test]
fn rejects_bad_references() {
    let long_tag = format!("x:{}", "a".repeat(129));
    let long_repo = format!("example.com/{}", "a".repeat(256));
    let bad: &[(&str, &str)] = &[
        ("", "reference is empty"),
        (":tag", "repository is empty"),
        ("UPPER/x", "repository must be lowercase"),
        ("example.com/Foo", "repository must be lowercase"),
        ("x:", "missing tag after `:`"),
        (
            "x@sha256:short",
            "a `sha256` digest must be exactly 64 lowercase hex characters",
        ),
        ("foo@bar", "digest must be `algorithm:hex`"),
        ("x@", "missing digest after `@`"),
        (&long_tag, "tag is 129 characters long, at most 128 allowed"),
        (
            &long_repo,
            "repository is 256 characters long, at most 255 allowed",
        ),
        ("a//b", "repository component `` must match"),
        ("a/-b", "repository component `-b` must match"),
        ("a/b_", "repository component `b_` must match"),
        ("a/b___c", "repository component `b___c` must match"),
        ("a/b..c", "repository component `b..c` must match"),
        ("a/", "repository component `` must match"),
        ("x:.tag", "tag `.tag` must match"),
        ("x:t@g", "digest must be `algorithm:hex`"),
        ("x:ta/g", "registry `x:ta` must be `host[:port]`"),
        (
            "example.com:/x",
            "registry `example.com:` must be `host[:port]`",
        ),
        (
            "example.com:abc/x",
            "registry `example.com:abc` must be `host[:port]`",
        ),
        ("-bad.com/x", "registry `-bad.com` must be `host[:port]`"),
        ("a..b/x", "registry `a..b` must be `host[:port]`"),
        ("[::1/x", "registry `[::1` must be `host[:port]`"),
        ("[]:5000/x", "registry `[]:5000` must be `host[:port]`"),
        ("[::1]x/y", "registry `[::1]x` must be `host[:port]`"),
        ("example.com/", "repository is empty"),
        ("with space", "repository component `with space` must match"),
    ];
    for (input, message) in bad {
        let err = input.parse::<Reference>().expect_err(input);
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("invalid reference `{input}`: ")),
            "{text}"
        );
        assert!(text.contains(message), "{input}: {text}");
        assert_eq!(err.input(), *input);
    }
}

#[test]
fn exact_error_messages() {
    let err = "foo@bar".parse::<Reference>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid reference `foo@bar`: digest must be `algorithm:hex`"
    );
    assert!(matches!(err.kind(), ReferenceErrorKind::InvalidDigest(_)));
    let err = "UPPER/x".parse::<Reference>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid reference `UPPER/x`: repository must be lowercase (wasm-pkg-tools#134): \
         the OCI distribution spec allows only `a-z`, `0-9` and the separators `.`, `_`, `__`, \
         `-` and `/` in repository names"
    );
    assert_eq!(err.kind(), &ReferenceErrorKind::RepositoryNotLowercase);
}

#[test]
fn length_limits_are_inclusive() {
    let tag = format!("x:{}", "a".repeat(128));
    assert!(tag.parse::<Reference>().is_ok());
    let repo = format!("example.com/{}", "a".repeat(255));
    assert!(repo.parse::<Reference>().is_ok());
    // `library/` counts towards the limit on Docker Hub.
    let hub = "a".repeat(250);
    assert!(matches!(
        hub.parse::<Reference>().unwrap_err().kind(),
        ReferenceErrorKind::RepositoryTooLong { length: 258 }
    ));
}

#[test]
fn derived_values() {
    // (input, target, api_host, credential key, file stem)
    let digest_ref = format!("localhost:5000/a/b@{D}");
    let both = format!("ghcr.io/a/b:t@{D}");
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "busybox",
            "latest",
            "index.docker.io",
            "https://index.docker.io/v1/",
            "library_busybox",
        ),
        (
            "user/repo:1",
            "1",
            "index.docker.io",
            "https://index.docker.io/v1/",
            "user_repo",
        ),
        (
            "ghcr.io/webassembly/wasi/http:0.2.1",
            "0.2.1",
            "ghcr.io",
            "ghcr.io",
            "webassembly_wasi_http",
        ),
        (&digest_ref, D, "localhost:5000", "localhost:5000", "a_b"),
        (&both, D, "ghcr.io", "ghcr.io", "a_b"),
    ];
    for (input, target, host, key, stem) in cases {
        let r: Reference = input.parse().unwrap();
        assert_eq!(r.target(), *target, "{input}");
        assert_eq!(r.api_host(), *host, "{input}");
        assert_eq!(r.docker_credential_key(), *key, "{input}");
        assert_eq!(r.file_stem(), *stem, "{input}");
    }
}

#[test]
fn with_digest_pins_and_keeps_tag() {
    let r: Reference = "ghcr.io/a/b:1".parse().unwrap();
    let pinned = r.with_digest(D.parse().unwrap());
    assert_eq!(pinned.to_string(), format!("ghcr.io/a/b:1@{D}"));
    assert_eq!(pinned.target(), D);
}

#[test]
fn serde_uses_string_form() {
    let r: Reference = "busybox".parse().unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(json, "\"docker.io/library/busybox:latest\"");
    assert_eq!(serde_json::from_str::<Reference>(&json).unwrap(), r);
    assert!(serde_json::from_str::<Reference>("\"x:\"").is_err());
}
