//! Registry operations of the OCI distribution spec: manifests, blobs,
//! uploads and tags. Every byte that comes in passes a digest-and-size
//! verifier before it reaches its final path.

use std::cell::RefCell;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use http::header::{ACCEPT, CONTENT_RANGE, CONTENT_TYPE, LINK, LOCATION};
use http::{Method, StatusCode};
use wkg_core::auth::Actions;
use wkg_core::digest::{Digest, Verifier};
use wkg_core::manifest::{
    DOCKER_MANIFEST_LIST_MEDIA_TYPE, DOCKER_MANIFEST_MEDIA_TYPE, Descriptor, INDEX_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
};
use wkg_core::referrers::{
    ReferrersError, SUBJECT_HEADER, add_to_fallback, fallback_tag, parse_list,
};
use wkg_core::tags::{Pagination, TagList, next_link};
use wkg_core::urls::{resolve_location, with_digest_param};

use super::{Client, Error, transport::Request};
use crate::cache::FileHints;
use crate::http::{Body, FileSlice};
use crate::progress::Progress;

/// Largest manifest accepted, in bytes (the distribution spec suggests
/// registries accept at least 4 MiB).
const MAX_MANIFEST: usize = 4 * 1024 * 1024;
const OCTET_STREAM: &str = "application/octet-stream";

/// A manifest as the registry returned it.
#[derive(Debug)]
pub struct PulledManifest {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub media_type: Option<String>,
}

impl PulledManifest {
    /// The media type to write it back with: its own `mediaType`, else
    /// the type it was served as, else the OCI image manifest type.
    pub fn declared_media_type(&self) -> String {
        serde_json::from_slice::<serde_json::Value>(&self.bytes)
            .ok()
            .and_then(|v| v.get("mediaType")?.as_str().map(str::to_owned))
            .or_else(|| self.media_type.clone())
            .unwrap_or_else(|| MANIFEST_MEDIA_TYPE.to_owned())
    }
}

/// What lists the referrers of a subject.
#[derive(Debug)]
pub struct Referrers {
    /// The descriptors of the referrer manifests.
    pub list: Vec<Descriptor>,
    /// Read from the fallback tag: the registry has no referrers API.
    pub through_fallback: bool,
}

/// Where the bytes of a blob to push come from.
#[derive(Debug)]
pub enum BlobSource {
    Bytes(Vec<u8>),
    File {
        path: PathBuf,
        progress: Progress,
        /// Where the file's digest is remembered between pushes.
        hints: Option<FileHints>,
    },
}

/// What a blob push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Uploaded,
    /// The registry already had the blob; nothing was sent.
    Existed,
}

impl Client {
    /// `GET /v2/<repository>/manifests/<target>`, verified against the
    /// digest when `target` is one.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown repository or tag,
    /// [`Error::Verify`] when the bytes do not match a digest target.
    pub async fn pull_manifest(
        &self,
        repository: &str,
        target: &str,
    ) -> Result<PulledManifest, Error> {
        let url = self.urls().manifest(repository, target);
        let accept = [
            MANIFEST_MEDIA_TYPE,
            DOCKER_MANIFEST_MEDIA_TYPE,
            INDEX_MEDIA_TYPE,
            DOCKER_MANIFEST_LIST_MEDIA_TYPE,
        ]
        .join(", ");
        let req = Request::new(Method::GET, url.clone(), repository, Actions::Pull)
            .header(ACCEPT, &accept);
        let res = self.send(req).await?;
        let what = format!("manifest `{repository}:{target}`");
        let mut res = self
            .check(&Method::GET, &url, res, &[StatusCode::OK], &what)
            .await?;
        let media_type = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.body_mut().bytes(MAX_MANIFEST).await?;
        let digest = match target.parse::<Digest>() {
            Ok(expected) => {
                let mut v = Verifier::new();
                v.update(&bytes);
                v.verify(&expected, None)
                    .map_err(|source| Error::Verify { what, source })?
            }
            Err(_) => Digest::sha256_of(&bytes),
        };
        Ok(PulledManifest {
            bytes,
            digest,
            media_type,
        })
    }

    /// `PUT /v2/<repository>/manifests/<target>`; returns the manifest's digest.
    ///
    /// # Errors
    /// The registry's refusal, e.g. `MANIFEST_INVALID` or `MANIFEST_BLOB_UNKNOWN`.
    pub async fn push_manifest(
        &self,
        repository: &str,
        target: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Digest, Error> {
        Ok(self
            .put_manifest(repository, target, media_type, bytes)
            .await?
            .0)
    }

    /// As [`Client::push_manifest`], for a manifest with a `subject`; also
    /// says whether the registry keeps the referrers list itself (it
    /// answered with `OCI-Subject`), else the client maintains the
    /// fallback tag (distribution-spec 1.1 "Pushing Manifests with
    /// Subject").
    ///
    /// # Errors
    /// As [`Client::push_manifest`].
    pub async fn push_referrer(
        &self,
        repository: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(Digest, bool), Error> {
        let digest = Digest::sha256_of(&bytes).to_string();
        self.put_manifest(repository, &digest, media_type, bytes)
            .await
    }

    async fn put_manifest(
        &self,
        repository: &str,
        target: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<(Digest, bool), Error> {
        let digest = Digest::sha256_of(&bytes);
        let url = self.urls().manifest(repository, target);
        let req = Request::new(Method::PUT, url.clone(), repository, Actions::PullPush)
            .header(CONTENT_TYPE, media_type)
            .body(Body::Bytes(bytes));
        let res = self.send(req).await?;
        let res = self
            .check(
                &Method::PUT,
                &url,
                res,
                &[StatusCode::CREATED, StatusCode::OK],
                "",
            )
            .await?;
        let keeps_referrers = res.headers().contains_key(SUBJECT_HEADER);
        Ok((digest, keeps_referrers))
    }

    /// The referrers of `subject` in `repository` (of `artifact_type`
    /// only, when given): `GET /v2/<repository>/referrers/<subject>`, or,
    /// when the registry has no referrers API (a 404), the index under the
    /// fallback tag `sha256-<hex>` (none when that tag does not exist).
    /// The filter is applied here too, whether or not the registry applied
    /// it. A client asks the API once: after a 404 it reads the fallback
    /// tag straight away.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a list that does not parse, the registry's
    /// refusal, transport errors.
    pub async fn referrers(
        &self,
        repository: &str,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Referrers, Error> {
        let invalid = |from: &str, e: ReferrersError| {
            Error::Protocol(format!("the referrers of `{subject}` from {from}: {e}"))
        };
        let api = async {
            let url = self.urls().referrers(repository, subject, artifact_type);
            let req = Request::new(Method::GET, url.clone(), repository, Actions::Pull)
                .header(ACCEPT, INDEX_MEDIA_TYPE);
            let mut res = self.send(req).await?;
            if res.status() == StatusCode::OK {
                self.set_referrers_api(true);
                let bytes = res.body_mut().bytes(MAX_MANIFEST).await?;
                let list = parse_list(&bytes, artifact_type).map_err(|e| invalid("the API", e))?;
                return Ok(Some(list));
            }
            if res.status() != StatusCode::NOT_FOUND {
                self.check(&Method::GET, &url, res, &[StatusCode::OK], "")
                    .await?;
            }
            self.set_referrers_api(false);
            Ok::<_, Error>(None)
        };
        let tag = fallback_tag(subject);
        let fallback = async {
            match self.pull_manifest(repository, &tag).await {
                Ok(index) => parse_list(&index.bytes, artifact_type)
                    .map_err(|e| invalid(&format!("the tag `{tag}`"), e)),
                Err(Error::NotFound { .. }) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        };
        let list = match self.referrers_api() {
            Some(false) => fallback.await?,
            Some(true) => match api.await? {
                Some(list) => list,
                None => fallback.await?,
            },
            // Not known yet: both at once, so a registry without the API
            // costs no extra round trip; the API's answer wins.
            None => match futures_util::future::join(api, fallback).await {
                (Ok(Some(list)), _) => {
                    return Ok(Referrers {
                        list,
                        through_fallback: false,
                    });
                }
                (api, fallback) => {
                    api?;
                    fallback?
                }
            },
        };
        Ok(Referrers {
            through_fallback: self.referrers_api() != Some(true),
            list,
        })
    }

    /// Adds `entry` to the fallback index of `subject` (the `sha256-<hex>`
    /// tag), keeping the entries already there, for a registry without the
    /// referrers API. Nothing is written when the index lists it already.
    ///
    /// # Errors
    /// [`Error::Protocol`] for an index under that tag that does not
    /// parse, the registry's refusal, transport errors.
    pub async fn add_fallback_referrer(
        &self,
        repository: &str,
        subject: &Digest,
        entry: &Descriptor,
    ) -> Result<(), Error> {
        let tag = fallback_tag(subject);
        let existing = match self.pull_manifest(repository, &tag).await {
            Ok(index) => Some(index.bytes),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let updated = add_to_fallback(existing.as_deref(), entry).map_err(|e| {
            Error::Protocol(format!(
                "the tag `{tag}` of `{repository}` is not a referrers index: {e}"
            ))
        })?;
        if let Some(index) = updated {
            self.push_manifest(repository, &tag, INDEX_MEDIA_TYPE, index)
                .await?;
        }
        Ok(())
    }

    /// `GET /v2/<repository>/blobs/<digest>` streamed into `dest`.
    ///
    /// The bytes go to a temporary file beside `dest`, are hashed and
    /// counted on the way, and the file gets its final name only when
    /// digest and size match `blob`. On any error nothing is left behind.
    ///
    /// # Errors
    /// [`Error::Verify`] (naming expected and actual digest and the bytes
    /// read), [`Error::NotFound`], transport and I/O errors.
    pub async fn pull_blob(
        &self,
        repository: &str,
        blob: &Descriptor,
        dest: &Path,
        progress: &Progress,
    ) -> Result<(), Error> {
        let what = format!("blob `{}` of `{repository}`", blob.digest);
        let temp = crate::io::TempFile::beside(dest)?;
        let mut out = BufWriter::with_capacity(1024 * 1024, temp.file()?);
        let hashed = self
            .get_blob(repository, blob, &what, &mut |chunk| {
                progress.advance(chunk.len() as u64);
                out.write_all(chunk)
                    .map_err(|e| Error::io("writing", temp.path(), e))
            })
            .await?;
        progress.finish();
        out.into_inner()
            .map_err(|e| Error::io("writing", temp.path(), e.into_error()))?;
        let (actual, bytes) = hashed;
        Verifier::check(actual, bytes, &blob.digest, Some(blob.size))
            .map_err(|source| Error::Verify { what, source })?;
        Ok(temp.persist(dest)?)
    }

    /// `GET /v2/<repository>/blobs/<digest>` into memory, verified against
    /// `blob`'s digest and size; for blobs that are decoded whole anyway.
    ///
    /// # Errors
    /// [`Error::Verify`], [`Error::NotFound`], [`Error::Protocol`] when the
    /// blob is larger than `limit` bytes, transport errors.
    pub async fn pull_blob_bytes(
        &self,
        repository: &str,
        blob: &Descriptor,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let what = format!("blob `{}` of `{repository}`", blob.digest);
        if blob.size > limit {
            return Err(Error::Protocol(format!(
                "{what} has {} bytes, more than the {limit} this operation reads into memory",
                blob.size
            )));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(blob.size).unwrap_or(0));
        let hashed = self
            .get_blob(repository, blob, &what, &mut |chunk| {
                bytes.extend_from_slice(chunk);
                Ok(())
            })
            .await?;
        let (actual, n) = hashed;
        Verifier::check(actual, n, &blob.digest, Some(blob.size))
            .map_err(|source| Error::Verify { what, source })?;
        Ok(bytes)
    }

    /// `GET` of `blob`, each chunk handed to `sink`, refused past the size
    /// the descriptor declares. Returns the digest and byte count of what
    /// it handed over ([`crate::hash`]); the caller verifies.
    async fn get_blob(
        &self,
        repository: &str,
        blob: &Descriptor,
        what: &str,
        sink: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(Digest, u64), Error> {
        let url = self.urls().blob(repository, &blob.digest);
        let req = Request::new(Method::GET, url.clone(), repository, Actions::Pull);
        let res = self.send(req).await?;
        let mut res = self
            .check(&Method::GET, &url, res, &[StatusCode::OK], what)
            .await?;
        let mut sha = crate::hash::Sha256::new();
        let mut bytes = 0u64;
        let attempts = wkg_core::retry::attempts(std::env::var("WKG_HTTP_RETRIES").ok().as_deref());
        let mut resumes = 1;
        // Bytes of a restarted body to pass over (already handed to `sink`).
        let mut skip = 0u64;
        loop {
            let chunk = match res.body_mut().chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(crate::http::HttpError::Body {
                    cut: true, reason, ..
                }) if resumes < attempts && bytes < blob.size => {
                    resumes += 1;
                    crate::progress::status(
                        "Resuming",
                        format!(
                            "{what} at byte {bytes} of {} ({reason}, attempt {resumes} of {attempts})",
                            blob.size
                        ),
                    );
                    let req = Request::new(Method::GET, url.clone(), repository, Actions::Pull)
                        .header(http::header::RANGE, &format!("bytes={bytes}-"));
                    let again = self.send(req).await?;
                    let ok = [StatusCode::OK, StatusCode::PARTIAL_CONTENT];
                    res = self.check(&Method::GET, &url, again, &ok, what).await?;
                    // Without range support the whole body comes again.
                    skip = if res.status() == StatusCode::OK {
                        bytes
                    } else {
                        0
                    };
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let chunk = if skip > 0 {
                let pass = usize::try_from(skip).unwrap_or(usize::MAX).min(chunk.len());
                skip -= pass as u64;
                chunk[pass..].to_vec()
            } else {
                chunk
            };
            bytes += chunk.len() as u64;
            if bytes > blob.size {
                return Err(Error::Protocol(format!(
                    "{what}: the registry sent more than the {} bytes the manifest declares",
                    blob.size
                )));
            }
            sha.update(&chunk);
            sink(&chunk)?;
        }
        Ok(sha.finish())
    }

    /// `HEAD /v2/<repository>/blobs/<digest>`: whether the registry has it.
    ///
    /// # Errors
    /// Transport errors and statuses other than 200 and 404.
    pub async fn blob_exists(&self, repository: &str, digest: &Digest) -> Result<bool, Error> {
        let url = self.urls().blob(repository, digest);
        let req = Request::new(Method::HEAD, url.clone(), repository, Actions::PullPush);
        let res = self.send(req).await?;
        match res.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self
                .check(&Method::HEAD, &url, res, &[], "")
                .await
                .err()
                .unwrap_or_else(|| Error::Protocol("unexpected status".into()))),
        }
    }

    /// Pushes a blob unless the registry has it already; returns its digest.
    ///
    /// With the digest known beforehand (`digest`, or bytes in memory), a
    /// `HEAD` tells whether the registry has the blob, and otherwise it
    /// goes up in one streamed `PUT` (distribution spec "Pushing a blob
    /// monolithically").
    ///
    /// A file whose digest is not known is hashed once, on its way up: one
    /// streamed `PATCH` (spec "Pushing a blob in chunks", in a single
    /// chunk), hashed on its way ([`crate::hash`]), then a `PUT` with the
    /// digest closes the session. If the
    /// registry refuses the `PATCH`, the file is hashed and goes up in one
    /// `PUT`. When the file's [`FileHints`] remember a digest and the
    /// registry has that blob, the file is hashed first instead, and
    /// nothing is sent when it still matches. Nothing is held in memory
    /// but the slice being written.
    ///
    /// # Errors
    /// The registry's refusal (e.g. `DIGEST_INVALID` when the bytes changed
    /// since they were hashed), transport and I/O errors.
    pub async fn push_blob(
        &self,
        repository: &str,
        source: BlobSource,
        digest: Option<&Digest>,
        size: u64,
    ) -> Result<(Digest, Pushed), Error> {
        let mut known = match (&source, digest) {
            (_, Some(d)) => Some(d.clone()),
            (BlobSource::Bytes(b), None) => Some(Digest::sha256_of(b)),
            (BlobSource::File { .. }, None) => None,
        };
        let hints = match &source {
            BlobSource::File {
                path,
                hints: Some(hints),
                ..
            } if digest.is_none() => Some((path, hints)),
            _ => None,
        };
        // A hinted blob the registry has: hash the file to be sure.
        if let Some((path, hints)) = hints
            && let Some(hint) = hints.get(path)
            && self.blob_exists(repository, &hint).await?
        {
            let actual = file_digest(path, size).await?;
            if actual == hint {
                return Ok((actual, Pushed::Existed));
            }
            known = Some(actual);
        }
        if let Some(d) = &known
            && self.blob_exists(repository, d).await?
        {
            if let Some((path, hints)) = hints {
                hints.remember(path, d);
            }
            return Ok((d.clone(), Pushed::Existed));
        }
        let pushed = self.upload_retried(repository, &source, known, size).await;
        if let BlobSource::File { progress, .. } = &source {
            progress.finish();
        }
        let pushed = pushed?;
        if let Some((path, hints)) = hints {
            hints.remember(path, &pushed);
        }
        Ok((pushed, Pushed::Uploaded))
    }

    /// Uploads a blob the caller knows the registry lacks (it asked with
    /// [`Client::blob_exists`]), with its digest known: [`Client::push_blob`]
    /// without asking again.
    ///
    /// # Errors
    /// As [`Client::push_blob`].
    pub async fn upload_blob(
        &self,
        repository: &str,
        source: BlobSource,
        digest: &Digest,
        size: u64,
    ) -> Result<(), Error> {
        let pushed = self
            .upload_retried(repository, &source, Some(digest.clone()), size)
            .await;
        if let BlobSource::File { progress, .. } = &source {
            progress.finish();
        }
        pushed.map(|_| ())
    }

    /// Upload sessions until one succeeds or a failure is final.
    async fn upload_retried(
        &self,
        repository: &str,
        source: &BlobSource,
        known: Option<Digest>,
        size: u64,
    ) -> Result<Digest, Error> {
        let whole = || match source {
            BlobSource::Bytes(b) => Body::Bytes(b.clone()),
            BlobSource::File { path, progress, .. } => Body::File(FileSlice {
                path: path.clone(),
                len: size,
                progress: Some(progress.clone()),
                verifier: None,
            }),
        };
        // A failed upload starts again in a new session (the content is
        // addressed by its digest, so nothing half-sent can be used).
        let attempts = wkg_core::retry::attempts(std::env::var("WKG_HTTP_RETRIES").ok().as_deref());
        let mut attempt = 1;
        loop {
            let pushed = self
                .upload(repository, source, known.clone(), size, &whole)
                .await;
            match pushed {
                Err(e) if attempt < attempts && upload_may_succeed_again(&e) => {
                    let jitter = f64::from(wasip2::random::random::get_random_u64() as u32)
                        / f64::from(u32::MAX);
                    let wait = wkg_core::retry::backoff(attempt, jitter);
                    attempt += 1;
                    crate::progress::status(
                        "Retrying",
                        format!(
                            "the upload to `{repository}` in a new session ({e}, attempt \
                             {attempt} of {attempts}, in {:.1} s)",
                            wait.as_secs_f64()
                        ),
                    );
                    wstd::task::sleep(wstd::time::Duration::from(wait)).await;
                }
                other => return other,
            }
        }
    }

    /// One upload session for a blob: `finish_upload` with the digest known,
    /// else the streamed `PATCH` (or, refused, a hash and one `PUT`).
    async fn upload(
        &self,
        repository: &str,
        source: &BlobSource,
        known: Option<Digest>,
        size: u64,
        whole: &impl Fn() -> Body,
    ) -> Result<Digest, Error> {
        let session = self.start_upload(repository).await?;
        match (known, source) {
            (Some(d), _) => self
                .finish_upload(repository, &session, &d, whole())
                .await
                .map(|()| d),
            (None, BlobSource::File { path, progress, .. }) => {
                match self
                    .upload_streamed(repository, &session, path, size, progress)
                    .await?
                {
                    Some((last, d)) => self
                        .finish_upload(repository, &last, &d, Body::Empty)
                        .await
                        .map(|()| d),
                    // Refused: hash the file, then one `PUT` in a fresh session.
                    None => {
                        let d = file_digest(path, size).await?;
                        let fresh = self.start_upload(repository).await?;
                        self.finish_upload(repository, &fresh, &d, whole())
                            .await
                            .map(|()| d)
                    }
                }
            }
            (None, BlobSource::Bytes(_)) => unreachable!("bytes are hashed above"),
        }
    }

    /// `POST /v2/<repository>/blobs/uploads/`: the upload session URL.
    async fn start_upload(&self, repository: &str) -> Result<String, Error> {
        let url = self.urls().upload_start(repository);
        let req = Request::new(Method::POST, url.clone(), repository, Actions::PullPush);
        let res = self.send(req).await?;
        let res = self
            .check(&Method::POST, &url, res, &[StatusCode::ACCEPTED], "")
            .await?;
        location(&url, &res)
    }

    /// One `PATCH` of the whole file, hashed here on the way: the session
    /// URL to close and the file's digest, or `None` when the registry
    /// refused the `PATCH` (then the caller falls back to a monolithic
    /// upload).
    async fn upload_streamed(
        &self,
        repository: &str,
        session: &str,
        path: &Path,
        size: u64,
        progress: &Progress,
    ) -> Result<Option<(String, Digest)>, Error> {
        let sha = Rc::new(RefCell::new(crate::hash::Sha256::new()));
        let body = Body::File(FileSlice {
            path: path.to_owned(),
            len: size,
            progress: Some(progress.clone()),
            verifier: Some(sha.clone()),
        });
        let mut req = Request::new(
            Method::PATCH,
            session.to_owned(),
            repository,
            Actions::PullPush,
        )
        .header(CONTENT_TYPE, OCTET_STREAM)
        .body(body);
        if size > 0 {
            req = req.header(CONTENT_RANGE, &format!("0-{}", size - 1));
        }
        let res = self.send(req).await?;
        let status = res.status();
        if status.is_client_error()
            && !matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        {
            return Ok(None);
        }
        let res = self
            .check(&Method::PATCH, session, res, &[StatusCode::ACCEPTED], "")
            .await?;
        let next = location(session, &res)?;
        let (digest, bytes) = sha.take().finish();
        if bytes != size {
            return Err(changed(path, size, bytes));
        }
        Ok(Some((next, digest)))
    }

    /// `PUT <session>?digest=<digest>` with the last bytes (or none).
    async fn finish_upload(
        &self,
        repository: &str,
        location: &str,
        digest: &Digest,
        body: Body,
    ) -> Result<(), Error> {
        let url = with_digest_param(location, digest);
        let mut req = Request::new(Method::PUT, url.clone(), repository, Actions::PullPush);
        if !matches!(body, Body::Empty) {
            req = req.header(CONTENT_TYPE, OCTET_STREAM);
        }
        let res = self.send(req.body(body)).await?;
        self.check(&Method::PUT, &url, res, &[StatusCode::CREATED], "")
            .await?;
        Ok(())
    }

    /// Every tag of `repository`, following `Link: <…>; rel="next"` pages.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown repository, transport errors.
    pub async fn list_tags(&self, repository: &str) -> Result<Vec<String>, Error> {
        let mut url = self.urls().tags(repository, None, None);
        let mut tags = Vec::new();
        let mut pages = Pagination::default();
        loop {
            let req = Request::new(Method::GET, url.clone(), repository, Actions::Pull);
            let res = self.send(req).await?;
            let what = format!("repository `{repository}`");
            let mut res = self
                .check(&Method::GET, &url, res, &[StatusCode::OK], &what)
                .await?;
            let next = res
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link)
                .map(|link| resolve_location(&url, &link));
            let body = res.body_mut().bytes(16 * 1024 * 1024).await?;
            let page = TagList::from_json(&body)
                .map_err(|e| Error::Protocol(format!("invalid tag list from `{url}`: {e}")))?;
            let count = page.tags.len();
            tags.extend(page.tags);
            match pages.advance(&url, count, next) {
                Ok(Some(next)) => url = next,
                Ok(None) => return Ok(tags),
                Err(e) => {
                    return Err(Error::Protocol(format!(
                        "the tag list of `{repository}` at `{}` was not read to its end: {e}",
                        self.registry()
                    )));
                }
            }
        }
    }
}

/// Whether a failed upload may succeed in a new session: the connection
/// broke, or the registry answered `429` or `5xx` (its storage busy).
fn upload_may_succeed_again(e: &Error) -> bool {
    match e {
        Error::Http(crate::http::HttpError::Transport { .. }) => true,
        Error::Status { status, .. } => {
            wkg_core::retry::retryable_status(status.as_u16())
                || *status == StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => false,
    }
}

/// The digest of the `size` bytes of the file at `path` ([`crate::hash`]).
async fn file_digest(path: &Path, size: u64) -> Result<Digest, Error> {
    let (digest, bytes) = hash_file(path)?;
    if bytes != size {
        return Err(changed(path, size, bytes));
    }
    Ok(digest)
}

/// A file that no longer has the size it had when it was inspected.
fn changed(path: &Path, size: u64, bytes: u64) -> Error {
    Error::Protocol(format!(
        "`{}` changed while it was pushed: {bytes} bytes read, {size} expected",
        path.display()
    ))
}

/// The sha256 digest and size of the file at `path`, hashed here.
fn hash_file(path: &Path) -> Result<(Digest, u64), Error> {
    crate::hash::file(path).map_err(|e| Error::io("reading", path, e))
}

/// The absolute upload URL from a response's `Location` header.
fn location<B>(request_url: &str, res: &http::Response<B>) -> Result<String, Error> {
    let value = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            Error::Protocol(format!(
                "{}: the registry answered without an upload `Location`",
                wkg_core::urls::redact(request_url)
            ))
        })?;
    Ok(resolve_location(request_url, value))
}
