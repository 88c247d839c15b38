//! The `sigstore-forge` binary: `init`, then `sign` with the same
//! instance, gives bundles the saved trusted root verifies.

use std::process::Command;

use wkg_core::sigstore::bundle::Bundle;
use wkg_core::sigstore::trust::TrustedRoot;
use wkg_core::sigstore::verify::{Artifact, Matcher, Policy, verify};

const IDENTITY: &str = "https://github.com/forge/example/.github/workflows/ci.yml@refs/tags/v1";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn forge(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sigstore-forge"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn init_then_sign() {
    let dir = std::env::temp_dir().join(format!("sigstore-forge-cli-{}", std::process::id()));
    let dir_arg = dir.to_str().unwrap();
    assert!(forge(&["init", dir_arg]).status.success());
    let root = std::fs::read(dir.join("trusted_root.json")).unwrap();
    let root = TrustedRoot::from_json(&root).unwrap();
    let digest = [0xab; 32];
    let digest_arg = format!("sha256:{}", "ab".repeat(32));
    let policy = Policy::Identity {
        identity: Matcher::Exact(IDENTITY.into()),
        issuer: Matcher::Exact(ISSUER.into()),
    };
    for extra in [&[][..], &["--dsse"], &["--log-index", "9"]] {
        let mut args = vec![
            "sign",
            dir_arg,
            "--digest",
            &digest_arg,
            "--identity",
            IDENTITY,
            "--issuer",
            ISSUER,
            "--time",
            "1700000000",
        ];
        args.extend_from_slice(extra);
        let out = forge(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bundle = Bundle::from_json(&out.stdout).unwrap();
        verify(
            &bundle,
            &Artifact::Sha256(&digest),
            &policy,
            &root,
            1_700_000_100,
        )
        .unwrap_or_else(|e| panic!("{extra:?}: {e}"));
    }
    let out = forge(&["sign", dir_arg, "--digest", "sha256:00"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hex digits"));
    std::fs::remove_dir_all(&dir).unwrap();
}
