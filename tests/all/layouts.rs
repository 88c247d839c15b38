//! OCI image layouts (image-spec `image-layout.md`): `wkg oci build
//! --layout`, `oci-layout:DIR[:tag]` for push and pull, the `oci-layout`
//! registry type; checked against skopeo, which reads and writes layouts
//! independently of us, and corrupt layouts refused with nothing written.

use std::path::Path;

use crate::support::{self, Wkg};

const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");

/// `skopeo copy <from> <to>` without TLS to the test registry.
fn skopeo_copy(from: &str, to: &str) {
    let out = std::process::Command::new("skopeo")
        .args(["--insecure-policy", "copy", "--src-tls-verify=false"])
        .args(["--dest-tls-verify=false", from, to])
        .output()
        .expect("skopeo (apt-get install skopeo)");
    assert!(out.status.success(), "skopeo copy {from} {to}: {out:?}");
}

fn digest_line(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest in {stdout}"))
        .to_owned()
}

#[test]
fn what_oci_build_writes_skopeo_copies_to_a_registry_digest_unchanged() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let run = wkg.run(&["oci", "build", GREET, "--layout", "out", "--tag", "1.0.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    let built = digest_line(&run.stdout);
    // No request went anywhere; the layout is complete.
    let layout = wkg.path("out");
    assert!(layout.join("oci-layout").is_file() && layout.join("index.json").is_file());

    skopeo_copy(
        &format!("oci:{}:1.0.0", layout.display()),
        &format!("docker://{host}/layouts/built:1.0.0"),
    );
    let (status, manifest) = registry.get(
        "/v2/layouts/built/manifests/1.0.0",
        "application/vnd.oci.image.manifest.v1+json",
    );
    assert_eq!(status, 200);
    assert_eq!(crate::flavours::digest(&manifest), built);
    let run = wkg.run(&[
        "oci",
        "pull",
        "--insecure",
        &host,
        &format!("{host}/layouts/built:1.0.0"),
        "-o",
        "back.wasm",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("back.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );
    // The same artifact `oci push` pushes (same SOURCE_DATE_EPOCH-free
    // creation time: the file's modification time).
    let run = wkg.run(&[
        "oci",
        "push",
        "--insecure",
        &host,
        &format!("{host}/layouts/pushed:1.0.0"),
        GREET,
    ]);
    assert_eq!(digest_line(&run.stdout), built, "{run:?}");

    // A second tag; without one, the pull asks which.
    let run = wkg.run(&["oci", "push", "oci-layout:out:2.0.0", GREET]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = wkg.run(&["oci", "pull", "oci-layout:out", "-o", "x.wasm"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "holds 2 manifests; name one with `:tag` or `@digest` (its tags: 1.0.0, 2.0.0)"
        ),
        "{run:?}"
    );
    let run = wkg.run(&[
        "oci",
        "pull",
        &format!("oci-layout:out@{built}"),
        "-o",
        "x.wasm",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!wkg.path("out.wasm").exists());
}

#[test]
fn a_layout_skopeo_wrote_is_pulled_and_serves_as_a_registry() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let run = wkg.run(&[
        "oci",
        "push",
        "--insecure",
        &host,
        &format!("{host}/layouts/skopeo:1.0.0"),
        GREET,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let root = wkg.path("layouts");
    let layout = root.join("test/greet");
    std::fs::create_dir_all(&layout).unwrap();
    skopeo_copy(
        &format!("docker://{host}/layouts/skopeo:1.0.0"),
        &format!("oci:{}:1.0.0", layout.display()),
    );
    let run = wkg.run(&[
        "oci",
        "pull",
        "oci-layout:layouts/test/greet:1.0.0",
        "-o",
        "a.wasm",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("a.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );

    // The `oci-layout` registry type: one layout per repository.
    std::fs::write(
        wkg.path("config.toml"),
        "[namespace_registries]\ntest = \"files\"\n\n[registry.\"files\"]\noci-layout = { root = \"layouts\" }\n",
    )
    .unwrap();
    let run = wkg.run(&[
        "get",
        "--config",
        "config.toml",
        "test:greet",
        "-o",
        "got.wasm",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read(wkg.path("got.wasm")).unwrap(),
        std::fs::read(GREET).unwrap()
    );
    let run = wkg.run(&["get", "--config", "config.toml", "test:absent"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("test:absent"), "{run:?}");
}

/// A layout of the greet component at `dir`, tagged `1.0.0`; its index.
fn built(wkg: &Wkg, dir: &str) -> serde_json::Value {
    let run = wkg.run(&["oci", "build", GREET, "--layout", dir, "--tag", "1.0.0"]);
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_slice(&std::fs::read(wkg.path(dir).join("index.json")).unwrap()).unwrap()
}

fn blob(dir: &Path, digest: &str) -> std::path::PathBuf {
    dir.join("blobs/sha256")
        .join(digest.strip_prefix("sha256:").unwrap())
}

#[test]
fn a_corrupt_layout_is_refused_with_nothing_written() {
    let wkg = Wkg::new();
    let pull = |location: &str| wkg.run(&["oci", "pull", location, "-o", "out.wasm"]);

    // `index.json` naming a manifest the layout lacks.
    let index = built(&wkg, "missing");
    let manifest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
    std::fs::remove_file(blob(&wkg.path("missing"), &manifest)).unwrap();
    let run = pull("oci-layout:missing:1.0.0");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "blob `{manifest}` not found in the OCI image layout `missing`"
        )),
        "{run:?}"
    );

    // A layer whose bytes were changed.
    let manifest: serde_json::Value = {
        let index = built(&wkg, "tampered");
        let digest = index["manifests"][0]["digest"].as_str().unwrap().to_owned();
        serde_json::from_slice(&std::fs::read(blob(&wkg.path("tampered"), &digest)).unwrap())
            .unwrap()
    };
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let path = blob(&wkg.path("tampered"), layer);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let run = pull("oci-layout:tampered:1.0.0");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("blob `{layer}` in the OCI image layout")),
        "{run:?}"
    );

    // No marker; an index that is no index; an unknown tag.
    std::fs::create_dir(wkg.path("plain")).unwrap();
    let run = pull("oci-layout:plain");
    assert!(
        run.stderr
            .contains("OCI image layout `plain` not found (it has no `oci-layout` file)"),
        "{run:?}"
    );
    built(&wkg, "broken");
    std::fs::write(wkg.path("broken/index.json"), "{\"manifests\": 3}").unwrap();
    let run = pull("oci-layout:broken:1.0.0");
    assert!(run.stderr.contains("invalid `index.json`"), "{run:?}");
    let run = pull("oci-layout:tampered:9.9.9");
    assert!(
        run.stderr
            .contains("no manifest is tagged `9.9.9` (its tags: 1.0.0)"),
        "{run:?}"
    );

    assert!(!wkg.path("out.wasm").exists());
    let leftovers: Vec<String> = wkg
        .files()
        .into_iter()
        .filter(|f| f.contains(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
