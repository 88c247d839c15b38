//! A fault-injecting HTTP relay in front of a real registry: each request
//! is read, answered with the next fault queued for its path if there is
//! one, else forwarded to the registry on a connection of its own and the
//! answer passed back. One request per connection (`connection: close`).
//!
//! [`Faults::serve_referrers_api`] makes it a registry with the OCI 1.1
//! referrers API in front of one without it (Distribution 2.8): it lists
//! the manifests pushed through it with a `subject`, answers their push
//! with `OCI-Subject`, and serves `GET /v2/<name>/referrers/<digest>`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What to do with one request instead of forwarding it.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and these extra header lines, `Name: value`).
    Status(u16, Vec<String>),
    /// Close the connection without answering.
    Reset,
    /// Answer a tag list with no tags and a `Link` to `next`.
    TagPage { next: String },
    /// Forward the request, pass the answer on up to `after` bytes of its
    /// body, then close the connection.
    Cut { after: usize },
    /// Forward the request, then pass the answer's body on `bytes` at a
    /// time every `every`.
    Drip {
        bytes: usize,
        every: std::time::Duration,
    },
    /// Read the request's body `bytes` at a time every `every`, then
    /// forward it.
    SlowRead {
        bytes: usize,
        every: std::time::Duration,
    },
}

#[derive(Default)]
struct State {
    /// Faults by path prefix, each used once, in order.
    faults: Vec<(String, VecDeque<Fault>)>,
    /// Every `METHOD target` seen.
    requests: Vec<String>,
    /// A tag list that never ends: every page links to a new one.
    endless_tags: Option<String>,
    /// See [`Faults::refuse_after`].
    refuse_after: Option<(String, usize, std::time::Duration)>,
    /// The referrers API's lists, by `repository@subject`, when served.
    referrers: Option<std::collections::HashMap<String, Vec<serde_json::Value>>>,
    /// A pause the acceptor is to take now, and how many it has begun.
    pause: Option<std::time::Duration>,
    pauses: usize,
}

/// Accepts connections (polling, so that it can stop listening for a
/// pause and listen again on the same port).
fn accept(listener: TcpListener, port: u16, target: u16, state: &Arc<Mutex<State>>) {
    listener.set_nonblocking(true).unwrap();
    let mut listener = Some(listener);
    loop {
        let pause = state.lock().unwrap().pause.take();
        if let Some(pause) = pause {
            drop(listener.take());
            state.lock().unwrap().pauses += 1;
            std::thread::sleep(pause);
            while listener.is_none() {
                listener = TcpListener::bind(("127.0.0.1", port)).ok();
            }
            listener.as_ref().unwrap().set_nonblocking(true).unwrap();
        }
        match listener.as_ref().unwrap().accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let state = state.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, target, &state);
                });
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
}

/// Takes the pause [`Faults::refuse_after`] asks for after `request`, and
/// returns once the relay has stopped listening.
fn pause_after(request: &str, state: &Mutex<State>) {
    let began = {
        let mut st = state.lock().unwrap();
        let Some((wanted, nth, pause)) = st.refuse_after.clone() else {
            return;
        };
        if !request.contains(&wanted) {
            return;
        }
        if nth > 1 {
            st.refuse_after = Some((wanted, nth - 1, pause));
            return;
        }
        st.refuse_after = None;
        st.pause = Some(pause);
        st.pauses
    };
    while state.lock().unwrap().pauses == began {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

pub struct Faults {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Faults {
    /// A relay to the registry on `127.0.0.1:<target>`.
    pub fn start(target: u16) -> Faults {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || accept(listener, port, target, &shared));
        Faults { port, state }
    }

    /// Once the `nth` request (from 1) whose `METHOD target` contains
    /// `request` has been forwarded, stops listening for `pause` before it
    /// answers, so the next connection is refused: a request that never
    /// left.
    pub fn refuse_after(&self, request: &str, nth: usize, pause: std::time::Duration) {
        self.state.lock().unwrap().refuse_after = Some((request.to_owned(), nth, pause));
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Queues `fault` for the next request whose path starts with `prefix`.
    pub fn inject(&self, prefix: &str, fault: Fault) {
        let mut st = self.state.lock().unwrap();
        match st.faults.iter_mut().find(|(p, _)| p == prefix) {
            Some((_, queue)) => queue.push_back(fault),
            None => st.faults.push((prefix.to_owned(), VecDeque::from([fault]))),
        }
    }

    /// Serves the OCI 1.1 referrers API (see the module documentation).
    pub fn serve_referrers_api(&self) {
        self.state.lock().unwrap().referrers = Some(Default::default());
    }

    /// Answers every tag list of `repository` with a page that links to a
    /// page never seen before.
    pub fn endless_tags(&self, repository: &str) {
        self.state.lock().unwrap().endless_tags = Some(repository.to_owned());
    }

    /// Every request seen, as `METHOD target[ range=<Range>]`.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// How many requests had `METHOD` and a target starting with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        let wanted = format!("{method} {prefix}");
        let st = self.state.lock().unwrap();
        st.requests
            .iter()
            .filter(|r| r.starts_with(&wanted))
            .count()
    }
}

fn handle(client: TcpStream, target: u16, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        // The relay speaks one request per connection.
        if !line.to_ascii_lowercase().starts_with("connection:") {
            head.push_str(&line);
        }
        if line == "\r\n" {
            break;
        }
    }
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let range = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("range")
            .then(|| value.trim().to_owned())
    });
    let mut parts = request_line.split_whitespace();
    let (method, target_path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let path = target_path.split('?').next().unwrap_or_default().to_owned();
    let fault = {
        let mut st = state.lock().unwrap();
        match &range {
            Some(range) => st
                .requests
                .push(format!("{method} {target_path} range={range}")),
            None => st.requests.push(format!("{method} {target_path}")),
        }
        let queued = st
            .faults
            .iter_mut()
            .find(|(prefix, queue)| path.starts_with(prefix.as_str()) && !queue.is_empty())
            .and_then(|(_, queue)| queue.pop_front());
        let endless = st
            .endless_tags
            .as_ref()
            .filter(|repo| path == format!("/v2/{repo}/tags/list"))
            .map(|_| Fault::TagPage {
                next: format!("{path}?page={}", st.requests.len()),
            });
        queued.or(endless)
    };
    let mut body = vec![0u8; length];
    match &fault {
        Some(Fault::SlowRead { bytes, every }) => {
            for piece in body.chunks_mut((*bytes).max(1)) {
                std::thread::sleep(*every);
                reader.read_exact(piece)?;
            }
        }
        _ => reader.read_exact(&mut body)?,
    }
    let mut out = client.try_clone()?;
    if fault.is_none()
        && let Some(answer) = referrers_api(&method, &target_path, &head, &body, target, state)?
    {
        return out.write_all(&answer);
    }
    match fault {
        Some(Fault::Reset) => {
            let _ = client.shutdown(Shutdown::Both);
            Ok(())
        }
        Some(Fault::Status(status, headers)) => {
            let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
            write!(
                out,
                "HTTP/1.1 {status} Fault\r\ncontent-length: 0\r\nconnection: close\r\n{extra}\r\n"
            )
        }
        Some(Fault::TagPage { next }) => {
            let body = br#"{"name":"x","tags":[]}"#;
            write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 link: <{next}>; rel=\"next\"\r\nconnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(body)
        }
        Some(Fault::Cut { after }) => {
            let answer = forward(target, &head, &body)?;
            let split = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(answer.len(), |at| at + 4);
            let end = (split + after).min(answer.len());
            out.write_all(&answer[..end])?;
            out.flush()?;
            let _ = client.shutdown(Shutdown::Both);
            Ok(())
        }
        Some(Fault::Drip { bytes, every }) => {
            let answer = forward(target, &head, &body)?;
            let split = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(answer.len(), |at| at + 4);
            out.write_all(&answer[..split])?;
            for piece in answer[split..].chunks(bytes.max(1)) {
                std::thread::sleep(every);
                out.write_all(piece)?;
                out.flush()?;
            }
            Ok(())
        }
        Some(Fault::SlowRead { .. }) | None => {
            let answer = forward(target, &head, &body)?;
            pause_after(&format!("{method} {target_path}"), state);
            out.write_all(&answer)
        }
    }
}

/// The referrers API's answer, when the relay serves it and the request is
/// a referrers list or the push of a manifest with a `subject`.
fn referrers_api(
    method: &str,
    target_path: &str,
    head: &str,
    body: &[u8],
    target: u16,
    state: &Mutex<State>,
) -> std::io::Result<Option<Vec<u8>>> {
    if state.lock().unwrap().referrers.is_none() {
        return Ok(None);
    }
    let (path, query) = target_path.split_once('?').unwrap_or((target_path, ""));
    let Some(rest) = path.strip_prefix("/v2/") else {
        return Ok(None);
    };
    if method == "GET"
        && let Some((repository, subject)) = rest.split_once("/referrers/")
    {
        let filter = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("artifactType="))
            .map(percent_decode);
        let key = format!("{repository}@{subject}");
        let listed: Vec<serde_json::Value> = state
            .lock()
            .unwrap()
            .referrers
            .as_ref()
            .unwrap()
            .get(&key)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| filter.as_deref().is_none_or(|f| e["artifactType"] == f))
            .collect();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": listed,
        })
        .to_string();
        let applied = if filter.is_some() {
            "oci-filters-applied: artifactType\r\n"
        } else {
            ""
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.oci.image.index.v1+json\r\n\
             content-length: {}\r\n{applied}connection: close\r\n\r\n",
            index.len()
        );
        return Ok(Some([head.into_bytes(), index.into_bytes()].concat()));
    }
    let Some((repository, _)) = rest.split_once("/manifests/") else {
        return Ok(None);
    };
    if method != "PUT" {
        return Ok(None);
    }
    let Ok(manifest) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(None);
    };
    let Some(subject) = manifest["subject"]["digest"].as_str() else {
        return Ok(None);
    };
    let answer = forward(target, head, body)?;
    if !answer.starts_with(b"HTTP/1.1 201") {
        return Ok(Some(answer));
    }
    use sha2::Digest as _;
    let digest = format!("sha256:{:x}", sha2::Sha256::digest(body));
    let mut entry = serde_json::json!({
        "mediaType": manifest["mediaType"],
        "digest": digest,
        "size": body.len(),
        "artifactType": manifest.get("artifactType").unwrap_or(&manifest["config"]["mediaType"]),
    });
    if let Some(annotations) = manifest.get("annotations") {
        entry["annotations"] = annotations.clone();
    }
    let key = format!("{repository}@{subject}");
    state
        .lock()
        .unwrap()
        .referrers
        .as_mut()
        .unwrap()
        .entry(key)
        .or_default()
        .push(entry);
    // `OCI-Subject` after the status line.
    let at = answer.windows(2).position(|w| w == b"\r\n").unwrap_or(0) + 2;
    let header = format!("oci-subject: {subject}\r\n");
    Ok(Some(
        [&answer[..at], header.as_bytes(), &answer[at..]].concat(),
    ))
}

/// `%XX` escapes decoded.
fn percent_decode(s: &str) -> String {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The registry's whole answer to the request `head` and `body`.
fn forward(target: u16, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut upstream = TcpStream::connect(("127.0.0.1", target))?;
    upstream.write_all(head.trim_end_matches("\r\n").as_bytes())?;
    upstream.write_all(b"\r\nconnection: close\r\n\r\n")?;
    upstream.write_all(body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    Ok(answer)
}
