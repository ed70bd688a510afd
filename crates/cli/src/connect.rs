//! `tether connect URL`: an interactive client, in a terminal or a pipe.
//!
//! `ws://` and `wss://` URLs are WebSocket ([`ws`]); `http://` and
//! `https://` URLs are Socket.IO over the Engine.IO WebSocket transport
//! ([`sio`], on `tether_cli::sio_client`). Lines are read from stdin on a
//! thread of their own (a blocked terminal read then never holds up the
//! exit), and everything received is printed on stdout, one line each,
//! flushed at once; diagnostics go to stderr.

use std::io::Write;
use std::time::Duration;

mod sio;
mod ws;

/// How binary WebSocket messages are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryFormat {
    /// Standard base64 with padding (RFC 4648 section 4).
    Base64,
    /// Lowercase hexadecimal, two digits per byte.
    Hex,
}

/// The arguments of `tether connect`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct Args {
    /// The server: ws:// or wss:// for WebSocket; http:// or https:// for
    /// Socket.IO (a path such as http://host:3000/chat is the namespace,
    /// as in socket.io-client).
    pub(crate) url: String,

    /// WebSocket: send each line as a binary message (its bytes without
    /// the line ending) instead of a text message.
    #[arg(long, help_heading = "WebSocket")]
    pub(crate) binary: bool,

    /// WebSocket: how a received binary message is printed on its line.
    #[arg(long, value_enum, default_value_t = BinaryFormat::Base64, help_heading = "WebSocket")]
    pub(crate) binary_format: BinaryFormat,

    /// WebSocket: text printed before each received binary message (to
    /// tell them from text messages), for example "bin: ".
    #[arg(long, default_value = "", help_heading = "WebSocket")]
    pub(crate) binary_prefix: String,

    /// WebSocket: do not offer permessage-deflate (RFC 7692). By default
    /// (when tether is built with its `deflate` feature, as it is unless
    /// turned off) compression is offered, and messages up to 64 MiB in up
    /// to 1,048,576 fragments are accepted (16 MiB in 64-byte fragments).
    #[arg(long, help_heading = "WebSocket")]
    pub(crate) no_deflate: bool,

    /// WebSocket: a subprotocol to offer (Sec-WebSocket-Protocol);
    /// repeat for several, in order of preference.
    #[arg(long = "protocol", value_name = "NAME", help_heading = "WebSocket")]
    pub(crate) protocols: Vec<String>,

    /// WebSocket: after the end of stdin, wait for the answers before
    /// closing: until as many messages have arrived as lines were sent, or
    /// nothing has arrived for this long (at most --close-timeout in all);
    /// 0 closes at once.
    #[arg(long, value_name = "SECS", default_value_t = 1.0, value_parser = parse_secs_or_zero, help_heading = "WebSocket")]
    pub(crate) linger: f64,

    /// WebSocket: a header to add to the handshake request, as
    /// "Name: value"; repeatable.
    #[arg(
        long = "header",
        short = 'H',
        value_name = "NAME: VALUE",
        help_heading = "WebSocket"
    )]
    pub(crate) headers: Vec<String>,

    /// Socket.IO: the namespace to connect to (default: the URL's path,
    /// else "/").
    #[arg(long, help_heading = "Socket.IO")]
    pub(crate) namespace: Option<String>,

    /// Socket.IO: the auth object sent with CONNECT, as JSON (for example
    /// '{"token":"secret"}').
    #[arg(long, value_name = "JSON", value_parser = parse_auth, help_heading = "Socket.IO")]
    pub(crate) auth: Option<serde_json::Value>,

    /// Socket.IO: the Engine.IO path on the server.
    #[arg(long, default_value = "/socket.io/", help_heading = "Socket.IO")]
    pub(crate) path: String,

    /// Socket.IO: seconds an emit-ack waits for its ack.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_secs, help_heading = "Socket.IO")]
    pub(crate) ack_timeout: f64,

    /// Seconds the connection (TCP, TLS, the handshake and for Socket.IO
    /// the answer to CONNECT) may take.
    #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_secs)]
    pub(crate) connect_timeout: f64,

    /// Seconds to wait for the server's answer to our Close (or, for
    /// Socket.IO, to leave) before giving up on it.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_secs)]
    pub(crate) close_timeout: f64,
}

const AFTER_HELP: &str = "\
WebSocket (ws://, wss://):
  Each line of stdin is sent as one text message (--binary: binary). Each
  message received is printed on its own line: text as it is, binary as
  base64 (or --binary-format hex) after --binary-prefix. Pings are answered.
  At the end of stdin, tether waits for the answers (see --linger), then
  sends a Close 1000 (at once on Ctrl-C); messages still arriving are
  printed until the server's Close, then tether exits 0. If
  the server closes first, its close code and reason are printed on stderr;
  the exit status is 0 for 1000, 1001 or no code, 1 otherwise.

Socket.IO (http://, https://):
  Lines of stdin are commands; JSON arguments are separated by whitespace:
    emit EVENT [JSON ...]        emit an event
    emit-ack EVENT [JSON ...]    emit asking for an ack; waits for it (at
                                 most --ack-timeout) and prints it
    ack ID [JSON ...]            answer an event of the server that asked
                                 for an ack (its \"ack\" field)
    disconnect                   leave, as at the end of stdin
  EVENT is a word or a JSON string. Blank lines and lines starting with #
  are ignored. Everything is printed as one JSON object per line:
    {\"event\":\"connect\",\"namespace\":\"/\",\"sid\":\"...\"}
    {\"event\":\"NAME\",\"args\":[...]}             (with \"ack\":ID if it asks for one)
    {\"ack\":ID,\"args\":[...]}                     the ack of an emit-ack
    {\"ack\":ID,\"error\":\"timeout\"}                no ack in time
    {\"event\":\"connect_error\",\"namespace\":\"/\",\"data\":...}
    {\"event\":\"disconnect\",\"namespace\":\"/\",\"reason\":\"...\"}
  Binary data is the object {\"_binary\":\"BASE64\"} (standard base64): an
  attachment received is printed that way where its placeholder was, and
  such an object in emit/ack arguments is sent as an attachment.
  Disconnect reasons are socket.io-client's: io client disconnect (end of
  stdin), io server disconnect, transport close, transport error, ping
  timeout, parse error. The exit status is 1 after connect_error, a
  transport error, a ping timeout or a parse error, or if a command was
  rejected; 0 otherwise.

Examples:
  echo hello | tether connect ws://127.0.0.1:8080/ws
  printf 'emit-ack echo \"hi\" 42\\n' | tether connect http://127.0.0.1:8080
  tether connect http://127.0.0.1:3000/admin --auth '{\"token\":\"secret\"}'";

fn parse_auth(s: &str) -> Result<serde_json::Value, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v),
        Ok(_) => Err("the auth must be a JSON object".to_owned()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err("expected a number of seconds above 0 (at most 86400)".to_owned()),
    }
}

fn parse_secs_or_zero(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=86_400.0).contains(&v) => Ok(v),
        _ => Err("expected a number of seconds from 0 to 86400".to_owned()),
    }
}

/// Seconds as a duration (validated by [`parse_secs_or_zero`]).
fn secs_or_zero(v: f64) -> Duration {
    Duration::from_secs_f64(v)
}

/// Seconds as a duration (validated by [`parse_secs`]).
fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v)
}

pub(crate) async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let scheme = args
        .url
        .split_once("://")
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default();
    match scheme.as_str() {
        "ws" | "wss" => {
            if args.namespace.is_some() || args.auth.is_some() {
                return Err("--namespace and --auth are for Socket.IO (http:// or https:// URLs)".into());
            }
            ws::run(args).await
        }
        "http" | "https" => {
            if args.binary || !args.protocols.is_empty() || !args.headers.is_empty() {
                return Err(
                    "--binary, --protocol and --header are for WebSocket (ws:// or wss:// URLs)"
                        .into(),
                );
            }
            sio::run(args).await
        }
        _ => Err(format!(
            "{}: the URL must start with ws://, wss:// (WebSocket), http:// or https:// (Socket.IO)",
            args.url
        )
        .into()),
    }
}

/// The lines of stdin, read on a thread of their own (bytes without the
/// line ending; the channel closes at the end of stdin or on an error).
fn stdin_lines() -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let mut line = Vec::new();
            match std::io::BufRead::read_until(&mut input, b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    if tx.blocking_send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// Prints one line on stdout and flushes it.
fn print_line(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}
