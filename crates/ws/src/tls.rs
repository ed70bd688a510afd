//! `wss://` with rustls (feature `rustls`).
//!
//! Clients: [`connect`](crate::connect) uses the webpki root certificates;
//! [`connect_with_tls`] takes your own `rustls::ClientConfig` (a private CA,
//! client certificates). Servers: accept TLS with
//! [`TlsAcceptor`], then call
//! [`accept`](crate::accept) on the TLS stream, like on any stream.

use std::sync::Arc;

use http::Response;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

pub use tokio_rustls::{rustls, TlsAcceptor, TlsConnector};

use crate::handshake::client::ClientRequest;
use crate::{Error, HandshakeError, MaybeTlsStream, WebSocketConfig, WebSocketStream};

/// A client configuration trusting the webpki (Mozilla) root certificates.
pub fn default_client_config() -> Arc<ClientConfig> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Arc::new(
        ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Runs the TLS handshake with `host` over `tcp`.
pub(crate) async fn wrap_client(
    tcp: TcpStream,
    host: &str,
    config: Option<Arc<ClientConfig>>,
) -> Result<MaybeTlsStream, Error> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| HandshakeError::InvalidUrl)?;
    let connector = TlsConnector::from(config.unwrap_or_else(default_client_config));
    let tls = connector.connect(name, tcp).await?;
    Ok(MaybeTlsStream::Rustls(Box::new(tls)))
}

/// Connects to a `wss://` URL with the TLS client configuration `tls`.
///
/// # Errors
///
/// As [`connect_with_config`](crate::connect_with_config), and TLS failures
/// as [`Error::Io`].
pub async fn connect_with_tls(
    request: ClientRequest,
    config: WebSocketConfig,
    tls: Arc<ClientConfig>,
) -> Result<(WebSocketStream<MaybeTlsStream>, Response<()>), Error> {
    let uri = request.uri().clone();
    if uri.scheme_str() != Some("wss") {
        return Err(HandshakeError::InvalidUrl.into());
    }
    let host = uri.host().ok_or(HandshakeError::InvalidUrl)?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let tcp = tokio::time::timeout(
        config.handshake.timeout,
        TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| HandshakeError::Timeout)??;
    tcp.set_nodelay(true)?;
    let io = wrap_client(tcp, &host, Some(tls)).await?;
    crate::client_handshake(io, request, config).await
}
