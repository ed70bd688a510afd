//! A frame-level echo over TCP on 127.0.0.1, both ends in one process.
//!
//! The server decodes masked client frames with `FrameCodec` and echoes data
//! frames back unmasked; it answers pings with pongs and a close with a close.
//! The client sends a few frames (text, a fragmented message with a ping in
//! the middle, a large binary frame, a close) and prints what comes back.
//!
//! ```text
//! cargo run -p tether-frame --example frame_echo
//! ```

use futures::{SinkExt, StreamExt};
use tether_frame::{CloseCode, CloseFrame, Error, Frame, FrameCodec, OpCode, Role};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

async fn serve(socket: TcpStream) -> Result<(), Error> {
    let mut frames = Framed::new(socket, FrameCodec::new(Role::Server));
    while let Some(frame) = frames.next().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                // A peer error maps to a close code: tell the peer, then stop.
                if let Some(code) = e.close_code() {
                    let close = CloseFrame::new(code, "");
                    frames.send(Frame::close(Some(&close))?).await?;
                }
                return Err(e);
            }
        };
        match frame.opcode {
            OpCode::Ping => frames.send(Frame::pong(frame.payload)).await?,
            OpCode::Pong => {}
            OpCode::Close => {
                frames.send(frame).await?;
                return Ok(());
            }
            OpCode::Text | OpCode::Binary | OpCode::Continuation => frames.send(frame).await?,
        }
    }
    Ok(())
}

fn describe(frame: &Frame) -> String {
    let body = match frame.opcode {
        OpCode::Text | OpCode::Continuation | OpCode::Ping | OpCode::Pong
            if frame.payload.len() <= 40 =>
        {
            format!("{:?}", String::from_utf8_lossy(&frame.payload))
        }
        OpCode::Close => format!("{:?}", frame.close_frame()),
        _ => format!("{} bytes", frame.payload.len()),
    };
    format!("{:?} fin={} {}", frame.opcode, frame.fin, body)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("frame echo server on {addr}");
    let server = tokio::spawn(async move {
        let (socket, peer) = listener.accept().await?;
        println!("server: connection from {peer}");
        serve(socket).await.map_err(std::io::Error::other)
    });

    let socket = TcpStream::connect(addr).await?;
    let mut client = Framed::new(socket, FrameCodec::new(Role::Client));
    let outgoing = vec![
        Frame::text("Hello"),
        Frame::new(OpCode::Text, "Hel").with_fin(false),
        Frame::ping("between fragments"),
        Frame::continuation("lo", true),
        Frame::binary(vec![0x42; 1 << 20]),
        Frame::close(Some(&CloseFrame::new(CloseCode::Normal, "bye")))?,
    ];
    for frame in outgoing {
        println!("client -> {}", describe(&frame));
        client.send(frame).await?;
    }
    while let Some(frame) = client.next().await {
        let frame = frame?;
        println!("client <- {}", describe(&frame));
        if frame.opcode == OpCode::Close {
            break;
        }
    }
    server.await??;
    println!("done");
    Ok(())
}
