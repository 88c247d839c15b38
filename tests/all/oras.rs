//! The ORAS Python SDK (PyPI `oras`, installed by `tests/prerequisites.sh
//! oras` into `target/bench-tools/oras`) and wkg reading each other's
//! artifacts: a plain ORAS push of a wasm file, a referrer ORAS attached,
//! and a referrer wkg attached, pulled by ORAS.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{self, Wkg};

const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");

/// `tests/oras/client.py <args>` with the SDK's Python; its stdout.
fn oras(args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::env::var_os("WKG_TEST_ORAS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/bench-tools/oras/bin/python"));
    let out = Command::new(&python)
        .arg(root.join("tests/oras/client.py"))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (install the ORAS Python SDK with `. tests/prerequisites.sh oras`)",
                python.display()
            )
        });
    assert!(out.status.success(), "client.py {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_oras_python_sdk_and_wkg_read_each_others_artifacts() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    let greet = std::fs::read(GREET).unwrap();

    // `oras push REF greet.wasm:application/wasm`, pulled by wkg.
    std::fs::write(wkg.path("greet.wasm"), &greet).unwrap();
    let plain = format!("{host}/oras/plain:1.0.0");
    oras(&[
        "push-wasm",
        &host,
        &plain,
        wkg.path("greet.wasm").to_str().unwrap(),
    ]);
    let run = wkg.run(&[
        "oci",
        "pull",
        "--insecure",
        &host,
        &plain,
        "-o",
        "plain.wasm",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("is not a CNCF wasm artifact"),
        "{run:?}"
    );
    assert_eq!(std::fs::read(wkg.path("plain.wasm")).unwrap(), greet);

    // A component wkg pushed, with a referrer from each side.
    let subject_ref = format!("{host}/oras/subject:1.0.0");
    let run = wkg.run(&["oci", "push", "--insecure", &host, &subject_ref, GREET]);
    assert_eq!(run.code, 0, "{run:?}");
    let subject = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap()
        .to_owned();
    let (_, manifest) = registry.get(
        "/v2/oras/subject/manifests/1.0.0",
        "application/vnd.oci.image.manifest.v1+json",
    );

    std::fs::write(wkg.path("sbom.spdx.json"), "{\"spdxVersion\":\"SPDX-2.3\"}").unwrap();
    let theirs = oras(&[
        "attach",
        &host,
        &format!("{host}/oras/subject"),
        wkg.path("sbom.spdx.json").to_str().unwrap(),
        "application/spdx+json",
        "application/vnd.oci.image.manifest.v1+json",
        &subject,
        &manifest.len().to_string(),
    ]);
    let theirs = theirs.trim();
    assert!(theirs.starts_with("sha256:"), "{theirs}");
    let out = wkg.path("from-oras");
    std::fs::create_dir(&out).unwrap();
    let by_digest = format!("{host}/oras/subject@{theirs}");
    let run = wkg.run_in(&out, &["oci", "pull", "--insecure", &host, &by_digest]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("is a referrer of `{subject}`")),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("sbom.spdx.json")).unwrap(),
        "{\"spdxVersion\":\"SPDX-2.3\"}"
    );

    std::fs::write(wkg.path("greet.sigstore.json"), "{\"bundle\":true}").unwrap();
    let run = wkg.run(&[
        "oci",
        "attach",
        "--insecure",
        &host,
        &subject_ref,
        "greet.sigstore.json",
        "--artifact-type",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let ours = run
        .stdout
        .lines()
        .next()
        .unwrap()
        .rsplit_once('@')
        .unwrap()
        .1
        .to_owned();
    let pulled = wkg.path("by-oras");
    std::fs::create_dir(&pulled).unwrap();
    let files = oras(&[
        "pull",
        &host,
        &format!("{host}/oras/subject@{ours}"),
        pulled.to_str().unwrap(),
    ]);
    assert!(files.contains("greet.sigstore.json"), "{files}");
    assert_eq!(
        std::fs::read_to_string(pulled.join("greet.sigstore.json")).unwrap(),
        "{\"bundle\":true}"
    );
}
