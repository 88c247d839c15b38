//! The guest's one door to the network: `http` crate types in, wasi:http out.
//!
//! Requests are built as [`http::Request<Body>`] by the OCI client and sent
//! with [`send`]; responses come back as [`http::Response<IncomingBody>`]
//! whose body is streamed chunk by chunk. Nothing else in the guest imports
//! `wasi:http`.
//!
//! A request without a body never asks wasi:http for an `outgoing-body`:
//! writing an empty body after the host has already sent a GET races with
//! the host closing it (a spurious "connection reset" seen with wstd 0.6.8).

use std::cell::RefCell;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    self as wasi, ErrorCode, Fields, OutgoingBody, OutgoingRequest, RequestOptions,
};
use wasip2::io::streams::{InputStream, StreamError};
use wkg_core::urls::redact;
use wstd::runtime::AsyncPollable;

use crate::io::Output;
use crate::progress::Progress;

/// Largest slice read from an incoming body or a file at once, in bytes.
const CHUNK: usize = 256 * 1024;

/// The first-byte timeout given to the host for a request with a body, whose
/// upload the host counts in: the real ones are the low-speed floor during
/// the upload and the first-byte timeout after it, both kept here.
const UPLOAD_ALLOWANCE: Duration = Duration::from_secs(24 * 60 * 60);

/// The body of an outgoing request.
#[derive(Debug, Default)]
pub enum Body {
    /// No body: wasi:http gets no `outgoing-body` at all.
    #[default]
    Empty,
    /// A small body held in memory (manifests, config blobs).
    Bytes(Vec<u8>),
    /// The first `len` bytes of a file, streamed; never held in memory.
    File(FileSlice),
}

/// The first bytes of a file, uploaded as a request body.
#[derive(Debug, Clone)]
pub struct FileSlice {
    pub path: PathBuf,
    pub len: u64,
    pub progress: Option<Progress>,
    /// Hashes the bytes as they are sent; reset when the body is sent again.
    pub verifier: Option<Rc<RefCell<crate::hash::Sha256>>>,
}

impl Body {
    /// Length in bytes, for `Content-Length`.
    pub fn content_length(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::File(f) => f.len,
        }
    }

    /// Whether this body can be sent again after an authentication retry.
    pub fn try_clone(&self) -> Option<Body> {
        match self {
            Body::Empty => Some(Body::Empty),
            Body::Bytes(b) => Some(Body::Bytes(b.clone())),
            Body::File(f) => Some(Body::File(f.clone())),
        }
    }
}

/// Connect, first-byte and between-bytes timeouts of every request.
///
/// Defaults: 30 s to connect, 60 s for the first byte of a response and
/// between two bytes of a body. `WKG_HTTP_TIMEOUT=<seconds>` sets all three.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Duration,
    pub between_bytes: Duration,
}

impl Timeouts {
    /// Reads `WKG_HTTP_TIMEOUT` (whole seconds) or returns the defaults.
    pub fn from_env() -> Timeouts {
        match std::env::var("WKG_HTTP_TIMEOUT")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            Some(secs) if secs > 0 => {
                let d = Duration::from_secs(secs);
                Timeouts {
                    connect: d,
                    first_byte: d,
                    between_bytes: d,
                }
            }
            _ => Timeouts {
                connect: Duration::from_secs(30),
                first_byte: Duration::from_secs(60),
                between_bytes: Duration::from_secs(60),
            },
        }
    }
}

/// A failure to exchange a request and response; HTTP error statuses are
/// not errors at this layer.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    #[error("invalid URL `{0}`")]
    InvalidUrl(String),
    #[error("invalid header `{0}`")]
    InvalidHeader(String),
    #[error("{method} {url}: {reason}")]
    Transport {
        method: Method,
        url: String,
        reason: String,
        /// The connection failed before any byte of a response (refused,
        /// reset, closed): another attempt may succeed.
        retryable: bool,
        /// No connection was made (refused, or none within the connect
        /// timeout): the request was never sent, so even one that is not
        /// idempotent may be sent again.
        unsent: bool,
    },
    #[error("reading `{path}` to upload it")]
    BodyFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the response body of {url}: {reason}")]
    Body {
        url: String,
        reason: String,
        /// The connection broke in the middle of the body: the rest may be
        /// asked for again (`Range`).
        cut: bool,
    },
}

crate::debug_as_message!(HttpError);

/// Sends `req` and waits for the response head.
///
/// The body of the request is streamed after the head is handed to the
/// host; the response body is left unread in [`IncomingBody`].
///
/// # Errors
/// [`HttpError::Transport`] when the registry cannot be reached, resets the
/// connection or misses a timeout; [`HttpError::BodyFile`] when an uploaded
/// file cannot be read.
pub async fn send(
    req: http::Request<Body>,
    timeouts: Timeouts,
) -> Result<http::Response<IncomingBody>, HttpError> {
    let (parts, body) = req.into_parts();
    let url = redact(&parts.uri.to_string());
    let method = parts.method.clone();
    let failed = |reason: String, code: Option<&ErrorCode>| HttpError::Transport {
        method: method.clone(),
        url: url.clone(),
        reason,
        retryable: code.is_some_and(connection_failed),
        unsent: code.is_some_and(|c| {
            matches!(
                c,
                ErrorCode::ConnectionRefused | ErrorCode::ConnectionTimeout
            )
        }),
    };
    let transport = |reason: String| failed(reason, None);

    let outgoing = outgoing_request(&parts.method, &parts.uri, &parts.headers, &body)?;
    let options = RequestOptions::new();
    // A host may not support a timeout; it then ignores the setting.
    let _ = options.set_connect_timeout(Some(nanos(timeouts.connect)));
    // The host times the first byte from when the request began, upload
    // included (wasmtime's handler does); with a body, this waits for the
    // answer itself, from the end of the upload, and the upload is held to
    // the low-speed floor instead.
    let has_body = !matches!(body, Body::Empty);
    let first_byte = if has_body {
        UPLOAD_ALLOWANCE
    } else {
        timeouts.first_byte
    };
    let _ = options.set_first_byte_timeout(Some(nanos(first_byte)));
    let _ = options.set_between_bytes_timeout(Some(nanos(timeouts.between_bytes)));

    let outgoing_body = match body {
        Body::Empty => None,
        _ => Some(
            outgoing
                .body()
                .map_err(|()| transport("no request body".into()))?,
        ),
    };
    let future =
        outgoing_handler::handle(outgoing, Some(options)).map_err(|e| transport(describe(&e)))?;

    let mut write_error = None;
    if let Some(ob) = outgoing_body {
        match write_body(&ob, body).await {
            // Given up: the request (and its body, unfinished) is dropped,
            // which aborts it.
            Err(WriteError::TooSlow(slow)) => return Err(transport(slow.to_string())),
            Err(e) => write_error = Some(e),
            Ok(()) => {}
        }
        // Finishing tells the host the body is complete; after a failed
        // write the response may still say why the registry stopped reading.
        let _ = OutgoingBody::finish(ob, None);
    }

    let answered = AsyncPollable::new(future.subscribe());
    if has_body {
        let wait = answered.wait_for();
        let timer = wstd::task::sleep(timeouts.first_byte.into());
        let timed_out = matches!(
            futures_util::future::select(std::pin::pin!(wait), std::pin::pin!(timer)).await,
            futures_util::future::Either::Right(_)
        );
        if timed_out {
            return Err(transport(format!(
                "timed out waiting for the registry to answer, {} s after the request was sent \
                 (set WKG_HTTP_TIMEOUT to wait longer)",
                timeouts.first_byte.as_secs()
            )));
        }
    } else {
        answered.wait_for().await;
    }
    let response = match future.get() {
        Some(Ok(Ok(r))) => r,
        Some(Ok(Err(e))) => {
            return Err(match write_error {
                Some(WriteError::File(path, source)) => HttpError::BodyFile { path, source },
                _ => failed(describe(&e), Some(&e)),
            });
        }
        Some(Err(())) | None => return Err(transport("response already taken".into())),
    };
    if let Some(WriteError::File(path, source)) = write_error {
        return Err(HttpError::BodyFile { path, source });
    }

    let status = StatusCode::from_u16(response.status())
        .map_err(|_| transport(format!("invalid status {}", response.status())))?;
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers().entries() {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            headers.append(n, v);
        }
    }
    let body = response
        .consume()
        .map_err(|()| transport("response body already taken".into()))?;
    let stream = body
        .stream()
        .map_err(|()| transport("response body stream already taken".into()))?;
    let incoming = IncomingBody {
        reading: Some(Reading {
            pollable: AsyncPollable::new(stream.subscribe()),
            stream,
        }),
        body: Some(body),
        trailers: None,
        _response: response,
        pace: crate::io::Pace::from_env(),
        url: url.clone(),
    };
    let mut builder = http::Response::builder().status(status);
    if let Some(h) = builder.headers_mut() {
        *h = headers;
    }
    builder.body(incoming).map_err(|e| transport(e.to_string()))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn outgoing_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Body,
) -> Result<OutgoingRequest, HttpError> {
    let invalid = || HttpError::InvalidUrl(redact(&uri.to_string()));
    let scheme = match uri.scheme_str() {
        Some("http") => wasi::Scheme::Http,
        Some("https") => wasi::Scheme::Https,
        _ => return Err(invalid()),
    };
    let authority = uri.authority().ok_or_else(invalid)?.as_str();
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");

    let mut list: Vec<(String, Vec<u8>)> = headers
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    if !matches!(body, Body::Empty) || matches!(*method, Method::PUT | Method::POST) {
        list.push((
            "content-length".into(),
            body.content_length().to_string().into_bytes(),
        ));
    }
    let fields =
        Fields::from_list(&list).map_err(|e| HttpError::InvalidHeader(format!("{e:?}")))?;
    let req = OutgoingRequest::new(fields);
    let method = match *method {
        Method::GET => wasi::Method::Get,
        Method::HEAD => wasi::Method::Head,
        Method::POST => wasi::Method::Post,
        Method::PUT => wasi::Method::Put,
        Method::PATCH => wasi::Method::Patch,
        Method::DELETE => wasi::Method::Delete,
        ref other => wasi::Method::Other(other.to_string()),
    };
    req.set_method(&method).map_err(|()| invalid())?;
    req.set_scheme(Some(&scheme)).map_err(|()| invalid())?;
    req.set_authority(Some(authority)).map_err(|()| invalid())?;
    req.set_path_with_query(Some(path))
        .map_err(|()| invalid())?;
    Ok(req)
}

enum WriteError {
    File(String, std::io::Error),
    Stream,
    TooSlow(wkg_core::speed::TooSlow),
}

impl From<crate::io::WriteFailure> for WriteError {
    fn from(e: crate::io::WriteFailure) -> WriteError {
        match e {
            crate::io::WriteFailure::Stream(_) => WriteError::Stream,
            crate::io::WriteFailure::TooSlow(slow) => WriteError::TooSlow(slow),
        }
    }
}

async fn write_body(ob: &OutgoingBody, body: Body) -> Result<(), WriteError> {
    let stream = ob.write().map_err(|()| WriteError::Stream)?;
    let out = Output::new(stream);
    match body {
        Body::Empty => {}
        Body::Bytes(bytes) => out
            .write_all(&bytes)
            .await
            .map_err(|_| WriteError::Stream)?,
        Body::File(slice) => {
            let path = slice.path.display().to_string();
            let io = |e| WriteError::File(path.clone(), e);
            let mut file = File::open(&slice.path).map_err(io)?;
            let mut left = slice.len;
            let mut buf = vec![0u8; CHUNK];
            // An upload that crawls fails at the low-speed floor, as a
            // download does.
            let mut pace = crate::io::Pace::from_env();
            if let Some(v) = &slice.verifier {
                *v.borrow_mut() = crate::hash::Sha256::new();
            }
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
                let n = file.read(&mut buf[..want]).map_err(io)?;
                if n == 0 {
                    return Err(io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the file became shorter while it was uploaded",
                    )));
                }
                if let Some(v) = &slice.verifier {
                    v.borrow_mut().update(&buf[..n]);
                }
                out.write_all_paced(&buf[..n], pace.as_mut()).await?;
                left -= n as u64;
                if let Some(p) = &slice.progress {
                    p.advance(n as u64);
                }
            }
        }
    }
    out.flush().await.map_err(|_| WriteError::Stream)
}

/// The streamed body of a response.
///
/// Fields drop in declaration order: the stream (and its pollable) before
/// its body, the body before its response.
pub struct IncomingBody {
    reading: Option<Reading>,
    body: Option<wasi::IncomingBody>,
    /// The trailers, once the body has been read to its end.
    trailers: Option<wasi::FutureTrailers>,
    _response: wasi::IncomingResponse,
    /// The low-speed deadline ([`wkg_core::speed`]); `None` when disabled.
    pace: Option<crate::io::Pace>,
    url: String,
}

/// An input stream and its readiness pollable (dropped first).
struct Reading {
    pollable: AsyncPollable,
    stream: InputStream,
}

impl std::fmt::Debug for IncomingBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncomingBody")
            .field("url", &self.url)
            .finish()
    }
}

impl IncomingBody {
    /// The next chunk of at most 256 KiB, or `None` at the end of the body.
    ///
    /// # Errors
    /// [`HttpError::Body`] when the connection fails or the between-bytes
    /// timeout passes.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, HttpError> {
        let Some(reading) = &self.reading else {
            return Ok(None);
        };
        loop {
            match reading.stream.read(CHUNK as u64) {
                Ok(bytes) if bytes.is_empty() => reading.pollable.wait_for().await,
                Ok(bytes) => {
                    if let Some(pace) = &mut self.pace
                        && let Err(slow) = pace.moved(bytes.len() as u64)
                    {
                        return Err(HttpError::Body {
                            url: self.url.clone(),
                            reason: slow.to_string(),
                            cut: false,
                        });
                    }
                    return Ok(Some(bytes));
                }
                Err(StreamError::Closed) => {
                    self.reading = None;
                    if let Some(body) = self.body.take() {
                        self.trailers = Some(wasi::IncomingBody::finish(body));
                    }
                    return Ok(None);
                }
                Err(StreamError::LastOperationFailed(e)) => {
                    let code = wasi::http_error_code(&e);
                    // A stream error without an HTTP error code is the
                    // connection's (wasmtime reports a body cut short so).
                    let cut = code.as_ref().is_none_or(connection_failed);
                    let reason = match code {
                        Some(code) => describe(&code),
                        None => e.to_debug_string(),
                    };
                    return Err(HttpError::Body {
                        url: self.url.clone(),
                        reason,
                        cut,
                    });
                }
            }
        }
    }

    /// The value of the trailer `name`, once the body has been read to its
    /// end; `None` before, or when there is no such trailer.
    pub async fn trailer(&mut self, name: &str) -> Option<String> {
        let trailers = self.trailers.take()?;
        AsyncPollable::new(trailers.subscribe()).wait_for().await;
        let fields = trailers.get()?.ok()?.ok()??;
        let values = fields.get(name);
        values
            .first()
            .and_then(|v| String::from_utf8(v.clone()).ok())
    }

    /// Reads the whole body, failing once it exceeds `limit` bytes.
    ///
    /// # Errors
    /// As [`IncomingBody::chunk`], and [`HttpError::Body`] over the limit.
    pub async fn bytes(&mut self, limit: usize) -> Result<Vec<u8>, HttpError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.chunk().await? {
            if all.len() + chunk.len() > limit {
                return Err(HttpError::Body {
                    url: self.url.clone(),
                    cut: false,
                    reason: format!("the body is larger than {limit} bytes"),
                });
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }
}

/// Which kind of command runs, for the advice that connection errors give:
/// `wkg oci` has `--insecure`, the package commands read config.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Advice {
    /// `wkg oci pull|push`.
    Oci,
    /// The package commands and the WIT export.
    #[default]
    Packages,
}

thread_local! {
    static ADVICE: std::cell::Cell<Advice> = const { std::cell::Cell::new(Advice::Packages) };
}

/// Sets the advice of this run's connection errors (see [`Advice`]).
pub fn set_advice(advice: Advice) {
    ADVICE.with(|a| a.set(advice));
}

/// Whether the host's https trusts the CAs of config.toml and
/// `SSL_CERT_FILE` (`wkg:host/network`): the native `wkg` does, a stock
/// `wasmtime run` does not.
fn native_host() -> bool {
    crate::bindings::wkg::host::network::trusts_configured_roots()
}

/// The hint of a failed TLS handshake: the registry may speak plain http.
fn plain_http_hint() -> &'static str {
    match ADVICE.with(std::cell::Cell::get) {
        Advice::Oci => "a plain-http registry? pass `--insecure <host[:port]>`",
        Advice::Packages => {
            "a plain-http registry? set `protocol = \"http\"` under \
             `[registry.\"<registry>\".oci]` in config.toml"
        }
    }
}

/// The hint for a server certificate nobody trusts.
fn untrusted_hint() -> &'static str {
    if native_host() {
        "add its CA with `extra_root_certificates` under `[registry.\"<registry>\".oci]` in \
         config.toml or with SSL_CERT_FILE"
    } else {
        "`wasmtime run` trusts only public CAs; the native `wkg` also trusts \
         `extra_root_certificates` in config.toml and SSL_CERT_FILE"
    }
}

/// Whether `code` says the connection failed before a response began.
fn connection_failed(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTerminated
            | ErrorCode::ConnectionTimeout
            | ErrorCode::DestinationUnavailable
            | ErrorCode::HttpResponseIncomplete
    )
}

/// Sends an idempotent request (GET or HEAD, no body) that `build` makes
/// afresh for each attempt, retried as [`wkg_core::retry`] says: on a
/// connection that failed before a response, and on `429`, `502`, `503`
/// and `504`, with backoff or the response's `Retry-After`. Each retry is
/// a status line on stderr.
///
/// # Errors
/// As [`send`], for the last attempt; a retryable status after the last
/// attempt is returned as the response.
pub async fn send_idempotent(
    build: impl Fn() -> Result<http::Request<Body>, HttpError>,
    timeouts: Timeouts,
) -> Result<http::Response<IncomingBody>, HttpError> {
    use wkg_core::retry;
    let attempts = retry::attempts(std::env::var("WKG_HTTP_RETRIES").ok().as_deref());
    let mut attempt = 1;
    loop {
        let request = build()?;
        let (method, url) = (request.method().clone(), redact(&request.uri().to_string()));
        let outcome = send(request, timeouts).await;
        if attempt >= attempts {
            return outcome;
        }
        let jitter =
            f64::from(wasip2::random::random::get_random_u64() as u32) / f64::from(u32::MAX);
        let (why, wait) = match &outcome {
            Ok(res) if retry::retryable_status(res.status().as_u16()) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let asked = res
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| retry::retry_after(v, now));
                (
                    res.status().as_u16().to_string(),
                    asked.unwrap_or_else(|| retry::backoff(attempt, jitter)),
                )
            }
            Err(HttpError::Transport {
                reason,
                retryable: true,
                ..
            }) => (reason.clone(), retry::backoff(attempt, jitter)),
            _ => return outcome,
        };
        drop(outcome);
        attempt += 1;
        crate::progress::status(
            "Retrying",
            format!(
                "{method} {url} ({why}, attempt {attempt} of {attempts}, in {:.1} s)",
                wait.as_secs_f64()
            ),
        );
        wstd::task::sleep(wstd::time::Duration::from(wait)).await;
    }
}

/// Renders a wasi:http error code as a short lowercase phrase.
fn describe(code: &ErrorCode) -> String {
    match code {
        ErrorCode::DnsError(e) => format!(
            "cannot resolve the host name ({})",
            e.rcode.as_deref().unwrap_or("dns error")
        ),
        ErrorCode::DestinationNotFound => "host not found".into(),
        ErrorCode::DestinationUnavailable => "host unavailable".into(),
        ErrorCode::DestinationIpProhibited => "destination address prohibited".into(),
        ErrorCode::DestinationIpUnroutable => "destination address unroutable".into(),
        ErrorCode::ConnectionRefused => "connection refused (is the registry running?)".into(),
        ErrorCode::ConnectionTerminated => "connection closed by the registry".into(),
        ErrorCode::ConnectionTimeout => "timed out connecting to the registry".into(),
        ErrorCode::ConnectionReadTimeout => {
            "timed out waiting for the registry to answer (set WKG_HTTP_TIMEOUT to wait longer)"
                .into()
        }
        ErrorCode::ConnectionWriteTimeout => "timed out sending to the registry".into(),
        ErrorCode::ConnectionLimitReached => "connection limit reached".into(),
        ErrorCode::TlsProtocolError => format!("TLS handshake failed ({})", plain_http_hint()),
        ErrorCode::TlsCertificateError => format!(
            "the registry's TLS certificate is not trusted ({})",
            untrusted_hint()
        ),
        ErrorCode::TlsAlertReceived(a) => format!(
            "TLS alert from the registry: {}",
            a.alert_message.as_deref().unwrap_or("unknown")
        ),
        ErrorCode::HttpResponseIncomplete => "the response ended early".into(),
        ErrorCode::HttpResponseTimeout => "timed out waiting for the response".into(),
        ErrorCode::HttpRequestDenied => "the request was denied by the runtime".into(),
        ErrorCode::InternalError(Some(m)) => m.clone(),
        other => format!("{other:?}"),
    }
}
