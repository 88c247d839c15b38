//! What `wkg oci push` needs to know of a wasm file, read in one streaming
//! pass: its size, the imports and exports that go into the wasm OCI
//! config, and for files up to 16 MiB its sha256 digest (larger ones are
//! hashed once, on their way to the registry: see
//! [`Client::push_blob`](crate::oci::Client::push_blob)).
//!
//! For a component the top-level import and export names are read straight
//! from its sections (the bulk, the nested core modules, is hashed or
//! skipped), so memory stays bounded whatever the size of the file. A binary with no code
//! is a WIT package, whatever its size: it is decoded with wit-component, whose
//! exports are each world and interface of the package, as wkg reports them.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use wasmparser::{BinaryReader, ComponentExportSectionReader, ComponentImportSectionReader};
use wit_component::DecodedWasm;
use wkg_core::digest::Digest;
use wkg_core::publish::PackageMetadata;

/// Binaries without code are kept in memory up to this size for decoding.
const MAX_TYPES_ONLY: usize = 16 * 1024 * 1024;

/// Files up to this many bytes are hashed as they are inspected: cheap, and
/// then a push learns from a `HEAD` whether the registry has the blob
/// before sending it.
pub const HASH_FIRST: u64 = 16 * 1024 * 1024;

/// The facts of a wasm file that an OCI push records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The sha256 digest, when the file was hashed (bytes in memory, and
    /// files up to [`HASH_FIRST`] bytes).
    pub digest: Option<Digest>,
    pub size: u64,
    pub imports: Vec<String>,
    pub exports: Vec<String>,
    /// The name of the package when the file is a WIT package, not a
    /// component.
    pub wit_package: Option<wit_parser::PackageName>,
    /// The header and the top-level wasm-metadata custom sections
    /// (`authors`, `description`, …): a small wasm binary holding only
    /// the metadata, for [`Inspection::package_metadata`].
    metadata: Vec<u8>,
}

/// Custom sections that carry wasm-metadata's package metadata.
const METADATA_SECTIONS: &[&str] = &[
    "authors",
    "description",
    "licenses",
    "source",
    "homepage",
    "revision",
    "version",
];

/// Metadata sections larger than this are skipped.
const MAX_METADATA_SECTION: u32 = 1024 * 1024;

impl Inspection {
    /// The package metadata of the top-level custom sections, as
    /// wasm-metadata reads it (wkg-behaviour §4.6).
    ///
    /// # Errors
    /// A metadata section wasm-metadata cannot parse (e.g. an invalid SPDX
    /// expression in `licenses`).
    pub fn package_metadata(&self) -> Result<PackageMetadata, crate::error::BoxError> {
        let payload = wasm_metadata::Payload::from_binary(&self.metadata)?;
        let m = payload.metadata();
        Ok(PackageMetadata {
            description: m.description.as_ref().map(ToString::to_string),
            licenses: m.licenses.as_ref().map(ToString::to_string),
            source: m.source.as_ref().map(ToString::to_string),
            homepage: m.homepage.as_ref().map(ToString::to_string),
            authors: m.authors.as_ref().map(ToString::to_string),
        })
    }
}

/// Reads a custom section of `len` bytes; appends it to `out` when it is a
/// wasm-metadata section, else skips it without holding it.
fn keep_metadata<R: Read + Seek>(
    r: &mut Hashing<R>,
    len: u32,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut counted = Counting {
        inner: &mut *r,
        read: 0,
    };
    let name_len = read_leb_u32(&mut counted)?;
    let header_len = counted.read;
    if name_len > 64 || u64::from(name_len) + header_len > u64::from(len) {
        return r.skip(u64::from(len) - header_len);
    }
    let mut name = vec![0u8; name_len as usize];
    r.read_exact(&mut name)?;
    let rest = u64::from(len) - header_len - u64::from(name_len);
    let wanted = std::str::from_utf8(&name).is_ok_and(|n| METADATA_SECTIONS.contains(&n));
    if !wanted || len > MAX_METADATA_SECTION {
        return r.skip(rest);
    }
    let mut data = vec![0u8; rest as usize];
    r.read_exact(&mut data)?;
    out.push(0);
    push_leb(out, len);
    push_leb(out, name_len);
    out.extend_from_slice(&name);
    out.extend_from_slice(&data);
    Ok(())
}

fn push_leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Why a file cannot be pushed as a wasm artifact.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    #[error("reading `{path}`")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` is a directory, not a wasm file")]
    Directory(String),
    #[error("`{0}` is not a wasm binary (no `\\0asm` header)")]
    NotWasm(String),
    #[error(
        "`{0}` is a core wasm module, not a component; make it a component first \
         (for example with `wasm-tools component new`)"
    )]
    CoreModule(String),
    #[error("`{path}` is a malformed component: {reason}")]
    Malformed { path: String, reason: String },
}

crate::debug_as_message!(InspectError);

/// Reads `path` once: hashes every byte and collects imports and exports.
///
/// # Errors
/// [`InspectError`] for unreadable files, non-wasm files, core modules and
/// malformed components.
pub fn inspect(path: &Path) -> Result<Inspection, InspectError> {
    let shown = path.display().to_string();
    let io = |source| InspectError::Io {
        path: shown.clone(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if metadata.is_dir() {
        return Err(InspectError::Directory(shown));
    }
    let len = metadata.len();
    let reader = BufReader::with_capacity(1024 * 1024, file);
    inspect_reader(reader, len, len <= HASH_FIRST, shown)
}

/// [`inspect`] for bytes in memory (a package just built), always hashed;
/// `shown` names them in errors.
///
/// # Errors
/// As [`inspect`].
pub fn inspect_bytes(bytes: &[u8], shown: &str) -> Result<Inspection, InspectError> {
    inspect_reader(
        Cursor::new(bytes),
        bytes.len() as u64,
        true,
        shown.to_owned(),
    )
}

/// Reads the `len` bytes of `reader`, hashing them when `hash` is set and
/// otherwise seeking past what is not parsed.
fn inspect_reader(
    reader: impl Read + Seek,
    len: u64,
    hash: bool,
    shown: String,
) -> Result<Inspection, InspectError> {
    let io = |source| InspectError::Io {
        path: shown.clone(),
        source,
    };
    let malformed = |reason: String| InspectError::Malformed {
        path: shown.clone(),
        reason,
    };
    let mut r = Hashing {
        inner: reader,
        verifier: hash.then(crate::hash::Sha256::new),
        bytes: 0,
        copy: Some(Vec::new()),
    };

    let mut header = [0u8; 8];
    if r.read_exact(&mut header).is_err() || &header[..4] != b"\0asm" {
        return Err(InspectError::NotWasm(shown));
    }
    match u16::from_le_bytes([header[6], header[7]]) {
        0 => return Err(InspectError::CoreModule(shown)),
        1 => {}
        layer => return Err(malformed(format!("unknown binary layer {layer}"))),
    }

    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut metadata = header.to_vec();
    let mut has_code = false;
    loop {
        let mut id = [0u8; 1];
        if r.read(&mut id).map_err(io)? == 0 {
            break;
        }
        let len = read_leb_u32(&mut r).map_err(|e| malformed(e.to_string()))?;
        let offset = r.bytes;
        match id[0] {
            // Component import (10) and export (11) sections: small, parsed.
            10 | 11 => {
                let mut section = vec![0u8; len as usize];
                r.read_exact(&mut section)
                    .map_err(|e| malformed(e.to_string()))?;
                let reader = BinaryReader::new(&section, offset);
                let names = if id[0] == 10 {
                    &mut imports
                } else {
                    &mut exports
                };
                collect_names(id[0], reader, names).map_err(|e| malformed(e.to_string()))?;
                has_code |= id[0] == 10;
            }
            // Core modules, core instances, components, instances, canonical
            // functions: code. Hashed, never held.
            1 | 2 | 4 | 5 | 8 => {
                has_code = true;
                // Only binaries without code are decoded whole.
                r.copy = None;
                r.skip(u64::from(len))
                    .map_err(|e| malformed(e.to_string()))?;
            }
            // Custom sections: the wasm-metadata ones are kept.
            0 => keep_metadata(&mut r, len, &mut metadata).map_err(|e| malformed(e.to_string()))?,
            _ => r
                .skip(u64::from(len))
                .map_err(|e| malformed(e.to_string()))?,
        }
        if has_code {
            // Only binaries without code are decoded whole.
            r.copy = None;
        }
    }
    if r.bytes != len {
        return Err(malformed(format!(
            "a section ends at byte {} of {len}: the file is truncated",
            r.bytes
        )));
    }
    let mut copy = r.copy.take();
    if !has_code && copy.is_none() {
        // A binary without code larger than the copy kept while reading: a
        // large WIT package (or a component of types only), read again
        // whole to decode it.
        let mut whole = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        r.inner
            .seek(std::io::SeekFrom::Start(0))
            .and_then(|_| r.inner.read_to_end(&mut whole))
            .map_err(io)?;
        copy = Some(whole);
    }
    let size = r.bytes;
    let digest = r.verifier.map(|v| v.finish().0);

    if !has_code
        && let Some(bytes) = copy
        && let Ok(DecodedWasm::WitPackage(resolve, package)) = wit_component::decode(&bytes)
    {
        return Ok(Inspection {
            digest,
            size,
            imports: Vec::new(),
            exports: package_exports(&resolve, package),
            wit_package: Some(resolve.packages[package].name.clone()),
            metadata,
        });
    }
    Ok(Inspection {
        digest,
        size,
        imports,
        exports,
        wit_package: None,
        metadata,
    })
}

/// Each world of the package as `ns:pkg/world[@version]`, then each
/// interface as `ns:pkg/iface[@version]`.
fn package_exports(resolve: &wit_parser::Resolve, id: wit_parser::PackageId) -> Vec<String> {
    let package = &resolve.packages[id];
    let version = package
        .name
        .version
        .as_ref()
        .map(|v| format!("@{v}"))
        .unwrap_or_default();
    let base = format!("{}:{}", package.name.namespace, package.name.name);
    let worlds = package
        .worlds
        .keys()
        .map(|name| format!("{base}/{name}{version}"));
    let interfaces = package
        .interfaces
        .values()
        .filter_map(|&i| resolve.id_of(i));
    worlds.chain(interfaces).collect()
}

fn collect_names(
    id: u8,
    reader: BinaryReader<'_>,
    names: &mut Vec<String>,
) -> wasmparser::Result<()> {
    if id == 10 {
        for import in ComponentImportSectionReader::new(reader)? {
            names.push(import?.name.full_name().into_owned());
        }
    } else {
        for export in ComponentExportSectionReader::new(reader)? {
            names.push(export?.name.full_name().into_owned());
        }
    }
    Ok(())
}

fn read_leb_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut value: u64 = 0;
    for shift in (0..35).step_by(7) {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        value |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            return u32::try_from(value)
                .map_err(|_| std::io::Error::other("section length overflows u32"));
        }
    }
    Err(std::io::Error::other(
        "section length is not a valid LEB128 u32",
    ))
}

/// A reader that counts, and hashes when `verifier` is set, everything read
/// through it and, while `copy` is `Some`, keeps a copy of up to 16 MiB.
struct Hashing<R> {
    inner: R,
    verifier: Option<crate::hash::Sha256>,
    bytes: u64,
    copy: Option<Vec<u8>>,
}

impl<R: Read + Seek> Hashing<R> {
    /// Passes `len` bytes without keeping them: reads and hashes them, or
    /// seeks past them when nothing needs their bytes.
    fn skip(&mut self, mut len: u64) -> std::io::Result<()> {
        if self.verifier.is_none() && self.copy.is_none() {
            let by = i64::try_from(len).map_err(std::io::Error::other)?;
            self.inner.seek_relative(by)?;
            self.bytes += len;
            return Ok(());
        }
        let mut buf = vec![0u8; 256 * 1024];
        while len > 0 {
            let want = usize::try_from(len).unwrap_or(buf.len()).min(buf.len());
            let n = self.read(&mut buf[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            len -= n as u64;
        }
        Ok(())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if let Some(v) = &mut self.verifier {
            v.update(&buf[..n]);
        }
        if let Some(copy) = &mut self.copy {
            if copy.len() + n <= MAX_TYPES_ONLY {
                copy.extend_from_slice(&buf[..n]);
            } else {
                self.copy = None;
            }
        }
        Ok(n)
    }
}
