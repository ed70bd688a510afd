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
//! frames per second, which is the byte rate divided by the payload size of
//! the row (every frame of a row carries exactly that many bytes). Ratio
//! columns compare each tether variant with the fastest of the three peers
//! (tungstenite, fastwebsockets, tokio-websockets) on the same row, and in
//! the `mask` group with memcpy. A last section checks the performance
//! targets of the frame layer.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tether_benches::workload::{parse_size_label, size_label};

/// The three peers tether is compared with.
const PEERS: [&str; 3] = ["tungstenite", "fastwebsockets", "tokio-websockets"];

/// Column order; anything else follows alphabetically.
const COLUMN_ORDER: [&str; 8] = [
    "tether",
    "tether-decode",
    "tether-encoder",
    "tether-vectored",
    "tungstenite",
    "fastwebsockets",
    "tokio-websockets",
    "memcpy",
];

/// Group order; anything else follows alphabetically.
const GROUP_ORDER: [&str; 5] = [
    "decode_whole",
    "decode_4k",
    "decode_random",
    "encode",
    "mask",
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

/// group -> payload size -> implementation -> cell
type Results = BTreeMap<String, BTreeMap<usize, BTreeMap<String, Cell>>>;

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
            Ok(Some((group, function, size, cell))) => {
                results
                    .entry(group)
                    .or_default()
                    .entry(size)
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

/// Reads one benchmark: `(group, function, payload size, cell)`, or `None`
/// if it has no byte throughput or no size parameter.
fn read_cell(benchmark: &Path) -> Result<Option<(String, String, usize, Cell)>, String> {
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
    let Some(size) = meta["value_str"].as_str().and_then(parse_size_label) else {
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
        size,
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
        let columns = ordered(
            rows.values().flat_map(|r| r.keys().map(String::as_str)),
            &COLUMN_ORDER,
        );
        let tethers: Vec<&String> = columns.iter().filter(|c| c.starts_with("tether")).collect();
        let has_peer = columns.iter().any(|c| PEERS.contains(&c.as_str()));
        let vs_memcpy = is_mask && columns.iter().any(|c| c == "memcpy");

        out.push_str(&format!("### `{group}`: GB/s\n\n"));
        let mut header = vec!["payload".to_owned()];
        header.extend(columns.iter().cloned());
        if has_peer {
            header.push("best peer".to_owned());
            header.extend(tethers.iter().map(|t| format!("{t} ÷ best peer")));
        }
        if vs_memcpy {
            header.extend(tethers.iter().map(|t| format!("{t} ÷ memcpy")));
        }
        table_header(&mut out, &header);
        for (&size, row) in rows {
            let mut cells = vec![size_label(size)];
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
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');

        if is_mask {
            continue;
        }
        out.push_str(&format!("### `{group}`: frames/s\n\n"));
        let mut header = vec!["payload".to_owned()];
        header.extend(columns.iter().filter(|c| *c != "memcpy").cloned());
        table_header(&mut out, &header);
        for (&size, row) in rows {
            let mut cells = vec![size_label(size)];
            for column in columns.iter().filter(|c| *c != "memcpy") {
                cells.push(row.get(column).map_or("–".to_owned(), |&c| {
                    per_sec(c.bytes_per_sec() / size.max(1) as f64)
                }));
            }
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    out.push_str(&targets(results));
    out
}

/// The targets of the frame layer, checked cell by cell.
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
    let vs_best_peer = |group: &str, size: usize| -> Option<f64> {
        let row = results.get(group)?.get(&size)?;
        Some(ratio(*row.get("tether")?, best_peer(row)?.1))
    };
    for group in ["decode_whole", "decode_4k", "decode_random"] {
        for size in [16, 128, 1024] {
            line(
                "small-frame decode ≥ 1.5× best peer",
                format!("`{group}` {}", size_label(size)),
                vs_best_peer(group, size),
                1.5,
            );
        }
    }
    for size in tether_benches::workload::PAYLOAD_SIZES {
        line(
            "random-chunk decode ≥ 1.3× best peer",
            format!("`decode_random` {}", size_label(size)),
            vs_best_peer("decode_random", size),
            1.3,
        );
    }
    for size in [16 << 10, 1 << 20] {
        let value = results
            .get("mask")
            .and_then(|g| g.get(&size))
            .and_then(|row| Some(ratio(*row.get("tether")?, *row.get("memcpy")?)));
        line(
            "unmasking ≥ memcpy",
            format!("`mask` {}", size_label(size)),
            value,
            1.0,
        );
    }
    out
}
