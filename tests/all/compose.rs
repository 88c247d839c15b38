//! Composition: a consumer component (`tests/consumer`, built here for
//! wasm32-wasip2) imports `wasm-pkg:client/registry`; wac-graph plugs
//! `wkg.wasm` into it; the composed component runs under the native host and
//! fetches a real package from the test registry.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Registry, Wkg};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

/// Builds `tests/consumer` (its own lock, its own target directory).
fn consumer() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = root.join("target/consumer");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
        ])
        .arg("--manifest-path")
        .arg(root.join("tests/consumer/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .expect("running cargo");
    assert!(status.success(), "building tests/consumer");
    let wasm: PathBuf = target.join("wasm32-wasip2/release/wkg-test-consumer.wasm");
    std::fs::read(wasm).unwrap()
}

/// `consumer` with `wkg.wasm` plugged into its import.
fn compose(consumer: Vec<u8>) -> Vec<u8> {
    let mut graph = CompositionGraph::new();
    let wkg = Package::from_bytes(
        "wkg:tool",
        None,
        wkg_host::WKG_WASM.to_vec(),
        graph.types_mut(),
    )
    .unwrap();
    let wkg = graph.register_package(wkg).unwrap();
    let socket = Package::from_bytes("test:consumer", None, consumer, graph.types_mut()).unwrap();
    let socket = graph.register_package(socket).unwrap();
    wac_graph::plug(&mut graph, vec![wkg], socket).unwrap();
    graph.encode(EncodeOptions::default()).unwrap()
}

#[test]
fn a_composed_consumer_fetches_through_the_export() {
    let registry = Registry::anonymous();
    let host = registry.host();
    let wkg = Wkg::new();
    std::fs::write(
        wkg.path("config.toml"),
        support::registry_config(&host, &["test"]),
    )
    .unwrap();
    std::fs::create_dir_all(wkg.path("dep")).unwrap();
    std::fs::write(
        wkg.path("dep/dep.wit"),
        "package test:dep@0.1.0;\n\ninterface api {\n  f: func();\n}\n",
    )
    .unwrap();
    let run = wkg.run(&[
        "publish",
        "dep",
        "--config",
        "config.toml",
        "--cache",
        "cache",
    ]);
    assert_eq!(run.code, 0, "{run:?}");

    let composed = compose(consumer());
    std::fs::write(wkg.path("composed.wasm"), &composed).unwrap();
    let composed_path = wkg.path("composed.wasm");
    let wkg = wkg.env("WKG_COMPONENT", composed_path.to_str().unwrap());
    let run = wkg.run(&["test:dep"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("test:dep 0.1.0 sha256:"), "{run:?}");
    let fetched = std::fs::read(wkg.path("fetched.wasm")).unwrap();
    assert_eq!(&fetched[..4], b"\0asm");
}
