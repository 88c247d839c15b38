//! The bodies the host hashes for the component ([`wkg_core::host_digest`]):
//! natively, with the CPU's SHA instructions, on the connection's thread,
//! as the bytes pass.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::BodyExt;
use sha2::{Digest as _, Sha256};
use wasmtime_wasi_http::{Error, WasiBody};
use wkg_core::digest::Digest;
use wkg_core::host_digest;

use crate::outgoing::DIGEST_FIELD;

/// Which body of an exchange the component asked the host to hash, with
/// the run's key.
pub(crate) enum Hashing {
    Request(Arc<str>),
    Response(Arc<str>),
}

impl Hashing {
    pub(crate) fn asked(value: &HeaderValue, key: &Arc<str>) -> Option<Hashing> {
        match value.to_str().ok()? {
            host_digest::REQUEST_BODY => Some(Hashing::Request(key.clone())),
            host_digest::RESPONSE_BODY => Some(Hashing::Response(key.clone())),
            _ => None,
        }
    }
}

/// The sha256 state and byte count of a body so far.
#[derive(Default)]
pub(crate) struct Tally {
    hasher: Sha256,
    pub(crate) bytes: u64,
    /// Whether a request body reported its end.
    pub(crate) ended: bool,
}

impl Tally {
    pub(crate) fn update(&mut self, data: &[u8]) {
        self.hasher.update(data);
        self.bytes += data.len() as u64;
    }

    /// The [`host_digest::answer`] for what was hashed so far.
    pub(crate) fn answer(&self, key: &str) -> HeaderValue {
        let digest = Digest::from_sha256_bytes(&self.hasher.clone().finalize().into());
        let answer = host_digest::answer(key, &digest, self.bytes);
        HeaderValue::try_from(answer).expect("hex, digits and spaces are a header value")
    }
}

/// The answer of [`host_digest::SERVICE_HOST`]: `200` with the digest of
/// the request body in the [`host_digest::FIELD`] header.
pub(crate) async fn digest_service(
    request: http::Request<WasiBody>,
    key: &str,
) -> Result<http::Response<WasiBody>, Error> {
    let mut body = request.into_body();
    let mut tally = Tally::default();
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            tally.update(data);
        }
    }
    let empty = http_body_util::Empty::new()
        .map_err(|never| match never {})
        .boxed_unsync();
    http::Response::builder()
        .status(http::StatusCode::OK)
        .header(DIGEST_FIELD, tally.answer(key))
        .body(empty)
        .map_err(|e| Error::InternalError(Some(e.to_string())))
}

/// A request body that hashes what it yields.
pub(crate) struct HashingBody {
    pub(crate) inner: WasiBody,
    pub(crate) tally: Arc<Mutex<Tally>>,
}

impl http_body::Body for HashingBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    tally.update(data);
                }
            }
            Poll::Ready(None) => tally.ended = true,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
