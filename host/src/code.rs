//! Where the component's machine code comes from.
//!
//! `build.rs` compiles the embedded `wkg.wasm` for the target with the
//! host's engine settings, and the bytes are part of the binary, aligned to
//! a page boundary. On Unix the engine runs that code in place: the pages of
//! the binary that hold it are made executable ([`InPlace`]) and are read
//! from disk only as they run, so no start compiles, copies or writes
//! anything, the first one included. Elsewhere, and for a component given
//! at run time ([`Wkg::from_component`](crate::Wkg::from_component)), code
//! comes from the on-disk code cache, compiled into it on a miss. Code
//! compiled for a CPU other than this one (a build machine with more
//! features) is refused by wasmtime's checks and compiled again.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::{Result, format_err};

/// `align` bytes of alignment for what it holds.
#[repr(C, align(65536))]
struct Aligned<T: ?Sized>(T);

/// The build's precompiled `wkg.wasm` (empty when the build skipped it),
/// aligned for any page size up to 64 KiB.
static PRECOMPILED: &Aligned<[u8]> =
    &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/wkg.cwasm")));

/// The embedded precompiled code, if the build made it.
fn precompiled() -> Option<&'static [u8]> {
    Some(&PRECOMPILED.0).filter(|code| !code.is_empty())
}

/// The engine and the embedded component loaded from the build's code,
/// made once per process (wasmtime registers an image of code once, so
/// every [`Wkg::new`](crate::Wkg::new)(crate::Wkg::new) shares them); `None` without that
/// code, or when wasmtime refuses it (another CPU).
pub(crate) fn embedded() -> Option<(Engine, Component)> {
    static EMBEDDED: std::sync::OnceLock<Option<(Engine, Component)>> = std::sync::OnceLock::new();
    EMBEDDED
        .get_or_init(|| {
            // The code is compiled: no compiler to set up (Cranelift's
            // set-up cost `--version` 0.5 MiB of resident pages, measured).
            let mut config = runtime_config().ok()?;
            config.enable_compiler(false);
            let engine = Engine::new(&config).ok()?;
            let component = in_place(&engine, precompiled()?)?;
            Some((engine, component))
        })
        .clone()
}

/// The engine configuration at run time: the build's settings
/// ([`engine_config`](crate::engine::engine_config)), and on Unix code
/// memory published with `mprotect` wherever it lies ([`InPlace`]).
///
/// # Errors
/// None in practice (the host triple is wasmtime's own).
pub(crate) fn runtime_config() -> Result<wasmtime::Config> {
    #[allow(unused_mut)]
    let mut config = crate::engine::engine_config(None)?;
    #[cfg(unix)]
    config.with_custom_code_memory(Some(std::sync::Arc::new(InPlace)));
    Ok(config)
}

/// Makes code executable where it lies: in an anonymous mapping (code
/// compiled or copied at run time, as wasmtime does by default) or in the
/// binary's own read-only pages (the precompiled component). Only page
/// protections change; nothing is copied.
#[cfg(unix)]
#[derive(Debug)]
struct InPlace;

#[cfg(unix)]
impl wasmtime::CustomCodeMemory for InPlace {
    fn required_alignment(&self) -> usize {
        // As wasmtime asks the system (rustix's auxv reader would crash
        // under valgrind, which `benches/order.sh` runs wkg under).
        #[allow(unsafe_code)]
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(size).unwrap_or(4096)
    }

    fn publish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        // Wasmtime hands over the page-aligned text of a code image it owns
        // and will not write again: read-only and executable is its use.
        protect(ptr, len, rustix::mm::MprotectFlags::EXEC, "executable")
    }

    fn unpublish_executable(&self, ptr: *const u8, len: usize) -> wasmtime::Result<()> {
        // No code runs from the region any more; it goes back to readable
        // and writable, as the trait asks.
        protect(ptr, len, rustix::mm::MprotectFlags::WRITE, "writable")
    }
}

/// `mprotect(ptr, len, READ | also)`.
#[cfg(unix)]
fn protect(
    ptr: *const u8,
    len: usize,
    also: rustix::mm::MprotectFlags,
    what: &str,
) -> wasmtime::Result<()> {
    #[allow(unsafe_code)]
    // SAFETY: `ptr..ptr + len` is a page-aligned region of code memory that
    // wasmtime owns and passes to `CustomCodeMemory`; only its protection
    // changes, as wasmtime asks.
    unsafe {
        rustix::mm::mprotect(
            ptr.cast_mut().cast(),
            len,
            rustix::mm::MprotectFlags::READ | also,
        )
    }
    .map_err(|e| wasmtime::format_err!("making code {what}: {e}"))
}

/// The compiled component, mapped from `cache`, or compiled into `cache`
/// (or just compiled, without one).
pub(crate) fn load(
    engine: &Engine,
    bytes: &[u8],
    key: &str,
    cache: Option<&Path>,
) -> Result<Component> {
    let Some(dir) = cache else {
        return Component::new(engine, bytes).map_err(|e| format_err!("compiling wkg.wasm: {e:?}"));
    };
    let file = cache_file(engine, dir, key);
    if file.is_file()
        && let Ok(component) = deserialize(engine, &file)
    {
        return Ok(component);
    }
    let code = engine
        .precompile_component(bytes)
        .map_err(|e| format_err!("compiling wkg.wasm: {e:?}"))?;
    // A cache that cannot be written only costs the next start its speed.
    store(dir, &file, &code);
    #[allow(unsafe_code)]
    // SAFETY: `code` was produced by `precompile_component` of this engine
    // just above.
    let component = unsafe { Component::deserialize(engine, &code) }?;
    Ok(component)
}

/// The precompiled `code`, run where it lies (Unix) or copied into
/// executable memory; `None` when wasmtime refuses it (another CPU).
fn in_place(engine: &Engine, code: &'static [u8]) -> Option<Component> {
    #[allow(unsafe_code)]
    // SAFETY: the build script made these bytes with `precompile_component`
    // and the host's engine settings, and they are a `static`: they live
    // as long as the process and are never written (the trait above only
    // changes their protection). wasmtime checks the artifact's header and
    // refuses code for another version, configuration or CPU.
    #[cfg(unix)]
    let loaded = unsafe { Component::deserialize_raw(engine, std::ptr::NonNull::from(code)) };
    #[allow(unsafe_code)]
    // SAFETY: as above; here the bytes are copied first.
    #[cfg(not(unix))]
    let loaded = unsafe { Component::deserialize(engine, code) };
    loaded.ok()
}

/// `<dir>/wkg-<key>-<engine hash>.cwasm`.
fn cache_file(engine: &Engine, dir: &Path, key: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!("wkg-{key}-{:016x}.cwasm", hasher.finish()))
}

/// Writes `code` to `file` in the cache `dir` through a temporary file.
fn store(dir: &Path, file: &Path, code: &[u8]) {
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    prune(dir);
    let temp = dir.join(format!(".{}.tmp", std::process::id()));
    if fs::write(&temp, code).is_err() || fs::rename(&temp, file).is_err() {
        let _ = fs::remove_file(&temp);
    }
}

/// Entries of other builds kept beside a new one: switching between a few
/// builds (an installed wkg, one under development) does not recompile.
const KEEP_OTHER_BUILDS: usize = 3;

/// Removes all but the newest [`KEEP_OTHER_BUILDS`] entries, so the cache
/// does not grow with every build of `wkg.wasm`.
fn prune(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut code: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("wkg-") && name.ends_with(".cwasm")
        })
        .map(|e| {
            let modified = e.metadata().and_then(|m| m.modified());
            (modified.unwrap_or(std::time::UNIX_EPOCH), e.path())
        })
        .collect();
    code.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, stale) in code.into_iter().skip(KEEP_OTHER_BUILDS) {
        let _ = fs::remove_file(stale);
    }
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, file: &Path) -> Result<Component> {
    // SAFETY: the file is one this host wrote into its own cache directory
    // with `precompile_component`, named after the hash of the component and
    // of the engine's compatibility settings; wasmtime checks the header of
    // the artifact and refuses code from another version or configuration.
    unsafe { Component::deserialize_file(engine, file) }
}

/// Where compiled code is kept between runs.
#[derive(Debug, Clone)]
pub enum CodeCache {
    /// `$WKG_HOST_CACHE_DIR`, else `$XDG_CACHE_HOME/wkg/compiled`, else
    /// `$HOME/.cache/wkg/compiled`; no cache when none is set.
    Default,
    /// This directory (created if missing).
    Dir(PathBuf),
    /// Compile on every [`Wkg::new`](crate::Wkg::new).
    None,
}

impl CodeCache {
    pub(crate) fn dir(&self) -> Option<PathBuf> {
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
