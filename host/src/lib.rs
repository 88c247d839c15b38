//! Runs the `wkg` component (`wkg.wasm`, embedded in this crate) natively
//! with wasmtime: WASI 0.2 and wasi:http linked, arguments, environment and
//! preopened directories chosen by the embedder, the exit code returned.
//!
//! ```no_run
//! # async fn demo() -> wasmtime::Result<()> {
//! let wkg = wkg_host::Wkg::new(wkg_host::CodeCache::Default)?;
//! let code = wkg
//!     .run(wkg_host::Invocation::new(["wkg", "--version"]))
//!     .await?;
//! assert_eq!(code, 0);
//! # Ok(())
//! # }
//! ```
//!
//! The engine and the compiled component are made once per [`Wkg`] and
//! reused by every [`Wkg::run`]. The embedded `wkg.wasm` comes compiled
//! for the target at build time: the first start copies that code into the
//! code cache (see [`CodeCache`]) and every start maps it from there, so
//! no start pays for Cranelift unless the CPU differs from the build's (or
//! the component is another one, [`Wkg::from_component`]).
//!
//! The component's HTTP requests go through this crate's own wasi:http
//! handler: only to the hosts an [`Invocation`] allows ([`HostPolicy`]),
//! over connections kept open for reuse during a run, with https trusting
//! the Mozilla roots plus the certificates of its [`Trust`].

use std::hash::{Hash, Hasher};

use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime::{Result, format_err};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

pub mod bindings;
mod client;
mod code;
mod engine;
mod helpers;
mod invocation;
mod outgoing;
mod policy;
mod proxy;
mod services;
mod tls;

pub use bindings::exports::wasm_pkg::client::registry::{
    Error as RegistryError, Options as RegistryOptions, Release,
};
pub use client::{Answer, Client};
pub use code::CodeCache;
pub use invocation::{Invocation, Outcome, Output, Preopen};
use outgoing::Outgoing;
pub use policy::HostPolicy;
pub use proxy::Proxies;
pub use tls::Trust;

/// The component built from `guest/`, which imports the host services of
/// `wit/host.wit`; [`Wkg`] provides them natively.
pub static WKG_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wkg.wasm"));

/// `wkg.wasm` as users run it under other runtimes (`wasmtime run`), push
/// to registries and compose: [`WKG_WASM`] with the wasm provider of the
/// host services (`provider/`) composed in, so it imports only WASI and
/// wasi:http. [`Wkg::from_component`] runs it too (the host services then
/// answer from wasm).
pub static WKG_WASM_STANDALONE: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/wkg-standalone.wasm"));
const WKG_WASM_SHA256: &str = env!("WKG_GUEST_SHA256");

/// Exit code reported when the component traps (a bug in the component),
/// as `wasmtime run` reports an abort.
pub const TRAP_EXIT_CODE: i32 = 134;

/// The compiled `wkg` component, ready to run any number of times.
pub struct Wkg {
    engine: Engine,
    pre: CommandPre<State>,
    /// `None` for a build of `wkg.wasm` without the export.
    client: Option<bindings::ClientPre<State>>,
}

impl std::fmt::Debug for Wkg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wkg").finish_non_exhaustive()
    }
}

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    outgoing: Outgoing,
    /// The docker credential helpers the run may use (`wkg:host/credentials`).
    helpers: Option<std::sync::Arc<helpers::Helpers>>,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outgoing,
        }
    }
}

impl Wkg {
    /// Loads the embedded component: from the code cache when it holds
    /// code for this `wkg.wasm`, this wasmtime and this CPU; else from the
    /// code compiled at build time, stored into the cache first; else (a
    /// CPU the build's code does not fit) by compiling it (seconds) and
    /// storing the result.
    ///
    /// # Errors
    /// Compilation or linking failures (bugs). An unusable cache entry is
    /// replaced, never an error.
    pub fn new(cache: CodeCache) -> Result<Wkg> {
        if let Some((engine, component)) = code::embedded() {
            return Wkg::link(engine, &component);
        }
        Wkg::build(WKG_WASM, &WKG_WASM_SHA256[..16], cache)
    }

    /// Like [`Wkg::new`], for another build of `wkg.wasm` (for example one
    /// just pulled from a registry).
    ///
    /// # Errors
    /// Bytes that are not a component, or a component that does not import
    /// only WASI 0.2 and wasi:http and export `wasi:cli/run`.
    pub fn from_component(bytes: &[u8], cache: CodeCache) -> Result<Wkg> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        Wkg::build(bytes, &format!("{:016x}", hasher.finish()), cache)
    }

    /// A new engine, with the component from the code cache or compiled.
    fn build(bytes: &[u8], key: &str, cache: CodeCache) -> Result<Wkg> {
        let engine = Engine::new(&code::runtime_config()?)?;
        let component = code::load(&engine, bytes, key, cache.dir().as_deref())?;
        Wkg::link(engine, &component)
    }

    /// Links WASI and wasi:http for `component`.
    fn link(engine: Engine, component: &wasmtime::component::Component) -> Result<Wkg> {
        let mut linker = Linker::<State>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        // The host services (`wit/host.wit`); a component with a provider
        // composed in does not import them.
        type Data = wasmtime::component::HasSelf<State>;
        bindings::wkg::host::credentials::add_to_linker::<State, Data>(&mut linker, |s| s)?;
        bindings::wkg::host::sha256::add_to_linker::<State, Data>(&mut linker, |s| s)?;
        bindings::wkg::host::network::add_to_linker::<State, Data>(&mut linker, |s| s)?;
        bindings::wkg::host::signatures::add_to_linker::<State, Data>(&mut linker, |s| s)?;
        let instance = linker.instantiate_pre(component)?;
        let client = bindings::ClientPre::new(instance.clone()).ok();
        let pre = CommandPre::new(instance)?;
        Ok(Wkg {
            engine,
            pre,
            client,
        })
    }

    /// An instance for typed calls into `wasm-pkg:client/registry`, with
    /// `invocation`'s environment and directories (its arguments are not
    /// used). Each call runs to completion; the instance keeps its state
    /// (tokens, registry metadata are not shared between calls).
    ///
    /// ```no_run
    /// # async fn demo() -> wasmtime::Result<()> {
    /// use wkg_host::{CodeCache, Invocation, RegistryOptions, Wkg};
    /// let wkg = Wkg::new(CodeCache::Default)?;
    /// let invocation = Invocation::default()
    ///     .preopen(".", ".", true)
    ///     .allow_hosts(["ghcr.io", "wasi.dev"])
    ///     .capture(1 << 20);
    /// let mut client = wkg.client(invocation).await?;
    /// let options = RegistryOptions { config: None, cache: None, registry: None };
    /// match client.resolve("wasi:http", &options).await? {
    ///     Ok(release) => println!("{} {} {}", release.package, release.version, release.digest),
    ///     Err(e) => eprintln!("{e:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// A component without the export (an older `wkg.wasm`), a preopen that
    /// cannot be opened, an instantiation failure.
    pub async fn client(&self, invocation: Invocation) -> Result<Client> {
        let pre = self
            .client
            .as_ref()
            .ok_or_else(|| format_err!("this wkg.wasm does not export wasm-pkg:client/registry"))?;
        let (mut store, stdout, stderr) = self.store(&invocation)?;
        let bindings = pre.instantiate_async(&mut store).await?;
        Ok(Client {
            store,
            bindings,
            stdout,
            stderr,
        })
    }

    /// Runs the component's `wasi:cli/run` once.
    ///
    /// # Errors
    /// A preopen that cannot be opened, or an instantiation failure. A trap
    /// inside the component is not an error: it is [`TRAP_EXIT_CODE`], with
    /// the trap printed to the host's stderr.
    pub async fn run(&self, invocation: Invocation) -> Result<i32> {
        Ok(self.run_captured(invocation).await?.code)
    }

    /// Like [`Wkg::run`], also returning what [`Output::Capture`] caught.
    ///
    /// # Errors
    /// As [`Wkg::run`].
    pub async fn run_captured(&self, invocation: Invocation) -> Result<Outcome> {
        let (mut store, stdout, stderr) = self.store(&invocation)?;
        let command = self.pre.instantiate_async(&mut store).await?;
        let code = match command.wasi_cli_run().call_run(&mut store).await {
            Ok(Ok(())) => 0,
            Ok(Err(())) => 1,
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => exit.0,
                None => {
                    eprintln!("error: the wkg component trapped: {e:?}");
                    TRAP_EXIT_CODE
                }
            },
        };
        Ok(Outcome {
            code,
            stdout: stdout.map(|p| p.contents().to_vec()).unwrap_or_default(),
            stderr: stderr.map(|p| p.contents().to_vec()).unwrap_or_default(),
        })
    }

    /// A store with `invocation`'s WASI context, and the capture pipes.
    #[allow(clippy::type_complexity)]
    fn store(
        &self,
        invocation: &Invocation,
    ) -> Result<(
        Store<State>,
        Option<MemoryOutputPipe>,
        Option<MemoryOutputPipe>,
    )> {
        let mut wasi = WasiCtx::builder();
        wasi.args(&invocation.args);
        for (name, value) in &invocation.env {
            wasi.env(name, value);
        }
        wasi.inherit_stdin()
            // File reads and writes run inline on the runtime's worker thread,
            // without a `spawn_blocking` round trip per 64 KiB (as `wasmtime run`).
            .allow_blocking_current_thread(true);
        let stdout = capture(&invocation.stdout);
        let stderr = capture(&invocation.stderr);
        match &stdout {
            Some(pipe) => wasi.stdout(pipe.clone()),
            None => wasi.inherit_stdout(),
        };
        match &stderr {
            Some(pipe) => wasi.stderr(pipe.clone()),
            None => wasi.inherit_stderr(),
        };
        for p in &invocation.preopens {
            let perms = if p.writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            wasi.preopened_dir(&p.host, &p.guest, perms).map_err(|e| {
                format_err!("opening `{}` for the component: {e}", p.host.display())
            })?;
        }
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outgoing: Outgoing::new(
                invocation.hosts.clone(),
                invocation.trust.clone(),
                invocation.proxies.clone(),
            ),
            helpers: invocation
                .credential_helpers
                .clone()
                .map(helpers::Helpers::new),
        };
        Ok((Store::new(&self.engine, state), stdout, stderr))
    }
}

fn capture(output: &Output) -> Option<MemoryOutputPipe> {
    match output {
        Output::Inherit => None,
        Output::Capture(limit) => Some(MemoryOutputPipe::new(*limit)),
    }
}
