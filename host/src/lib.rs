//! Runs the `wkg` component (`wkg.wasm`, embedded in this crate) natively
//! with wasmtime: WASI 0.2 and wasi:http linked, arguments, environment and
//! preopened directories chosen by the embedder, the exit code returned.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
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
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

mod code;
mod engine;
mod helpers;
mod outgoing;
mod proxy;
mod tls;

pub use outgoing::HostPolicy;
use outgoing::Outgoing;
pub use proxy::Proxies;
pub use tls::Trust;

/// The `wkg.wasm` component built from `guest/`.
pub static WKG_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wkg.wasm"));
const WKG_WASM_SHA256: &str = env!("WKG_GUEST_SHA256");

/// Exit code reported when the component traps (a bug in the component),
/// as `wasmtime run` reports an abort.
pub const TRAP_EXIT_CODE: i32 = 134;

/// Where compiled code is kept between runs.
#[derive(Debug, Clone)]
pub enum CodeCache {
    /// `$WKG_HOST_CACHE_DIR`, else `$XDG_CACHE_HOME/wkg/compiled`, else
    /// `$HOME/.cache/wkg/compiled`; no cache when none is set.
    Default,
    /// This directory (created if missing).
    Dir(PathBuf),
    /// Compile on every [`Wkg::new`].
    None,
}

impl CodeCache {
    fn dir(&self) -> Option<PathBuf> {
        match self {
            CodeCache::Dir(d) => Some(d.clone()),
            CodeCache::None => None,
            CodeCache::Default => {
                let var = |k| {
                    std::env::var_os(k)
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from)
                };
                var("WKG_HOST_CACHE_DIR")
                    .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("wkg/compiled")))
                    .or_else(|| var("HOME").map(|d| d.join(".cache/wkg/compiled")))
            }
        }
    }
}

/// Typed bindings of `wit/client.wit`, the interface `wkg.wasm` exports
/// beside `wasi:cli/run`.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "client",
        exports: { default: async },
    });
}

pub use bindings::exports::wasm_pkg::client::registry::{
    Error as RegistryError, Options as RegistryOptions, Release,
};

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

/// A directory of the host made visible to the component.
#[derive(Debug, Clone)]
pub struct Preopen {
    /// The directory on the host.
    pub host: PathBuf,
    /// The path the component sees (`.` for its working directory).
    pub guest: String,
    /// Whether the component may write in it.
    pub writable: bool,
}

/// Where the component's stdout or stderr goes.
#[derive(Debug, Clone, Default)]
pub enum Output {
    /// The host process's own stream.
    #[default]
    Inherit,
    /// An in-memory buffer of at most this many bytes, read back from
    /// [`Outcome`].
    Capture(usize),
}

/// One run of the component: its command line, environment, files and
/// network reach.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub preopens: Vec<Preopen>,
    pub stdout: Output,
    pub stderr: Output,
    /// The hosts its wasi:http requests may go to.
    pub hosts: HostPolicy,
    /// The TLS certificates its https requests trust beyond the Mozilla
    /// roots.
    pub trust: Trust,
    /// The HTTP proxies its requests go through ([`Proxies::from_env`]);
    /// none by default.
    pub proxies: Proxies,
    /// A docker `config.json` (a host path) whose credential helpers
    /// (`credsStore`, `credHelpers`) the host runs when the component asks
    /// for a server's credential; the component then sees
    /// `WKG_HOST_CREDENTIAL_HELPERS=1`. `None`: no helper is run, and the
    /// component goes on without such credentials.
    pub credential_helpers: Option<PathBuf>,
}

impl Invocation {
    /// A run with `args` (the first is the program name), no environment,
    /// no directories and the host's stdout and stderr.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Invocation {
            args: args.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Adds the environment variable `name=value`.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Makes the host directory `host` visible at `guest` (`.` for the
    /// working directory), writable or read-only.
    pub fn preopen(
        mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
        writable: bool,
    ) -> Self {
        self.preopens.push(Preopen {
            host: host.into(),
            guest: guest.into(),
            writable,
        });
        self
    }

    /// Lets HTTP requests go only to these hosts (`host` or `host:port`),
    /// in addition to any allowed before.
    pub fn allow_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let more = hosts.into_iter().map(Into::into);
        self.hosts = match self.hosts {
            HostPolicy::Any => HostPolicy::Only(more.collect()),
            HostPolicy::Only(mut hosts) => {
                hosts.extend(more);
                HostPolicy::Only(hosts)
            }
        };
        self
    }

    /// Trusts the certificates in PEM `pem` as roots for every host.
    ///
    /// # Errors
    /// Malformed PEM, or no certificate in it.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.trust.roots.extend(Trust::pem_certificates(pem)?);
        Ok(self)
    }

    /// Accepts any certificate from `host` (`host` or `host:port`), as
    /// wkg's `accept_invalid_certificates`.
    pub fn insecure_host(mut self, host: impl Into<String>) -> Self {
        self.trust.insecure_hosts.push(host.into());
        self
    }

    /// Sends its requests through `proxies` (for example
    /// `Proxies::from_env(|name| std::env::var(name).ok())`, as the `wkg`
    /// command does).
    pub fn proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Captures stdout and stderr, up to `limit` bytes each, for
    /// [`Outcome`] or [`Client::output`].
    pub fn capture(mut self, limit: usize) -> Self {
        self.stdout = Output::Capture(limit);
        self.stderr = Output::Capture(limit);
        self
    }

    /// Lets the host run the credential helpers that the docker
    /// `config.json` at `docker_config` names, when the component asks.
    pub fn credential_helpers(mut self, docker_config: impl Into<PathBuf>) -> Self {
        self.credential_helpers = Some(docker_config.into());
        self
    }
}

/// What a run left behind: the exit code and any captured output.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// 0 success, 1 error, 2 usage error; [`TRAP_EXIT_CODE`] for a trap.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    outgoing: Outgoing,
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
    /// # async fn demo() -> anyhow::Result<()> {
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
            .ok_or_else(|| anyhow!("this wkg.wasm does not export wasm-pkg:client/registry"))?;
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
        // A fresh key for the bodies this host hashes (wkg_core::host_digest);
        // never one from outside.
        let digest_key = digest_key()?;
        for (name, value) in &invocation.env {
            if name != wkg_core::host_digest::KEY_ENV {
                wasi.env(name, value);
            }
        }
        wasi.env(wkg_core::host_digest::KEY_ENV, &digest_key);
        if invocation.credential_helpers.is_some() {
            wasi.env(wkg_core::auth::HOST_HELPERS_ENV, "1");
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
            wasi.preopened_dir(&p.host, &p.guest, perms)
                .map_err(|e| anyhow!("opening `{}` for the component: {e}", p.host.display()))?;
        }
        let state = State {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            outgoing: Outgoing::new(
                invocation.hosts.clone(),
                invocation.trust.clone(),
                invocation.proxies.clone(),
                invocation
                    .credential_helpers
                    .clone()
                    .map(helpers::Helpers::new),
                &digest_key,
            ),
        };
        Ok((Store::new(&self.engine, state), stdout, stderr))
    }
}

/// A live `wkg` instance for typed calls into `wasm-pkg:client/registry`
/// (see [`Wkg::client`]). Each method returns the component's own
/// `Result`; the outer error is a trap (a bug in the component).
pub struct Client {
    store: Store<State>,
    bindings: bindings::Client,
    stdout: Option<MemoryOutputPipe>,
    stderr: Option<MemoryOutputPipe>,
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
        Ok(registry
            .call_resolve(&mut self.store, spec, options)
            .await?)
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
        Ok(registry
            .call_list_versions(&mut self.store, package, options)
            .await?)
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
        Ok(registry
            .call_fetch_to_file(&mut self.store, spec, path, options)
            .await?)
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
        Ok(registry
            .call_fetch_bytes(&mut self.store, spec, options)
            .await?)
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
        Ok(registry
            .call_publish(&mut self.store, path, package, options)
            .await?)
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
        Ok(registry
            .call_fetch_dependencies(&mut self.store, wit_dir, options)
            .await?)
    }

    /// What [`Output::Capture`] caught so far: (stdout, stderr).
    pub fn output(&self) -> (Vec<u8>, Vec<u8>) {
        let read = |p: &Option<MemoryOutputPipe>| {
            p.as_ref()
                .map(|p| p.contents().to_vec())
                .unwrap_or_default()
        };
        (read(&self.stdout), read(&self.stderr))
    }
}

/// A fresh [`wkg_core::host_digest`] key from the system's random source.
fn digest_key() -> Result<String> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| anyhow!("reading random bytes: {e}"))?;
    Ok(wkg_core::host_digest::key(random))
}

fn capture(output: &Output) -> Option<MemoryOutputPipe> {
    match output {
        Output::Inherit => None,
        Output::Capture(limit) => Some(MemoryOutputPipe::new(*limit)),
    }
}
