//! `wkg.wasm`: the `wasi:cli/run` entry point, and the
//! `wasm-pkg:client/registry` export (`wit/client.wit`) bound to
//! [`wkg_guest::api`].

use std::io::Write;

fn main() {
    let args = std::env::args().collect();
    let code = wstd::runtime::block_on(wkg_guest::cli::run(args));
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    if code != 0 {
        // `std::process::exit` collapses every failure to 1; usage errors are 2.
        wasip2::cli::exit::exit_with_code(code);
    }
}

use wkg_guest::api::{self, ApiError, ApiOptions, ApiRelease};
use wkg_guest::bindings::exports::wasm_pkg::client::registry::{Error, Guest, Options, Release};
use wkg_guest::error::Kind;

struct Component;

// The export glue wit-bindgen generates is `unsafe` (raw ABI functions).
#[allow(unsafe_code)]
mod export {
    use super::Component;
    wkg_guest::bindings::export!(Component with_types_in wkg_guest::bindings);
}

fn options(o: Options) -> ApiOptions {
    ApiOptions {
        config: o.config,
        cache: o.cache,
        registry: o.registry,
    }
}

fn release(r: ApiRelease) -> Release {
    Release {
        package: r.package,
        version: r.version,
        registry: r.registry,
        digest: r.digest,
    }
}

fn error(ApiError { kind, message }: ApiError) -> Error {
    match kind {
        Kind::NotFound => Error::NotFound(message),
        Kind::Unauthorized => Error::Unauthorized(message),
        Kind::InvalidInput => Error::InvalidInput(message),
        Kind::DigestMismatch => Error::DigestMismatch(message),
        Kind::Network => Error::Network(message),
        Kind::Other => Error::Other(message),
    }
}

/// Each export runs its async operation to completion on the wstd reactor.
impl Guest for Component {
    fn resolve(spec: String, opts: Options) -> Result<Release, Error> {
        wstd::runtime::block_on(api::resolve(&spec, &options(opts)))
            .map(release)
            .map_err(error)
    }

    fn list_versions(package: String, opts: Options) -> Result<Vec<String>, Error> {
        wstd::runtime::block_on(api::list_versions(&package, &options(opts))).map_err(error)
    }

    fn fetch_to_file(spec: String, path: String, opts: Options) -> Result<Release, Error> {
        wstd::runtime::block_on(api::fetch_to_file(&spec, &path, &options(opts)))
            .map(release)
            .map_err(error)
    }

    fn fetch_bytes(spec: String, opts: Options) -> Result<(Release, Vec<u8>), Error> {
        wstd::runtime::block_on(api::fetch_bytes(&spec, &options(opts)))
            .map(|(r, bytes)| (release(r), bytes))
            .map_err(error)
    }

    fn publish(path: String, package: Option<String>, opts: Options) -> Result<Release, Error> {
        wstd::runtime::block_on(api::publish(&path, package.as_deref(), &options(opts)))
            .map(release)
            .map_err(error)
    }

    fn fetch_dependencies(wit_dir: String, opts: Options) -> Result<Vec<Release>, Error> {
        wstd::runtime::block_on(api::fetch_dependencies(&wit_dir, &options(opts)))
            .map(|v| v.into_iter().map(release).collect())
            .map_err(error)
    }
}
