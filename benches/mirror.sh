#!/usr/bin/env bash
# `wkg mirror` of a 60-package lock between two local registries against
# `skopeo copy` of the same artifacts one by one, in one run.
#
# Builds ours unless WKG_OURS points at an existing binary.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh registry skopeo

if [ -z "${WKG_OURS:-}" ]; then
  cargo build --release --locked -p wkg-host
fi
python3 benches/mirror.py --ours "${WKG_OURS:-target/release/wkg}" "$@"
