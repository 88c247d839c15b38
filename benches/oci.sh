#!/usr/bin/env bash
# OCI push/pull of a 100 MiB component and `wkg --version`: ours (native host
# and `wasmtime run`), the native wkg 0.16.1 and skopeo, in one run.
#
# Needs the native wkg and wasmtime 48 CLIs; installs them into
# target/bench-tools (several minutes on first use) unless WKG_NATIVE and
# WASMTIME point at existing binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh registry skopeo wasmtime

tools=$PWD/target/bench-tools
wkg_native=${WKG_NATIVE:-$tools/bin/wkg}
wasmtime=${WASMTIME:-$tools/bin/wasmtime}
[ -x "$wkg_native" ] || cargo install --locked wkg@0.16.1 --root "$tools"
[ -x "$wasmtime" ] || cargo install --locked wasmtime-cli@48.0.8 --root "$tools"

cargo build --release --locked -p wkg-host
python3 benches/oci.py \
  --ours target/release/wkg \
  --wasm target/guest/wkg.wasm \
  --wkg "$wkg_native" --wasmtime "$wasmtime" "$@"
