//! `consumer <spec>`: resolves and fetches a package through the
//! `wasm-pkg:client/registry` it imports, with `config.toml` and `cache`
//! from its working directory, and writes the content to `fetched.wasm`.

wit_bindgen::generate!({
    inline: "package test:consumer;\n\nworld consumer {\n  import wasm-pkg:client/registry@0.1.0;\n}\n",
    path: "../../wit",
    generate_all,
});

use wasm_pkg::client::registry::{Options, fetch_to_file, resolve};

fn main() {
    let spec = std::env::args().nth(1).unwrap_or_default();
    let options = Options {
        config: Some("config.toml".into()),
        cache: Some("cache".into()),
        registry: None,
    };
    let outcome = resolve(&spec, &options)
        .and_then(|r| fetch_to_file(&format!("{}@{}", r.package, r.version), "fetched.wasm", &options));
    match outcome {
        Ok(release) => println!("{} {} {}", release.package, release.version, release.digest),
        Err(e) => {
            eprintln!("consumer: {e:?}");
            std::process::exit(1);
        }
    }
}
