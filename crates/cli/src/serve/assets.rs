//! The chat page, embedded into the binary from web/demo/. It loads the
//! Socket.IO browser client from `/socket.io/socket.io.js`, which the
//! `SocketIo` server serves itself.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

/// web/demo/index.html.
pub(crate) const INDEX: &str = include_str!("../../../../web/demo/index.html");
/// web/demo/chat.js.
pub(crate) const SCRIPT: &str = include_str!("../../../../web/demo/chat.js");
/// web/demo/style.css.
pub(crate) const STYLE: &str = include_str!("../../../../web/demo/style.css");

/// One embedded file, revalidated on each load (a rebuilt binary may
/// serve another version under the same path).
fn file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")],
        body,
    )
}

/// `GET /`.
pub(crate) async fn index() -> impl IntoResponse {
    file("text/html; charset=utf-8", INDEX)
}

/// `GET /chat.js`.
pub(crate) async fn script() -> impl IntoResponse {
    file("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /style.css`.
pub(crate) async fn style() -> impl IntoResponse {
    file("text/css; charset=utf-8", STYLE)
}
