//! A misbehaving registry for faults the real one cannot produce: Bearer
//! token auth served by the same process (with request counting), refused
//! chunked uploads or forged digests in their answers, and blobs whose
//! bytes do not match their digest.
//!
//! One request per connection (`connection: close`); enough for a client
//! that opens a connection per request, as wasi:http does.

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// What the fake does and what it saw.
#[derive(Default)]
pub struct State {
    /// Blobs and manifests by digest, manifests also by `repo:tag`.
    pub blobs: HashMap<String, Vec<u8>>,
    pub manifests: HashMap<String, Vec<u8>>,
    /// Serve these bytes for every blob GET instead of the real ones.
    pub lie_about_blobs: Option<Vec<u8>>,
    /// Answer blob GETs with a 307 to this URL prefix (`<prefix>/<digest>`),
    /// as registries that serve blobs from a CDN do.
    pub redirect_blobs_to: Option<String>,
    /// Accept chunked uploads (`PATCH`), answering each with a forged host
    /// digest; otherwise they are refused and clients must fall back.
    pub accept_patch: bool,
    /// Token requests seen, as `scope` values.
    pub token_requests: Vec<String>,
    /// Requests seen, as `METHOD path`.
    pub requests: Vec<String>,
    uploads: HashMap<String, Vec<u8>>,
}

pub struct Fake {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
}

const TOKEN: &str = "tok-123";

impl Fake {
    pub fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, port, &state);
                });
            }
        });
        Fake { port, state }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

fn handle(stream: TcpStream, port: u16, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let (method, target, headers) = super::read_head(&mut reader)?;
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut st = state.lock().unwrap();
    st.requests.push(format!("{method} {path}"));

    let authorized =
        headers.get("authorization").map(String::as_str) == Some(&format!("Bearer {TOKEN}"));
    let respond = |status: &str, extra: &str, body: &[u8]| {
        let mut out = stream.try_clone()?;
        write!(
            out,
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        )?;
        out.write_all(body)
    };

    // The "CDN": serves any stored blob to anyone, and notes credentials.
    if let Some(digest) = path.strip_prefix("/cdn/") {
        st.requests.push(format!(
            "CDN authorization={}",
            headers.contains_key("authorization")
        ));
        return match st.blobs.get(digest) {
            Some(b) => {
                let bytes = b.clone();
                respond("200 OK", "", &bytes)
            }
            None => respond("404 Not Found", "", b""),
        };
    }
    if path.starts_with("/.well-known/") {
        return respond("404 Not Found", "", b"");
    }
    if path == "/token" {
        let scope = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("scope="))
            .unwrap_or_default()
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%2F", "/");
        st.token_requests.push(scope);
        return respond(
            "200 OK",
            "content-type: application/json\r\n",
            format!(r#"{{"token":"{TOKEN}"}}"#).as_bytes(),
        );
    }
    if !authorized {
        let challenge = format!(
            "www-authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\"\r\n"
        );
        return respond(
            "401 Unauthorized",
            &challenge,
            br#"{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}"#,
        );
    }
    if path == "/v2/" {
        return respond("200 OK", "", b"{}");
    }
    let rest = path.strip_prefix("/v2/").unwrap_or_default();
    if let Some((repo, reference)) = rest.split_once("/manifests/") {
        return match method.as_str() {
            "GET" | "HEAD" => match st
                .manifests
                .get(&format!("{repo}:{reference}"))
                .or_else(|| st.manifests.get(reference))
            {
                Some(m) => respond(
                    "200 OK",
                    "content-type: application/vnd.oci.image.manifest.v1+json\r\n",
                    if method == "HEAD" { &[] } else { m },
                ),
                None => respond(
                    "404 Not Found",
                    "",
                    br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                ),
            },
            "PUT" => {
                let digest = sha256(&body);
                st.manifests
                    .insert(format!("{repo}:{reference}"), body.clone());
                st.manifests.insert(digest, body);
                respond("201 Created", "", b"")
            }
            _ => respond("405 Method Not Allowed", "", b""),
        };
    }
    if let Some((_repo, digest)) = rest.split_once("/blobs/")
        && !digest.starts_with("uploads")
    {
        return match (method.as_str(), st.blobs.get(digest)) {
            ("HEAD", Some(_)) => respond("200 OK", "", b""),
            ("GET", Some(_)) if st.redirect_blobs_to.is_some() => {
                let to = format!(
                    "{}/{digest}",
                    st.redirect_blobs_to.as_deref().unwrap_or_default()
                );
                respond(
                    "307 Temporary Redirect",
                    &format!("location: {to}\r\n"),
                    b"",
                )
            }
            ("GET", Some(b)) => match st.lie_about_blobs.clone() {
                Some(lie) => respond("200 OK", "", &lie),
                None => respond("200 OK", "", b),
            },
            _ => respond(
                "404 Not Found",
                "",
                br#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}"#,
            ),
        };
    }
    if let Some((repo, session)) = rest.split_once("/blobs/uploads/") {
        return match method.as_str() {
            "POST" => {
                let id = format!("s{}", st.uploads.len());
                st.uploads.insert(id.clone(), Vec::new());
                respond(
                    "202 Accepted",
                    &format!("location: /v2/{repo}/blobs/uploads/{id}\r\n"),
                    b"",
                )
            }
            "PATCH" if st.accept_patch => {
                let Some(data) = st.uploads.get_mut(session) else {
                    return respond("404 Not Found", "", b"");
                };
                data.extend_from_slice(&body);
                respond(
                    "202 Accepted",
                    &format!("location: /v2/{repo}/blobs/uploads/{session}\r\n"),
                    b"",
                )
            }
            "PATCH" => respond("405 Method Not Allowed", "", b""),
            "PUT" => {
                let expected = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("digest="))
                    .unwrap_or_default()
                    .replace("%3A", ":");
                let mut data = st.uploads.remove(session).unwrap_or_default();
                data.extend_from_slice(&body);
                if sha256(&data) != expected {
                    return respond(
                        "400 Bad Request",
                        "",
                        br#"{"errors":[{"code":"DIGEST_INVALID","message":"digest mismatch"}]}"#,
                    );
                }
                st.blobs.insert(expected, data);
                respond("201 Created", "", b"")
            }
            _ => respond("405 Method Not Allowed", "", b""),
        };
    }
    respond("404 Not Found", "", b"")
}
