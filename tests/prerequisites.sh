# Sourced by the scripts with what they use: installs what is missing.
#   . tests/prerequisites.sh registry            # the demo
#   . tests/prerequisites.sh registry skopeo tinyproxy oras wasmtime   # the tests
# The wasm32-wasip2 target is always needed (the build makes wkg.wasm).
rustup target add wasm32-wasip2 >/dev/null
missing=()
for need in "$@"; do
  case $need in
    registry) command -v docker-registry >/dev/null || [ -x /usr/bin/docker-registry ] || missing+=(docker-registry) ;;
    skopeo) command -v skopeo >/dev/null || missing+=(skopeo) ;;
    valgrind) command -v valgrind >/dev/null || missing+=(valgrind) ;;
    oras) python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv) ;;
    tinyproxy) command -v tinyproxy >/dev/null || [ -x /usr/bin/tinyproxy ] || [ -x /usr/sbin/tinyproxy ] || missing+=(tinyproxy) ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The ORAS Python SDK, an independent OCI client for tests/all/oras.rs.
for need in "$@"; do
  if [ "$need" = oras ] && [ ! -x target/bench-tools/oras/bin/python ]; then
    python3 -m venv target/bench-tools/oras
    target/bench-tools/oras/bin/pip install --quiet --disable-pip-version-check oras==0.2.43
  fi
done
# The stock wasmtime CLI, for tests/all/wasmtime.rs and the benchmarks.
for need in "$@"; do
  if [ "$need" = wasmtime ] && [ -z "${WASMTIME:-}" ] && [ ! -x target/bench-tools/bin/wasmtime ]; then
    cargo install --locked --quiet wasmtime-cli@48.0.8 --root target/bench-tools
  fi
done
