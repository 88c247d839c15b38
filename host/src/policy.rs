//! Which hosts a run may reach.

use crate::tls::host_matches;

/// Which hosts the component may send HTTP requests to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum HostPolicy {
    /// Any host (what the `wkg` command does).
    #[default]
    Any,
    /// Only these: `host` (any port) or `host:port` entries, as in URLs;
    /// every other request fails in the component with wasi:http's
    /// `HTTP-request-denied`, and the host prints which one it refused.
    Only(Vec<String>),
}

impl HostPolicy {
    /// Whether a request to `authority` (`host[:port]`) may go out.
    pub fn allows(&self, authority: &str) -> bool {
        match self {
            HostPolicy::Any => true,
            HostPolicy::Only(hosts) => hosts.iter().any(|h| host_matches(h, authority)),
        }
    }
}
