//! Sigstore signatures of OCI manifests: found among a manifest's
//! referrers (bundles, artifact type
//! `application/vnd.dev.sigstore.bundle.v0.3+json`, through the referrers
//! API or its fallback tag) or under cosign's `sha256-<hex>.sig` tag,
//! verified by [`wkg_core::sigstore`] against a [`Verifier`]'s policy,
//! and kept in the cache, so a locked release is checked again later with
//! no request ([`verify_cached`]).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::Path;
use std::rc::Rc;
use std::task::{Poll, Waker};

use wkg_core::config::{Pattern, SignerPolicy};
use wkg_core::digest::Digest;
use wkg_core::lock::LockedSignature;
use wkg_core::manifest::{Descriptor, ImageManifest};
use wkg_core::sigstore::bundle::{Bundle, MEDIA_TYPE_V03};
use wkg_core::sigstore::cosign::{
    SIMPLE_SIGNING as SIMPLE_SIGNING_MEDIA_TYPE, SimpleSignature, signature_tag,
    verify_simple_signing,
};
use wkg_core::sigstore::crypto::{self, Curve, Hash, VerifyingKey, offload_ecdsa, pem_block};
use wkg_core::sigstore::sign::{SigningKey, key_bundle};
use wkg_core::sigstore::trust::{PUBLIC_GOOD, TrustedRoot};
use wkg_core::sigstore::verify::{Artifact, LogRequirement, Matcher, Policy, Verified, verify};

use crate::cache::Cache;
use crate::error::Kind;
use crate::io::FileError;
use crate::oci::{self, Store};

/// The artifact type of a Sigstore bundle attached as a referrer.
pub const BUNDLE_ARTIFACT_TYPE: &str = MEDIA_TYPE_V03;

/// The most bytes read of one signature document (bundles are a few KiB).
const SIGNATURE_LIMIT: u64 = 1 << 20;

/// The most signature documents tried for one manifest.
const MAX_CANDIDATES: usize = 16;

/// Why a manifest's signatures do not satisfy a policy.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing that could be a signature.
    #[error(
        "{subject} is not signed: it has no Sigstore bundle among its referrers and no cosign \
         signature tag `{tag}`; {origin} requires one"
    )]
    Unsigned {
        subject: String,
        tag: String,
        origin: String,
    },
    /// Signatures, none of which satisfies the policy.
    #[error("{subject}: no signature satisfies {origin}: {}", reasons.join("; "))]
    Rejected {
        subject: String,
        origin: String,
        reasons: Vec<String>,
    },
    /// A lock records a signature the cache no longer holds, offline.
    #[error(
        "offline: the signature of {subject} that `wkg.lock` records ({bundle}) is not in the \
         cache; run once without `--offline` to fetch and verify it"
    )]
    NotCached { subject: String, bundle: Digest },
    /// A lock that records no signature for a release under a policy,
    /// offline.
    #[error(
        "offline: `wkg.lock` records no verified signature of {subject}, which a `[sigstore]` \
         policy requires; run once without `--offline` to verify it"
    )]
    NotLocked { subject: String },
    /// A trusted root or key that cannot be used.
    #[error("{what}")]
    Material {
        what: String,
        #[source]
        source: wkg_core::sigstore::Error,
    },
    /// A trusted root or key file that cannot be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The registry's refusal, or a transport error.
    #[error(transparent)]
    Oci(#[from] oci::Error),
}

crate::debug_as_message!(Error);

impl Error {
    pub fn kind(&self) -> Kind {
        match self {
            Error::Material { .. } => Kind::InvalidInput,
            Error::File(e) => e.kind(),
            Error::Oci(e) => e.kind(),
            Error::Unsigned { .. }
            | Error::Rejected { .. }
            | Error::NotCached { .. }
            | Error::NotLocked { .. } => Kind::Other,
        }
    }
}

/// Who must have signed, the trusted root that tells, and where the
/// policy was set (for messages).
#[derive(Debug)]
pub struct Verifier {
    policy: Policy,
    root: Rc<TrustedRoot>,
    /// `sha256:` of the key's DER SPKI, for a key policy.
    key: Option<String>,
    origin: String,
}

/// Hands the ECDSA arithmetic of signature checks to the host's
/// `wkg:host/signatures` from now on, where it offers it (the native host
/// does, several times faster than wasm; a provider in wasm does not, and
/// the checks stay here). What is checked stays here either way.
pub fn use_host_arithmetic() {
    fn host(
        curve: Curve,
        hash: Hash,
        point: &[u8],
        signed: crypto::Signed<'_>,
        signature: &[u8],
    ) -> Option<bool> {
        use crate::bindings::wkg::host::signatures as imports;
        let curve = match curve {
            Curve::P256 => imports::Curve::P256,
            Curve::P384 => imports::Curve::P384,
        };
        let hash = match hash {
            Hash::Sha256 => imports::Hash::Sha256,
            Hash::Sha384 => imports::Hash::Sha384,
            Hash::Sha512 => imports::Hash::Sha512,
        };
        let signed = match signed {
            crypto::Signed::Message(m) => imports::Signed::Message(m.to_vec()),
            crypto::Signed::Digest(d) => imports::Signed::Digest(d.to_vec()),
        };
        imports::verify_ecdsa(curve, hash, point, &signed, signature)
    }
    offload_ecdsa(host);
}

/// The trusted root in `path`, else the public-good instance's (shipped).
///
/// # Errors
/// The file cannot be read or is no trusted root.
pub fn trusted_root(path: Option<&Path>) -> Result<TrustedRoot, Error> {
    let Some(path) = path else {
        return TrustedRoot::from_json(PUBLIC_GOOD).map_err(|source| Error::Material {
            what: "the shipped trusted root".into(),
            source,
        });
    };
    let bytes = std::fs::read(path).map_err(FileError::on("reading", path))?;
    TrustedRoot::from_json(&bytes).map_err(|source| Error::Material {
        what: format!("the trusted root `{}`", path.display()),
        source,
    })
}

fn matcher(pattern: &Pattern) -> Result<Matcher, Error> {
    match pattern {
        Pattern::Exact(value) => Ok(Matcher::Exact(value.clone())),
        Pattern::Regexp(pattern) => Matcher::regex(pattern).map_err(|source| Error::Material {
            what: format!("the regular expression `{pattern}`"),
            source,
        }),
    }
}

impl Verifier {
    /// A verifier for `policy` (a key is read from its file) under `root`;
    /// `origin` says where the policy was set, e.g. ``the `[sigstore]`
    /// policy for `wasi` ``.
    ///
    /// # Errors
    /// A key file that cannot be read or holds no public key; an invalid
    /// regular expression.
    pub fn new(
        policy: &SignerPolicy,
        root: Rc<TrustedRoot>,
        origin: String,
    ) -> Result<Self, Error> {
        use_host_arithmetic();
        match policy {
            SignerPolicy::Identity { identity, issuer } => Ok(Verifier {
                policy: Policy::Identity {
                    identity: matcher(identity)?,
                    issuer: matcher(issuer)?,
                },
                root,
                key: None,
                origin,
            }),
            SignerPolicy::Key(path) => Verifier::with_key(Path::new(path), root, origin),
        }
    }

    /// A verifier for the PEM public key in `path`.
    ///
    /// # Errors
    /// As [`Verifier::new`].
    pub fn with_key(path: &Path, root: Rc<TrustedRoot>, origin: String) -> Result<Self, Error> {
        use_host_arithmetic();
        let bytes = std::fs::read(path).map_err(FileError::on("reading", path))?;
        let text = String::from_utf8_lossy(&bytes);
        let material = |source| Error::Material {
            what: format!("the key `{}`", path.display()),
            source,
        };
        let key = VerifyingKey::from_pem(&text).map_err(material)?;
        let der = pem_block(&text, "PUBLIC KEY").unwrap_or_default();
        Ok(Verifier {
            // A key is trusted explicitly: bundles of `wkg oci sign` have
            // no log entry (one that has entries must still verify).
            policy: Policy::Key {
                key,
                log: LogRequirement::Optional,
            },
            root,
            key: Some(Digest::sha256_of(&der).to_string()),
            origin,
        })
    }

    /// A verifier for an identity and an issuer given on the command line.
    ///
    /// # Errors
    /// An invalid regular expression.
    pub fn with_identity(
        identity: &Pattern,
        issuer: &Pattern,
        root: Rc<TrustedRoot>,
        origin: String,
    ) -> Result<Self, Error> {
        Verifier::new(
            &SignerPolicy::Identity {
                identity: identity.clone(),
                issuer: issuer.clone(),
            },
            root,
            origin,
        )
    }
}

/// A signature document found for a manifest, before verification.
struct Candidate {
    /// For messages: "bundle sha256:… (referrer sha256:…)".
    what: String,
    document: Document,
}

#[derive(Clone)]
enum Document {
    /// A bundle's JSON, with its digest.
    Bundle { digest: Digest, bytes: Vec<u8> },
    /// cosign's `.sig` manifest with its simple-signing layers' payloads.
    Cosign {
        digest: Digest,
        manifest: Vec<u8>,
        layers: Vec<(Descriptor, Vec<u8>)>,
    },
}

/// Now, in Unix seconds: a log entry integrated later is refused.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Document {
    fn digest(&self) -> &Digest {
        match self {
            Document::Bundle { digest, .. } | Document::Cosign { digest, .. } => digest,
        }
    }

    /// Verifies the document for `manifest` (its bytes, whose SHA-256 is
    /// `subject`): a bundle signs the manifest as [`Artifact::Manifest`]
    /// (over its SHA-256, or its bytes for an Ed25519 key).
    fn verify(
        &self,
        subject: &[u8; 32],
        manifest: &[u8],
        verifier: &Verifier,
    ) -> Result<Verified, String> {
        let now = now();
        match self {
            Document::Bundle { bytes, .. } => {
                let bundle = Bundle::from_json(bytes).map_err(|e| e.to_string())?;
                verify(
                    &bundle,
                    &Artifact::Manifest(manifest),
                    &verifier.policy,
                    &verifier.root,
                    now,
                )
                .map_err(|e| e.to_string())
            }
            Document::Cosign { layers, .. } => {
                let mut reasons = Vec::new();
                for (layer, payload) in layers {
                    let signature = SimpleSignature {
                        payload: payload.clone(),
                        annotations: layer.annotations.clone().unwrap_or_default(),
                    };
                    match verify_simple_signing(
                        &signature,
                        subject,
                        &verifier.policy,
                        &verifier.root,
                        now,
                    ) {
                        Ok(verified) => return Ok(verified),
                        Err(e) => reasons.push(format!("layer {}: {e}", layer.digest)),
                    }
                }
                if reasons.is_empty() {
                    reasons.push("it has no simple-signing layer".into());
                }
                Err(reasons.join("; "))
            }
        }
    }

    /// Keeps the document in the cache, for [`verify_cached`].
    fn keep(&self, cache: &Cache) -> Result<(), FileError> {
        match self {
            Document::Bundle { digest, bytes } => cache.put(digest, bytes),
            Document::Cosign {
                digest,
                manifest,
                layers,
            } => {
                for (layer, payload) in layers {
                    cache.put(&layer.digest, payload)?;
                }
                cache.put(digest, manifest)
            }
        }
    }
}

/// What a verification established, as `wkg.lock` records it.
fn record(
    manifest: &Digest,
    document: &Document,
    verified: &Verified,
    verifier: &Verifier,
) -> LockedSignature {
    LockedSignature {
        manifest: manifest.clone(),
        bundle: document.digest().clone(),
        identity: verified.identity.clone(),
        issuer: verified.issuer.clone(),
        key: verifier.key.clone(),
    }
}

/// A verified signature: what the lock records, and the documents to keep
/// in the cache with the content ([`Signed::keep`]).
#[derive(Debug, Clone)]
pub struct Signed {
    pub record: LockedSignature,
    document: Document,
    manifest: Vec<u8>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.digest())
    }
}

impl Signed {
    /// Writes the signed manifest and the signature into `cache`, for
    /// [`verify_cached`].
    ///
    /// # Errors
    /// The cache cannot be written.
    pub fn keep(&self, cache: &Cache) -> Result<(), FileError> {
        self.document.keep(cache)?;
        cache.put(&self.record.manifest, &self.manifest)
    }
}

/// A lull in a signature check: open once the check waits on its final
/// round trip (the signature document's blob) or is over. Work that can
/// wait, such as decoding the content, waits for it
/// ([`Lull::wait`]), so that it runs while the registry answers instead of
/// holding up the check's next request (the component has one thread).
#[derive(Debug, Default)]
pub struct Lull {
    open: Cell<bool>,
    waiting: RefCell<Option<Waker>>,
}

impl Lull {
    /// Opens it, waking what waits.
    pub fn open(&self) {
        self.open.set(true);
        if let Some(waker) = self.waiting.take() {
            waker.wake();
        }
    }

    /// Ready once it is open.
    pub async fn wait(&self) {
        std::future::poll_fn(|cx| {
            if self.open.get() {
                Poll::Ready(())
            } else {
                self.waiting.replace(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await;
    }
}

/// Finds the signatures of `manifest` (whose bytes are `manifest_bytes`)
/// in `repository` and verifies them under `verifier` until one passes:
/// first the Sigstore bundles among its referrers, then the layers of
/// cosign's `sha256-<hex>.sig` tag. Nothing is written; keep the result
/// with [`Signed::keep`] once the content is. `subject` names the
/// manifest in messages (``package `wasi:http@0.2.3` (manifest sha256:…)``).
/// `lull` opens when the check waits on its last request, or returns.
///
/// # Errors
/// [`Error::Unsigned`] when there is nothing to verify;
/// [`Error::Rejected`] with each document's reason; transport errors.
pub async fn verify_manifest(
    store: &Store,
    repository: &str,
    manifest: &Digest,
    manifest_bytes: &[u8],
    subject: &str,
    verifier: &Verifier,
    lull: &Lull,
) -> Result<Signed, Error> {
    struct OpenOnReturn<'a>(&'a Lull);
    impl Drop for OpenOnReturn<'_> {
        fn drop(&mut self) {
            self.0.open();
        }
    }
    let _open = OpenOnReturn(lull);
    let Some(hash) = manifest.sha256_bytes() else {
        return Err(Error::Rejected {
            subject: subject.to_owned(),
            origin: verifier.origin.clone(),
            reasons: vec![format!("`{manifest}` is not a SHA-256 digest")],
        });
    };
    let mut reasons = Vec::new();
    let mut found = false;
    // cosign's tag is asked for only when no bundle passes.
    for cosign in [false, true] {
        let candidates = if cosign {
            cosign_candidate(store, repository, &hash, lull).await?
        } else {
            bundle_candidates(store, repository, manifest, lull).await?
        };
        for candidate in candidates {
            found = true;
            match candidate.document.verify(&hash, manifest_bytes, verifier) {
                Ok(verified) => {
                    return Ok(Signed {
                        record: record(manifest, &candidate.document, &verified, verifier),
                        document: candidate.document,
                        manifest: manifest_bytes.to_vec(),
                    });
                }
                Err(reason) => reasons.push(format!("{}: {reason}", candidate.what)),
            }
        }
    }
    if !found {
        return Err(Error::Unsigned {
            subject: subject.to_owned(),
            tag: signature_tag(&hash),
            origin: verifier.origin.clone(),
        });
    }
    Err(Error::Rejected {
        subject: subject.to_owned(),
        origin: verifier.origin.clone(),
        reasons,
    })
}

/// The Sigstore bundles among `manifest`'s referrers. A registry without
/// the referrers API and without a fallback tag has none.
async fn bundle_candidates(
    store: &Store,
    repository: &str,
    manifest: &Digest,
    lull: &Lull,
) -> Result<Vec<Candidate>, Error> {
    let mut out = Vec::new();
    let referrers = match store.referrers(repository, manifest, None).await {
        Ok(r) => r.list,
        Err(oci::Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    for referrer in referrers
        .iter()
        .filter(|r| {
            r.artifact_type
                .as_deref()
                .is_some_and(|t| t.starts_with("application/vnd.dev.sigstore.bundle"))
        })
        .take(MAX_CANDIDATES)
    {
        let pulled = store
            .pull_manifest(repository, &referrer.digest.to_string())
            .await?;
        let what = format!("referrer {}", referrer.digest);
        let layer = ImageManifest::from_json(&pulled.bytes)
            .ok()
            .and_then(|m| m.layers.into_iter().next());
        let Some(layer) = layer else {
            out.push(Candidate {
                what,
                document: Document::Bundle {
                    digest: referrer.digest.clone(),
                    bytes: Vec::new(),
                },
            });
            continue;
        };
        // A bundle's blob is its last round trip (most manifests have one).
        lull.open();
        let bytes = store
            .pull_blob_bytes(repository, &layer, SIGNATURE_LIMIT)
            .await?;
        out.push(Candidate {
            what: format!("bundle {} ({what})", layer.digest),
            document: Document::Bundle {
                digest: layer.digest,
                bytes,
            },
        });
    }
    Ok(out)
}

/// cosign's `sha256-<hex>.sig` manifest of the manifest with SHA-256
/// `hash`, if there is one, with its simple-signing payloads.
async fn cosign_candidate(
    store: &Store,
    repository: &str,
    hash: &[u8; 32],
    lull: &Lull,
) -> Result<Vec<Candidate>, Error> {
    let mut out = Vec::new();
    let tag = signature_tag(hash);
    let pulled = match store.pull_manifest(repository, &tag).await {
        Ok(p) => p,
        Err(oci::Error::NotFound { .. }) => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    let Ok(sig) = ImageManifest::from_json(&pulled.bytes) else {
        out.push(Candidate {
            what: format!("cosign signature `{tag}`"),
            document: Document::Cosign {
                digest: pulled.digest,
                manifest: pulled.bytes,
                layers: Vec::new(),
            },
        });
        return Ok(out);
    };
    let mut layers = Vec::new();
    lull.open();
    for layer in sig
        .layers
        .into_iter()
        .filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE)
        .take(MAX_CANDIDATES)
    {
        let payload = store
            .pull_blob_bytes(repository, &layer, SIGNATURE_LIMIT)
            .await?;
        layers.push((layer, payload));
    }
    out.push(Candidate {
        what: format!("cosign signature `{tag}` ({})", pulled.digest),
        document: Document::Cosign {
            digest: pulled.digest,
            manifest: pulled.bytes,
            layers,
        },
    });
    Ok(out)
}

/// Checks again, from the cache alone, the signature `record` a lock holds
/// for the release whose content is `content`: the cached manifest must
/// hold `content` as a layer, and the cached document must verify for it
/// under `verifier`. `Ok(false)` when the cache lacks either (fetch them
/// online with [`verify_manifest`]).
///
/// # Errors
/// [`Error::Rejected`] when the cached signature no longer satisfies the
/// policy or does not cover the content.
pub fn verify_cached(
    record: &LockedSignature,
    content: &Digest,
    subject: &str,
    verifier: &Verifier,
    cache: &Cache,
) -> Result<bool, Error> {
    let rejected = |reason: String| Error::Rejected {
        subject: subject.to_owned(),
        origin: verifier.origin.clone(),
        reasons: vec![reason],
    };
    let (Some(manifest), Some(document)) =
        (cache.read(&record.manifest), cache.read(&record.bundle))
    else {
        return Ok(false);
    };
    let holds = ImageManifest::from_json(&manifest)
        .is_ok_and(|m| m.layers.iter().any(|l| &l.digest == content));
    if !holds {
        return Err(rejected(format!(
            "the locked manifest {} does not hold the locked content {content}",
            record.manifest
        )));
    }
    let document = match ImageManifest::from_json(&document) {
        // cosign's `.sig` manifest: its payloads are cached beside it.
        // (A bundle is no image manifest.)
        Ok(sig) => {
            let mut layers = Vec::new();
            for layer in sig
                .layers
                .into_iter()
                .filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE)
            {
                let Some(payload) = cache.read(&layer.digest) else {
                    return Ok(false);
                };
                layers.push((layer, payload));
            }
            Document::Cosign {
                digest: record.bundle.clone(),
                manifest: document,
                layers,
            }
        }
        _ => Document::Bundle {
            digest: record.bundle.clone(),
            bytes: document,
        },
    };
    let hash = record
        .manifest
        .sha256_bytes()
        .ok_or_else(|| rejected("not a SHA-256 digest".into()))?;
    document
        .verify(&hash, &manifest, verifier)
        .map(|_| true)
        .map_err(|reason| rejected(format!("the locked signature {}: {reason}", record.bundle)))
}

/// The PEM private key in `path`, to sign with.
///
/// # Errors
/// The file cannot be read, or holds no usable key (an encrypted one, say).
pub fn signing_key(path: &Path) -> Result<SigningKey, Error> {
    let bytes = std::fs::read(path).map_err(FileError::on("reading", path))?;
    SigningKey::from_pem(&String::from_utf8_lossy(&bytes)).map_err(|source| Error::Material {
        what: format!("the key `{}`", path.display()),
        source,
    })
}

/// Signs the manifest `subject` with `key` and attaches the bundle as its
/// referrer (artifact type [`BUNDLE_ARTIFACT_TYPE`]). Returns the
/// referrer's digest.
///
/// # Errors
/// As [`Store::attach`].
pub async fn attach_signature(
    store: &Store,
    repository: &str,
    subject: &Descriptor,
    key: &SigningKey,
) -> Result<Digest, Error> {
    let hash = subject
        .digest
        .sha256_bytes()
        .ok_or_else(|| Error::Rejected {
            subject: subject.digest.to_string(),
            origin: "signing".into(),
            reasons: vec!["only SHA-256 manifests can be signed".into()],
        })?;
    // Ed25519 signs the manifest's bytes (ECDSA its digest, the same from
    // either).
    let pulled;
    let artifact = if matches!(key.verifying_key(), VerifyingKey::Ed25519(_)) {
        pulled = store
            .pull_manifest(repository, &subject.digest.to_string())
            .await?;
        Artifact::Manifest(&pulled.bytes)
    } else {
        Artifact::Sha256(&hash)
    };
    let bundle = key_bundle(key, &artifact)
        .map_err(|source| Error::Material {
            what: "signing".into(),
            source,
        })?
        .into_bytes();
    let annotations = BTreeMap::from([(
        wkg_core::referrers::CREATED_ANNOTATION.to_owned(),
        crate::artifact::created_time(None).unwrap_or_default(),
    )]);
    let attachment = oci::Attachment {
        artifact_type: BUNDLE_ARTIFACT_TYPE,
        media_type: BUNDLE_ARTIFACT_TYPE,
        size: bundle.len() as u64,
        content: oci::remote::BlobSource::Bytes(bundle),
        title: None,
        annotations,
    };
    Ok(store.attach(repository, subject, attachment).await?)
}

#[cfg(test)]
mod tests {
    use super::Lull;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    struct Flag(AtomicBool);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// What waits on a lull is woken when it opens, and not before.
    #[test]
    fn a_lull_wakes_what_waits_when_it_opens() {
        let lull = Lull::default();
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut wait = pin!(lull.wait());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        assert!(!flag.0.load(Ordering::SeqCst));
        lull.open();
        assert!(flag.0.load(Ordering::SeqCst));
        assert_eq!(wait.as_mut().poll(&mut cx), Poll::Ready(()));
        // Once open, it stays open.
        assert_eq!(pin!(lull.wait()).poll(&mut cx), Poll::Ready(()));
    }
}
