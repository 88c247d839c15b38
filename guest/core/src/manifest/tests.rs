use super::*;

const LAYER: &str = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
const CONFIG: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn digest(s: &str) -> Digest {
    s.parse().unwrap()
}

fn wasm_manifest() -> ImageManifest {
    let mut layer = Descriptor::new(WASM_LAYER_MEDIA_TYPE, digest(LAYER), 5);
    layer.annotations = Some(BTreeMap::from([(
        TITLE_ANNOTATION.to_owned(),
        "hello.wasm".to_owned(),
    )]));
    let annotations = BTreeMap::from([(
        "org.opencontainers.image.version".to_owned(),
        "1.0.0".to_owned(),
    )]);
    ImageManifest::wasm(
        Descriptor::new(WASM_CONFIG_MEDIA_TYPE, digest(CONFIG), 0),
        layer,
        Some(annotations),
    )
}

#[test]
fn manifest_serializes_in_wkg_field_order() {
    let json = String::from_utf8(wasm_manifest().to_json()).unwrap();
    let expected = format!(
        concat!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#,
            r#""config":{{"mediaType":"application/vnd.wasm.config.v0+json","digest":"{c}","size":0}},"#,
            r#""layers":[{{"mediaType":"application/wasm","digest":"{l}","size":5,"#,
            r#""annotations":{{"org.opencontainers.image.title":"hello.wasm"}}}}],"#,
            r#""annotations":{{"org.opencontainers.image.version":"1.0.0"}}}}"#
        ),
        c = CONFIG,
        l = LAYER
    );
    assert_eq!(json, expected);
}

#[test]
fn manifest_round_trips() {
    let manifest = wasm_manifest();
    let parsed = ImageManifest::from_json(&manifest.to_json()).unwrap();
    assert_eq!(parsed, manifest);
    assert_eq!(parsed.wasm_layer().unwrap().digest, digest(LAYER));
    assert_eq!(parsed.layer_title(), Some("hello.wasm"));

    let mut full = manifest;
    full.subject = Some(Descriptor::for_content(MANIFEST_MEDIA_TYPE, b"{}"));
    full.artifact_type = Some("application/example".to_owned());
    full.layers[0].urls = Some(vec!["https://example.com/blob".to_owned()]);
    full.layers[0].artifact_type = Some("application/x".to_owned());
    assert_eq!(ImageManifest::from_json(&full.to_json()).unwrap(), full);
}

#[test]
fn parses_docker_and_minimal_manifests() {
    let docker = format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST_MEDIA_TYPE}",
            "config":{{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"{CONFIG}","size":7}},
            "layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"{LAYER}","size":9}}],
            "unknownField":true}}"#
    );
    let m = ImageManifest::from_json(docker.as_bytes()).unwrap();
    assert_eq!(m.media_type.as_deref(), Some(DOCKER_MANIFEST_MEDIA_TYPE));
    assert_eq!(m.layers[0].size, 9);
    assert_eq!(m.layer_title(), None);

    let minimal = format!(
        r#"{{"schemaVersion":2,"config":{{"mediaType":"{WASM_CONFIG_MEDIA_TYPE}","digest":"{CONFIG}","size":1}},
            "layers":[{{"mediaType":"application/wasm","digest":"{LAYER}","size":5}}]}}"#
    );
    let m = ImageManifest::from_json(minimal.as_bytes()).unwrap();
    assert_eq!(m.media_type, None);
    assert!(m.wasm_layer().is_ok());
    assert!(
        !String::from_utf8(m.to_json())
            .unwrap()
            .contains("mediaType\":null")
    );
}

#[test]
fn from_json_errors() {
    let index = format!(r#"{{"schemaVersion":2,"mediaType":"{INDEX_MEDIA_TYPE}","manifests":[]}}"#);
    let untyped_index = r#"{"schemaVersion":2,"manifests":[]}"#.to_owned();
    let list = format!(
        r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST_LIST_MEDIA_TYPE}","manifests":[]}}"#
    );
    let v1 = format!(
        r#"{{"schemaVersion":1,"config":{{"mediaType":"x","digest":"{CONFIG}","size":1}},"layers":[]}}"#
    );
    let bad_digest =
        r#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"nope","size":1},"layers":[]}"#
            .to_owned();
    let cases: &[(&str, &str)] = &[
        (
            &index,
            "`application/vnd.oci.image.index.v1+json` is an image index, not a wasm artifact manifest",
        ),
        (
            &untyped_index,
            "`application/vnd.oci.image.index.v1+json` is an image index",
        ),
        (
            &list,
            "`application/vnd.docker.distribution.manifest.list.v2+json` is an image index",
        ),
        (&v1, "manifest schemaVersion is `1`, expected `2`"),
        ("not json", "invalid manifest: expected ident"),
        (
            "[]",
            "invalid manifest: invalid type: sequence, expected a JSON object",
        ),
        (
            r#"{"schemaVersion":2}"#,
            "invalid manifest: missing field `config`",
        ),
        (&bad_digest, "invalid manifest: invalid digest `nope`"),
    ];
    for (input, message) in cases {
        let err = ImageManifest::from_json(input.as_bytes()).expect_err(input);
        assert!(err.to_string().starts_with(message), "{input}: {err}");
    }
}

#[test]
fn wasm_layer_rules() {
    let wasm = || Descriptor::new(WASM_LAYER_MEDIA_TYPE, digest(LAYER), 5);
    let tar = || {
        Descriptor::new(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            digest(LAYER),
            5,
        )
    };
    let base = wasm_manifest();
    let with = |f: &dyn Fn(&mut ImageManifest)| {
        let mut m = base.clone();
        f(&mut m);
        m
    };
    let cases = [
        (
            with(&|m| m.layers = vec![wasm(), wasm()]),
            "manifest has 2 layers; a wasm artifact has exactly one `application/wasm` layer",
        ),
        (
            with(&|m| m.layers.clear()),
            "manifest has 0 layers; a wasm artifact has exactly one `application/wasm` layer",
        ),
        (
            with(&|m| m.layers = vec![tar()]),
            "layer media type is `application/vnd.oci.image.layer.v1.tar+gzip`, expected `application/wasm`",
        ),
        (
            with(&|m| m.config.media_type = "application/vnd.oci.image.config.v1+json".to_owned()),
            "config media type is `application/vnd.oci.image.config.v1+json`, expected `application/vnd.wasm.config.v0+json`",
        ),
        (
            with(&|m| m.media_type = Some(INDEX_MEDIA_TYPE.to_owned())),
            "`application/vnd.oci.image.index.v1+json` is an image index, not a wasm artifact manifest",
        ),
    ];
    for (manifest, message) in cases {
        assert_eq!(manifest.wasm_layer().unwrap_err().to_string(), message);
    }
    assert_eq!(base.wasm_layer().unwrap(), &base.layers[0]);
}

#[test]
fn wasm_config_serializes_nulls_like_wkg() {
    let config = WasmConfig::new(
        "2026-08-19T12:00:00.000000Z".to_owned(),
        None,
        digest(LAYER),
        vec!["wasi:http/incoming-handler@0.2.1".to_owned()],
        vec!["wasi:io/streams@0.2.1".to_owned()],
    );
    let json = String::from_utf8(config.to_json()).unwrap();
    let expected = format!(
        concat!(
            r#"{{"created":"2026-08-19T12:00:00.000000Z","author":null,"architecture":"wasm","#,
            r#""os":"wasip2","layerDigests":["{l}"],"component":{{"exports":["#,
            r#""wasi:http/incoming-handler@0.2.1"],"imports":["wasi:io/streams@0.2.1"],"target":null}}}}"#
        ),
        l = LAYER
    );
    assert_eq!(json, expected);
    assert_eq!(WasmConfig::from_json(json.as_bytes()).unwrap(), config);
}

#[test]
fn wasm_config_reads_modules_and_rejects_garbage() {
    let module = format!(
        r#"{{"created":"2024-01-01T00:00:00Z","architecture":"wasm","os":"wasip1","layerDigests":["{LAYER}"]}}"#
    );
    let config = WasmConfig::from_json(module.as_bytes()).unwrap();
    assert_eq!((config.author, config.component), (None, None));
    assert_eq!(config.os, "wasip1");

    let with_author = WasmConfig::new("t".into(), Some("me".into()), digest(LAYER), vec![], vec![]);
    assert_eq!(
        WasmConfig::from_json(&with_author.to_json()).unwrap(),
        with_author
    );

    let err = WasmConfig::from_json(b"{}").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid wasm config: missing field `created`"),
        "{err}"
    );
    let err = WasmConfig::from_json(
        br#"{"created":"t","architecture":"wasm","os":"x","layerDigests":["bad"]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("invalid digest `bad`"), "{err}");
}

#[test]
fn descriptor_for_content() {
    let d = Descriptor::for_content(WASM_LAYER_MEDIA_TYPE, b"hello");
    assert_eq!(d, Descriptor::new(WASM_LAYER_MEDIA_TYPE, digest(LAYER), 5));
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(
        json,
        format!(r#"{{"mediaType":"application/wasm","digest":"{LAYER}","size":5}}"#)
    );
}

#[test]
fn rfc3339_known_instants() {
    let cases: &[(u64, u32, &str)] = &[
        (0, 0, "1970-01-01T00:00:00.000000Z"),
        (0, 999, "1970-01-01T00:00:00.000000Z"),
        (0, 1_000, "1970-01-01T00:00:00.000001Z"),
        (94_608_000, 0, "1972-12-31T00:00:00.000000Z"),
        (946_684_799, 999_999_999, "1999-12-31T23:59:59.999999Z"),
        (951_782_400, 0, "2000-02-29T00:00:00.000000Z"),
        (951_868_800, 0, "2000-03-01T00:00:00.000000Z"),
        (1_709_164_800, 123_456_789, "2024-02-29T00:00:00.123456Z"),
        (1_787_140_800, 0, "2026-08-19T12:00:00.000000Z"),
        (2_147_483_648, 0, "2038-01-19T03:14:08.000000Z"),
        (4_107_456_000, 0, "2100-02-28T00:00:00.000000Z"),
        (4_107_542_400, 0, "2100-03-01T00:00:00.000000Z"),
        (
            253_402_300_799,
            4_000_000_000,
            "9999-12-31T23:59:59.999999Z",
        ),
    ];
    for (secs, nanos, expected) in cases {
        assert_eq!(
            format_rfc3339_utc(*secs, *nanos),
            *expected,
            "{secs}.{nanos}"
        );
    }
    // Does not panic at the extreme.
    assert!(format_rfc3339_utc(u64::MAX, u32::MAX).ends_with(".999999Z"));
}

#[test]
fn pulls_read_every_single_layer_wasm_flavour() {
    let with = |config: &str, layers: &[&str]| {
        let mut m = wasm_manifest();
        m.config.media_type = config.to_owned();
        m.layers = layers
            .iter()
            .map(|t| Descriptor::new(*t, digest(LAYER), 5))
            .collect();
        m
    };
    const EMPTY: &str = "application/vnd.oci.empty.v1+json";
    const IMAGE: &str = "application/vnd.oci.image.config.v1+json";
    const ACTOR: &str = "application/vnd.wasmcloud.actor.archive.config";
    let good: &[(&str, &[&str], Flavour)] = &[
        (
            WASM_CONFIG_MEDIA_TYPE,
            &[WASM_LAYER_MEDIA_TYPE],
            Flavour::Cncf,
        ),
        (
            EMPTY,
            &[WASM_LAYER_MEDIA_TYPE],
            Flavour::PlainWasm {
                config: EMPTY.into(),
            },
        ),
        (
            IMAGE,
            &[WASM_LAYER_MEDIA_TYPE],
            Flavour::PlainWasm {
                config: IMAGE.into(),
            },
        ),
        (
            ACTOR,
            &[LEGACY_MODULE_LAYER_MEDIA_TYPE],
            Flavour::Legacy {
                layer: LEGACY_MODULE_LAYER_MEDIA_TYPE.into(),
            },
        ),
        (
            EMPTY,
            &[LEGACY_WASM_LAYER_MEDIA_TYPE],
            Flavour::Legacy {
                layer: LEGACY_WASM_LAYER_MEDIA_TYPE.into(),
            },
        ),
    ];
    for (config, layers, flavour) in good {
        let m = with(config, layers);
        let content = m.wasm_content().unwrap_or_else(|e| panic!("{config}: {e}"));
        assert_eq!(&content.flavour, flavour);
        assert_eq!(content.layer.digest, digest(LAYER));
        assert_eq!(content.flavour.note().is_none(), *flavour == Flavour::Cncf);
    }
    let bad: &[(&str, &[&str], &str)] = &[
        (
            SPIN_APPLICATION_CONFIG_MEDIA_TYPE,
            &[
                WASM_LAYER_MEDIA_TYPE,
                "application/vnd.fermyon.spin.application.v1+config",
            ],
            "this is a Spin application (config `application/vnd.fermyon.spin.application.v1+config`), \
             not a single wasm component; Spin (`spin registry pull`) reads it",
        ),
        (
            EMPTY,
            &[WASM_LAYER_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE],
            "manifest has 2 layers; a wasm artifact has exactly one `application/wasm` layer",
        ),
        (
            EMPTY,
            &[],
            "manifest has 0 layers; a wasm artifact has exactly one `application/wasm` layer",
        ),
        (
            IMAGE,
            &["application/vnd.oci.image.layer.v1.tar+gzip"],
            "layer media type is `application/vnd.oci.image.layer.v1.tar+gzip`, expected `application/wasm`",
        ),
    ];
    for (config, layers, message) in bad {
        let e = with(config, layers).wasm_content().unwrap_err();
        assert_eq!(e.to_string(), *message);
    }
    let mut index = wasm_manifest();
    index.media_type = Some(INDEX_MEDIA_TYPE.into());
    assert!(matches!(
        index.wasm_content(),
        Err(ManifestError::ImageIndex { .. })
    ));
}
