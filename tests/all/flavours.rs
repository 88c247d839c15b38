//! Pulling what other tools push: a wasm layer with an empty or image
//! config (as `oras push x.wasm:application/wasm` writes), the legacy wasm
//! layer types, a manifest without `mediaType`; each pulled with a note,
//! and a Spin application refused with a message naming the tool that
//! reads it. The artifacts are crafted straight through the registry API.

use sha2::{Digest, Sha256};

use crate::support::{self, Registry, Wkg};

pub(crate) const EMPTY: &str = "application/vnd.oci.empty.v1+json";

pub(crate) fn digest(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// A blob upload: `POST …/blobs/uploads/`, then the bytes in one `PUT`.
pub(crate) fn put_blob(registry: &Registry, repository: &str, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let host = registry.host();
    let start = format!("http://{host}/v2/{repository}/blobs/uploads/");
    let res = agent().post(&start).send_empty().unwrap();
    assert_eq!(res.status(), 202, "starting an upload at {start}");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with('/') {
        format!("http://{host}{location}")
    } else {
        location
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let res = agent()
        .put(&format!("{location}{separator}digest={d}"))
        .header("Content-Type", "application/octet-stream")
        .send(bytes)
        .unwrap();
    assert_eq!(res.status(), 201, "finishing the upload of {d}");
    d
}

/// `PUT …/manifests/<reference>` of `bytes` as `media_type`.
pub(crate) fn put_manifest(
    registry: &Registry,
    repository: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) {
    let url = format!(
        "http://{}/v2/{repository}/manifests/{reference}",
        registry.host()
    );
    let res = agent()
        .put(&url)
        .header("Content-Type", media_type)
        .send(bytes)
        .unwrap();
    assert_eq!(res.status(), 201, "manifest push to {url}");
}

pub(crate) const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Pushes an artifact: `config` (media type, bytes), `layers` (media type,
/// bytes), the manifest with `mediaType` when `typed`, tagged `tag`;
/// returns the manifest's digest and size.
fn push(
    registry: &Registry,
    repository: &str,
    tag: &str,
    config: (&str, &[u8]),
    layers: &[(&str, &[u8])],
    typed: bool,
) -> (String, usize) {
    let descriptor = |media_type: &str, bytes: &[u8]| {
        serde_json::json!({
            "mediaType": media_type,
            "digest": put_blob(registry, repository, bytes),
            "size": bytes.len(),
        })
    };
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "config": descriptor(config.0, config.1),
        "layers": layers.iter().map(|(t, b)| descriptor(t, b)).collect::<Vec<_>>(),
    });
    if typed {
        manifest["mediaType"] = MANIFEST.into();
    }
    let bytes = serde_json::to_vec(&manifest).unwrap();
    put_manifest(registry, repository, tag, MANIFEST, &bytes);
    (digest(&bytes), bytes.len())
}

/// An index entry: manifest digest, size, platform `(os, architecture)`.
type Entry<'a> = (String, usize, Option<(&'a str, &'a str)>);

/// Pushes an index (`media_type`) of `entries` (manifest digest, size,
/// platform `(os, architecture)`), tagged `tag`.
fn push_index(
    registry: &Registry,
    repository: &str,
    tag: &str,
    media_type: &str,
    entries: &[Entry],
) {
    let entry_type = if media_type == DOCKER_LIST {
        "application/vnd.docker.distribution.manifest.v2+json"
    } else {
        MANIFEST
    };
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|(d, size, platform)| {
            let mut e = serde_json::json!({"mediaType": entry_type, "digest": d, "size": size});
            if let Some((os, architecture)) = platform {
                e["platform"] = serde_json::json!({"os": os, "architecture": architecture});
            }
            e
        })
        .collect();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": manifests,
    });
    put_manifest(
        registry,
        repository,
        tag,
        media_type,
        &serde_json::to_vec(&index).unwrap(),
    );
}

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// (repository name, config (media type, bytes), layer media type, manifest
/// with `mediaType`, the note expected).
type Case<'a> = (&'a str, (&'a str, &'a [u8]), &'a str, bool, Option<&'a str>);

/// `wkg get <spec> -o got.wasm --format wasm` with `config.toml`.
fn get_wasm(wkg: &Wkg, spec: &str) -> support::Run {
    let args = ["get", spec, "--config", "config.toml", "--cache", "cache"];
    wkg.run(&[&args[..], &["-o", "got.wasm", "--format", "wasm"]].concat())
}

#[test]
fn pulls_read_every_single_layer_wasm_flavour_with_a_note() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    let wasm: &[u8] = b"\0asm\x0d\x00\x01\x00flavoured";
    let image_config: &[u8] = br#"{"architecture":"wasm","os":"wasip2"}"#;
    let actor_config: &[u8] = br#"{"name":"actor"}"#;
    let cases: &[Case] = &[
        (
            "oras-empty",
            (EMPTY, b"{}"),
            "application/wasm",
            true,
            Some("not a CNCF wasm artifact (config `application/vnd.oci.empty.v1+json`"),
        ),
        (
            "image-config",
            ("application/vnd.oci.image.config.v1+json", image_config),
            "application/wasm",
            true,
            Some("not a CNCF wasm artifact"),
        ),
        (
            "wasmcloud-legacy",
            (
                "application/vnd.wasmcloud.actor.archive.config",
                actor_config,
            ),
            "application/vnd.module.wasm.content.layer.v1+wasm",
            true,
            Some(
                "a legacy wasm artifact (layer `application/vnd.module.wasm.content.layer.v1+wasm`)",
            ),
        ),
        (
            "wasm-to-oci-legacy",
            (EMPTY, b"{}"),
            "application/vnd.wasm.content.layer.v1+wasm",
            true,
            Some("a legacy wasm artifact"),
        ),
        (
            "untyped-cncf",
            ("application/vnd.wasm.config.v0+json", b"{}"),
            "application/wasm",
            false,
            None,
        ),
    ];
    for (name, config, layer, typed, note) in cases {
        let repository = format!("flavours/{name}");
        push(
            registry,
            &repository,
            "1.0.0",
            *config,
            &[(*layer, wasm)],
            *typed,
        );
        let reference = format!("{}/{repository}:1.0.0", registry.host());
        let out = format!("{name}.wasm");
        let run = wkg.run(&[
            "oci",
            "pull",
            &reference,
            "--insecure",
            &registry.host(),
            "-o",
            &out,
        ]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(std::fs::read(wkg.path(&out)).unwrap(), wasm, "{name}");
        match note {
            Some(note) => assert!(
                run.stderr
                    .contains(&format!("note: `{reference}` is {note}")),
                "{name}: {}",
                run.stderr
            ),
            None => assert!(!run.stderr.contains("note:"), "{name}: {}", run.stderr),
        }
    }
}

#[test]
fn a_spin_application_is_refused_naming_spin_and_nothing_is_written() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    push(
        registry,
        "flavours/spin-app",
        "1.0.0",
        ("application/vnd.fermyon.spin.application.v1+config", b"{}"),
        &[
            (
                "application/vnd.wasm.content.layer.v1+wasm",
                b"\0asm\x01\0\0\0",
            ),
            ("application/vnd.fermyon.spin.application.v1+config", b"{}"),
        ],
        true,
    );
    let reference = format!("{}/flavours/spin-app:1.0.0", registry.host());
    let run = wkg.run(&[
        "oci",
        "pull",
        &reference,
        "--insecure",
        &registry.host(),
        "-o",
        "app.wasm",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("this is a Spin application"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("spin registry pull"), "{}", run.stderr);
    assert!(!wkg.path("app.wasm").exists());
}

#[test]
fn get_reads_a_package_pushed_by_another_tool() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    // A WIT package, built by us, pushed as `oras push` would.
    std::fs::create_dir_all(wkg.path("wit")).unwrap();
    std::fs::write(
        wkg.path("wit/pkg.wit"),
        "package flavoured:pkg@1.0.0;\n\ninterface api {\n  f: func();\n}\n",
    )
    .unwrap();
    let run = wkg.run(&["build", "-o", "pkg.wasm", "--cache", "cache"]);
    assert_eq!(run.code, 0, "{run:?}");
    let bytes = std::fs::read(wkg.path("pkg.wasm")).unwrap();
    push(
        registry,
        "flavoured/pkg",
        "1.0.0",
        (EMPTY, b"{}"),
        &[("application/wasm", &bytes)],
        true,
    );
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&registry.host(), &["flavoured"]),
    )
    .unwrap();
    let run = get_wasm(&wkg, "flavoured:pkg@1.0.0");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("got.wasm")).unwrap(), bytes);
    assert!(
        run.stderr
            .contains("note: `flavoured:pkg@1.0.0` is not a CNCF wasm artifact"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_image_index_gives_its_wasm_entry_or_its_only_one() {
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    let wasm: &[u8] = b"\0asm\x0d\x00\x01\x00indexed";
    let cncf = ("application/vnd.wasm.config.v0+json", &b"{}"[..]);
    let image = ("application/vnd.oci.image.config.v1+json", &b"{}"[..]);
    let tar = "application/vnd.oci.image.layer.v1.tar+gzip";
    let repository = "flavours/indexed";
    let (w, w_size) = push(
        registry,
        repository,
        "wasm",
        cncf,
        &[("application/wasm", wasm)],
        true,
    );
    let (d, d_size) = push(
        registry,
        repository,
        "decoy",
        image,
        &[(tar, b"not wasm")],
        true,
    );
    push_index(
        registry,
        repository,
        "1.0.0",
        INDEX,
        &[
            (d.clone(), d_size, Some(("linux", "amd64"))),
            (w.clone(), w_size, Some(("wasip2", "wasm"))),
        ],
    );
    push_index(
        registry,
        repository,
        "only",
        DOCKER_LIST,
        &[(w.clone(), w_size, None)],
    );
    push_index(
        registry,
        repository,
        "no-wasm",
        INDEX,
        &[
            (d.clone(), d_size, Some(("linux", "amd64"))),
            (d.clone(), d_size, Some(("linux", "arm64"))),
        ],
    );
    let host = registry.host();
    let pull = |tag: &str, out: &str| {
        let reference = format!("{host}/{repository}:{tag}");
        wkg.run(&["oci", "pull", &reference, "--insecure", &host, "-o", out])
    };
    let run = pull("1.0.0", "index.wasm");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("index.wasm")).unwrap(), wasm);
    assert!(
        run.stderr
            .contains("is an image index; pulling its `wasip2/wasm` entry"),
        "{}",
        run.stderr
    );
    let run = pull("only", "only.wasm");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("only.wasm")).unwrap(), wasm);
    assert!(run.stderr.contains("`unknown` entry"), "{}", run.stderr);

    let run = pull("no-wasm", "none.wasm");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("the image index has no wasm entry (`os` `wasip2`, `wasip1` or `wasi`, `architecture` `wasm`); its platforms: linux/amd64, linux/arm64"),
        "{}",
        run.stderr
    );
    assert!(!wkg.path("none.wasm").exists());

    // A referrers fallback tag is no release.
    let tag = format!("sha256-{}", &w["sha256:".len()..]);
    let run = pull(&tag, "refs.wasm");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "is a referrers tag: the OCI 1.1 fallback index of what is attached to `{w}`"
        )) && run
            .stderr
            .contains(&format!("pull `{host}/{repository}@{w}`")),
        "{}",
        run.stderr
    );
    assert!(!wkg.path("refs.wasm").exists());
    let asked = format!("/v2/{repository}/manifests/{tag}");
    assert_eq!(
        registry.requests("GET", &asked),
        0,
        "refused before any request"
    );

    // A package release whose tag names an index.
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["flavours"]),
    )
    .unwrap();
    let run = get_wasm(&wkg, "flavours:indexed@1.0.0");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(wkg.path("got.wasm")).unwrap(), wasm);
    assert!(
        run.stderr.contains(
            "note: `flavours:indexed@1.0.0` is an image index; using its `wasip2/wasm` entry"
        ),
        "{}",
        run.stderr
    );
}

/// `oci push` of a tag that is not a semver version into a repository of
/// package releases warns that `get` will not see it (wasm-pkg-tools#69);
/// into any other repository it says nothing.
#[test]
fn a_non_semver_tag_among_releases_is_warned_about() {
    const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");
    let registry = support::shared_anonymous();
    let wkg = Wkg::new();
    let host = registry.host();
    let push = |repository: &str, tag: &str| {
        let reference = format!("{host}/{repository}:{tag}");
        let run = wkg.run(&["oci", "push", &reference, GREET, "--insecure", &host]);
        assert_eq!(run.code, 0, "{run:?}");
        run.stderr
    };
    let warning = "is not a semver version, and `tags/releases` holds package releases";
    let first = push("tags/releases", "1.0.0");
    assert!(!first.contains("warning"), "{first}");
    let latest = push("tags/releases", "latest");
    assert!(
        latest.contains(&format!("warning: `latest` {warning} (such as `1.0.0`)")),
        "{latest}"
    );
    let plain = push("tags/plain", "latest");
    assert!(!plain.contains("warning"), "{plain}");
}
