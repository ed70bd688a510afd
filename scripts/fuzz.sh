#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time; exits non-zero if
# any target crashes (or fails to build or run).
#
#   FUZZ_SECONDS   seconds per target (default 20), libFuzzer -max_total_time
#   FUZZ_TARGETS   space-separated targets to run (default: all, `cargo fuzz list`)
#   FUZZ_CORPUS    scratch corpus root (default fuzz/corpus, git-ignored)
#   FUZZ_ARGS      extra libFuzzer arguments (e.g. "-max_len=8192 -jobs=2")
#
# The committed seeds (fuzz/seeds/<target>/) are copied into the scratch
# corpus (fuzz/corpus/<target>/) before each run, and libFuzzer writes only
# there, so the seeds stay as committed. The scratch corpus is kept between
# runs, so repeated runs build on each other. Crash inputs go to
# fuzz/artifacts/<target>/ (git-ignored); to keep one as a regression seed,
# copy it to fuzz/seeds/<target>/regress-<what> and commit it.
#
# Builds with cargo-fuzz's defaults: optimised, with debug assertions and
# overflow checks, AddressSanitizer.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
corpus_root=${FUZZ_CORPUS:-$root/fuzz/corpus}
read -r -a extra_args <<<"${FUZZ_ARGS:-}"

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# cargo-fuzz needs nightly rustc flags (-Zsanitizer); use a nightly toolchain
# if there is one, else let the stable compiler accept them.
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

cd "$root/fuzz"
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <("${fuzz[@]}" list)
fi
if [[ ${#targets[@]} -eq 0 ]]; then
    echo "fuzz.sh: no fuzz targets" >&2
    exit 1
fi

echo "fuzz.sh: ${fuzz[*]}; ${seconds}s per target: ${targets[*]}"
"${fuzz[@]}" build

failed=()
for target in "${targets[@]}"; do
    corpus="$corpus_root/$target"
    mkdir -p "$corpus"
    if compgen -G "seeds/$target/*" >/dev/null; then
        cp -- "seeds/$target"/* "$corpus"/
    fi
    log="$root/fuzz/artifacts/$target.log"
    mkdir -p "$(dirname "$log")"
    echo "== $target (corpus $corpus, log $log)"
    status=0
    "${fuzz[@]}" run "$target" "$corpus" -- \
        -max_total_time="$seconds" -print_final_stats=1 "${extra_args[@]}" \
        >"$log" 2>&1 || status=$?
    # The last status line and the final stats.
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
    if [[ $status -ne 0 ]]; then
        echo "!! $target failed (exit $status); log: $log"
        grep -E 'panicked at|ERROR: (libFuzzer|AddressSanitizer)|Test unit written to' "$log" | head -n 5 || true
        tail -n 40 "$log" | grep -A2 -E '^(thread|Base64)' || true
        failed+=("$target")
    fi
done

if [[ ${#failed[@]} -ne 0 ]]; then
    echo "fuzz.sh: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz.sh: all ${#targets[@]} targets ran ${seconds}s without a crash"
