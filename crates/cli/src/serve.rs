//! `tether serve`: the demo on one port, one axum router.
//!
//! | path | what |
//! |---|---|
//! | `/` | the chat page (web/demo/, embedded into the binary): rooms, nicknames, who is online, typing, recovery after a reconnect, and panels for `/events` and `/ws` |
//! | `/chat.js`, `/style.css` | the page's script and style |
//! | `/socket.io/` | the Socket.IO server with the chat ([`chat`]); it also serves its own browser client at `/socket.io/socket.io.js`, which the page loads |
//! | `/ws` | a WebSocket echo ([`echo`]) |
//! | `/events` | Server-Sent Events: ticks and chat activity, resumed from `Last-Event-ID` ([`events`]) |
//!
//! The address taken is printed on stdout as `listening http://IP:PORT`
//! (with `--addr 127.0.0.1:0` that is how to learn the port); the log
//! (tracing, on stderr, `RUST_LOG` to filter) has a line for each
//! connection and each disconnection with its reason.

mod assets;
mod chat;
mod echo;
mod events;

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use tether_socketio::server::{RecoveryConfig, SocketIo, SocketIoConfig};
use tracing::info;

/// The arguments of `tether serve`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The address to listen on, IP:PORT. Port 0 takes a free port; the
    /// address taken is printed on stdout as `listening http://IP:PORT`.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,

    /// Seconds between two `tick` events on /events (decimals allowed,
    /// 0 for none).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_seconds)]
    tick: Duration,

    /// Seconds a disconnected Socket.IO client's id, rooms, nickname and
    /// missed messages are kept for it (connection state recovery).
    #[arg(long, value_name = "SECONDS", default_value = "120", value_parser = parse_seconds)]
    recovery_window: Duration,

    /// Messages kept per room and sent to a client that joins it.
    #[arg(long, value_name = "N", default_value_t = 50)]
    history: usize,
}

/// `SECONDS` as a duration: a non-negative decimal number.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("not a number of seconds: {text:?}"))?;
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("not a duration: {text:?}"))
}

/// What the handlers share.
#[derive(Clone)]
struct App {
    events: events::Events,
    echo: echo::Echo,
}

/// Serves until the listener fails, Ctrl-C or SIGTERM (then the Socket.IO
/// sessions are closed, bounded by their close timeout).
///
/// # Errors
///
/// The address cannot be bound, stdout cannot be written, the listener
/// failed.
pub(crate) async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let local = listener.local_addr()?;

    let app = App {
        events: events::Events::new(),
        echo: echo::Echo::default(),
    };
    let config = SocketIoConfig::default().with_recovery(
        RecoveryConfig::default().with_max_disconnection_duration(args.recovery_window),
    );
    let io = SocketIo::new(config);
    let chat = chat::Chat::install(&io, app.events.clone(), args.history);
    if !args.tick.is_zero() {
        tokio::spawn(ticks(args.tick, app.clone(), chat));
    }

    let router = router(&io, app);
    {
        // The line a script (or a test) waits for to learn the port.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening http://{local}")?;
        stdout.flush()?;
    }
    info!(
        "tether serve on http://{local}/: chat page at /, Socket.IO at /socket.io/, \
         WebSocket echo at /ws, Server-Sent Events at /events"
    );
    let serve = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    );
    tokio::select! {
        result = serve => result?,
        () = shutdown_signal() => {
            info!("shutting down: closing the Socket.IO sessions");
            io.shutdown().await;
        }
    }
    Ok(())
}

/// The router: the page, `/ws`, `/events`, and the Socket.IO layer in
/// front of them for `/socket.io/`.
fn router(io: &SocketIo, app: App) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/chat.js", get(assets::script))
        .route("/style.css", get(assets::style))
        .route("/ws", get(echo::handle))
        .route("/events", get(events::handle))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(app)
        // Requests under /socket.io/ go to the server (its browser client
        // too), the rest to the routes above.
        .layer(io.layer())
        // The peer's address for the Socket.IO handshake
        // (`Handshake::address`), outermost so the layer sees it.
        .layer(axum::middleware::map_request(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: axum::extract::Request| async move {
                request.extensions_mut().insert(peer);
                request
            },
        ))
}

/// A `tick` event every `every`: the counts of sockets, rooms, messages,
/// subscribers and WebSockets, as JSON.
async fn ticks(every: Duration, app: App, chat: std::sync::Arc<chat::Chat>) {
    let started = Instant::now();
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick of an interval is immediate: skip it.
    interval.tick().await;
    for n in 1u64.. {
        interval.tick().await;
        let counts = chat.counts().await;
        let tick = serde_json::json!({
            "n": n,
            "uptime_s": started.elapsed().as_secs(),
            "sockets": counts.sockets,
            "rooms": counts.rooms,
            "messages": counts.messages,
            "sse": app.events.subscribers(),
            "ws": app.echo.open(),
        });
        app.events.tick(tick.to_string());
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;
    use std::time::Duration;

    #[test]
    fn seconds() {
        assert_eq!(parse_seconds("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("inf").is_err());
    }
}
