//! Socket.IO servers for the Socket.IO load benchmark (`bench-sio-load`):
//! tether-socketio's `SocketIo` and socketioxide's, each on a
//! single-threaded runtime at `/socket.io/` with the default configuration,
//! running the same application on the main namespace `/`:
//!
//! * `ack` (any string): acknowledged with the same string;
//! * `join` (room): the socket joins the room; acknowledged;
//! * `fanout` (room, n): the server emits n `msg` events (`msg`, i for i in
//!   0..n) to everyone in the room, then acknowledges.
//!
//! The Node `socket.io` server runs the same application in
//! `interop/node/sio_bench_server.mjs`.
//!
//! ```text
//! bench-sio-server --impl tether|socketioxide [--port 0]
//! ```
//!
//! Prints `listening <port>` once bound on 127.0.0.1 (port 0: a free one).

/// The most `msg` events one `fanout` emits, whatever the client asks.
const MAX_FANOUT: u32 = 100_000;

async fn tether(listener: tokio::net::TcpListener) {
    use tether_socketio::server::{SocketIo, SocketIoConfig};
    let io = SocketIo::new(SocketIoConfig::default());
    io.ns("/", |socket| async move {
        socket.on("ack", |_socket, event| async move {
            if let Ok((arg,)) = event.args::<(String,)>() {
                let _ = event.ack(&(arg,));
            }
        });
        socket.on("join", |socket, event| async move {
            if let Ok((room,)) = event.args::<(String,)>() {
                socket.join(room.as_str());
                let _ = event.ack(&());
            }
        });
        socket.on("fanout", |socket, event| async move {
            if let Ok((room, n)) = event.args::<(String, u32)>() {
                let to = socket.ns().to(room.as_str());
                for i in 0..n.min(MAX_FANOUT) {
                    let _ = to.emit("msg", &(i,));
                }
                let _ = event.ack(&());
            }
        });
    });
    let _ = io.serve(listener).await;
}

async fn socketioxide(listener: tokio::net::TcpListener) {
    use hyper_util::rt::TokioIo;
    use socketioxide::extract::{AckSender, Data, SocketRef};
    use socketioxide::SocketIo;

    let (service, io) = SocketIo::new_svc();
    io.ns("/", async |socket: SocketRef| {
        socket.on("ack", async |Data::<String>(arg), ack: AckSender| {
            let _ = ack.send(&arg);
        });
        socket.on(
            "join",
            async |socket: SocketRef, Data::<String>(room), ack: AckSender| {
                socket.join(room);
                let _ = ack.send(&());
            },
        );
        socket.on(
            "fanout",
            async |io: SocketIo, Data::<(String, u32)>((room, n)), ack: AckSender| {
                for i in 0..n.min(MAX_FANOUT) {
                    let _ = io.to(room.clone()).emit("msg", &i).await;
                }
                let _ = ack.send(&());
            },
        );
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

fn main() {
    let mut which = "tether".to_owned();
    let mut port = 0u16;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--impl", Some(v)) => v.clone_into(&mut which),
            ("--port", Some(v)) => port = v.parse().expect("--port <u16>"),
            (flag, _) => panic!("unknown or incomplete option {flag}"),
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        match which.as_str() {
            "tether" => tether(listener).await,
            "socketioxide" => socketioxide(listener).await,
            other => panic!("unknown server {other}"),
        }
    });
}
