#!/usr/bin/env bash
# The main job on a bundled example: start a local registry, push wkg.wasm
# itself with `wkg oci push`, pull it back, and run the pulled copy.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/prerequisites.sh registry

cargo build --release --locked -p wkg-host
root=$PWD
wkg=$root/target/release/wkg
wasm=$root/target/guest/wkg.wasm

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/storage"
cat > "$work/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
trap 'kill $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done

cd "$work"
cp "$wasm" wkg.wasm
ref=127.0.0.1:$port/bytecodealliance/wkg:0.1.0
set -x
"$wkg" oci push "$ref" wkg.wasm --insecure "127.0.0.1:$port"
"$wkg" oci pull "$ref" -o pulled.wasm --insecure "127.0.0.1:$port"
cmp wkg.wasm pulled.wasm
# The pulled copy runs, and pulls itself once more.
WKG_COMPONENT=pulled.wasm "$wkg" --version
WKG_COMPONENT=pulled.wasm "$wkg" oci pull "$ref" -o again.wasm --insecure "127.0.0.1:$port"
cmp wkg.wasm again.wasm
set +x
echo "demo: pushed, pulled and ran $(wc -c < pulled.wasm) bytes of wkg.wasm through 127.0.0.1:$port"
