//! `tether`: the demo server (`serve`), an interactive client (`connect`)
//! and a load generator (`load`).
#![forbid(unsafe_code)]

mod connect;
mod load;
mod serve;

use clap::{Parser, Subcommand};

/// WebSocket, Socket.IO and Server-Sent Events: a demo server, an
/// interactive client and a load generator.
#[derive(Parser, Debug)]
#[command(name = "tether", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the demo on one port: the chat page at /, a WebSocket echo at
    /// /ws, Server-Sent Events at /events, Socket.IO at /socket.io/.
    Serve(serve::Args),
    /// Connect to a WebSocket (ws://, wss://) or Socket.IO (http://,
    /// https://) server: lines from stdin are sent, what arrives is
    /// printed.
    Connect(connect::Args),
    /// Load a WebSocket echo or Socket.IO server and report throughput,
    /// latency percentiles and errors.
    Load(load::Args),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Connect(args) => connect::run(args).await,
        Command::Load(args) => load::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tether: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
