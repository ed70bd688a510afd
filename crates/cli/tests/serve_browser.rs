//! `tether serve` in headless Chromium (Debian's, installed by
//! scripts/interop-setup.sh), driven over the DevTools protocol with the
//! tether-ws client: two pages (alice and bob, each in its own browser
//! context) chat in a room through the demo page's controls, see each
//! other online and typing, alice's transport is dropped (once with the
//! client's own reconnection, once held offline while bob writes) and the
//! page shows the missed messages once each after recovery; the `/events`
//! panel updates live with increasing ids and the `/ws` panel echoes. The
//! checks read the pages' DOM; a screenshot of each page is saved under
//! `$CARGO_TARGET_TMPDIR/serve_browser/`.
//!
//! The page loads `/socket.io/socket.io.js`, which the Socket.IO server
//! serves itself. While a build of the server does not serve it yet, the
//! test answers that one request with the official socket.io-client bundle
//! (interop/node/node_modules) through the DevTools `Fetch` domain, inside
//! the browser: the binary is never changed. `TETHER_DEMO_CLIENT=official`
//! forces the official bundle.

mod serve_support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serve_support::{get, Server, STEP};
use tether_ws::{MaybeTlsStream, Message, WebSocketStream};

/// Headless Chromium on a fresh profile with a DevTools port; on drop it
/// is killed and waited for before its profile directory is removed.
struct Chromium {
    child: Child,
    profile: PathBuf,
}

impl Chromium {
    /// Starts it and returns it with its browser DevTools WebSocket URL
    /// (from the profile's `DevToolsActivePort`, waited for at most 30 s).
    fn start() -> (Chromium, String) {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let profile = std::env::temp_dir().join(format!(
            "tether-serve-chromium-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium is installed by scripts/interop-setup.sh");
        let chromium = Chromium { child, profile };
        let file = chromium.profile.join("DevToolsActivePort");
        for _ in 0..300 {
            if let Ok(text) = std::fs::read_to_string(&file) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    let url = format!("ws://127.0.0.1:{}{}", port.trim(), path.trim());
                    return (chromium, url);
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromium wrote no DevToolsActivePort in 30 s");
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Its helper processes may still write there for a moment after
        // the main one is gone: retry, bounded.
        for _ in 0..50 {
            let _ = std::fs::remove_dir_all(&self.profile);
            if !self.profile.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("could not remove {}", self.profile.display());
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&b| b == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A DevTools protocol client on the browser endpoint, with flattened
/// sessions: commands wait for their answer (bounded); events seen
/// meanwhile are handled (the `Fetch` interception, exceptions).
struct Cdp {
    ws: WebSocketStream<MaybeTlsStream>,
    next_id: u64,
    /// Answers to ignore (the fulfilments sent while waiting).
    ignored: HashSet<u64>,
    /// The body to answer `/socket.io/socket.io.js` with, in base64.
    bundle: Option<String>,
    /// Uncaught exceptions in the pages: (session, description).
    exceptions: Vec<(String, String)>,
}

/// One page: its target and flattened session.
struct Page {
    name: &'static str,
    session: String,
}

impl Cdp {
    async fn connect(url: &str, bundle: Option<String>) -> Cdp {
        let (ws, _) = tokio::time::timeout(STEP, tether_ws::connect(url))
            .await
            .expect("DevTools did not answer in time")
            .expect("connect to DevTools");
        Cdp {
            ws,
            next_id: 1,
            ignored: HashSet::new(),
            bundle,
            exceptions: Vec::new(),
        }
    }

    async fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        self.ws
            .send(Message::text(command.to_string()))
            .await
            .unwrap();
        id
    }

    /// Runs `method` and returns its result, within `STEP`.
    async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.send(session, method, params).await;
        let deadline = tokio::time::Instant::now() + STEP;
        for _ in 0..100_000 {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method} in {STEP:?}"))
                .expect("DevTools closed")
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            let mut message: Value = serde_json::from_str(&text).unwrap();
            match message["id"].as_u64() {
                Some(n) if n == id => {
                    if let Some(error) = message.get("error") {
                        panic!("{method}: {error}");
                    }
                    return message["result"].take();
                }
                Some(n) => {
                    if self.ignored.remove(&n) {
                        if let Some(error) = message.get("error") {
                            panic!("a fulfilment failed: {error}");
                        }
                    }
                }
                None => self.event(message).await,
            }
        }
        panic!("100000 messages and no answer to {method}");
    }

    async fn event(&mut self, event: Value) {
        let session = event["sessionId"].as_str().unwrap_or("").to_owned();
        match event["method"].as_str() {
            Some("Fetch.requestPaused") => {
                let request = event["params"]["requestId"].clone();
                let url = event["params"]["request"]["url"].as_str().unwrap_or("");
                let Some(bundle) = self.bundle.clone() else {
                    panic!("an interception without a bundle: {url}");
                };
                let id = self
                    .send(
                        Some(&session),
                        "Fetch.fulfillRequest",
                        json!({
                            "requestId": request,
                            "responseCode": 200,
                            "responseHeaders": [
                                { "name": "Content-Type", "value": "application/javascript; charset=utf-8" },
                                { "name": "Cache-Control", "value": "no-store" },
                            ],
                            "body": bundle,
                        }),
                    )
                    .await;
                self.ignored.insert(id);
            }
            Some("Runtime.exceptionThrown") => {
                let details = &event["params"]["exceptionDetails"];
                let text = details["exception"]["description"]
                    .as_str()
                    .or(details["text"].as_str())
                    .unwrap_or("?")
                    .to_owned();
                self.exceptions.push((session, text));
            }
            _ => {}
        }
    }

    /// A page on `url` in a browser context of its own, 1280×900.
    async fn open(&mut self, name: &'static str, url: &str) -> Page {
        let context = self
            .call(None, "Target.createBrowserContext", json!({}))
            .await["browserContextId"]
            .clone();
        let target = self
            .call(
                None,
                "Target.createTarget",
                json!({ "url": "about:blank", "browserContextId": context, "newWindow": true }),
            )
            .await["targetId"]
            .clone();
        let session = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await["sessionId"]
            .as_str()
            .unwrap()
            .to_owned();
        let s = Some(session.as_str());
        self.call(s, "Runtime.enable", json!({})).await;
        self.call(s, "Page.enable", json!({})).await;
        if self.bundle.is_some() {
            self.call(
                s,
                "Fetch.enable",
                json!({ "patterns": [{ "urlPattern": "*/socket.io/socket.io.js*", "requestStage": "Request" }] }),
            )
            .await;
        }
        self.call(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
        self.call(s, "Page.navigate", json!({ "url": url })).await;
        let page = Page { name, session };
        self.wait(
            &page,
            "loaded",
            &format!(
                "location.href === {} && document.readyState === 'complete'",
                json!(url)
            ),
        )
        .await;
        page
    }

    /// The value of `expression` in `page` (promises awaited).
    async fn eval(&mut self, page: &Page, expression: &str) -> Value {
        let mut result = self
            .call(
                Some(&page.session),
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        if let Some(details) = result.get("exceptionDetails") {
            panic!("{}: {expression}: {details}", page.name);
        }
        result["result"]["value"].take()
    }

    /// Evaluates `expression` every 100 ms until it is truthy (at most
    /// 300 times) and returns that value.
    async fn wait(&mut self, page: &Page, what: &str, expression: &str) -> Value {
        let started = Instant::now();
        // Not there yet (the page still loading) is false, not a failure.
        let guarded = format!(
            "(() => {{ try {{ return ({expression}); }} catch (e) {{ return false; }} }})()"
        );
        for _ in 0..300 {
            let value = self.eval(page, &guarded).await;
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::String(s) => !s.is_empty(),
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            };
            if truthy {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let body = self.eval(page, "document.body.innerText").await;
        panic!(
            "{}: {what}: not after {:?}; the page says:\n{}",
            page.name,
            started.elapsed(),
            body.as_str().unwrap_or("?")
        );
    }

    /// Types `text` into the input `#id` (an `input` event) and clicks
    /// the button `#button` (if any).
    async fn fill(&mut self, page: &Page, id: &str, text: &str, button: Option<&str>) {
        let click = button.map_or(String::new(), |b| {
            format!("document.getElementById({}).click();", json!(b))
        });
        let script = format!(
            "(() => {{ const i = document.getElementById({id}); i.focus(); i.value = {text}; \
             i.dispatchEvent(new Event('input', {{ bubbles: true }})); {click} return true; }})()",
            id = json!(id),
            text = json!(text),
        );
        self.eval(page, &script).await;
    }

    /// A PNG of the page, saved as `dir/NAME.png`; its size.
    async fn screenshot(&mut self, page: &Page, dir: &Path) -> usize {
        self.call(Some(&page.session), "Page.bringToFront", json!({}))
            .await;
        let shot = self
            .call(
                Some(&page.session),
                "Page.captureScreenshot",
                json!({ "format": "png" }),
            )
            .await;
        let png = base64_decode(shot["data"].as_str().unwrap());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
        let path = dir.join(format!("{}.png", page.name));
        std::fs::write(&path, &png).unwrap();
        eprintln!("screenshot: {}", path.display());
        png.len()
    }
}

/// The chat lines of the log, `nick: text` (notices as `* text`).
const LOG: &str =
    "[...document.querySelectorAll('#log li.msg')].map(li => li.classList.contains('notice') \
     ? '* ' + li.querySelector('.text').textContent \
     : li.querySelector('.nick').textContent + ': ' + li.querySelector('.text').textContent)";

/// Who is online, as the panel lists them, comma-separated.
const ONLINE: &str =
    "[...document.querySelectorAll('#online li')].map(li => li.textContent).join(',')";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pages_chat_see_each_other_and_recover_missed_messages() {
    let server = Server::start(&["--tick", "0.5"]);
    let origin = server.origin();

    // The server's own browser client if it serves one, else the official
    // bundle through the browser's Fetch interception.
    let served = get(server.port, "/socket.io/socket.io.js", &[]).await;
    let serves_client = served.status == 200
        && served
            .header("content-type")
            .is_some_and(|t| t.contains("javascript"));
    let official = std::env::var("TETHER_DEMO_CLIENT").is_ok_and(|v| v == "official");
    let bundle = if serves_client && !official {
        eprintln!("client: the server's own /socket.io/socket.io.js");
        None
    } else {
        eprintln!("client: the official socket.io-client bundle (intercepted)");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let bytes = std::fs::read(
            root.join("interop/node/node_modules/socket.io-client/dist/socket.io.min.js"),
        )
        .expect("socket.io-client's bundle: run scripts/interop-setup.sh");
        Some(base64_encode(&bytes))
    };

    let (chromium, devtools) = Chromium::start();
    let mut cdp = Cdp::connect(&devtools, bundle).await;
    let alice = cdp.open("alice", &format!("{origin}/?nick=alice")).await;
    let bob = cdp.open("bob", &format!("{origin}/?nick=bob")).await;

    // Both connect and are in the lobby.
    for page in [&alice, &bob] {
        cdp.wait(
            page,
            "connected",
            "document.getElementById('status').dataset.state === 'connected' \
             && document.getElementById('room-title').textContent === '#lobby'",
        )
        .await;
    }
    let status = cdp
        .eval(&alice, "document.getElementById('status').textContent")
        .await;
    assert!(
        status.as_str().unwrap().starts_with("connected as alice"),
        "{status}"
    );
    cdp.wait(
        &alice,
        "bob online in the lobby",
        &format!("{ONLINE} === 'alice (you),bob'"),
    )
    .await;

    // Both join #rust through the join form.
    for page in [&alice, &bob] {
        cdp.fill(page, "join-input", "rust", Some("join-button"))
            .await;
        cdp.wait(
            page,
            "in #rust",
            "document.getElementById('room-title').textContent === '#rust' \
             && [...document.querySelectorAll('#room-list li')].map(li => li.dataset.room).join() === 'lobby,rust'",
        )
        .await;
    }
    cdp.wait(
        &alice,
        "both online in #rust",
        &format!(
            "document.getElementById('online-room').textContent === '#rust' && {ONLINE} === 'alice (you),bob'"
        ),
    )
    .await;
    cdp.wait(
        &bob,
        "both online in #rust",
        &format!("{ONLINE} === 'alice,bob (you)'"),
    )
    .await;
    cdp.wait(
        &alice,
        "the join notice",
        &format!("{LOG}.includes('* bob joined')"),
    )
    .await;

    // alice types: bob sees it; she sends: bob gets the message and the
    // indicator goes.
    cdp.fill(&alice, "message-input", "hel", None).await;
    cdp.wait(
        &bob,
        "alice typing",
        "document.getElementById('typing').textContent === 'alice is typing…'",
    )
    .await;
    cdp.fill(&alice, "message-input", "hello bob", Some("send"))
        .await;
    cdp.wait(
        &bob,
        "alice's message",
        &format!("{LOG}.includes('alice: hello bob')"),
    )
    .await;
    cdp.wait(
        &bob,
        "no one typing",
        "document.getElementById('typing').textContent === ''",
    )
    .await;
    cdp.fill(&bob, "message-input", "hi alice", Some("send"))
        .await;
    cdp.wait(
        &alice,
        "bob's answer",
        &format!("{LOG}.join('|').endsWith('alice: hello bob|bob: hi alice')"),
    )
    .await;

    // The transport drops and the client reconnects by itself: the same
    // socket, recovered.
    let id = cdp.eval(&alice, "tetherDemo.socket.id").await;
    cdp.eval(&alice, "tetherDemo.socket.io.engine.close(), true")
        .await;
    cdp.wait(
        &alice,
        "recovered after the drop",
        "tetherDemo.stats.recoveries === 1 && tetherDemo.socket.connected",
    )
    .await;
    assert_eq!(cdp.eval(&alice, "tetherDemo.socket.id").await, id);
    cdp.wait(
        &alice,
        "recovered in the status",
        "document.getElementById('status').textContent.includes('recovered')",
    )
    .await;

    // Dropped and held offline: bob sees her go and writes three times.
    cdp.eval(&alice, "document.getElementById('drop').click(), true")
        .await;
    cdp.wait(
        &alice,
        "offline",
        "document.getElementById('status').dataset.state === 'offline' \
         && document.getElementById('drop').textContent === 'Reconnect'",
    )
    .await;
    cdp.wait(&bob, "alice gone", &format!("{ONLINE} === 'bob (you)'"))
        .await;
    for text in ["missed 1", "missed 2", "missed 3"] {
        cdp.fill(&bob, "message-input", text, Some("send")).await;
        cdp.wait(
            &bob,
            "sent",
            &format!("{LOG}.includes({})", json!(format!("bob: {text}"))),
        )
        .await;
    }
    let offline_log = cdp.eval(&alice, &format!("{LOG}.join('|')")).await;
    assert!(
        !offline_log.as_str().unwrap().contains("missed"),
        "{offline_log}"
    );

    // Back: the session is recovered and the three messages appear once
    // each, in order, after what she had.
    cdp.eval(&alice, "document.getElementById('drop').click(), true")
        .await;
    cdp.wait(
        &alice,
        "recovered again with the missed messages",
        &format!("tetherDemo.stats.recoveries === 2 && {LOG}.includes('bob: missed 3')"),
    )
    .await;
    let log = cdp.eval(&alice, &format!("{LOG}.join('|')")).await;
    assert!(
        log.as_str()
            .unwrap()
            .ends_with("alice: hello bob|bob: hi alice|bob: missed 1|bob: missed 2|bob: missed 3"),
        "{log}"
    );
    assert_eq!(cdp.eval(&alice, "tetherDemo.stats.duplicates").await, 0);
    assert_eq!(cdp.eval(&alice, "tetherDemo.socket.id").await, id);
    cdp.wait(
        &bob,
        "alice back online",
        &format!("{ONLINE} === 'alice,bob (you)'"),
    )
    .await;
    cdp.fill(&alice, "message-input", "back again", Some("send"))
        .await;
    cdp.wait(
        &bob,
        "her message after recovery",
        &format!("{LOG}.join('|').endsWith('bob: missed 3|alice: back again')"),
    )
    .await;

    // The /events panel: chat activity and ticks, newest first, ids
    // decreasing down the list, and it goes on updating.
    cdp.wait(
        &alice,
        "the activity in the SSE panel",
        "(() => { const t = document.getElementById('sse-log').innerText; \
         return t.includes('alice reconnected (recovered: lobby, rust)') && t.includes('bob wrote in rust'); })()",
    )
    .await;
    let ids = cdp
        .eval(
            &alice,
            "[...document.querySelectorAll('#sse-log li')].map(li => Number(li.dataset.id))",
        )
        .await;
    let ids: Vec<u64> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(ids.len() >= 5, "{ids:?}");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    cdp.wait(
        &alice,
        "a newer tick",
        &format!(
            "(() => {{ const top = document.querySelector('#sse-log li.tick'); \
             return top && Number(top.dataset.id) > {} && top.textContent.includes('sockets'); }})()",
            ids[0]
        ),
    )
    .await;
    assert_eq!(
        cdp.eval(
            &alice,
            "document.getElementById('sse-status').dataset.state"
        )
        .await,
        "open"
    );

    // The /ws panel: a round trip through the echo.
    cdp.fill(&alice, "ws-input", "ping over ws", Some("ws-send"))
        .await;
    cdp.wait(
        &alice,
        "the echo",
        "document.getElementById('ws-log').innerText.includes('echo: ping over ws') \
         && document.getElementById('ws-status').textContent === 'open'",
    )
    .await;

    // The server restarts on the same port: nothing to recover, so the
    // pages start new sessions, join their rooms again with their
    // nicknames, and keep what they showed.
    server
        .wait_log(&["socket.io connected", "recovered=true", "nick=\"alice\""])
        .await;
    server
        .wait_log(&["socket.io disconnected", "nick=\"alice\"", "reason="])
        .await;
    server.wait_log(&["sse subscriber connected"]).await;
    server.wait_log(&["websocket connected"]).await;
    let port = server.port;
    let mut connects = Vec::new();
    for page in [&alice, &bob] {
        connects.push(cdp.eval(page, "tetherDemo.stats.connects").await);
    }
    drop(server);
    for page in [&alice, &bob] {
        cdp.wait(
            page,
            "offline when the server went",
            "document.getElementById('status').dataset.state !== 'connected'",
        )
        .await;
    }
    let server = Server::start_on(port, &["--tick", "0.5"]);
    for (page, before) in [&alice, &bob].into_iter().zip(&connects) {
        cdp.wait(
            page,
            "a new session after the restart",
            &format!(
                "tetherDemo.socket.connected && !tetherDemo.socket.recovered \
                 && tetherDemo.stats.connects > {before} && tetherDemo.current === 'rust'"
            ),
        )
        .await;
    }
    assert_ne!(cdp.eval(&alice, "tetherDemo.socket.id").await, id);
    cdp.wait(
        &alice,
        "both online in #rust again",
        &format!("{ONLINE} === 'alice (you),bob'"),
    )
    .await;
    cdp.wait(
        &bob,
        "both online in #rust again",
        &format!("{ONLINE} === 'alice,bob (you)'"),
    )
    .await;
    cdp.fill(&bob, "message-input", "after the restart", Some("send"))
        .await;
    cdp.wait(
        &alice,
        "a message after the restart, the old ones kept",
        &format!(
            "{LOG}.filter(l => !l.startsWith('* ')).join('|').endsWith(\
             'bob: missed 3|alice: back again|bob: after the restart')"
        ),
    )
    .await;
    server
        .wait_log(&["socket.io connected", "recovered=false", "nick=\"alice\""])
        .await;
    assert_eq!(cdp.eval(&alice, "tetherDemo.stats.recoveries").await, 2);
    assert_eq!(cdp.eval(&alice, "tetherDemo.stats.duplicates").await, 0);

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve_browser");
    std::fs::create_dir_all(&dir).unwrap();
    for page in [&alice, &bob] {
        let size = cdp.screenshot(page, &dir).await;
        assert!(size > 10_000, "{}: a {size}-byte screenshot", page.name);
    }
    let text = cdp.eval(&bob, "document.body.innerText").await;
    let text = text.as_str().unwrap();
    for part in [
        "#rust",
        "hello bob",
        "missed 3",
        "back again",
        "Online in #rust",
        "bob (you)",
        "Server events",
        "WebSocket echo",
    ] {
        assert!(text.contains(part), "{part:?} not on bob's page:\n{text}");
    }

    assert!(cdp.exceptions.is_empty(), "{:?}", cdp.exceptions);

    // Closed politely, then killed and its profile removed anyway.
    cdp.send(None, "Browser.close", json!({})).await;
    drop(chromium);
}
