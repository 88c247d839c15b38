//! HTTP proxies for the component's requests, read from the environment as
//! curl reads it. A component cannot reach a proxy by itself (wasi:http
//! sends each request to the host its URL names), so the host does it:
//!
//! * `https://` URLs go through a `CONNECT host:port` tunnel of the proxy,
//!   with TLS to the registry inside it;
//! * `http://` URLs are sent to the proxy in absolute form
//!   (`GET http://host/v2/ HTTP/1.1`);
//! * credentials in the proxy URL (`http://user:pass@proxy:3128`) go in
//!   `Proxy-Authorization: Basic …` to the proxy only, and are never
//!   printed: a proxy is shown as its URL without them.
//!
//! Variables: `https_proxy` / `HTTPS_PROXY` for https URLs, `http_proxy` /
//! `HTTP_PROXY` for http ones, else `all_proxy` / `ALL_PROXY`; the lower-case
//! form wins, as in curl (which ignores an upper-case `HTTP_PROXY`; we take it
//! as Go and most tools do). `no_proxy` / `NO_PROXY` lists the hosts that are
//! reached directly: `*` for all; a host name, matching itself and its
//! subdomains (a leading `.` is ignored); an IP address or CIDR block; each
//! optionally with `:port`. A proxy URL without a scheme is `http://`;
//! without a port, port 1080 (curl's default). Only `http://` proxies are
//! supported: any other scheme is an error when a request would use it.

use base64::Engine as _;
use http::HeaderValue;
use std::net::IpAddr;

/// A proxy server.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyServer {
    /// `host:port` to connect to.
    pub authority: String,
    /// `Proxy-Authorization` for the proxy, from the URL's credentials.
    pub authorization: Option<HeaderValue>,
    /// The URL without credentials, for messages.
    pub shown: String,
    /// Why it cannot be used (an unsupported scheme, a bad URL).
    pub unusable: Option<String>,
}

impl std::fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_tuple("ProxyServer").field(&self.shown).finish()
    }
}

/// The proxies of a run and the hosts that bypass them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    http: Option<ProxyServer>,
    https: Option<ProxyServer>,
    no_proxy: Vec<NoProxy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxy {
    All,
    Host {
        name: String,
        port: Option<u16>,
    },
    Net {
        ip: IpAddr,
        bits: u8,
        port: Option<u16>,
    },
}

impl Proxies {
    /// The proxies the environment `get` describes (see the module doc).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Proxies {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| get(n).filter(|v| !v.trim().is_empty()))
        };
        let all = first(&["all_proxy", "ALL_PROXY"]);
        let http = first(&["http_proxy", "HTTP_PROXY"]).or_else(|| all.clone());
        let https = first(&["https_proxy", "HTTPS_PROXY"]).or(all);
        let no_proxy = first(&["no_proxy", "NO_PROXY"]).unwrap_or_default();
        Proxies {
            http: http.as_deref().map(ProxyServer::parse),
            https: https.as_deref().map(ProxyServer::parse),
            no_proxy: no_proxy.split(',').filter_map(NoProxy::parse).collect(),
        }
    }

    /// Whether any proxy is set.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy for a request to `host` (a name or an IP address, IPv6
    /// without brackets) on `port`; `None` for a direct connection.
    pub fn for_target(&self, https: bool, host: &str, port: u16) -> Option<&ProxyServer> {
        let proxy = if https { &self.https } else { &self.http }.as_ref()?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let bypass = self.no_proxy.iter().any(|entry| entry.matches(host, port));
        (!bypass).then_some(proxy)
    }
}

impl ProxyServer {
    fn parse(url: &str) -> ProxyServer {
        let url = url.trim();
        let (scheme, rest) = match url.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_owned(), url),
        };
        let rest = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        let has_port = match hostport.rfind(']') {
            Some(end) => hostport[end..].contains(':'),
            None => hostport.contains(':'),
        };
        let authority = if has_port {
            hostport.to_owned()
        } else {
            format!("{hostport}:1080")
        };
        let shown = format!("{scheme}://{authority}");
        let unusable = if scheme != "http" {
            Some(format!(
                "proxy `{shown}`: only http:// proxies are supported (`{scheme}://` is not)"
            ))
        } else if hostport.is_empty() {
            Some(format!("proxy `{shown}` names no host"))
        } else {
            None
        };
        let authorization = userinfo.map(|userinfo| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let pair = format!("{}:{}", percent_decode(user), percent_decode(password));
            let token = base64::engine::general_purpose::STANDARD.encode(pair);
            let mut value = HeaderValue::try_from(format!("Basic {token}"))
                .expect("base64 is a valid header value");
            value.set_sensitive(true);
            value
        });
        ProxyServer {
            authority,
            authorization,
            shown,
            unusable,
        }
    }
}

impl NoProxy {
    fn parse(entry: &str) -> Option<NoProxy> {
        let entry = entry.trim();
        if entry.is_empty() {
            return None;
        }
        if entry == "*" {
            return Some(NoProxy::All);
        }
        // `[v6]:port`, `[v6]`, `v6`, `v4:port`, `name:port`, with `/bits`.
        let (address, port) = if let Some(rest) = entry.strip_prefix('[') {
            let (inside, after) = rest.split_once(']')?;
            (inside, after.strip_prefix(':').and_then(|p| p.parse().ok()))
        } else if entry.matches(':').count() == 1 {
            let (address, port) = entry.split_once(':')?;
            (address, Some(port.parse().ok()?))
        } else {
            (entry, None)
        };
        let (address, bits) = match address.split_once('/') {
            Some((address, bits)) => (address, Some(bits.parse::<u8>().ok()?)),
            None => (address, None),
        };
        if let Ok(ip) = address.parse::<IpAddr>() {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = bits.unwrap_or(max).min(max);
            return Some(NoProxy::Net { ip, bits, port });
        }
        let name = address.trim_start_matches('.').to_ascii_lowercase();
        Some(NoProxy::Host { name, port })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        match self {
            NoProxy::All => true,
            NoProxy::Host { name, port: p } => {
                let host = host.trim_end_matches('.').to_ascii_lowercase();
                let name_matches = host == *name
                    || host
                        .strip_suffix(name.as_str())
                        .is_some_and(|rest| rest.ends_with('.'));
                name_matches && p.is_none_or(|p| p == port)
            }
            NoProxy::Net { ip, bits, port: p } => {
                let Ok(addr) = host.parse::<IpAddr>() else {
                    return false;
                };
                in_net(addr, *ip, *bits) && p.is_none_or(|p| p == port)
            }
        }
    }
}

fn in_net(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    let mask = |width: u32| {
        let bits = u32::from(bits);
        if bits == 0 {
            0u128
        } else {
            (!0u128 << (width - bits)) & (!0u128 >> (128 - width))
        }
    };
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let m = mask(32);
            (u128::from(u32::from(a)) & m) == (u128::from(u32::from(n)) & m)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let m = mask(128);
            (u128::from(a) & m) == (u128::from(n) & m)
        }
        _ => false,
    }
}

/// `%XX` escapes decoded (as URL userinfo carries `:` and `@`).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(vars: &[(&str, &str)]) -> Proxies {
        Proxies::from_env(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn via(p: &Proxies, https: bool, host: &str, port: u16) -> Option<String> {
        p.for_target(https, host, port).map(|s| s.shown.clone())
    }

    #[test]
    fn precedence() {
        let p = proxies(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("ALL_PROXY", "all:3"),
        ]);
        assert_eq!(
            via(&p, true, "ghcr.io", 443).as_deref(),
            Some("http://lower:1")
        );
        assert_eq!(
            via(&p, false, "ghcr.io", 80).as_deref(),
            Some("http://all:3")
        );
        let p = proxies(&[("HTTP_PROXY", "proxy")]);
        assert_eq!(
            via(&p, false, "a", 80).as_deref(),
            Some("http://proxy:1080")
        );
        assert_eq!(via(&p, true, "a", 443), None);
        // Empty means unset.
        let p = proxies(&[("https_proxy", ""), ("HTTPS_PROXY", "http://u:9")]);
        assert_eq!(via(&p, true, "a", 443).as_deref(), Some("http://u:9"));
        assert!(proxies(&[]).is_empty());
    }

    #[test]
    fn no_proxy_matching() {
        let p = proxies(&[
            ("https_proxy", "http://p:3128"),
            (
                "NO_PROXY",
                "internal.example, .corp.example,10.0.0.0/8, 192.168.1.5, [::1], localhost:5000",
            ),
        ]);
        let direct = |host: &str, port| via(&p, true, host, port).is_none();
        assert!(direct("internal.example", 443));
        assert!(direct("reg.internal.example", 443));
        assert!(direct("REG.Internal.Example.", 443));
        assert!(!direct("notinternal.example", 443));
        assert!(direct("corp.example", 443));
        assert!(direct("a.b.corp.example", 443));
        assert!(direct("10.1.2.3", 443));
        assert!(!direct("11.1.2.3", 443));
        assert!(direct("192.168.1.5", 443));
        assert!(!direct("192.168.1.6", 443));
        assert!(direct("::1", 443));
        assert!(direct("[::1]", 443));
        assert!(direct("localhost", 5000));
        assert!(!direct("localhost", 5001));
        assert!(!direct("ghcr.io", 443));
        let all = proxies(&[("https_proxy", "http://p:3128"), ("no_proxy", "*")]);
        assert_eq!(via(&all, true, "ghcr.io", 443), None);
    }

    #[test]
    fn credentials_are_sent_never_shown() {
        let p = proxies(&[("https_proxy", "http://us%40er:p%3Ass@proxy.example:3128/")]);
        let server = p.for_target(true, "ghcr.io", 443).unwrap();
        assert_eq!(server.authority, "proxy.example:3128");
        assert_eq!(server.shown, "http://proxy.example:3128");
        let auth = server.authorization.as_ref().unwrap();
        let token = auth.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token)
            .unwrap();
        assert_eq!(decoded, b"us@er:p:ss");
        assert!(auth.is_sensitive());
        assert!(!format!("{server:?}").contains("p%3Ass"));
        assert!(!format!("{p:?}").contains("ss@"));
    }

    #[test]
    fn unsupported_schemes() {
        let p = proxies(&[("ALL_PROXY", "socks5://user:pw@p:1080")]);
        let server = p.for_target(true, "ghcr.io", 443).unwrap();
        let why = server.unusable.as_deref().unwrap();
        assert!(why.contains("only http:// proxies"), "{why}");
        assert!(!why.contains("pw"), "{why}");
        let p = proxies(&[("https_proxy", "http://[::1]:8080")]);
        assert_eq!(
            p.for_target(true, "a", 443).unwrap().authority,
            "[::1]:8080"
        );
    }
}
