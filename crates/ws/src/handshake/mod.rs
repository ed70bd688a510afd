//! The opening handshake (RFC 6455 section 4), sans-IO.
//!
//! * [`server`]: parse a client's HTTP/1.1 upgrade request
//!   ([`server::RequestReader::parse`]), check it ([`server::validate`]) and write
//!   the `101 Switching Protocols` answer or an HTTP error with a reason.
//! * [`client`]: build the request ([`client::ClientRequest`]) and check the
//!   server's answer ([`client::ResponseReader::parse`]).
//!
//! Both sides return how many bytes the HTTP message took: whatever follows
//! in the same buffer is already WebSocket frames and must be handed to the
//! frame decoder, never dropped.

pub mod client;
pub mod server;

use base64::Engine as _;
use http::header::{HeaderMap, HeaderName};
use sha1::{Digest, Sha1};

/// The GUID of RFC 6455 section 1.3 that the accept hash appends to the key.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64 of the SHA-1 of
/// the key (as sent, base64 text) followed by [`GUID`].
///
/// ```
/// // RFC 6455 section 1.3.
/// assert_eq!(
///     tether_ws::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// What the request and response readers share: the scan for the end of
/// the head (only bytes not seen before) and the limits.
#[derive(Debug, Clone)]
pub(crate) struct HeadScanner {
    scanned: usize,
    pub(crate) max_head: usize,
    pub(crate) max_headers: usize,
}

impl HeadScanner {
    pub(crate) fn new(config: &crate::HandshakeConfig) -> HeadScanner {
        HeadScanner {
            scanned: 0,
            max_head: config.max_header_bytes,
            max_headers: config.max_headers,
        }
    }

    /// Where the head ends, once it has arrived.
    pub(crate) fn find_end(&mut self, buf: &[u8]) -> Result<Option<usize>, crate::HandshakeError> {
        server::find_head_end(buf, &mut self.scanned, self.max_head)
    }

    /// Maps `httparse`'s verdict on a head of `end` bytes.
    pub(crate) fn check(
        &self,
        parsed: Result<httparse::Status<usize>, httparse::Error>,
        end: usize,
    ) -> Result<(), crate::HandshakeError> {
        match parsed {
            Ok(httparse::Status::Complete(n)) if n == end => Ok(()),
            Err(httparse::Error::TooManyHeaders) => Err(crate::HandshakeError::TooManyHeaders {
                max: self.max_headers,
            }),
            _ => Err(crate::HandshakeError::Malformed),
        }
    }
}

/// The comma-separated tokens of every `name` header line, trimmed, empty
/// elements skipped (RFC 9110 section 5.6.1 list syntax).
pub(crate) fn tokens<'a>(
    headers: &'a HeaderMap,
    name: &'a HeaderName,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Whether a `name` header lists `token` (ASCII case-insensitive).
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    tokens(headers, name).any(|t| t.eq_ignore_ascii_case(token))
}

/// One offered or accepted extension of a `Sec-WebSocket-Extensions` header
/// (RFC 6455 section 9.1): a name and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// The extension's name, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters in order: a name, and a value unless it is a bare flag
    /// (quoted values are unquoted).
    pub params: Vec<(String, Option<String>)>,
}

impl Extension {
    /// The header value of this extension: `name; p1; p2=v`.
    pub fn to_header_value(&self) -> String {
        let mut s = self.name.clone();
        for (name, value) in &self.params {
            s.push_str("; ");
            s.push_str(name);
            if let Some(v) = value {
                s.push('=');
                s.push_str(v);
            }
        }
        s
    }
}

/// Parses every `Sec-WebSocket-Extensions` line into its extensions, in
/// order. Elements that do not follow the grammar of RFC 6455 section 9.1
/// are an error.
///
/// # Errors
///
/// [`MalformedExtensions`] if any element is malformed (an empty or
/// non-token name or parameter, an unterminated quoted string).
pub fn parse_extensions(headers: &HeaderMap) -> Result<Vec<Extension>, MalformedExtensions> {
    let mut out = Vec::new();
    for value in headers.get_all(http::header::SEC_WEBSOCKET_EXTENSIONS) {
        let value = value.to_str().map_err(|_| MalformedExtensions)?;
        for element in split_outside_quotes(value, ',')? {
            let element = element.trim();
            if element.is_empty() {
                continue;
            }
            let mut parts = split_outside_quotes(element, ';')?.into_iter();
            let name = parts.next().unwrap_or_default().trim();
            if !is_token(name) {
                return Err(MalformedExtensions);
            }
            let mut params = Vec::new();
            for part in parts {
                let (pname, pvalue) = match part.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(unquote(v.trim())?)),
                    None => (part.trim(), None),
                };
                if !is_token(pname) {
                    return Err(MalformedExtensions);
                }
                params.push((pname.to_owned(), pvalue));
            }
            out.push(Extension {
                name: name.to_owned(),
                params,
            });
        }
    }
    Ok(out)
}

/// A `Sec-WebSocket-Extensions` header that does not follow RFC 6455
/// section 9.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MalformedExtensions;

/// Splits on `sep` where it is not inside a quoted string.
fn split_outside_quotes(s: &str, sep: char) -> Result<Vec<&str>, MalformedExtensions> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            out.push(s.get(start..i).unwrap_or_default());
            start = i + c.len_utf8();
        }
    }
    if quoted {
        return Err(MalformedExtensions);
    }
    out.push(s.get(start..).unwrap_or_default());
    Ok(out)
}

/// A parameter value: a token, or a quoted string whose content must be a
/// token once unescaped (RFC 6455 section 9.1).
fn unquote(v: &str) -> Result<String, MalformedExtensions> {
    let inner = match v.strip_prefix('"') {
        Some(rest) => {
            let rest = rest.strip_suffix('"').ok_or(MalformedExtensions)?;
            let mut out = String::with_capacity(rest.len());
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' {
                    chars.next().ok_or(MalformedExtensions)?
                } else {
                    c
                });
            }
            out
        }
        None => v.to_owned(),
    };
    if is_token(&inner) {
        Ok(inner)
    } else {
        Err(MalformedExtensions)
    }
}

/// An HTTP token (RFC 9110 section 5.6.2).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(lines: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in lines {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    #[test]
    fn rfc_accept_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn token_lists_across_lines_and_case() {
        let h = headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("connection", " close "),
        ]);
        assert!(has_token(&h, &http::header::CONNECTION, "upgrade"));
        assert!(has_token(&h, &http::header::CONNECTION, "CLOSE"));
        assert!(!has_token(&h, &http::header::CONNECTION, "keep"));
    }

    #[test]
    fn extension_offers() {
        let h = headers(&[
            (
                "sec-websocket-extensions",
                "permessage-deflate; client_max_window_bits, x-foo; a=\"1\"",
            ),
            (
                "sec-websocket-extensions",
                "permessage-deflate; server_no_context_takeover",
            ),
        ]);
        let ext = parse_extensions(&h).expect("valid");
        assert_eq!(ext.len(), 3);
        assert_eq!(ext[0].name, "permessage-deflate");
        assert_eq!(ext[0].params, vec![("client_max_window_bits".into(), None)]);
        assert_eq!(ext[1].params, vec![("a".into(), Some("1".into()))]);
        assert_eq!(
            ext[2].to_header_value(),
            "permessage-deflate; server_no_context_takeover"
        );
        for bad in ["a b", "x; =1", "x; a=\"1", "x; a=\"b c\"", "; a"] {
            let h = headers(&[("sec-websocket-extensions", bad)]);
            assert!(parse_extensions(&h).is_err(), "{bad}");
        }
    }
}
