//! `WWW-Authenticate` parsing (RFC 7235 section 4.1, RFC 9110 section 11).
//!
//! ```text
//! WWW-Authenticate = 1#challenge
//! challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//! auth-param       = token BWS "=" BWS ( token / quoted-string )
//! ```

/// One authentication challenge a registry accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP Basic (RFC 7617): send `Authorization: Basic …` directly.
    Basic {
        /// Protection space, informational.
        realm: Option<String>,
    },
    /// Docker token auth: get a token from `realm`, then send
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// Token endpoint URL.
        realm: String,
        /// `service` parameter for the token request.
        service: Option<String>,
        /// Scope the registry asked for, if any.
        scope: Option<String>,
    },
}

/// A `WWW-Authenticate` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The value does not follow the RFC 7235 grammar.
    #[error("invalid `WWW-Authenticate` header `{header}`: expected {expected} at byte {position}")]
    Syntax {
        /// The whole header value.
        header: String,
        /// Byte offset of the problem.
        position: usize,
        /// What the parser wanted there.
        expected: &'static str,
    },
    /// A `Bearer` challenge lacks the `realm` it needs.
    #[error("bearer challenge in `WWW-Authenticate` header `{header}` has no `realm`")]
    BearerWithoutRealm {
        /// The whole header value.
        header: String,
    },
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    fn eof(&self) -> bool {
        self.pos >= self.input.len()
    }

    /// Skip spaces and tabs; true if any were skipped.
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    fn error(&self, expected: &'static str) -> ChallengeError {
        ChallengeError::Syntax {
            header: self.input.to_owned(),
            position: self.pos,
            expected,
        }
    }

    /// Whether `token BWS "=" BWS` followed by a value starts here (as
    /// opposed to a token68 like `abc==` or a new challenge's scheme).
    fn at_auth_param(&mut self) -> bool {
        let start = self.pos;
        let is_param = !self.take_while(is_tchar).is_empty() && {
            self.skip_ws();
            self.peek() == Some(b'=') && {
                self.pos += 1;
                self.skip_ws();
                !matches!(self.peek(), None | Some(b'=' | b','))
            }
        };
        self.pos = start;
        is_param
    }

    fn quoted_string(&mut self) -> Result<String, ChallengeError> {
        // Caller saw the opening quote.
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("closing `\"`")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&value).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b) => value.push(b),
                        None => return Err(self.error("escaped character")),
                    }
                    self.pos += 1;
                }
                Some(b) => {
                    value.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// Parse `#auth-param` after a scheme; stops before the next challenge.
    fn auth_params(&mut self) -> Result<Vec<(String, String)>, ChallengeError> {
        let mut params = Vec::new();
        loop {
            let name = self.take_while(is_tchar).to_ascii_lowercase();
            self.skip_ws();
            if self.peek() != Some(b'=') {
                return Err(self.error("`=`"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = if self.peek() == Some(b'"') {
                self.quoted_string()?
            } else {
                let token = self.take_while(is_tchar);
                if token.is_empty() {
                    return Err(self.error("a token or quoted string"));
                }
                token.to_owned()
            };
            params.push((name, value));
            self.skip_ws();
            match self.peek() {
                None => return Ok(params),
                Some(b',') => {}
                Some(_) => return Err(self.error("`,`")),
            }
            let before_comma = self.pos;
            self.skip_ws_and_commas();
            if self.eof() || !self.at_auth_param() {
                self.pos = before_comma;
                return Ok(params);
            }
        }
    }
}

/// Parse every challenge in one `WWW-Authenticate` value. Schemes and
/// parameter names are case-insensitive; values keep their case. Schemes
/// other than `Basic` and `Bearer` (and token68 forms) are skipped; for
/// repeated parameters the first wins. Several headers can be handled by
/// parsing each and concatenating.
pub fn parse_challenges(header_value: &str) -> Result<Vec<Challenge>, ChallengeError> {
    let mut parser = Parser {
        input: header_value,
        pos: 0,
    };
    let mut challenges = Vec::new();
    loop {
        parser.skip_ws_and_commas();
        if parser.eof() {
            return Ok(challenges);
        }
        let scheme = parser.take_while(is_tchar);
        if scheme.is_empty() {
            return Err(parser.error("an auth scheme"));
        }
        let had_space = parser.skip_ws();
        let mut params = Vec::new();
        match parser.peek() {
            None | Some(b',') => {}
            Some(_) if !had_space => return Err(parser.error("a space after the auth scheme")),
            Some(_) if parser.at_auth_param() => params = parser.auth_params()?,
            Some(_) => {
                // token68: consumed and ignored.
                parser.take_while(is_token68_char);
                parser.take_while(|b| b == b'=');
                parser.skip_ws();
                if !matches!(parser.peek(), None | Some(b',')) {
                    return Err(parser.error("`,` or the end"));
                }
            }
        }
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            challenges.push(Challenge::Basic {
                realm: param("realm"),
            });
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let Some(realm) = param("realm") else {
                return Err(ChallengeError::BearerWithoutRealm {
                    header: header_value.to_owned(),
                });
            };
            challenges.push(Challenge::Bearer {
                realm,
                service: param("service"),
                scope: param("scope"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Challenge {
        Challenge::Bearer {
            realm: realm.to_owned(),
            service: service.map(str::to_owned),
            scope: scope.map(str::to_owned),
        }
    }

    fn basic(realm: Option<&str>) -> Challenge {
        Challenge::Basic {
            realm: realm.map(str::to_owned),
        }
    }

    #[test]
    fn parses_good_challenges() {
        let hub = bearer(
            "https://auth.docker.io/token",
            Some("registry.docker.io"),
            Some("repository:library/busybox:pull"),
        );
        let cases: Vec<(&str, Vec<Challenge>)> = vec![
            (
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
                vec![hub.clone()],
            ),
            (
                r#"Basic realm="Registry Realm""#,
                vec![basic(Some("Registry Realm"))],
            ),
            ("Basic", vec![basic(None)]),
            ("basic realm=simple", vec![basic(Some("simple"))]),
            (
                r#"BEARER Realm="https://h/token" , SERVICE = "h",scope=x"#,
                vec![bearer("https://h/token", Some("h"), Some("x"))],
            ),
            (
                r#"Basic realm="a", Bearer realm="https://h/t",service="s""#,
                vec![basic(Some("a")), bearer("https://h/t", Some("s"), None)],
            ),
            (
                r#"Bearer realm="https://h/t",scope="repository:a:pull,push""#,
                vec![bearer("https://h/t", None, Some("repository:a:pull,push"))],
            ),
            (
                r#"Basic realm="say \"hi\", \\ ok""#,
                vec![basic(Some(r#"say "hi", \ ok"#))],
            ),
            (
                r#"Negotiate abc123==, NTLM, Bearer realm="https://h/t", Custom a=b, c="d""#,
                vec![bearer("https://h/t", None, None)],
            ),
            (
                r#"Bearer realm="https://first", realm="https://second""#,
                vec![bearer("https://first", None, None)],
            ),
            (
                r#"Bearer realm="https://h/t",error="invalid_token""#,
                vec![bearer("https://h/t", None, None)],
            ),
            (r#"Basic realm="ünïcode""#, vec![basic(Some("ünïcode"))]),
            ("", vec![]),
            ("  ,  ", vec![]),
            ("Digest", vec![]),
            // `realm=` alone is a token68, not a parameter.
            ("Basic realm=", vec![basic(None)]),
        ];
        for (header, expected) in cases {
            let parsed = parse_challenges(header).unwrap_or_else(|e| panic!("{header}: {e}"));
            assert_eq!(parsed, expected, "{header}");
        }
    }

    #[test]
    fn rejects_bad_challenges() {
        let cases = [
            (
                r#"Bearer service="x""#,
                "bearer challenge in `WWW-Authenticate` header `Bearer service=\"x\"` has no `realm`",
            ),
            ("Bearer", "has no `realm`"),
            (
                r#"Bearer realm="unterminated"#,
                "expected closing `\"` at byte 26",
            ),
            (
                r#"Basic realm="x\"#,
                "expected escaped character at byte 15",
            ),
            ("=foo", "expected an auth scheme at byte 0"),
            ("Basic realm=\"a\" junk", "expected `,` at byte 16"),
            (
                "Basic realm=a, b=",
                "expected a space after the auth scheme at byte 16",
            ),
            ("Basic realm=a, =", "expected an auth scheme at byte 15"),
            ("Basic realm = , x", "expected `,` or the end at byte 12"),
            (
                "Basic\"realm\"",
                "expected a space after the auth scheme at byte 5",
            ),
            ("Negotiate abc def", "expected `,` or the end"),
            ("@@@", "expected an auth scheme"),
        ];
        for (header, message) in cases {
            let err = parse_challenges(header).expect_err(header);
            assert!(err.to_string().contains(message), "{header}: {err}");
        }
    }
}
