//! The component's outgoing HTTP: a wasi:http `send_request` hook that
//! applies the run's [`HostPolicy`] and [`Trust`] and keeps connections open for
//! reuse (wasmtime's default handler opens one per request and
//! trusts only the compiled-in Mozilla roots).
//!
//! Connections are HTTP/1.1, kept per scheme and authority for one run (one
//! [`Wkg::run`](crate::Wkg::run) or one [`Client`](crate::Client)); an idle
//! one is used again when it is ready. A request that a reused connection
//! could not send (the registry closed it meanwhile) is sent again on a new
//! one. The request options' connect, first-byte and between-bytes timeouts
//! apply as in wasmtime's handler.
//!
//! No field is added to or removed from the component's traffic.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::Scheme;

use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::policy::HostPolicy;
use crate::proxy::{Proxies, ProxyServer};
use crate::tls::Trust;

/// Idle connections kept per scheme and authority.
const MAX_IDLE: usize = 8;

/// An idle connection older than this is closed rather than reused: well
/// under the keep-alive timeouts of common servers (nginx 75 s, cloud load
/// balancers 60 s), so the server rarely closes one just as it is reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// wasmtime's default for a timeout the request options leave unset.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The hook of one run: its policy, trust and connection pool.
pub(crate) struct Outgoing {
    policy: HostPolicy,
    connector: Arc<Connector>,
}

impl Outgoing {
    pub(crate) fn new(policy: HostPolicy, trust: Trust, proxies: Proxies) -> Outgoing {
        Outgoing {
            policy,
            connector: Arc::new(Connector {
                trust,
                proxies,
                file_roots: OnceLock::new(),
                tls: Mutex::default(),
                idle: Mutex::default(),
            }),
        }
    }
}

/// How a connection reaches its server, which is also what connections are
/// pooled by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Route {
    /// Straight to `host:port`, with TLS for https.
    Direct { https: bool, authority: String },
    /// Plain http through the proxy at `proxy` (`host:port`): requests in
    /// absolute form, for any server.
    Forward { proxy: String },
    /// A `CONNECT` tunnel through the proxy to `authority`, TLS inside.
    Tunnel { proxy: String, authority: String },
}

/// An idle connection, and since when it has been kept.
type Idle = (SendRequest<WasiBody>, Instant);

struct Connector {
    trust: Trust,
    proxies: Proxies,
    /// The certificates of the trust's root files, read on the first
    /// https connection.
    file_roots: OnceLock<Vec<Vec<u8>>>,
    /// The TLS configuration per authority, made on its first connection.
    tls: Mutex<HashMap<String, Arc<rustls::ClientConfig>>>,
    idle: Mutex<HashMap<Route, Vec<Idle>>>,
}

type IoFuture = Box<dyn Future<Output = Result<(), Error>> + Send>;
type SendFuture =
    Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), Error>> + Send>;

impl wasmtime_wasi_http::WasiHttpHooks for Outgoing {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: IoFuture,
    ) -> SendFuture {
        // As in wasmtime's default handler, the outcome of the response's
        // processing (`fut`) is not used.
        drop(fut);
        let authority = request
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_default();
        if !self.policy.allows(&authority) {
            eprintln!("wkg host: refused a request to `{authority}`, which is not an allowed host");
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        let connector = self.connector.clone();
        Box::new(async move {
            let response = connector.send(request, options.unwrap_or_default()).await?;
            // The connection runs on a task of its own (see `handshake`).
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

impl Connector {
    async fn send(
        &self,
        mut request: http::Request<WasiBody>,
        options: RequestOptions,
    ) -> Result<http::Response<WasiBody>, Error> {
        let uri = request.uri();
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let authority = uri.authority().ok_or(Error::HttpRequestUriInvalid)?;
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let proxy = self
            .proxies
            .for_target(https, authority.host(), port)
            .cloned();
        let authority = format!("{}:{port}", authority.host());
        let route = match &proxy {
            Some(proxy) if https => Route::Tunnel {
                proxy: proxy.authority.clone(),
                authority,
            },
            Some(proxy) => Route::Forward {
                proxy: proxy.authority.clone(),
            },
            None => Route::Direct { https, authority },
        };
        if let Some(why) = proxy.as_ref().and_then(|p| p.unusable.clone()) {
            return Err(Error::InternalError(Some(why)));
        }
        if let Route::Forward { .. } = route {
            // To a proxy the request line carries the whole URL.
            if let Some(value) = proxy.as_ref().and_then(|p| p.authorization.clone()) {
                request
                    .headers_mut()
                    .insert(http::header::PROXY_AUTHORIZATION, value);
            }
        } else {
            // Over a direct connection (or a tunnel) it carries only the path.
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            *request.uri_mut() =
                http::Uri::try_from(path).map_err(|_| Error::HttpRequestUriInvalid)?;
        }

        let key = route;
        let first_byte = options.first_byte_timeout.unwrap_or(DEFAULT_TIMEOUT);
        // Plain-http proxies often close a connection after each answer
        // without saying so (tinyproxy does), so those are not kept.
        let pooled = !matches!(key, Route::Forward { .. });
        let mut reused = if pooled { self.take_idle(&key) } else { None };
        let response = loop {
            let fresh = reused.is_none();
            let mut sender = match reused.take() {
                Some(sender) => sender,
                None => self.connect(&key, proxy.as_ref(), &options).await?,
            };
            let sent = tokio::time::timeout(first_byte, sender.try_send_request(request)).await;
            match sent {
                Err(_) => return Err(Error::ConnectionReadTimeout),
                Ok(Ok(response)) => {
                    if pooled {
                        self.put_idle(key, sender);
                    }
                    break response;
                }
                Ok(Err(mut e)) => match e.take_message() {
                    // Never written: the connection was closed under it.
                    Some(unsent) if !fresh => request = unsent,
                    // Closed by the server before any answer: say so (the
                    // component may try again), not "protocol error".
                    _ if e.error().is_incomplete_message() => {
                        return Err(Error::ConnectionTerminated);
                    }
                    _ => return Err(Error::Hyper(e.into_error())),
                },
            }
        };
        let between_bytes = options.between_bytes_timeout.unwrap_or(DEFAULT_TIMEOUT);
        Ok(response.map(|incoming| {
            TimedBody {
                incoming,
                timeout: between_bytes,
                deadline: Box::pin(tokio::time::sleep(between_bytes)),
            }
            .boxed_unsync()
        }))
    }

    /// A ready idle connection for `key`, dropping closed and stale ones.
    fn take_idle(&self, key: &Route) -> Option<SendRequest<WasiBody>> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.get_mut(key)?;
        list.retain(|(sender, since)| !sender.is_closed() && since.elapsed() < IDLE_TIMEOUT);
        let ready = list.iter().position(|(sender, _)| sender.is_ready())?;
        Some(list.swap_remove(ready).0)
    }

    /// Keeps `sender` for the next request to `key`; it becomes ready once
    /// the response now under way has been read.
    fn put_idle(&self, key: Route, sender: SendRequest<WasiBody>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.entry(key).or_default();
        if list.len() < MAX_IDLE {
            list.push((sender, Instant::now()));
        }
    }

    /// A new connection for `route`, with TLS for https; its I/O runs on
    /// a task of its own until every sender for it is dropped.
    async fn connect(
        &self,
        route: &Route,
        proxy: Option<&ProxyServer>,
        options: &RequestOptions,
    ) -> Result<SendRequest<WasiBody>, Error> {
        let timeout = options.connect_timeout.unwrap_or(DEFAULT_TIMEOUT);
        let connecting = async {
            let (server, tls_to) = match route {
                Route::Direct { https, authority } => (authority, https.then_some(authority)),
                Route::Forward { proxy } => (proxy, None),
                Route::Tunnel { proxy, authority } => (proxy, Some(authority)),
            };
            let mut tcp = TcpStream::connect(server.as_str())
                .await
                .map_err(Error::Connect)?;
            let _ = tcp.set_nodelay(true);
            if let (Route::Tunnel { authority, .. }, Some(proxy)) = (route, proxy) {
                tunnel(&mut tcp, authority, proxy).await?;
            }
            let Some(authority) = tls_to else {
                return handshake(tcp).await;
            };
            let config = self.tls_config(authority)?;
            let host = authority
                .rsplit_once(':')
                .map_or(authority.as_str(), |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let name = rustls::pki_types::ServerName::try_from(host.to_owned())
                .map_err(|_| Error::HttpRequestUriInvalid)?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(tls_error)?;
            handshake(tls).await
        };
        tokio::time::timeout(timeout, connecting)
            .await
            .map_err(|_| Error::ConnectionTimeout)?
    }

    fn tls_config(&self, authority: &str) -> Result<Arc<rustls::ClientConfig>, Error> {
        let mut configs = self.tls.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(config) = configs.get(authority) {
            return Ok(config.clone());
        }
        let file_roots = self.file_roots.get_or_init(|| self.trust.read_root_files());
        let config = self
            .trust
            .client_config(authority, file_roots)
            .map_err(|e| {
                Error::InternalError(Some(format!("TLS configuration for `{authority}`: {e:#}")))
            })?;
        configs.insert(authority.to_owned(), config.clone());
        Ok(config)
    }
}

/// Asks `proxy` for a tunnel to `authority` over `tcp` (RFC 9110 §9.3.6)
/// and reads its answer; a refusal names the proxy (without credentials)
/// and its status line.
async fn tunnel(tcp: &mut TcpStream, authority: &str, proxy: &ProxyServer) -> Result<(), Error> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(value) = &proxy.authorization {
        let value = value.to_str().unwrap_or_default();
        head.push_str(&format!("Proxy-Authorization: {value}\r\n"));
    }
    head.push_str("\r\n");
    tcp.write_all(head.as_bytes())
        .await
        .map_err(Error::Connect)?;
    // The answer's head, read a byte at a time so that nothing of the
    // tunnel's first bytes is taken.
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() > 16 * 1024 {
            return Err(Error::InternalError(Some(format!(
                "proxy `{}` sent an overlong answer to CONNECT",
                proxy.shown
            ))));
        }
        let byte = tcp.read_u8().await.map_err(|_| {
            Error::InternalError(Some(format!(
                "proxy `{}` closed the connection instead of opening a tunnel to `{authority}`",
                proxy.shown
            )))
        })?;
        answer.push(byte);
    }
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status.starts_with('2') {
        return Ok(());
    }
    let hint = if matches!(status, "401" | "407") {
        " (put credentials in the proxy URL: http://user:password@host:port)"
    } else {
        ""
    };
    Err(Error::InternalError(Some(format!(
        "proxy `{}` refused the tunnel to `{authority}`: {}{hint}",
        proxy.shown,
        status_line.trim()
    ))))
}

async fn handshake<S>(stream: S) -> Result<SendRequest<WasiBody>, Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let io = wasmtime_wasi_http::io::TokioIo::new(stream);
    let (sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(Error::Hyper)?;
    tokio::spawn(async move {
        // Its errors reach the request that is using it.
        let _ = connection.await;
    });
    Ok(sender)
}

/// A certificate the trust does not accept is wasi:http's
/// `TLS-certificate-error`; an alert keeps its description; anything else
/// is a `TLS-protocol-error`.
fn tls_error(e: std::io::Error) -> Error {
    match e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(_)) => Error::TlsCertificateError,
        Some(rustls::Error::AlertReceived(alert)) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(*alert)),
            alert_message: Some(format!("{alert:?}")),
        },
        _ => Error::TlsProtocolError,
    }
}

/// A response body that fails with `connection-read-timeout` when no frame
/// arrives within the between-bytes timeout.
struct TimedBody {
    incoming: hyper::body::Incoming,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Error>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let next = tokio::time::Instant::now() + self.timeout;
                self.deadline.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) if e.is_timeout() => {
                Poll::Ready(Some(Err(Error::HttpResponseTimeout)))
            }
            // The connection closed or broke before the body's end (hyper
            // says "error reading a body from connection"): the component
            // may ask for the rest. A body that does not parse stays a
            // protocol error.
            Poll::Ready(Some(Err(e))) if !e.is_parse() && !e.is_user() => {
                Poll::Ready(Some(Err(Error::HttpResponseIncomplete)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Error::Hyper(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Error::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
