//! A bearer-token server for a real registry (Distribution's `auth: token:`),
//! granting as ghcr.io does: anonymous requests get `pull` only, the one
//! user gets every action asked for, a wrong password gets a 401.
//!
//! Tokens are JWTs signed with ES256 by a P-256 key whose self-signed
//! certificate travels in the `x5c` header. Distribution 2.8
//! (`registry/auth/token/token.go`) checks `iss` and `aud`, `exp` and `nbf`
//! with 60 s of leeway, verifies the `x5c` chain against `rootcertbundle`,
//! and the signature as JOSE's 64-byte `r || s`.
//!
//! One request per connection (`connection: close`), as in [`super::fake`].

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use serde_json::{Value, json};

/// The `iss` of every token; the registry's `issuer`.
pub const ISSUER: &str = "wkg-test-issuer";
/// The registry's `service`, which tokens carry as `aud`.
pub const SERVICE: &str = "wkg-test-registry";
/// Seconds a token lives.
const EXPIRES_IN: u64 = 300;

/// One request the token server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The `service` parameter.
    pub service: Option<String>,
    /// The `scope` parameters, decoded, in order.
    pub scopes: Vec<String>,
    /// The Basic user, if the request had credentials.
    pub user: Option<String>,
    /// The answer's status: 200, or 401 for wrong credentials.
    pub status: u16,
    /// The granted access, as `repository:<name>:<actions>` scopes.
    pub granted: Vec<String>,
}

impl TokenRequest {
    /// Whether it came without credentials.
    pub fn is_anonymous(&self) -> bool {
        self.user.is_none()
    }
}

/// The signing key and certificate.
struct Signer {
    key: EcdsaKeyPair,
    /// The certificate's DER, standard base64, for `x5c`.
    x5c: String,
    /// The certificate as PEM, for the registry's `rootcertbundle`.
    pem: String,
    rng: SystemRandom,
    next_id: AtomicU64,
}

/// A running token server; its thread lives as long as the test process.
pub struct TokenServer {
    pub port: u16,
    signer: Arc<Signer>,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
}

impl TokenServer {
    /// Starts a token server on a free port that knows `user:password`,
    /// with a fresh key and self-signed certificate.
    pub fn start(user: &str, password: &str) -> TokenServer {
        let signer = Arc::new(Signer::generate());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let users = Arc::new((user.to_owned(), password.to_owned()));
        let (shared_signer, shared_requests) = (signer.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (signer, requests, users) = (
                    shared_signer.clone(),
                    shared_requests.clone(),
                    users.clone(),
                );
                std::thread::spawn(move || {
                    let _ = handle(stream, &signer, &users, &requests);
                });
            }
        });
        TokenServer {
            port,
            signer,
            requests,
        }
    }

    /// `http://127.0.0.1:<port>/token`: the registry's `realm`.
    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// The signing certificate as PEM: the registry's `rootcertbundle`.
    pub fn root_cert_pem(&self) -> &str {
        &self.signer.pem
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests came without credentials.
    pub fn anonymous_count(&self) -> usize {
        self.requests().iter().filter(|r| r.is_anonymous()).count()
    }

    /// How many requests came with credentials (right or wrong).
    pub fn authenticated_count(&self) -> usize {
        self.requests().iter().filter(|r| !r.is_anonymous()).count()
    }

    /// A token for `subject` granting `access` (`(repository, actions)`),
    /// minted without a request and without counting one.
    pub fn mint(&self, subject: &str, access: &[(&str, &[&str])]) -> String {
        let access: Vec<(String, Vec<String>)> = access
            .iter()
            .map(|(name, actions)| {
                let actions = actions.iter().map(|a| (*a).to_owned()).collect();
                ((*name).to_owned(), actions)
            })
            .collect();
        self.signer.token(subject, SERVICE, &access)
    }
}

impl Signer {
    fn generate() -> Signer {
        let key_pair = rcgen::KeyPair::generate().expect("generating a P-256 key");
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "wkg test token signer");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key_pair).expect("self-signing");
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            key_pair.serialized_der(),
            &rng,
        )
        .expect("loading the P-256 key into ring");
        Signer {
            key,
            x5c: STANDARD.encode(cert.der()),
            pem: cert.pem(),
            rng,
            next_id: AtomicU64::new(1),
        }
    }

    /// A compact JWS: `header.claims.signature`, each base64url without padding.
    fn token(&self, subject: &str, audience: &str, access: &[(String, Vec<String>)]) -> String {
        let now = unix_now();
        let header = json!({"typ": "JWT", "alg": "ES256", "x5c": [self.x5c]});
        let access: Vec<Value> = access
            .iter()
            .map(|(name, actions)| json!({"type": "repository", "name": name, "actions": actions}))
            .collect();
        let claims = json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": audience,
            "exp": now + EXPIRES_IN,
            "nbf": now,
            "iat": now,
            "jti": format!("wkg-test-{}", self.next_id.fetch_add(1, Ordering::Relaxed)),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, signing_input.as_bytes())
            .expect("signing a token");
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        )
    }
}

fn handle(
    stream: TcpStream,
    signer: &Signer,
    (user, password): &(String, String),
    requests: &Mutex<Vec<TokenRequest>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (method, target, headers) = super::read_head(&mut reader)?;
    let respond = |status: &str, extra: &str, body: &[u8]| {
        let mut out = stream.try_clone()?;
        write!(
            out,
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        )?;
        out.write_all(body)
    };
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    if method != "GET" || path != "/token" {
        return respond("404 Not Found", "", b"");
    }
    let mut service = None;
    let mut scopes = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "service" => service = Some(percent_decode(value)),
            "scope" => scopes.push(percent_decode(value)),
            _ => {}
        }
    }
    let presented = headers
        .get("authorization")
        .and_then(|v| basic_credentials(v));
    let valid = presented
        .as_ref()
        .is_some_and(|(u, p)| u == user && p == password);
    let mut request = TokenRequest {
        service: service.clone(),
        scopes: scopes.clone(),
        user: presented.map(|(u, _)| u),
        status: 401,
        granted: Vec::new(),
    };
    if request.user.is_some() && !valid {
        requests.lock().unwrap().push(request);
        return respond(
            "401 Unauthorized",
            "content-type: application/json\r\nwww-authenticate: Basic realm=\"wkg-test-token\"\r\n",
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}"#,
        );
    }

    // Valid credentials: everything asked; anonymous: `pull` of what was asked.
    let access: Vec<(String, Vec<String>)> = scopes
        .iter()
        .filter_map(|s| parse_scope(s))
        .map(|(name, actions)| {
            let actions = actions
                .into_iter()
                .filter(|a| valid || a == "pull")
                .collect::<Vec<_>>();
            (name, actions)
        })
        .filter(|(_, actions)| !actions.is_empty())
        .collect();
    let token = signer.token(
        request.user.as_deref().unwrap_or_default(),
        service.as_deref().unwrap_or_default(),
        &access,
    );
    request.status = 200;
    request.granted = access
        .iter()
        .map(|(name, actions)| format!("repository:{name}:{}", actions.join(",")))
        .collect();
    requests.lock().unwrap().push(request);
    let body = json!({
        "token": token,
        "access_token": token,
        "expires_in": EXPIRES_IN,
        "issued_at": rfc3339(unix_now()),
    });
    respond(
        "200 OK",
        "content-type: application/json\r\n",
        body.to_string().as_bytes(),
    )
}

/// `repository:<name>:<a,b>` as (name, actions); other resource types are
/// not granted.
fn parse_scope(scope: &str) -> Option<(String, Vec<String>)> {
    let rest = scope.strip_prefix("repository:")?;
    let (name, actions) = rest.rsplit_once(':')?;
    let actions = actions
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    Some((name.to_owned(), actions))
}

/// The (user, password) of an `Authorization: Basic …` value.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Form decoding: `%XX` escapes and `+` as space.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or_default();
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `secs` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}
