#!/usr/bin/env python3
"""OCI pull and push of a 100 MiB component, and `wkg --version`, side by side.

Clients, in one run against one local CNCF Distribution registry:
  ours      the native `wkg` (wasmtime host with wkg.wasm inside)
  wasmtime  `wasmtime run -S http --dir . wkg.wasm ...`
  wkg       the native wkg 0.16.1 (`cargo install --locked wkg`)
  skopeo    `skopeo copy` between an OCI `dir:` layout and the registry

and, with curl, the registry's upload floor: the same bytes sent as one
blob whose digest is known, with nothing else around it.

Each measurement is the median of --runs runs; peak RSS is the largest
resident set of the client process (wait4's ru_maxrss). Every push is of a
component no registry has seen (fresh random padding), so every push
really uploads it; every pull downloads what was just pushed.

Usage: benches/oci.py --ours target/release/wkg --wasm wkg.wasm
       [--wkg PATH] [--wasmtime PATH] [--size-mib 100] [--runs 3]
       [--before-ours PATH] [--before-wasm PATH]   (another build, side by side)
"""

import argparse
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

MIB = 1024 * 1024


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def padded_component(base, size):
    """`base` plus a custom section, `size` bytes in all: a valid component."""
    with open(base, "rb") as f:
        head = f.read()
    name = b"bench-padding"
    body = leb(len(name)) + name
    payload = size - len(head) - 1 - 5 - len(body)
    section = bytes([0]) + leb(len(body) + payload) + body
    payload = size - len(head) - len(section)
    section = bytes([0]) + leb(len(body) + payload) + body
    return head, section, payload


def run(cmd, cwd, env=None):
    """Runs cmd under GNU time; returns (seconds, peak RSS in MiB)."""
    rss_file = os.path.join(cwd, ".rss")
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file] + cmd, cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        rss_kib = int(f.read().split()[-1])
    return elapsed, rss_kib / 1024


def startup(cmd, cwd, env, runs):
    """Median wall time of `cmd`, spawned directly (no wrapper process)."""
    samples = []
    os.chdir(cwd)
    for _ in range(runs):
        start = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, env, file_actions=[
            (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0)])
        os.waitpid(pid, 0)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median(samples):
    return statistics.median(s[0] for s in samples), max(s[1] for s in samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--wasm", required=True)
    ap.add_argument("--wkg")
    ap.add_argument("--wasmtime")
    ap.add_argument("--size-mib", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--version-runs", type=int, default=30)
    ap.add_argument("--before-ours", help="another build of the native wkg, to compare")
    ap.add_argument("--before-wasm", help="another build of wkg.wasm, to compare")
    args = ap.parse_args()
    for attr in ("ours", "wasm", "wkg", "wasmtime", "before_ours", "before_wasm"):
        if getattr(args, attr):
            setattr(args, attr, os.path.abspath(getattr(args, attr)))

    work = tempfile.mkdtemp(prefix="wkg-bench-")
    port = free_port()
    host = f"127.0.0.1:{port}"
    registry = start_registry(work, port)
    try:
        os.makedirs(os.path.join(work, "home"), exist_ok=True)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": os.path.join(work, "home"),
            "WKG_HOST_CACHE_DIR": os.path.join(work, "code-cache"),
        }
        shutil.copy(args.wasm, os.path.join(work, "wkg.wasm"))
        head, section, payload = padded_component(args.wasm, args.size_mib * MIB)
        big = os.path.join(work, "big.wasm")

        def fresh_component():
            """A component no registry has seen: new random padding."""
            with open(big, "wb") as f:
                f.write(head + section)
                left = payload
                while left:
                    n = min(left, 4 * MIB)
                    f.write(os.urandom(n))
                    left -= n
            return os.path.getsize(big)

        clients = {"ours": [args.ours]}
        if args.before_ours:
            clients["ours (before)"] = [args.before_ours]
        if args.wasmtime:
            clients["wasmtime"] = [args.wasmtime, "run", "-S", "http", "--dir", ".", "wkg.wasm"]
        if args.wasmtime and args.before_wasm:
            shutil.copy(args.before_wasm, os.path.join(work, "wkg-before.wasm"))
            clients["wasmtime (before)"] = [args.wasmtime, "run", "-S", "http", "--dir", ".",
                                            "wkg-before.wasm"]
        if args.wkg:
            clients["wkg"] = [args.wkg]
        # Warm the compiled-code caches (ours and wasmtime's).
        for name, cmd in clients.items():
            run(cmd + ["--version"], work, env)

        seq = 0
        ins = ["--insecure", host]
        order = list(clients.items()) + [("skopeo", None)]
        pushes = {name: [] for name, _ in order}
        pulls = {name: [] for name, _ in order}
        floors = []
        # Interleaved rounds, so drifting machine load hits every client alike.
        for _ in range(args.runs):
            for name, cmd in order:
                seq += 1
                size = fresh_component()
                ref = f"{host}/bench/{name.replace(' (before)', '-before')}-{seq}:1.0.0"
                if cmd is None:
                    layout = oci_dir_layout(work, big, seq)
                    pushes[name].append(run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                                             f"dir:{layout}", f"docker://{ref}"], work, env))
                    out = os.path.join(work, f"pulled-{seq}")
                    pulls[name].append(run(["skopeo", "copy", "-q", "--src-tls-verify=false",
                                            f"docker://{ref}", f"dir:{out}"], work, env))
                    shutil.rmtree(layout)
                    shutil.rmtree(out)
                    if shutil.which("curl"):
                        fresh_component()
                        floors.append(upload_floor(host, big, seq))
                    continue
                pushes[name].append(run(cmd + ["oci", "push", ref, "big.wasm"] + ins, work, env))
                pulls[name].append(run(cmd + ["oci", "pull", ref, "-o", "out.wasm"] + ins, work, env))
                assert os.path.getsize(os.path.join(work, "out.wasm")) == size
                os.remove(os.path.join(work, "out.wasm"))
        rows = [(name, median(pushes[name]), median(pulls[name])) for name, _ in order]

        versions = []
        # Interleaved rounds, so drifting machine load hits every client alike.
        rounds = {name: [] for name in clients}
        for _ in range(5):
            for name, cmd in clients.items():
                rounds[name].append(startup(cmd + ["--version"], work, env, args.version_runs // 5))
        for name, cmd in clients.items():
            rss = run(cmd + ["--version"], work, env)[1]
            versions.append((name, (statistics.median(rounds[name]), rss)))
    finally:
        registry.kill()
        registry.wait()
        shutil.rmtree(work, ignore_errors=True)

    mb = size / 1e6
    base = {name: (push, pull) for name, push, pull in rows}
    print(f"\n{args.size_mib} MiB component, median of {args.runs} runs, one registry on 127.0.0.1\n")
    print("| client | push s | push MB/s | push peak RSS MiB | pull s | pull MB/s | pull peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for name, (push_t, push_rss), (pull_t, pull_rss) in rows:
        print(f"| {name} | {push_t:.2f} | {mb / push_t:.0f} | {push_rss:.0f} | {pull_t:.2f} | {mb / pull_t:.0f} | {pull_rss:.0f} |")
    if floors:
        floor = statistics.median(floors)
        print(f"\nregistry upload floor (curl: POST, one streamed PATCH, PUT; the client "
              f"hashes nothing): {floor:.2f} s, {mb / floor:.0f} MB/s; ours pushes in "
              f"{base['ours'][0][0] / floor:.2f}x that time, skopeo in "
              f"{base['skopeo'][0][0] / floor:.2f}x")
    if "wkg" in base:
        wkg_push, wkg_pull = base["wkg"][0][0], base["wkg"][1][0]
        sk_push = base["skopeo"][0][0]
        for name in ("ours", "wasmtime"):
            if name in base:
                push_t, pull_t = base[name][0][0], base[name][1][0]
                print(f"\n{name}: pull throughput {wkg_pull / pull_t:.2f}x wkg's; "
                      f"push throughput {wkg_push / push_t:.2f}x wkg's, {sk_push / push_t:.2f}x skopeo's")
    print(f"\n`--version`, median of {args.version_runs} runs (compiled code cached)\n")
    print("| client | ms | peak RSS MiB |")
    print("|---|---|---|")
    for name, (t, rss) in versions:
        print(f"| {name} | {t * 1000:.1f} | {rss:.0f} |")
    vmap = {n: t for n, (t, _) in versions}
    if "wkg" in vmap:
        for name in ("ours", "wasmtime"):
            if name in vmap:
                print(f"\n{name} `--version`: {vmap[name] / vmap['wkg']:.2f}x wkg's time")


def upload_floor(host, component, seq):
    """Seconds for curl to upload `component` as a blob whose digest is
    known beforehand: what the registry itself needs for these bytes."""
    h = hashlib.sha256()
    with open(component, "rb") as f:
        for block in iter(lambda: f.read(4 * MIB), b""):
            h.update(block)
    digest = f"sha256:{h.hexdigest()}"

    def location(args):
        out = subprocess.run(["curl", "-sf", "-D", "-", "-o", "/dev/null"] + args,
                             capture_output=True, text=True, check=True).stdout
        value = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                     if line.lower().startswith("location:"))
        return value if value.startswith("http") else f"http://{host}{value}"

    start = time.perf_counter()
    session = location(["-X", "POST", f"http://{host}/v2/bench/floor-{seq}/blobs/uploads/"])
    session = location(["-X", "PATCH", "-H", "Content-Type: application/octet-stream",
                        "-T", component, session])
    sep = "&" if "?" in session else "?"
    subprocess.run(["curl", "-sf", "-o", "/dev/null", "-X", "PUT", f"{session}{sep}digest={digest}"],
                   check=True)
    return time.perf_counter() - start


def oci_dir_layout(work, component, seq):
    """A skopeo `dir:` layout holding `component` as a wasm OCI artifact."""
    layout = os.path.join(work, f"layout-{seq}")
    os.makedirs(layout)
    h = hashlib.sha256()
    with open(component, "rb") as f:
        for block in iter(lambda: f.read(4 * MIB), b""):
            h.update(block)
    layer_hex = h.hexdigest()
    os.link(component, os.path.join(layout, layer_hex))
    config = json.dumps({"architecture": "wasm", "os": "wasip2",
                         "layerDigests": [f"sha256:{layer_hex}"]}).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    with open(os.path.join(layout, config_hex), "wb") as f:
        f.write(config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json",
                   "digest": f"sha256:{config_hex}", "size": len(config)},
        "layers": [{"mediaType": "application/wasm", "digest": f"sha256:{layer_hex}",
                    "size": os.path.getsize(component)}],
    }
    with open(os.path.join(layout, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    with open(os.path.join(layout, "version"), "w") as f:
        f.write("Directory Transport Version: 1.1\n")
    return layout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_registry(work, port):
    storage = os.path.join(work, "storage")
    os.makedirs(storage)
    config = os.path.join(work, "registry.yml")
    with open(config, "w") as f:
        f.write(f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                f"storage:\n  filesystem:\n    rootdirectory: {storage}\n"
                f"http:\n  addr: 127.0.0.1:{port}\n")
    log = open(os.path.join(work, "registry.log"), "w")
    p = subprocess.Popen(["docker-registry", "serve", config], stdout=log, stderr=log)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("registry did not start")


if __name__ == "__main__":
    main()
