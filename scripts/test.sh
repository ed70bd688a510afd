#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: installs what the tests
# need (the interop peers: scripts/interop-setup.sh; cargo-fuzz), then fmt,
# clippy (warnings denied), all tests and doc tests (interop tests against
# real peers included), every fuzz target for a bounded time, and a build of
# the benchmarks.
#
#   bash scripts/test.sh
#
# Environment: FUZZ_SECONDS (per fuzz target, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "toolchain"
cargo --version
rustc --version
if ! cargo fmt --version >/dev/null 2>&1; then rustup component add rustfmt; fi
if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi

step "interop peers (Python websockets, Node ws, chromium)"
bash scripts/interop-setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo test (unit, integration, property, doc)"
cargo test --workspace --all-features --locked

export FUZZ_SECONDS=${FUZZ_SECONDS:-30}
step "fuzz targets (${FUZZ_SECONDS} s each)"
bash scripts/fuzz.sh

step "benchmarks build (not run)"
cargo bench --workspace --no-run --locked
cargo bench --manifest-path benches/ratchet/Cargo.toml --no-run --locked

echo
echo "all tests passed in $(( $(date +%s) - started )) s"
