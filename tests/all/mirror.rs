//! `wkg mirror`: what a lock pins, copied with its referrers into a second
//! registry and into OCI image layouts; then, with the source registry
//! stopped, `wkg fetch --locked` through the config the mirror printed
//! writes the same `deps` and lock.

use crate::deps::{command, names, seed, setup_shared, working_dir};
use crate::support::Registry;

/// The `[namespace_registries]` lines and what follows, as printed.
fn printed_config(stdout: &str) -> String {
    let at = stdout
        .find("[namespace_registries]")
        .unwrap_or_else(|| panic!("no config in {stdout}"));
    stdout[at..].to_owned()
}

#[test]
fn a_mirror_serves_a_locked_fetch_without_the_source_registry() {
    let source = Registry::anonymous();
    let wkg = working_dir(&source);
    seed(&wkg);
    let world = "package test:app@0.1.0;\n\nworld app {\n  include wasi:http/proxy@0.2.3;\n  \
                 import wasi:cli/environment@0.2.3;\n}\n";
    std::fs::create_dir_all(wkg.path("wit")).unwrap();
    std::fs::write(wkg.path("wit/world.wit"), world).unwrap();
    let run = command(&wkg, "fetch", &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let lock = std::fs::read_to_string(wkg.path("wkg.lock")).unwrap();
    let deps = names(&wkg.path("wit/deps"));

    // A signature attached to wasi:http travels with it.
    std::fs::write(wkg.path("http.sigstore.json"), "{}").unwrap();
    let host = source.host();
    let run = wkg.run(&[
        "oci",
        "attach",
        "--insecure",
        &host,
        &format!("{host}/wasi/http:0.2.3"),
        "http.sigstore.json",
        "--artifact-type",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]);
    assert_eq!(run.code, 0, "{run:?}");

    let mirror = Registry::anonymous();
    let to = format!("{}/air/gap", mirror.host());
    let run = command(&wkg, "mirror", &["--to", &to, "--insecure", &mirror.host()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("Mirrored 2 releases to "), "{run:?}");
    assert!(run.stdout.contains("; 1 referrer copied"), "{run:?}");
    let to_registry = printed_config(&run.stdout);
    assert!(
        to_registry.contains(&format!(
            "wasi = {{ registry = \"{host}\", metadata = {{ preferredProtocol = \"oci\", oci = {{ \
             registry = \"{}\", namespacePrefix = \"air/gap/\" }} }} }}",
            mirror.host()
        )),
        "{to_registry}"
    );
    // Again: everything is there already.
    let run = command(&wkg, "mirror", &["--to", &to, "--insecure", &mirror.host()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(": 0 blobs copied (0 bytes)"), "{run:?}");
    assert!(run.stdout.contains("0 manifests written"), "{run:?}");
    assert_eq!(
        mirror.requests("PUT", "/v2/air/gap/wasi/http/manifests"),
        3,
        "{}",
        mirror.log()
    );

    let run = command(&wkg, "mirror", &["--to", "oci-layout:offline"]);
    assert_eq!(run.code, 0, "{run:?}");
    let to_layout = printed_config(&run.stdout);
    assert!(
        to_layout.contains("oci-layout = { root = \"offline\" }"),
        "{to_layout}"
    );
    assert_eq!(names(&wkg.path("offline/wasi")), ["cli", "http"]);

    drop(source);
    let http = format!("\n[registry.\"{host}\".oci]\nprotocol = \"http\"\n");
    for (name, config) in [
        ("registry", format!("{to_registry}{http}")),
        ("layout", to_layout),
    ] {
        std::fs::write(wkg.path("config.toml"), config).unwrap();
        std::fs::remove_dir_all(wkg.path("wit/deps")).unwrap();
        let cache = wkg.path(&format!("cache-{name}"));
        let run = wkg.run(&[
            "fetch",
            "--locked",
            "--config",
            wkg.path("config.toml").to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(names(&wkg.path("wit/deps")), deps, "{name}");
        assert_eq!(
            std::fs::read_to_string(wkg.path("wkg.lock")).unwrap(),
            lock,
            "{name}"
        );
    }
    // The signature is listed at the mirror.
    let run = wkg.run(&[
        "oci",
        "discover",
        "--insecure",
        &mirror.host(),
        &format!("{}/air/gap/wasi/http:0.2.3", mirror.host()),
    ]);
    assert!(run.stdout.contains("(1 referrer,"), "{run:?}");
    let run = wkg.run(&["oci", "discover", "oci-layout:offline/wasi/http:0.2.3"]);
    assert!(run.stdout.contains("(1 referrer)"), "{run:?}");
}

#[test]
fn a_release_that_changed_since_it_was_locked_is_not_mirrored() {
    let (_, wkg) = setup_shared();
    let lock = "version = 1\n\n[[packages]]\nname = \"wasi:io\"\n\n[[packages.versions]]\n\
                requirement = \"=0.2.3\"\nversion = \"0.2.3\"\ndigest = \"sha256:\
                0000000000000000000000000000000000000000000000000000000000000000\"\n";
    std::fs::write(wkg.path("old.lock"), lock).unwrap();
    let mirror = Registry::anonymous();
    let run = command(
        &wkg,
        "mirror",
        &[
            "--lock",
            "old.lock",
            "--to",
            &mirror.host(),
            "--insecure",
            &mirror.host(),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("unable to mirror `wasi:io@0.2.3`")
            && run
                .stderr
                .contains("which does not hold the locked content `sha256:0000"),
        "{run:?}"
    );
    assert_eq!(mirror.requests("PUT", "/v2/"), 0, "{}", mirror.log());
    assert_eq!(mirror.requests("POST", "/v2/"), 0, "{}", mirror.log());

    let run = command(
        &wkg,
        "mirror",
        &["--lock", "none.lock", "--to", "oci-layout:x"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("no lock file at `none.lock`"),
        "{run:?}"
    );
    assert!(!wkg.path("x").exists());
}
