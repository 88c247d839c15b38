//! Referrers (distribution-spec 1.1): `wkg oci attach`, `wkg oci discover`
//! and `wkg oci pull` of a referrer, on Distribution 2.8 (no referrers
//! API: the `sha256-<hex>` fallback tag, kept with what other tools put
//! there) and through a relay that serves the referrers API in front of it.

use crate::flavours::{EMPTY, MANIFEST, digest, put_blob, put_manifest};
use crate::support::{self, Registry, Wkg};

const GREET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/greet.wasm");
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SBOM: &str = "application/spdx+json";

/// Pushes the greet component to `<host>/<repository>:1.0.0`; its manifest
/// digest.
fn push_greet(wkg: &Wkg, host: &str, repository: &str) -> String {
    let reference = format!("{host}/{repository}:1.0.0");
    let run = wkg.run(&["oci", "push", "--insecure", host, &reference, GREET]);
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap()
        .to_owned()
}

/// `wkg oci attach` of `file` (written with `content`) to `reference`; the
/// referrer's digest.
fn attach(wkg: &Wkg, host: &str, reference: &str, file: &str, content: &str, kind: &str) -> String {
    // Written once: its modification time is the referrer's creation time.
    if std::fs::read_to_string(wkg.path(file)).ok().as_deref() != Some(content) {
        std::fs::write(wkg.path(file), content).unwrap();
    }
    let run = wkg.run(&[
        "oci",
        "attach",
        "--insecure",
        host,
        reference,
        file,
        "--artifact-type",
        kind,
        "--annotation",
        "org.example.note=from wkg",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let attached = run.stdout.lines().next().unwrap();
    attached.rsplit_once('@').unwrap().1.to_owned()
}

fn discover_json(
    wkg: &Wkg,
    host: &str,
    reference: &str,
    filter: Option<&str>,
) -> serde_json::Value {
    let mut args = vec![
        "oci",
        "discover",
        "--insecure",
        host,
        reference,
        "--format",
        "json",
    ];
    if let Some(kind) = filter {
        args.extend(["--artifact-type", kind]);
    }
    let run = wkg.run(&args);
    assert_eq!(run.code, 0, "{run:?}");
    serde_json::from_str(&run.stdout).unwrap()
}

fn digests(listed: &serde_json::Value) -> Vec<String> {
    let mut d: Vec<String> = listed["referrers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["digest"].as_str().unwrap().to_owned())
        .collect();
    d.sort();
    d
}

#[test]
fn attach_discover_and_pull_through_the_fallback_tag_keeping_other_tools_entries() {
    let registry = support::shared_anonymous();
    let host = registry.host();
    let repository = "referrers/fallback";
    let wkg = Wkg::new();
    let subject = push_greet(&wkg, &host, repository);
    let reference = format!("{host}/{repository}:1.0.0");

    // Another tool's referrer, listed under the fallback tag, with a field
    // wkg does not know.
    let sbom = br#"{"spdxVersion":"SPDX-2.3"}"#;
    let (subject_bytes, _) = {
        let (status, bytes) = registry.get(&format!("/v2/{repository}/manifests/1.0.0"), MANIFEST);
        assert_eq!(status, 200);
        (bytes, ())
    };
    let theirs = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "artifactType": SBOM,
        "config": {"mediaType": EMPTY, "digest": put_blob(registry, repository, b"{}"), "size": 2},
        "layers": [{"mediaType": SBOM, "digest": put_blob(registry, repository, sbom), "size": sbom.len()}],
        "subject": {"mediaType": MANIFEST, "digest": subject, "size": subject_bytes.len()},
    });
    let theirs = serde_json::to_vec(&theirs).unwrap();
    let theirs_digest = digest(&theirs);
    put_manifest(registry, repository, &theirs_digest, MANIFEST, &theirs);
    let tag = format!("sha256-{}", subject.strip_prefix("sha256:").unwrap());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": MANIFEST, "digest": theirs_digest, "size": theirs.len(),
            "artifactType": SBOM, "annotations": {"org.example.tool": "other"},
        }],
    });
    put_manifest(
        registry,
        repository,
        &tag,
        "application/vnd.oci.image.index.v1+json",
        &serde_json::to_vec(&index).unwrap(),
    );

    let bundle = attach(
        &wkg,
        &host,
        &reference,
        "greet.sigstore.json",
        "{\"bundle\":1}",
        BUNDLE,
    );

    // The fallback index has both, the other tool's entry as it was.
    let (status, index) = registry.get(
        &format!("/v2/{repository}/manifests/{tag}"),
        "application/vnd.oci.image.index.v1+json",
    );
    assert_eq!(status, 200);
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{index}");
    assert_eq!(entries[0]["annotations"]["org.example.tool"], "other");
    assert_eq!(entries[1]["digest"], bundle.as_str());
    assert_eq!(entries[1]["artifactType"], BUNDLE);

    // Listed, all and by type.
    let all = discover_json(&wkg, &host, &reference, None);
    assert_eq!(all["subject"]["digest"], subject.as_str());
    let mut both = vec![bundle.clone(), theirs_digest.clone()];
    both.sort();
    assert_eq!(digests(&all), both);
    let bundles = discover_json(&wkg, &host, &reference, Some(BUNDLE));
    assert_eq!(digests(&bundles), std::slice::from_ref(&bundle));
    assert_eq!(
        bundles["referrers"][0]["annotations"]["org.example.note"],
        "from wkg"
    );
    let run = wkg.run(&["oci", "discover", "--insecure", &host, &reference]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("(2 referrers, from the tag `{tag}`)")),
        "{run:?}"
    );
    assert!(
        run.stdout.contains(&format!("  {BUNDLE}  {bundle}")),
        "{run:?}"
    );

    // The referrer's blob, under its title, byte for byte.
    let out = wkg.path("out");
    std::fs::create_dir(&out).unwrap();
    let by_digest = format!("{host}/{repository}@{bundle}");
    let run = wkg.run_in(&out, &["oci", "pull", "--insecure", &host, &by_digest]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("is a referrer of"), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(out.join("greet.sigstore.json")).unwrap(),
        "{\"bundle\":1}"
    );
    // The other tool's blob has no title: `-o` names the file.
    let theirs_ref = format!("{host}/{repository}@{theirs_digest}");
    let run = wkg.run_in(&out, &["oci", "pull", "--insecure", &host, &theirs_ref]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("choose one with `-o`"), "{run:?}");
    let run = wkg.run_in(
        &out,
        &[
            "oci",
            "pull",
            "--insecure",
            &host,
            &theirs_ref,
            "-o",
            "sbom.json",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read(out.join("sbom.json")).unwrap(), sbom);

    // Attaching the same file again lists it once.
    let again = attach(
        &wkg,
        &host,
        &reference,
        "greet.sigstore.json",
        "{\"bundle\":1}",
        BUNDLE,
    );
    assert_eq!(again, bundle);
    let all = discover_json(&wkg, &host, &reference, None);
    assert_eq!(digests(&all).len(), 2);
}

#[test]
fn attach_and_discover_through_the_referrers_api() {
    use support::faults::Faults;
    let registry = support::shared_anonymous();
    let relay = Faults::start(registry.port);
    relay.serve_referrers_api();
    let host = relay.host();
    let repository = "referrers/api";
    let wkg = Wkg::new();
    let subject = push_greet(&wkg, &host, repository);
    let reference = format!("{host}/{repository}:1.0.0");

    let bundle = attach(&wkg, &host, &reference, "b.json", "{}", BUNDLE);
    let sbom = attach(&wkg, &host, &reference, "s.json", "{\"spdx\":1}", SBOM);

    // The registry kept the list: no fallback tag was written.
    let tag = format!("sha256-{}", subject.strip_prefix("sha256:").unwrap());
    let (status, _) = registry.get(&format!("/v2/{repository}/manifests/{tag}"), MANIFEST);
    assert_eq!(status, 404);
    assert_eq!(
        relay.count("PUT", &format!("/v2/{repository}/manifests/sha256-")),
        0
    );

    let all = discover_json(&wkg, &host, &reference, None);
    let mut both = vec![bundle.clone(), sbom.clone()];
    both.sort();
    assert_eq!(digests(&all), both);
    let only = discover_json(&wkg, &host, &reference, Some(SBOM));
    assert_eq!(digests(&only), [sbom]);
    assert!(
        relay
            .requests()
            .iter()
            .any(|r| r.contains("/referrers/")
                && r.contains("artifactType=application%2Fspdx%2Bjson")),
        "{:?}",
        relay.requests()
    );
    let run = wkg.run(&["oci", "discover", "--insecure", &host, &reference]);
    assert!(run.stdout.contains("(2 referrers)"), "{run:?}");
    // The fallback tag is read at most once per run, beside the first
    // question to the API (so a registry without it costs no extra round
    // trip); the API's answer wins.
    let runs = relay.count("GET", &format!("/v2/{repository}/referrers/"));
    assert!(
        relay.count("GET", &format!("/v2/{repository}/manifests/sha256-")) <= runs,
        "{:?}",
        relay.requests()
    );
}

#[test]
fn a_referrer_for_a_missing_subject_is_refused_and_nothing_is_written() {
    let registry = Registry::anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    std::fs::write(wkg.path("sig.json"), "{}").unwrap();
    let run = wkg.run(&[
        "oci",
        "attach",
        "--insecure",
        &host,
        &format!("{host}/referrers/missing:1.0.0"),
        "sig.json",
        "--artifact-type",
        BUNDLE,
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("unable to attach `sig.json`")
            && run
                .stderr
                .contains("manifest `referrers/missing:1.0.0` not found"),
        "{run:?}"
    );
    assert_eq!(
        registry.requests("POST", "/v2/referrers/missing/blobs/uploads"),
        0
    );
    assert_eq!(
        registry.requests("PUT", "/v2/referrers/missing/manifests"),
        0
    );
    // Discovering the referrers of nothing says so too.
    let run = wkg.run(&[
        "oci",
        "discover",
        "--insecure",
        &host,
        &format!("{host}/referrers/missing:1.0.0"),
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not found"), "{run:?}");
}
