//! permessage-deflate negotiation (RFC 7692 sections 5 and 7), sans-IO, for
//! both roles (feature `deflate`).
//!
//! * Server: [`negotiate`] looks at every offer of the client's
//!   `Sec-WebSocket-Extensions` headers (already parsed into
//!   [`Extension`]s), accepts the first acceptable one it can honour under
//!   its [`DeflateConfig`], and returns the parameters in force with the
//!   answer to send.
//! * Client: [`offer`] is what to send for a [`DeflateConfig`];
//!   [`check_response`] validates the server's answer against it and
//!   returns the parameters in force.
//!
//! The rules, for offers and answers alike (RFC 7692 section 5.1 and 7.1):
//! an unknown parameter, a parameter given twice, a value on
//! `server_no_context_takeover` or `client_no_context_takeover`, a window
//! size that is not a decimal integer from 8 to 15 without leading zeros,
//! or a `server_max_window_bits` without a value make the element
//! unacceptable: a server skips such an offer (and tries the next one), a
//! client fails the handshake on such an answer.
//!
//! ```
//! use tether_ws::deflate::{self, DeflateConfig};
//! use tether_ws::handshake::Extension;
//!
//! // A browser's offer (RFC 7692 section 7.1.2.2's bare client_max_window_bits).
//! let offers = vec![Extension {
//!     name: "permessage-deflate".into(),
//!     params: vec![("client_max_window_bits".into(), None)],
//! }];
//! let server = DeflateConfig::enabled()
//!     .with_server_no_context_takeover(true)
//!     .with_client_max_window_bits(12);
//! let (params, answer) = deflate::negotiate(&server, &offers).unwrap();
//! assert_eq!(
//!     answer.to_header_value(),
//!     "permessage-deflate; server_no_context_takeover; client_max_window_bits=12"
//! );
//! assert!(params.server_no_context_takeover);
//! assert_eq!(params.client_max_window_bits, 12);
//!
//! // The client checks that answer against what it offered.
//! let client = DeflateConfig::enabled();
//! assert_eq!(deflate::offer(&client).unwrap().to_header_value(),
//!     "permessage-deflate; client_max_window_bits");
//! let offered = deflate::offer(&client);
//! assert_eq!(deflate::check_response(offered.as_ref(), &[answer]).unwrap(), Some(params));
//! ```

use std::time::Duration;

use crate::handshake::Extension;
use crate::DeflateProblem;

/// The extension's name (RFC 7692 section 7).
pub const EXTENSION_NAME: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// The smallest LZ77 window size (as a base-2 logarithm) RFC 7692 allows.
pub const MIN_WINDOW_BITS: u8 = 8;
/// The largest LZ77 window size (as a base-2 logarithm), zlib's and RFC
/// 7692's default.
pub const MAX_WINDOW_BITS: u8 = 15;

/// Whether and how to negotiate permessage-deflate, on either side.
///
/// On a client it is what the client offers; on a server, what the server
/// accepts and imposes. `#[non_exhaustive]`: start from
/// [`DeflateConfig::default`] (refused) or [`DeflateConfig::enabled`] and
/// use the `with_*` setters.
///
/// Memory: a compressor costs about `2^(window_bits + 2)` bytes plus its
/// hash tables, a decompressor about `2^window_bits`; smaller windows and no
/// context takeover make compression cheaper to keep per connection (see
/// `tether_message`'s deflate module for the measured figures).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Whether permessage-deflate is offered (client) or accepted (server).
    ///
    /// Default: `false`.
    pub enabled: bool,

    /// The server does not keep its compression context from one message to
    /// the next. A client requests it (the server must then agree); a
    /// server with it set always uses (and announces) it, and honours a
    /// client's request for it either way.
    ///
    /// Default: `false` (context takeover, better compression).
    pub server_no_context_takeover: bool,

    /// The client does not keep its compression context from one message to
    /// the next. A client announces it in its offer; a server with it set
    /// requires it of every client.
    ///
    /// Default: `false`.
    pub client_no_context_takeover: bool,

    /// The largest LZ77 window the server compresses with, 8 to 15.
    ///
    /// A client requests it (offered as `server_max_window_bits` when
    /// below 15); a server answers with the smaller of it and the client's
    /// request. Default: 15. Bounds the peer's compressor memory on the
    /// server and this end's decompressor memory on the client.
    pub server_max_window_bits: u8,

    /// The largest LZ77 window the client compresses with, 8 to 15.
    ///
    /// A client offers `client_max_window_bits` (with this value when below
    /// 15, bare otherwise, meaning the server may choose); a server
    /// requires at most this (and refuses an offer that does not allow it
    /// to limit the client, when below 15). Default: 15.
    pub client_max_window_bits: u8,

    /// Messages shorter than this many bytes are sent uncompressed (this
    /// end's choice; not negotiated).
    ///
    /// Default: 64.
    pub threshold: usize,

    /// The zlib compression level, 0 (store) to 9 (best); this end's
    /// choice, not negotiated.
    ///
    /// Default: 6 (zlib's default).
    pub level: u32,

    /// With context takeover, an idle connection frees its zlib state (about
    /// 428 KB at 15-bit windows) after this long without traffic, keeping
    /// only the windows (at most 32 KiB per direction); the next message
    /// primes a new state with them, so the context goes on unbroken. This
    /// end's choice, not negotiated; `None` keeps the state for the life of
    /// the connection. See
    /// [`MessageCodec::release_compression_state`](tether_message::MessageCodec::release_compression_state).
    ///
    /// Default: 1 s (priming the compressor again costs about 120 µs at 15
    /// bits, at most once per idle period).
    pub release_after: Option<Duration>,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            enabled: false,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
            threshold: 64,
            level: 6,
            release_after: Some(Duration::from_secs(1)),
        }
    }
}

impl DeflateConfig {
    /// Compression refused (the default).
    pub fn disabled() -> Self {
        DeflateConfig::default()
    }

    /// Compression offered or accepted, with the defaults otherwise
    /// (context takeover both ways, 15-bit windows).
    pub fn enabled() -> Self {
        DeflateConfig {
            enabled: true,
            ..DeflateConfig::default()
        }
    }

    /// Sets [`DeflateConfig::enabled`].
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// Sets [`DeflateConfig::server_no_context_takeover`].
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::client_no_context_takeover`].
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateConfig::server_max_window_bits`] (clamped to 8..=15).
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        self
    }

    /// Sets [`DeflateConfig::client_max_window_bits`] (clamped to 8..=15).
    pub fn with_client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits.clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS);
        self
    }

    /// Sets [`DeflateConfig::threshold`].
    pub fn with_threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Sets [`DeflateConfig::level`] (at most 9).
    pub fn with_level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// Sets [`DeflateConfig::release_after`].
    pub fn with_release_after(mut self, after: Option<Duration>) -> Self {
        self.release_after = after;
        self
    }

    fn server_bits(&self) -> u8 {
        self.server_max_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
    }

    fn client_bits(&self) -> u8 {
        self.client_max_window_bits
            .clamp(MIN_WINDOW_BITS, MAX_WINDOW_BITS)
    }
}

/// The parameters in force once permessage-deflate is negotiated (both
/// ends agree on them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Negotiated {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// The server compresses with at most this LZ77 window (8..=15).
    pub server_max_window_bits: u8,
    /// The client compresses with at most this LZ77 window (8..=15).
    pub client_max_window_bits: u8,
}

impl Negotiated {
    /// The parameters for the message layer
    /// ([`MessageConfig::with_deflate`](tether_message::MessageConfig::with_deflate)),
    /// with this end's threshold and level from `config`.
    pub fn to_params(self, config: &DeflateConfig) -> tether_message::DeflateParams {
        tether_message::DeflateParams::default()
            .with_server_no_context_takeover(self.server_no_context_takeover)
            .with_client_no_context_takeover(self.client_no_context_takeover)
            .with_server_max_window_bits(self.server_max_window_bits)
            .with_client_max_window_bits(self.client_max_window_bits)
            .with_threshold(config.threshold)
            .with_compression_level(config.level)
    }
}

/// Puts the outcome of a negotiation into `config`'s message layer (and
/// clears any deflate parameters there when nothing was negotiated).
pub(crate) fn apply(config: &mut crate::WebSocketConfig, negotiated: Option<Negotiated>) {
    let params = negotiated.map(|n| n.to_params(&config.handshake.deflate));
    config.message = config.message.clone().with_deflate(params);
}

/// The parameters of one `permessage-deflate` element, checked against the
/// rules both offers and answers follow (RFC 7692 section 7.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeflateElement {
    /// `server_no_context_takeover` is present.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover` is present.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits`, if present (always with a value).
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits`, if present: `Some(None)` without a value
    /// (allowed in an offer only).
    pub client_max_window_bits: Option<Option<u8>>,
}

impl DeflateElement {
    /// Checks the parameters of `ext` (whose name is `permessage-deflate`).
    ///
    /// # Errors
    ///
    /// [`DeflateProblem::UnknownParameter`], [`DeflateProblem::DuplicateParameter`],
    /// [`DeflateProblem::InvalidValue`] (a value on a `*_no_context_takeover`,
    /// none on `server_max_window_bits`, or a window size that is not 8 to
    /// 15 written without leading zeros).
    pub fn parse(ext: &Extension) -> Result<DeflateElement, DeflateProblem> {
        let mut out = DeflateElement::default();
        let mut seen = [false; 4];
        for (name, value) in &ext.params {
            let index = match name.to_ascii_lowercase().as_str() {
                SERVER_NO_CONTEXT_TAKEOVER => 0,
                CLIENT_NO_CONTEXT_TAKEOVER => 1,
                SERVER_MAX_WINDOW_BITS => 2,
                CLIENT_MAX_WINDOW_BITS => 3,
                _ => return Err(DeflateProblem::UnknownParameter),
            };
            if let Some(slot) = seen.get_mut(index) {
                if std::mem::replace(slot, true) {
                    return Err(DeflateProblem::DuplicateParameter);
                }
            }
            match index {
                0 | 1 => {
                    if value.is_some() {
                        return Err(DeflateProblem::InvalidValue);
                    }
                    if index == 0 {
                        out.server_no_context_takeover = true;
                    } else {
                        out.client_no_context_takeover = true;
                    }
                }
                2 => {
                    let bits = value.as_deref().ok_or(DeflateProblem::InvalidValue)?;
                    out.server_max_window_bits = Some(window_bits(bits)?);
                }
                _ => {
                    out.client_max_window_bits = Some(match value.as_deref() {
                        Some(bits) => Some(window_bits(bits)?),
                        None => None,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// A window size: `8` to `15`, decimal without leading zeros.
fn window_bits(v: &str) -> Result<u8, DeflateProblem> {
    if v.starts_with('0') || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DeflateProblem::InvalidValue);
    }
    match v.parse::<u8>() {
        Ok(bits) if (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(&bits) => Ok(bits),
        _ => Err(DeflateProblem::InvalidValue),
    }
}

fn is_deflate(ext: &Extension) -> bool {
    ext.name.eq_ignore_ascii_case(EXTENSION_NAME)
}

fn flag(params: &mut Vec<(String, Option<String>)>, name: &str) {
    params.push((name.to_owned(), None));
}

fn bits(params: &mut Vec<(String, Option<String>)>, name: &str, value: u8) {
    params.push((name.to_owned(), Some(value.to_string())));
}

/// Server side: the answer to one offer under `config`, if the server can
/// accept it.
fn accept_one(config: &DeflateConfig, element: &DeflateElement) -> Option<(Negotiated, Extension)> {
    let server_bits = match element.server_max_window_bits {
        Some(requested) => requested.min(config.server_bits()),
        None => config.server_bits(),
    };
    let client_bits = match element.client_max_window_bits {
        // The client cannot be limited: only acceptable if the server does
        // not need to.
        None if config.client_bits() < MAX_WINDOW_BITS => return None,
        None => MAX_WINDOW_BITS,
        Some(None) => config.client_bits(),
        Some(Some(offered)) => offered.min(config.client_bits()),
    };
    let negotiated = Negotiated {
        server_no_context_takeover: element.server_no_context_takeover
            || config.server_no_context_takeover,
        client_no_context_takeover: element.client_no_context_takeover
            || config.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    };
    let mut params = Vec::new();
    if negotiated.server_no_context_takeover {
        flag(&mut params, SERVER_NO_CONTEXT_TAKEOVER);
    }
    if negotiated.client_no_context_takeover {
        flag(&mut params, CLIENT_NO_CONTEXT_TAKEOVER);
    }
    if element.server_max_window_bits.is_some() || server_bits < MAX_WINDOW_BITS {
        bits(&mut params, SERVER_MAX_WINDOW_BITS, server_bits);
    }
    // Only where the client offered it (RFC 7692 section 7.1.2.2).
    if matches!(element.client_max_window_bits, Some(Some(_)))
        || (element.client_max_window_bits.is_some() && client_bits < MAX_WINDOW_BITS)
    {
        bits(&mut params, CLIENT_MAX_WINDOW_BITS, client_bits);
    }
    Some((
        negotiated,
        Extension {
            name: EXTENSION_NAME.to_owned(),
            params,
        },
    ))
}

/// Server side: accepts the first `permessage-deflate` offer among
/// `offers` (every element of the request's `Sec-WebSocket-Extensions`
/// lines, in order) that is acceptable and that `config` can honour, and
/// returns the parameters in force and the element to answer with.
///
/// Offers of other extensions are ignored; an offer with an unknown or
/// repeated parameter or an invalid value is skipped (RFC 7692 section
/// 5.1); so is one that does not let the server limit the client's window
/// when [`DeflateConfig::client_max_window_bits`] is below 15. `None` (no
/// compression) if no offer is left or `config` refuses compression.
pub fn negotiate(config: &DeflateConfig, offers: &[Extension]) -> Option<(Negotiated, Extension)> {
    if !config.enabled {
        return None;
    }
    offers
        .iter()
        .filter(|e| is_deflate(e))
        .filter_map(|e| DeflateElement::parse(e).ok())
        .find_map(|element| accept_one(config, &element))
}

/// Client side: the `permessage-deflate` offer for `config`, or `None`
/// when compression is not wanted.
///
/// `client_max_window_bits` is always offered (with a value below 15,
/// bare otherwise: the server may then choose a smaller window for the
/// client); `server_max_window_bits` only below 15.
pub fn offer(config: &DeflateConfig) -> Option<Extension> {
    if !config.enabled {
        return None;
    }
    let mut params = Vec::new();
    if config.server_no_context_takeover {
        flag(&mut params, SERVER_NO_CONTEXT_TAKEOVER);
    }
    if config.client_no_context_takeover {
        flag(&mut params, CLIENT_NO_CONTEXT_TAKEOVER);
    }
    if config.server_bits() < MAX_WINDOW_BITS {
        bits(&mut params, SERVER_MAX_WINDOW_BITS, config.server_bits());
    }
    if config.client_bits() < MAX_WINDOW_BITS {
        bits(&mut params, CLIENT_MAX_WINDOW_BITS, config.client_bits());
    } else {
        flag(&mut params, CLIENT_MAX_WINDOW_BITS);
    }
    Some(Extension {
        name: EXTENSION_NAME.to_owned(),
        params,
    })
}

/// Client side: checks the extensions of the server's answer against the
/// offer that was sent (`None`: nothing was offered), and returns the
/// parameters in force (`None`: no compression).
///
/// # Errors
///
/// [`DeflateProblem::NotOffered`] for any extension when none was offered,
/// for another extension than `permessage-deflate`, or for
/// `client_max_window_bits` when the offer did not have it;
/// [`DeflateProblem::Repeated`] for more than one `permessage-deflate`;
/// the errors of [`DeflateElement::parse`]; [`DeflateProblem::InvalidValue`]
/// for `client_max_window_bits` without a value;
/// [`DeflateProblem::WindowTooLarge`] for a window larger than offered;
/// [`DeflateProblem::Unanswered`] when the offer asked for
/// `server_max_window_bits` or `server_no_context_takeover` and the answer
/// does not grant it.
pub fn check_response(
    offered: Option<&Extension>,
    answer: &[Extension],
) -> Result<Option<Negotiated>, DeflateProblem> {
    let mut deflate = None;
    for ext in answer {
        if offered.is_none() || !is_deflate(ext) {
            return Err(DeflateProblem::NotOffered);
        }
        if deflate.replace(ext).is_some() {
            return Err(DeflateProblem::Repeated);
        }
    }
    let (Some(ext), Some(offered)) = (deflate, offered) else {
        return Ok(None);
    };
    let offered = DeflateElement::parse(offered)?;
    let element = DeflateElement::parse(ext)?;
    if offered.server_no_context_takeover && !element.server_no_context_takeover {
        return Err(DeflateProblem::Unanswered);
    }
    let server_bits = match (
        element.server_max_window_bits,
        offered.server_max_window_bits,
    ) {
        (Some(bits), Some(limit)) if bits > limit => return Err(DeflateProblem::WindowTooLarge),
        (Some(bits), _) => bits,
        (None, Some(_)) => return Err(DeflateProblem::Unanswered),
        (None, None) => MAX_WINDOW_BITS,
    };
    let client_bits = match (
        element.client_max_window_bits,
        offered.client_max_window_bits,
    ) {
        (Some(_), None) => return Err(DeflateProblem::NotOffered),
        (Some(None), _) => return Err(DeflateProblem::InvalidValue),
        (Some(Some(bits)), Some(Some(limit))) if bits > limit => {
            return Err(DeflateProblem::WindowTooLarge)
        }
        (Some(Some(bits)), _) => bits,
        (None, Some(Some(limit))) => limit,
        (None, _) => MAX_WINDOW_BITS,
    };
    Ok(Some(Negotiated {
        server_no_context_takeover: element.server_no_context_takeover,
        client_no_context_takeover: element.client_no_context_takeover
            || offered.client_no_context_takeover,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::parse_extensions;
    use http::header::{HeaderMap, HeaderValue, SEC_WEBSOCKET_EXTENSIONS};

    fn exts(lines: &[&str]) -> Vec<Extension> {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(
                SEC_WEBSOCKET_EXTENSIONS,
                HeaderValue::from_str(l).expect("value"),
            );
        }
        parse_extensions(&h).expect("well-formed")
    }

    fn element(value: &str) -> Result<DeflateElement, DeflateProblem> {
        DeflateElement::parse(exts(&[value]).first().expect("one"))
    }

    fn answer(config: &DeflateConfig, lines: &[&str]) -> Option<String> {
        negotiate(config, &exts(lines)).map(|(_, e)| e.to_header_value())
    }

    fn n(snct: bool, cnct: bool, sb: u8, cb: u8) -> Negotiated {
        Negotiated {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: sb,
            client_max_window_bits: cb,
        }
    }

    #[test]
    fn parameters_with_and_without_values() {
        assert_eq!(element("permessage-deflate"), Ok(DeflateElement::default()));
        let all = element(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits",
        )
        .expect("valid");
        assert_eq!(
            all,
            DeflateElement {
                server_no_context_takeover: true,
                client_no_context_takeover: true,
                server_max_window_bits: Some(10),
                client_max_window_bits: Some(None),
            }
        );
        assert_eq!(
            element("permessage-deflate; client_max_window_bits=8")
                .expect("valid")
                .client_max_window_bits,
            Some(Some(8))
        );
        // Quoted-string values (RFC 6455 section 9.1), escapes included.
        assert_eq!(
            element("permessage-deflate; server_max_window_bits=\"12\"")
                .expect("valid")
                .server_max_window_bits,
            Some(12)
        );
        assert_eq!(
            element("permessage-deflate; client_max_window_bits=\"1\\5\"")
                .expect("valid")
                .client_max_window_bits,
            Some(Some(15))
        );
        // Names are case-insensitive.
        assert!(
            element("permessage-deflate; Server_No_Context_Takeover")
                .expect("valid")
                .server_no_context_takeover
        );
    }

    #[test]
    fn invalid_parameters() {
        use DeflateProblem as P;
        for (value, problem) in [
            ("permessage-deflate; foo", P::UnknownParameter),
            ("permessage-deflate; foo=1", P::UnknownParameter),
            (
                "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                P::DuplicateParameter,
            ),
            (
                "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
                P::DuplicateParameter,
            ),
            (
                "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
                P::DuplicateParameter,
            ),
            (
                "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
                P::DuplicateParameter,
            ),
            (
                "permessage-deflate; server_no_context_takeover=1",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; client_no_context_takeover=\"x\"",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=7",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=16",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=08",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; server_max_window_bits=+9",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; client_max_window_bits=0",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; client_max_window_bits=256",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; client_max_window_bits=\"16\"",
                P::InvalidValue,
            ),
            (
                "permessage-deflate; client_max_window_bits=a",
                P::InvalidValue,
            ),
        ] {
            assert_eq!(element(value), Err(problem), "{value}");
        }
    }

    #[test]
    fn refused_by_default() {
        assert_eq!(
            answer(&DeflateConfig::default(), &["permessage-deflate"]),
            None
        );
        assert_eq!(offer(&DeflateConfig::default()), None);
    }

    #[test]
    fn server_accepts_the_first_acceptable_offer() {
        let config = DeflateConfig::enabled();
        // RFC 7692 section 5.2's example: two offers, the first one with an
        // invalid value falls back to the second.
        assert_eq!(
            answer(
                &config,
                &["permessage-deflate; client_max_window_bits=16, permessage-deflate; client_max_window_bits"]
            )
            .as_deref(),
            Some("permessage-deflate")
        );
        // Other extensions are skipped; several header lines.
        assert_eq!(
            answer(
                &config,
                &[
                    "x-webkit-deflate-frame",
                    "permessage-deflate; foo, permessage-deflate; server_no_context_takeover"
                ]
            )
            .as_deref(),
            Some("permessage-deflate; server_no_context_takeover")
        );
        // Nothing acceptable.
        assert_eq!(
            answer(
                &config,
                &[
                    "permessage-deflate; foo",
                    "permessage-deflate; server_max_window_bits"
                ]
            ),
            None
        );
        assert_eq!(answer(&config, &["x-foo"]), None);
        assert_eq!(answer(&config, &[]), None);
        // RFC 7692 section 7.1.1.1 / 7.1.2.1: the requests are honoured.
        let (params, ext) = negotiate(
            &config,
            &exts(&["permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9; client_no_context_takeover"]),
        )
        .expect("accepted");
        assert_eq!(params, n(true, true, 10, 9));
        assert_eq!(
            ext.to_header_value(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9"
        );
        // A bare client_max_window_bits lets the server keep 15 silently.
        let (params, ext) = negotiate(
            &config,
            &exts(&["permessage-deflate; client_max_window_bits"]),
        )
        .expect("ok");
        assert_eq!(params, n(false, false, 15, 15));
        assert_eq!(ext.to_header_value(), "permessage-deflate");
    }

    #[test]
    fn server_configuration() {
        let config = DeflateConfig::enabled()
            .with_server_no_context_takeover(true)
            .with_client_max_window_bits(12);
        // The issue's example answer.
        assert_eq!(
            answer(&config, &["permessage-deflate; client_max_window_bits"]).as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=12")
        );
        // A client that cannot be limited is refused when a limit is set.
        assert_eq!(answer(&config, &["permessage-deflate"]), None);
        assert_eq!(
            answer(
                &config,
                &["permessage-deflate, permessage-deflate; client_max_window_bits=10"]
            )
            .as_deref(),
            Some("permessage-deflate; server_no_context_takeover; client_max_window_bits=10")
        );
        // The server's own window limit is announced unasked (RFC 7692 section 7.1.2.1).
        let config = DeflateConfig::enabled()
            .with_server_max_window_bits(11)
            .with_client_no_context_takeover(true);
        let (params, ext) = negotiate(
            &config,
            &exts(&["permessage-deflate; server_max_window_bits=13"]),
        )
        .expect("ok");
        assert_eq!(params, n(false, true, 11, 15));
        assert_eq!(
            ext.to_header_value(),
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=11"
        );
        let (params, _) = negotiate(
            &config,
            &exts(&["permessage-deflate; server_max_window_bits=9"]),
        )
        .expect("ok");
        assert_eq!(params.server_max_window_bits, 9);
        // Every answer the server gives, the client that offered it accepts.
        for sb in MIN_WINDOW_BITS..=MAX_WINDOW_BITS {
            for cb in MIN_WINDOW_BITS..=MAX_WINDOW_BITS {
                for (snct, cnct) in [(false, false), (true, false), (false, true), (true, true)] {
                    let client = DeflateConfig::enabled()
                        .with_server_no_context_takeover(snct)
                        .with_server_max_window_bits(sb)
                        .with_client_max_window_bits(cb);
                    let server = DeflateConfig::enabled()
                        .with_client_no_context_takeover(cnct)
                        .with_server_max_window_bits(sb.max(12))
                        .with_client_max_window_bits(cb.max(10));
                    let offered = offer(&client).expect("offered");
                    let (params, ext) = negotiate(&server, &[offered]).expect("accepted");
                    assert_eq!(
                        params,
                        n(snct, cnct, sb.min(sb.max(12)), cb.min(cb.max(10)))
                    );
                    assert_eq!(
                        check_response(offer(&client).as_ref(), &[ext]),
                        Ok(Some(params))
                    );
                }
            }
        }
    }

    #[test]
    fn client_offers() {
        let value = |c: DeflateConfig| offer(&c).expect("offered").to_header_value();
        assert_eq!(
            value(DeflateConfig::enabled()),
            "permessage-deflate; client_max_window_bits"
        );
        assert_eq!(
            value(
                DeflateConfig::enabled()
                    .with_server_no_context_takeover(true)
                    .with_client_no_context_takeover(true)
                    .with_server_max_window_bits(10)
                    .with_client_max_window_bits(9)
            ),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9"
        );
        assert_eq!(
            DeflateConfig::enabled()
                .with_client_max_window_bits(3)
                .client_max_window_bits,
            8
        );
    }

    #[test]
    fn client_checks_the_answer() {
        use DeflateProblem as P;
        let check =
            |c: &DeflateConfig, lines: &[&str]| check_response(offer(c).as_ref(), &exts(lines));
        let plain = DeflateConfig::enabled();
        assert_eq!(check(&plain, &[]), Ok(None));
        assert_eq!(
            check(&plain, &["permessage-deflate"]),
            Ok(Some(n(false, false, 15, 15)))
        );
        // The server may add these unasked (RFC 7692 sections 7.1.1, 7.1.2.1, 7.1.2.2).
        assert_eq!(
            check(
                &plain,
                &["permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8"]
            ),
            Ok(Some(n(true, true, 9, 8)))
        );
        assert_eq!(
            check(&DeflateConfig::default(), &["permessage-deflate"]),
            Err(P::NotOffered)
        );
        assert_eq!(check(&plain, &["x-foo"]), Err(P::NotOffered));
        assert_eq!(
            check(&plain, &["permessage-deflate, x-foo"]),
            Err(P::NotOffered)
        );
        assert_eq!(
            check(&plain, &["permessage-deflate", "permessage-deflate"]),
            Err(P::Repeated)
        );
        assert_eq!(
            check(&plain, &["permessage-deflate; foo"]),
            Err(P::UnknownParameter)
        );
        assert_eq!(
            check(
                &plain,
                &["permessage-deflate; server_no_context_takeover; server_no_context_takeover"]
            ),
            Err(P::DuplicateParameter)
        );
        assert_eq!(
            check(&plain, &["permessage-deflate; client_max_window_bits"]),
            Err(P::InvalidValue)
        );
        assert_eq!(
            check(&plain, &["permessage-deflate; server_max_window_bits=16"]),
            Err(P::InvalidValue)
        );
        assert_eq!(
            check(
                &plain,
                &["permessage-deflate; client_no_context_takeover=x"]
            ),
            Err(P::InvalidValue)
        );
        let limited = DeflateConfig::enabled()
            .with_server_max_window_bits(10)
            .with_client_max_window_bits(10)
            .with_server_no_context_takeover(true);
        assert_eq!(
            check(&limited, &["permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=10"]),
            Ok(Some(n(true, false, 10, 10)))
        );
        // Without a client_max_window_bits answer, the client keeps to what it offered.
        assert_eq!(
            check(
                &limited,
                &["permessage-deflate; server_no_context_takeover; server_max_window_bits=8"]
            ),
            Ok(Some(n(true, false, 8, 10)))
        );
        assert_eq!(
            check(
                &limited,
                &["permessage-deflate; server_no_context_takeover; server_max_window_bits=11"]
            ),
            Err(P::WindowTooLarge)
        );
        assert_eq!(
            check(&limited, &["permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"]),
            Err(P::WindowTooLarge)
        );
        assert_eq!(
            check(
                &limited,
                &["permessage-deflate; server_no_context_takeover"]
            ),
            Err(P::Unanswered)
        );
        assert_eq!(
            check(&limited, &["permessage-deflate; server_max_window_bits=10"]),
            Err(P::Unanswered)
        );
        // The client's own no_context_takeover holds even if the answer omits it.
        let cnct = DeflateConfig::enabled().with_client_no_context_takeover(true);
        assert_eq!(
            check(&cnct, &["permessage-deflate"]),
            Ok(Some(n(false, true, 15, 15)))
        );
        // client_max_window_bits only if offered (RFC 7692 section 7.1.2.2).
        let bare = exts(&["permessage-deflate"]);
        assert_eq!(
            check_response(
                bare.first(),
                &exts(&["permessage-deflate; client_max_window_bits=10"])
            ),
            Err(P::NotOffered)
        );
        assert_eq!(
            check_response(
                bare.first(),
                &exts(&["permessage-deflate; server_max_window_bits=10"])
            ),
            Ok(Some(n(false, false, 10, 15)))
        );
        assert_eq!(
            check_response(None, &exts(&["permessage-deflate"])),
            Err(P::NotOffered)
        );
        assert_eq!(check_response(None, &[]), Ok(None));
    }
}
