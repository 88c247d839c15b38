#!/usr/bin/env bash
# `wkg fetch` of the wasi:http@0.2.3 dependency tree, cold and warm: ours
# (native host) and the native wkg 0.16.1, in one run.
#
# Needs the native wkg CLI; installs it into target/bench-tools (a few
# minutes on first use) unless WKG_NATIVE points at an existing binary.
# Builds ours unless WKG_OURS points at an existing binary.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh registry

tools=$PWD/target/bench-tools
wkg_native=${WKG_NATIVE:-$tools/bin/wkg}
[ -x "$wkg_native" ] || cargo install --locked wkg@0.16.1 --root "$tools"

if [ -z "${WKG_OURS:-}" ]; then
  cargo build --release --locked -p wkg-host
fi
python3 benches/fetch.py --ours "${WKG_OURS:-target/release/wkg}" --wkg "$wkg_native" "$@"
