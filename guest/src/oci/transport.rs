//! Authenticated requests to one registry.
//!
//! The flow follows the distribution spec and Docker's token auth spec, as
//! wkg (oci-client) does: `GET /v2/` learns the challenge; a `Basic`
//! challenge gets the credential on every request; a `Bearer` challenge is
//! answered with a token from `realm?service=…&scope=repository:<repo>:<actions>`,
//! fetched with the credential as Basic auth if there is one, and reused for
//! every request with the same scope. A 401 later on (an expired token, a
//! wider scope) triggers one more token fetch and a retry.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use http::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use wkg_core::auth::{Actions, Challenge, Credential, TokenResponse, parse_challenges};
use wkg_core::error::{ErrorCode, ErrorEnvelope, body_excerpt};
use wkg_core::urls::{RegistryUrls, Scheme, redact, resolve_location};

use super::Error;
use crate::http::{self as wasi_http, Body, IncomingBody, Timeouts};

/// Most redirects followed for one request.
const MAX_REDIRECTS: usize = 5;
/// Largest error or token body read, in bytes.
const SMALL_BODY: usize = 1024 * 1024;

/// A client for one registry host, holding its credential and tokens.
#[derive(Debug)]
pub struct Client {
    registry: String,
    urls: RegistryUrls,
    credential: Option<Credential>,
    timeouts: Timeouts,
    auth: RefCell<Auth>,
    /// How to give credentials, for "requires credentials" errors.
    credentials_hint: String,
    /// Whether rejected credentials are dropped for anonymous access.
    anonymous_fallback: bool,
    /// Set once the credentials were rejected and dropped.
    dropped_credentials: Cell<bool>,
    /// Whether the registry has the referrers API, once a request told.
    referrers_api: Cell<Option<bool>>,
}

/// What the registry asked for, learned from its challenges.
#[derive(Debug, Default)]
enum Auth {
    /// No challenge seen yet: requests go out without credentials.
    #[default]
    Unknown,
    /// `Basic`: the credential goes on every request.
    Basic,
    /// `Bearer`: tokens per scope.
    Bearer { tokens: HashMap<String, String> },
    /// A bearer token given by the user (`WKG_REGISTRY_<HOST>_AUTH_BEARER`),
    /// sent as-is on every request, never exchanged.
    Static(String),
}

/// A request for [`Client::send`].
#[derive(Debug)]
pub struct Request<'a> {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Body,
    /// The repository whose scope authorizes this request.
    pub repository: &'a str,
    pub actions: Actions,
}

impl<'a> Request<'a> {
    pub fn new(method: Method, url: String, repository: &'a str, actions: Actions) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::Empty,
            repository,
            actions,
        }
    }

    pub fn header(mut self, name: http::HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
}

impl Client {
    /// A client for `registry` (as written in references), reached at
    /// `host` over `scheme`.
    pub fn new(
        registry: &str,
        host: &str,
        scheme: Scheme,
        credential: Option<Credential>,
        timeouts: Timeouts,
    ) -> Client {
        Client {
            registry: registry.to_owned(),
            urls: RegistryUrls::new(scheme, host),
            credential,
            timeouts,
            auth: RefCell::new(Auth::Unknown),
            credentials_hint: "pass -u and -p, set WKG_OCI_USERNAME and WKG_OCI_PASSWORD, \
                               or log in with `docker login`"
                .into(),
            anonymous_fallback: false,
            dropped_credentials: Cell::new(false),
            referrers_api: Cell::new(None),
        }
    }

    /// When the registry rejects the credentials, go on anonymously (what
    /// wkg does for package pulls, §4.8); a public package still works with
    /// stale credentials around.
    pub fn with_anonymous_fallback(mut self) -> Client {
        self.anonymous_fallback = true;
        self
    }

    /// The credential in use: none once the registry rejected it.
    fn credential(&self) -> Option<&Credential> {
        self.credential
            .as_ref()
            .filter(|_| !self.dropped_credentials.get())
    }

    /// Drops rejected credentials if the fallback is on; whether it did.
    fn drop_credentials(&self) -> bool {
        if !self.anonymous_fallback || self.dropped_credentials.get() || !self.has_credentials() {
            return false;
        }
        self.dropped_credentials.set(true);
        *self.auth.borrow_mut() = Auth::Unknown;
        true
    }

    /// Replaces the advice an unauthenticated 401 gives.
    pub fn with_credentials_hint(mut self, hint: impl Into<String>) -> Client {
        self.credentials_hint = hint.into();
        self
    }

    /// Sends `token` as `Authorization: Bearer` on every request instead of
    /// answering challenges.
    pub fn with_bearer_token(self, token: String) -> Client {
        *self.auth.borrow_mut() = Auth::Static(token);
        self
    }

    /// Whether the client starts from a credential (not anonymous).
    pub fn has_credentials(&self) -> bool {
        self.credential().is_some() || matches!(*self.auth.borrow(), Auth::Static(_))
    }

    /// The registry as written in references.
    /// Whether the registry has the referrers API: `None` until a
    /// referrers request told (see [`Client::referrers`]).
    pub fn referrers_api(&self) -> Option<bool> {
        self.referrers_api.get()
    }

    /// Remembers what a referrers request told.
    pub fn set_referrers_api(&self, has: bool) {
        self.referrers_api.set(Some(has));
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// URL builders for this registry.
    pub fn urls(&self) -> &RegistryUrls {
        &self.urls
    }

    /// Pings `/v2/` and, when the registry challenges, obtains what the
    /// challenge asks for `actions` on `repository`.
    ///
    /// # Errors
    /// [`Error::Http`] when the registry cannot be reached,
    /// [`Error::Unauthorized`] when the credential (or anonymous access) is
    /// refused.
    pub async fn authenticate(&self, repository: &str, actions: Actions) -> Result<(), Error> {
        let url = self.urls.ping();
        let build = || {
            http::Request::get(&url)
                .body(Body::Empty)
                .map_err(|_| wasi_http::HttpError::InvalidUrl(redact(&url)))
        };
        let mut res = wasi_http::send_idempotent(build, self.timeouts).await?;
        if res.status() == StatusCode::UNAUTHORIZED {
            self.answer_challenge(res.headers(), repository, actions)
                .await?;
        } else if !res.status().is_success() && res.status() != StatusCode::NOT_FOUND {
            return Err(self.status_error(&Method::GET, &url, &mut res, "").await);
        }
        Ok(())
    }

    /// Sends `req` with the authorization its scope needs, answering one
    /// 401 challenge and following redirects of GET and HEAD requests.
    ///
    /// The response may have any status; see [`Client::check`].
    ///
    /// # Errors
    /// [`Error::Http`] on transport failures; [`Error::Unauthorized`] when
    /// a token cannot be obtained.
    pub async fn send(&self, req: Request<'_>) -> Result<http::Response<IncomingBody>, Error> {
        let mut retried = false;
        let mut url = req.url.clone();
        let mut same_host = true;
        let mut redirects = 0;
        let idempotent =
            matches!(req.method, Method::GET | Method::HEAD) && matches!(req.body, Body::Empty);
        loop {
            let authorization = same_host
                .then(|| self.authorization(req.repository, req.actions))
                .flatten();
            let build = || {
                let body = req.body.try_clone().ok_or_else(|| {
                    wasi_http::HttpError::InvalidUrl(format!(
                        "{} (request body cannot be replayed)",
                        redact(&url)
                    ))
                })?;
                let mut builder = http::Request::builder()
                    .method(req.method.clone())
                    .uri(&url);
                if let Some(h) = builder.headers_mut() {
                    *h = req.headers.clone();
                    if let Some(value) = &authorization {
                        h.insert(AUTHORIZATION, value.clone());
                    }
                }
                builder
                    .body(body)
                    .map_err(|_| wasi_http::HttpError::InvalidUrl(redact(&url)))
            };
            let res = if idempotent {
                wasi_http::send_idempotent(build, self.timeouts).await?
            } else {
                // A request that is not idempotent (a manifest `PUT`, an
                // upload) goes again only if it never left: no connection.
                match wasi_http::send(build()?, self.timeouts).await {
                    Err(wasi_http::HttpError::Transport {
                        unsent: true,
                        reason,
                        ..
                    }) => {
                        crate::progress::status(
                            "Retrying",
                            format!("{} {} ({reason}, never sent)", req.method, redact(&url)),
                        );
                        wstd::task::sleep(wstd::time::Duration::from(wkg_core::retry::BASE_DELAY))
                            .await;
                        wasi_http::send(build()?, self.timeouts).await?
                    }
                    other => other?,
                }
            };
            let status = res.status();
            if status == StatusCode::UNAUTHORIZED && same_host {
                if !retried {
                    retried = true;
                    if self
                        .answer_challenge(res.headers(), req.repository, req.actions)
                        .await?
                    {
                        continue;
                    }
                }
                // The credentials were refused: anonymously, if allowed.
                if self.drop_credentials() {
                    retried = false;
                    continue;
                }
            }
            if status.is_redirection()
                && matches!(req.method, Method::GET | Method::HEAD)
                && let Some(location) = res.headers().get(LOCATION).and_then(|v| v.to_str().ok())
            {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(Error::Protocol(format!(
                        "too many redirects from {}",
                        redact(&req.url)
                    )));
                }
                let next = resolve_location(&url, location);
                // Credentials stay with the registry; a CDN gets none.
                same_host = same_host
                    && wkg_core::urls::host_port(&next)
                        == wkg_core::urls::host_port(self.urls.base());
                url = next;
                continue;
            }
            return Ok(res);
        }
    }

    /// Returns `res` when its status is one of `ok`, otherwise the error it
    /// describes; `what` names the object for a 404 ("manifest `x:1.0`").
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::Unauthorized`], [`Error::Denied`] or
    /// [`Error::Status`], with the registry's error envelope in the message.
    pub async fn check(
        &self,
        method: &Method,
        url: &str,
        mut res: http::Response<IncomingBody>,
        ok: &[StatusCode],
        what: &str,
    ) -> Result<http::Response<IncomingBody>, Error> {
        if ok.contains(&res.status()) {
            return Ok(res);
        }
        Err(self.status_error(method, url, &mut res, what).await)
    }

    async fn status_error(
        &self,
        method: &Method,
        url: &str,
        res: &mut http::Response<IncomingBody>,
        what: &str,
    ) -> Error {
        let status = res.status();
        let body = if *method == Method::HEAD {
            Vec::new()
        } else {
            res.body_mut().bytes(SMALL_BODY).await.unwrap_or_default()
        };
        let envelope = ErrorEnvelope::parse(&body);
        let codes: Vec<ErrorCode> = envelope
            .as_ref()
            .map(|e| e.errors.iter().map(|i| i.code.clone()).collect())
            .unwrap_or_default();
        let detail = match &envelope {
            Some(e) => format!(" ({e})"),
            None if body.is_empty() => String::new(),
            None => format!(" ({})", body_excerpt(&body, 200)),
        };
        let unknown = |c: &ErrorCode| {
            matches!(
                c,
                ErrorCode::NameUnknown | ErrorCode::ManifestUnknown | ErrorCode::BlobUnknown
            )
        };
        match status {
            StatusCode::NOT_FOUND if !what.is_empty() => Error::NotFound {
                what: what.to_owned(),
                detail: format!(" in `{}`{detail}", self.registry),
            },
            _ if !what.is_empty() && !codes.is_empty() && codes.iter().all(unknown) => {
                Error::NotFound {
                    what: what.to_owned(),
                    detail: format!(" in `{}`{detail}", self.registry),
                }
            }
            StatusCode::UNAUTHORIZED => Error::Unauthorized {
                registry: self.registry.clone(),
                detail: self.unauthorized_hint(&detail),
            },
            StatusCode::FORBIDDEN => Error::Denied {
                registry: self.registry.clone(),
                detail,
            },
            _ => Error::Status {
                method: method.clone(),
                url: redact(url),
                status,
                codes,
                detail,
            },
        }
    }

    fn unauthorized_hint(&self, detail: &str) -> String {
        match (&self.credential, self.dropped_credentials.get()) {
            (Some(c), false) => format!(
                "the registry rejected the credentials of `{}`{detail}",
                c.username()
            ),
            (Some(c), true) => format!(
                "the registry rejected the credentials of `{}`, and anonymous access too{detail}",
                c.username()
            ),
            (None, _) => format!(
                "the registry requires credentials{detail}; {}",
                self.credentials_hint
            ),
        }
    }

    /// The `Authorization` value for a request in `repository`'s scope.
    fn authorization(&self, repository: &str, actions: Actions) -> Option<HeaderValue> {
        match &*self.auth.borrow() {
            Auth::Unknown => None,
            Auth::Basic => self
                .credential()
                .and_then(|c| HeaderValue::from_str(&c.basic_header_value()).ok()),
            Auth::Bearer { tokens, .. } => tokens
                .get(&wkg_core::auth::repository_scope(repository, actions))
                .and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok()),
            Auth::Static(t) => HeaderValue::from_str(&format!("Bearer {t}")).ok(),
        }
    }

    /// Answers the challenges of a 401; returns whether a retry may succeed.
    async fn answer_challenge(
        &self,
        headers: &HeaderMap,
        repository: &str,
        actions: Actions,
    ) -> Result<bool, Error> {
        if matches!(*self.auth.borrow(), Auth::Static(_)) {
            return Ok(false);
        }
        let mut challenges = Vec::new();
        for value in headers.get_all(WWW_AUTHENTICATE) {
            let text = value.to_str().unwrap_or_default();
            challenges.extend(parse_challenges(text).map_err(|e| {
                Error::Protocol(format!(
                    "`{}` sent an invalid challenge: {e}",
                    self.registry
                ))
            })?);
        }
        let bearer = challenges.iter().find_map(|c| match c {
            Challenge::Bearer { realm, service, .. } => Some((realm.clone(), service.clone())),
            _ => None,
        });
        if let Some((realm, service)) = bearer {
            let token = self
                .fetch_token(&realm, service.as_deref(), repository, actions)
                .await?;
            let scope = wkg_core::auth::repository_scope(repository, actions);
            let mut auth = self.auth.borrow_mut();
            match &mut *auth {
                Auth::Bearer { tokens, .. } => {
                    tokens.insert(scope, token);
                }
                other => {
                    *other = Auth::Bearer {
                        tokens: HashMap::from([(scope, token)]),
                    }
                }
            }
            return Ok(true);
        }
        let basic = challenges
            .iter()
            .any(|c| matches!(c, Challenge::Basic { .. }));
        let mut auth = self.auth.borrow_mut();
        if basic && self.credential().is_some() && !matches!(*auth, Auth::Basic) {
            *auth = Auth::Basic;
            return Ok(true);
        }
        Ok(false)
    }

    /// Gets a token for `repository:<repo>:<actions>` from the token realm.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        repository: &str,
        actions: Actions,
    ) -> Result<String, Error> {
        let scope = wkg_core::auth::repository_scope(repository, actions);
        let url = wkg_core::auth::token_url(realm, service, std::slice::from_ref(&scope));
        let build = || {
            let mut builder = http::Request::get(&url);
            if let Some(c) = self.credential() {
                builder = builder.header(AUTHORIZATION, c.basic_header_value());
            }
            builder.body(Body::Empty).map_err(|_| {
                wasi_http::HttpError::InvalidUrl(format!("token realm `{}`", redact(realm)))
            })
        };
        let mut res = wasi_http::send_idempotent(build, self.timeouts).await?;
        if (res.status() == StatusCode::UNAUTHORIZED || res.status() == StatusCode::FORBIDDEN)
            && self.drop_credentials()
        {
            return Box::pin(self.fetch_token(realm, service, repository, actions)).await;
        }
        if res.status() == StatusCode::UNAUTHORIZED || res.status() == StatusCode::FORBIDDEN {
            let body = res.body_mut().bytes(SMALL_BODY).await.unwrap_or_default();
            let detail = if body.is_empty() {
                String::new()
            } else {
                format!(" ({})", body_excerpt(&body, 200))
            };
            return Err(Error::Unauthorized {
                registry: self.registry.clone(),
                detail: format!(
                    "the token service refused scope `{scope}`: {}",
                    self.unauthorized_hint(&detail)
                ),
            });
        }
        if !res.status().is_success() {
            return Err(self.status_error(&Method::GET, &url, &mut res, "").await);
        }
        let body = res.body_mut().bytes(SMALL_BODY).await?;
        let token = TokenResponse::from_json(&body).map_err(|e| {
            Error::Protocol(format!(
                "invalid token response from {}: {e}",
                redact(realm)
            ))
        })?;
        token.token().map(str::to_owned).ok_or_else(|| {
            Error::Protocol(format!(
                "the token response from {} has no token",
                redact(realm)
            ))
        })
    }
}

/// Whether `scheme` is used for `host`: plain http only for hosts named in
/// `--insecure` (exact `host[:port]`), as wkg does.
pub fn scheme_for(host: &str, insecure: &[String]) -> Scheme {
    if wkg_core::urls::insecure_matches(insecure, host) {
        Scheme::Http
    } else {
        Scheme::Https
    }
}
