//! A real HTTP proxy for the tests: Debian's `tinyproxy` on 127.0.0.1, on
//! a free port, with its log in a temporary directory; stopped by pid, and
//! dies with the test process ([`super::spawn_tied`]).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Proxy {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl Proxy {
    /// A proxy that asks for `user:password` (Basic) when given one.
    pub fn start(credentials: Option<(&str, &str)>) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let port = super::free_port();
        let log = dir.path().join("tinyproxy.log");
        let mut config = format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 60\nLogFile \"{}\"\nLogLevel Connect\n\
             MaxClients 50\nAllow 127.0.0.1\n",
            log.display()
        );
        if let Some((user, password)) = credentials {
            config.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        let path = dir.path().join("tinyproxy.conf");
        std::fs::write(&path, config).unwrap();
        let binary = ["/usr/bin/tinyproxy", "/usr/sbin/tinyproxy"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or("tinyproxy");
        let mut command = Command::new(binary);
        command
            .arg("-d")
            .arg("-c")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child =
            super::spawn_tied(command).expect("starting tinyproxy (apt-get install tinyproxy)");
        // Ready once it answers a request: tinyproxy reloads its config
        // after it first listens, and refuses connections meanwhile.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !answers(port) {
            assert!(
                Instant::now() < deadline,
                "tinyproxy did not answer on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Proxy { port, child, dir }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The request lines the proxy logged (`GET http://… HTTP/1.1`,
    /// `CONNECT host:port HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        let log =
            std::fs::read_to_string(self.dir.path().join("tinyproxy.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| l.split_once("): ").map(|(_, r)| r))
            .filter(|r| r.ends_with("HTTP/1.1") || r.ends_with("HTTP/1.0"))
            .map(str::to_owned)
            .collect()
    }
}

/// Whether the proxy on `port` answers a request (for its own status
/// page) with an HTTP response.
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let probe = b"GET http://tinyproxy.stats/ HTTP/1.0\r\n\r\n";
    let mut head = [0u8; 5];
    stream.write_all(probe).is_ok() && stream.read_exact(&mut head).is_ok() && &head == b"HTTP/"
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
