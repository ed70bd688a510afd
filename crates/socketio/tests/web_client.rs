//! The browser client's build output is current: `node web/build.mjs
//! --check` rebuilds web/dist (the bundles, the source map, the gzip and
//! brotli copies) into a temporary directory and fails when any file
//! differs from the committed one. esbuild comes from web/node_modules
//! (scripts/interop-setup.sh installs it from web/package-lock.json).
#![cfg(feature = "server")]

use std::time::{Duration, Instant};

#[test]
fn web_dist_is_up_to_date() {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    assert!(
        web.join("node_modules/esbuild").exists(),
        "web/node_modules is missing: run scripts/interop-setup.sh"
    );
    let mut child = std::process::Command::new("node")
        .arg(web.join("build.mjs"))
        .arg("--check")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run node");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("node web/build.mjs --check did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
