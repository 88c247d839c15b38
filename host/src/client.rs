//! Typed calls into the component's `wasm-pkg:client/registry` export.

use wasmtime::Result;
use wasmtime::Store;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::bindings;
use crate::{RegistryError, RegistryOptions, Release, State};

/// A live `wkg` instance for typed calls into `wasm-pkg:client/registry`
/// (see [`Wkg::client`](crate::Wkg::client)). Each method returns the component's own
/// `Result`; the outer error is a trap (a bug in the component).
pub struct Client {
    pub(crate) store: Store<State>,
    pub(crate) bindings: bindings::Client,
    pub(crate) stdout: Option<MemoryOutputPipe>,
    pub(crate) stderr: Option<MemoryOutputPipe>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

/// The component's answer to one call.
pub type Answer<T> = std::result::Result<T, RegistryError>;

impl Client {
    /// The release `spec` (`namespace:name[@version]`) names.
    ///
    /// # Errors
    /// A trap.
    pub async fn resolve(
        &mut self,
        spec: &str,
        options: &RegistryOptions,
    ) -> Result<Answer<Release>> {
        let registry = self.bindings.wasm_pkg_client_registry();
        registry.call_resolve(&mut self.store, spec, options).await
    }

    /// Every version of `package`, lowest first.
    ///
    /// # Errors
    /// A trap.
    pub async fn list_versions(
        &mut self,
        package: &str,
        options: &RegistryOptions,
    ) -> Result<Answer<Vec<String>>> {
        let registry = self.bindings.wasm_pkg_client_registry();
        registry
            .call_list_versions(&mut self.store, package, options)
            .await
    }

    /// The verified content of a release, written to `path` (a path the
    /// component sees).
    ///
    /// # Errors
    /// A trap.
    pub async fn fetch_to_file(
        &mut self,
        spec: &str,
        path: &str,
        options: &RegistryOptions,
    ) -> Result<Answer<Release>> {
        let registry = self.bindings.wasm_pkg_client_registry();
        registry
            .call_fetch_to_file(&mut self.store, spec, path, options)
            .await
    }

    /// The verified content of a release, in memory.
    ///
    /// # Errors
    /// A trap.
    pub async fn fetch_bytes(
        &mut self,
        spec: &str,
        options: &RegistryOptions,
    ) -> Result<Answer<(Release, Vec<u8>)>> {
        let registry = self.bindings.wasm_pkg_client_registry();
        registry
            .call_fetch_bytes(&mut self.store, spec, options)
            .await
    }

    /// Publishes the file or WIT directory at `path`.
    ///
    /// # Errors
    /// A trap.
    pub async fn publish(
        &mut self,
        path: &str,
        package: Option<&str>,
        options: &RegistryOptions,
    ) -> Result<Answer<Release>> {
        let registry = self.bindings.wasm_pkg_client_registry();
        registry
            .call_publish(&mut self.store, path, package, options)
            .await
    }

    /// Fetches the dependencies of the WIT directory `wit_dir`.
    ///
    /// # Errors
    /// A trap.
    pub async fn fetch_dependencies(
        &mut self,
        wit_dir: &str,
        options: &RegistryOptions,
    ) -> Result<Answer<Vec<Release>>> {
        let registry = self.bindings.wasm_pkg_client_registry();
        registry
            .call_fetch_dependencies(&mut self.store, wit_dir, options)
            .await
    }

    /// What [`Output::Capture`](crate::Output::Capture) caught so far: (stdout, stderr).
    pub fn output(&self) -> (Vec<u8>, Vec<u8>) {
        let read = |p: &Option<MemoryOutputPipe>| {
            p.as_ref()
                .map(|p| p.contents().to_vec())
                .unwrap_or_default()
        };
        (read(&self.stdout), read(&self.stderr))
    }
}
