//! `tether connect http://...`: commands in, JSON lines out, over
//! `tether_cli::sio_client`.

use serde_json::{json, Value};
use tether_cli::sio_client::{
    ack_json, event_json, Client, ClientError, DisconnectReason, Incoming, JsonArgs, Options,
};
use tokio::time::Instant;

use super::{print_line, secs, stdin_lines, Args};

type Error = Box<dyn std::error::Error>;

/// A command line of stdin.
#[derive(Debug, PartialEq)]
enum Command {
    Emit { event: String, args: JsonArgs },
    EmitAck { event: String, args: JsonArgs },
    Ack { id: u64, args: JsonArgs },
    Disconnect,
    Nothing,
}

/// Splits off the first word (or JSON string) of `s`.
fn first_word(s: &str) -> Result<(String, &str), String> {
    let s = s.trim_start();
    if s.starts_with('"') {
        let mut values = serde_json::Deserializer::from_str(s).into_iter::<String>();
        let word = values
            .next()
            .ok_or("a name is missing")?
            .map_err(|e| format!("invalid JSON string: {e}"))?;
        let rest = s.get(values.byte_offset()..).unwrap_or_default();
        return Ok((word, rest));
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let (word, rest) = s.split_at(end);
    if word.is_empty() {
        return Err("a name is missing".to_owned());
    }
    Ok((word.to_owned(), rest))
}

fn parse_command(line: &str) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let (verb, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match verb {
        "emit" | "emit-ack" => {
            let (event, rest) = first_word(rest).map_err(|e| format!("{verb}: {e}"))?;
            let args = JsonArgs::parse(rest).map_err(|e| format!("{verb} {event}: {e}"))?;
            Ok(if verb == "emit" {
                Command::Emit { event, args }
            } else {
                Command::EmitAck { event, args }
            })
        }
        "ack" => {
            let (id, rest) = first_word(rest).map_err(|e| format!("ack: {e}"))?;
            let id = id
                .parse()
                .map_err(|_| format!("ack: {id:?} is not an ack id"))?;
            let args = JsonArgs::parse(rest).map_err(|e| format!("ack {id}: {e}"))?;
            Ok(Command::Ack { id, args })
        }
        "disconnect" if rest.trim().is_empty() => Ok(Command::Disconnect),
        _ => Err(format!(
            "unknown command {verb:?} (emit EVENT [JSON ...], emit-ack EVENT [JSON ...], ack ID [JSON ...], disconnect)"
        )),
    }
}

fn print_json(value: &Value) -> std::io::Result<()> {
    print_line(&value.to_string())
}

/// Prints what the server sent; `Some(reason)` once disconnected.
fn show(incoming: Incoming, namespace: &str) -> std::io::Result<Option<DisconnectReason>> {
    match incoming {
        Incoming::Event(packet) => match event_json(&packet) {
            Ok((name, args)) => {
                let mut line = json!({ "event": name, "args": args });
                if let Some(id) = packet.ack_id() {
                    line["ack"] = json!(id);
                }
                print_json(&line)?;
            }
            Err(e) => eprintln!("tether: an event not shown: {e}"),
        },
        Incoming::Ack(packet) => match ack_json(&packet) {
            Ok(args) => print_json(&json!({ "ack": packet.ack_id(), "args": args }))?,
            Err(e) => eprintln!("tether: an ack not shown: {e}"),
        },
        Incoming::Disconnected(reason) => {
            print_disconnect(namespace, &reason)?;
            return Ok(Some(reason));
        }
        _ => {}
    }
    Ok(None)
}

fn print_disconnect(namespace: &str, reason: &DisconnectReason) -> std::io::Result<()> {
    let mut line =
        json!({ "event": "disconnect", "namespace": namespace, "reason": reason.as_str() });
    if let Some(detail) = reason.detail() {
        line["detail"] = json!(detail);
    }
    print_json(&line)
}

/// The exit for a disconnection (see the help text).
fn ended(reason: &DisconnectReason, rejected: bool) -> Result<(), Error> {
    match reason {
        DisconnectReason::ServerDisconnect
        | DisconnectReason::TransportClose
        | DisconnectReason::ClientDisconnect => finish(rejected),
        other => Err(format!("disconnected: {other}").into()),
    }
}

fn finish(rejected: bool) -> Result<(), Error> {
    if rejected {
        Err("a command was rejected".into())
    } else {
        Ok(())
    }
}

/// Waits for the ack `id` until `deadline`, printing what else arrives;
/// `Some(reason)` if disconnected meanwhile.
async fn wait_ack(
    client: &mut Client,
    id: u64,
    deadline: Instant,
) -> std::io::Result<Option<DisconnectReason>> {
    loop {
        let heartbeat = client.heartbeat_deadline();
        tokio::select! {
            message = client.recv_message() => {
                match client.handle(message).await {
                    Some(Incoming::Ack(p)) if p.ack_id() == Some(id) => {
                        show(Incoming::Ack(p), client.namespace())?;
                        return Ok(None);
                    }
                    Some(other) => {
                        let namespace = client.namespace().to_owned();
                        if let Some(reason) = show(other, &namespace)? {
                            return Ok(Some(reason));
                        }
                    }
                    None => {}
                }
            }
            _ = tokio::time::sleep_until(heartbeat) => {
                let namespace = client.namespace().to_owned();
                return show(client.expire(), &namespace);
            }
            _ = tokio::time::sleep_until(deadline) => {
                print_json(&json!({ "ack": id, "error": "timeout" }))?;
                return Ok(None);
            }
        }
    }
}

pub(super) async fn run(args: Args) -> Result<(), Error> {
    let options = Options::new(&args.url)
        .with_namespace(args.namespace.clone())
        .with_auth(args.auth.clone())
        .with_path(&args.path)
        .with_timeout(secs(args.connect_timeout));
    let (_, namespace) = options.endpoint()?;
    let mut client = match Client::connect(&options).await {
        Ok(client) => client,
        Err(ClientError::Refused(data)) => {
            print_json(&json!({ "event": "connect_error", "namespace": namespace, "data": data }))?;
            return Err(format!("{namespace}: the server refused the connection").into());
        }
        Err(e) => {
            let message = e.to_string();
            print_json(
                &json!({ "event": "connect_error", "namespace": namespace, "data": { "message": message } }),
            )?;
            return Err(format!("{}: {message}", args.url).into());
        }
    };
    print_json(
        &json!({ "event": "connect", "namespace": client.namespace(), "sid": client.sid() }),
    )?;

    let ack_timeout = secs(args.ack_timeout);
    let mut lines = stdin_lines();
    let mut rejected = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let heartbeat = client.heartbeat_deadline();
        tokio::select! {
            line = lines.recv() => {
                let Some(line) = line else { break };
                let command = std::str::from_utf8(&line)
                    .map_err(|_| "a line of stdin is not UTF-8".to_owned())
                    .and_then(parse_command);
                let sent = match command {
                    Ok(Command::Nothing) => Ok(None),
                    Ok(Command::Disconnect) => break,
                    Ok(Command::Emit { event, args }) => client.emit(&event, &args).await.map(|()| None),
                    Ok(Command::Ack { id, args }) => client.ack(id, &args).await.map(|()| None),
                    Ok(Command::EmitAck { event, args }) => client.emit_with_ack(&event, &args).await.map(Some),
                    Err(e) => {
                        eprintln!("tether: {e}");
                        rejected = true;
                        continue;
                    }
                };
                match sent {
                    Ok(Some(id)) => {
                        if let Some(reason) = wait_ack(&mut client, id, Instant::now() + ack_timeout).await? {
                            return ended(&reason, rejected);
                        }
                    }
                    Ok(None) => {}
                    Err(ClientError::Packet(e)) => {
                        eprintln!("tether: not sent: {e}");
                        rejected = true;
                    }
                    Err(e) => {
                        let reason = DisconnectReason::TransportError(e.to_string());
                        print_disconnect(client.namespace(), &reason)?;
                        return ended(&reason, rejected);
                    }
                }
            }
            message = client.recv_message() => {
                if let Some(incoming) = client.handle(message).await {
                    let namespace = client.namespace().to_owned();
                    if let Some(reason) = show(incoming, &namespace)? {
                        return ended(&reason, rejected);
                    }
                }
            }
            _ = tokio::time::sleep_until(heartbeat) => {
                let namespace = client.namespace().to_owned();
                if let Some(reason) = show(client.expire(), &namespace)? {
                    return ended(&reason, rejected);
                }
            }
            _ = &mut ctrl_c => break,
        }
    }
    let namespace = client.namespace().to_owned();
    client.disconnect(secs(args.close_timeout)).await;
    print_disconnect(&namespace, &DisconnectReason::ClientDisconnect)?;
    finish(rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(
            parse_command(r#"emit chat "hi" 1 {"a":[true]}"#),
            Ok(Command::Emit {
                event: "chat".into(),
                args: JsonArgs(vec![json!("hi"), json!(1), json!({"a": [true]})])
            })
        );
        assert_eq!(
            parse_command(r#"emit-ack "two words" null"#),
            Ok(Command::EmitAck {
                event: "two words".into(),
                args: JsonArgs(vec![Value::Null])
            })
        );
        assert_eq!(
            parse_command("ack 7"),
            Ok(Command::Ack {
                id: 7,
                args: JsonArgs(vec![])
            })
        );
        assert_eq!(parse_command("  # note"), Ok(Command::Nothing));
        assert_eq!(parse_command("disconnect"), Ok(Command::Disconnect));
        assert!(parse_command("emit").is_err());
        assert!(parse_command("emit x [1,").is_err());
        assert!(parse_command("ack x").is_err());
        assert!(parse_command("shout x").is_err());
    }
}
