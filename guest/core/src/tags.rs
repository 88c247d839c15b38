//! Tag listing (distribution spec, "Content discovery"): the
//! `GET /v2/<name>/tags/list` body and `Link`-header pagination
//! (RFC 8288, formerly RFC 5988).

use serde::{Deserialize, Deserializer};

/// A `tags/list` response body: `{"name": "<repo>", "tags": [..]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagList {
    /// Repository name as the registry reports it.
    pub name: String,
    /// Tags in registry order; `null` or missing means none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<String>,
}

fn null_as_empty<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default())
}

/// A `tags/list` body that is not JSON of the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid tag list: {reason}")]
#[non_exhaustive]
pub struct TagListError {
    reason: String,
}

impl TagList {
    /// Parse a `tags/list` body.
    pub fn from_json(body: &[u8]) -> Result<Self, TagListError> {
        crate::json::from_object(body).map_err(|e| TagListError {
            reason: e.to_string(),
        })
    }
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn take_until(&mut self, stop: &[u8]) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|b| !stop.contains(&b)) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// A quoted string (opening quote at `pos`) with `\` escapes; `None`
    /// if unterminated.
    fn quoted(&mut self) -> Option<String> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.pos += 1;
                    out.push(self.peek()?);
                    self.pos += 1;
                }
                b => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }
}

/// One `<target>; params` link-value; `None` when malformed.
fn parse_link<'a>(c: &mut Cursor<'a>) -> Option<(&'a str, bool)> {
    if c.peek()? != b'<' {
        return None;
    }
    c.pos += 1;
    let target = c.take_until(b">");
    if c.peek()? != b'>' {
        return None;
    }
    c.pos += 1;
    let mut is_next = false;
    loop {
        c.skip_ws();
        match c.peek() {
            None | Some(b',') => return Some((target, is_next)),
            Some(b';') => c.pos += 1,
            Some(_) => return None,
        }
        c.skip_ws();
        let name = c.take_until(b"=;, \t").trim();
        c.skip_ws();
        if c.peek() != Some(b'=') {
            continue; // valueless parameter
        }
        c.pos += 1;
        c.skip_ws();
        let value = if c.peek() == Some(b'"') {
            c.quoted()?
        } else {
            c.take_until(b";, \t").to_owned()
        };
        if name.eq_ignore_ascii_case("rel")
            && value
                .split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
        {
            is_next = true;
        }
    }
}

/// The target of the first `rel="next"` link in a `Link` header value, as
/// written (usually a path like `/v2/foo/tags/list?last=b&n=2`; resolve it
/// with [`crate::urls::resolve_location`]).
///
/// Accepts several comma-separated links, parameters in any order, quoted
/// or bare `rel` values, and space-separated relation lists; relation
/// names are case-insensitive. Parsing stops at the first malformed link.
pub fn next_link(link_header: &str) -> Option<String> {
    let mut c = Cursor {
        s: link_header,
        pos: 0,
    };
    loop {
        while matches!(c.peek(), Some(b' ' | b'\t' | b',')) {
            c.pos += 1;
        }
        c.peek()?;
        let (target, is_next) = parse_link(&mut c)?;
        if is_next {
            return Some(target.trim().to_owned());
        }
    }
}

/// At most this many pages of one tag list are read.
pub const MAX_TAG_PAGES: usize = 1_000;
/// At most this many tags of one repository are read.
pub const MAX_TAGS: usize = 100_000;

/// Follows the pages of one tag list, and stops a registry that would
/// never end it: a page that links to one already read (a cycle of any
/// length), more than [`MAX_TAG_PAGES`] pages, or more than [`MAX_TAGS`]
/// tags.
#[derive(Debug, Default)]
pub struct Pagination {
    seen: std::collections::HashSet<String>,
    pages: usize,
    tags: usize,
}

/// Why [`Pagination`] stopped a tag list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaginationError {
    /// A `Link` led back to a page already read.
    #[error("its `Link` header leads back to a page already read (`{url}`) after {pages} pages")]
    Cycle {
        /// The repeated page.
        url: String,
        /// Pages read.
        pages: usize,
    },
    /// Too many pages.
    #[error("it goes on past {MAX_TAG_PAGES} pages")]
    TooManyPages,
    /// Too many tags.
    #[error("it has more than {MAX_TAGS} tags after {pages} pages")]
    TooManyTags {
        /// Pages read.
        pages: usize,
    },
}

impl Pagination {
    /// Counts the page read from `url` with `tags` tags, and decides on its
    /// `next` page: `Ok(Some(next))` to read it, `Ok(None)` at the end.
    ///
    /// # Errors
    /// [`PaginationError`] when the list must stop.
    pub fn advance(
        &mut self,
        url: &str,
        tags: usize,
        next: Option<String>,
    ) -> Result<Option<String>, PaginationError> {
        self.seen.insert(url.to_owned());
        self.pages += 1;
        self.tags = self.tags.saturating_add(tags);
        if self.tags > MAX_TAGS {
            return Err(PaginationError::TooManyTags { pages: self.pages });
        }
        let Some(next) = next else {
            return Ok(None);
        };
        if self.seen.contains(&next) {
            return Err(PaginationError::Cycle {
                url: next,
                pages: self.pages,
            });
        }
        if self.pages >= MAX_TAG_PAGES {
            return Err(PaginationError::TooManyPages);
        }
        Ok(Some(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_ends() {
        // A page that links to itself, two pages that link to each other.
        let mut p = Pagination::default();
        let err = p.advance("/a", 1, Some("/a".into())).unwrap_err();
        assert_eq!(
            err,
            PaginationError::Cycle {
                url: "/a".into(),
                pages: 1
            }
        );
        let mut p = Pagination::default();
        assert_eq!(p.advance("/a", 1, Some("/b".into())), Ok(Some("/b".into())));
        let err = p.advance("/b", 1, Some("/a".into())).unwrap_err();
        assert!(err.to_string().contains("after 2 pages"), "{err}");
        // An endless chain of new pages.
        let mut p = Pagination::default();
        let mut url = "/0".to_owned();
        let mut read = 0;
        let err = loop {
            read += 1;
            match p.advance(&url, 0, Some(format!("/{read}"))) {
                Ok(Some(next)) => url = next,
                Ok(None) => unreachable!(),
                Err(e) => break e,
            }
        };
        assert_eq!(err, PaginationError::TooManyPages);
        assert_eq!(read, MAX_TAG_PAGES);
        // Too many tags.
        let mut p = Pagination::default();
        let err = p.advance("/a", MAX_TAGS + 1, None).unwrap_err();
        assert_eq!(err, PaginationError::TooManyTags { pages: 1 });
        // The end.
        let mut p = Pagination::default();
        assert_eq!(p.advance("/a", 10, None), Ok(None));
    }

    #[test]
    fn parses_tag_lists() {
        let cases: &[(&str, &str, &[&str])] = &[
            (r#"{"name":"foo","tags":["a","b"]}"#, "foo", &["a", "b"]),
            (r#"{"name":"foo","tags":null}"#, "foo", &[]),
            (r#"{"name":"foo"}"#, "foo", &[]),
            (r#"{"name":"a/b","tags":[],"extra":1}"#, "a/b", &[]),
        ];
        for (body, name, tags) in cases {
            let list = TagList::from_json(body.as_bytes()).unwrap();
            assert_eq!(list.name, *name);
            assert_eq!(list.tags, *tags);
        }
        for bad in [
            "",
            "{}",
            r#"{"name":"x","tags":"a"}"#,
            r#"{"name":"x","tags":[1]}"#,
        ] {
            let err = TagList::from_json(bad.as_bytes()).unwrap_err();
            assert!(err.to_string().starts_with("invalid tag list: "), "{err}");
        }
    }

    #[test]
    fn finds_next_links() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"</v2/foo/tags/list?last=b&n=2>; rel="next""#,
                Some("/v2/foo/tags/list?last=b&n=2"),
            ),
            (
                "</v2/foo/tags/list?last=b&n=2>; rel=next",
                Some("/v2/foo/tags/list?last=b&n=2"),
            ),
            (
                r#"<https://h/v2/x?last=a,b>;rel="NEXT""#,
                Some("https://h/v2/x?last=a,b"),
            ),
            (
                r#"</first>; rel="prev", </second>; rel="next""#,
                Some("/second"),
            ),
            (
                r#"</a>; title="x, y; z"; rel="prev", </b>; type="text/html"; rel="last next""#,
                Some("/b"),
            ),
            (r#"</a>; rel="next"; title="t""#, Some("/a")),
            (r#"</a> ; crossorigin ; rel = next"#, Some("/a")),
            (r#"</a>; rel="nextpage""#, None),
            (r#"</a>; rel="prev""#, None),
            (r#"</a>; rev="next""#, None),
            ("", None),
            ("garbage", None),
            (r#"</a; rel="next""#, None),
            (r#"</a>; rel="next"#, None),
            (r#"</a> junk; rel="next""#, None),
        ];
        for (header, expected) in cases {
            assert_eq!(next_link(header).as_deref(), *expected, "{header}");
        }
    }
}
