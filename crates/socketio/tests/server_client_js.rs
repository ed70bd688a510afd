//! The browser client served by the server at /socket.io/socket.io.js,
//! socket.io.min.js and its source map: bytes from web/dist, content type,
//! `ETag` and `304`, `Cache-Control`, brotli and gzip by `Accept-Encoding`,
//! through `serve` and behind an axum router's layer; and the option that
//! turns it off.
#![cfg(feature = "server")]

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use tether_socketio::server::{SocketIo, SocketIoConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection (closed after the answer).
async fn get(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut raw))
        .await
        .expect("answer within 10 s")
        .unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("head");
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

fn dist(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../web/dist")
            .join(name),
    )
    .unwrap()
}

async fn serve(config: SocketIoConfig) -> u16 {
    let io = SocketIo::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.serve(listener));
    port
}

#[tokio::test]
async fn serves_the_client_with_etag_and_precompressed_bodies() {
    let port = serve(SocketIoConfig::default()).await;
    for name in ["socket.io.js", "socket.io.min.js"] {
        let path = format!("/socket.io/{name}");
        let plain = get(port, "GET", &path, &[]).await;
        assert_eq!(plain.status, 200);
        assert_eq!(plain.body, dist(name), "{name} is web/dist's");
        assert_eq!(
            plain.header("content-type"),
            Some("application/javascript; charset=utf-8")
        );
        assert_eq!(plain.header("cache-control"), Some("public, max-age=0"));
        assert_eq!(plain.header("vary"), Some("Accept-Encoding"));
        assert_eq!(plain.header("content-encoding"), None);
        let etag = plain.header("etag").expect("etag").to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'));

        // 304 for the same tag (also weak, also in a list).
        for inm in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}")] {
            let again = get(port, "GET", &path, &[("If-None-Match", &inm)]).await;
            assert_eq!(again.status, 304, "{inm}");
            assert!(again.body.is_empty());
            assert_eq!(again.header("etag"), Some(etag.as_str()));
        }
        assert_eq!(
            get(port, "GET", &path, &[("If-None-Match", "\"other\"")])
                .await
                .status,
            200
        );

        // Brotli preferred, then gzip; both decode to the same bytes.
        let br = get(
            port,
            "GET",
            &path,
            &[("Accept-Encoding", "gzip, deflate, br")],
        )
        .await;
        assert_eq!(br.header("content-encoding"), Some("br"));
        assert_eq!(br.body, dist(&format!("{name}.br")));
        let gz = get(port, "GET", &path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(gz.header("content-encoding"), Some("gzip"));
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&gz.body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, dist(name));
        let refused = get(
            port,
            "GET",
            &path,
            &[("Accept-Encoding", "br;q=0, gzip;q=0")],
        )
        .await;
        assert_eq!(refused.header("content-encoding"), None);
        assert_eq!(refused.body, dist(name));

        // HEAD: the headers, no body; other methods: 405.
        let head = get(port, "HEAD", &path, &[]).await;
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        assert_eq!(get(port, "POST", &path, &[]).await.status, 405);
    }
    let map = get(port, "GET", "/socket.io/socket.io.min.js.map", &[]).await;
    assert_eq!(map.status, 200);
    assert_eq!(
        map.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(map.body, dist("socket.io.min.js.map"));
    // The Engine.IO endpoint is still there.
    let handshake = get(port, "GET", "/socket.io/?EIO=4&transport=polling", &[]).await;
    assert_eq!(handshake.status, 200);
    assert!(handshake.body.starts_with(b"0{\"sid\""));
}

#[tokio::test]
async fn serving_can_be_turned_off() {
    let port = serve(SocketIoConfig::default().with_serve_client(false)).await;
    let reply = get(port, "GET", "/socket.io/socket.io.js", &[]).await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn behind_an_axum_router() {
    let io = SocketIo::new(SocketIoConfig::default());
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "page" }))
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let page = get(port, "GET", "/", &[]).await;
    assert_eq!(page.body, b"page");
    let client = get(port, "GET", "/socket.io/socket.io.min.js", &[]).await;
    assert_eq!(client.status, 200);
    assert_eq!(client.body, dist("socket.io.min.js"));
}
