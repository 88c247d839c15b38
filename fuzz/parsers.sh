#!/usr/bin/env bash
# The long run of guest/core/tests/parsers.rs: every parser of the core
# against a million arbitrary inputs each (PROPTEST_CASES to change it).
# A failure prints the smallest input proptest could shrink it to.
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES=${PROPTEST_CASES:-1000000}
time cargo test --release --locked -p wkg-core --test parsers -- --test-threads 2
