//! Heap allocations per message of the connections of the `stream` bench, on
//! its own workloads, counted with a counting allocator: one iteration, on a
//! connection that already ran one (as in the timed loop).
//!
//! Run with `--nocapture` to see the table:
//!
//! ```sh
//! cargo test --release -p tether-benches --test stream_allocations -- --nocapture
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};

use tether_benches::messages::{duplex, Expect, MessageWorkload};
use tether_benches::mock::{Cursor, VecSink};
use tether_benches::stream::{
    self, expected_items, FastWebSockets, FastWebSocketsRecv, RecvMessages, SendMessages,
    SendWorkload, Tether, TokioTungstenite, TokioWebSockets, SEND_SIZES,
};
use tether_ws::Role;

struct Counting;

thread_local! {
    // Const-initialized and without a destructor: using it never allocates.
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

fn count(size: usize) {
    let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    let _ = BYTES.try_with(|n| n.set(n.get() + size));
}

// SAFETY: forwards to the system allocator and only counts, on this thread.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same layout as given to us.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as `GlobalAlloc::realloc` requires of us.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations (reallocations included) and bytes asked for while `f` runs
/// on this thread.
fn allocations(f: impl FnOnce()) -> (usize, usize) {
    let before = (ALLOCS.with(Cell::get), BYTES.with(Cell::get));
    f();
    (
        ALLOCS.with(Cell::get) - before.0,
        BYTES.with(Cell::get) - before.1,
    )
}

fn per_message((allocs, bytes): (usize, usize), messages: usize) -> String {
    let m = messages.max(1) as f64;
    format!("{:.2} ({:.0} B)", allocs as f64 / m, bytes as f64 / m)
}

fn send<S: SendMessages>(mut sender: S, role: Role, workload: &SendWorkload) -> String {
    stream::check_send(&mut sender, role, workload);
    let counted = allocations(|| {
        sender.send_batch(&workload.payload, workload.count);
    });
    per_message(counted, workload.count)
}

fn recv<R: RecvMessages>(
    mut receiver: R,
    workload: &MessageWorkload,
    chunks: &[bytes::Bytes],
    cursor: &Cursor,
    written: &Cell<usize>,
) -> String {
    stream::check_recv(&mut receiver, workload, chunks, cursor, written);
    let n = expected_items::<R>(workload).len();
    let counted = allocations(|| {
        cursor.rewind();
        receiver.recv_items(n, |_| {});
    });
    let messages = workload
        .items
        .iter()
        .filter(|e| !matches!(e, Expect::Ping(_)))
        .count();
    per_message(counted, messages)
}

#[test]
fn allocations_per_message() {
    let mut out = String::from(
        "allocations per message (bytes allocated per message)\n\n\
         | cell | tether | tokio-tungstenite | fastwebsockets | tokio-websockets |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (group, role) in [
        ("stream_send", Role::Client),
        ("stream_send_server", Role::Server),
    ] {
        for size in SEND_SIZES {
            let w = SendWorkload::new(size);
            let sinks: [RefCell<Vec<u8>>; 4] = Default::default();
            let cells = [
                send(Tether::new(VecSink::new(&sinks[0]), role), role, &w),
                send(
                    TokioTungstenite::new(VecSink::new(&sinks[1]), role),
                    role,
                    &w,
                ),
                send(FastWebSockets::new(VecSink::new(&sinks[2]), role), role, &w),
                send(
                    TokioWebSockets::new(VecSink::new(&sinks[3]), role),
                    role,
                    &w,
                ),
            ];
            out.push_str(&format!(
                "| {group} {} | {} |\n",
                w.label(),
                cells.join(" | ")
            ));
        }
    }
    for cell in stream::recv_cells() {
        let w = &cell.workload;
        let chunks = cell.chunking.cut(&w.wire);
        let cursor = Cursor::new();
        let written = Cell::new(0);
        let io = duplex(&chunks, &cursor, &written);
        let (ch, cu, wr) = (&chunks[..], &cursor, &written);
        let cells = [
            recv(Tether::new(io, Role::Server), w, ch, cu, wr),
            recv(TokioTungstenite::new(io, Role::Server), w, ch, cu, wr),
            recv(FastWebSocketsRecv::new(io, Role::Server), w, ch, cu, wr),
            recv(TokioWebSockets::new(io, Role::Server), w, ch, cu, wr),
        ];
        out.push_str(&format!(
            "| stream_recv {} | {} |\n",
            cell.label,
            cells.join(" | ")
        ));
    }
    println!("{out}");
}
