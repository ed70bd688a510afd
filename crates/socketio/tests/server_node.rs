//! The official Node `socket.io-client` (4.8, from interop/node's
//! lockfile) against an in-process `SocketIo` server: events and acks
//! both ways with binary and timeouts, the handshake, namespaces with
//! middleware and dynamic ones, rooms and broadcasts with acks, volatile,
//! every transport and the upgrade, connection state recovery, and 1,000
//! clients in rooms.
#![cfg(feature = "server")]

mod server_app;

use server_app::{node, start};
use tether_socketio::server::{RecoveryConfig, SocketIoConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_polling() {
    let app = start(SocketIoConfig::default()).await;
    let out = node(app.port, &["basic", "polling"]).await;
    assert!(out.contains("ok server namespace disconnect seen"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_websocket() {
    let app = start(SocketIoConfig::default()).await;
    let out = node(app.port, &["basic", "websocket"]).await;
    assert!(out.contains("ok nested binary back"), "{out}");
    assert!(out.contains("ok server ack timed out"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_across_the_upgrade() {
    let app = start(SocketIoConfig::default()).await;
    let out = node(app.port, &["basic", "upgrade"]).await;
    assert!(out.contains("ok upgraded to websocket"), "{out}");
    assert!(
        out.contains("ok no automatic ack without a handler"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespaces() {
    let app = start(SocketIoConfig::default()).await;
    let out = node(app.port, &["namespaces"]).await;
    assert!(out.contains("ok middleware refusal with data"), "{out}");
    assert!(out.contains("ok dynamic namespace"), "{out}");
    assert!(
        out.contains("ok server saw client namespace disconnect"),
        "{out}"
    );
    assert!(app.io.of("/dyn-7").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_and_broadcast() {
    let app = start(SocketIoConfig::default()).await;
    let out = node(app.port, &["rooms"]).await;
    assert!(
        out.contains("ok broadcast ack timeout with what arrived"),
        "{out}"
    );
    assert!(out.contains("ok leave"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_state_recovery() {
    let app = start(SocketIoConfig::default().with_recovery(RecoveryConfig::default())).await;
    let out = node(app.port, &["recovery"]).await;
    assert!(
        out.contains("ok missed events replayed once, in order"),
        "{out}"
    );
    assert!(
        out.contains("ok explicit disconnect starts a new session"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_in_rooms() {
    let app = start(SocketIoConfig::default()).await;
    let out = node(app.port, &["many", "1000"]).await;
    assert!(
        out.contains("ok every client got its 20 events in order (20000)"),
        "{out}"
    );
}
