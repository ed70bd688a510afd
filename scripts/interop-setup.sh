#!/usr/bin/env bash
# Installs the peers the interop tests run against, on a fresh machine:
# Python `websockets`, `python-engineio` (with `requests` and
# `websocket-client`) and `python-socketio` (with `aiohttp`, for its
# AsyncClient) in interop/python/.venv, Node `ws`, `socket.io` and
# `socket.io-client` in
# interop/node/node_modules (from the lockfile), esbuild in web/node_modules
# (from web/'s lockfile, for the browser client's build), and Debian's
# chromium.
# Idempotent: what is there already is kept.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

venv="$root/interop/python/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$root/interop/python/requirements.txt"

# Reinstalled whenever the lockfile changed since the last install.
node_dir="$root/interop/node"
lock_sum=$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$node_dir/node_modules/.tether-lock-sum" 2>/dev/null)" != "$lock_sum" ]]; then
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$node_dir/node_modules/.tether-lock-sum"
fi

# web/: esbuild for the browser client's build (web/build.mjs; its --check
# runs in the tests), from web/'s lockfile, the same way.
web_dir="$root/web"
web_sum=$(sha256sum "$web_dir/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$web_dir/node_modules/.tether-lock-sum" 2>/dev/null)" != "$web_sum" ]]; then
    (cd "$web_dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$web_sum" >"$web_dir/node_modules/.tether-lock-sum"
fi

if ! command -v chromium >/dev/null 2>&1; then
    echo "interop-setup: installing chromium (Debian package)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
chromium --version
