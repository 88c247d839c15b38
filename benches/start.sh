#!/usr/bin/env bash
# First start (empty cache) against a warm start of the native `wkg`, and
# `--version` against the native wkg 0.16.1 (installed into
# target/bench-tools on first use unless WKG_NATIVE points at one).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh

tools=$PWD/target/bench-tools
wkg_native=${WKG_NATIVE:-$tools/bin/wkg}
[ -x "$wkg_native" ] || cargo install --locked wkg@0.16.1 --root "$tools"
cargo build --release --locked -p wkg-host
python3 benches/start.py --ours target/release/wkg --wkg "$wkg_native" "$@"
