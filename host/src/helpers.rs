//! The native `wkg:host/credentials` (`wit/host.wit`): docker credential
//! helpers (`credsStore`, `credHelpers`), which a component cannot start.
//! The host runs `docker-credential-<helper> get` for the server the
//! component names and gives it the credential the helper printed.
//!
//! The helper is the one the host's own docker config names for the server
//! (the component only names the server), and each server's answer is kept
//! for the rest of the run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use wkg_core::auth::{DockerConfig, helper_credential};

use crate::State;
use crate::bindings::wkg::host::credentials::{Credential, HelperError, Host};

/// What a helper gave for a server.
type Answer = Result<Option<Credential>, HelperError>;

/// Runs the credential helpers a docker `config.json` names.
pub(crate) struct Helpers {
    config: PathBuf,
    /// The answer per server key.
    answers: Mutex<HashMap<String, Answer>>,
}

impl Helpers {
    pub(crate) fn new(config: PathBuf) -> Arc<Helpers> {
        Arc::new(Helpers {
            config,
            answers: Mutex::default(),
        })
    }

    /// The credential for `server`, from the run's earlier answer or from
    /// its helper, run on a blocking thread.
    async fn get(self: Arc<Helpers>, server: String) -> Answer {
        let cached = self.lock().get(&server).cloned();
        if let Some(answer) = cached {
            return answer;
        }
        let helpers = self.clone();
        let key = server.clone();
        let answer = tokio::task::spawn_blocking(move || helpers.run(&key))
            .await
            .unwrap_or_else(|e| Err(HelperError::Failed(e.to_string())));
        self.lock().insert(server, answer.clone());
        answer
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Answer>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the helper for `server` (blocking).
    fn run(&self, server: &str) -> Answer {
        let failed = |reason: String| Err(HelperError::Failed(reason));
        let config = match std::fs::read(&self.config) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return failed(format!("`{}`: {e}", self.config.display())),
        };
        let config = match DockerConfig::from_json(&config) {
            Ok(config) => config,
            Err(e) => return failed(format!("`{}`: {e}", self.config.display())),
        };
        let Some(helper) = config.helper_for(server) else {
            return Ok(None);
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
            Ok(out) if out.status.success() => match helper_credential(&out.stdout, server) {
                Ok(c) => Ok(Some(Credential {
                    username: c.username().to_owned(),
                    secret: c.password().to_owned(),
                })),
                Err(e) => failed(e.to_string()),
            },
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
                failed(format!("failed: {reason}"))
            }
            Err(e) => failed(format!("cannot run `{program}`: {e}")),
        }
    }
}

impl Host for State {
    async fn get(&mut self, server: String) -> Answer {
        match &self.helpers {
            Some(helpers) => helpers.clone().get(server).await,
            None => Err(HelperError::Unavailable(
                "which this host was not asked to run (the native `wkg` runs it)".into(),
            )),
        }
    }
}
