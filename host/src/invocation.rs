//! One run of the component, as an embedder describes it: command line,
//! environment, directories, output, network reach and credential helpers
//! ([`Invocation`]), and what it left behind ([`Outcome`]).

use std::path::PathBuf;

use wasmtime::Result;

use crate::{HostPolicy, Proxies, Trust};

/// A directory of the host made visible to the component.
#[derive(Debug, Clone)]
pub struct Preopen {
    /// The directory on the host.
    pub host: PathBuf,
    /// The path the component sees (`.` for its working directory).
    pub guest: String,
    /// Whether the component may write in it.
    pub writable: bool,
}

/// Where the component's stdout or stderr goes.
#[derive(Debug, Clone, Default)]
pub enum Output {
    /// The host process's own stream.
    #[default]
    Inherit,
    /// An in-memory buffer of at most this many bytes, read back from
    /// [`Outcome`].
    Capture(usize),
}

/// One run of the component: its command line, environment, files and
/// network reach.
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub preopens: Vec<Preopen>,
    pub stdout: Output,
    pub stderr: Output,
    /// The hosts its wasi:http requests may go to.
    pub hosts: HostPolicy,
    /// The TLS certificates its https requests trust beyond the Mozilla
    /// roots.
    pub trust: Trust,
    /// The HTTP proxies its requests go through ([`Proxies::from_env`]);
    /// none by default.
    pub proxies: Proxies,
    /// A docker `config.json` (a host path) whose credential helpers
    /// (`credsStore`, `credHelpers`) the host runs when the component asks
    /// for a server's credential; the component then sees
    /// `WKG_HOST_CREDENTIAL_HELPERS=1`. `None`: no helper is run, and the
    /// component goes on without such credentials.
    pub credential_helpers: Option<PathBuf>,
}

impl Invocation {
    /// A run with `args` (the first is the program name), no environment,
    /// no directories and the host's stdout and stderr.
    pub fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Invocation {
            args: args.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }

    /// Adds the environment variable `name=value`.
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Makes the host directory `host` visible at `guest` (`.` for the
    /// working directory), writable or read-only.
    pub fn preopen(
        mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
        writable: bool,
    ) -> Self {
        self.preopens.push(Preopen {
            host: host.into(),
            guest: guest.into(),
            writable,
        });
        self
    }

    /// Lets HTTP requests go only to these hosts (`host` or `host:port`),
    /// in addition to any allowed before.
    pub fn allow_hosts<I, S>(mut self, hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let more = hosts.into_iter().map(Into::into);
        self.hosts = match self.hosts {
            HostPolicy::Any => HostPolicy::Only(more.collect()),
            HostPolicy::Only(mut hosts) => {
                hosts.extend(more);
                HostPolicy::Only(hosts)
            }
        };
        self
    }

    /// Trusts the certificates in PEM `pem` as roots for every host.
    ///
    /// # Errors
    /// Malformed PEM, or no certificate in it.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.trust.roots.extend(Trust::pem_certificates(pem)?);
        Ok(self)
    }

    /// Accepts any certificate from `host` (`host` or `host:port`), as
    /// wkg's `accept_invalid_certificates`.
    pub fn insecure_host(mut self, host: impl Into<String>) -> Self {
        self.trust.insecure_hosts.push(host.into());
        self
    }

    /// Sends its requests through `proxies` (for example
    /// `Proxies::from_env(|name| std::env::var(name).ok())`, as the `wkg`
    /// command does).
    pub fn proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Captures stdout and stderr, up to `limit` bytes each, for
    /// [`Outcome`] or [`Client::output`](crate::Client::output).
    pub fn capture(mut self, limit: usize) -> Self {
        self.stdout = Output::Capture(limit);
        self.stderr = Output::Capture(limit);
        self
    }

    /// Lets the host run the credential helpers that the docker
    /// `config.json` at `docker_config` names, when the component asks.
    pub fn credential_helpers(mut self, docker_config: impl Into<PathBuf>) -> Self {
        self.credential_helpers = Some(docker_config.into());
        self
    }
}

/// What a run left behind: the exit code and any captured output.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// 0 success, 1 error, 2 usage error; [`TRAP_EXIT_CODE`](crate::TRAP_EXIT_CODE) for a trap.
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}
