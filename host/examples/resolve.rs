//! Embedding wkg: resolves a package spec through the component's
//! `wasm-pkg:client/registry` export and prints the release.
//!
//! ```sh
//! cargo run --release -p wkg-host --example resolve -- wasi:http
//! ```
//!
//! The component sees the working directory and, through `HOME`, the
//! global `config.toml` and cache, as the `wkg` command does.

use std::path::PathBuf;

use wkg_host::{CodeCache, Invocation, RegistryOptions, Wkg};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let spec = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "wasi:http".to_owned());
    let mut invocation = Invocation::default().preopen(std::env::current_dir()?, ".", true);
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        invocation = invocation.env("HOME", home.display().to_string());
        for dir in [".config/wasm-pkg", ".cache/wasm-pkg"] {
            let host = home.join(dir);
            if host.is_dir() {
                let guest = host.display().to_string();
                invocation = invocation.preopen(host, guest, true);
            }
        }
        let docker = home.join(".docker/config.json");
        invocation = invocation.credential_helpers(docker);
    }

    let wkg = Wkg::new(CodeCache::Default)?;
    let mut client = wkg.client(invocation).await?;
    let options = RegistryOptions {
        config: None,
        cache: None,
        registry: None,
    };
    match client.resolve(&spec, &options).await? {
        Ok(release) => {
            println!(
                "{}@{} from {}: {}",
                release.package, release.version, release.registry, release.digest
            );
            Ok(())
        }
        Err(e) => anyhow::bail!("resolving `{spec}`: {e:?}"),
    }
}
