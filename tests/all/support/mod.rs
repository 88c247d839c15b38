//! Test harness: a real CNCF Distribution registry (`docker-registry`) on
//! 127.0.0.1 with a free port and temporary storage, the native `wkg`
//! binary run in a temporary working directory, and small fault servers.
//!
//! The tests run in parallel threads of one process. A test whose
//! assertions only concern repositories it alone writes takes the
//! [`shared_anonymous`] registry; one that counts requests in the access
//! log, reads the log, lists tags, resolves a package without a version or
//! touches the storage starts a registry of its own. Every registry process
//! dies with the test process ([`spawn_tied`]).

#![allow(dead_code)]

pub mod fake;
pub mod faults;
pub mod proxy;
pub mod token;
pub mod wellknown;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

/// A registry process, stopped by pid when dropped ([`share`]d ones when
/// the test process exits).
pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub credentials: Option<(String, String)>,
    /// The token server of a [`Registry::token_auth`] registry.
    pub token: Option<token::TokenServer>,
    /// The PEM of the CA that signed a [`Registry::tls`] registry's
    /// certificate.
    pub ca_pem: Option<String>,
}

impl Registry {
    /// A registry that allows anonymous pull and push.
    pub fn anonymous() -> Registry {
        Registry::start(None, None, false)
    }

    /// A registry behind htpasswd Basic auth with one user.
    pub fn basic_auth(user: &str, password: &str) -> Registry {
        Registry::start(Some((user.to_owned(), password.to_owned())), None, false)
    }

    /// A registry behind bearer-token auth, as ghcr.io: its token server
    /// ([`Registry::token`]) grants anonymous requests `pull` and `user`
    /// every action.
    pub fn token_auth(user: &str, password: &str) -> Registry {
        let server = token::TokenServer::start(user, password);
        Registry::start(
            Some((user.to_owned(), password.to_owned())),
            Some(server),
            false,
        )
    }

    /// An anonymous registry served over https only, with a certificate for
    /// `127.0.0.1` signed by a CA made for it ([`Registry::ca_pem`]).
    pub fn tls() -> Registry {
        Registry::start(None, None, true)
    }

    fn start(
        credentials: Option<(String, String)>,
        token: Option<token::TokenServer>,
        tls: bool,
    ) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let storage = dir.path().join("storage");
        std::fs::create_dir_all(&storage).unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            storage.display()
        );
        let mut ca_pem = None;
        if tls {
            let (ca, cert, key) = tls_certificates();
            let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            std::fs::write(&cert_path, cert).unwrap();
            std::fs::write(&key_path, key).unwrap();
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert_path.display(),
                key_path.display()
            ));
            ca_pem = Some(ca);
        }
        if let Some(server) = &token {
            let bundle = dir.path().join("token-roots.pem");
            std::fs::write(&bundle, server.root_cert_pem()).unwrap();
            config.push_str(&format!(
                "auth:\n  token:\n    realm: {}\n    service: {}\n    issuer: {}\n    \
                 rootcertbundle: {}\n",
                server.realm(),
                token::SERVICE,
                token::ISSUER,
                bundle.display()
            ));
        } else if let Some((user, password)) = &credentials {
            let hash = bcrypt::hash(password, 4).unwrap();
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{user}:{hash}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: wkg-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let mut command = Command::new(registry_binary());
        command
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = spawn_tied(command)
            .expect("starting docker-registry (apt-get install docker-registry)");
        let registry = Registry {
            child,
            port,
            dir,
            credentials,
            token,
            ca_pem,
        };
        registry.wait_ready();
        registry
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "registry did not listen on port {} within 20 s: {}",
            self.port,
            self.log()
        );
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's log (access log included).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// How many access-log lines have `method path-prefix`.
    pub fn requests(&self, method: &str, path_prefix: &str) -> usize {
        let needle = format!("\"{method} {path_prefix}");
        self.log().lines().filter(|l| l.contains(&needle)).count()
    }

    /// The storage directory of a blob's data file.
    pub fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir
            .path()
            .join("storage/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// `GET http://<host><path>` with the registry's credentials (for a
    /// token-authed registry, a token minted for pulling the path's
    /// repository): (status, body).
    pub fn get(&self, path: &str, accept: &str) -> (u16, Vec<u8>) {
        let url = format!("http://{}{path}", self.host());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent.get(&url).header("Accept", accept);
        if let Some(server) = &self.token {
            let user = self.credentials.as_ref().map_or("", |(u, _)| u.as_str());
            let access = repository_of(path).map(|r| (r, &["pull"][..]));
            let token = server.mint(user, access.as_slice());
            req = req.header("Authorization", format!("Bearer {token}"));
        } else if let Some((u, p)) = &self.credentials {
            req = req.header("Authorization", basic(u, p));
        }
        let mut res = req.call().expect("GET from the registry");
        let status = res.status().as_u16();
        let body = res.body_mut().read_to_vec().unwrap();
        (status, body)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The anonymous registry shared by the tests that need none of their own
/// (see the module's documentation): started by the first that asks, kept
/// for the rest of the run. Each test on it pushes only to repositories no
/// other test names, so tests running at the same time cannot see each
/// other's pushes.
pub fn shared_anonymous() -> &'static Registry {
    static SHARED: OnceLock<&'static Registry> = OnceLock::new();
    SHARED.get_or_init(|| share(Registry::anonymous()))
}

/// `registry` kept for the rest of the run, for tests to share: a static is
/// never dropped, so the process is killed, and its directory removed, when
/// the test process exits (an `atexit` hook); if the process dies without
/// running it, the registry dies with it all the same ([`spawn_tied`]).
pub fn share(registry: Registry) -> &'static Registry {
    static SHARED: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());
    extern "C" fn stop_shared() {
        let shared = SHARED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (pid, dir) in shared.iter() {
            let Ok(pid) = libc::pid_t::try_from(*pid) else {
                continue;
            };
            #[allow(unsafe_code)]
            // SAFETY: plain system calls on a child of this process that
            // nothing else waits for (the `Child` of a shared registry is
            // never dropped).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let mut shared = SHARED.lock().unwrap();
    if shared.is_empty() {
        #[allow(unsafe_code)]
        // SAFETY: registers a function that takes no arguments and does not
        // unwind.
        let registered = unsafe { libc::atexit(stop_shared) };
        assert_eq!(registered, 0, "atexit");
    }
    shared.push((registry.child.id(), registry.dir.path().to_owned()));
    Box::leak(Box::new(registry))
}

/// Starts `command` as a process that dies with the test process, however
/// that ends (a crash, an abort, a CI timeout's `SIGKILL`): on Linux it gets
/// `SIGKILL` when its parent goes (`PR_SET_PDEATHSIG`). That parent is the
/// thread that forked it, so every such process is started by one thread
/// that lives as long as the test process, never by a test's thread (which
/// ends with its test, maybe while a shared registry it started still
/// serves others).
pub fn spawn_tied(mut command: Command) -> std::io::Result<Child> {
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = libc::pid_t::try_from(std::process::id()).unwrap();
        #[allow(unsafe_code)]
        // SAFETY: the closure runs in the forked child before exec, and
        // only makes async-signal-safe calls (prctl, getppid) and builds an
        // error without allocating.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The test process ended before the prctl: no signal comes.
                if libc::getppid() != parent {
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
    }
    let spawner = SPAWNER.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("spawn-tied".into())
            .spawn(move || {
                // The sender is in a static: this loop never ends.
                for (mut command, reply) in queue {
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("starting the spawning thread");
        jobs
    });
    let (reply, child) = mpsc::channel();
    spawner
        .send((command, reply))
        .expect("the spawning thread runs");
    child.recv().expect("the spawning thread answers")
}

/// The repository of a `/v2/<name>/{manifests,blobs,tags}/…` path.
fn repository_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/v2/")?;
    ["/manifests/", "/blobs/", "/tags/"]
        .iter()
        .find_map(|kind| rest.split_once(kind).map(|(name, _)| name))
}

fn basic(user: &str, password: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

fn registry_binary() -> PathBuf {
    for candidate in ["/usr/bin/docker-registry", "/usr/local/bin/docker-registry"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    "docker-registry".into()
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA, and a certificate for `127.0.0.1` and `localhost` it signed, with
/// that certificate's key: (CA PEM, certificate PEM, key PEM).
fn tls_certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::new()).unwrap();
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "wkg test CA");
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let cert = params.signed_by(&key, &*ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// A TCP relay to a local port that counts the connections it accepts.
pub struct Relay {
    pub port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Relay {
    /// Relays every connection to `127.0.0.1:<target>` until the process ends.
    pub fn start(target: u16) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        Relay { port, accepted }
    }

    /// `127.0.0.1:<port>`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A server that accepts connections and never answers; returns its port.
pub fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// A server that answers every request with `status` and an empty body.
pub fn status_server(status: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Oops\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    port
}

/// The output of one `wkg` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A working directory and environment for running the native `wkg`.
pub struct Wkg {
    pub cwd: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Wkg {
    /// A fresh working directory; `HOME` points into it, so no user config
    /// or docker credential leaks in.
    pub fn new() -> Wkg {
        let cwd = tempfile::tempdir().unwrap();
        let home = cwd.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Wkg {
            env: vec![
                ("HOME".into(), home.display().to_string()),
                (
                    "WKG_HOST_CACHE_DIR".into(),
                    code_cache().display().to_string(),
                ),
            ],
            cwd,
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Wkg {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.cwd.path().join(name)
    }

    /// Runs `wkg <args>` in the working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.cwd.path(), args)
    }

    /// `wkg <args>` in `dir`, with this runner's environment, not started.
    pub fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wkg"));
        command
            .args(args)
            .current_dir(dir)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        command
    }

    /// Runs `wkg <args>` in `dir`, with this runner's environment.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Run {
        let out = self.command(dir, args).output().expect("running wkg");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Names of the files in the working directory (temporary files included).
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.cwd.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "home")
            .collect();
        names.sort();
        names
    }
}

/// Runs `wkg <args>` in `wkg`'s working directory `rounds` times, killed
/// (`SIGKILL`) `step × n` after its start in round `n`, with `before` run
/// before each round; after each kill the file `out` must be absent or
/// hold exactly `expected`. Then one run to its end with
/// `WKG_LEFTOVER_AGE=0` must write `out` and leave no `.part` or `.tmp`
/// file in the working directory.
pub fn kill_repeatedly(
    wkg: &Wkg,
    args: &[&str],
    rounds: u64,
    step: Duration,
    out: &Path,
    expected: &[u8],
    before: impl Fn(),
) {
    for n in 0..rounds {
        before();
        let mut child = wkg.command(wkg.cwd.path(), args).spawn().unwrap();
        std::thread::sleep(step * u32::try_from(n).unwrap());
        let _ = child.kill();
        let _ = child.wait();
        if out.exists() {
            assert!(
                std::fs::read(out).unwrap() == expected,
                "kill {n}: a partial output"
            );
        }
    }
    let done = wkg
        .command(wkg.cwd.path(), args)
        .env("WKG_LEFTOVER_AGE", "0")
        .output()
        .unwrap();
    assert!(done.status.success(), "{done:?}");
    assert!(std::fs::read(out).unwrap() == expected);
    let leftovers: Vec<String> = wkg
        .files()
        .into_iter()
        .filter(|n| n.ends_with(".part") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// One compiled-code cache for all tests, beside the test binaries.
fn code_cache() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_wkg"));
    exe.parent().unwrap().join("wkg-test-code-cache")
}

/// `bytes` with a custom section of `extra` bytes appended: a valid
/// component of any size.
pub fn padded_component(bytes: &[u8], extra: usize) -> Vec<u8> {
    let name = b"wkg-test-padding";
    let mut payload_len = extra;
    let mut out = bytes.to_vec();
    out.push(0);
    let section_len = leb_len(name.len() as u64) + name.len() + payload_len;
    push_leb(&mut out, section_len as u64);
    push_leb(&mut out, name.len() as u64);
    out.extend_from_slice(name);
    out.reserve(payload_len);
    let mut x: u32 = 0x9e37_79b9;
    while payload_len > 0 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(x as u8);
        payload_len -= 1;
    }
    out
}

fn leb_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Appends `v` as unsigned LEB128.
pub fn push_leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A `config.toml` mapping `namespaces` to the registry at `host` over
/// plain http.
pub fn registry_config(host: &str, namespaces: &[&str]) -> String {
    let mut config = String::from("[namespace_registries]\n");
    for namespace in namespaces {
        config.push_str(&format!("{namespace} = \"{host}\"\n"));
    }
    config.push_str(&format!(
        "\n[registry.\"{host}\".oci]\nprotocol = \"http\"\n"
    ));
    config
}

/// The head of an HTTP/1.1 request: method, target and headers (names in
/// lower case), for the in-process test servers.
pub fn read_head(
    reader: &mut impl std::io::BufRead,
) -> std::io::Result<(String, String, std::collections::HashMap<String, String>)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = std::collections::HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    Ok((method, target, headers))
}
