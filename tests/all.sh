#!/usr/bin/env bash
# Every check and test, from a fresh clone. Installs what is missing:
# the wasm32-wasip2 target, the CNCF Distribution registry, skopeo, tinyproxy,
# the ORAS Python SDK and the wasmtime CLI.
# Everything builds in the release profile, so wasmtime is built once.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh registry skopeo tinyproxy oras wasmtime

cargo fmt --all -- --check
cargo clippy --release --locked -p wkg-core -p wkg-host --all-targets -- -D warnings
cargo clippy --release --locked -p wkg-guest -p wkg-provider --target wasm32-wasip2 -- -D warnings
# The guest's unit tests and error snapshot run natively (no wasi import).
cargo clippy --release --locked -p wkg-guest --lib --tests -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --release --locked --no-deps -p wkg-core -p wkg-host
cargo test --release --locked
# (--lib only: a native build of the guest's `wkg` binary would take the host's name.)
cargo test --release --locked -p wkg-guest --lib
# The private Sigstore instance the integration tests sign with, checked by
# the verifier it serves.
cargo clippy --release --locked -p sigstore-forge --all-targets -- -D warnings
cargo test --release --locked -p sigstore-forge
# The Sigstore conformance suite's verification cases, offline, through the
# component (tests/sigstore-conformance-client), when the kit sits beside
# the project; it makes its own Python environment on first use.
kit=../shared/sigstore-conformance
if [ -x "$kit/run-verify" ]; then
  "$kit/run-verify" ./tests/sigstore-conformance-client
else
  echo "note: no Sigstore conformance kit at $kit; skipped"
fi
