//! `tether connect ws://...`: lines to messages, messages to lines.

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::http::{HeaderName, HeaderValue};
use tether_ws::{CloseCode, CloseFrame, Message, WebSocketConfig};

use tokio::time::Instant;

use super::{print_line, secs, secs_or_zero, stdin_lines, Args, BinaryFormat};

type Error = Box<dyn std::error::Error>;

pub(super) async fn run(args: Args) -> Result<(), Error> {
    let uri = args.url.parse().map_err(|e| format!("{}: {e}", args.url))?;
    let mut request = ClientRequest::new(uri)?;
    if !args.protocols.is_empty() {
        request = request.with_protocols(args.protocols.iter().cloned());
    }
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("--header {header:?}: expected \"Name: value\""))?;
        let name =
            HeaderName::try_from(name.trim()).map_err(|e| format!("--header {header:?}: {e}"))?;
        let value =
            HeaderValue::try_from(value.trim()).map_err(|e| format!("--header {header:?}: {e}"))?;
        request = request.with_header(name, value);
    }
    let mut config = WebSocketConfig::default().with_close_timeout(secs(args.close_timeout));
    config.handshake = config.handshake.with_timeout(secs(args.connect_timeout));
    // Room for 16 MiB messages in 64-byte fragments.
    config.message = config.message.clone().with_max_fragments(1 << 20);
    #[cfg(feature = "deflate")]
    if !args.no_deflate {
        config.handshake = config
            .handshake
            .with_deflate(tether_ws::DeflateConfig::enabled());
    }
    let (mut ws, _response) = tether_ws::connect_with_config(request, config)
        .await
        .map_err(|e| format!("{}: {e}", args.url))?;
    if let Some(protocol) = ws.protocol() {
        tracing::debug!("subprotocol {protocol}");
    }
    #[cfg(feature = "deflate")]
    if let Some(params) = ws.deflate() {
        tracing::debug!("permessage-deflate {params:?}");
    }

    let mut lines = stdin_lines();
    let mut close_sent = false;
    let mut peer_close: Option<Option<CloseFrame>> = None;
    // Data messages sent and received, for the wait after stdin's end.
    let (mut sent, mut received) = (0u64, 0u64);
    let linger = secs_or_zero(args.linger);
    // After the end of stdin: when to close if nothing more arrives, and
    // the latest that can be.
    let mut lingering: Option<(Instant, Instant)> = None;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let quiet_until = lingering.map(|(quiet, _)| quiet);
        tokio::select! {
            line = lines.recv(), if !close_sent && lingering.is_none() => {
                let message = match line {
                    Some(line) if args.binary => Message::binary(line),
                    Some(line) => match String::from_utf8(line) {
                        Ok(text) => Message::text(text),
                        Err(_) => {
                            eprintln!("tether: a line of stdin is not UTF-8, not sent (--binary sends bytes)");
                            continue;
                        }
                    },
                    None if linger.is_zero() || received >= sent => normal_close(),
                    None => {
                        let now = Instant::now();
                        let cap = now + secs(args.close_timeout);
                        lingering = Some(((now + linger).min(cap), cap));
                        continue;
                    }
                };
                close_sent = matches!(message, Message::Close(_));
                if !close_sent {
                    sent += 1;
                }
                if let Err(e) = ws.send(message).await {
                    return Err(format!("send: {e}").into());
                }
            }
            _ = tokio::time::sleep_until(quiet_until.unwrap_or_else(Instant::now)), if quiet_until.is_some() && !close_sent => {
                close_sent = true;
                ws.send(normal_close()).await.map_err(|e| format!("send: {e}"))?;
            }
            _ = &mut ctrl_c, if !close_sent => {
                close_sent = true;
                ws.send(normal_close()).await.map_err(|e| format!("send: {e}"))?;
            }
            message = ws.next() => match message {
                Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                    match m {
                        Message::Text(text) => print_line(&text)?,
                        Message::Binary(data) => {
                            let shown = match args.binary_format {
                                BinaryFormat::Base64 => base64::engine::general_purpose::STANDARD.encode(&data),
                                BinaryFormat::Hex => hex(&data),
                            };
                            print_line(&format!("{}{shown}", args.binary_prefix))?;
                        }
                        _ => {}
                    }
                    received += 1;
                    if let Some((_, cap)) = lingering {
                        if close_sent {
                            continue;
                        }
                        if received >= sent {
                            close_sent = true;
                            ws.send(normal_close()).await.map_err(|e| format!("send: {e}"))?;
                        } else {
                            lingering = Some(((Instant::now() + linger).min(cap), cap));
                        }
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(frame))) => {
                    // The answer to our Close 1000 echoes it (or has no
                    // code); anything else is the server's own close.
                    let answer = close_sent
                        && frame.as_ref().is_none_or(|f| f.code == CloseCode::Normal);
                    if !answer {
                        peer_close = Some(frame);
                    }
                    // tether-ws echoed it: nothing more is sent.
                    close_sent = true;
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            }
        }
    }
    match peer_close {
        None => Ok(()),
        Some(frame) => {
            let (code, reason) = match &frame {
                Some(f) => (Some(u16::from(f.code)), f.reason.as_str()),
                None => (None, ""),
            };
            let said = match code {
                Some(c) if reason.is_empty() => format!("the server closed the connection: {c}"),
                Some(c) => format!("the server closed the connection: {c} {reason}"),
                None => "the server closed the connection (no close code)".to_owned(),
            };
            match code {
                None | Some(1000 | 1001) => {
                    eprintln!("tether: {said}");
                    Ok(())
                }
                Some(_) => Err(said.into()),
            }
        }
    }
}

fn normal_close() -> Message {
    Message::Close(Some(CloseFrame::new(CloseCode::Normal, "")))
}

fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(data.len() * 2);
    for &b in data {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_digits() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::hex(&[]), "");
    }
}
