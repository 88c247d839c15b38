//! Docker credential helpers (`credsStore`, `credHelpers`), which a
//! component cannot start: the host runs `docker-credential-<helper> get`
//! when the component asks for a server's credential with a request to
//! [`HELPER_SERVICE_HOST`], and answers with what the helper printed.
//!
//! The helper is the one the host's own docker config names for the server
//! (the component only names the server), and each server's answer is kept
//! for the rest of the run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use wasmtime_wasi_http::{Error, WasiBody};
use wkg_core::auth::{DockerConfig, HELPER_SERVICE_HOST};

/// Runs the credential helpers a docker `config.json` names.
pub(crate) struct Helpers {
    config: PathBuf,
    /// Status and body per server key.
    answers: Mutex<HashMap<String, (u16, Bytes)>>,
}

impl Helpers {
    pub(crate) fn new(config: PathBuf) -> Arc<Helpers> {
        Arc::new(Helpers {
            config,
            answers: Mutex::default(),
        })
    }

    /// Whether a request to `authority` is for the helpers.
    pub(crate) fn serves(authority: &str) -> bool {
        authority.eq_ignore_ascii_case(HELPER_SERVICE_HOST)
    }

    /// The answer to `POST /get` with a server key as the body: 200 and the
    /// helper's output, 404 when the docker config names no helper for the
    /// server, 502 with the reason when the helper fails.
    pub(crate) async fn answer(
        self: Arc<Helpers>,
        request: http::Request<WasiBody>,
    ) -> Result<http::Response<WasiBody>, Error> {
        let (status, body) =
            if request.method() != http::Method::POST || request.uri().path() != "/get" {
                (400, Bytes::from_static(b"expected `POST /get`"))
            } else {
                let key = request.into_body().collect().await?.to_bytes();
                let key = String::from_utf8_lossy(&key).trim().to_owned();
                let cached = self.lock().get(&key).cloned();
                match cached {
                    Some(answer) => answer,
                    None => {
                        let helpers = self.clone();
                        let server = key.clone();
                        let answer = tokio::task::spawn_blocking(move || helpers.run(&server))
                            .await
                            .map_err(|e| Error::InternalError(Some(e.to_string())))?;
                        self.lock().insert(key, answer.clone());
                        answer
                    }
                }
            };
        let body = Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync();
        let response = http::Response::builder()
            .status(status)
            .body(body)
            .map_err(|e| Error::InternalError(Some(e.to_string())))?;
        Ok(response)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u16, Bytes)>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the helper for `server` (blocking).
    fn run(&self, server: &str) -> (u16, Bytes) {
        let fail = |status: u16, reason: String| (status, Bytes::from(reason));
        let config = match std::fs::read(&self.config) {
            Ok(bytes) => bytes,
            Err(e) => return fail(404, format!("`{}`: {e}", self.config.display())),
        };
        let config = match DockerConfig::from_json(&config) {
            Ok(config) => config,
            Err(e) => return fail(404, format!("`{}`: {e}", self.config.display())),
        };
        let Some(helper) = config.helper_for(server) else {
            return fail(
                404,
                format!("`{}` names no helper for it", self.config.display()),
            );
        };
        let program = format!("docker-credential-{helper}");
        let output = std::process::Command::new(&program)
            .arg("get")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                if let Some(mut stdin) = child.stdin.take() {
                    // A helper that exits without reading is reported below.
                    let _ = stdin.write_all(server.as_bytes());
                }
                child.wait_with_output()
            });
        match output {
            Ok(out) if out.status.success() => (200, Bytes::from(out.stdout)),
            Ok(out) => {
                // Helpers print their reason on stdout (the protocol) or stderr.
                let said = [out.stdout, out.stderr]
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).trim().to_owned())
                    .find(|s| !s.is_empty());
                let reason = match said {
                    Some(said) => format!("{} ({said})", out.status),
                    None => out.status.to_string(),
                };
                fail(502, format!("failed: {reason}"))
            }
            Err(e) => fail(502, format!("cannot run `{program}`: {e}")),
        }
    }
}
