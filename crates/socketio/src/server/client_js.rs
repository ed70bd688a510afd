//! The browser client (web/, built into web/dist and embedded at build
//! time), served under the server's path as the reference serves its own:
//! `socket.io.js`, `socket.io.min.js` and `socket.io.min.js.map`.

use std::sync::LazyLock;

use bytes::Bytes;
use http::header::{
    HeaderValue, ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, Method, Response, StatusCode};
use tether_engineio::server::EngineBody;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    identity: &'static [u8],
    gzip: Option<&'static [u8]>,
    brotli: Option<&'static [u8]>,
}

static ASSETS: [Asset; 3] = [
    Asset {
        name: "socket.io.js",
        content_type: "application/javascript; charset=utf-8",
        identity: include_bytes!("../../../../web/dist/socket.io.js"),
        gzip: Some(include_bytes!("../../../../web/dist/socket.io.js.gz")),
        brotli: Some(include_bytes!("../../../../web/dist/socket.io.js.br")),
    },
    Asset {
        name: "socket.io.min.js",
        content_type: "application/javascript; charset=utf-8",
        identity: include_bytes!("../../../../web/dist/socket.io.min.js"),
        gzip: Some(include_bytes!("../../../../web/dist/socket.io.min.js.gz")),
        brotli: Some(include_bytes!("../../../../web/dist/socket.io.min.js.br")),
    },
    Asset {
        name: "socket.io.min.js.map",
        content_type: "application/json; charset=utf-8",
        identity: include_bytes!("../../../../web/dist/socket.io.min.js.map"),
        gzip: None,
        brotli: None,
    },
];

/// Each asset's entity tag: a strong tag from a 64-bit FNV-1a of its
/// bytes, so it changes whenever the client does.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let hash = a.identity.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            HeaderValue::from_str(&format!("\"{hash:016x}\""))
                .unwrap_or(HeaderValue::from_static("\"0\""))
        })
        .collect()
});

/// The name under the server's path of a served file, if `rest` is one.
pub(crate) fn is_asset(rest: &str) -> bool {
    ASSETS.iter().any(|a| a.name == rest)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// The best coding `accept` allows among what is available: brotli, then
/// gzip, then none (RFC 9110 section 12.5.3: `q=0` refuses a coding, `*`
/// stands for the others).
fn choose(accept: Option<&HeaderValue>, gzip: bool, brotli: bool) -> Coding {
    let Some(accept) = accept.and_then(|v| v.to_str().ok()) else {
        return Coding::Identity;
    };
    let mut q_br = None;
    let mut q_gzip = None;
    let mut q_any = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match name.as_str() {
            "br" => q_br = Some(q),
            "gzip" | "x-gzip" => q_gzip = Some(q),
            "*" => q_any = Some(q),
            _ => {}
        }
    }
    let br = q_br.or(q_any).unwrap_or(0.0);
    let gz = q_gzip.or(q_any).unwrap_or(0.0);
    if brotli && br > 0.0 && br >= gz {
        Coding::Brotli
    } else if gzip && gz > 0.0 {
        Coding::Gzip
    } else {
        Coding::Identity
    }
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as for a
/// `GET`).
fn matches(if_none_match: Option<&HeaderValue>, etag: &HeaderValue) -> bool {
    let Some(value) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

/// The response for the asset `rest` under the server's path.
pub(crate) fn respond(
    rest: &str,
    method: &Method,
    headers: &HeaderMap,
) -> Option<Response<EngineBody>> {
    let index = ASSETS.iter().position(|a| a.name == rest)?;
    let asset = ASSETS.get(index)?;
    let etag = ETAGS.get(index)?.clone();
    let mut builder = Response::builder()
        .header(ETAG, etag.clone())
        .header(CACHE_CONTROL, "public, max-age=0")
        .header(VARY, "Accept-Encoding");
    if method != Method::GET && method != Method::HEAD {
        return builder
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header(http::header::ALLOW, "GET, HEAD")
            .body(EngineBody::default())
            .ok();
    }
    if matches(headers.get(IF_NONE_MATCH), &etag) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(EngineBody::default())
            .ok();
    }
    let coding = choose(
        headers.get(ACCEPT_ENCODING),
        asset.gzip.is_some(),
        asset.brotli.is_some(),
    );
    let body: &'static [u8] = match coding {
        Coding::Brotli => {
            builder = builder.header(CONTENT_ENCODING, "br");
            asset.brotli.unwrap_or(asset.identity)
        }
        Coding::Gzip => {
            builder = builder.header(CONTENT_ENCODING, "gzip");
            asset.gzip.unwrap_or(asset.identity)
        }
        Coding::Identity => asset.identity,
    };
    let body = if method == Method::HEAD {
        EngineBody::default()
    } else {
        EngineBody::new(Bytes::from_static(body))
    };
    builder
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, asset.content_type)
        .body(body)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hv(s: &'static str) -> HeaderValue {
        HeaderValue::from_static(s)
    }

    #[test]
    fn content_coding_negotiation() {
        assert!(choose(None, true, true) == Coding::Identity);
        assert!(choose(Some(&hv("gzip, deflate, br")), true, true) == Coding::Brotli);
        assert!(choose(Some(&hv("gzip, deflate, br")), true, false) == Coding::Gzip);
        assert!(choose(Some(&hv("gzip;q=1, br;q=0.5")), true, true) == Coding::Gzip);
        assert!(choose(Some(&hv("br;q=0, gzip;q=0")), true, true) == Coding::Identity);
        assert!(choose(Some(&hv("*")), true, true) == Coding::Brotli);
        assert!(choose(Some(&hv("*;q=0, identity")), true, true) == Coding::Identity);
        assert!(choose(Some(&hv("identity")), true, true) == Coding::Identity);
    }

    #[test]
    fn if_none_match_forms() {
        let etag = hv("\"abc\"");
        assert!(matches(Some(&hv("\"abc\"")), &etag));
        assert!(matches(Some(&hv("W/\"abc\"")), &etag));
        assert!(matches(Some(&hv("\"x\", \"abc\"")), &etag));
        assert!(matches(Some(&hv("*")), &etag));
        assert!(!matches(Some(&hv("\"abd\"")), &etag));
        assert!(!matches(None, &etag));
    }
}
