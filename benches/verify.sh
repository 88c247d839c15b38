#!/usr/bin/env bash
# `wkg fetch` of the wasi:http@0.2.3 tree with every package signed by a
# private Sigstore-like instance: `[sigstore]` policy on versus off, cold and
# warm, in one run. Builds ours and the forge unless WKG_OURS / FORGE point
# at existing binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh registry

if [ -z "${WKG_OURS:-}" ]; then
  cargo build --release --locked -p wkg-host
fi
if [ -z "${FORGE:-}" ]; then
  cargo build --release --locked -p sigstore-forge
fi
python3 benches/verify.py --ours "${WKG_OURS:-target/release/wkg}" \
  --forge "${FORGE:-target/release/sigstore-forge}" "$@"
