# Sourced by the scripts: installs what the build and the tests need.
rustup target add wasm32-wasip2 >/dev/null
missing=()
command -v docker-registry >/dev/null || [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
command -v skopeo >/dev/null || missing+=(skopeo)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The stock wasmtime CLI, for tests/wasmtime.rs and the benchmarks.
if [ -z "${WASMTIME:-}" ] && [ ! -x target/bench-tools/bin/wasmtime ]; then
  cargo install --locked --quiet wasmtime-cli@48.0.8 --root target/bench-tools
fi
