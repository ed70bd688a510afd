use std::future::poll_fn;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::*;

/// The next bytes of a stream.
async fn next(stream: &mut EventStream) -> Option<Bytes> {
    poll_fn(|cx| stream.poll_bytes(cx)).await
}

/// The next bytes, if some are ready now.
fn ready(stream: &mut EventStream) -> Option<Option<Bytes>> {
    let waker = std::task::Waker::noop();
    match stream.poll_bytes(&mut Context::from_waker(waker)) {
        Poll::Ready(bytes) => Some(bytes),
        Poll::Pending => None,
    }
}

/// Everything ready now, as text.
fn drain(stream: &mut EventStream) -> String {
    let mut out = String::new();
    while let Some(Some(bytes)) = ready(stream) {
        out.push_str(std::str::from_utf8(&bytes).unwrap());
    }
    out
}

fn quiet() -> ChannelConfig {
    ChannelConfig::default().with_keep_alive(None)
}

fn wire(id: &str, data: &str) -> String {
    format!("id: {id}\ndata: {data}\n\n")
}

#[test]
fn ids_are_assigned_or_kept() {
    let channel = Channel::new(quiet());
    assert_eq!(channel.send(Event::new("a")).unwrap(), "1");
    assert_eq!(
        channel.send(Event::new("b").with_id("mine")).unwrap(),
        "mine"
    );
    // The sequence counts every event.
    assert_eq!(channel.send(Event::new("c")).unwrap(), "3");
    // Rejected: nothing sent, no number used.
    let e = channel.send(Event::new("d").with_id("x\ny")).unwrap_err();
    assert!(matches!(e, Error::InvalidId { at: 1, .. }), "{e:?}");
    let e = channel.send(Event::new("d").with_event("t\r")).unwrap_err();
    assert!(matches!(e, Error::InvalidEventType { at: 1, .. }), "{e:?}");
    assert_eq!(channel.send(Event::new("e")).unwrap(), "4");
    assert_eq!(channel.replay_len(), 4);
}

#[test]
fn automatic_ids_count_from_first_id() {
    let channel = Channel::new(quiet().with_first_id(1_796_223_481_000));
    assert_eq!(&*channel.send(Event::new("a")).unwrap(), "1796223481000");
    assert_eq!(
        &*channel.send(Event::new("b").with_id("own")).unwrap(),
        "own"
    );
    assert_eq!(&*channel.send(Event::new("c")).unwrap(), "1796223481002");
    // A Last-Event-ID from an earlier process (1, 2...) matches nothing:
    // the whole buffer is replayed.
    let mut stream = channel.subscribe(Some("2"));
    let text = drain(&mut stream);
    assert!(
        text.contains("data: a") && text.contains("data: c"),
        "{text}"
    );
}

#[tokio::test]
async fn live_events_after_the_retry_preamble() {
    let channel = Channel::new(quiet().with_retry(Some(Duration::from_millis(250))));
    channel.send(Event::new("before")).unwrap();
    let mut stream = channel.subscribe(None);
    assert_eq!(channel.subscriber_count(), 1);
    channel.send(Event::new("x").with_event("tick")).unwrap();
    channel.send(Event::new("y")).unwrap();
    assert_eq!(
        drain(&mut stream),
        format!(
            "retry: 250\n\nevent: tick\n{}{}",
            wire("2", "x"),
            wire("3", "y")
        )
    );
    assert!(ready(&mut stream).is_none(), "pending");
    drop(stream);
    assert_eq!(channel.subscriber_count(), 0);
}

#[tokio::test]
async fn resume_replays_exactly_what_was_missed() {
    let channel = Channel::new(quiet());
    for i in 1..=5 {
        channel.send(Event::new(format!("e{i}"))).unwrap();
    }
    let mut stream = channel.subscribe(Some("3"));
    channel.send(Event::new("e6")).unwrap();
    assert_eq!(
        drain(&mut stream),
        [wire("4", "e4"), wire("5", "e5"), wire("6", "e6")].concat()
    );
    // Up to date: only live events.
    let mut stream = channel.subscribe(Some("6"));
    assert_eq!(drain(&mut stream), "");
    channel.send(Event::new("e7")).unwrap();
    assert_eq!(drain(&mut stream), wire("7", "e7"));
    // An empty id is a new client.
    let mut stream = channel.subscribe(Some(""));
    assert_eq!(drain(&mut stream), "");
}

#[tokio::test]
async fn the_replay_buffer_drops_the_oldest() {
    let channel = Channel::new(quiet().with_replay_capacity(3));
    for i in 1..=5 {
        channel.send(Event::new(format!("e{i}"))).unwrap();
    }
    assert_eq!(channel.replay_len(), 3);
    let all_kept = [wire("3", "e3"), wire("4", "e4"), wire("5", "e5")].concat();
    // Too old, and unknown: all that is kept.
    assert_eq!(drain(&mut channel.subscribe(Some("1"))), all_kept);
    assert_eq!(drain(&mut channel.subscribe(Some("nope"))), all_kept);
    assert_eq!(
        drain(&mut channel.subscribe(Some("3"))),
        all_kept[all_kept.len() / 3..]
    );

    // No replay at all.
    let channel = Channel::new(quiet().with_replay_capacity(0));
    channel.send(Event::new("gone")).unwrap();
    assert_eq!(channel.replay_len(), 0);
    assert_eq!(drain(&mut channel.subscribe(Some("1"))), "");
}

#[tokio::test]
async fn the_most_recent_matching_id_wins() {
    let channel = Channel::new(quiet());
    channel.send(Event::new("a").with_id("same")).unwrap();
    channel.send(Event::new("b")).unwrap();
    channel.send(Event::new("c").with_id("same")).unwrap();
    channel.send(Event::new("d")).unwrap();
    assert_eq!(drain(&mut channel.subscribe(Some("same"))), wire("4", "d"));
}

#[tokio::test]
async fn a_lagging_subscriber_is_resynchronised() {
    let channel = Channel::new(quiet().with_buffer(2).with_replay_capacity(100));
    let mut stream = channel.subscribe(None);
    for i in 1..=10 {
        channel.send(Event::new(format!("e{i}"))).unwrap();
    }
    let want: String = (1..=10)
        .map(|i| wire(&i.to_string(), &format!("e{i}")))
        .collect();
    assert_eq!(drain(&mut stream), want);
    // And goes on live.
    channel.send(Event::new("e11")).unwrap();
    assert_eq!(drain(&mut stream), wire("11", "e11"));
}

#[tokio::test]
async fn a_lag_beyond_the_replay_buffer_ends_the_stream() {
    let channel = Channel::new(quiet().with_buffer(2).with_replay_capacity(3));
    let mut stream = channel.subscribe(None);
    for i in 1..=10 {
        channel.send(Event::new(format!("e{i}"))).unwrap();
    }
    assert_eq!(ready(&mut stream), Some(None));
    assert!(http_body::Body::is_end_stream(&stream));
    // A reconnection with the last id it saw gets what is kept.
    assert_eq!(
        drain(&mut channel.subscribe(Some("0"))),
        (8..=10)
            .map(|i| wire(&i.to_string(), &format!("e{i}")))
            .collect::<String>()
    );
}

#[tokio::test]
async fn dropping_the_channel_ends_the_streams_after_what_was_sent() {
    let channel = Channel::new(quiet());
    let mut stream = channel.subscribe(None);
    let other = channel.clone();
    channel.send(Event::new("last")).unwrap();
    drop(channel);
    other.send(Event::new("really")).unwrap();
    drop(other);
    assert_eq!(next(&mut stream).await.unwrap(), wire("1", "last"));
    assert_eq!(next(&mut stream).await.unwrap(), wire("2", "really"));
    assert_eq!(next(&mut stream).await, None);
    assert_eq!(next(&mut stream).await, None);
}

#[tokio::test(start_paused = true)]
async fn keep_alive_when_nothing_else_was_written() {
    let every = Duration::from_secs(10);
    let channel = Channel::new(ChannelConfig::default().with_keep_alive(Some(every)));
    let mut stream = channel.subscribe(None);
    let start = Instant::now();
    assert_eq!(next(&mut stream).await.unwrap(), KEEP_ALIVE);
    assert_eq!(start.elapsed(), every);
    assert_eq!(next(&mut stream).await.unwrap(), KEEP_ALIVE);
    assert_eq!(start.elapsed(), every * 2);

    // An event 4 s later puts the next keep-alive 10 s after it.
    let sender = channel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(4)).await;
        sender.send(Event::new("x")).unwrap();
    });
    assert_eq!(next(&mut stream).await.unwrap(), wire("1", "x"));
    assert_eq!(start.elapsed(), every * 2 + Duration::from_secs(4));
    assert_eq!(next(&mut stream).await.unwrap(), KEEP_ALIVE);
    assert_eq!(start.elapsed(), every * 3 + Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn keep_alive_disabled() {
    for keep_alive in [None, Some(Duration::ZERO)] {
        let channel = Channel::new(ChannelConfig::default().with_keep_alive(keep_alive));
        let mut stream = channel.subscribe(None);
        let waited = tokio::time::timeout(Duration::from_secs(3600), next(&mut stream)).await;
        assert!(waited.is_err(), "nothing is written");
    }
}

/// Subscribers joining while events are sent from another thread, each
/// resuming from an id it saw earlier, get every later event once, in order.
#[test]
fn no_gap_and_no_duplicate_at_the_switch() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let channel = Channel::new(quiet().with_buffer(4096).with_replay_capacity(4096));
    const N: u64 = 2000;
    let sender = {
        let channel = channel.clone();
        std::thread::spawn(move || {
            for i in 1..=N {
                channel.send(Event::new(i.to_string())).unwrap();
                if i % 64 == 0 {
                    std::thread::yield_now();
                }
            }
        })
    };
    let mut streams = Vec::new();
    let mut resume_from = 0u64;
    while streams.len() < 40 {
        let seen = channel.shared.lock().next_seq - 1;
        let id = (resume_from > 0).then(|| resume_from.to_string());
        streams.push((resume_from, channel.subscribe(id.as_deref())));
        resume_from = seen / 2;
        std::thread::yield_now();
    }
    sender.join().unwrap();
    drop(channel);
    runtime.block_on(async {
        for (from, mut stream) in streams {
            let mut got = Vec::new();
            while let Some(bytes) = next(&mut stream).await {
                let text = std::str::from_utf8(&bytes).unwrap();
                let id: u64 = text
                    .strip_prefix("id: ")
                    .and_then(|t| t.split('\n').next())
                    .unwrap()
                    .parse()
                    .unwrap();
                got.push(id);
            }
            let first = *got.first().unwrap_or(&(N + 1));
            if from > 0 {
                assert_eq!(first, from + 1, "resumed right after {from}");
            }
            let want: Vec<u64> = (first..=N).collect();
            assert_eq!(got, want, "from {from}");
        }
    });
}

#[tokio::test]
async fn the_response_and_its_headers() {
    let channel = Channel::new(quiet());
    channel.send(Event::new("a")).unwrap();
    channel.send(Event::new("b")).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(LAST_EVENT_ID, HeaderValue::from_static("1"));
    let response = sse_response(&channel, &headers);
    assert_eq!(response.status(), http::StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
    assert_eq!(response.headers()[CACHE_CONTROL], "no-cache");
    let mut body = response.into_body();
    assert_eq!(drain(&mut body), wire("2", "b"));

    assert_eq!(last_event_id(&HeaderMap::new()), None);
    headers.insert(LAST_EVENT_ID, HeaderValue::from_static(""));
    assert_eq!(last_event_id(&headers), None);
    headers.insert(
        LAST_EVENT_ID,
        HeaderValue::from_bytes("é".as_bytes()).unwrap(),
    );
    assert_eq!(last_event_id(&headers), Some("é"));
}

#[tokio::test]
async fn a_stream_of_bytes_too() {
    use futures_core::Stream;
    let channel = Channel::new(quiet());
    let mut stream = channel.subscribe(None);
    channel.send(Event::new("s")).unwrap();
    drop(channel);
    let mut got = Vec::new();
    while let Some(item) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
        got.push(item.unwrap());
    }
    assert_eq!(got, [Bytes::from(wire("1", "s"))]);
}

#[test]
fn handles_and_bodies_can_move_across_tasks() {
    fn send_sync<T: Send + Sync + Unpin>() {}
    fn send<T: Send + Unpin + 'static>() {}
    send_sync::<Channel>();
    send::<EventStream>();
}
