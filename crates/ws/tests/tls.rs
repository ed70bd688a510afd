//! `wss://` with rustls, against a certificate generated inside the test.
#![cfg(feature = "rustls")]

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tether_ws::tls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use tether_ws::tls::TlsAcceptor;
use tether_ws::{Message, WebSocketConfig};
use tokio::net::TcpListener;

#[tokio::test]
async fn wss_echo_with_a_generated_certificate() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("certificate");
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server_config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(server_config));

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let tls = acceptor.accept(tcp).await.expect("tls handshake");
        let mut ws = tether_ws::accept(tls).await.expect("ws handshake");
        while let Some(message) = ws.next().await {
            let message = message.expect("valid");
            if !message.is_control() {
                ws.send(message).await.expect("echo");
            }
        }
    });

    let mut roots = RootCertStore::empty();
    roots.add(cert).expect("root");
    let client_config = Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let request =
        ClientRequest::new(format!("wss://{addr}/secure").parse().expect("url")).expect("request");
    let (mut ws, _) =
        tether_ws::tls::connect_with_tls(request, WebSocketConfig::default(), client_config)
            .await
            .expect("wss connect");
    for size in [0usize, 10, 70_000, 1 << 20] {
        let m = Message::binary(vec![0xA5u8; size]);
        ws.send(m.clone()).await.expect("send");
        assert_eq!(ws.next().await.expect("open").expect("valid"), m);
    }
    ws.close().await.expect("close");
    server.await.expect("server");

    // The default client configuration does not trust this certificate.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor2 = tokio::spawn(async move {
        let _ = listener.accept().await;
    });
    assert!(tether_ws::connect(&format!("wss://{addr}/")).await.is_err());
    let _ = acceptor2.await;
}
