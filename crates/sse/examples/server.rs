//! A ticking Server-Sent Events stream with a page that shows it.
//!
//! ```text
//! cargo run -p tether-sse --features server --example server -- 127.0.0.1:8080
//! ```
//!
//! Then open <http://127.0.0.1:8080/> in a browser: the page's `EventSource`
//! reads `/events`, one `tick` event a second. Stop and restart the stream
//! (or the network) and the browser resumes with `Last-Event-ID`: the ticks
//! it missed are replayed from the channel's buffer.

use std::convert::Infallible;
use std::time::Duration;

use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tether_sse::{sse_response, Channel, ChannelConfig, Event};
use tokio::net::TcpListener;

const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>tether SSE</title>
<h1>tether SSE</h1>
<p id="state">connecting…</p>
<ol id="events"></ol>
<script>
const state = document.getElementById("state");
const list = document.getElementById("events");
const source = new EventSource("/events");
source.onopen = () => { state.textContent = "open"; };
source.onerror = () => { state.textContent = "reconnecting…"; };
source.addEventListener("tick", (e) => {
  const item = document.createElement("li");
  item.textContent = `#${e.lastEventId}: ${e.data}`;
  list.prepend(item);
  while (list.children.length > 20) list.lastChild.remove();
});
</script>
"#;

type Body = UnsyncBoxBody<Bytes, Infallible>;

fn route(channel: &Channel, request: &Request<Incoming>) -> Response<Body> {
    match request.uri().path() {
        "/events" => sse_response(channel, request.headers()).map(BodyExt::boxed_unsync),
        "/" => Response::builder()
            .header("content-type", "text/html; charset=utf-8")
            .body(Full::new(Bytes::from_static(PAGE.as_bytes())).boxed_unsync())
            .unwrap_or_default(),
        _ => Response::builder()
            .status(404)
            .body(Full::new(Bytes::from_static(b"not found\n")).boxed_unsync())
            .unwrap_or_default(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let listener = TcpListener::bind(&addr).await?;
    println!("serving http://{}/", listener.local_addr()?);

    let channel = Channel::new(
        ChannelConfig::default()
            .with_replay_capacity(100)
            .with_retry(Some(Duration::from_secs(1))),
    );
    let ticker = channel.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        for n in 1u64.. {
            interval.tick().await;
            let event = Event::new(format!("tick {n}")).with_event("tick");
            if let Err(e) = ticker.send(event) {
                eprintln!("send: {e}");
            }
        }
    });

    loop {
        let (tcp, peer) = listener.accept().await?;
        let channel = channel.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = route(&channel, &request);
                async move { Ok::<_, Infallible>(response) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .await
            {
                // A client that goes away mid-stream is the normal end.
                if !e.is_incomplete_message() {
                    eprintln!("{peer}: {e}");
                }
            }
        });
    }
}
