//! Turns criterion's results into the markdown tables of `docs/BENCHMARKS.md`.
//!
//! ```text
//! cargo run -p tether-benches --bin bench-report [-- CRITERION_DIR] > report.md
//! ```
//!
//! `CRITERION_DIR` defaults to `$CARGO_TARGET_DIR/criterion`, else the
//! workspace's `target/criterion`. Every `*/new/benchmark.json` there is one
//! cell: its time per iteration is criterion's typical estimate from
//! `new/estimates.json` (the slope of a linear sampling, else the mean, which
//! is what flat sampling reports), and its throughput is the payload bytes
//! per iteration from `Throughput::Bytes`.
//!
//! Each group gets a table of GB/s (10^9 payload bytes per second) and one of
//! frames (or messages) per second, which is the byte rate divided by the
//! payload size of the row (every frame or data message of a row carries
//! exactly that many bytes). Ratio columns compare each tether variant with
//! the fastest peer on the same row (tungstenite, fastwebsockets,
//! tokio-websockets, and in the `stream_*` groups tokio-tungstenite), and in
//! the `mask` group with memcpy. The connection groups (`stream_send`,
//! `stream_send_server`, `stream_recv`) have the best peer and the ratio in
//! their messages/s table too. Rows of one size are ordered by chunking
//! (`whole`, `4k`, `random`). A last section checks the performance targets
//! of the frame and message layers, when their groups were run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tether_benches::workload::{parse_size_label, size_label};

/// The peers tether is compared with (`tokio-tungstenite` is tungstenite
/// behind its async `WebSocketStream`, in the `stream_*` groups).
const PEERS: [&str; 4] = [
    "tungstenite",
    "tokio-tungstenite",
    "fastwebsockets",
    "tokio-websockets",
];

/// Column order; anything else follows alphabetically.
const COLUMN_ORDER: [&str; 11] = [
    "tether",
    "tether-copied",
    "tether-decode",
    "tether-encoder",
    "tether-vectored",
    "tungstenite",
    "tokio-tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "memcpy",
    "simdutf8",
];

/// Group order; anything else follows alphabetically.
const GROUP_ORDER: [&str; 10] = [
    "decode_whole",
    "decode_4k",
    "decode_random",
    "encode",
    "mask",
    "msg_whole",
    "msg_random",
    "stream_send",
    "stream_send_server",
    "stream_recv",
];

/// One benchmark: payload bytes per iteration and nanoseconds per iteration.
#[derive(Clone, Copy, Debug)]
struct Cell {
    bytes: f64,
    ns: f64,
}

impl Cell {
    fn bytes_per_sec(self) -> f64 {
        self.bytes / (self.ns * 1e-9)
    }
}

/// A row: the payload size of each frame or message, the rank of the
/// chunking named at the end of the label (see [`chunking_rank`]), and the
/// benchmark's parameter label (`16KiB`, `text-1KiB`, `binary-1MiB-x64`,
/// `binary-16B-random`).
type Row = (usize, u8, String);

/// group -> row -> implementation -> cell
type Results = BTreeMap<String, BTreeMap<Row, BTreeMap<String, Cell>>>;

fn main() {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(default_dir);
    let mut files = Vec::new();
    collect_benchmark_files(&dir, &mut files);
    if files.is_empty() {
        eprintln!(
            "no criterion results under {} (run `cargo bench -p tether-benches` first)",
            dir.display()
        );
        std::process::exit(1);
    }
    let mut results = Results::new();
    for file in files {
        match read_cell(&file) {
            Ok(Some((group, function, row, cell))) => {
                results
                    .entry(group)
                    .or_default()
                    .entry(row)
                    .or_default()
                    .insert(function, cell);
            }
            Ok(None) => {}
            Err(e) => eprintln!("skipping {}: {e}", file.display()),
        }
    }
    print!("{}", render(&results));
}

fn default_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(target) => PathBuf::from(target).join("criterion"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
    }
}

/// Every `new/benchmark.json` below `dir`.
fn collect_benchmark_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let file = path.join("benchmark.json");
                if file.is_file() {
                    out.push(file);
                }
            } else {
                collect_benchmark_files(&path, out);
            }
        }
    }
}

/// Orders rows of one size by how the input was cut: `whole`, then `4k`,
/// then `random` (labels without a chunking come first).
fn chunking_rank(label: &str) -> u8 {
    match label.rsplit('-').next() {
        Some("whole") => 1,
        Some("4k") => 2,
        Some("random") => 3,
        _ => 0,
    }
}

/// The payload size in a row label: the label itself (`16KiB`) or one of its
/// dash-separated parts (`text-1KiB`, `binary-1MiB-x64`).
fn row_size(label: &str) -> Option<usize> {
    parse_size_label(label).or_else(|| label.split('-').find_map(parse_size_label))
}

/// Reads one benchmark: `(group, function, row, cell)`, or `None` if it has
/// no byte throughput or no size in its parameter.
fn read_cell(benchmark: &Path) -> Result<Option<(String, String, Row, Cell)>, String> {
    let json = |path: &Path| -> Result<Value, String> {
        let text = fs::read_to_string(path).map_err(|e| e.to_string())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    };
    let meta = json(benchmark)?;
    let group = meta["group_id"].as_str().ok_or("no group_id")?.to_owned();
    let function = meta["function_id"]
        .as_str()
        .ok_or("no function_id")?
        .to_owned();
    let Some(label) = meta["value_str"].as_str() else {
        return Ok(None);
    };
    let Some(size) = row_size(label) else {
        return Ok(None);
    };
    let throughput = &meta["throughput"];
    let Some(bytes) = throughput["Bytes"]
        .as_u64()
        .or_else(|| throughput["BytesDecimal"].as_u64())
    else {
        return Ok(None);
    };
    let estimates = json(&benchmark.with_file_name("estimates.json"))?;
    let ns = estimates["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| estimates["mean"]["point_estimate"].as_f64())
        .ok_or("no slope or mean estimate")?;
    Ok(Some((
        group,
        function,
        (size, chunking_rank(label), label.to_owned()),
        Cell {
            bytes: bytes as f64,
            ns,
        },
    )))
}

fn ordered<'a>(names: impl IntoIterator<Item = &'a str>, order: &[&str]) -> Vec<String> {
    let names: BTreeSet<&str> = names.into_iter().collect();
    let mut out: Vec<String> = order
        .iter()
        .filter(|n| names.contains(*n))
        .map(|n| (*n).to_owned())
        .collect();
    out.extend(
        names
            .iter()
            .filter(|n| !order.contains(n))
            .map(|n| (*n).to_owned()),
    );
    out
}

fn gbps(cell: Cell) -> String {
    let v = cell.bytes_per_sec() / 1e9;
    if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn per_sec(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2} G/s", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M/s", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k/s", v / 1e3)
    } else {
        format!("{v:.0} /s")
    }
}

/// The fastest peer of a row.
fn best_peer(row: &BTreeMap<String, Cell>) -> Option<(&'static str, Cell)> {
    PEERS
        .iter()
        .filter_map(|p| row.get(*p).map(|c| (*p, *c)))
        .max_by(|a, b| a.1.bytes_per_sec().total_cmp(&b.1.bytes_per_sec()))
}

fn ratio(a: Cell, b: Cell) -> f64 {
    a.bytes_per_sec() / b.bytes_per_sec()
}

fn table_header(out: &mut String, header: &[String]) {
    out.push_str(&format!("| {} |\n|", header.join(" | ")));
    for i in 0..header.len() {
        out.push_str(if i == 0 { "---|" } else { "---:|" });
    }
    out.push('\n');
}

fn render(results: &Results) -> String {
    let mut out = String::new();
    let groups = ordered(results.keys().map(String::as_str), &GROUP_ORDER);
    for group in &groups {
        let rows = &results[group];
        let is_mask = group == "mask";
        let is_stream = group.starts_with("stream_");
        let is_message = group.starts_with("msg_") || is_stream;
        let row_header = if group.starts_with("msg_") || group == "stream_recv" {
            "messages"
        } else {
            "payload"
        };
        let columns = ordered(
            rows.values().flat_map(|r| r.keys().map(String::as_str)),
            &COLUMN_ORDER,
        );
        let tethers: Vec<&String> = columns.iter().filter(|c| c.starts_with("tether")).collect();
        let has_peer = columns.iter().any(|c| PEERS.contains(&c.as_str()));
        let vs_memcpy = is_mask && columns.iter().any(|c| c == "memcpy");
        let vs_simdutf8 = columns.iter().any(|c| c == "simdutf8");

        out.push_str(&format!("### `{group}`: GB/s\n\n"));
        let mut header = vec![row_header.to_owned()];
        header.extend(columns.iter().cloned());
        if has_peer {
            header.push("best peer".to_owned());
            header.extend(tethers.iter().map(|t| format!("{t} ÷ best peer")));
        }
        if vs_memcpy {
            header.extend(tethers.iter().map(|t| format!("{t} ÷ memcpy")));
        }
        if vs_simdutf8 {
            header.push("tether time ÷ simdutf8 time".to_owned());
        }
        table_header(&mut out, &header);
        for ((_, _, label), row) in rows {
            let mut cells = vec![label.clone()];
            for column in &columns {
                cells.push(row.get(column).map_or("–".to_owned(), |&c| gbps(c)));
            }
            if has_peer {
                let best = best_peer(row);
                cells.push(best.map_or("–".to_owned(), |(name, _)| name.to_owned()));
                for t in &tethers {
                    cells.push(match (row.get(*t), best) {
                        (Some(&cell), Some((_, peer))) => format!("{:.2}×", ratio(cell, peer)),
                        _ => "–".to_owned(),
                    });
                }
            }
            if vs_memcpy {
                for t in &tethers {
                    cells.push(match (row.get(*t), row.get("memcpy")) {
                        (Some(&t), Some(&m)) => format!("{:.2}×", ratio(t, m)),
                        _ => "–".to_owned(),
                    });
                }
            }
            if vs_simdutf8 {
                cells.push(match (row.get("tether"), row.get("simdutf8")) {
                    (Some(&t), Some(&u)) => format!("{:.2}×", ratio(u, t)),
                    _ => "–".to_owned(),
                });
            }
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');

        if is_mask {
            continue;
        }
        let unit = if is_message { "messages" } else { "frames" };
        out.push_str(&format!("### `{group}`: {unit}/s\n\n"));
        let counted = |c: &&String| !matches!(c.as_str(), "memcpy" | "simdutf8");
        let mut header = vec![row_header.to_owned()];
        header.extend(columns.iter().filter(counted).cloned());
        // The connection groups repeat the comparison in messages/s.
        let vs_peer = is_stream && has_peer;
        if vs_peer {
            header.push("best peer".to_owned());
            header.extend(tethers.iter().map(|t| format!("{t} ÷ best peer")));
        }
        table_header(&mut out, &header);
        for ((size, _, label), row) in rows {
            let rate = |c: Cell| c.bytes_per_sec() / (*size).max(1) as f64;
            let mut cells = vec![label.clone()];
            for column in columns.iter().filter(counted) {
                cells.push(
                    row.get(column)
                        .map_or("–".to_owned(), |&c| per_sec(rate(c))),
                );
            }
            if vs_peer {
                let best = best_peer(row);
                cells.push(best.map_or("–".to_owned(), |(name, _)| name.to_owned()));
                for t in &tethers {
                    cells.push(match (row.get(*t), best) {
                        (Some(&cell), Some((_, peer))) => {
                            format!("{:.2}×", rate(cell) / rate(peer))
                        }
                        _ => "–".to_owned(),
                    });
                }
            }
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    let layer_groups = ["decode_", "encode", "mask", "msg_"];
    if results
        .keys()
        .any(|g| layer_groups.iter().any(|p| g.starts_with(p)))
    {
        out.push_str(&targets(results));
    }
    out
}

/// The row of `group` whose label is `label`.
fn row<'a>(results: &'a Results, group: &str, label: &str) -> Option<&'a BTreeMap<String, Cell>> {
    results
        .get(group)?
        .iter()
        .find(|((_, _, l), _)| l == label)
        .map(|(_, row)| row)
}

/// The targets of the frame and message layers, checked cell by cell.
fn targets(results: &Results) -> String {
    let mut out =
        String::from("### Targets\n\n| target | cell | measured | met |\n|---|---|---:|---|\n");
    let mut line = |target: &str, cell: String, value: Option<f64>, goal: f64| {
        let (measured, met) = match value {
            Some(v) => (format!("{v:.2}×"), if v >= goal { "yes" } else { "**no**" }),
            None => ("–".to_owned(), "not measured"),
        };
        out.push_str(&format!("| {target} | {cell} | {measured} | {met} |\n"));
    };
    let vs_best_peer = |group: &str, label: &str| -> Option<f64> {
        let row = row(results, group, label)?;
        Some(ratio(*row.get("tether")?, best_peer(row)?.1))
    };
    for group in ["decode_whole", "decode_4k", "decode_random"] {
        for size in [16, 128, 1024] {
            let label = size_label(size);
            line(
                "small-frame decode ≥ 1.5× best peer",
                format!("`{group}` {label}"),
                vs_best_peer(group, &label),
                1.5,
            );
        }
    }
    for size in tether_benches::workload::PAYLOAD_SIZES {
        let label = size_label(size);
        line(
            "random-chunk decode ≥ 1.3× best peer",
            format!("`decode_random` {label}"),
            vs_best_peer("decode_random", &label),
            1.3,
        );
    }
    for size in [16 << 10, 1 << 20] {
        let label = size_label(size);
        let value = row(results, "mask", &label)
            .and_then(|row| Some(ratio(*row.get("tether")?, *row.get("memcpy")?)));
        line("unmasking ≥ memcpy", format!("`mask` {label}"), value, 1.0);
    }
    for group in ["msg_whole", "msg_random"] {
        let Some(rows) = results.get(group) else {
            continue;
        };
        for (_, _, label) in rows.keys() {
            line(
                "message decode ≥ 1.3× best peer",
                format!("`{group}` {label}"),
                vs_best_peer(group, label),
                1.3,
            );
        }
        for ((_, _, label), row) in rows {
            // Within 2x of simdutf8: simdutf8's time is at least half of
            // tether's, i.e. tether's throughput ÷ simdutf8's ≥ 0.5.
            if let (Some(&t), Some(&u)) = (row.get("tether"), row.get("simdutf8")) {
                line(
                    "text decode within 2× of simdutf8 alone (tether ÷ simdutf8 throughput ≥ 0.5)",
                    format!("`{group}` {label}"),
                    Some(ratio(t, u)),
                    0.5,
                );
            }
        }
    }
    out
}
