//! Builds the guest (wasm32-wasip2) and embeds it in the host.
//!
//! The guest component imports the host services of `wit/host.wit`, which
//! the host provides natively; the build also composes the wasm provider
//! (`provider/`) into it, which makes `wkg.wasm`, the component that runs
//! under any runtime: `<target>/guest/wkg.wasm`, and
//! [`WKG_WASM_STANDALONE`] in the library.
//!
//! The guest gets its own target directory, `<target>/guest`: a nested cargo
//! on the outer build's target directory would wait forever for the lock
//! the outer build holds. Debug and release hosts share that one guest
//! build. `WKG_GUEST_WASM=<path>` embeds a prebuilt guest component instead
//! (and `WKG_PROVIDER_WASM=<path>` a prebuilt provider).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace root");
    println!("cargo:rerun-if-env-changed=WKG_GUEST_WASM");
    // The `wkg` binary is linked as a fixed-address executable on Linux (Go's
    // default on linux/amd64 too): as a PIE it has some 44,000 relative
    // relocations, whose pages the loader dirties at every start (0.7 ms of
    // a 5.6 ms `wkg --version`, measured). The library is unaffected.
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bin=wkg=-no-pie");
    }

    println!("cargo:rerun-if-env-changed=WKG_PROVIDER_WASM");
    let (wasm, provider) = match (
        env::var_os("WKG_GUEST_WASM"),
        env::var_os("WKG_PROVIDER_WASM"),
    ) {
        (Some(guest), Some(provider)) => (PathBuf::from(guest), PathBuf::from(provider)),
        (guest, provider) => {
            let (built_guest, built_provider) = build_guest(root, &out);
            (
                guest.map_or(built_guest, PathBuf::from),
                provider.map_or(built_provider, PathBuf::from),
            )
        }
    };
    let read =
        |path: &Path| fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let bytes = read(&wasm);
    fs::write(out.join("wkg.wasm"), &bytes).expect("writing OUT_DIR/wkg.wasm");
    // The component for other runtimes: the provider plugged in.
    let standalone = compose(&bytes, &read(&provider));
    fs::write(out.join("wkg-standalone.wasm"), &standalone)
        .expect("writing OUT_DIR/wkg-standalone.wasm");
    let published = guest_target_dir(&out).join("wkg.wasm");
    let _ = fs::write(&published, &standalone);
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    println!("cargo:rustc-env=WKG_GUEST_SHA256={hex}");

    // The component compiled for the target, so that no start compiles it
    // (Cranelift takes seconds on a 4.5 MB component). Empty when skipped.
    let code = precompile(&bytes).unwrap_or_default();
    fs::write(out.join("wkg.cwasm"), code).expect("writing OUT_DIR/wkg.cwasm");

    order_startup_code(root);
}

/// Links the functions a start runs next to each other (`startup.order`,
/// made by `benches/order.sh`), so the few pages of code a start touches
/// are all the binary maps: the kernel maps a binary's code 64 KiB at a
/// time around each page touched, and the start's 0.8 MiB of functions
/// spread over 20 MiB of code made 6.3 MiB resident. Only where the linker
/// is LLD (Rust's default for x86_64 Linux); a function the file names that
/// is not in the build is skipped, so a stale file costs speed, never
/// correctness. `WKG_LINK_ORDER=0` turns it off.
fn order_startup_code(root: &Path) {
    println!("cargo:rerun-if-env-changed=WKG_LINK_ORDER");
    let order = root.join("host/startup.order");
    println!("cargo:rerun-if-changed={}", order.display());
    let lld_by_default = env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu");
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if !lld_by_default
        || flags.contains("linker")
        || env::var("WKG_LINK_ORDER").as_deref() == Ok("0")
        || !order.is_file()
    {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

// The host's engine settings (`engine_config`), shared with the library.
include!("src/engine.rs");

/// `wkg.wasm` compiled with the host's engine settings for the target
/// (for this machine's CPU when it is the target, else, or with
/// `WKG_PRECOMPILE=baseline`, for the target's baseline CPU: a binary for
/// other machines, or one valgrind runs), or `None` where that is not worth it or not possible: an
/// unoptimized build (Cranelift itself unoptimized would take minutes),
/// `WKG_PRECOMPILE=0`, or a target wasmtime cannot compile for. The host
/// then compiles at its first start, as before.
fn precompile(wasm: &[u8]) -> Option<Vec<u8>> {
    println!("cargo:rerun-if-env-changed=WKG_PRECOMPILE");
    if env::var("WKG_PRECOMPILE").as_deref() == Ok("0")
        || env::var("OPT_LEVEL").as_deref() == Ok("0")
    {
        return None;
    }
    let target = env::var("TARGET").ok()?;
    let baseline = env::var("WKG_PRECOMPILE").as_deref() == Ok("baseline")
        || env::var("HOST").ok().as_deref() != Some(target.as_str());
    let config = match engine_config(baseline.then_some(target.as_str())) {
        Ok(config) => config,
        Err(e) => {
            println!("cargo:warning=not precompiling wkg.wasm for {target}: {e}");
            return None;
        }
    };
    let engine = wasmtime::Engine::new(&config).ok()?;
    match engine.precompile_component(wasm) {
        Ok(code) => Some(code),
        Err(e) => {
            println!("cargo:warning=not precompiling wkg.wasm for {target}: {e:?}");
            None
        }
    }
}

/// `guest` with `provider` plugged into its imports of `wit/host.wit`.
fn compose(guest: &[u8], provider: &[u8]) -> Vec<u8> {
    use wac_graph::types::Package;
    use wac_graph::{CompositionGraph, EncodeOptions};
    let mut graph = CompositionGraph::new();
    let mut register = |name: &str, bytes: &[u8]| {
        let package = Package::from_bytes(name, None, bytes.to_vec(), graph.types_mut())
            .unwrap_or_else(|e| panic!("reading the {name} component: {e:?}"));
        graph
            .register_package(package)
            .unwrap_or_else(|e| panic!("registering the {name} component: {e:?}"))
    };
    let provider = register("wkg:provider", provider);
    let guest = register("wkg:guest", guest);
    wac_graph::plug(&mut graph, vec![provider], guest)
        .unwrap_or_else(|e| panic!("plugging the provider into the guest: {e:?}"));
    graph
        .encode(EncodeOptions::default())
        .unwrap_or_else(|e| panic!("encoding the composed component: {e:?}"))
}

/// Builds the guest and the provider; their components' paths.
fn build_guest(root: &Path, out: &Path) -> (PathBuf, PathBuf) {
    for watched in [
        "guest/src",
        "guest/Cargo.toml",
        "guest/core/src",
        "guest/core/Cargo.toml",
        "provider/src",
        "provider/Cargo.toml",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let target_dir = guest_target_dir(out);
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--profile",
            "component",
            "--locked",
            "--package",
            "wkg-guest",
            "--package",
            "wkg-provider",
            "--target",
            "wasm32-wasip2",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's flags and target are for the host, not the guest.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
        "CARGO_LLVM_COV_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("running cargo for the guest: {e}"));
    assert!(
        status.success(),
        "building the guest failed; is the target installed? `rustup target add wasm32-wasip2`"
    );
    let built = target_dir.join("wasm32-wasip2/component");
    (built.join("wkg.wasm"), built.join("wkg_provider.wasm"))
}

/// `<target>/guest`, where `<target>` is the directory holding the outer
/// build's profile directories (`OUT_DIR` is `<target>[/<triple>]/<profile>/build/<pkg>/out`).
fn guest_target_dir(out: &Path) -> PathBuf {
    let build = out
        .ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "build"))
        .expect("OUT_DIR lies under a `build` directory");
    let profile = build.parent().expect("build has a parent");
    let mut target = profile.parent().expect("profile has a parent");
    // With `--target <triple>` the profile directories sit in `<target>/<triple>`.
    if let Ok(triple) = env::var("TARGET")
        && target.file_name().is_some_and(|n| n == triple.as_str())
    {
        target = target.parent().expect("triple directory has a parent");
    }
    target.join("guest")
}
